//! What a run measured: the latency histogram, counts per status and per error kind, bytes.
//!
//! Invariants:
//! - every request the generator sent (or meant to send, for a failed connect) ends up in
//!   exactly one count: a response (under its status) or an error (under its kind);
//! - latency is recorded once per response, in microseconds, from that request's own
//!   *intended* send time (its write in the closed loop, its slot in the schedule in the open
//!   loop), never once per pipelined batch;
//! - recording allocates nothing: the histogram and the status table are sized up front;
//! - [`Stats::merge`] is exact (histograms add bucket by bucket), so merging the workers'
//!   stats gives the same figures as one worker seeing every response, and merging the
//!   reports of several runs ([`super::merge`]) the same as one run seeing every response;
//! - figures rebuilt from a report ([`Stats::from_parts`]) are checked: a response is one
//!   latency and one status, so the statuses must add up to the histogram's count.

use std::time::Duration;

use hdrhistogram::Histogram;

/// Lowest latency the histogram tells apart: 1 µs (loopback round trips are tens of µs).
pub const LATENCY_LOW_US: u64 = 1;
/// Highest latency recorded exactly: one hour; anything slower is clamped to it.
pub const LATENCY_HIGH_US: u64 = 3_600_000_000;
/// Significant decimal digits kept: 3 (0.1 % error), the usual HDR choice, 200 KiB per worker.
pub const LATENCY_SIGFIG: u8 = 3;
/// Status codes are three digits: one counter for each of 0..=999 (no map, no hashing).
const STATUS_SLOTS: usize = 1000;

/// Why a request failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The connection could not be opened.
    Connect,
    /// The connection failed or was closed while the request waited for its response.
    Read,
    /// The request could not be written.
    Write,
    /// No complete response within `--timeout`.
    Timeout,
    /// The response (or a response before it on the connection) was malformed.
    InvalidResponse,
}

impl ErrorKind {
    /// Every kind, in report order.
    pub const ALL: [ErrorKind; 5] = [
        ErrorKind::Connect,
        ErrorKind::Read,
        ErrorKind::Write,
        ErrorKind::Timeout,
        ErrorKind::InvalidResponse,
    ];

