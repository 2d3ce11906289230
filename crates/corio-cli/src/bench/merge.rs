//! Reports read back, and several runs merged into one: `corio bench merge`.
//!
//! Load from one machine is rarely enough to saturate a real server, so a test runs several
//! generators at once (`--start-at` gives them one start time) and merges what they measured.
//! Percentiles cannot be averaged; histograms can be added, so a merge adds the runs'
//! histograms bucket by bucket (carried in each JSON report, [`super::encoding`]) and takes
//! the percentiles of the sum: exactly those of one histogram fed every run's responses.
//!
//! Invariants:
//! - counts (requests sent, responses, per status, per error kind, bytes) are summed;
//!   connections, workers and asked-for rates too; the window runs from the earliest start to
//!   the latest end, so the merged rate is responses over the time the generators together
//!   took (overlapping windows give the sum of the rates, disjoint ones less);
//! - a merged report is a report: it has the same fields, and merges and plots again;
//! - a report is untrusted input: its size is bounded ([`MAX_REPORT_LEN`]), every field is
//!   checked, and a bad one is a one-line error naming the file, never a panic.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde_json::Value;

use super::encoding;
use super::report::{self, Info, PROTOCOL};
use super::stats::{ErrorKind, Stats};

/// Largest report read: a report is a few kilobytes plus its histogram
/// ([`encoding::MAX_ENCODED_LEN`] at most).
pub const MAX_REPORT_LEN: u64 = 2 * encoding::MAX_ENCODED_LEN as u64;
/// Largest count accepted in a report: 2^53, the largest integer JSON numbers carry exactly
/// in most readers, far beyond what a run sends.
const MAX_COUNT: u64 = 1 << 53;

/// Arguments of `corio bench merge`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Reports written by `corio bench --json` (or by an earlier merge).
    #[arg(required = true, value_name = "REPORT.json")]
    pub reports: Vec<PathBuf>,
    /// Print the merged report as one JSON object.
    #[arg(long)]
    pub json: bool,
}

/// One report: the settings and window, and the figures.
#[derive(Debug, Clone)]
pub struct Run {
    /// Settings and window.
    pub info: Info,
    /// Counts and latencies.
    pub stats: Stats,
}

/// Runs `corio bench merge`.
pub fn run(args: Args) -> Result<ExitCode, Box<dyn std::error::Error>> {
    let runs = args
        .reports
        .iter()
        .map(|path| read(path))
        .collect::<Result<Vec<_>, _>>()?;
    let merged = merge(&runs);
    if args.json {
        println!("{}", report::json(&merged.info, &merged.stats));
    } else {
        print!("{}", report::text(&merged.info, &merged.stats));
    }
    Ok(ExitCode::SUCCESS)
}

/// The report in the file at `path`.
pub fn read(path: &Path) -> Result<Run, String> {
    let name = path.display();
    let mut text = String::new();
    std::fs::File::open(path)
        .and_then(|file| file.take(MAX_REPORT_LEN + 1).read_to_string(&mut text))
        .map_err(|e| format!("cannot read {name}: {e}"))?;
    if text.len() as u64 > MAX_REPORT_LEN {
        return Err(format!(
            "{name}: more than {MAX_REPORT_LEN} bytes, not a report"
        ));
    }
    let value: Value = serde_json::from_str(&text)
        .map_err(|e| format!("{name}: not a JSON report of corio bench: {e}"))?;
    parse(&value).map_err(|e| format!("{name}: {e}"))
}

