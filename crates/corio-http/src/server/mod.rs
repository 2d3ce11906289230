//! The HTTP/1.1 server: [`Server`] runs a [`Handler`] on one event loop per core.
//!
//! Layout, one concept per file:
//!
//! | file | owns |
//! |---|---|
//! | `mod.rs` | [`Server`] (binding, workers) and [`RunningServer`] (shutdown, wait) |
//! | `config.rs` | [`ServerConfig`]: limits and timeouts, defaults as named constants |
//! | `accept.rs` | the accept loop: connection limit, `EMFILE` back-off |
//! | `conn.rs` | the connection driver: pipelining, timeouts, handler calls, unread bodies |
//! | `state.rs` | the connection state machine (sans I/O): body progress, `100 Continue`, keep-alive |
//! | `conn_io.rs` | the connection's I/O shared with the request body: buffers, body reads, interim responses |
//! | `transport.rs` | [`Transport`]: the byte stream the driver is generic over (TCP, TLS) |
//! | `dispatch.rs` | HTTP/2 or HTTP/1.1: the preface on a cleartext port, ALPN over TLS; [`http2::serve_h2`] under the worker's shutdown |
//! | `tls.rs` | a TLS connection: the handshake under the head timeout, ALPN, the TLS [`Transport`] |
//! | `respond.rs` | response framing and writing: buffered, streamed, `sendfile` |
//! | `buffers.rs` | per-worker pools of read and output buffers |
//! | `shutdown.rs` | graceful shutdown and connection accounting |
//! | `clock.rs` | the cached `Date` header |
//! | `access_log.rs` | the access log on stderr: Common, Combined or JSON lines |
//! | `handler.rs` | the [`Handler`] trait |
//! | `handler_fn.rs` | [`IntoHandler`]: async functions of extractors as route handlers |
//! | `extract.rs` | extractors: [`State`], [`Path`], [`Query`], bodies; [`Rejection`] |
//! | `path_params.rs` | the serde deserializer behind [`Path`] |
//! | `json.rs` | [`Json`]: JSON bodies in and out |
//! | `middleware.rs` | `layer`, `map_request`, `map_response` and [`Next`] |
//! | `tower.rs` | tower interop: [`HandlerService`], [`TowerHandler`] |
//! | `router.rs` | [`Router`]: method + path with `:params`, mounts, state, fallbacks |
//! | `files.rs` | [`StaticFiles`]: the static-file handler over [`crate::static_files`] |
//! | `http2/` | [`http2::serve_h2`]: one HTTP/2 connection on the `h2` crate, same handlers |
//!
//! One listening socket is bound, without `SO_REUSEPORT`, so binding an address already in use
//! fails with `AddrInUse` (an "address in use" error naming the address), and no other socket
//! can join this one later, whatever its options: a second `corio serve` on the same port is
//! refused in either order, instead of the kernel splitting connections between two servers.
//! Port sharing is for the workers of one server only: each worker gets a duplicate of that
//! descriptor (`dup`), registers it with its own event loop, accepts on it and serves its
//! connections itself; nothing else is shared between workers but the handler. Port 0 works
//! with any number of workers: they all accept on the port the one socket got.
//!
//! The workers share one accept queue (as nginx's workers share their listening sockets): a
//! new connection wakes every idle worker, one accepts it and the others find the queue
//! empty. `SO_REUSEPORT` would give each worker its own queue, but a port-sharing group cannot
//! be closed to sockets of other processes of the same user, which is the bug this avoids.
//!
//! ```
//! use corio_http::{Request, Response, Server};
//!
//! let server = Server::bind("127.0.0.1:0".parse().unwrap())
//!     .workers(1)
//!     .start(|_req: Request| async { Response::text("Hello, World!") })
//!     .unwrap();
//! let addr = server.local_addr();
//! // ... talk to `addr` ...
//! server.shutdown();
//! server.wait().unwrap();
//! ```

