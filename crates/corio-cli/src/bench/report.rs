//! Output: the live line while a run goes on, and the final report as text or JSON.
//!
//! Invariants: the report goes to stdout (text for people, one JSON object with `--json`);
//! the live line goes to stderr, only when stderr is a terminal, at most once per
//! [`LIVE_INTERVAL`], and is erased before the report; latencies in JSON are whole
//! microseconds, rates per second of the run's wall-clock time.

use std::fmt::Write as _;
use std::io::Write as _;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Map, Value};

use super::stats::{ErrorKind, Stats};
use super::Config;

/// How often the live line is redrawn: once a second, enough to watch a run settle.
pub const LIVE_INTERVAL: Duration = Duration::from_secs(1);
/// How often the live thread checks whether the run is over (so it ends promptly).
const LIVE_POLL: Duration = Duration::from_millis(50);
/// The quantiles shown, with their names in text and JSON.
const QUANTILES: [(f64, &str); 4] = [(0.5, "p50"), (0.9, "p90"), (0.99, "p99"), (0.999, "p99.9")];

/// A worker's running totals, read by the live line (relaxed atomics: a display only).
#[derive(Debug, Default)]
pub struct Progress {
    responses: AtomicU64,
    errors: AtomicU64,
}

impl Progress {
    /// Adds `n` responses.
    #[inline]
    pub fn add_responses(&self, n: u64) {
        self.responses.fetch_add(n, Ordering::Relaxed);
    }

    /// Adds `n` errors.
    pub fn add_errors(&self, n: u64) {
        self.errors.fetch_add(n, Ordering::Relaxed);
    }
}

/// Redraws `\r<elapsed> <rate> req/s <responses> <errors>` on stderr every [`LIVE_INTERVAL`]
/// until `done` is set, then erases the line.
pub fn live(progress: &[Arc<Progress>], start: Instant, done: &AtomicBool) {
    let mut last = (start, 0u64);
    let mut next = start + LIVE_INTERVAL;
    let mut stderr = std::io::stderr();
    while !done.load(Ordering::Relaxed) {
        std::thread::sleep(LIVE_POLL);
        let now = Instant::now();
        if now < next {
            continue;
        }
        next += LIVE_INTERVAL;
        let sum = |f: fn(&Progress) -> &AtomicU64| -> u64 {
            progress.iter().map(|p| f(p).load(Ordering::Relaxed)).sum()
        };
        let responses = sum(|p| &p.responses);
        let errors = sum(|p| &p.errors);
        let rate = (responses - last.1) as f64 / now.duration_since(last.0).as_secs_f64();
        last = (now, responses);
        let _ = write!(
            stderr,
            "\r\x1b[K{:>5.1}s  {:>12} req/s  {:>14} responses  {} errors",
            now.duration_since(start).as_secs_f64(),
            group(rate as u64),
            group(responses),
            group(errors),
        );
        let _ = stderr.flush();
    }
    let _ = write!(stderr, "\r\x1b[K");
    let _ = stderr.flush();
}

