//! [`SetupTimes`]: how long opening connections took: the TCP connect and, for `https`, the
//! TLS handshake, each in its own histogram (one sample per connection opened).
//!
//! With keep-alive these are a handful of samples at the start of a run; with `--new-conn`
//! (a new connection per request) one per request, which is what measures a server's
//! handshake cost. A failed connect or handshake records nothing (it is a connect error).
//! The figures are reported per run; a merged report (`corio bench merge`) does not carry
//! them, since a report stores only the request latencies' histogram.

use std::fmt::Write as _;
use std::time::Duration;

use hdrhistogram::Histogram;
use serde_json::{json, Value};

use super::report::micros;
use super::stats::{LATENCY_HIGH_US, LATENCY_LOW_US};

/// Significant digits of the setup histograms: 2 (1 % error) is plenty for a connect time and
/// keeps each histogram a few KiB.
const SETUP_SIGFIG: u8 = 2;

/// Connect and handshake times of one worker, or of a whole run once merged.
#[derive(Debug, Clone)]
pub struct SetupTimes {
    connect: Histogram<u64>,
    handshake: Histogram<u64>,
}

impl Default for SetupTimes {
    fn default() -> Self {
        let new = || {
            Histogram::new_with_bounds(LATENCY_LOW_US, LATENCY_HIGH_US, SETUP_SIGFIG)
                .expect("valid histogram bounds")
        };
        SetupTimes {
            connect: new(),
            handshake: new(),
        }
    }
}

impl SetupTimes {
    /// Records one TCP connect.
    pub fn connect(&mut self, took: Duration) {
        record(&mut self.connect, took);
    }

    /// Records one TLS handshake.
    pub fn handshake(&mut self, took: Duration) {
        record(&mut self.handshake, took);
    }

    /// Adds `other` into `self`.
    pub fn merge(&mut self, other: &SetupTimes) {
        self.connect
            .add(&other.connect)
            .expect("histograms with the same bounds");
        self.handshake
            .add(&other.handshake)
            .expect("histograms with the same bounds");
    }

    /// Report lines: `connect` and (if any) `handshake`, each with its count and percentiles;
    /// nothing if no connection was opened.
    pub fn text(&self) -> String {
        let mut out = String::new();
        for (name, h) in [("connect", &self.connect), ("handshake", &self.handshake)] {
            if h.is_empty() {
                continue;
            }
            let _ = writeln!(
                out,
                "  {name:<9}  {} × p50 {}  p99 {}  max {}  (mean {})",
                h.len(),
                micros(h.value_at_quantile(0.5)),
                micros(h.value_at_quantile(0.99)),
                micros(h.max()),
                micros(h.mean().round() as u64),
            );
        }
        out
    }

    /// `{"connect_us": {...}, "handshake_us": {...}}`: count, p50, p99, max and mean of each
    /// (zeros when none).
    pub fn json(&self) -> [(&'static str, Value); 2] {
        let summary = |h: &Histogram<u64>| {
            let at = |q| {
                if h.is_empty() {
                    0
                } else {
                    h.value_at_quantile(q)
                }
            };
            json!({
                "count": h.len(),
                "p50": at(0.5),
                "p99": at(0.99),
                "max": h.max(),
                "mean": if h.is_empty() { 0.0 } else { h.mean() },
            })
        };
        [
            ("connect_us", summary(&self.connect)),
            ("handshake_us", summary(&self.handshake)),
        ]
    }
}

fn record(h: &mut Histogram<u64>, took: Duration) {
    let us = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
    h.saturating_record(us.max(LATENCY_LOW_US));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_merges_and_reports() {
        let mut a = SetupTimes::default();
        assert!(a.text().is_empty());
        a.connect(Duration::from_micros(80));
        let mut b = SetupTimes::default();
        b.connect(Duration::from_micros(120));
        b.handshake(Duration::from_micros(900));
        a.merge(&b);
        let text = a.text();
        assert!(text.contains("connect    2 ×"), "{text}");
        assert!(text.contains("handshake  1 ×"), "{text}");
        let [(_, connect), (_, handshake)] = a.json();
        assert_eq!(connect["count"], 2);
        assert_eq!(handshake["count"], 1);
        assert!(handshake["p50"].as_u64().unwrap() >= 890);
    }
}