mod accept;
pub(crate) mod access_log;
pub(crate) mod buffers;
mod clock;
mod config;
mod conn;
mod conn_io;
mod dispatch;
mod extract;
mod files;
mod handler;
mod handler_fn;
pub mod http2;
mod json;
pub mod middleware;
mod path_params;
mod respond;
mod router;
mod shutdown;
mod state;
mod tls;
mod tower;
mod transport;

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::rc::Rc;
use std::sync::Arc;

use corio::net::{SharedListener, TcpListener};
use corio::{JoinHandle, Runtime};

pub use config::*;
pub use extract::{
    ExtractFuture, FromRequest, FromRequestParts, Path, Query, Rejection, State, ViaBody, ViaParts,
    ViaRequest, DEFAULT_BODY_LIMIT,
};
pub use files::{FilesFuture, StaticFiles};
pub use handler::{BoxResponseFuture, Handler};
pub use handler_fn::IntoHandler;
pub use json::Json;
pub use middleware::Next;
pub use path_params::PathError;
pub use router::Router;
pub use shutdown::ShutdownSignal;
pub use tower::{BufferedBody, HandlerService, TowerHandler};
pub use transport::Transport;

use conn::WorkerContext;
use shutdown::Tracker;

use crate::tls::TlsConfig;

/// Configures and starts a server. See the module docs.
#[derive(Debug, Clone)]
pub struct Server {
    addr: SocketAddr,
    /// `None`: the runtime's default, one per available core (counted only then).
    workers: Option<usize>,
    pin_to_cores: bool,
    config: ServerConfig,
    tls: Option<TlsConfig>,
}

impl Server {
    /// A server for `addr` (port 0 picks a free port), with one worker per core.
    pub fn bind(addr: SocketAddr) -> Server {
        Server {
            addr,
            workers: None,
            pin_to_cores: false,
            config: ServerConfig::default(),
            tls: None,
        }
    }

    /// The number of worker loops (threads).
    pub fn workers(mut self, workers: usize) -> Server {
        self.workers = Some(workers.max(1));
        self
    }

    /// Pins worker `i` to core `i`.
    pub fn pin_to_cores(mut self, pin: bool) -> Server {
        self.pin_to_cores = pin;
        self
    }

    /// Limits and timeouts.
    pub fn config(mut self, config: ServerConfig) -> Server {
        self.config = config;
        self
    }

    /// Serves HTTPS only, with `tls` (from PEM files, [`TlsConfig::from_pem_files`], or a
    /// rustls configuration, [`TlsConfig::from_rustls`]). Each connection's handshake runs in
    /// its own task under the head timeout and counts toward the connection limit; cleartext
    /// HTTP gets a `400`; graceful shutdown sends `close_notify`. When the configuration has
    /// reloadable certificates ([`TlsConfig::cert_store`]), `SIGHUP` reloads them (see
    /// [`Server::start`]).
    pub fn tls(mut self, tls: TlsConfig) -> Server {
        self.tls = Some(tls);
        self
    }

    /// Binds the listener (errors such as "address in use" surface here, with the
    /// [`io::ErrorKind::AddrInUse`] kind) and starts the workers, each on a duplicate of it
    /// (see the module docs). The server runs until [`RunningServer::shutdown`].
    ///
    /// With [`Server::tls`] and reloadable certificates, the `SIGHUP` handler is installed
    /// before this returns (on worker 0's loop): from then on a `SIGHUP` reloads the
    /// certificates instead of ending the process (see [`crate::tls::CertStore`]).
    pub fn start<H: Handler>(self, handler: H) -> io::Result<RunningServer> {
        let shared = bind_shared(self.addr)?;
        let local_addr = shared.local_addr()?;
        let mut builder = Runtime::builder();
        if let Some(workers) = self.workers {
            builder = builder.workers(workers);
        }
        let runtime = builder
            .pin_to_cores(self.pin_to_cores)
            .thread_name("corio-http")
            .build()?;
        if let Some(store) = self.tls.as_ref().and_then(TlsConfig::cert_store) {
            watch_sighup(&runtime, store.clone())?;
        }
        let handler = Arc::new(handler);
        let signal = ShutdownSignal::new();
        let config = self.config;
        let tls = self.tls;
        let handles = runtime.run_on_each({
            let signal = signal.clone();
            move |_worker| {
                let shared = shared.clone();
                let (handler, config, signal) = (handler.clone(), config.clone(), signal.clone());
                let tls = tls.clone();
                async move {
                    let listener = shared.listener()?;
                    run_worker(listener, handler, config, tls, signal).await;
                    Ok(())
                }
            }
        });
        Ok(RunningServer {
            local_addr,
            runtime,
            signal,
            handles,
        })
    }
}

