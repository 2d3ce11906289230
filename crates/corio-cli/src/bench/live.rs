//! The live view while a run goes on: the current rate, the counts, and on a terminal a
//! histogram of the latencies so far.
//!
//! Invariants:
//! - the view goes to stderr, never stdout (stdout is the report's); `--json` has no view;
//! - on a terminal ([`View::Terminal`]) it is one block, drawn at the start and redrawn in
//!   place every [`LIVE_INTERVAL`] with cursor movements, and erased before the report;
//! - elsewhere ([`View::Plain`]: a log, a pipe) it is one plain line per [`LIVE_INTERVAL`],
//!   with no escape sequences;
//! - the workers feed it through [`Progress`]: relaxed atomic counters, one set per worker,
//!   written once per response by that worker's thread only (so a plain load and store, no
//!   locked read-modify-write) and read by the view (a display, not the figures: the report
//!   comes from the workers' [`super::stats::Stats`]).

use std::fmt::Write as _;
use std::io::Write as _;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::report::group;

/// How often the view is redrawn: once a second, enough to watch a run settle.
pub const LIVE_INTERVAL: Duration = Duration::from_secs(1);
/// How often the view's thread checks whether the run is over (so it ends promptly).
const LIVE_POLL: Duration = Duration::from_millis(50);
/// Buckets of the live histogram: bucket `b` holds latencies of `2^(b-1)` to `2^b - 1` µs
/// (bucket 0 holds 0 µs), so 34 of them reach 2^33 µs, past the longest recorded latency
/// (an hour, [`super::stats::LATENCY_HIGH_US`]); powers of two are fine enough to see a
/// distribution's shape and cost one instruction to find.
pub const LIVE_BUCKETS: usize = 34;
/// Most histogram rows drawn: the block must fit a small terminal, or redrawing it in place
/// (cursor up, then down) would scroll it away.
const MAX_ROWS: usize = 12;
/// Width of the longest bar, in characters.
const BAR_WIDTH: usize = 40;

/// A worker's running counts, written by its worker's thread only and read by the view
/// (relaxed atomics: a display only).
#[derive(Debug)]
pub struct Progress {
    buckets: [AtomicU64; LIVE_BUCKETS],
    errors: AtomicU64,
}

impl Default for Progress {
    fn default() -> Self {
        Progress {
            buckets: std::array::from_fn(|_| AtomicU64::new(0)),
            errors: AtomicU64::new(0),
        }
    }
}

impl Progress {
    /// Counts one response, `latency` after its intended send time.
    #[inline]
    pub fn record(&self, latency: Duration) {
        let us = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
        add(&self.buckets[bucket(us)], 1);
    }

    /// Adds `n` errors.
    pub fn add_errors(&self, n: u64) {
        add(&self.errors, n);
    }
}

/// Adds `n` to a counter that only the calling thread writes (see [`Progress`]).
#[inline]
fn add(counter: &AtomicU64, n: u64) {
    counter.store(counter.load(Ordering::Relaxed) + n, Ordering::Relaxed);
}

/// The bucket of a latency of `us` microseconds.
fn bucket(us: u64) -> usize {
    ((u64::BITS - us.leading_zeros()) as usize).min(LIVE_BUCKETS - 1)
}

/// The lowest latency, in µs, of bucket `b`.
fn bucket_floor(b: usize) -> u64 {
    match b {
        0 => 0,
        b => 1 << (b - 1),
    }
}

/// How the view shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    /// A block redrawn in place: header line and histogram.
    Terminal,
    /// One plain line per interval.
    Plain,
}

/// The workers' counts added up at one moment.
#[derive(Debug, Clone, PartialEq)]
struct Snapshot {
    buckets: [u64; LIVE_BUCKETS],
    errors: u64,
}

impl Snapshot {
    fn take(progress: &[Arc<Progress>]) -> Snapshot {
        let mut snapshot = Snapshot {
            buckets: [0; LIVE_BUCKETS],
            errors: 0,
        };
        for p in progress {
            for (sum, b) in snapshot.buckets.iter_mut().zip(&p.buckets) {
                *sum += b.load(Ordering::Relaxed);
            }
            snapshot.errors += p.errors.load(Ordering::Relaxed);
        }
        snapshot
    }

    fn responses(&self) -> u64 {
        self.buckets.iter().sum()
    }
}

/// Shows the view on stderr until `done` is set, then erases what must be erased.
pub fn run(progress: &[Arc<Progress>], start: Instant, done: &AtomicBool, view: View) {
    let mut stderr = std::io::stderr();
    let mut last = (start, 0u64);
    let mut next = start + LIVE_INTERVAL;
    let mut drawn_lines = 0;
    if view == View::Terminal {
        let frame = block(0.0, 0.0, &Snapshot::take(progress));
        drawn_lines = redraw(&mut stderr, drawn_lines, &frame);
    }
    while !done.load(Ordering::Relaxed) {
        std::thread::sleep(LIVE_POLL);
        let now = Instant::now();
        if now < next {
            continue;
        }
        next += LIVE_INTERVAL;
        let snapshot = Snapshot::take(progress);
        let responses = snapshot.responses();
        let rate = (responses - last.1) as f64 / now.duration_since(last.0).as_secs_f64();
        last = (now, responses);
        let elapsed = now.duration_since(start).as_secs_f64();
        match view {
            View::Terminal => {
                drawn_lines = redraw(&mut stderr, drawn_lines, &block(elapsed, rate, &snapshot));
            }
            View::Plain => {
                let _ = writeln!(stderr, "{}", header(elapsed, rate, &snapshot));
            }
        }
    }
    if view == View::Terminal {
        redraw(&mut stderr, drawn_lines, "");
    }
}

