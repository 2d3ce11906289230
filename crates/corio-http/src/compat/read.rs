//! Reading a `futures-io` stream into another ecosystem's read buffer, without `unsafe`.
//!
//! tokio's `ReadBuf` and hyper's `ReadBufCursor` lend memory that may be uninitialized, and
//! safe code can fill it only by copying a slice in (`put_slice`). `futures-io` reads into an
//! initialized `&mut [u8]`. The two ways across: zero the lent memory and read into it, or
//! read into initialized memory of one's own and copy what arrived. Zeroing costs the whole
//! lent capacity on every poll, also when nothing arrives: h2's reader (tokio-util's
//! `FramedRead`) lends its buffer's spare capacity afresh on every poll, 8 KiB and more,
//! and that memset was a third of the instructions of an HTTP/2 request (callgrind). The
//! copy costs only the bytes that arrived, so every adapter reads through [`poll_read_into`]:
//! a per-thread scratch buffer, one `memcpy` of what the stream returned, no memory per
//! connection (a read never suspends while holding the scratch buffer).

use std::cell::RefCell;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Buf, Bytes};
use futures_io::AsyncRead;

/// The most bytes one read takes: h2 reads frames of at most 16 KiB by default and hyper's
/// read buffer grows in pieces of that size; larger would only grow the scratch buffer.
const SCRATCH_LEN: usize = 16 * 1024;

thread_local! {
    /// The scratch buffer of the loop on this thread, shared by all its connections.
    static SCRATCH: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// A read buffer that safe code fills by copying slices in.
pub(crate) trait ReadTarget {
    /// How many more bytes it takes.
    fn remaining(&self) -> usize;
    /// Appends `bytes` (at most [`ReadTarget::remaining`]).
    fn put_slice(&mut self, bytes: &[u8]);
}

impl ReadTarget for tokio::io::ReadBuf<'_> {
    fn remaining(&self) -> usize {
        tokio::io::ReadBuf::remaining(self)
    }

    fn put_slice(&mut self, bytes: &[u8]) {
        tokio::io::ReadBuf::put_slice(self, bytes);
    }
}

impl ReadTarget for hyper::rt::ReadBufCursor<'_> {
    fn remaining(&self) -> usize {
        hyper::rt::ReadBufCursor::remaining(self)
    }

    fn put_slice(&mut self, bytes: &[u8]) {
        hyper::rt::ReadBufCursor::put_slice(self, bytes);
    }
}

/// Polls one read of `reader` into `target` through the scratch buffer; `Ready(Ok(0))` is
/// the end of the stream (or a target with no room).
pub(crate) fn poll_read_into<R: AsyncRead + Unpin>(
    reader: Pin<&mut R>,
    cx: &mut Context<'_>,
    target: &mut impl ReadTarget,
) -> Poll<io::Result<usize>> {
    let want = target.remaining().min(SCRATCH_LEN);
    if want == 0 {
        return Poll::Ready(Ok(0));
    }
    SCRATCH.with(|scratch| {
        let mut scratch = scratch.borrow_mut();
        if scratch.len() < SCRATCH_LEN {
            scratch.resize(SCRATCH_LEN, 0);
        }
        let polled = reader.poll_read(cx, &mut scratch[..want]);
        if let Poll::Ready(Ok(n)) = polled {
            target.put_slice(&scratch[..n]);
        }
        polled
    })
}

/// Moves the front of `prefix` into `buf`, as much as fits; returns how much moved.
pub(crate) fn take_prefix(prefix: &mut Bytes, buf: &mut [u8]) -> usize {
    let n = prefix.len().min(buf.len());
    buf[..n].copy_from_slice(&prefix[..n]);
    prefix.advance(n);
    n
}