/// Starts the `SIGHUP` reload task on worker 0 and waits until its handler is installed.
fn watch_sighup(runtime: &Runtime, store: Arc<crate::tls::CertStore>) -> io::Result<()> {
    let (installed, result) = std::sync::mpsc::sync_channel(1);
    // Detached: the task lives as long as the runtime.
    drop(runtime.spawn_on(0, async move {
        match store.reload_on_sighup() {
            Ok(watch) => {
                let _ = installed.send(Ok(()));
                let e = watch.await;
                eprintln!("corio: SIGHUP: no longer watched: {e}");
            }
            Err(e) => {
                let _ = installed.send(Err(e));
            }
        }
    }));
    result
        .recv()
        .map_err(|_| io::Error::other("the SIGHUP task did not start"))?
}

/// Binds the server's one listening socket (see the module docs), naming the address in the
/// error, and saying what an address in use most likely means.
fn bind_shared(addr: SocketAddr) -> io::Result<SharedListener> {
    SharedListener::bind(addr).map_err(|e| {
        let why = match e.kind() {
            io::ErrorKind::AddrInUse => {
                "address already in use (is another server running?)".into()
            }
            _ => e.to_string(),
        };
        io::Error::new(e.kind(), format!("cannot bind {addr}: {why}"))
    })
}

/// Serves `listener` on the current loop until `signal` triggers, then shuts down gracefully:
/// stops accepting, lets in-flight requests finish (up to the grace period), closes idle
/// connections. For custom runtimes; [`Server::start`] runs one per worker.
pub async fn serve_worker<H: Handler>(
    listener: TcpListener,
    handler: Arc<H>,
    config: ServerConfig,
    signal: ShutdownSignal,
) {
    run_worker(listener, handler, config, None, signal).await
}

/// [`serve_worker`] for HTTPS: every connection is a TLS connection (see [`Server::tls`]).
/// `SIGHUP` is not watched here; see [`crate::tls::CertStore::reload_on_sighup`].
pub async fn serve_tls_worker<H: Handler>(
    listener: TcpListener,
    handler: Arc<H>,
    config: ServerConfig,
    tls: TlsConfig,
    signal: ShutdownSignal,
) {
    run_worker(listener, handler, config, Some(tls), signal).await
}

async fn run_worker<H: Handler>(
    listener: TcpListener,
    handler: Arc<H>,
    config: ServerConfig,
    tls: Option<TlsConfig>,
    signal: ShutdownSignal,
) {
    let tracker = Tracker::new();
    let grace = config.shutdown_grace;
    let logging = config.access_log;
    access_log::set_format(config.access_log_format);
    let context = Rc::new(WorkerContext::new(handler, config, tracker.clone()));
    clock::tick();
    let ticker = corio::spawn_local(async {
        let mut ticks = corio::time::interval(clock::TICK);
        loop {
            ticks.tick().await;
            clock::tick();
        }
    });
    let fan_out = corio::spawn_local({
        let tracker = tracker.clone();
        async move {
            signal.wait().await;
            tracker.begin_shutdown();
        }
    });
    accept::accept_loop(&listener, context, tls).await;
    drop(listener);
    let drained = corio::time::timeout(grace, tracker.wait_drained()).await;
    let cut = tracker.active();
    if drained.is_err() && cut > 0 && logging {
        // Said where the access log goes, so that an operator sees why clients lost a response.
        eprintln!(
            "corio: shutdown: the grace period ({grace:?}) ended with {cut} connection{} still \
             busy; closing {}",
            if cut == 1 { "" } else { "s" },
            if cut == 1 { "it" } else { "them" }
        );
    }
    ticker.abort();
    fan_out.abort();
    access_log::flush();
}