/// The run described by a JSON report (as [`report::json`] writes it).
pub fn parse(value: &Value) -> Result<Run, String> {
    let text = |key: &str| -> Result<String, String> {
        value[key]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| format!("{key:?} is missing or not a string"))
    };
    let count = |key: &str| count(&value[key]).ok_or_else(|| format!("{key:?} is not a count"));
    let seconds = |key: &str| -> Result<f64, String> {
        value[key]
            .as_f64()
            .filter(|s| s.is_finite() && *s >= 0.0)
            .ok_or_else(|| format!("{key:?} is not a number of seconds"))
    };
    let rate = match &value["rate"] {
        Value::Null => None,
        v => Some(
            v.as_f64()
                .filter(|r| r.is_finite() && *r > 0.0)
                .ok_or("\"rate\" is neither null nor a positive number")?,
        ),
    };
    let info = Info {
        url: text("url")?,
        protocol: text("protocol")?,
        connections: count("connections")?,
        workers: count("workers")?,
        pipeline: count("pipeline")?,
        rate,
        start_unix_s: seconds("start_unix_s")?,
        duration_s: seconds("duration_s")?,
        runs: count("runs")?,
    };
    let histogram = encoding::decode(
        value["histogram"]
            .as_str()
            .ok_or("\"histogram\" is missing or not a string")?,
    )?;
    let statuses = entries(&value["statuses"], "statuses", |key| {
        key.parse::<u16>().ok().filter(|s| *s < 1000)
    })?;
    let errors = entries(&value["errors"], "errors", ErrorKind::from_name)?;
    let mut stats = Stats::from_parts(
        &histogram,
        &statuses,
        &errors,
        count("sent")?,
        count("bytes")?,
    )?;
    if stats.responses() != count("responses")? {
        return Err(format!(
            "\"responses\" says {} but the histogram holds {}",
            count("responses")?,
            stats.responses()
        ));
    }
    stats.connect_error = value["connect_error"].as_str().map(str::to_owned);
    Ok(Run { info, stats })
}

/// A count in a report.
fn count(value: &Value) -> Option<u64> {
    value.as_u64().filter(|&n| n <= MAX_COUNT)
}

/// The `key: count` pairs of the object `value`, with keys read by `key`.
fn entries<K>(
    value: &Value,
    name: &str,
    key: impl Fn(&str) -> Option<K>,
) -> Result<Vec<(K, u64)>, String> {
    let object = value
        .as_object()
        .ok_or_else(|| format!("{name:?} is missing or not an object"))?;
    object
        .iter()
        .map(|(key_text, v)| {
            let k =
                key(key_text).ok_or_else(|| format!("{name:?} has an unknown key {key_text:?}"))?;
            let n = count(v).ok_or_else(|| format!("{name:?} has a bad count for {key_text:?}"))?;
            Ok((k, n))
        })
        .collect()
}

