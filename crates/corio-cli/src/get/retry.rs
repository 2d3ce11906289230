//! `--retry N`: which failures are worth another try, and how long to wait before it.
//!
//! Retried: transient errors (connect, resolve, timeouts, a connection that broke) and the
//! statuses that say "not now" — 408, 429 and 5xx except 501 and 505 (those say the request
//! can never work). The wait doubles from [`FIRST_DELAY`] up to [`MAX_DELAY`], as curl's;
//! a `Retry-After` (seconds or an HTTP date) on the response replaces it, capped at
//! `MAX_DELAY` so that a server cannot park the command for a day.

use std::time::{Duration, SystemTime};

use http::{HeaderMap, StatusCode};

/// The wait before the first retry.
pub const FIRST_DELAY: Duration = Duration::from_secs(1);
/// The longest wait between tries (curl's cap): longer, and a person would rather retry by hand.
pub const MAX_DELAY: Duration = Duration::from_secs(600);

/// Whether a response with `status` is worth retrying.
pub fn status_is_transient(status: StatusCode) -> bool {
    match status.as_u16() {
        408 | 429 => true,
        501 | 505 => false,
        s => (500..600).contains(&s),
    }
}

/// The wait before retry number `retry` (1 for the first), given the response's headers if
/// there was a response.
pub fn delay(retry: u32, headers: Option<&HeaderMap>, now: SystemTime) -> Duration {
    if let Some(after) = headers.and_then(|h| retry_after(h, now)) {
        return after.min(MAX_DELAY);
    }
    let doublings = retry.saturating_sub(1).min(16);
    (FIRST_DELAY * (1 << doublings)).min(MAX_DELAY)
}

/// The wait a `Retry-After` field asks for: delay-seconds or an HTTP date (a date in the
/// past means now).
fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let value = headers
        .get(http::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(http::header::RETRY_AFTER, value.parse().unwrap());
        h
    }

    #[test]
    fn transient_statuses() {
        for s in [408, 429, 500, 502, 503, 504, 599] {
            assert!(status_is_transient(StatusCode::from_u16(s).unwrap()), "{s}");
        }
        for s in [200, 301, 400, 404, 416, 501, 505] {
            assert!(
                !status_is_transient(StatusCode::from_u16(s).unwrap()),
                "{s}"
            );
        }
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let now = SystemTime::now();
        let waits: Vec<u64> = (1..=12).map(|r| delay(r, None, now).as_secs()).collect();
        assert_eq!(waits, [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 600, 600]);
        assert_eq!(delay(u32::MAX, None, now), MAX_DELAY);
        // Headers without Retry-After: the backoff.
        assert_eq!(delay(2, Some(&HeaderMap::new()), now).as_secs(), 2);
    }

    #[test]
    fn retry_after_wins() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(delay(5, Some(&with("0")), now), Duration::ZERO);
        assert_eq!(delay(1, Some(&with(" 7 ")), now).as_secs(), 7);
        assert_eq!(delay(1, Some(&with("999999")), now), MAX_DELAY);
        let later = httpdate::fmt_http_date(now + Duration::from_secs(30));
        assert_eq!(delay(1, Some(&with(&later)), now).as_secs(), 30);
        let earlier = httpdate::fmt_http_date(now - Duration::from_secs(30));
        assert_eq!(delay(1, Some(&with(&earlier)), now), Duration::ZERO);
        // Not a number nor a date: the backoff.
        assert_eq!(delay(3, Some(&with("soon")), now).as_secs(), 4);
    }
}