/// A started server.
pub struct RunningServer {
    local_addr: SocketAddr,
    runtime: Runtime,
    signal: ShutdownSignal,
    handles: Vec<JoinHandle<io::Result<()>>>,
}

impl RunningServer {
    /// The bound address (with the actual port when bound to port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The signal that shuts the server down; trigger it from anywhere.
    pub fn shutdown_signal(&self) -> ShutdownSignal {
        self.signal.clone()
    }

    /// Begins a graceful shutdown (returns at once; see [`RunningServer::wait`]).
    pub fn shutdown(&self) {
        self.signal.trigger();
    }

    /// Waits until every worker finished (after a shutdown), then stops the runtime; tasks
    /// still alive after the grace period are dropped.
    ///
    /// # Panics
    ///
    /// Inside async code (it runs an event loop of its own, and one thread runs one loop at a
    /// time): there, `.await` the server instead, or use
    /// [`RunningServer::with_graceful_shutdown`].
    pub fn wait(self) -> io::Result<()> {
        corio::block_on(self.finish())
    }

    /// Runs until SIGINT or SIGTERM, then shuts down gracefully and waits.
    ///
    /// # Panics
    ///
    /// Inside async code, as [`RunningServer::wait`]; there use
    /// `server.with_graceful_shutdown(corio::signal::shutdown_requested()).await`.
    pub fn run_until_signal(self) -> io::Result<()> {
        corio::block_on(self.with_graceful_shutdown(corio::signal::shutdown_requested()))
    }

    /// Runs until `signal` completes (whatever its output), then shuts down gracefully and
    /// waits for the workers, all without blocking the loop it is awaited on. Shutting down
    /// by other means ([`RunningServer::shutdown`], the [`ShutdownSignal`]) while this waits
    /// also ends it.
    ///
    /// ```
    /// use corio_http::{Request, Response, Server};
    ///
    /// corio::block_on(async {
    ///     let token = corio::sync::CancellationToken::new();
    ///     let server = Server::bind("127.0.0.1:0".parse().unwrap())
    ///         .workers(1)
    ///         .start(|_req: Request| async { Response::text("hi") })
    ///         .unwrap();
    ///     token.cancel(); // from anywhere: another task, a signal handler...
    ///     server.with_graceful_shutdown(token.cancelled_owned()).await.unwrap();
    /// });
    /// ```
    pub async fn with_graceful_shutdown<F: Future>(self, signal: F) -> io::Result<()> {
        let stop = self.signal.clone();
        {
            let triggered = std::pin::pin!(stop.wait());
            let signal = std::pin::pin!(signal);
            futures_util::future::select(triggered, signal).await;
        }
        stop.trigger();
        self.finish().await
    }

    /// Awaits every worker, then stops and joins the runtime's threads off the loop.
    async fn finish(self) -> io::Result<()> {
        let mut result = Ok(());
        for handle in self.handles {
            match handle.await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => result = Err(e),
                Err(e) => result = Err(io::Error::other(e.to_string())),
            }
        }
        let runtime = self.runtime;
        corio::task::spawn_blocking(move || runtime.shutdown())
            .await
            .map_err(|e| io::Error::other(e.to_string()))?;
        result
    }
}

/// `server.await` waits, without blocking the loop, until the server has shut down (after
/// [`RunningServer::shutdown`] or its [`ShutdownSignal`] from elsewhere): the async
/// [`RunningServer::wait`].
impl std::future::IntoFuture for RunningServer {
    type Output = io::Result<()>;
    type IntoFuture = std::pin::Pin<Box<dyn Future<Output = io::Result<()>> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.finish())
    }
}

impl std::fmt::Debug for RunningServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningServer")
            .field("local_addr", &self.local_addr)
            .finish()
    }
}