/// The runs as one (see the module docs); `runs` must not be empty.
pub fn merge(runs: &[Run]) -> Run {
    let distinct = |field: fn(&Info) -> &str| -> String {
        let mut seen: Vec<&str> = Vec::new();
        for run in runs {
            if !seen.contains(&field(&run.info)) {
                seen.push(field(&run.info));
            }
        }
        seen.join(" + ")
    };
    let sum = |field: fn(&Info) -> u64| runs.iter().map(|r| field(&r.info)).sum::<u64>();
    let start = runs
        .iter()
        .map(|r| r.info.start_unix_s)
        .fold(f64::INFINITY, f64::min);
    let end = runs
        .iter()
        .map(|r| r.info.start_unix_s + r.info.duration_s)
        .fold(f64::NEG_INFINITY, f64::max);
    let info = Info {
        url: distinct(|i| &i.url),
        protocol: match distinct(|i| &i.protocol) {
            p if p.is_empty() => PROTOCOL.to_owned(),
            p => p,
        },
        connections: sum(|i| i.connections),
        workers: sum(|i| i.workers),
        pipeline: runs.iter().map(|r| r.info.pipeline).max().unwrap_or(1),
        rate: runs.iter().map(|r| r.info.rate).sum(),
        start_unix_s: start,
        duration_s: (end - start).max(0.0),
        runs: sum(|i| i.runs),
    };
    let mut stats = Stats::new();
    for run in runs {
        stats.merge(&run.stats);
    }
    Run { info, stats }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn run_with(latencies: &[u64], status: u16, start: f64) -> Run {
        let mut stats = Stats::new();
        for &us in latencies {
            stats.response(status, Duration::from_micros(us));
        }
        stats.error(ErrorKind::Timeout, 2);
        stats.sent = latencies.len() as u64 + 2;
        stats.bytes = 100 * latencies.len() as u64;
        let info = Info {
            url: "http://127.0.0.1:8080/".into(),
            protocol: PROTOCOL.into(),
            connections: 10,
            workers: 2,
            pipeline: 1,
            rate: Some(500.0),
            start_unix_s: start,
            duration_s: 10.0,
            runs: 1,
        };
        Run { info, stats }
    }

    #[test]
    fn a_report_reads_back_as_it_was_written() {
        let run = run_with(&[10, 20, 30_000], 200, 1_700_000_000.5);
        let back = parse(&report::json(&run.info, &run.stats)).unwrap();
        assert_eq!(back.info, run.info);
        assert_eq!(back.stats.histogram(), run.stats.histogram());
        assert_eq!(back.stats.statuses().collect::<Vec<_>>(), vec![(200, 3)]);
        assert_eq!(back.stats.errors_of(ErrorKind::Timeout), 2);
        assert_eq!((back.stats.sent, back.stats.bytes), (5, 300));
    }

    #[test]
    fn merging_is_exact() {
        let a: Vec<u64> = (1..=5000).map(|i| i * 7 % 3001 + 40).collect();
        let b: Vec<u64> = (1..=3000).map(|i| i * 13 % 90_001 + 900).collect();
        let merged = merge(&[run_with(&a, 200, 1000.0), run_with(&b, 503, 1002.0)]);
        let mut all = Stats::new();
        for &us in a.iter().chain(&b) {
            all.response(200, Duration::from_micros(us));
        }
        assert_eq!(merged.stats.histogram(), all.histogram());
        for q in [0.5, 0.9, 0.99, 0.999, 1.0] {
            assert_eq!(merged.stats.latency_us(q), all.latency_us(q), "{q}");
        }
        assert_eq!(
            merged.stats.statuses().collect::<Vec<_>>(),
            vec![(200, 5000), (503, 3000)]
        );
        assert_eq!(merged.stats.errors(), 4);
        assert_eq!(merged.stats.sent, 8004);
        assert_eq!(merged.info.connections, 20);
        assert_eq!(merged.info.rate, Some(1000.0));
        assert_eq!(merged.info.runs, 2);
        // Windows 1000..1010 and 1002..1012.
        assert_eq!(
            (merged.info.start_unix_s, merged.info.duration_s),
            (1000.0, 12.0)
        );
        assert_eq!(merged.info.url, "http://127.0.0.1:8080/");
        // A merged report merges again.
        let again = parse(&report::json(&merged.info, &merged.stats)).unwrap();
        assert_eq!(again.info, merged.info);
        assert_eq!(again.stats.histogram(), all.histogram());
    }

    #[test]
    fn bad_reports_are_clear_errors() {
        let run = run_with(&[10, 20], 200, 1.0);
        let good = report::json(&run.info, &run.stats);
        let broken = |edit: &dyn Fn(&mut Value)| {
            let mut v = good.clone();
            edit(&mut v);
            parse(&v).unwrap_err()
        };
        assert!(broken(&|v| v["histogram"] = Value::Null).contains("histogram"));
        assert!(broken(&|v| v["histogram"] = "AAAA".into()).contains("histogram"));
        assert!(broken(&|v| v["responses"] = 3.into()).contains("responses"));
        assert!(broken(&|v| v["statuses"]["200"] = 1.into()).contains("statuses count"));
        assert!(broken(&|v| v["statuses"]["abc"] = 1.into()).contains("unknown key"));
        assert!(broken(&|v| v["errors"]["eof"] = 1.into()).contains("unknown key"));
        assert!(broken(&|v| v["sent"] = (-1).into()).contains("\"sent\""));
        assert!(broken(&|v| v["rate"] = "fast".into()).contains("rate"));
        assert!(broken(&|v| v["url"] = 5.into()).contains("url"));
        assert!(broken(&|v| v["duration_s"] = (-1.0).into()).contains("duration_s"));
        assert!(broken(&|v| v["connections"] = (1u64 << 60).into()).contains("connections"));
    }
}
