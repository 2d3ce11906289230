//! Connection buffers, lent from a per-worker pool.
//!
//! An idle keep-alive connection holds no buffer at all: it borrows a read buffer from its
//! worker's pool when bytes arrive and gives it back once every byte was consumed; likewise an
//! output buffer while a response is being written. Under load only the connections being
//! served at this instant hold buffers, so memory grows with activity, not with connections
//! (raw-epoll, the ceiling we measure against, shares one buffer for all). Pooled read
//! buffers are zeroed once when created and reused as they are: no per-request allocation,
//! no per-read memset. In front of each pool is one spare, the buffer given back last: a
//! worker that takes and gives back one buffer per request (its steady state) only swaps a
//! `Cell`, and the pool is touched when several connections hold buffers at once.

use std::cell::{Cell, RefCell};

use bytes::BytesMut;

/// Size of a pooled read buffer: a whole burst of pipelined requests fits.
pub const READ_BUF_SIZE: usize = 16 * 1024;
/// Initial capacity of a pooled output buffer.
pub const OUT_BUF_SIZE: usize = 16 * 1024;
/// The largest a read buffer may grow, whatever its caller allows: its offsets are `u32`,
/// which keeps the buffer's handle (held by every connection's I/O state) at four words.
const READ_BUF_MAX: usize = u32::MAX as usize;
/// The most buffers of each kind a worker keeps for reuse besides its spare; more are freed.
const POOL_MAX: usize = 64;

thread_local! {
    static READ_POOL: RefCell<Vec<Box<[u8]>>> = const { RefCell::new(Vec::new()) };
    static OUT_POOL: RefCell<Vec<BytesMut>> = const { RefCell::new(Vec::new()) };
    /// The read buffer given back last, taken first: a worker serving one request at a time
    /// (one connection after another, or each connection's requests in turn) takes and gives
    /// back one buffer per request, and a `Cell` swap costs less than the pool's borrow and
    /// `Vec` push and pop.
    static READ_SPARE: Cell<Option<Box<[u8]>>> = const { Cell::new(None) };
    /// The output buffer given back last, taken first (see `READ_SPARE`).
    static OUT_SPARE: Cell<Option<BytesMut>> = const { Cell::new(None) };
}

/// Bytes read from a socket and not consumed yet: `data[start..end]`. A boxed slice (its
/// length is its size) and `u32` offsets: three words in every connection's I/O state.
#[derive(Debug)]
pub(crate) struct ReadBuf {
    data: Box<[u8]>,
    start: u32,
    end: u32,
}

impl ReadBuf {
    /// A buffer from this worker's pool (or a new one).
    #[inline]
    pub(crate) fn take() -> ReadBuf {
        let data = READ_SPARE
            .with(Cell::take)
            .or_else(|| READ_POOL.with(|pool| pool.borrow_mut().pop()))
            .unwrap_or_else(|| vec![0; READ_BUF_SIZE].into_boxed_slice());
        ReadBuf {
            data,
            start: 0,
            end: 0,
        }
    }

    /// Returns the buffer to the pool (only standard-size ones are kept).
    #[inline]
    pub(crate) fn release(self) {
        if self.data.len() == READ_BUF_SIZE {
            if let Some(older) = READ_SPARE.with(|spare| spare.replace(Some(self.data))) {
                READ_POOL.with(|pool| {
                    let mut pool = pool.borrow_mut();
                    if pool.len() < POOL_MAX {
                        pool.push(older);
                    }
                });
            }
        }
    }

    /// The unconsumed bytes.
    pub(crate) fn filled(&self) -> &[u8] {
        &self.data[self.start as usize..self.end as usize]
    }

    /// Whether every byte was consumed.
    pub(crate) fn is_empty(&self) -> bool {
        self.start == self.end
    }

