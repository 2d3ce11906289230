//! The `Date` header value (RFC 9110 §6.6.1), cached per second.
//!
//! Invariants: the cached value is always a valid IMF-fixdate such as
//! `Tue, 24 Nov 2026 03:54:12 GMT` for the second last passed to
//! [`DateCache::update`]; it is re-rendered only when that second changes, so
//! the server can call `update` from a timer or per request at no cost.
//!
//! The other formats the server writes (RFC 3339 in JSON logs and listings, the Common Log
//! Format's time) are rendered by the `time` crate, from the same UTC instant.

use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::HeaderValue;

/// Length of an IMF-fixdate: `Sun, 06 Nov 1994 08:49:37 GMT`.
pub const IMF_FIXDATE_LEN: usize = 29;

/// A rendered `Date` header value, refreshed at most once per second.
#[derive(Debug, Clone)]
pub struct DateCache {
    second: u64,
    value: HeaderValue,
}

impl DateCache {
    /// A cache holding the current time.
    pub fn new() -> DateCache {
        let now = SystemTime::now();
        DateCache {
            second: unix_second(now),
            value: render(now),
        }
    }

    /// Re-renders the value if `now` falls in a different second.
    pub fn update(&mut self, now: SystemTime) {
        let second = unix_second(now);
        if second != self.second {
            self.second = second;
            self.value = render(now);
        }
    }

    /// The value as a (cheaply clonable) header value.
    pub fn header_value(&self) -> &HeaderValue {
        &self.value
    }

    /// The value's bytes, for writing straight into a response head.
    pub fn as_bytes(&self) -> &[u8] {
        self.value.as_bytes()
    }
}

impl Default for DateCache {
    fn default() -> Self {
        DateCache::new()
    }
}

fn unix_second(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

fn render(t: SystemTime) -> HeaderValue {
    let text = httpdate::fmt_http_date(t);
    // An IMF-fixdate is plain ASCII, so this never takes the fallback.
    HeaderValue::from_maybe_shared(Bytes::from(text))
        .unwrap_or_else(|_| HeaderValue::from_static("Thu, 01 Jan 1970 00:00:00 GMT"))
}

/// `t` as RFC 3339 in UTC to the second: `2026-11-30T09:44:38Z`.
pub(crate) fn rfc3339(t: SystemTime) -> String {
    let t = time::OffsetDateTime::from(t)
        .replace_nanosecond(0)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// `t` in the Common Log Format: `24/Nov/2026:03:54:12 +0000`.
pub(crate) fn clf(t: SystemTime) -> String {
    let t = time::OffsetDateTime::from(t);
    let month = t.month().to_string();
    format!(
        "{:02}/{}/{:04}:{:02}:{:02}:{:02} +0000",
        t.day(),
        &month[..3],
        t.year(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn renders_and_caches() {
        let table: &[(u64, &str)] = &[
            (0, "Thu, 01 Jan 1970 00:00:00 GMT"),
            (784111777, "Sun, 06 Nov 1994 08:49:37 GMT"),
            (1795492452, "Tue, 24 Nov 2026 03:54:12 GMT"),
        ];
        let mut cache = DateCache::new();
        for (secs, want) in table {
            let t = UNIX_EPOCH + Duration::from_secs(*secs);
            cache.update(t);
            assert_eq!(cache.as_bytes(), want.as_bytes());
            assert_eq!(cache.as_bytes().len(), IMF_FIXDATE_LEN);
            // Same second, later instant: unchanged.
            cache.update(t + Duration::from_millis(999));
            assert_eq!(cache.header_value(), *want);
        }
    }
}
