//! `corio serve [PORT] [DIR]`: a static-file server as easy to start as `python -m http.server`.
//!
//! It serves DIR (default: the current directory) on 127.0.0.1:5000 (the seed's port) with
//! one worker per core, logs each request on stderr (Common Log Format unless
//! `--log-format` says otherwise; nothing with `--quiet`), prints the URLs it listens on, and
//! shuts down gracefully on SIGINT or SIGTERM (a second signal exits at once). Where it
//! listens is decided by [`address`] (a bare number is a port: `corio serve 8000`).
//!
//! It answers like nginx: GET and HEAD serve files and listings, `OPTIONS` (also `OPTIONS *`)
//! is 204 with `Allow: GET, HEAD, OPTIONS`, any other method 405; a file or directory it may
//! not read is 403 with the reason on stderr. An address already in use is an error at
//! start-up ("cannot bind ADDR: address already in use"), also when the other process is
//! another `corio serve`: its workers share one socket, no other process can join it.
//!
//! On top of files: precompressed siblings (`FILE.br`, `.zst`, `.gz`), on-the-fly compression
//! (`--no-compress` turns it off), `-H` extra headers,
//! `--cors`, `--cache-control`, `--spa`, a root `404.html`, `--hidden`, `--no-listing`,
//! `--auth` (HTTP Basic, plain or argon2-hashed password; `--hash-password` makes a hash).
//! HTTPS: `--tls-cert`/`--tls-key` or `--tls-self-signed` (see `serve_tls.rs`).
//! Usage errors (a bad port, two directories, a bad header) exit with 2, failures with 1.

mod address;
mod password;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use corio::signal::{Signals, SIGINT, SIGTERM};
use corio_http::server::{LogFormat, StaticFiles};
use corio_http::static_files::auth::BasicAuth;
use corio_http::static_files::resolve::ResolveOptions;
use corio_http::static_files::Options;
use corio_http::{Server, ServerConfig};
use http::{HeaderName, HeaderValue};

/// Arguments of `corio serve`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "A bare number is a port: `corio serve 8000` serves the current \
                        directory on port 8000; write `./8000` to serve a directory named 8000."
)]
pub struct Args {
    /// A port (digits only) and/or the directory to serve (default: the current directory).
    #[arg(value_name = "PORT|DIR", num_args = 0..=2)]
    pub targets: Vec<PathBuf>,
    /// The port to listen on [default: 5000].
    #[arg(short, long, conflicts_with = "addr")]
    pub port: Option<u16>,
    /// The host to listen on: an address (0.0.0.0 or :: for every interface) or a name such
    /// as localhost [default: 127.0.0.1].
    #[arg(short, long, value_name = "HOST", conflicts_with = "addr")]
    pub bind: Option<String>,
    /// The address to listen on, HOST:PORT (localhost:5000, 0.0.0.0:80, [::1]:8080).
    #[arg(long, value_name = "HOST:PORT", value_parser = address::parse_addr)]
    pub addr: Option<(String, u16)>,
    /// Worker threads, one event loop each (default: one per core).
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub workers: Option<u16>,
    /// Do not log requests.
    #[arg(long, short)]
    pub quiet: bool,
    /// The access log's format.
    #[arg(long, value_enum, default_value_t = LogFormatArg::Clf)]
    pub log_format: LogFormatArg,
    /// Seconds in-flight requests get to finish on shutdown.
    #[arg(long, default_value_t = 10)]
    pub grace: u64,
    /// A header for every response, 'Name: value' (repeatable).
    #[arg(short = 'H', long = "header", value_name = "NAME: VALUE", value_parser = parse_header)]
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// Let any origin read the files (CORS, with preflight answers).
    #[arg(long)]
    pub cors: bool,
    /// The Cache-Control of file responses (e.g. 'max-age=3600').
    #[arg(long, value_name = "VALUE", value_parser = parse_header_value)]
    pub cache_control: Option<HeaderValue>,
    /// Single-page application: paths not found are answered with /index.html.
    #[arg(long)]
    pub spa: bool,
    /// Show and serve dotfiles (hidden by default).
    #[arg(long)]
    pub hidden: bool,
    /// No directory listings (a directory without index.html is 403).
    #[arg(long)]
    pub no_listing: bool,
    /// Do not serve FILE.br, FILE.zst, FILE.gz in place of FILE to clients that accept them.
    #[arg(long)]
    pub no_precompressed: bool,
    /// Compress text, JSON, JavaScript, SVG, XML and wasm files of 1 KiB or more on the fly
    /// (gzip, brotli, zstd) for clients that accept it [default].
    #[arg(long, overrides_with = "no_compress")]
    pub compress: bool,
    /// Send files as they are (precompressed siblings are still served).
    #[arg(long, overrides_with = "compress")]
    pub no_compress: bool,
    /// Require HTTP Basic authentication: USER:PASSWORD, or USER:HASH with an argon2 hash
    /// from --hash-password (quote it: it contains '$').
    #[arg(long, value_name = "USER:PASSWORD", value_parser = parse_auth)]
    pub auth: Option<AuthArg>,
    /// Read a password (stdin, no echo on a terminal), print its argon2 hash for --auth, and
    /// exit.
    #[arg(long, exclusive = true)]
    pub hash_password: bool,
    #[command(flatten)]
    pub tls: crate::serve_tls::ServeTlsArgs,
}

/// `--log-format` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormatArg {
    /// Common Log Format.
    #[value(alias = "common")]
    Clf,
    /// Combined: CLF plus Referer and User-Agent.
    Combined,
    /// One JSON object per line.
    Json,
}

