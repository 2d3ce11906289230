//! [`Conn`]: one client connection with its reusable read and write buffers.
//!
//! Invariants:
//! - the read buffer is allocated (and zeroed) once per connection and reused for every
//!   response: `buf[start..end]` are the received, unconsumed bytes; bytes before `start` are
//!   free; the buffer only grows when a single response head does not fit, and never beyond
//!   [`MAX_BUFFER`];
//! - a request is written with one `write` call when it fits in the socket buffer: head and
//!   small bodies are copied together into the reused write buffer, larger bodies go out with
//!   one vectored write of head and body;
//! - a request without a body or fields of its own that repeats the connection's last one
//!   (method, URL, version) is not encoded again: the write buffer still holds its head (a
//!   load generator's requests are all alike);
//! - every read that waits is bounded by the read timeout, if one is set, counted from when
//!   it started waiting; the connection keeps one lazily re-armed timer for it
//!   ([`ReadDeadline`]), not one per read;
//! - the stream is cleartext or TLS ([`Stream`]); over TLS, an end of stream without
//!   `close_notify` is an error, never a clean end of a close-delimited body.

use std::future::{poll_fn, Future};
use std::io;
use std::pin::pin;
use std::task::Poll;
use std::time::{Duration, Instant};

use http::Method;

use super::deadline::ReadDeadline;
use super::error::{Error, ErrorKind, TimeoutKind};
use super::request::{encode_head, Parts};
use super::stream::Stream;
use crate::proto::Version;

/// Initial read buffer: holds a typical response head plus a small body, so a small
/// keep-alive response takes one read.
pub(crate) const READ_BUFFER: usize = 16 * 1024;
/// Largest read buffer: enough for the largest head the default limits allow (start line
/// plus header section); body data never needs more than the initial buffer.
pub(crate) const MAX_BUFFER: usize = 96 * 1024;
/// Bodies up to this size are copied behind the head so the request is a single write.
pub(crate) const COPY_BODY_MAX: usize = 16 * 1024;

/// Outcome of [`Conn::fill`].
pub(crate) enum Fill {
    /// Bytes were appended to the unread data.
    Data,
    /// The server closed its side.
    Eof,
}

/// A client connection.
#[derive(Debug)]
pub(crate) struct Conn {
    stream: Stream,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    wbuf: Vec<u8>,
    /// The request whose head alone `wbuf` holds, if it can be sent again as it is.
    repeatable: Option<Repeatable>,
    /// The read timeout's timer.
    deadline: ReadDeadline,
    /// How many responses were fully read on this connection.
    pub(crate) responses: u32,
}

impl Conn {
    pub(crate) fn new(stream: Stream) -> Conn {
        Conn {
            stream,
            buf: vec![0; READ_BUFFER],
            start: 0,
            end: 0,
            wbuf: Vec::with_capacity(1024),
            repeatable: None,
            deadline: ReadDeadline::default(),
            responses: 0,
        }
    }

    /// Whether this connection already carried a response (so the server may have closed it
    /// while it sat idle).
    pub(crate) fn is_reused(&self) -> bool {
        self.responses > 0
    }

    /// The received bytes not consumed yet.
    pub(crate) fn unread(&self) -> &[u8] {
        &self.buf[self.start..self.end]
    }

    /// The bytes in `range` of the buffer (as returned by a body reader).
    pub(crate) fn slice(&self, range: std::ops::Range<usize>) -> &[u8] {
        &self.buf[range]
    }

