//! HTTP/2 (RFC 9113) on the `h2` crate: [`serve_h2`] serves one connection with the same
//! [`Handler`] as HTTP/1.1.
//!
//! HPACK, framing, flow-control accounting and stream states are h2's; corio adds what h2
//! leaves to its user: running handlers (in the driver's task, or as corio tasks of their own
//! when they wait: see `stream.rs`), bounding them, sending bodies only as fast as flow control
//! allows, the keep-alive PING, idle/send/drain timeouts and graceful
//! shutdown. h2 does its I/O through tokio's `AsyncRead`/`AsyncWrite` traits only (never a
//! tokio runtime); [`crate::compat::TokioIo`] provides them over any `futures-io` stream.
//!
//! | file | owns |
//! |---|---|
//! | `config.rs` | [`H2Config`]: limits and timeouts, defaults as named constants |
//! | `connection.rs` | the connection driver: phases, stream limit, PING, timeouts |
//! | `streams.rs` | the stream tasks of a connection (count, abort) |
//! | `stream.rs` | one stream: body, handler, response |
//! | `request.rs` | h2 request → [`Request`](crate::Request) |
//! | `recv_body.rs` | the request body streamed from h2 under flow control, its limit and timeout |
//! | `response.rs` | [`Response`](crate::Response) → h2 response head |
//! | `send_body.rs` | response bodies under flow control, the send timeout |
//! | `wake.rs` | the waker h2 gets: no wake-up of a driver by its own poll |
//! | `activity.rs` | the socket wrapper telling the driver about reads and blocked writes |
//! | `frames.rs` | the count of the client's HEADERS frames: when no new stream can be waiting |
//! | `preface.rs` | [`sniff`]: HTTP/2 or HTTP/1.1 on a cleartext port, from the first bytes |
//! | `rewind.rs` | [`Rewind`]: the sniffed bytes put back in front of the socket |
//!
//! The attacks HTTP/2 adds, and what stops each (tests in `tests/h2_attacks.rs`):
//!
//! - **rapid reset** (CVE-2023-44487): h2 ends the connection with `ENHANCE_YOUR_CALM` past
//!   `max_pending_accept_reset_streams` streams reset before being accepted; a reset stream's
//!   handler is dropped at once; at most `max_concurrent_streams` handler tasks run per
//!   connection, reset streams included.
//! - **CONTINUATION flood** (CVE-2024-27316): h2 bounds a header block by
//!   `max_header_list_size` and the number of CONTINUATION frames it may take (about
//!   list size / frame size + 25%), then ends the connection with `ENHANCE_YOUR_CALM`.
//! - **SETTINGS and PING floods**: h2 holds at most one unsent acknowledgement of each and
//!   reads no further frame until it is written; a client that floods without reading fills
//!   its socket and is dropped after `send_timeout`.
//! - **a client that never opens its window**: the server hands h2 only granted bytes, so
//!   nothing piles up; the stream is reset after `send_timeout` without window.

mod activity;
mod config;
mod connection;
mod frames;
mod preface;
mod recv_body;
mod request;
mod response;
mod rewind;
mod send_body;
mod stream;
mod streams;
mod wake;

use std::fmt;
use std::future::{poll_fn, Future};
use std::net::SocketAddr;
use std::rc::Rc;
use std::sync::Arc;

use bytes::Bytes;
use futures_io::{AsyncRead, AsyncWrite};

pub use config::*;
pub use preface::{sniff, Preface, PREFACE};
pub use rewind::Rewind;

use crate::compat::TokioIo;
use crate::server::handler::Handler;
use activity::{Activity, Watched};
use connection::Driver;
use stream::StreamContext;

/// Why a connection ended other than by closing normally.
#[derive(Debug)]
pub enum H2Error {
    /// No connection preface and SETTINGS within `handshake_timeout`.
    HandshakeTimedOut,
    /// h2 ended the connection: an I/O error, or a protocol error by the client (h2 sent a
    /// GOAWAY with the error code, e.g. `ENHANCE_YOUR_CALM` for a flood).
    Connection(h2::Error),
    /// The keep-alive PING was not acknowledged within `ping_timeout`.
    PingTimedOut,
    /// The socket took no bytes for `send_timeout`.
    SendStalled,
    /// Streams were still open `shutdown_grace` after the GOAWAY.
    DrainTimedOut,
}

impl fmt::Display for H2Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            H2Error::HandshakeTimedOut => f.write_str("no HTTP/2 preface in time"),
            H2Error::Connection(e) => write!(f, "HTTP/2 connection: {e}"),
            H2Error::PingTimedOut => f.write_str("keep-alive PING not acknowledged"),
            H2Error::SendStalled => f.write_str("the client stopped reading"),
            H2Error::DrainTimedOut => f.write_str("streams still open after the grace period"),
        }
    }
}

impl std::error::Error for H2Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            H2Error::Connection(e) => Some(e),
            _ => None,
        }
    }
}

/// Serves one HTTP/2 connection on `io` (a cleartext socket after the client's preface was
/// recognised, or a TLS stream that negotiated `h2`), answering each stream with `handler`.
///
/// `handler` is shared as the worker shares it (an `Arc`, as in the HTTP/1.1 accept path).
/// `peer` becomes [`Request::remote_addr`](crate::Request::remote_addr). When `shutdown`
/// completes, a GOAWAY tells the client to open no more streams; streams already open
/// finish (for up to `config.shutdown_grace`), then the connection closes. Returns when the
/// connection is over; dropping the future drops the connection and aborts its streams.
///
/// Must run on a corio loop: a stream whose handler or body has to wait runs as a task on it.
///
/// ```no_run
/// use std::sync::Arc;
/// use corio_http::server::http2::{serve_h2, H2Config};
/// use corio_http::{Request, Response};
///
/// corio::block_on(async {
///     let listener = corio::net::TcpListener::bind("127.0.0.1:8080").await.unwrap();
///     let handler = Arc::new(|_req: Request| async { Response::text("hello over h2") });
///     loop {
///         let (stream, peer) = listener.accept().await.unwrap();
///         let handler = handler.clone();
///         corio::spawn_local(async move {
///             let never = std::future::pending::<()>();
///             let _ = serve_h2(stream, Some(peer), handler, H2Config::default(), never).await;
///         });
///     }
/// });
/// ```
pub async fn serve_h2<T, H, S>(
    io: T,
    peer: Option<SocketAddr>,
    handler: Arc<H>,
    config: H2Config,
    shutdown: S,
) -> Result<(), H2Error>
where
    T: AsyncRead + AsyncWrite + Unpin,
    H: Handler,
    S: Future<Output = ()>,
{
    let activity = Activity::new();
    let io = TokioIo::new(Watched::new(io, activity.clone()));
    let handshake = config.builder().handshake::<_, Bytes>(io);
    let connection = match corio::time::timeout(config.handshake_timeout, handshake).await {
        Ok(Ok(connection)) => connection,
        Ok(Err(e)) => return Err(H2Error::Connection(e)),
        Err(_) => return Err(H2Error::HandshakeTimedOut),
    };
    let context = Rc::new(StreamContext::new(handler, peer, config));
    let mut driver = Driver::new(connection, activity, context, shutdown);
    poll_fn(|cx| driver.poll(cx)).await
}
