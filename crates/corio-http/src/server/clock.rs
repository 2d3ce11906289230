//! The per-worker clock: the `Date` header and the access-log timestamp, rendered once a
//! second by a ticker task instead of once per response.

use std::cell::RefCell;
use std::time::{Duration, SystemTime};

use crate::proto::date::{self, DateCache};

/// How often the cached values are refreshed: `Date` has one-second resolution.
pub const TICK: Duration = Duration::from_secs(1);

struct Clock {
    date: DateCache,
    /// `server: corio\r\ndate: <IMF-fixdate>\r\n`, written into every response head.
    fixed_fields: Vec<u8>,
    /// `24/Nov/2026:03:54:12 +0000`, the Common Log Format timestamp.
    log_time: String,
    /// `2026-11-24T03:54:12Z`, the JSON access log's timestamp (RFC 3339).
    iso_time: String,
}

impl Clock {
    fn new() -> Clock {
        let mut clock = Clock {
            date: DateCache::new(),
            fixed_fields: Vec::new(),
            log_time: String::new(),
            iso_time: String::new(),
        };
        clock.render(SystemTime::now());
        clock
    }

    fn render(&mut self, now: SystemTime) {
        self.date.update(now);
        self.fixed_fields.clear();
        self.fixed_fields
            .extend_from_slice(b"server: corio\r\ndate: ");
        self.fixed_fields.extend_from_slice(self.date.as_bytes());
        self.fixed_fields.extend_from_slice(b"\r\n");
        self.log_time = date::clf(now);
        self.iso_time = date::rfc3339(now);
    }
}

thread_local! {
    static CLOCK: RefCell<Clock> = RefCell::new(Clock::new());
}

/// Re-renders this worker's cached values (called by the ticker).
pub(crate) fn tick() {
    CLOCK.with(|clock| clock.borrow_mut().render(SystemTime::now()));
}

/// Calls `f` with the `Server` and `Date` field lines.
pub(crate) fn with_fixed_fields<R>(f: impl FnOnce(&[u8]) -> R) -> R {
    CLOCK.with(|clock| f(&clock.borrow().fixed_fields))
}

/// Calls `f` with the cached `Date` value (IMF-fixdate), for HTTP/2 responses.
pub(crate) fn with_date<R>(f: impl FnOnce(&[u8]) -> R) -> R {
    CLOCK.with(|clock| f(clock.borrow().date.as_bytes()))
}

/// Calls `f` with the Common Log Format timestamp.
pub(crate) fn with_log_time<R>(f: impl FnOnce(&str) -> R) -> R {
    CLOCK.with(|clock| f(&clock.borrow().log_time))
}

/// Calls `f` with the RFC 3339 timestamp.
pub(crate) fn with_iso_time<R>(f: impl FnOnce(&str) -> R) -> R {
    CLOCK.with(|clock| f(&clock.borrow().iso_time))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::UNIX_EPOCH;

    #[test]
    fn clf_time_matches_known_instants() {
        let at = |secs| UNIX_EPOCH + Duration::from_secs(secs);
        assert_eq!(date::clf(at(0)), "01/Jan/1970:00:00:00 +0000");
        assert_eq!(date::clf(at(1_795_492_452)), "24/Nov/2026:03:54:12 +0000");
        assert_eq!(date::clf(at(951_782_400)), "29/Feb/2000:00:00:00 +0000");
        assert_eq!(date::rfc3339(at(1_795_492_452)), "2026-11-24T03:54:12Z");
    }

    #[test]
    fn fixed_fields_hold_server_and_date() {
        tick();
        with_fixed_fields(|f| {
            let text = std::str::from_utf8(f).unwrap();
            assert!(text.starts_with("server: corio\r\ndate: "));
            assert!(text.ends_with(" GMT\r\n"));
        });
    }
}