/// Replaces the `drawn` lines above the cursor by `frame`; returns its number of lines.
fn redraw(out: &mut impl std::io::Write, drawn: usize, frame: &str) -> usize {
    let mut text = String::new();
    if drawn > 0 {
        let _ = write!(text, "\r\x1b[{drawn}A");
    }
    text.push_str("\x1b[J");
    text.push_str(frame);
    // One write, so that a frame is never seen half drawn.
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
    frame.lines().count()
}

/// `<elapsed> <rate> req/s <responses> responses <errors> errors`.
fn header(elapsed: f64, rate: f64, snapshot: &Snapshot) -> String {
    format!(
        "{elapsed:>5.1}s  {:>12} req/s  {:>14} responses  {} errors",
        group(rate as u64),
        group(snapshot.responses()),
        group(snapshot.errors),
    )
}

/// The terminal block: the header, then a histogram of the latencies so far, one row per
/// bucket from the lowest to the highest seen (the lowest folded into the first row when
/// there are more than [`MAX_ROWS`]); each line ends with a newline.
fn block(elapsed: f64, rate: f64, snapshot: &Snapshot) -> String {
    let mut out = header(elapsed, rate, snapshot);
    out.push('\n');
    let seen = |b: &usize| snapshot.buckets[*b] > 0;
    let (Some(low), Some(high)) = ((0..LIVE_BUCKETS).find(seen), (0..LIVE_BUCKETS).rfind(seen))
    else {
        out.push_str("  latency: waiting for the first response\n");
        return out;
    };
    let first = low.max((high + 1).saturating_sub(MAX_ROWS));
    let mut rows: Vec<(String, u64)> = Vec::new();
    if first > low {
        let folded = snapshot.buckets[low..=first].iter().sum();
        rows.push((format!("< {}", short(bucket_floor(first + 1))), folded));
    } else {
        rows.push((range(first), snapshot.buckets[first]));
    }
    for b in first + 1..=high {
        rows.push((range(b), snapshot.buckets[b]));
    }
    let total = snapshot.responses() as f64;
    let tallest = rows.iter().map(|r| r.1).max().unwrap_or(1).max(1);
    for (label, n) in rows {
        let width = (n * BAR_WIDTH as u64).div_ceil(tallest) as usize;
        let _ = writeln!(
            out,
            "  {label:>17} │{:<BAR_WIDTH$} {:>5.1}%",
            "█".repeat(width),
            n as f64 * 100.0 / total,
        );
    }
    out
}

/// The latencies of bucket `b`, as `from–to`.
fn range(b: usize) -> String {
    match b {
        0 => "0µs".to_owned(),
        b => format!("{}–{}", short(bucket_floor(b)), short(bucket_floor(b + 1))),
    }
}

/// A latency in µs, short.
fn short(us: u64) -> String {
    match us {
        0..=999 => format!("{us}µs"),
        1_000..=999_999 => format!("{:.1}ms", us as f64 / 1e3),
        _ => format!("{:.1}s", us as f64 / 1e6),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_powers_of_two() {
        assert_eq!(bucket(0), 0);
        assert_eq!(bucket(1), 1);
        assert_eq!((bucket(2), bucket(3), bucket(4)), (2, 2, 3));
        assert_eq!(bucket(1023), 10);
        assert_eq!(bucket(1024), 11);
        assert_eq!(bucket(u64::MAX), LIVE_BUCKETS - 1);
        for b in 1..LIVE_BUCKETS {
            assert_eq!(bucket(bucket_floor(b)), b);
            assert_eq!(bucket(bucket_floor(b + 1) - 1), b);
        }
    }

    #[test]
    fn block_rows_and_folding() {
        let p = Progress::default();
        for us in [20, 20, 20, 40, 1500] {
            p.record(Duration::from_micros(us));
        }
        p.add_errors(2);
        let snapshot = Snapshot::take(&[Arc::new(p)]);
        let text = block(2.0, 1234.0, &snapshot);
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].contains("1,234 req/s"), "{text}");
        assert!(lines[0].contains("5 responses  2 errors"), "{text}");
        // 16–32 µs up to 1–2 ms: buckets 5 to 11, seven rows.
        assert_eq!(lines.len(), 1 + 7, "{text}");
        assert!(lines[1].contains("16µs–32µs │") && lines[1].contains("60.0%"));
        assert!(lines[1].contains(&"█".repeat(BAR_WIDTH)), "{text}");
        assert!(lines[7].contains("1.0ms–2.0ms") && lines[7].contains("20.0%"));
        assert!(lines[3].ends_with("  0.0%"), "{text}");

        let wide = Progress::default();
        wide.record(Duration::from_micros(1));
        wide.record(Duration::from_secs(10));
        let text = block(1.0, 0.0, &Snapshot::take(&[Arc::new(wide)]));
        assert_eq!(text.lines().count(), 1 + MAX_ROWS, "{text}");
        assert!(text.lines().nth(1).unwrap().contains("< "), "{text}");
        let empty = block(0.0, 0.0, &Snapshot::take(&[]));
        assert!(empty.contains("waiting for the first response"));
    }

    #[test]
    fn redraw_moves_up_over_the_last_frame() {
        let mut out = Vec::new();
        assert_eq!(redraw(&mut out, 0, "a\nb\n"), 2);
        assert_eq!(redraw(&mut out, 2, "c\n"), 1);
        assert_eq!(redraw(&mut out, 1, ""), 0);
        assert_eq!(out, b"\x1b[Ja\nb\n\r\x1b[2A\x1b[Jc\n\r\x1b[1A\x1b[J");
    }
}
