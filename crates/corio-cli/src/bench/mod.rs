//! `corio bench`: an HTTP/1.1 (and, with `--h2`, HTTP/2) load generator that is never the
//! bottleneck and measures latency honestly.
//!
//! HTTP/2 is chosen up front (`--h2`), never by falling back: one run measures one protocol,
//! which its report names. HTTP/1.1 keeps its hand-made loop (`connection.rs`: framing in
//! place, nothing allocated per request); HTTP/2 runs on the `h2` crate (`h2.rs`), whose
//! HPACK and flow control corio does not write twice.
//!
//! | file | owns |
//! |---|---|
//! | `mod.rs` | arguments → [`Config`], starting the workers, the exit status; the `plot` and `merge` subcommands |
//! | `request.rs` | the request, encoded once ([`request::Batch`]) |
//! | `worker.rs` | one event loop's share of the connections and the budget |
//! | `connection.rs` | the per-connection request loop: pipelining, framing, errors, timeouts |
//! | `heads.rs` | a connection's last response head, so that the same head again costs one comparison |
//! | `link.rs` | a connection's stream, cleartext or TLS (rustls driven without a futures adapter) |
//! | `h2.rs` | `--h2`: one connection's HTTP/2 load on the `h2` crate, `--max-concurrent-streams` streams (h2load's `-m`) |
//! | `schedule.rs` | open-loop pacing and the per-connection lazy alarm |
//! | `stats.rs` | the latency histogram, counts per status and per error kind, merging |
//! | `setup.rs` | connect and TLS handshake times |
//! | `live.rs` | the live view on stderr: a histogram on a terminal, a plain line elsewhere |
//! | `report.rs` | the text and JSON reports |
//! | `encoding.rs` | the histogram in HdrHistogram's V2 compressed base64 encoding |
//! | `merge.rs` | reports read back and merged across runs (`corio bench merge`) |
//! | `plot.rs` | the latency percentile spectrum as SVG (`--plot`, `corio bench plot`) |
//! | `clock.rs` | wall-clock time: `--start-at`, the run's start in the report |
//!
//! Invariants: a bad argument is a one-line error and exit status 2, before any connection
//! is opened; the run lasts `-d` (default [`DEFAULT_DURATION`]) or exactly `-n` requests;
//! the report is printed even when requests failed, and the exit status is 1 when no request
//! got a response at all (so that a script notices a dead server), 0 otherwise; `--plot`
//! writes its picture after the report, and failing to (no response to draw, an unwritable
//! file) is a one-line error and exit status 1.

pub mod clock;
pub mod connection;
pub mod encoding;
pub mod h2;
pub mod heads;
pub mod link;
pub mod live;
pub mod merge;
pub mod plot;
pub mod report;
pub mod request;
pub mod schedule;
pub mod setup;
pub mod stats;
pub mod worker;

use std::io::IsTerminal;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use corio_http::tls::rustls::pki_types::ServerName;
use corio_http::tls::rustls::ClientConfig;
use http::header::{HeaderName, HeaderValue};
use http::Method;
use url::{Host, Url};

use live::{Progress, View};
use report::{Info, H2_PROTOCOL, PROTOCOL};
use request::Batch;
use stats::Stats;

/// Connections when `-c` is not given: wrk's default, enough to load a server a little.
pub const DEFAULT_CONNECTIONS: u32 = 10;
/// Run length when neither `-d` nor `-n` is given: wrk's default.
pub const DEFAULT_DURATION: Duration = Duration::from_secs(10);
/// Most connections: each holds a socket and a read buffer; beyond this one client machine
/// runs out of ports towards one server address anyway.
pub const MAX_CONNECTIONS: u32 = 100_000;
/// Deepest pipeline: a batch is encoded `DEPTH` times up front, and no server pipelines
/// usefully beyond a few hundred requests.
pub const MAX_PIPELINE: u32 = 1024;
/// Most workers (event loops, one thread each).
pub const MAX_WORKERS: u32 = 1024;
/// File descriptors kept free beyond one per connection: stdio, one epoll and one eventfd per
/// worker, the blocking pool's, the binary's own files.
const SPARE_FDS: u64 = 64;

