//! `corio crawl`: crawl a site from a root URL. The engine is in [`engine`], the frontier in
//! [`frontier`] (on disk: [`state`]; shared: [`redis_frontier`]), link extraction in [`links`],
//! robots.txt in [`robots`], politeness in [`polite`], sitemaps in [`sitemap`], WARC output
//! in [`warc`], text and JSON output in [`report`].
//!
//! Invariants: stdout (or `--output`) carries only per-URL results; the summary and the live
//! progress line go to stderr, the progress line only when stderr is a terminal; a bad
//! argument is a one-line error and a non-zero exit, and so is a root URL that fails (no
//! response, or a status of 400 or more).

pub mod engine;
pub mod frontier;
pub mod links;
pub mod polite;
pub mod redis_frontier;
pub mod report;
pub mod robots;
pub mod sitemap;
pub mod state;
pub mod warc;

use std::cell::RefCell;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use corio_http::client::Client;
use regex::Regex;

use engine::{Config, Crawler, Parts};
use frontier::{Frontier, Local};

/// The User-Agent sent by default; its product token `corio` is what robots.txt groups match.
pub const USER_AGENT: &str = concat!("corio/", env!("CARGO_PKG_VERSION"));
/// Requests to one host at once by default: polite to real servers, yet enough for a local
/// site to be crawled quickly.
pub const PER_HOST: u32 = 16;
/// Lease of a URL claimed from a Redis frontier by default: longer than any fetch, since a
/// fetch outliving its lease may be repeated by another worker.
pub const LEASE_SECS: u64 = 300;

/// Arguments of `corio crawl`.
#[derive(Debug, clap::Args)]
#[command(after_help = concat!(
    "Links followed in HTML pages: a[href], area[href], link[href], iframe[src], img[src], \
img[srcset], source[src], source[srcset], script[src], resolved against <base href>. \
Links marked rel=nofollow (or on pages with <meta name=robots content=nofollow>) are not \
followed unless --follow-nofollow. Only 200 text/html pages are parsed; other resources \
are fetched to check them. Only the root's scheme, host and port are crawled. robots.txt \
(RFC 9309) is honoured, Crawl-delay included, unless --ignore-robots."
))]
pub struct Args {
    /// The root URL (http:// or https://); only its scheme, host and port are crawled.
    #[arg(value_parser = parse_root)]
    pub url: url::Url,
    /// Concurrent fetches.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_tasks: u32,
    /// Concurrent requests to one host.
    #[arg(long, default_value_t = PER_HOST, value_parser = clap::value_parser!(u32).range(1..))]
    pub per_host: u32,
    /// Least time between requests to one host, in seconds (a larger robots.txt Crawl-delay
    /// wins).
    #[arg(long, value_name = "SECONDS", default_value_t = 0.0, value_parser = parse_delay)]
    pub delay: f64,
    /// Attempts per URL on transient errors (connection errors, timeouts, 5xx, 429;
    /// Retry-After is honoured).
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_tries: u32,
    /// Redirects followed from one URL.
    #[arg(long, default_value_t = 10)]
    pub max_redirect: u32,
    /// Links followed from the root (and sitemap URLs); 0 fetches only those.
    #[arg(long)]
    pub max_depth: Option<u32>,
    /// Stop queueing after this many URLs.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub max_pages: Option<u64>,
    /// Crawl only URLs matching this regular expression.
    #[arg(long, value_name = "REGEX", value_parser = parse_regex)]
    pub include: Option<Regex>,
    /// Do not crawl URLs matching this regular expression.
    #[arg(long, value_name = "REGEX", value_parser = parse_regex)]
    pub exclude: Option<Regex>,
    /// Treat `www.HOST` and `HOST` as the same host.
    #[arg(long)]
    pub lenient: bool,
    /// Follow links marked rel=nofollow too.
    #[arg(long)]
    pub follow_nofollow: bool,
    /// The User-Agent header; its first word names the agent for robots.txt.
    #[arg(long, default_value = USER_AGENT)]
    pub user_agent: String,
    /// Do not fetch or obey robots.txt.
    #[arg(long)]
    pub ignore_robots: bool,
    /// Also start from the pages of this sitemap (or sitemap index); robots.txt Sitemap
    /// lines are used too. Repeatable.
    #[arg(long, value_name = "URL")]
    pub sitemap: Vec<String>,
    /// Write the per-URL results to FILE instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// One JSON object per fetch instead of `STATUS URL` lines.
    #[arg(long)]
    pub json: bool,
    /// Record every fetch in FILE as WARC 1.1 request and response records.
    #[arg(long, value_name = "FILE")]
    pub warc: Option<PathBuf>,
    /// Keep the frontier and seen-set in DIR: a crawl started again with the same DIR goes
    /// on where it stopped.
    #[arg(long, value_name = "DIR", conflicts_with = "frontier")]
    pub state: Option<PathBuf>,
    /// Share the frontier and seen-set through Redis (redis://HOST:PORT/DB) with other
    /// crawls pointed at it.
    #[arg(long, value_name = "URL")]
    pub frontier: Option<String>,
    /// With --frontier: seconds a claimed URL stays leased before another worker may take it.
    #[arg(long, value_name = "SECONDS", default_value_t = LEASE_SECS,
        value_parser = clap::value_parser!(u64).range(1..))]
    pub lease: u64,
    #[command(flatten)]
    pub tls: crate::tls_args::TlsArgs,
    #[command(flatten)]
    pub http: crate::http_args::HttpArgs,
}