    /// Marks `n` bytes consumed.
    pub(crate) fn consume(&mut self, n: usize) {
        self.start += n as u32;
        debug_assert!(self.start <= self.end);
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        }
    }

    /// Free space to read into: compacts consumed bytes away, and doubles the buffer when
    /// full, up to `max` bytes (and at most [`READ_BUF_MAX`]; past it the returned slice may
    /// be empty).
    #[inline]
    pub(crate) fn spare(&mut self, max: usize) -> &mut [u8] {
        let end = self.end as usize;
        if end < self.data.len() {
            // Room left at the end (always, for a buffer that was just emptied): nothing to
            // compact or grow.
            return &mut self.data[end..];
        }
        self.make_room(max)
    }

    /// [`ReadBuf::spare`] for a buffer filled to its end: compacts, or grows.
    #[cold]
    fn make_room(&mut self, max: usize) -> &mut [u8] {
        let (start, end) = (self.start as usize, self.end as usize);
        if end == self.data.len() && start > 0 {
            self.data.copy_within(start..end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        let max = max.min(READ_BUF_MAX);
        if self.end as usize == self.data.len() && self.data.len() < max {
            let grown = (self.data.len() * 2).min(max).max(self.data.len() + 1);
            let mut data = std::mem::take(&mut self.data).into_vec();
            data.resize(grown, 0);
            self.data = data.into_boxed_slice();
        }
        &mut self.data[self.end as usize..]
    }

    /// Marks `n` bytes of [`ReadBuf::spare`] as filled.
    pub(crate) fn advance_end(&mut self, n: usize) {
        self.end += n as u32;
        debug_assert!(self.end as usize <= self.data.len());
    }
}

/// An output buffer from this worker's pool (or a new one).
#[inline]
pub(crate) fn take_out() -> BytesMut {
    OUT_SPARE
        .with(Cell::take)
        .or_else(|| OUT_POOL.with(|pool| pool.borrow_mut().pop()))
        .unwrap_or_else(|| BytesMut::with_capacity(OUT_BUF_SIZE))
}

/// Returns an emptied output buffer to the pool.
///
/// A partial write advances the buffer's start, which shrinks its capacity; `reserve` on the
/// emptied, unshared buffer moves the start back to the beginning of its allocation (no new
/// allocation), so the whole buffer is reused. A buffer written whole was cleared instead and
/// needs nothing.
#[inline]
pub(crate) fn release_out(mut buf: BytesMut) {
    buf.clear();
    if buf.capacity() < OUT_BUF_SIZE {
        buf.reserve(OUT_BUF_SIZE);
    }
    if buf.capacity() >= OUT_BUF_SIZE && buf.capacity() <= 4 * OUT_BUF_SIZE {
        if let Some(older) = OUT_SPARE.with(|spare| spare.replace(Some(buf))) {
            OUT_POOL.with(|pool| {
                let mut pool = pool.borrow_mut();
                if pool.len() < POOL_MAX {
                    pool.push(older);
                }
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Buffers given back are taken again, the last one first, whether they went to the
    /// spare or, behind it, to the pool.
    #[test]
    fn given_back_buffers_are_reused() {
        let (a, b) = (take_out(), take_out());
        let (pa, pb) = (a.as_ptr(), b.as_ptr());
        release_out(a);
        release_out(b);
        assert_eq!(take_out().as_ptr(), pb);
        assert_eq!(take_out().as_ptr(), pa);
        let (a, b) = (ReadBuf::take(), ReadBuf::take());
        let (pa, pb) = (a.data.as_ptr(), b.data.as_ptr());
        a.release();
        b.release();
        assert_eq!(ReadBuf::take().data.as_ptr(), pb);
        assert_eq!(ReadBuf::take().data.as_ptr(), pa);
    }

    #[test]
    fn consume_resets_and_spare_compacts_then_grows() {
        let mut buf = ReadBuf::take();
        let n = buf.spare(usize::MAX).len();
        assert_eq!(n, READ_BUF_SIZE);
        buf.spare(usize::MAX)[..4].copy_from_slice(b"abcd");
        buf.advance_end(4);
        buf.consume(2);
        assert_eq!(buf.filled(), b"cd");
        buf.consume(2);
        assert!(buf.is_empty());
        assert_eq!(buf.spare(usize::MAX).len(), READ_BUF_SIZE);
        let full = buf.spare(usize::MAX).len();
        buf.advance_end(full);
        buf.consume(10);
        assert_eq!(buf.spare(usize::MAX).len(), 10, "compacted");
        buf.advance_end(10);
        assert_eq!(buf.spare(READ_BUF_SIZE * 2).len(), READ_BUF_SIZE, "grown");
        buf.advance_end(READ_BUF_SIZE);
        assert!(buf.spare(READ_BUF_SIZE * 2).is_empty(), "capped");
    }
}
