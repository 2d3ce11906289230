//! Which protocol a connection speaks, and handing it to HTTP/2.
//!
//! - **TLS**: ALPN decides (`tls.rs`); `h2` runs [`serve_h2`] over the TLS stream.
//! - **Cleartext**: the client's first bytes decide. The HTTP/1.1 driver makes its first read
//!   as always, and before parsing anything checks the bytes against the HTTP/2 connection
//!   preface (reading more, under the head timeout, while they are a proper prefix of it). If
//!   they are the preface, the driver hands the socket and the bytes back and
//!   [`serve_h2`] runs over [`Rewind`] (HTTP/2 with prior knowledge, RFC 9113 §3.3);
//!   otherwise the driver goes on with those bytes already in its buffer. The HTTP/1.1 path
//!   pays one branch per connection and no extra read. `Upgrade: h2c` is not offered (see
//!   ARCHITECTURE.md).
//!
//! Either way the connection keeps the registration the accept loop made: it counts against
//! the worker's connection limit, and graceful shutdown (the guard's) sends a GOAWAY, lets the
//! streams in flight finish, then closes.

use std::future::{poll_fn, Future};
use std::net::SocketAddr;
use std::rc::Rc;

use corio::net::TcpStream;
use futures_io::{AsyncRead, AsyncWrite};
use futures_util::FutureExt;

use super::conn::{serve, Http2Handoff, Start, WorkerContext};
use super::handler::Handler;
use super::http2::{serve_h2, H2Config, Rewind};
use super::shutdown::ConnectionGuard;

/// Serves a connection accepted on a cleartext port: HTTP/1.1, or HTTP/2 if it opens with
/// the preface.
///
/// Not an `async fn`, and no `async` block: either would keep a second copy of the HTTP/1.1
/// driver's future (or its arguments) next to the one being polled, a few hundred bytes more
/// in every connection's task. `then` holds one future at a time.
pub(crate) fn serve_cleartext<H: Handler>(
    stream: TcpStream,
    peer: SocketAddr,
    context: Rc<WorkerContext<H>>,
    guard: ConnectionGuard,
) -> impl Future<Output = ()> {
    serve(stream, peer, context, guard, Start::Sniff).then(|handoff| async move {
        if let Some(Http2Handoff {
            transport,
            read,
            guard,
            peer,
            context,
        }) = handoff
        {
            // Boxed: an HTTP/2 connection's state is about three times an HTTP/1.1 one's,
            // and inline it would enlarge the task of every connection on the port.
            Box::pin(serve_http2(
                Rewind::new(read, transport),
                peer,
                &context,
                guard,
            ))
            .await;
        }
    })
}

/// Serves an HTTP/2 connection until it ends; the guard's shutdown sends the GOAWAY.
pub(crate) async fn serve_http2<H: Handler, T: AsyncRead + AsyncWrite + Unpin>(
    io: T,
    peer: SocketAddr,
    context: &WorkerContext<H>,
    guard: ConnectionGuard,
) {
    let shutdown = poll_fn(|cx| guard.poll_shutdown(cx));
    let config = H2Config::from_server(&context.config);
    // Errors end the connection; h2 already told the client what it could (a GOAWAY).
    let _ = serve_h2(io, Some(peer), context.handler.clone(), config, shutdown).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Hello;

    impl Handler for Hello {
        type Future = std::future::Ready<crate::Response>;
        fn call(&self, _: crate::Request) -> Self::Future {
            std::future::ready(crate::Response::text("hello"))
        }
    }

    /// The size of the future `f` returns, without calling it.
    fn future_size<A, B, C, D, Fut, F: FnOnce(A, B, C, D) -> Fut>(_: F) -> usize {
        std::mem::size_of::<Fut>()
    }

    /// Memory per connection is a measured goal: every connection's task is a
    /// `serve_cleartext` future, and the HTTP/2 state it may need must not be inline in it.
    #[test]
    fn a_cleartext_connection_task_carries_no_http2_state_inline() {
        let cleartext = future_size(serve_cleartext::<Hello>);
        let http1 = future_size(
            |io: TcpStream, peer, context: Rc<WorkerContext<Hello>>, guard| {
                serve(io, peer, context, guard, Start::Sniff)
            },
        );
        let http2 = future_size(
            |io: Rewind<TcpStream>, peer, context: Rc<WorkerContext<Hello>>, guard| async move {
                serve_http2(io, peer, &context, guard).await
            },
        );
        // The wrapper adds a few words at most: no second copy of the HTTP/1.1 driver's
        // future or its arguments, and the HTTP/2 state behind a pointer.
        assert!(
            cleartext <= http1 + 64 && cleartext < http2,
            "cleartext task {cleartext} bytes, HTTP/1.1 {http1}, HTTP/2 {http2}"
        );
    }
}
