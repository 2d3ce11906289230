//! The connection's I/O: the transport, its read and output buffers and the state machine,
//! shared by the driver and the request body of the exchange in progress.
//!
//! The driver owns it through an `Rc<RefCell<ConnIo<T>>>`; a request body reaches it through
//! the type-erased [`BodySource`] (a body read is not on the plaintext path). Borrows never
//! span an `.await`.
//!
//! Two rules hold every byte in order:
//!
//! - **Output before input.** Before waiting for body bytes, everything buffered for the
//!   client (earlier pipelined responses, then the `100 Continue`) is written: the interim
//!   response is appended to the same output buffer, so it never overtakes a final response
//!   to an earlier request, and a client waiting for either is never deadlocked.
//! - **One exchange at a time.** A request body kept past its exchange reads nothing (the
//!   state machine numbers exchanges).

use std::cell::RefCell;
use std::io;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use bytes::{Buf, Bytes, BytesMut};
use corio::time::Deadline;

use super::buffers::{self, ReadBuf};
use super::state::{ConnState, Step};
use super::transport::Transport;
use crate::message::{BodyError, BodySource};
use crate::proto::{Limits, RequestHead};

/// The interim response sent before the first body read when the client expects it.
const CONTINUE: &[u8] = b"HTTP/1.1 100 Continue\r\n\r\n";

/// What taking in the part of an unread body that already arrived found.
pub(crate) enum Arrived {
    /// The body is complete: the connection can carry the next request.
    Complete,
    /// More of it is still to come.
    Partial,
    /// It cannot be read to its end (framing error, EOF, over the drain limit).
    Failed,
}

/// The I/O side of one connection. See the module docs.
pub(crate) struct ConnIo<T> {
    pub(super) transport: T,
    /// Bytes read but not consumed yet (`None`: no buffer held, the idle case).
    pub(super) read: Option<ReadBuf>,
    /// Encoded output not written yet (`None`: no buffer held).
    pub(super) out: Option<BytesMut>,
    pub(super) state: ConnState,
    /// The body timeout in nanoseconds (a `Duration` takes two words; 2^64 ns is 584 years).
    body_timeout_nanos: u64,
    /// When a body read that makes no progress times out (reset by every body byte). Boxed:
    /// only a body read that waits makes one, and inline it would take 40 bytes of every
    /// connection's I/O state.
    body_deadline: Option<Box<Deadline>>,
}

impl<T: Transport> ConnIo<T> {
    pub(super) fn new(transport: T, body_timeout: Duration) -> ConnIo<T> {
        ConnIo {
            transport,
            read: None,
            out: None,
            state: ConnState::new(),
            body_timeout_nanos: u64::try_from(body_timeout.as_nanos()).unwrap_or(u64::MAX),
            body_deadline: None,
        }
    }

    /// A request head arrived: the exchange begins in the state machine (and no body timeout
    /// of an earlier exchange carries over). Returns the exchange's number.
    pub(super) fn start(
        &mut self,
        head: &RequestHead,
        limits: &Limits,
        shutting_down: bool,
    ) -> u64 {
        self.body_deadline = None;
        self.state.start(head, limits, shutting_down)
    }

    /// Reads more bytes into the read buffer, which may grow up to `max` bytes. `Ok(0)` is the
    /// end of the stream.
    pub(super) fn poll_read_more(
        &mut self,
        cx: &mut Context<'_>,
        max: usize,
    ) -> Poll<io::Result<usize>> {
        let buf = self.read.get_or_insert_with(ReadBuf::take);
        let spare = buf.spare(max);
        if spare.is_empty() {
            // The head parser and the chunked decoder consume before the buffer fills.
            return Poll::Ready(Err(io::Error::other("read buffer full")));
        }
        let result = self.transport.poll_read(cx, spare);
        if let Poll::Ready(Ok(n)) = result {
            buf.advance_end(n);
        }
        result
    }

    /// Writes the output buffer until it is empty (then returns it to the pool).
    pub(super) fn poll_write_out(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let Some(out) = self.out.as_mut() else {
            return Poll::Ready(Ok(()));
        };
        while !out.is_empty() {
            match self.transport.poll_write(cx, out) {
                Poll::Ready(Ok(0)) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                // All of it written (the usual case): `clear` keeps the buffer's whole
                // capacity, where `advance` would move its start and the pool would have to
                // reclaim the space.
                Poll::Ready(Ok(n)) if n == out.len() => out.clear(),
                Poll::Ready(Ok(n)) => out.advance(n),
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            }
        }
        if let Some(out) = self.out.take() {
            buffers::release_out(out);
        }
        self.transport.poll_flush(cx)
    }

    /// Returns the read buffer to the pool if every byte was consumed.
    pub(super) fn release_read_if_empty(&mut self) {
        if self.read.as_ref().is_some_and(ReadBuf::is_empty) {
            if let Some(buf) = self.read.take() {
                buf.release();
            }
        }
    }

    /// Returns both buffers to the pool (the connection ends).
    pub(super) fn release_buffers(&mut self) {
        if let Some(buf) = self.read.take() {
            buf.release();
        }
        if let Some(out) = self.out.take() {
            buffers::release_out(out);
        }
    }