    /// The name used in the text and JSON reports.
    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::Connect => "connect",
            ErrorKind::Read => "read",
            ErrorKind::Write => "write",
            ErrorKind::Timeout => "timeout",
            ErrorKind::InvalidResponse => "invalid_response",
        }
    }

    /// The kind named `name` in a report.
    pub fn from_name(name: &str) -> Option<ErrorKind> {
        ErrorKind::ALL.into_iter().find(|k| k.name() == name)
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// The figures of one worker, or of a whole run once merged.
#[derive(Debug, Clone)]
pub struct Stats {
    latency: Histogram<u64>,
    statuses: Vec<u64>,
    errors: [u64; ErrorKind::ALL.len()],
    /// Requests written (or started to be written).
    pub sent: u64,
    /// Bytes received.
    pub bytes: u64,
    /// Why the first failed connect failed (the rest are usually the same).
    pub connect_error: Option<String>,
    /// Connect and handshake times.
    pub setup: super::setup::SetupTimes,
}

impl Default for Stats {
    fn default() -> Self {
        Stats::new()
    }
}

impl Stats {
    /// Empty figures.
    pub fn new() -> Stats {
        let latency = Histogram::new_with_bounds(LATENCY_LOW_US, LATENCY_HIGH_US, LATENCY_SIGFIG)
            .expect("valid histogram bounds");
        Stats {
            latency,
            statuses: vec![0; STATUS_SLOTS],
            errors: [0; ErrorKind::ALL.len()],
            sent: 0,
            bytes: 0,
            connect_error: None,
            setup: Default::default(),
        }
    }

    /// Counts one response with `status`, `latency` after its intended send time.
    #[inline]
    pub fn response(&mut self, status: u16, latency: Duration) {
        let us = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
        self.latency.saturating_record(us.max(LATENCY_LOW_US));
        self.statuses[usize::from(status) % STATUS_SLOTS] += 1;
    }

    /// Figures rebuilt from a report's parts (see [`super::merge`]); the latencies are copied
    /// into a histogram with this module's bounds, so that any two such figures merge.
    pub fn from_parts(
        latency: &Histogram<u64>,
        statuses: &[(u16, u64)],
        errors: &[(ErrorKind, u64)],
        sent: u64,
        bytes: u64,
    ) -> Result<Stats, String> {
        let mut stats = Stats::new();
        stats.latency.add(latency).map_err(|_| {
            format!(
                "its histogram holds latencies above {LATENCY_HIGH_US} µs, the most corio records"
            )
        })?;
        for &(status, n) in statuses {
            let slot = stats
                .statuses
                .get_mut(usize::from(status))
                .ok_or_else(|| format!("status {status} is not three digits"))?;
            *slot = slot.saturating_add(n);
        }
        let counted = stats
            .statuses
            .iter()
            .fold(0u64, |sum, &n| sum.saturating_add(n));
        if counted != stats.responses() {
            return Err(format!(
                "its statuses count {counted} responses but its histogram {}",
                stats.responses()
            ));
        }
        for &(kind, n) in errors {
            stats.error(kind, n);
        }
        stats.sent = sent;
        stats.bytes = bytes;
        Ok(stats)
    }

    /// The latency histogram, in microseconds.
    pub fn histogram(&self) -> &Histogram<u64> {
        &self.latency
    }

    /// Counts `n` requests failed for `kind`.
    pub fn error(&mut self, kind: ErrorKind, n: u64) {
        let count = &mut self.errors[kind.index()];
        *count = count.saturating_add(n);
    }

    /// Keeps the reason of the first failed connect.
    pub fn note_connect_error(&mut self, error: &std::io::Error) {
        if self.connect_error.is_none() {
            self.connect_error = Some(error.to_string());
        }
    }

    /// Adds `other` into `self`.
    pub fn merge(&mut self, other: &Stats) {
        self.latency
            .add(&other.latency)
            .expect("histograms with the same bounds");
        // Saturating: counts read from reports are not bounded by what one run can send.
        for (mine, theirs) in self.statuses.iter_mut().zip(&other.statuses) {
            *mine = mine.saturating_add(*theirs);
        }
        for (mine, theirs) in self.errors.iter_mut().zip(&other.errors) {
            *mine = mine.saturating_add(*theirs);
        }
        self.sent = self.sent.saturating_add(other.sent);
        self.bytes = self.bytes.saturating_add(other.bytes);
        if self.connect_error.is_none() {
            self.connect_error.clone_from(&other.connect_error);
        }
        self.setup.merge(&other.setup);
    }

    /// Responses counted.
    pub fn responses(&self) -> u64 {
        self.latency.len()
    }

    /// Failed requests of `kind`.
    pub fn errors_of(&self, kind: ErrorKind) -> u64 {
        self.errors[kind.index()]
    }

    /// Failed requests of every kind.
    pub fn errors(&self) -> u64 {
        self.errors.iter().fold(0, |sum, &n| sum.saturating_add(n))
    }

    /// `(status, count)` for every status seen, in increasing order.
    pub fn statuses(&self) -> impl Iterator<Item = (u16, u64)> + '_ {
        self.statuses
            .iter()
            .enumerate()
            .filter(|&(_, &n)| n > 0)
            .map(|(status, &n)| (status as u16, n))
    }

    /// The latency at `quantile` (0.0..=1.0), in microseconds; 0 with no responses.
    pub fn latency_us(&self, quantile: f64) -> u64 {
        if self.latency.is_empty() {
            return 0;
        }
        self.latency.value_at_quantile(quantile)
    }

    /// The largest latency recorded, in microseconds.
    pub fn max_us(&self) -> u64 {
        self.latency.max()
    }

    /// The mean latency, in microseconds.
    pub fn mean_us(&self) -> f64 {
        self.latency.mean()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_merges() {
        let mut a = Stats::new();
        let mut b = Stats::new();
        for i in 1..=100u64 {
            a.response(200, Duration::from_micros(i));
        }
        b.response(404, Duration::from_millis(250));
        b.response(200, Duration::ZERO);
        b.error(ErrorKind::Timeout, 3);
        b.sent = 105;
        a.merge(&b);
        assert_eq!(a.responses(), 102);
        assert_eq!(a.statuses().collect::<Vec<_>>(), vec![(200, 101), (404, 1)]);
        assert_eq!(a.errors_of(ErrorKind::Timeout), 3);
        assert_eq!(a.errors(), 3);
        assert_eq!(a.sent, 105);
        assert!(a.max_us() >= 249_000);
        assert!(a.latency_us(0.5) <= 52);
    }
}