/// The root URL: an absolute `http://` or `https://` URL, or a usage error.
fn parse_root(s: &str) -> Result<url::Url, String> {
    let root = url::Url::parse(s).map_err(|e| format!("invalid URL {s}: {e}"))?;
    if !matches!(root.scheme(), "http" | "https") {
        return Err(format!(
            "unsupported URL scheme in {s} (only http:// and https:// are supported)"
        ));
    }
    Ok(root)
}

/// An `--include` or `--exclude` pattern, or a usage error naming what is wrong with it.
fn parse_regex(s: &str) -> Result<Regex, String> {
    Regex::new(s).map_err(|e| e.to_string().lines().last().unwrap_or("").to_owned())
}

fn parse_delay(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(d) if d.is_finite() && (0.0..=f64::from(polite::MAX_DELAY_SECS)).contains(&d) => Ok(d),
        _ => Err(format!(
            "expected seconds between 0 and {}",
            polite::MAX_DELAY_SECS
        )),
    }
}

/// Runs `corio crawl`.
pub fn run(args: Args) -> Result<ExitCode, Box<dyn std::error::Error>> {
    let root = engine::normalise(args.url.clone());
    let sitemaps = args
        .sitemap
        .iter()
        .map(|s| url::Url::parse(s).map_err(|e| format!("invalid --sitemap {s}: {e}")))
        .collect::<Result<Vec<_>, _>>()?;
    let include = args.include.clone();
    let exclude = args.exclude.clone();
    let max_pages = args
        .max_pages
        .map(|n| usize::try_from(n).unwrap_or(usize::MAX));
    let frontier = match (&args.frontier, &args.state) {
        (Some(url), _) => Frontier::Redis(Box::new(redis_frontier::RedisFrontier::connect(
            url,
            Duration::from_secs(args.lease),
            max_pages,
        )?)),
        (None, Some(dir)) => Frontier::Local(Box::new(Local::new(
            max_pages,
            Some(state::StateLog::open(dir)?),
        ))),
        (None, None) => Frontier::Local(Box::new(Local::new(max_pages, None))),
    };
    let warc = args
        .warc
        .as_deref()
        .map(|p| warc::Warc::create(p).map_err(|e| format!("{}: {e}", p.display())))
        .transpose()?;
    let out: Box<dyn Write> = match &args.output {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path).map_err(|e| format!("{}: {e}", path.display()))?,
        )),
        None => Box::new(std::io::stdout()),
    };
    let out = RefCell::new(out);
    let config = Config {
        root: root.clone(),
        max_tasks: args.max_tasks as usize,
        max_tries: args.max_tries,
        max_redirect: args.max_redirect,
        max_depth: args.max_depth,
        include,
        exclude,
        lenient: args.lenient,
        follow_nofollow: args.follow_nofollow,
        user_agent: args.user_agent.clone(),
        delay: Duration::from_secs_f64(args.delay),
    };
    let tasks = config.max_tasks;
    let client = args
        .tls
        .apply(args.http.apply(Client::builder()))?
        .max_redirects(0)
        .max_connections_per_host(tasks)
        .max_idle_per_host(tasks)
        .user_agent(Some(&args.user_agent))
        .build();
    let robots_client = args
        .tls
        .apply(args.http.apply(Client::builder()))?
        .max_redirects(5)
        .user_agent(Some(&args.user_agent))
        .build();
    let robots =
        (!args.ignore_robots).then(|| robots::RobotsCache::new(robots_client, &args.user_agent));
    let seed_client = client.clone();
    let parts = Parts {
        client,
        frontier,
        robots,
        per_host: args.per_host as usize,
        warc,
    };
    let progress = std::io::stderr().is_terminal().then(|| {
        let bar = indicatif::ProgressBar::new_spinner();
        bar.enable_steady_tick(std::time::Duration::from_millis(200));
        bar
    });
    let json = args.json;
    let start = Instant::now();
    let result = corio::block_on(async {
        let bar = progress.clone();
        let on_stat = Box::new(move |stat: &engine::Stat, c: &Crawler| {
            let text = if json {
                report::json(stat).to_string()
            } else {
                report::line(stat)
            };
            let mut out = out.borrow_mut();
            let _ = writeln!(out, "{text}");
            if let Some(bar) = &bar {
                bar.set_message(report::progress(
                    c.finished(),
                    start.elapsed(),
                    c.in_flight(),
                    c.queued(),
                    &stat.url,
                ));
            } else {
                let _ = out.flush();
            }
        });
        let crawler = Crawler::new(config, parts, on_stat);
        let mut sitemaps = sitemaps;
        if let Some(robots) = crawler.robots() {
            let rules = robots.get(&root).await;
            sitemaps.extend(
                rules
                    .sitemaps()
                    .iter()
                    .filter_map(|s| url::Url::parse(s).ok()),
            );
        }
        let mut seeds = vec![root.clone()];
        if !sitemaps.is_empty() {
            let (pages, warnings) = sitemap::pages(&seed_client, sitemaps).await;
            for w in warnings {
                eprintln!("corio crawl: {w}");
            }
            seeds.extend(pages);
        }
        crawler.seed(seeds).await?;
        let resumed = crawler.is_shared_or_resumed();
        crawler.run().await.map(|outcome| (outcome, resumed))
    });
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }
    let (outcome, resumed) = result?;
    let mut summary = report::Summary::new(&outcome.stats, start.elapsed());
    summary.disallowed = outcome.disallowed;
    eprintln!("{summary}");
    eprint!("{}", report::broken(&outcome.stats, &outcome.referrers));
    let root_stat = outcome.stats.iter().find(|s| s.url == root.as_str());
    match root_stat {
        Some(s) if s.status.is_some_and(|c| c < 400) => Ok(ExitCode::SUCCESS),
        Some(s) => Err(format!("root URL failed: {}", report::line(s)).into()),
        None if resumed => Ok(ExitCode::SUCCESS),
        None if outcome.disallowed > 0 => Err(format!(
            "root URL {root} is disallowed by robots.txt (or robots.txt could not be fetched; \
             see --ignore-robots)"
        )
        .into()),
        None => Err(format!("root URL {root} was not crawled (excluded or disallowed?)").into()),
    }
}
