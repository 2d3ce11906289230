//! Crawl output: one line (or JSON object) per URL, the live progress line, and the final
//! summary.
//!
//! Invariants: per-URL output is a pure function of the [`Stat`], so text and JSON list the
//! same facts; the summary counts every URL exactly once, under its status or as an error.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use super::engine::Stat;

/// The `STATUS URL` line of a stat (`ERR URL: error` without a response).
pub fn line(stat: &Stat) -> String {
    match (stat.status, &stat.error) {
        (Some(status), None) => match &stat.redirect {
            Some(to) => format!("{status} {} -> {to}", stat.url),
            None => format!("{status} {}", stat.url),
        },
        (Some(status), Some(e)) => format!("{status} {} ({e})", stat.url),
        (None, e) => format!("ERR {} ({})", stat.url, e.as_deref().unwrap_or("failed")),
    }
}

/// The stat as a JSON object.
pub fn json(stat: &Stat) -> serde_json::Value {
    serde_json::json!({
        "url": stat.url,
        "status": stat.status,
        "size": stat.size,
        "content_type": stat.content_type,
        "links": stat.links,
        "new_links": stat.new_links,
        "redirect": stat.redirect,
        "tries": stat.tries,
        "error": stat.error,
    })
}

/// The live progress line: URLs done and their rate so far, fetches in flight, the frontier
/// (URLs found and queued, not yet taken), and the latest URL.
pub fn progress(
    done: usize,
    elapsed: Duration,
    in_flight: usize,
    frontier: usize,
    url: &str,
) -> String {
    let secs = elapsed.as_secs_f64();
    let rate = if secs > 0.0 { done as f64 / secs } else { 0.0 };
    format!("{done} done ({rate:.1} pages/s), {in_flight} in flight, frontier {frontier} — {url}")
}

/// Totals over a crawl.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// URLs fetched (with or without a response).
    pub urls: usize,
    /// How many URLs ended with each status.
    pub by_status: BTreeMap<u16, usize>,
    /// URLs without a response.
    pub errors: usize,
    /// Body bytes received.
    pub bytes: u64,
    /// Wall time of the crawl.
    pub elapsed: Duration,
}

impl Summary {
    /// Sums up `stats`.
    pub fn new(stats: &[Stat], elapsed: Duration) -> Summary {
        let mut by_status = BTreeMap::new();
        let mut errors = 0;
        for s in stats {
            match s.status {
                Some(code) => *by_status.entry(code).or_insert(0) += 1,
                None => errors += 1,
            }
        }
        Summary {
            urls: stats.len(),
            by_status,
            errors,
            bytes: stats.iter().map(|s| s.size).sum(),
            elapsed,
        }
    }

    /// URLs per second.
    pub fn rate(&self) -> f64 {
        let secs = self.elapsed.as_secs_f64();
        if secs > 0.0 {
            self.urls as f64 / secs
        } else {
            0.0
        }
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "crawl: {} URLs in {:.3}s ({:.1} pages/s), {} bytes;",
            self.urls,
            self.elapsed.as_secs_f64(),
            self.rate(),
            self.bytes
        )?;
        for (status, n) in &self.by_status {
            write!(f, " {status}: {n}")?;
        }
        write!(f, " errors: {}", self.errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_summary() {
        let ok = Stat {
            url: "http://h/".into(),
            status: Some(200),
            size: 10,
            ..Stat::default()
        };
        let moved = Stat {
            url: "http://h/a".into(),
            status: Some(301),
            redirect: Some("http://h/b".into()),
            ..Stat::default()
        };
        let err = Stat {
            url: "http://h/c".into(),
            error: Some("refused".into()),
            ..Stat::default()
        };
        assert_eq!(line(&ok), "200 http://h/");
        assert_eq!(line(&moved), "301 http://h/a -> http://h/b");
        assert_eq!(line(&err), "ERR http://h/c (refused)");
        assert_eq!(
            progress(30, Duration::from_secs(4), 2, 17, "http://h/x"),
            "30 done (7.5 pages/s), 2 in flight, frontier 17 — http://h/x"
        );
        assert_eq!(json(&ok)["status"], 200);
        let s = Summary::new(&[ok, moved, err], Duration::from_secs(2));
        assert_eq!(s.rate(), 1.5);
        assert_eq!(
            s.to_string(),
            "crawl: 3 URLs in 2.000s (1.5 pages/s), 10 bytes; 200: 1 301: 1 errors: 1"
        );
    }
}