/// The final report as text.
pub fn text(config: &Config, elapsed: Duration, stats: &Stats) -> String {
    let secs = elapsed.as_secs_f64().max(f64::MIN_POSITIVE);
    let mut out = String::new();
    let mode = match config.rate {
        Some(rate) => format!("open loop at {rate} req/s"),
        None => "closed loop".to_owned(),
    };
    let _ = writeln!(
        out,
        "corio bench {}: {} connection{} on {} worker{}, pipeline {}, {mode}",
        config.url,
        config.connections,
        plural(config.connections),
        config.workers,
        plural(config.workers),
        config.depth,
    );
    let _ = writeln!(
        out,
        "  responses  {} in {secs:.2}s: {} req/s, {}/s received ({} requests sent)",
        group(stats.responses()),
        group((stats.responses() as f64 / secs).round() as u64),
        bytes(stats.bytes as f64 / secs),
        group(stats.sent),
    );
    let mut line = String::new();
    for (q, name) in QUANTILES {
        let _ = write!(line, "{name} {}  ", micros(stats.latency_us(q)));
    }
    let _ = writeln!(
        out,
        "  latency    {line}max {}  (mean {})",
        micros(stats.max_us()),
        micros(stats.mean_us().round() as u64)
    );
    let statuses: Vec<String> = stats
        .statuses()
        .map(|(status, n)| format!("{status}: {}", group(n)))
        .collect();
    if !statuses.is_empty() {
        let _ = writeln!(out, "  statuses   {}", statuses.join("  "));
    }
    if stats.errors() == 0 {
        let _ = writeln!(out, "  errors     none");
    } else {
        let kinds: Vec<String> = ErrorKind::ALL
            .iter()
            .filter(|&&k| stats.errors_of(k) > 0)
            .map(|&k| {
                format!(
                    "{} {}",
                    k.name().replace('_', " "),
                    group(stats.errors_of(k))
                )
            })
            .collect();
        let _ = writeln!(
            out,
            "  errors     {} ({})",
            group(stats.errors()),
            kinds.join(", ")
        );
        if let Some(reason) = &stats.connect_error {
            let _ = writeln!(out, "  connect    {reason}");
        }
    }
    out
}

/// The final report as one JSON object.
pub fn json(config: &Config, elapsed: Duration, stats: &Stats) -> Value {
    let secs = elapsed.as_secs_f64().max(f64::MIN_POSITIVE);
    let mut latency = Map::new();
    for (q, name) in QUANTILES {
        latency.insert(name.replace('.', "_"), json!(stats.latency_us(q)));
    }
    latency.insert("max".into(), json!(stats.max_us()));
    latency.insert("mean".into(), json!(stats.mean_us()));
    let statuses: Map<String, Value> = stats
        .statuses()
        .map(|(status, n)| (status.to_string(), json!(n)))
        .collect();
    let errors: Map<String, Value> = ErrorKind::ALL
        .iter()
        .map(|&k| (k.name().to_owned(), json!(stats.errors_of(k))))
        .collect();
    json!({
        "url": config.url.as_str(),
        "connections": config.connections,
        "workers": config.workers,
        "pipeline": config.depth,
        "rate": config.rate,
        "duration_s": secs,
        "sent": stats.sent,
        "responses": stats.responses(),
        "requests_per_sec": stats.responses() as f64 / secs,
        "bytes": stats.bytes,
        "bytes_per_sec": stats.bytes as f64 / secs,
        "latency_us": latency,
        "statuses": statuses,
        "errors": errors,
        "errors_total": stats.errors(),
        "connect_error": stats.connect_error,
    })
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// `1234567` as `1,234,567`.
fn group(n: u64) -> String {
    let digits = n.to_string();
    let groups: Vec<&str> = digits
        .as_bytes()
        .rchunks(3)
        .rev()
        .map(|g| std::str::from_utf8(g).expect("ASCII digits"))
        .collect();
    groups.join(",")
}

/// A latency in µs, in the unit that reads best.
fn micros(us: u64) -> String {
    match us {
        0..=999 => format!("{us}µs"),
        1_000..=999_999 => format!("{:.2}ms", us as f64 / 1e3),
        _ => format!("{:.2}s", us as f64 / 1e6),
    }
}

/// A byte count (or rate) with a decimal unit.
fn bytes(n: f64) -> String {
    const UNITS: [&str; 5] = ["B", "kB", "MB", "GB", "TB"];
    let mut n = n;
    let mut unit = 0;
    while n >= 1000.0 && unit + 1 < UNITS.len() {
        n /= 1000.0;
        unit += 1;
    }
    format!("{n:.2} {}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(group(0), "0");
        assert_eq!(group(999), "999");
        assert_eq!(group(1000), "1,000");
        assert_eq!(group(1234567), "1,234,567");
        assert_eq!(micros(512), "512µs");
        assert_eq!(micros(1500), "1.50ms");
        assert_eq!(micros(2_500_000), "2.50s");
        assert_eq!(bytes(999.0), "999.00 B");
        assert_eq!(bytes(1_500_000.0), "1.50 MB");
    }
}