    /// Decodes the next piece of body from the read buffer: `None` if more input is needed.
    fn decode_buffered(&mut self) -> Option<Result<Option<Bytes>, BodyError>> {
        if self.state.body_done() {
            return Some(Ok(None));
        }
        loop {
            let buf = self.read.as_mut().filter(|b| !b.is_empty())?;
            let input = buf.filled();
            match self.state.decode(input) {
                Ok((Step::Data(range), consumed)) => {
                    let data = Bytes::copy_from_slice(&input[range]);
                    buf.consume(consumed);
                    return Some(Ok(Some(data)));
                }
                Ok((Step::End, consumed)) => {
                    buf.consume(consumed);
                    return Some(Ok(None));
                }
                Ok((Step::NeedInput, consumed)) => {
                    buf.consume(consumed);
                    if consumed == 0 {
                        return None;
                    }
                }
                Err(e) => return Some(Err(e)),
            }
        }
    }

    /// Takes in, and discards, the part of an unread body that already arrived (buffered or
    /// waiting in the socket), without waiting; `drained` counts the bytes against `limit`.
    pub(super) fn take_arrived(&mut self, drained: &mut u64, limit: u64) -> Arrived {
        let mut cx = Context::from_waker(Waker::noop());
        loop {
            if self.state.body_done() {
                return Arrived::Complete;
            }
            if self.state.failed() {
                return Arrived::Failed;
            }
            if let Some(buf) = self.read.as_mut().filter(|b| !b.is_empty()) {
                match self.state.decode(buf.filled()) {
                    Ok((step, consumed)) => {
                        buf.consume(consumed);
                        if let Step::Data(range) = &step {
                            *drained += range.len() as u64;
                            if *drained > limit {
                                self.state.must_close();
                                return Arrived::Failed;
                            }
                        }
                        if consumed > 0 || !matches!(step, Step::NeedInput) {
                            continue;
                        }
                    }
                    Err(_) => return Arrived::Failed,
                }
            }
            // Nothing decodable is buffered: one read that does not wait.
            let max = usize::MAX;
            match self.poll_read_more(&mut cx, max) {
                Poll::Ready(Ok(0)) => {
                    self.state.fail(BodyError::Incomplete);
                    return Arrived::Failed;
                }
                Poll::Ready(Ok(_)) => {}
                Poll::Ready(Err(e)) => {
                    self.state.fail(BodyError::Io(e));
                    return Arrived::Failed;
                }
                Poll::Pending => return Arrived::Partial,
            }
        }
    }

    /// The next piece of the body of exchange `exchange`; see [`BodySource`].
    fn poll_body(
        &mut self,
        cx: &mut Context<'_>,
        exchange: u64,
    ) -> Poll<Option<Result<Bytes, BodyError>>> {
        if self.state.exchange() != exchange {
            // A body kept past its exchange: the connection moved on.
            return Poll::Ready(Some(Err(BodyError::Incomplete)));
        }
        loop {
            if let Some(result) = self.decode_buffered() {
                self.body_deadline = None;
                return Poll::Ready(result.transpose());
            }
            if self.state.continue_owed() {
                self.state.continue_settled();
                self.out
                    .get_or_insert_with(buffers::take_out)
                    .extend_from_slice(CONTINUE);
            }
            let progress = match self.poll_write_out(cx) {
                Poll::Ready(Ok(())) => self.poll_read_more(cx, usize::MAX),
                Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
                Poll::Pending => Poll::Pending,
            };
            match progress {
                Poll::Ready(Ok(0)) => {
                    return Poll::Ready(Some(Err(self.state.fail(BodyError::Incomplete))))
                }
                Poll::Ready(Ok(_)) => self.body_deadline = None,
                Poll::Ready(Err(e)) => {
                    return Poll::Ready(Some(Err(self.state.fail(BodyError::Io(e)))))
                }
                Poll::Pending => {
                    let timeout = Duration::from_nanos(self.body_timeout_nanos);
                    let deadline = self.body_deadline.get_or_insert_with(|| {
                        let mut deadline = Box::new(Deadline::new());
                        deadline.set(Some(Instant::now() + timeout));
                        deadline
                    });
                    if deadline.poll(cx).is_ready() {
                        return Poll::Ready(Some(Err(self.state.fail(BodyError::TimedOut))));
                    }
                    return Poll::Pending;
                }
            }
        }
    }
}

impl<T: Transport> BodySource for RefCell<ConnIo<T>> {
    fn poll_chunk(
        &self,
        cx: &mut Context<'_>,
        exchange: u64,
    ) -> Poll<Option<Result<Bytes, BodyError>>> {
        self.borrow_mut().poll_body(cx, exchange)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every connection holds one `ConnIo` (in an `Rc<RefCell<_>>`): besides its transport,
    /// thirteen words. What only some connections need (a body deadline) is boxed.
    #[test]
    fn a_connections_io_state_stays_within_thirteen_words_besides_its_transport() {
        type Io = ConnIo<corio::net::TcpStream>;
        let besides = std::mem::size_of::<Io>() - std::mem::size_of::<corio::net::TcpStream>();
        assert!(besides <= 13 * 8, "{besides} bytes");
    }
}