/// `corio bench`: a run (the URL and options), or one of the subcommands on earlier reports.
#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct Cli {
    /// What to do with earlier reports.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// A run.
    #[command(flatten)]
    pub run: Args,
}

/// The subcommands of `corio bench`.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Draw the latency percentile spectra of earlier runs (JSON reports) on one SVG picture.
    Plot(plot::Args),
    /// Merge the JSON reports of runs made at once (e.g. on several machines) into one report.
    Merge(merge::Args),
}

/// Runs `corio bench` or one of its subcommands.
pub fn main(cli: Cli) -> Result<ExitCode, Box<dyn std::error::Error>> {
    match cli.command {
        Some(Command::Plot(args)) => plot::run(args),
        Some(Command::Merge(args)) => merge::run(args),
        None => run(cli.run),
    }
}

/// Arguments of a `corio bench` run.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The URL to load (http:// or https://).
    #[arg(required = true, value_parser = parse_url)]
    pub url: Option<Url>,
    /// Connections kept open (split across workers).
    #[arg(short = 'c', long = "connections", default_value_t = DEFAULT_CONNECTIONS,
          value_parser = clap::value_parser!(u32).range(1..=i64::from(MAX_CONNECTIONS)))]
    pub connections: u32,
    /// Run for this long (e.g. 10s, 500ms, 2m) [default: 10s].
    #[arg(short = 'd', long, value_parser = parse_duration, conflicts_with = "requests")]
    pub duration: Option<Duration>,
    /// Send exactly this many requests, then stop.
    #[arg(short = 'n', long = "requests", value_parser = clap::value_parser!(u64).range(1..))]
    pub requests: Option<u64>,
    /// Requests kept in flight on each connection (HTTP pipelining).
    #[arg(long, default_value_t = 1, value_name = "DEPTH",
          value_parser = clap::value_parser!(u32).range(1..=i64::from(MAX_PIPELINE)))]
    pub pipeline: u32,
    /// Speak HTTP/2 (h2c with prior knowledge on http://, ALPN `h2` on https://), as h2load.
    #[arg(long, conflicts_with_all = ["pipeline", "rate"])]
    pub h2: bool,
    /// With --h2: streams in flight on each connection (h2load's -m).
    #[arg(short = 'm', long, value_name = "N", default_value_t = 1, requires = "h2",
          value_parser = clap::value_parser!(u32).range(1..=i64::from(MAX_PIPELINE)))]
    pub max_concurrent_streams: u32,
    /// Open loop: send this many requests per second in all (latency counts from each
    /// request's scheduled time).
    #[arg(long, value_name = "RPS", value_parser = parse_rate)]
    pub rate: Option<f64>,
    /// Add a header field to every request ('Name: value'); may be repeated.
    #[arg(short = 'H', long = "header", value_name = "'Name: value'", value_parser = parse_header)]
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// The request method (curl's -X, as in `corio get`).
    #[arg(short = 'X', long, visible_alias = "request", default_value = "GET",
          value_parser = parse_method)]
    pub method: Method,
    /// Send the contents of FILE as the request body.
    #[arg(long, value_name = "FILE")]
    pub body: Option<PathBuf>,
    /// Worker threads, one event loop each [default: one per core].
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=i64::from(MAX_WORKERS)))]
    pub workers: Option<u32>,
    /// Give up on a request (and its connection) after this long without its response.
    #[arg(long, default_value = "5s", value_parser = parse_duration)]
    pub timeout: Duration,
    /// Print the report as one JSON object (with the whole latency histogram, for
    /// `corio bench merge` and `corio bench plot`).
    #[arg(long)]
    pub json: bool,
    /// Also draw the latency percentile spectrum to FILE.svg.
    #[arg(long, value_name = "FILE.svg")]
    pub plot: Option<PathBuf>,
    /// A new connection for every request (sent with `Connection: close`, as
    /// `wrk -H 'Connection: close'`): measures connection set-up, and TLS handshakes for
    /// https:// (sessions are resumed as a browser would).
    #[arg(long)]
    pub new_conn: bool,
    /// Start at this absolute time (Unix seconds, or RFC 3339 like 2026-01-01T00:00:00Z), so
    /// that generators on several machines load the server together.
    #[arg(long, value_name = "TIME", value_parser = clock::parse_start_at)]
    pub start_at: Option<SystemTime>,
    #[command(flatten)]
    pub tls: crate::tls_args::TlsArgs,
}

