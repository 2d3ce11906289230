//! The accept loop of one worker.
//!
//! It accepts until shutdown, spawning one task per connection on this worker, detached:
//! nobody joins a connection, so its task keeps no join state. At the
//! per-worker connection limit it stops accepting (the kernel's backlog holds newcomers) until
//! a connection closes. When the process runs out of file descriptors (`EMFILE`, `ENFILE`) or
//! memory, it pauses for [`ACCEPT_BACKOFF`] rather than spinning on a listener that stays
//! readable, and resumes when descriptors free up. After [`ACCEPT_BURST`] connections in a row
//! it yields, so a connection flood cannot starve the connections already being served.

use std::future::{poll_fn, Future};
use std::io;
use std::rc::Rc;
use std::task::Poll;

use corio::net::TcpListener;

use super::config::ACCEPT_BACKOFF;
use super::conn::WorkerContext;
use super::dispatch::serve_cleartext;
use super::handler::Handler;
use super::tls::serve_tls_connection;
use crate::tls::TlsConfig;

/// Connections accepted in a row before the accept loop yields to other tasks.
const ACCEPT_BURST: usize = 64;

/// Accepts connections until shutdown begins; with `tls`, each connection's task runs its
/// handshake first (see `tls.rs`), without, its first bytes choose HTTP/1.1 or HTTP/2 (see
/// `dispatch.rs`).
pub(crate) async fn accept_loop<H: Handler>(
    listener: &TcpListener,
    context: Rc<WorkerContext<H>>,
    tls: Option<TlsConfig>,
) {
    let tracker = context.tracker.clone();
    let limit = context.config.max_connections_per_worker;
    let mut burst = 0;
    let mut warned = false;
    loop {
        if tracker.active() >= limit {
            tracker.wait_for_capacity(limit).await;
        }
        if tracker.shutting_down() {
            return;
        }
        let accepted = poll_fn(|cx| match listener.poll_accept(cx) {
            Poll::Ready(result) => Poll::Ready(Some(result)),
            Poll::Pending => tracker.poll_acceptor(cx).map(|()| None),
        })
        .await;
        match accepted {
            None => {}
            Some(Ok((stream, peer))) => {
                warned = false;
                // Registered here, not in the connection's task: the task only runs later,
                // and the limit check above must already count this connection.
                // A TLS handshake under way holds its slot too.
                let guard = tracker.register();
                match &tls {
                    None => {
                        let task = serve_cleartext(stream, peer, context.clone(), guard);
                        corio::task::spawn_local_detached(task);
                    }
                    Some(tls) => {
                        let task =
                            serve_tls_connection(stream, peer, context.clone(), guard, tls.clone());
                        corio::task::spawn_local_detached(task);
                    }
                }
                burst += 1;
                if burst >= ACCEPT_BURST {
                    burst = 0;
                    corio::yield_now().await;
                }
            }
            Some(Err(e)) if is_transient(&e) => {}
            Some(Err(e)) => {
                if !warned {
                    eprintln!(
                        "corio: accept failed ({e}); pausing {} ms",
                        ACCEPT_BACKOFF.as_millis()
                    );
                    warned = true;
                }
                let pause = corio::time::sleep(ACCEPT_BACKOFF);
                let mut pause = std::pin::pin!(pause);
                poll_fn(|cx| {
                    if pause.as_mut().poll(cx).is_ready() {
                        return Poll::Ready(());
                    }
                    tracker.poll_acceptor(cx)
                })
                .await;
            }
        }
    }
}

/// Errors that concern one connection only (it was reset before we accepted it).
fn is_transient(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::Interrupted
    ) || e.raw_os_error() == Some(rustix::io::Errno::PROTO.raw_os_error())
}
