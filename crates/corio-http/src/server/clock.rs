//! The per-worker clock: the `Date` header and the access-log timestamp, rendered once a
//! second by a ticker task instead of once per response.

use std::cell::RefCell;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::proto::DateCache;

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
        self.log_time = clf_time(now);
        self.iso_time = iso_time(now);
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

/// Formats `now` as `yyyy-mm-ddThh:mm:ssZ`.
fn iso_time(now: SystemTime) -> String {
    let secs = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (year, month, day) = civil_from_days(days as i64);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Formats `now` as `dd/Mon/yyyy:hh:mm:ss +0000`.
fn clf_time(now: SystemTime) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let secs = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (year, month, day) = civil_from_days(days as i64);
    format!(
        "{day:02}/{}/{year:04}:{:02}:{:02}:{:02} +0000",
        MONTHS[(month - 1) as usize],
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 → (year, month 1-12, day 1-31), Howard Hinnant's algorithm.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clf_time_matches_known_instants() {
        let at = |secs| UNIX_EPOCH + Duration::from_secs(secs);
        assert_eq!(clf_time(at(0)), "01/Jan/1970:00:00:00 +0000");
        assert_eq!(clf_time(at(1_795_492_452)), "24/Nov/2026:03:54:12 +0000");
        assert_eq!(clf_time(at(951_782_400)), "29/Feb/2000:00:00:00 +0000");
        assert_eq!(iso_time(at(1_795_492_452)), "2026-11-24T03:54:12Z");
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
