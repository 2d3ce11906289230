//! The final report, as text for people or as one JSON object, of one run or of several
//! merged.
//!
//! Invariants: the report goes to stdout; latencies in JSON are whole microseconds, rates per
//! second of the report's wall-clock window; the JSON carries everything needed to rebuild
//! the figures ([`super::merge`] reads it back): the settings, the counts, and the whole
//! latency histogram ([`super::encoding`]), so that reports merge exactly and plot later.

use std::fmt::Write as _;

use serde_json::{json, Map, Value};

use super::encoding;
use super::stats::{ErrorKind, Stats};

/// The protocol a run speaks by default (named in reports and plots).
pub const PROTOCOL: &str = "HTTP/1.1";
/// The protocol of a `--h2` run.
pub const H2_PROTOCOL: &str = "HTTP/2";
/// Below this fraction of `--rate`, the run did not send what was asked and says so: a
/// little slack for the schedule's first and last ticks, none for a real shortfall.
pub const RATE_SHORTFALL: f64 = 0.95;
/// The quantiles shown, with their names in text and JSON.
const QUANTILES: [(f64, &str); 4] = [(0.5, "p50"), (0.9, "p90"), (0.99, "p99"), (0.999, "p99.9")];

/// What a report describes: one run's settings and window, or those of several runs merged.
#[derive(Debug, Clone, PartialEq)]
pub struct Info {
    /// The URL loaded (several, joined by `" + "`, after merging runs on different URLs).
    pub url: String,
    /// The protocol spoken.
    pub protocol: String,
    /// Connections in all.
    pub connections: u64,
    /// Workers (event loops) in all.
    pub workers: u64,
    /// Requests in flight per connection (the deepest, after merging).
    pub pipeline: u64,
    /// Open loop: requests per second asked for, in all.
    pub rate: Option<f64>,
    /// When the window started, in seconds since the Unix epoch (wall clock).
    pub start_unix_s: f64,
    /// How long the window lasted, in seconds.
    pub duration_s: f64,
    /// How many runs the report covers.
    pub runs: u64,
}

impl Info {
    /// The run in a few words, for plot titles and legends: target, connections, rate,
    /// protocol, duration.
    pub fn label(&self) -> String {
        let rate = match self.rate {
            Some(rate) => format!("{rate} req/s"),
            None => "closed loop".to_owned(),
        };
        let pipeline = if self.pipeline > 1 && self.protocol == H2_PROTOCOL {
            format!(" ×{} streams", self.pipeline)
        } else if self.pipeline > 1 {
            format!(" pipelined ×{}", self.pipeline)
        } else {
            String::new()
        };
        let runs = if self.runs > 1 {
            format!(" ({} runs merged)", self.runs)
        } else {
            String::new()
        };
        format!(
            "{}, {} connection{}, {rate}, {}{pipeline}, {:.1}s{runs}",
            self.url,
            self.connections,
            plural(self.connections),
            self.protocol,
            self.duration_s,
        )
    }

    fn secs(&self) -> f64 {
        self.duration_s.max(f64::MIN_POSITIVE)
    }
}

/// The final report as text.
pub fn text(info: &Info, stats: &Stats) -> String {
    let secs = info.secs();
    let mut out = String::new();
    let mode = match info.rate {
        Some(rate) => format!("open loop at {rate} req/s"),
        None => "closed loop".to_owned(),
    };
    let runs = if info.runs > 1 {
        format!(" ({} runs merged)", info.runs)
    } else {
        String::new()
    };
    let _ = writeln!(
        out,
        "corio bench {}{runs}: {}, {} connection{} on {} worker{}, {} {}, {mode}",
        info.url,
        info.protocol,
        info.connections,
        plural(info.connections),
        info.workers,
        plural(info.workers),
        if info.protocol == H2_PROTOCOL {
            "streams"
        } else {
            "pipeline"
        },
        info.pipeline,
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
    out.push_str(&stats.setup.text());
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
pub fn json(info: &Info, stats: &Stats) -> Value {
    let secs = info.secs();
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
    let mut report = json!({
        "url": info.url,
        "protocol": info.protocol,
        "connections": info.connections,
        "workers": info.workers,
        "pipeline": info.pipeline,
        "rate": info.rate,
        "runs": info.runs,
        "start_unix_s": info.start_unix_s,
        "duration_s": info.duration_s,
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
        "histogram": encoding::encode(stats.histogram()),
    });
    for (name, value) in stats.setup.json() {
        report[name] = value;
    }
    report
}

fn plural(n: u64) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// `1234567` as `1,234,567`.
pub fn group(n: u64) -> String {
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
pub fn micros(us: u64) -> String {
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

/// A warning (for stderr) when an open-loop run sent fewer requests per second than its
/// `--rate` asked: its latencies then describe a lighter load than the one intended.
pub fn rate_shortfall(info: &Info, stats: &Stats) -> Option<String> {
    let target = info.rate?;
    let achieved = stats.sent as f64 / info.secs();
    (achieved < target * RATE_SHORTFALL).then(|| {
        format!(
            "warning: sent {achieved:.0} requests/s, {:.0}% of the --rate {target} asked for \
             (too few connections for the server's latency, or the generator is saturated)",
            100.0 * achieved / target
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shortfall_of_the_rate() {
        let info = |rate| Info {
            url: "http://a/".into(),
            protocol: PROTOCOL.into(),
            connections: 1,
            workers: 1,
            pipeline: 1,
            rate,
            start_unix_s: 0.0,
            duration_s: 2.0,
            runs: 1,
        };
        let mut stats = Stats::new();
        stats.sent = 190;
        assert_eq!(rate_shortfall(&info(None), &stats), None);
        assert_eq!(rate_shortfall(&info(Some(100.0)), &stats), None);
        let warning = rate_shortfall(&info(Some(200.0)), &stats).unwrap();
        assert!(
            warning.contains("sent 95 requests/s, 48% of the --rate 200"),
            "{warning}"
        );
    }

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
