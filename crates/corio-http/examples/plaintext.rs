//! The TechEmpower "plaintext" server: `GET /plaintext` → `Hello, World!`.
//!
//! The side-by-side benchmark (`../shared/bench/http-bench`) runs it:
//!
//! ```text
//! cargo build --release -p corio-http --example plaintext
//! target/release/examples/plaintext --port 8080 --workers 1
//! ```
//!
//! With `--tls-cert FILE --tls-key FILE` it serves HTTPS (`http-bench --tls`); `--no-resume`
//! then refuses session resumption (no session cache, no tickets), so that every new
//! connection costs a full handshake (`http-bench --new-conn --no-resume`).
//!
//! Responses carry `Server`, `Date`, `Content-Type: text/plain` and `Content-Length`; other
//! paths get 404.
//!
//! With `--workers 1` the one worker is the main thread: the listener is served there with
//! [`serve_worker`] under [`corio::block_on`], as a single-threaded hyper or may_minihttp
//! server runs, instead of a runtime thread beside a main thread that only waits for the
//! signal (one thread's stack and allocator arena less). More workers: [`Server::start`].
//! Both serve with the same code; Ctrl-C or `SIGTERM` shuts down gracefully, `SIGHUP`
//! reloads the certificates.

use std::process::ExitCode;
use std::sync::Arc;

use bytes::Bytes;
use corio::signal::{Signals, SIGINT, SIGTERM};
use corio_http::server::{serve_tls_worker, serve_worker, ShutdownSignal};
use corio_http::tls::rustls::server::{NoServerSessionStorage, ServerConfig as RustlsConfig};
use corio_http::tls::{provider, TlsConfig, PROTOCOL_VERSIONS};
use corio_http::{Request, Response, Server, ServerConfig};
use http::StatusCode;

const BODY: Bytes = Bytes::from_static(b"Hello, World!");

async fn plaintext(request: Request) -> Response {
    if request.path() == "/plaintext" {
        Response::text(BODY)
    } else {
        Response::error(StatusCode::NOT_FOUND, "")
    }
}

/// `tls`'s certificates and ALPN with session resumption refused (no session cache; the
/// builder's default ticketer makes no tickets): every handshake is a full one.
fn without_resumption(tls: &TlsConfig) -> TlsConfig {
    let full = tls.rustls_config();
    let mut config = RustlsConfig::builder_with_provider(provider())
        .with_protocol_versions(PROTOCOL_VERSIONS)
        .expect("the aws-lc-rs provider supports TLS 1.2 and 1.3")
        .with_no_client_auth()
        .with_cert_resolver(full.cert_resolver.clone());
    config.alpn_protocols = full.alpn_protocols.clone();
    config.session_storage = Arc::new(NoServerSessionStorage {});
    config.send_tls13_tickets = 0;
    TlsConfig::from_rustls(Arc::new(config))
}

fn main() -> ExitCode {
    let mut port = 8080u16;
    let mut workers = None;
    let (mut cert, mut key) = (None, None);
    let mut resume = true;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--no-resume" {
            resume = false;
            continue;
        }
        let value = args.next();
        let parsed = match (arg.as_str(), value.as_deref()) {
            ("--port", Some(v)) => v.parse().map(|v| port = v).is_ok(),
            ("--workers", Some(v)) => v.parse().map(|v| workers = Some(v)).is_ok(),
            ("--tls-cert", Some(v)) => cert.replace(v.to_owned()).is_none(),
            ("--tls-key", Some(v)) => key.replace(v.to_owned()).is_none(),
            _ => false,
        };
        if !parsed {
            eprintln!(
                "usage: plaintext [--port PORT] [--workers N] \
                 [--tls-cert FILE --tls-key FILE [--no-resume]]"
            );
            return ExitCode::from(2);
        }
    }
    // Counted only when not given: counting reads the cgroup quota files.
    let workers =
        workers.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let scheme = if cert.is_some() { "https" } else { "http" };
    let tls = match (cert, key) {
        (None, None) => None,
        (Some(cert), Some(key)) => match TlsConfig::from_pem_files(cert, key) {
            Ok(tls) if resume => Some(tls),
            Ok(tls) => Some(without_resumption(&tls)),
            Err(e) => {
                eprintln!("plaintext: {e}");
                return ExitCode::from(2);
            }
        },
        _ => {
            eprintln!("plaintext: --tls-cert and --tls-key go together");
            return ExitCode::from(2);
        }
    };
    let started = if workers == 1 {
        serve_here(addr, tls, scheme)
    } else {
        let server = Server::bind(addr).workers(workers);
        let server = match tls {
            Some(tls) => server.tls(tls),
            None => server,
        };
        server.start(plaintext).and_then(|s| {
            corio::block_on(async move {
                let mut signals = Signals::new(&[SIGINT, SIGTERM])?;
                say_serving(scheme, s.local_addr(), workers);
                s.with_graceful_shutdown(async move { signals.recv().await })
                    .await
            })
        })
    };
    match started {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("plaintext: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Serves `addr` on this thread until Ctrl-C or `SIGTERM`, then shuts down gracefully.
fn serve_here(
    addr: std::net::SocketAddr,
    tls: Option<TlsConfig>,
    scheme: &str,
) -> std::io::Result<()> {
    corio::block_on(async move {
        let listener = corio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| std::io::Error::new(e.kind(), format!("cannot bind {addr}: {e}")))?;
        let signal = ShutdownSignal::new();
        let stop = signal.clone();
        let mut signals = Signals::new(&[SIGINT, SIGTERM])?;
        let watch = match tls.as_ref().and_then(TlsConfig::cert_store) {
            Some(store) => Some(store.clone().reload_on_sighup()?),
            None => None,
        };
        let _reload = watch.map(corio::spawn_local);
        let _stop = corio::spawn_local(async move {
            let _ = signals.recv().await;
            stop.trigger();
        });
        say_serving(scheme, listener.local_addr()?, 1);
        let handler = Arc::new(plaintext);
        let config = ServerConfig::default();
        match tls {
            Some(tls) => serve_tls_worker(listener, handler, config, tls, signal).await,
            None => serve_worker(listener, handler, config, signal).await,
        }
        Ok(())
    })
}

/// The start-up line the benchmark harness and the tests read the address from. The signal
/// handlers are installed before it is printed, so a `SIGTERM` sent as soon as it is read
/// shuts the server down gracefully rather than killing it.
fn say_serving(scheme: &str, addr: std::net::SocketAddr, workers: usize) {
    let plural = if workers == 1 { "" } else { "s" };
    eprintln!(
        "plaintext: serving GET /plaintext at {scheme}://{addr}/ ({workers} worker{plural}; \
         Ctrl-C to stop)"
    );
}
