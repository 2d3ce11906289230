//! Wall-clock time: `--start-at`, which lets several generators (on several machines) start
//! one load at the same moment, and the run's start as a Unix time in the report, which lets
//! [`super::merge`] line their windows up.
//!
//! Decision: `--start-at` takes either Unix seconds (`1767225600`, fractions allowed, what
//! `date +%s` prints) or an RFC 3339 time with its offset (`2026-01-01T00:00:00Z`,
//! `2026-01-01T01:00:00+01:00`); both are absolute, so every generator can be given the same
//! string. The machines' clocks must agree (NTP keeps them within milliseconds).
//!
//! Invariants: a start time in the past, or further ahead than [`MAX_START_DELAY`], is a bad
//! argument (exit status 2) rather than a run that silently does not overlap the others.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Furthest ahead a start may be: a day. A longer wait is almost surely a typo (milliseconds
/// given as seconds, a wrong year).
pub const MAX_START_DELAY: Duration = Duration::from_secs(24 * 3600);

/// A `--start-at` value: Unix seconds or RFC 3339, between now and [`MAX_START_DELAY`] ahead.
pub fn parse_start_at(s: &str) -> Result<SystemTime, String> {
    let at = parse_time(s)?;
    let now = SystemTime::now();
    match at.duration_since(now) {
        Err(past) => Err(format!(
            "start time {s:?} is {:.1}s in the past",
            past.duration().as_secs_f64()
        )),
        Ok(ahead) if ahead > MAX_START_DELAY => Err(format!(
            "start time {s:?} is more than {}h ahead",
            MAX_START_DELAY.as_secs() / 3600
        )),
        Ok(_) => Ok(at),
    }
}

/// Unix seconds or RFC 3339, as an absolute time.
fn parse_time(s: &str) -> Result<SystemTime, String> {
    if let Ok(secs) = s.parse::<f64>() {
        if (0.0..1e12).contains(&secs) {
            return Ok(UNIX_EPOCH + Duration::from_secs_f64(secs));
        }
    }
    let t = OffsetDateTime::parse(s, &Rfc3339).map_err(|_| {
        format!(
            "invalid start time {s:?} (Unix seconds like 1767225600, or RFC 3339 like \
             2026-01-01T00:00:00Z)"
        )
    })?;
    let nanos = u64::try_from(t.unix_timestamp_nanos())
        .map_err(|_| format!("start time {s:?} is before 1970"))?;
    Ok(UNIX_EPOCH + Duration::from_nanos(nanos))
}

/// Sleeps until `at` (returns at once if it has passed).
pub fn wait_until(at: SystemTime) {
    if let Ok(left) = at.duration_since(SystemTime::now()) {
        std::thread::sleep(left);
    }
}

/// `at` for people: Unix seconds, and how far ahead it is.
pub fn describe(at: SystemTime) -> String {
    let ahead = at
        .duration_since(SystemTime::now())
        .map_or(0.0, |d| d.as_secs_f64());
    format!("{:.3} (in {ahead:.1}s)", unix_seconds(at))
}

/// `at` in seconds since the Unix epoch.
pub fn unix_seconds(at: SystemTime) -> f64 {
    at.duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_forms_name_the_same_instant() {
        let utc = parse_time("2026-01-01T00:00:00Z").unwrap();
        assert_eq!(parse_time("1767225600").unwrap(), utc);
        assert_eq!(parse_time("2026-01-01T01:00:00+01:00").unwrap(), utc);
        assert_eq!(
            parse_time("1767225600.5").unwrap(),
            utc + Duration::from_millis(500)
        );
        assert_eq!(unix_seconds(utc), 1_767_225_600.0);
        for bad in [
            "",
            "soon",
            "2026-01-01",
            "2026-01-01 00:00:00",
            "-5",
            "1e300",
            "NaN",
        ] {
            assert!(parse_time(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn only_the_near_future_is_accepted() {
        let now = unix_seconds(SystemTime::now());
        assert!(parse_start_at(&format!("{}", now - 5.0))
            .unwrap_err()
            .contains("in the past"));
        assert!(parse_start_at(&format!("{}", now + 2.0 * 86400.0))
            .unwrap_err()
            .contains("ahead"));
        assert!(parse_start_at(&format!("{}", now + 60.0)).is_ok());
    }
}
