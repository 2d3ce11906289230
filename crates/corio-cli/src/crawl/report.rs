//! Crawl output: one line (or JSON object) per URL, the live progress line, and the final
//! summary.
//!
//! Invariants: per-URL output is a pure function of the [`Stat`], so text and JSON list the
//! same facts; the summary counts every URL exactly once, under its status or as an error;
//! the broken-link report lists each broken URL once, with the pages that link to it.

use std::collections::{BTreeMap, HashMap};
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
        "depth": stat.depth,
        "referrer": stat.referrer,
        "time_ms": stat.time.as_secs_f64() * 1000.0,
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
    /// URLs robots.txt did not allow.
    pub disallowed: usize,
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
            disallowed: 0,
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
        write!(f, " errors: {}", self.errors)?;
        if self.disallowed > 0 {
            write!(f, "; robots.txt disallowed: {}", self.disallowed)?;
        }
        Ok(())
    }
}

/// The broken-link report: each URL that failed or answered 400 or more, in URL order, with
/// the pages that link to it (or redirect to it).
///
/// ```text
/// broken links: 1
/// 404 http://h/missing
///     linked from http://h/
/// ```
pub fn broken(stats: &[Stat], referrers: &HashMap<String, Vec<String>>) -> String {
    let mut broken: Vec<&Stat> = stats.iter().filter(|s| s.is_broken()).collect();
    broken.sort_by(|a, b| a.url.cmp(&b.url));
    let mut out = format!("broken links: {}\n", broken.len());
    for s in broken {
        match s.status {
            Some(code) => out.push_str(&format!("{code} {}\n", s.url)),
            None => out.push_str(&format!(
                "ERR {} ({})\n",
                s.url,
                s.error.as_deref().unwrap_or("failed")
            )),
        }
        for from in referrers.get(&s.url).into_iter().flatten() {
            out.push_str(&format!("    linked from {from}\n"));
        }
    }
    out
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
        let s = Summary::new(&[ok.clone(), moved, err.clone()], Duration::from_secs(2));
        assert_eq!(s.rate(), 1.5);
        assert_eq!(
            s.to_string(),
            "crawl: 3 URLs in 2.000s (1.5 pages/s), 10 bytes; 200: 1 301: 1 errors: 1"
        );
        let missing = Stat {
            url: "http://h/m".into(),
            status: Some(404),
            ..Stat::default()
        };
        let refs = HashMap::from([(
            "http://h/m".to_owned(),
            vec!["http://h/".to_owned(), "http://h/a".to_owned()],
        )]);
        assert_eq!(
            broken(&[ok.clone(), missing, err.clone()], &refs),
            "broken links: 2\nERR http://h/c (refused)\n404 http://h/m\n    linked from http://h/\n    linked from http://h/a\n"
        );
    }
}