/// What a run does, shared (read-only) by every worker.
#[derive(Debug)]
pub struct Config {
    /// The URL loaded.
    pub url: Url,
    /// Its addresses, tried in order.
    pub addrs: Vec<SocketAddr>,
    /// Connections in all.
    pub connections: usize,
    /// Workers in all.
    pub workers: usize,
    /// Requests in flight per connection.
    pub depth: usize,
    /// Open loop: requests per second in all.
    pub rate: Option<f64>,
    /// Per-request timeout (also bounds each connect).
    pub timeout: Duration,
    /// The request method (response framing depends on it).
    pub method: Method,
    /// The request, `depth` times.
    pub batch: Batch,
    /// When the run started (the open loop's schedule starts here).
    pub start: Instant,
    /// When it ends (`None` with `-n`).
    pub end: Option<Instant>,
    /// For `https`: the TLS configuration and the server name to verify (and send as SNI).
    pub tls: Option<(Arc<ClientConfig>, ServerName<'static>)>,
    /// One connection per request (`--new-conn`).
    pub new_conn: bool,
    /// With `--h2`: the request each stream sends (`depth` is then the streams per
    /// connection).
    pub h2: Option<Arc<h2::H2Request>>,
}

/// Runs `corio bench`.
pub fn run(args: Args) -> Result<ExitCode, Box<dyn std::error::Error>> {
    let url = args.url.ok_or("a URL to load is required")?;
    let body = match &args.body {
        // An unreadable file is a failure (status 1), not a usage error: the command line
        // was well formed.
        Some(path) => std::fs::read(path)
            .map_err(|e| format!("cannot read --body {}: {e}", path.display()))?,
        None => Vec::new(),
    };
    // A --cacert that cannot be read is a failure (status 1), as in get and crawl.
    let tls = match url.scheme() {
        "https" => {
            let mut tls = args.tls.tls_config()?;
            if args.h2 {
                tls = tls.alpn(&[h2::ALPN_H2]);
            }
            Some((tls.build(), server_name(&url)?))
        }
        _ => None,
    };
    let addrs = resolve(&url)?;
    let connections = args.connections as usize;
    ensure_fd_limit(connections as u64 + SPARE_FDS)?;
    let workers = args.workers.map_or_else(
        || std::thread::available_parallelism().map_or(1, |n| n.get()),
        |n| n as usize,
    );
    let shares = worker::shares(connections, workers, args.requests);
    let depth = if args.h2 {
        args.max_concurrent_streams as usize
    } else {
        args.pipeline as usize
    };
    let mut headers = args.headers;
    if args.new_conn {
        if depth > 1 || args.h2 {
            eprintln!("corio: --new-conn sends one request per HTTP/1.1 connection: drop --pipeline and --h2");
            return Ok(ExitCode::from(2));
        }
        headers.retain(|(name, _)| name != http::header::CONNECTION);
        headers.push((http::header::CONNECTION, HeaderValue::from_static("close")));
    }
    let h2 = args.h2.then(|| {
        Arc::new(h2::H2Request {
            method: args.method.clone(),
            uri: url.as_str().parse().expect("a parsed URL is a valid URI"),
            headers: h2::h2_headers(&headers),
            body: body.clone().into(),
        })
    });
    let batch = Batch::new(&args.method, &url, &headers, &body, depth);
    let runtime = corio::Runtime::builder()
        .workers(shares.len())
        .thread_name("corio-bench")
        .build()?;
    if let Some(at) = args.start_at {
        if !args.json {
            eprintln!(
                "corio bench: waiting for --start-at {}",
                clock::describe(at)
            );
        }
        clock::wait_until(at);
    }
    let start = Instant::now();
    let start_wall = SystemTime::now();
    let end = match (args.duration, args.requests) {
        (Some(d), _) => Some(start + d),
        (None, Some(_)) => None,
        (None, None) => Some(start + DEFAULT_DURATION),
    };
    let config = Arc::new(Config {
        url,
        addrs,
        connections,
        workers: shares.len(),
        depth,
        rate: args.rate,
        timeout: args.timeout,
        method: args.method,
        batch,
        start,
        end,
        tls,
        new_conn: args.new_conn,
        h2,
    });
    let progress: Vec<Arc<Progress>> = shares.iter().map(|_| Arc::default()).collect();
    let handles = runtime.run_on_each({
        let config = config.clone();
        let progress = progress.clone();
        move |i| worker::run(config.clone(), shares[i], progress[i].clone())
    });
    let done = AtomicBool::new(false);
    let view = match (args.json, std::io::stderr().is_terminal()) {
        (true, _) => None,
        (false, true) => Some(View::Terminal),
        (false, false) => Some(View::Plain),
    };
    let stats = std::thread::scope(|scope| {
        if let Some(view) = view {
            let (progress, done) = (&progress, &done);
            scope.spawn(move || live::run(progress, start, done, view));
        }
        let mut total = Stats::new();
        for handle in handles {
            match corio::block_on(handle) {
                Ok(stats) => total.merge(&stats),
                Err(e) => std::panic::resume_unwind(e.into_panic()),
            }
        }
        done.store(true, Ordering::Relaxed);
        total
    });
    let elapsed = start.elapsed();
    runtime.shutdown();
    let info = Info {
        url: config.url.to_string(),
        protocol: if config.h2.is_some() {
            H2_PROTOCOL
        } else {
            PROTOCOL
        }
        .to_owned(),
        connections: config.connections as u64,
        workers: config.workers as u64,
        pipeline: config.depth as u64,
        rate: config.rate,
        start_unix_s: clock::unix_seconds(start_wall),
        duration_s: elapsed.as_secs_f64(),
        runs: 1,
    };
    if args.json {
        println!("{}", report::json(&info, &stats));
    } else {
        print!("{}", report::text(&info, &stats));
    }
    if let Some(warning) = report::rate_shortfall(&info, &stats) {
        eprintln!("corio bench: {warning}");
    }
    if let Some(path) = &args.plot {
        plot::write(path, &[(&info, stats.histogram())])?;
    }
    Ok(if stats.responses() == 0 {
        // A failure says so on stderr in every command (the report tells why).
        eprintln!("corio bench: no response from {}", info.url);
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// The name an `https` URL's certificate must be valid for.
fn server_name(url: &Url) -> Result<ServerName<'static>, String> {
    match url.host() {
        Some(Host::Domain(name)) => ServerName::try_from(name.to_owned())
            .map_err(|e| format!("invalid TLS server name {name}: {e}")),
        Some(Host::Ipv4(ip)) => Ok(ServerName::IpAddress(IpAddr::V4(ip).into())),
        Some(Host::Ipv6(ip)) => Ok(ServerName::IpAddress(IpAddr::V6(ip).into())),
        None => Err(format!("no host in URL {url}")),
    }
}

/// The URL's addresses (blocking is fine: nothing runs yet).
fn resolve(url: &Url) -> Result<Vec<SocketAddr>, String> {
    let port = url.port_or_known_default().unwrap_or(80);
    let addrs: Vec<SocketAddr> = match url.host() {
        Some(Host::Ipv4(ip)) => vec![SocketAddr::new(IpAddr::V4(ip), port)],
        Some(Host::Ipv6(ip)) => vec![SocketAddr::new(IpAddr::V6(ip), port)],
        Some(Host::Domain(name)) => (name, port)
            .to_socket_addrs()
            .map_err(|e| format!("cannot resolve {name}: {e}"))?
            .collect(),
        None => Vec::new(),
    };
    if addrs.is_empty() {
        return Err(format!("no address for {url}"));
    }
    Ok(addrs)
}

/// Raises the soft limit on open files to `needed` if it is lower (as far as the hard limit
/// allows); fails if that is not enough for one socket per connection.
fn ensure_fd_limit(needed: u64) -> Result<(), String> {
    use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};
    let limit = getrlimit(Resource::Nofile);
    let soft = limit.current.unwrap_or(u64::MAX);
    if soft >= needed {
        return Ok(());
    }
    let hard = limit.maximum.unwrap_or(u64::MAX);
    let raised = Rlimit {
        current: Some(needed.min(hard)),
        maximum: limit.maximum,
    };
    if needed > hard || setrlimit(Resource::Nofile, raised).is_err() {
        return Err(format!(
            "{} connections need about {needed} open files, more than the limit ({}): \
             raise it (ulimit -n) or use fewer connections",
            needed - SPARE_FDS,
            soft.max(hard.min(needed)),
        ));
    }
    Ok(())
}

/// The URL to load: the client's own check ([`corio_http::client::parse_url`]), as a usage
/// error.
fn parse_url(s: &str) -> Result<Url, String> {
    corio_http::client::parse_url(s).map_err(|e| e.to_string())
}

/// `10s`, `500ms`, `2m`, `1h`, `250us`, or a bare number of seconds; fractions allowed;
/// must be positive.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (number, unit) = s.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("invalid duration {s:?} (try 10s, 500ms or 2m)"))?;
    let scale = match unit {
        "" | "s" => 1.0,
        "ms" => 1e-3,
        "us" | "µs" => 1e-6,
        "m" => 60.0,
        "h" => 3600.0,
        _ => {
            return Err(format!(
                "invalid duration unit in {s:?} (use us, ms, s, m or h)"
            ))
        }
    };
    let seconds = value * scale;
    if !(seconds > 0.0 && seconds.is_finite() && seconds < 1e9) {
        return Err(format!("duration {s:?} must be positive"));
    }
    Ok(Duration::from_secs_f64(seconds))
}

/// A positive number of requests per second.
fn parse_rate(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(rate) if rate > 0.0 && rate.is_finite() => Ok(rate),
        _ => Err(format!("invalid rate {s:?} (requests per second, above 0)")),
    }
}

