//! Message bodies: [`Body`] (a request body, read on demand) and [`ResponseBody`].
//!
//! A request body is not read until the handler asks: [`Body::chunk`] takes bytes already
//! buffered by the connection first, then reads the socket. Nothing is read ahead, so a slow
//! handler slows its client down (backpressure) instead of buffering the body in memory. If the
//! client sent `Expect: 100-continue` and is still waiting, the interim `100 Continue` goes
//! out on the first read. The framing rules (`Content-Length`, chunked) are proto's; a body
//! that ends early, is malformed, exceeds the size limit or stalls past the body timeout is an
//! error, and the connection is closed after the response.
//!
//! Reading is the connection's business: the body only names its source (the server's
//! connection, behind `BodySource`) and the exchange it belongs to. A body kept after its
//! exchange ended (the connection moved on to the next request) yields
//! [`BodyError::Incomplete`] rather than bytes of another request.

use std::fmt;
use std::future::poll_fn;
use std::io;
use std::path::PathBuf;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
use futures_core::Stream;

use crate::proto::ProtoError;

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

/// Where a request body comes from: the connection it arrives on (the server implements
/// it; see `server/conn_io.rs`).
pub(crate) trait BodySource {
    /// Polls for the next piece of the body of exchange `exchange` (`None` at its end).
    fn poll_chunk(
        &self,
        cx: &mut Context<'_>,
        exchange: u64,
    ) -> Poll<Option<Result<Bytes, BodyError>>>;
}

enum Inner {
    Empty,
    Full(Option<Bytes>),
    Incoming {
        source: Rc<dyn BodySource>,
        exchange: u64,
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

    /// The body of exchange `exchange` on a connection.
    pub(crate) fn incoming(source: Rc<dyn BodySource>, exchange: u64) -> Body {
        Body {
            inner: Inner::Incoming { source, exchange },
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
        match &mut self.inner {
            Inner::Empty => Poll::Ready(None),
            Inner::Full(bytes) => Poll::Ready(bytes.take().map(Ok)),
            Inner::Incoming { source, exchange } => source.poll_chunk(cx, *exchange),
        }
    }
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
