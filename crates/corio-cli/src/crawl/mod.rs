//! `corio crawl`: crawl a site from a root URL (the engine is in [`engine`], link
//! extraction in [`links`], output in [`report`]).
//!
//! Invariants: stdout (or `--output`) carries only per-URL results; the summary and the live
//! progress line go to stderr, the progress line only when stderr is a terminal; a bad
//! argument is a one-line error and a non-zero exit, and so is a root URL that fails (no
//! response, or a status of 400 or more).

pub mod engine;
pub mod links;
pub mod report;

use std::cell::RefCell;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use corio_http::client::Client;
use regex::Regex;

use engine::{Config, Crawler};

/// Arguments of `corio crawl`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The root URL (http:// or https://); only its host and port are crawled.
    #[arg(value_parser = parse_root)]
    pub url: url::Url,
    /// Concurrent fetches.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_tasks: u32,
    /// Attempts per URL on transient errors (connection errors, timeouts, 5xx).
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_tries: u32,
    /// Redirects followed from one URL.
    #[arg(long, default_value_t = 10)]
    pub max_redirect: u32,
    /// Stop queueing after this many URLs.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub max_pages: Option<u64>,
    /// Do not crawl URLs matching this regular expression.
    #[arg(long, value_name = "REGEX", value_parser = parse_exclude)]
    pub exclude: Option<Regex>,
    /// Treat `www.HOST` and `HOST` as the same host.
    #[arg(long)]
    pub lenient: bool,
    /// Write the per-URL results to FILE instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// One JSON object per URL instead of `STATUS URL` lines.
    #[arg(long)]
    pub json: bool,
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

/// An `--exclude` pattern, or a usage error naming what is wrong with it.
fn parse_exclude(s: &str) -> Result<Regex, String> {
    Regex::new(s).map_err(|e| e.to_string().lines().last().unwrap_or("").to_owned())
}

/// Runs `corio crawl`.
pub fn run(args: Args) -> Result<ExitCode, Box<dyn std::error::Error>> {
    let root = args.url;
    let exclude = args.exclude;
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
        max_pages: args
            .max_pages
            .map(|n| usize::try_from(n).unwrap_or(usize::MAX)),
        exclude,
        lenient: args.lenient,
    };
    let tasks = config.max_tasks;
    let client = args
        .tls
        .apply(args.http.apply(Client::builder()))?
        .max_redirects(0)
        .max_connections_per_host(tasks)
        .max_idle_per_host(tasks)
        .build();
    let progress = std::io::stderr().is_terminal().then(|| {
        let bar = indicatif::ProgressBar::new_spinner();
        bar.enable_steady_tick(std::time::Duration::from_millis(200));
        bar
    });
    let json = args.json;
    let start = Instant::now();
    let stats = corio::block_on(async {
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
                    c.finished() + 1,
                    start.elapsed(),
                    c.in_flight(),
                    c.queued(),
                    &stat.url,
                ));
            } else {
                let _ = out.flush();
            }
        });
        let crawler = Crawler::new(config, client, on_stat);
        crawler.run().await
    });
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }
    let summary = report::Summary::new(&stats, start.elapsed());
    eprintln!("{summary}");
    let root_stat = stats.iter().find(|s| s.url == root.as_str());
    match root_stat {
        Some(s) if s.status.is_some_and(|c| c < 400) => Ok(ExitCode::SUCCESS),
        Some(s) => Err(format!("root URL failed: {}", report::line(s)).into()),
        None => Err(format!("root URL {root} was not crawled (excluded?)").into()),
    }
}
