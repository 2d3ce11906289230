//! `corio get`: a curl for corio — fetch URLs concurrently, print or save their bodies.
//!
//! It defaults like wget, the seed's program it grew from: redirects are followed
//! (`--no-location` returns them as they are; `-L` is accepted for curl habits), and a
//! status of 400 or more counts as a failure (reported, exit status 1) even without
//! `--fail`, which additionally keeps that response's body out of the output. Its flags are
//! curl's: `-o`, `-O`, `-H`, `-X`, `-d`, `--data-binary`, `-s`, `-v`, `-i`, `-I`, `--fail`,
//! `--max-time`, `--connect-timeout`, `--retry`, `-C -`.
//!
//! Invariants: at most `-c` requests are in flight; bodies stream in bounded memory (to
//! files as they arrive; to stdout in argument order whatever the completion order, see
//! [`output`]); every URL has exactly one outcome, and every failure is one line on stderr
//! naming the URL; the exit status is 1 if any URL failed. Saving to files shows a progress
//! bar per file on a terminal ([`crate::progress`]), unless `-s`. The summary line appears
//! with `-v`, or on a terminal when there are several fetches (unless `-s`).

mod fetch;
mod heads;
mod names;
mod output;
mod parse;
mod resume;
mod retry;

use std::cell::Cell;
use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::rc::Rc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use corio_http::client::{parse_url, Client};
use http::header::CONTENT_TYPE;
use http::{HeaderMap, HeaderName, HeaderValue, Method};
use url::Url;

use crate::progress::Downloads;
use output::Ordered;

/// Default number of requests in flight: the seed's two fit, and a list of URLs gets going
/// without swamping a server.
pub const DEFAULT_CONCURRENCY: u32 = 10;
/// The `User-Agent` sent unless `-H` gives one (the client's, see [`request_headers`]).
const USER_AGENT_VALUE: &str = concat!("corio/", env!("CARGO_PKG_VERSION"));
/// The `Content-Type` of `-d` data unless `-H` gives one (curl's).
const FORM: &str = "application/x-www-form-urlencoded";

/// Arguments of `corio get`.
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("files")
    .args(["output", "remote_name", "output_dir"]).multiple(true)))]
pub struct Args {
    /// The URLs to fetch (http:// or https://; http:// when no scheme is given).
    #[arg(required = true, value_parser = parse::url)]
    pub urls: Vec<String>,
    /// Maximum number of requests in flight.
    #[arg(short = 'c', long = "concurrency", default_value_t = DEFAULT_CONCURRENCY,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub concurrency: u32,
    /// Write the body to FILE (one URL). With several URLs, or an existing directory (or a
    /// path ending in `/`), save each body in that directory under its remote name.
    #[arg(short = 'o', long = "output", value_name = "FILE|DIR",
          conflicts_with_all = ["remote_name", "output_dir"])]
    pub output: Option<PathBuf>,
    /// Save each body under its remote name (the last path segment, percent-decoded and
    /// made safe; `index.html` when there is none) in the current directory.
    #[arg(short = 'O', long = "remote-name")]
    pub remote_name: bool,
    /// Save each body in DIR (created if missing) under its remote name.
    #[arg(long = "output-dir", value_name = "DIR")]
    pub output_dir: Option<PathBuf>,
    /// `-C -`: resume into the existing output file (asks for the bytes after its end).
    #[arg(short = 'C', long = "continue-at", value_name = "-", value_parser = parse::continue_at,
          allow_hyphen_values = true, requires = "files")]
    pub continue_at: Option<bool>,
    /// Add a request header field (repeatable); replaces corio's own `User-Agent` and the
    /// `Content-Type` of `-d`.
    #[arg(short = 'H', long = "header", value_name = "NAME: VALUE", value_parser = parse::header)]
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// The request method (default GET; POST with -d or --data-binary).
    #[arg(short = 'X', long = "request", value_name = "METHOD", value_parser = parse::method)]
    pub method: Option<Method>,
    /// Send DATA as a form (POST, `application/x-www-form-urlencoded`); repeated, the parts
    /// are joined with `&`. `@FILE` sends the file without its line breaks (`@-`: stdin).
    #[arg(
        short = 'd',
        long = "data",
        value_name = "DATA",
        conflicts_with = "data_binary"
    )]
    pub data: Vec<String>,
    /// Send DATA exactly as given (POST); `@FILE` sends the file's bytes (`@-`: stdin).
    #[arg(long = "data-binary", value_name = "DATA")]
    pub data_binary: Option<String>,
    /// Send HEAD and print the status line and headers.
    #[arg(short = 'I', long = "head", conflicts_with_all = ["data", "data_binary", "method"])]
    pub head: bool,
    /// Print the response head before the body.
    #[arg(short = 'i', long = "include")]
    pub include: bool,
    /// Follow redirects (the default; accepted for curl habits).
    #[arg(short = 'L', long = "location")]
    pub location: bool,
    /// Do not follow redirects: output the 3xx response itself.
    #[arg(long = "no-location", conflicts_with = "location")]
    pub no_location: bool,
    /// Do not output the body of a response with a status of 400 or more (the URL fails
    /// whether or not this is given).
    #[arg(short = 'f', long = "fail")]
    pub fail: bool,
    /// Time limit for each try of each URL, body included (seconds, fractions allowed).
    #[arg(short = 'm', long = "max-time", value_name = "SECS", value_parser = parse::seconds)]
    pub max_time: Option<Duration>,
    /// Time limit for each TCP connect, and for each TLS handshake (seconds, fractions
    /// allowed; default 10).
    #[arg(long = "connect-timeout", value_name = "SECS", value_parser = parse::seconds)]
    pub connect_timeout: Option<Duration>,
    /// Try again up to N times on a transient error or a 408, 429 or 5xx status, waiting
    /// 1 s, 2 s, 4 s... or what the server's Retry-After asks.
    #[arg(long = "retry", value_name = "N", default_value_t = 0)]
    pub retry: u32,
    /// Read bodies but do not print or save them (for load testing).
    #[arg(long)]
    pub discard: bool,
    /// Fetch each URL this many times (for load testing; with --discard).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    pub repeat: u32,
    /// No progress bars, retry notices or summary line (failures are still reported).
    #[arg(short = 's', long, conflicts_with = "verbose")]
    pub silent: bool,
    /// Show the request and response heads (`> ` and `< `) and the summary on stderr.
    #[arg(short = 'v', long)]
    pub verbose: bool,
    #[command(flatten)]
    pub tls: crate::tls_args::TlsArgs,
    #[command(flatten)]
    pub http: crate::http_args::HttpArgs,
}

