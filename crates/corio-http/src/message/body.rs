//! Message bodies: [`Body`] (a request body, read on demand) and [`ResponseBody`].
//!
//! A request body is not read until the handler asks: [`Body::chunk`] takes bytes already
//! buffered by the connection first, then reads the socket. Nothing is read ahead, so a slow
//! handler slows its client down (backpressure) instead of buffering the body in memory. If the
//! client sent `Expect: 100-continue`, the interim `100 Continue` goes out on the first read.
//! The framing rules (`Content-Length`, chunked) are proto's; a body that ends early, is
//! malformed, exceeds the size limit or stalls past the body timeout is an error, and the
//! connection is closed after the response.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::future::{poll_fn, Future};
use std::io;
use std::path::PathBuf;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use corio::net::TcpStream;
use corio::time::{sleep_until, Sleep};
use futures_core::Stream;

use crate::proto::{ChunkedDecoder, ProtoError};
use crate::server::buffers::ReadBuf;

/// The interim response sent before the first body read when the client expects it.
const CONTINUE: &[u8] = b"HTTP/1.1 100 Continue\r\n\r\n";

/// Why a request body could not be read.
#[derive(Debug)]
pub enum BodyError {
    /// The body violated the framing rules or a limit (the status says which).
    Protocol(ProtoError),
    /// The client closed the connection before the end of the body.
    Incomplete,
    /// No body bytes arrived within the body timeout.
    TimedOut,
    /// A socket error.
    Io(io::Error),
}

impl BodyError {
    /// The status a server answers with.
    pub fn status(&self) -> http::StatusCode {
        match self {
            BodyError::Protocol(e) => {
                http::StatusCode::from_u16(e.status()).unwrap_or(http::StatusCode::BAD_REQUEST)
            }
            BodyError::TimedOut => http::StatusCode::REQUEST_TIMEOUT,
            BodyError::Incomplete | BodyError::Io(_) => http::StatusCode::BAD_REQUEST,
        }
    }
}

impl fmt::Display for BodyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BodyError::Protocol(e) => write!(f, "invalid body: {e}"),
            BodyError::Incomplete => f.write_str("the client closed the connection mid-body"),
            BodyError::TimedOut => f.write_str("timed out reading the body"),
            BodyError::Io(e) => write!(f, "reading the body: {e}"),
        }
    }
}

impl std::error::Error for BodyError {}

/// What is left of the body being read on a connection.
#[derive(Debug)]
pub(crate) enum BodyState {
    /// Nothing (left) to read.
    Done,
    /// This many bytes of a `Content-Length` body.
    Length(u64),
    /// A chunked body.
    Chunked(Box<ChunkedDecoder>),
    /// Reading failed; the connection must close.
    Failed,
}

/// The read side of a connection, shared by the connection driver and the request body.
pub(crate) struct Incoming {
    pub(crate) stream: TcpStream,
    /// Bytes read but not consumed yet (`None`: no buffer held, the idle case).
    pub(crate) read: RefCell<Option<ReadBuf>>,
    pub(crate) state: RefCell<BodyState>,
    /// `Some(n)`: a `100 Continue` is owed, `n` bytes of it already sent.
    pub(crate) continue_sent: Cell<Option<usize>>,
    pub(crate) body_timeout: Duration,
}

impl Incoming {
    pub(crate) fn new(stream: TcpStream, body_timeout: Duration) -> Incoming {
        Incoming {
            stream,
            read: RefCell::new(None),
            state: RefCell::new(BodyState::Done),
            continue_sent: Cell::new(None),
            body_timeout,
        }
    }

    /// Whether the current body was read to its end.
    pub(crate) fn body_done(&self) -> bool {
        matches!(*self.state.borrow(), BodyState::Done)
    }

    fn poll_continue(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while let Some(sent) = self.continue_sent.get() {
            match self.stream.poll_write_buf(cx, &CONTINUE[sent..]) {
                Poll::Ready(Ok(0)) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                Poll::Ready(Ok(n)) if sent + n == CONTINUE.len() => self.continue_sent.set(None),
                Poll::Ready(Ok(n)) => self.continue_sent.set(Some(sent + n)),
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            }
        }
        Poll::Ready(Ok(()))
    }