    /// Marks `n` unread bytes consumed; returns their buffer range.
    pub(crate) fn consume(&mut self, n: usize) -> std::ops::Range<usize> {
        debug_assert!(n <= self.end - self.start);
        let range = self.start..self.start + n;
        self.start += n;
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        }
        range
    }

    /// Puts the head of the request `parts` describes in the write buffer (left as it is when
    /// it holds that head already). The client's user agent, the one field `parts` adds, is
    /// the same for every request of a connection: its pool belongs to one client.
    pub(crate) fn encode_head(&mut self, parts: &Parts<'_>) {
        let alone = parts.headers.is_empty() && parts.body_len == 0;
        if alone && self.repeatable.as_ref().is_some_and(|r| r.is(parts)) {
            return;
        }
        self.wbuf.clear();
        encode_head(&mut self.wbuf, parts);
        if !alone {
            self.repeatable = None;
            return;
        }
        match &mut self.repeatable {
            Some(repeatable) => {
                repeatable.method = parts.method.clone();
                repeatable.url.clear();
                repeatable.url.push_str(parts.url.as_str());
                repeatable.version = parts.version;
            }
            None => {
                self.repeatable = Some(Repeatable {
                    method: parts.method.clone(),
                    url: parts.url.as_str().to_owned(),
                    version: parts.version,
                })
            }
        }
    }

    /// Sends the encoded head (in the write buffer) followed by `body`.
    pub(crate) async fn send(&mut self, body: &[u8]) -> io::Result<()> {
        if body.len() <= COPY_BODY_MAX {
            if !body.is_empty() {
                // The buffer no longer holds a head alone.
                self.repeatable = None;
            }
            self.wbuf.extend_from_slice(body);
            return self.stream.write_all(&self.wbuf).await;
        }
        self.stream.write_all_pair(&self.wbuf, body).await
    }

    /// Reads more bytes from the socket, making room first (compacting, or growing up to
    /// [`MAX_BUFFER`] when the unread bytes fill the buffer).
    pub(crate) async fn fill(
        &mut self,
        timeout: Option<Duration>,
        url: &str,
    ) -> Result<Fill, Error> {
        if self.end == self.buf.len() {
            if self.start > 0 {
                self.buf.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
            } else if self.buf.len() < MAX_BUFFER {
                let len = (self.buf.len() * 2).min(MAX_BUFFER);
                self.buf.resize(len, 0);
            } else {
                // Only a head can need this much, and the parser's limits stop it first.
                return Err(Error::new(
                    ErrorKind::InvalidResponse(crate::proto::ProtoError::HeaderSectionTooLarge),
                    url,
                ));
            }
        }
        let buf = &mut self.buf[self.end..];
        let read = match timeout {
            Some(t) => {
                // The read is polled before the deadline, so data already there costs
                // neither a clock read nor timer work; the deadline is set when it first waits.
                let mut read = pin!(self.stream.read(buf));
                let deadline = &mut self.deadline;
                let mut at = None;
                let read = poll_fn(|cx| {
                    if let Poll::Ready(r) = read.as_mut().poll(cx) {
                        return Poll::Ready(Some(r));
                    }
                    let at = *at.get_or_insert_with(|| Instant::now() + t);
                    deadline.poll(at, cx).map(|()| None)
                })
                .await;
                match read {
                    Some(r) => r,
                    None => return Err(Error::new(ErrorKind::Timeout(TimeoutKind::Read), url)),
                }
            }
            None => self.stream.read(buf).await,
        };
        match read {
            Ok(0) => Ok(Fill::Eof),
            Ok(n) => {
                self.end += n;
                Ok(Fill::Data)
            }
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof && self.stream.is_tls() => Err(
                Error::new(ErrorKind::Io(io::ErrorKind::UnexpectedEof), url).with_source(
                    "connection closed without TLS close_notify (the response may be truncated)",
                ),
            ),
            Err(e) => Err(Error::io(url, e)),
        }
    }
}

/// What a head alone in the write buffer was encoded from (see [`Conn::encode_head`]).
#[derive(Debug)]
struct Repeatable {
    method: Method,
    url: String,
    version: Version,
}

impl Repeatable {
    /// Whether a request without fields or body described by `parts` has this head.
    fn is(&self, parts: &Parts<'_>) -> bool {
        self.method == *parts.method
            && self.version == parts.version
            && self.url == parts.url.as_str()
    }
}
