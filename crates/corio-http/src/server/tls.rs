//! Serving a connection over TLS: the handshake in the connection's task, then the driver
//! over the TLS stream.
//!
//! The accept loop registers the connection with the worker's tracker before spawning this
//! task, so a handshake under way holds a connection slot: a flood of half-open handshakes
//! meets the per-worker connection limit like a flood of idle connections.
//!
//! The handshake (and the cleartext check before it, see [`TlsConfig::accept`]) must finish
//! within the head timeout: a client stalling mid-handshake (half a ClientHello, say) is
//! closed as one stalling mid-head is. The first request's head then gets its own head
//! timeout, counted from the end of the handshake. A handshake still under way when graceful
//! shutdown begins is dropped: no request was made on it yet, so, as an idle keep-alive
//! connection, it is closed rather than waited for.
//!
//! After the handshake the protocol is the one ALPN chose: `http/1.1` (or no ALPN) runs the
//! HTTP/1.1 driver over the TLS stream ([`Transport`] below); `h2` runs
//! [`serve_h2`](super::http2::serve_h2) over it (`dispatch.rs`). A file body cannot use `sendfile(2)` through userspace TLS, so it streams
//! through the output buffer ([`Transport::as_tcp`] is `None`). Closing the transport sends
//! `close_notify`, then the TCP FIN.

use std::future::{poll_fn, Future};
use std::io::{self, IoSlice};
use std::net::SocketAddr;
use std::pin::{pin, Pin};
use std::rc::Rc;
use std::task::{Context, Poll};

use corio::net::TcpStream;
use futures_io::{AsyncRead, AsyncWrite};
use futures_rustls::server::TlsStream;

use super::conn::{serve_connection, WorkerContext};
use super::dispatch::serve_http2;
use super::handler::Handler;
use super::shutdown::ConnectionGuard;
use super::transport::Transport;
use crate::tls::TlsConfig;

/// The application protocol a handshake settled on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Protocol {
    /// ALPN `http/1.1`, or a client that offered no ALPN.
    Http1,
    /// ALPN `h2`.
    Http2,
}

impl Protocol {
    fn of(tls: &TlsStream<TcpStream>) -> Protocol {
        match tls.get_ref().1.alpn_protocol() {
            Some(crate::tls::ALPN_H2) => Protocol::Http2,
            _ => Protocol::Http1,
        }
    }
}

/// How the handshake phase ended.
enum Handshake {
    Done(Box<TlsStream<TcpStream>>),
    Refused,
    TimedOut,
    Shutdown,
}

/// Runs the TLS handshake of a newly accepted connection, then serves it. `guard` is the
/// connection's registration, held from the accept on.
pub(crate) async fn serve_tls_connection<H: Handler>(
    stream: TcpStream,
    peer: SocketAddr,
    context: Rc<WorkerContext<H>>,
    guard: ConnectionGuard,
    tls: TlsConfig,
) {
    // The handshake's flights are small and answered at once: Nagle would only delay them.
    let _ = stream.set_nodelay(true);
    let handshake = {
        let mut accept = pin!(tls.accept(stream));
        let mut timeout = pin!(corio::time::sleep(context.config.head_timeout));
        poll_fn(|cx| {
            if let Poll::Ready(result) = accept.as_mut().poll(cx) {
                return Poll::Ready(match result {
                    Ok(stream) => Handshake::Done(Box::new(stream)),
                    Err(_) => Handshake::Refused,
                });
            }
            if guard.poll_shutdown(cx).is_ready() {
                return Poll::Ready(Handshake::Shutdown);
            }
            if timeout.as_mut().poll(cx).is_ready() {
                return Poll::Ready(Handshake::TimedOut);
            }
            Poll::Pending
        })
        .await
    };
    let stream = match handshake {
        Handshake::Done(stream) => *stream,
        // Nothing to answer: the peer left, spoke cleartext (answered already), failed the
        // handshake (rustls sent its alert), stalled, or the server is shutting down.
        Handshake::Refused | Handshake::TimedOut | Handshake::Shutdown => return,
    };
    match Protocol::of(&stream) {
        Protocol::Http1 => serve_connection(stream, peer, context, guard).await,
        // Boxed, as on a cleartext port (`dispatch.rs`): inline, the larger HTTP/2 state
        // would enlarge every HTTP/1.1 connection's task.
        Protocol::Http2 => Box::pin(serve_http2(stream, peer, &context, guard)).await,
    }
}

impl Transport for TlsStream<TcpStream> {
    #[inline]
    fn poll_read(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        AsyncRead::poll_read(Pin::new(self), cx, buf)
    }

    #[inline]
    fn poll_write(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        AsyncWrite::poll_write(Pin::new(self), cx, buf)
    }

    #[inline]
    fn poll_write_vectored(
        &mut self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        AsyncWrite::poll_write_vectored(Pin::new(self), cx, bufs)
    }

    #[inline]
    fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        AsyncWrite::poll_flush(Pin::new(self), cx)
    }

    /// Sends `close_notify` (once), writes any records still buffered, then shuts the TCP
    /// write side down.
    fn poll_close(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        AsyncWrite::poll_close(Pin::new(self), cx)
    }

    fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.get_ref().0.peer_addr()
    }

    /// `None`: the bytes are encrypted on their way, `sendfile(2)` cannot be used.
    fn as_tcp(&self) -> Option<&TcpStream> {
        None
    }
}