    /// Decodes the next piece of body from the buffer; `None` if more input is needed.
    fn decode_buffered(&self) -> Option<Result<Option<Bytes>, BodyError>> {
        let mut state = self.state.borrow_mut();
        let mut read = self.read.borrow_mut();
        let buf = read.as_mut().filter(|b| !b.is_empty());
        match &mut *state {
            BodyState::Done => Some(Ok(None)),
            BodyState::Failed => Some(Err(BodyError::Incomplete)),
            BodyState::Length(remaining) => {
                let buf = buf?;
                let n = (*remaining).min(buf.filled().len() as u64) as usize;
                let data = Bytes::copy_from_slice(&buf.filled()[..n]);
                buf.consume(n);
                *remaining -= n as u64;
                if *remaining == 0 {
                    *state = BodyState::Done;
                }
                Some(Ok(Some(data)))
            }
            BodyState::Chunked(decoder) => {
                let buf = buf?;
                loop {
                    let input = buf.filled();
                    if input.is_empty() {
                        return None;
                    }
                    match decoder.decode(input) {
                        Ok(decoded) => {
                            let data = (!decoded.data.is_empty())
                                .then(|| Bytes::copy_from_slice(&input[decoded.data.clone()]));
                            buf.consume(decoded.consumed);
                            if decoded.done {
                                *state = BodyState::Done;
                                return Some(Ok(data));
                            }
                            if data.is_some() {
                                return Some(Ok(data));
                            }
                            if decoded.consumed == 0 {
                                return None;
                            }
                        }
                        Err(e) => {
                            *state = BodyState::Failed;
                            return Some(Err(BodyError::Protocol(e)));
                        }
                    }
                }
            }
        }
    }

    /// Reads more bytes from the socket into the buffer. `Ok(0)` is end of stream.
    fn poll_fill(&self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let mut read = self.read.borrow_mut();
        let buf = read.get_or_insert_with(ReadBuf::take);
        let spare = buf.spare(usize::MAX);
        let result = self.stream.poll_read_buf(cx, spare);
        if let Poll::Ready(Ok(n)) = result {
            buf.advance_end(n);
        }
        result
    }
}

enum Inner {
    Empty,
    Full(Option<Bytes>),
    Incoming {
        conn: Rc<Incoming>,
        timer: Option<Sleep>,
    },
}

/// A request body, read on demand. See the module docs.
pub struct Body {
    inner: Inner,
}

impl Body {
    /// An empty body.
    pub fn empty() -> Body {
        Body {
            inner: Inner::Empty,
        }
    }

    /// A body already in memory.
    pub fn from_bytes(bytes: Bytes) -> Body {
        Body {
            inner: Inner::Full((!bytes.is_empty()).then_some(bytes)),
        }
    }

    pub(crate) fn incoming(conn: Rc<Incoming>) -> Body {
        Body {
            inner: Inner::Incoming { conn, timer: None },
        }
    }

    /// The next piece of the body; `None` at its end.
    pub async fn chunk(&mut self) -> Option<Result<Bytes, BodyError>> {
        poll_fn(|cx| self.poll_chunk(cx)).await
    }

    /// Reads the whole body, refusing more than `limit` bytes (`413`-worthy
    /// [`ProtoError::BodyTooLarge`]).
    pub async fn to_bytes(&mut self, limit: usize) -> Result<Bytes, BodyError> {
        let mut out = BytesMut::new();
        while let Some(chunk) = self.chunk().await {
            let chunk = chunk?;
            if out.len() + chunk.len() > limit {
                return Err(BodyError::Protocol(ProtoError::BodyTooLarge));
            }
            out.extend_from_slice(&chunk);
        }
        Ok(out.freeze())
    }