/// Where one URL's output goes.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Target {
    /// Standard output, in argument order.
    Stdout,
    /// This file.
    File(PathBuf),
    /// Nowhere (`--discard`).
    Discard,
}

/// What every fetch sends and how it behaves: the parsed command line.
#[derive(Debug)]
struct Settings {
    method: Method,
    headers: HeaderMap,
    body: Bytes,
    include: bool,
    fail: bool,
    resume: bool,
    retries: u32,
    max_time: Option<Duration>,
    verbose: bool,
    silent: bool,
}

/// The state shared by the workers of one `corio get`.
struct Shared {
    client: Client,
    settings: Settings,
    urls: Vec<String>,
    /// Each URL parsed, once for all its fetches (`None`: it does not parse, and each fetch
    /// fails with the client's error naming it).
    parsed: Vec<Option<Url>>,
    targets: Vec<Target>,
    /// The ordered stdout, when some output goes there.
    stdout: Option<Ordered>,
    downloads: Downloads,
    next: Cell<usize>,
    total: usize,
    failed: Cell<usize>,
    ok: Cell<usize>,
}

/// Runs `corio get`.
pub fn run(args: Args) -> Result<ExitCode, Box<dyn std::error::Error>> {
    let targets = targets(&args)?;
    let body = request_body(&args)?;
    let settings = Settings {
        method: match (&args.method, args.head, body.is_some()) {
            (Some(m), _, _) => m.clone(),
            (None, true, _) => Method::HEAD,
            (None, false, true) => Method::POST,
            (None, false, false) => Method::GET,
        },
        headers: request_headers(&args),
        body: body.unwrap_or_default(),
        include: args.include || args.head,
        fail: args.fail,
        resume: args.continue_at.unwrap_or(false),
        retries: args.retry,
        max_time: args.max_time,
        verbose: args.verbose,
        silent: args.silent,
    };
    let concurrency = args.concurrency as usize;
    let mut client = args
        .tls
        .apply(args.http.apply(Client::builder()))?
        .max_connections_per_host(concurrency)
        .max_idle_per_host(concurrency)
        .max_connections(concurrency.max(corio_http::client::DEFAULT_MAX_CONNECTIONS))
        .user_agent(Some(USER_AGENT_VALUE));
    if args.no_location {
        client = client.max_redirects(0);
    }
    if let Some(t) = args.connect_timeout {
        // As curl's: the TLS handshake is part of connecting.
        client = client.connect_timeout(Some(t)).handshake_timeout(Some(t));
    }
    let total = args.urls.len() * args.repeat as usize;
    let shared = Rc::new(Shared {
        client: client.build(),
        stdout: targets
            .contains(&Target::Stdout)
            .then(|| Ordered::new(total)),
        settings,
        targets,
        downloads: Downloads::new(args.silent),
        next: Cell::new(0),
        total,
        failed: Cell::new(0),
        ok: Cell::new(0),
        parsed: args.urls.iter().map(|u| parse_url(u).ok()).collect(),
        urls: args.urls,
    });
    let start = Instant::now();
    corio::block_on(async {
        let workers: Vec<_> = (0..concurrency.min(total))
            .map(|_| corio::spawn_local(worker(shared.clone())))
            .collect();
        for w in workers {
            let _ = w.await;
        }
    });
    let elapsed = start.elapsed().as_secs_f64();
    let (ok, failed) = (shared.ok.get(), shared.failed.get());
    let several_on_terminal = total > 1 && !args.silent && std::io::stderr().is_terminal();
    if args.verbose || several_on_terminal {
        let rate = if elapsed > 0.0 {
            total as f64 / elapsed
        } else {
            0.0
        };
        eprintln!("get: {ok} ok, {failed} failed in {elapsed:.3}s ({rate:.0} requests/s)");
    }
    Ok(if failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

async fn worker(shared: Rc<Shared>) {
    loop {
        let i = shared.next.get();
        if i >= shared.total {
            return;
        }
        shared.next.set(i + 1);
        match fetch::fetch(&shared, i).await {
            Ok(()) => shared.ok.set(shared.ok.get() + 1),
            Err(e) => {
                shared.failed.set(shared.failed.get() + 1);
                shared.downloads.eprintln(&format!("corio get: {e}"));
            }
        }
        if let Some(stdout) = &shared.stdout {
            stdout.finish(i);
        }
    }
}

/// Where each URL's output goes, directories created.
fn targets(args: &Args) -> Result<Vec<Target>, String> {
    let n = args.urls.len();
    if args.discard {
        return Ok(vec![Target::Discard; n]);
    }
    let dir = match (&args.output, &args.output_dir, args.remote_name) {
        (Some(path), _, _) if n == 1 && !is_dir(path) => {
            return Ok(vec![Target::File(path.clone())])
        }
        (Some(dir), _, _) | (None, Some(dir), _) => dir.clone(),
        (None, None, true) => PathBuf::from("."),
        (None, None, false) => return Ok(vec![Target::Stdout; n]),
    };
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    Ok(names::output_files(&dir, &args.urls)
        .into_iter()
        .map(Target::File)
        .collect())
}

/// Whether `-o PATH` names a directory: an existing one, or a path written with a final `/`.
fn is_dir(path: &Path) -> bool {
    path.is_dir() || path.as_os_str().to_string_lossy().ends_with('/')
}

/// The request headers: `-d`'s `Content-Type`, then `-H`'s (which replace it). corio's
/// `User-Agent` is the client's own (sent unless `-H` gives one), so that a plain `GET` has no
/// header map to copy for each request.
fn request_headers(args: &Args) -> HeaderMap {
    let mut headers = HeaderMap::new();
    if !args.data.is_empty() {
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(FORM));
    }
    for name in args.headers.iter().map(|(n, _)| n) {
        headers.remove(name);
    }
    for (name, value) in &args.headers {
        headers.append(name.clone(), value.clone());
    }
    headers
}

/// The request body of `-d` or `--data-binary`, if any (read whole: request bodies are sent
/// from memory).
fn request_body(args: &Args) -> Result<Option<Bytes>, String> {
    if let Some(data) = &args.data_binary {
        return Ok(Some(Bytes::from(data_arg(data)?)));
    }
    if args.data.is_empty() {
        return Ok(None);
    }
    let mut parts = Vec::new();
    for data in &args.data {
        let mut part = data_arg(data)?;
        if data.starts_with('@') {
            part.retain(|&b| b != b'\r' && b != b'\n');
        }
        parts.push(part);
    }
    Ok(Some(Bytes::from(parts.join(&b'&'))))
}

/// The bytes of a data argument: itself, or with `@`, the file it names (`@-`: stdin).
fn data_arg(data: &str) -> Result<Vec<u8>, String> {
    match data.strip_prefix('@') {
        None => Ok(data.as_bytes().to_vec()),
        Some("-") => {
            let mut bytes = Vec::new();
            std::io::stdin()
                .read_to_end(&mut bytes)
                .map_err(|e| format!("stdin: {e}"))?;
            Ok(bytes)
        }
        Some(path) => std::fs::read(path).map_err(|e| format!("{path}: {e}")),
    }
}
