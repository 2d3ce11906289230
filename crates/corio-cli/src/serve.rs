//! `corio serve [DIR]`: a static-file server as easy to start as `python -m http.server`.
//!
//! It serves DIR (default: the current directory) on 127.0.0.1:5000 (the seed's port) with
//! one worker per core, logs each request in Common Log Format on stderr (unless `--quiet`),
//! prints the URL it listens on, and shuts down gracefully on SIGINT or SIGTERM (a second
//! signal exits at once).
//!
//! It answers like nginx: GET and HEAD serve files and listings, `OPTIONS` (also `OPTIONS *`)
//! is 204 with `Allow: GET, HEAD, OPTIONS`, any other method 405; a file or directory it may
//! not read is 403 with the reason on stderr. An address already in use is an error at
//! start-up ("cannot bind ADDR: address already in use"), also when the other process is
//! another `corio serve`: its workers share one socket, no other process can join it.
//!
//! HTTPS: `--tls-cert`/`--tls-key` or `--tls-self-signed` (see `serve_tls.rs`).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use corio::signal::{Signals, SIGINT, SIGTERM};
use corio_http::server::StaticFiles;
use corio_http::{Server, ServerConfig};

/// Arguments of `corio serve`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The directory to serve.
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    /// The address to listen on.
    #[arg(long, default_value = "127.0.0.1:5000")]
    pub addr: SocketAddr,
    /// Worker threads, one event loop each (default: one per core).
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub workers: Option<u16>,
    /// Do not log requests.
    #[arg(long, short)]
    pub quiet: bool,
    /// Seconds in-flight requests get to finish on shutdown.
    #[arg(long, default_value_t = 10)]
    pub grace: u64,
    #[command(flatten)]
    pub tls: crate::serve_tls::ServeTlsArgs,
}

/// Runs the server until SIGINT or SIGTERM.
pub fn run(args: Args) -> Result<ExitCode, Box<dyn std::error::Error>> {
    let files = StaticFiles::new(&args.dir)?;
    let workers = args.workers.map_or_else(
        || std::thread::available_parallelism().map_or(1, |n| n.get()),
        usize::from,
    );
    let config = ServerConfig {
        access_log: !args.quiet,
        shutdown_grace: Duration::from_secs(args.grace),
        ..ServerConfig::default()
    };
    let root = files.root().display().to_string();
    let tls = match args.tls.load(args.addr) {
        Ok(tls) => tls,
        Err(e) => {
            eprintln!("corio: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    let mut server = Server::bind(args.addr).workers(workers).config(config);
    if let Some(tls) = &tls {
        server = server.tls(tls.config.clone());
    }
    let server = server.start(files)?;
    let addr = server.local_addr();
    let (scheme, (tls_note, cert_file)) = match &tls {
        Some(tls) => ("https", tls.announce(addr)?),
        None => ("http", (String::new(), None)),
    };
    let signal = server.shutdown_signal();
    corio::block_on(async {
        // The handlers are installed before the start-up line: a supervisor may send SIGTERM
        // as soon as it sees it, and that must already mean "shut down gracefully", not the
        // default action (death by signal).
        let mut signals = Signals::new(&[SIGINT, SIGTERM])?;
        eprintln!(
            "corio: serving {root} at {scheme}://{addr}/ ({workers} worker{}{tls_note}; Ctrl-C to stop)",
            if workers == 1 { "" } else { "s" }
        );
        signals.recv().await
    })?;
    eprintln!("corio: shutting down (again to force)");
    signal.trigger();
    std::thread::spawn(|| {
        if corio::block_on(corio::signal::shutdown_requested()).is_ok() {
            eprintln!("corio: forced exit");
            std::process::exit(130);
        }
    });
    server.wait()?;
    if let Some(file) = cert_file {
        let _ = std::fs::remove_file(file);
    }
    Ok(ExitCode::SUCCESS)
}