/// `--auth`, checked by clap (the spec is kept so clap can clone it).
#[derive(Debug, Clone)]
pub struct AuthArg(String);

fn parse_auth(value: &str) -> Result<AuthArg, String> {
    BasicAuth::parse(value).map_err(|e| e.to_string())?;
    Ok(AuthArg(value.to_owned()))
}

/// Headers the connection driver writes itself: setting them with `-H` would corrupt the
/// framing or duplicate a field.
const RESERVED_HEADERS: &[&str] = &[
    "content-length",
    "transfer-encoding",
    "connection",
    "keep-alive",
    "upgrade",
    "te",
    "trailer",
    "date",
    "server",
];

/// Parses `-H 'Name: value'`.
fn parse_header(value: &str) -> Result<(HeaderName, HeaderValue), String> {
    let (name, field_value) = value
        .split_once(':')
        .ok_or_else(|| format!("{value:?}: expected 'Name: value'"))?;
    let name = HeaderName::from_bytes(name.trim().as_bytes())
        .map_err(|_| format!("{:?} is not a valid header name", name.trim()))?;
    if RESERVED_HEADERS.contains(&name.as_str()) {
        return Err(format!(
            "{name} is set by the server and cannot be given with -H"
        ));
    }
    Ok((name, parse_header_value(field_value.trim())?))
}

fn parse_header_value(value: &str) -> Result<HeaderValue, String> {
    HeaderValue::from_str(value).map_err(|_| format!("{value:?} is not a valid header value"))
}

/// A usage error found after parsing: printed like clap's, status 2.
fn usage_error(message: &str) -> ExitCode {
    eprintln!("error: {message}\n\nFor more information, try 'corio serve --help'.");
    ExitCode::from(2)
}

/// Runs the server until SIGINT or SIGTERM.
pub fn run(args: Args) -> Result<ExitCode, Box<dyn std::error::Error>> {
    if args.hash_password {
        password::run()?;
        return Ok(ExitCode::SUCCESS);
    }
    let positional = match address::classify(&args.targets) {
        Ok(p) => p,
        Err(e) => return Ok(usage_error(&e)),
    };
    let addr = match (&args.addr, positional.port, args.port) {
        (Some(_), Some(_), _) => {
            return Ok(usage_error(
                "a positional port and --addr cannot be used together",
            ))
        }
        (_, Some(_), Some(_)) => {
            return Ok(usage_error(
                "a positional port and --port cannot be used together",
            ))
        }
        (Some((host, port)), None, _) => address::resolve(host, *port)?,
        (None, positional_port, flag_port) => {
            let port = positional_port
                .or(flag_port)
                .unwrap_or(address::DEFAULT_PORT);
            let host = args.bind.as_deref().unwrap_or(address::DEFAULT_HOST);
            address::resolve(host, port)?
        }
    };
    let dir = positional.dir.unwrap_or_else(|| PathBuf::from("."));
    let options = Options {
        resolve: ResolveOptions {
            allow_hidden: args.hidden,
            ..ResolveOptions::default()
        },
        listing: !args.no_listing,
        precompressed: !args.no_precompressed,
        compress: !args.no_compress,
        spa: args.spa,
        cache_control: args.cache_control,
        ..Options::default()
    };
    let mut files = StaticFiles::new(&dir)?
        .with_options(options)
        .with_cors(args.cors)
        .with_headers(args.headers);
    if let Some(AuthArg(spec)) = &args.auth {
        files = files.with_auth(BasicAuth::parse(spec)?);
    }
    let workers = args.workers.map_or_else(
        || std::thread::available_parallelism().map_or(1, |n| n.get()),
        usize::from,
    );
    let config = ServerConfig {
        access_log: !args.quiet,
        access_log_format: match args.log_format {
            LogFormatArg::Clf => LogFormat::Common,
            LogFormatArg::Combined => LogFormat::Combined,
            LogFormatArg::Json => LogFormat::Json,
        },
        shutdown_grace: Duration::from_secs(args.grace),
        ..ServerConfig::default()
    };
    let root = files.root().display().to_string();
    let tls = match args.tls.load(addr) {
        Ok(tls) => tls,
        Err(e) => {
            eprintln!("corio: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    let mut server = Server::bind(addr).workers(workers).config(config);
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
            "corio: serving {root} at {} ({workers} worker{}{tls_note}; Ctrl-C to stop)",
            address::url(scheme, addr),
            if workers == 1 { "" } else { "s" }
        );
        if addr.ip().is_unspecified() {
            for url in address::urls(scheme, addr) {
                eprintln!("corio:   {url}");
            }
        }
        if let Some(port) = positional
            .port
            .filter(|&p| address::port_shadows_directory(p))
        {
            eprintln!(
                "corio: note: {port} was read as a port; write ./{port} to serve that directory"
            );
        }
        if args.auth.is_some() {
            eprintln!(
                "corio: note: HTTP Basic sends the password readable by anyone on the path; \
                 use --auth on trusted networks"
            );
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_arguments() {
        let (name, value) = parse_header("X-Frame-Options:  DENY ").unwrap();
        assert_eq!(
            (name.as_str(), value.to_str().unwrap()),
            ("x-frame-options", "DENY")
        );
        let (_, empty) = parse_header("X-Empty:").unwrap();
        assert!(empty.is_empty());
        for bad in [
            "NoColon",
            "Bad Name: x",
            ": x",
            "Content-Length: 5",
            "X: a\u{1}b",
        ] {
            assert!(parse_header(bad).is_err(), "{bad}");
        }
    }
}