    /// Polls for the next piece of the body.
    pub fn poll_chunk(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Bytes, BodyError>>> {
        let (conn, timer) = match &mut self.inner {
            Inner::Empty => return Poll::Ready(None),
            Inner::Full(bytes) => return Poll::Ready(bytes.take().map(Ok)),
            Inner::Incoming { conn, timer } => (conn, timer),
        };
        loop {
            if let Some(result) = conn.decode_buffered() {
                *timer = None;
                return Poll::Ready(result.transpose());
            }
            match conn.poll_continue(cx) {
                Poll::Ready(Ok(())) => {}
                Poll::Ready(Err(e)) => return Poll::Ready(Some(Err(fail(conn, BodyError::Io(e))))),
                Poll::Pending => return Poll::Pending,
            }
            match conn.poll_fill(cx) {
                Poll::Ready(Ok(0)) => {
                    return Poll::Ready(Some(Err(fail(conn, BodyError::Incomplete))))
                }
                Poll::Ready(Ok(_)) => *timer = None,
                Poll::Ready(Err(e)) => return Poll::Ready(Some(Err(fail(conn, BodyError::Io(e))))),
                Poll::Pending => {
                    let timer = timer
                        .get_or_insert_with(|| sleep_until(Instant::now() + conn.body_timeout));
                    if Pin::new(timer).poll(cx).is_ready() {
                        return Poll::Ready(Some(Err(fail(conn, BodyError::TimedOut))));
                    }
                    return Poll::Pending;
                }
            }
        }
    }
}

fn fail(conn: &Incoming, error: BodyError) -> BodyError {
    *conn.state.borrow_mut() = BodyState::Failed;
    error
}

impl Stream for Body {
    type Item = Result<Bytes, BodyError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_chunk(cx)
    }
}

impl fmt::Debug for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.inner {
            Inner::Empty => f.write_str("Body::Empty"),
            Inner::Full(bytes) => write!(f, "Body::Full({:?})", bytes.as_ref().map(Bytes::len)),
            Inner::Incoming { .. } => f.write_str("Body::Incoming"),
        }
    }
}

/// A stream of response body pieces.
pub type BodyStream = Pin<Box<dyn Stream<Item = io::Result<Bytes>>>>;

/// The body of a [`Response`](super::Response).
pub enum ResponseBody {
    /// No body.
    Empty,
    /// A body in memory.
    Bytes(Bytes),
    /// A body produced piece by piece: sent chunked (HTTP/1.1) unless the response has a
    /// `Content-Length`, or delimited by closing the connection (HTTP/1.0).
    Stream(BodyStream),
    /// A byte range of a file, sent with `sendfile(2)`.
    File {
        /// The open file.
        file: std::fs::File,
        /// The first byte to send.
        offset: u64,
        /// How many bytes to send.
        len: u64,
        /// The path, for error messages.
        path: PathBuf,
    },
}

impl ResponseBody {
    /// The body length, if known without consuming it.
    pub fn len(&self) -> Option<u64> {
        match self {
            ResponseBody::Empty => Some(0),
            ResponseBody::Bytes(bytes) => Some(bytes.len() as u64),
            ResponseBody::Stream(_) => None,
            ResponseBody::File { len, .. } => Some(*len),
        }
    }

    /// Whether the body is known to be empty.
    pub fn is_empty(&self) -> bool {
        self.len() == Some(0)
    }
}

impl fmt::Debug for ResponseBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ResponseBody::Empty => f.write_str("Empty"),
            ResponseBody::Bytes(bytes) => write!(f, "Bytes({} bytes)", bytes.len()),
            ResponseBody::Stream(_) => f.write_str("Stream"),
            ResponseBody::File {
                path, offset, len, ..
            } => {
                write!(f, "File({}, {offset}+{len})", path.display())
            }
        }
    }
}

impl From<Bytes> for ResponseBody {
    fn from(bytes: Bytes) -> Self {
        ResponseBody::Bytes(bytes)
    }
}

impl From<&'static str> for ResponseBody {
    fn from(text: &'static str) -> Self {
        ResponseBody::Bytes(Bytes::from_static(text.as_bytes()))
    }
}

impl From<String> for ResponseBody {
    fn from(text: String) -> Self {
        ResponseBody::Bytes(Bytes::from(text))
    }
}

impl From<Vec<u8>> for ResponseBody {
    fn from(bytes: Vec<u8>) -> Self {
        ResponseBody::Bytes(Bytes::from(bytes))
    }
}

impl From<()> for ResponseBody {
    fn from((): ()) -> Self {
        ResponseBody::Empty
    }
}