/// `Name: value`.
fn parse_header(s: &str) -> Result<(HeaderName, HeaderValue), String> {
    let (name, value) = s
        .split_once(':')
        .ok_or_else(|| format!("invalid header {s:?} (expected 'Name: value')"))?;
    let name = HeaderName::from_bytes(name.trim().as_bytes())
        .map_err(|_| format!("invalid header name in {s:?}"))?;
    let value = HeaderValue::from_str(value.trim())
        .map_err(|_| format!("invalid header value in {s:?}"))?;
    Ok((name, value))
}

/// An HTTP method token (any case is kept as given).
fn parse_method(s: &str) -> Result<Method, String> {
    Method::from_bytes(s.as_bytes()).map_err(|_| format!("invalid method {s:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        let ok = [
            ("10s", Duration::from_secs(10)),
            ("500ms", Duration::from_millis(500)),
            ("2m", Duration::from_secs(120)),
            ("1h", Duration::from_secs(3600)),
            ("1.5s", Duration::from_millis(1500)),
            ("3", Duration::from_secs(3)),
            ("250us", Duration::from_micros(250)),
        ];
        for (s, want) in ok {
            assert_eq!(parse_duration(s), Ok(want), "{s}");
        }
        for bad in ["", "s", "0s", "10x", "-1s", "1..2s", "ms10"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn headers_methods_urls_rates() {
        let (n, v) = parse_header("X-Token:  abc ").unwrap();
        assert_eq!((n.as_str(), v.to_str().unwrap()), ("x-token", "abc"));
        assert!(parse_header("no colon").is_err());
        assert!(parse_header("bad name: x").is_err());
        assert_eq!(parse_method("PURGE").unwrap().as_str(), "PURGE");
        assert!(parse_method("GE T").is_err());
        assert!(parse_url("https://a.test/").is_ok());
        assert!(parse_url("ftp://a.test/").is_err());
        assert!(parse_url("nonsense").is_err());
        assert!(parse_url("http://127.0.0.1:1/x").is_ok());
        assert!(parse_rate("0").is_err());
        assert_eq!(parse_rate("2.5"), Ok(2.5));
    }
}
