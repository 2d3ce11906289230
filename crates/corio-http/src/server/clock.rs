//! The per-worker clock: the `Date` header and the access-log timestamp, rendered once a
//! second by a ticker task instead of once per response.
//!
//! It also keeps the whole head of the commonest response, `HTTP/1.1 200 OK`, the `Server` and
//! `Date` lines, and the content type and length of the last such response, so that the driver
//! writes a head with one copy (see [`with_ok_head`]): a new length rewrites only its digits, a
//! new type the whole head. The tick clears it: it never carries a stale `Date`.

use std::cell::RefCell;
use std::time::{Duration, SystemTime};

use http::HeaderValue;

use crate::proto::date::{self, DateCache};
use crate::proto::response::decimal;

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
    /// `HTTP/1.1 200 OK\r\n`, the fixed fields, `content-type: <ok_type>\r\ncontent-length: `,
    /// then `<ok_len>\r\n\r\n`; empty until a response asks for it after a tick.
    ok_head: Vec<u8>,
    /// Where the length's digits start in `ok_head`.
    ok_digits_at: usize,
    /// The content type `ok_head` holds.
    ok_type: Option<HeaderValue>,
    /// The length `ok_head` holds.
    ok_len: u64,
}

impl Clock {
    fn new() -> Clock {
        let mut clock = Clock {
            date: DateCache::new(),
            fixed_fields: Vec::new(),
            log_time: String::new(),
            iso_time: String::new(),
            ok_head: Vec::new(),
            ok_digits_at: 0,
            ok_type: None,
            ok_len: 0,
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
        self.ok_type = None;
    }

    /// The `200 OK` head for `content_type` and a body of `len` bytes, rebuilt if it was made
    /// for another type or before the last tick, its digits rewritten for another length.
    /// Inlined, the usual case (the same type and length) is two compares; the rest is
    /// [`Clock::renew_ok_head`].
    #[inline]
    fn ok_head(&mut self, content_type: &HeaderValue, len: u64) -> &[u8] {
        // A static value (the common case) is found by its address; another by its bytes.
        let same_type = self.ok_type.as_ref().is_some_and(|cached| {
            std::ptr::eq(cached.as_bytes(), content_type.as_bytes()) || cached == content_type
        });
        if !same_type || self.ok_len != len {
            self.renew_ok_head(same_type, content_type, len);
        }
        &self.ok_head
    }

    /// Rebuilds the `200 OK` head for another type (or after a tick), or rewrites its digits
    /// for another length.
    #[inline(never)]
    fn renew_ok_head(&mut self, same_type: bool, content_type: &HeaderValue, len: u64) {
        if !same_type {
            self.ok_head.clear();
            self.ok_head.extend_from_slice(b"HTTP/1.1 200 OK\r\n");
            self.ok_head.extend_from_slice(&self.fixed_fields);
            self.ok_head.extend_from_slice(b"content-type: ");
            self.ok_head.extend_from_slice(content_type.as_bytes());
            self.ok_head.extend_from_slice(b"\r\ncontent-length: ");
            self.ok_digits_at = self.ok_head.len();
            self.ok_type = Some(content_type.clone());
        }
        self.ok_head.truncate(self.ok_digits_at);
        let mut digits = [0u8; 20];
        self.ok_head.extend_from_slice(decimal(len, &mut digits));
        self.ok_head.extend_from_slice(b"\r\n\r\n");
        self.ok_len = len;
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

/// Calls `f` with the head of an HTTP/1.1 `200 OK` response with `content_type`, a body of
/// `len` bytes and no other field of its own: `HTTP/1.1 200 OK\r\nserver: corio\r\ndate:
/// <IMF-fixdate>\r\ncontent-type: <type>\r\ncontent-length: <len>\r\n\r\n`.
pub(crate) fn with_ok_head<R>(
    content_type: &HeaderValue,
    len: u64,
    f: impl FnOnce(&[u8]) -> R,
) -> R {
    CLOCK.with(|clock| f(clock.borrow_mut().ok_head(content_type, len)))
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
    fn the_ok_head_follows_the_date_the_content_type_and_the_length() {
        let at = |secs| UNIX_EPOCH + Duration::from_secs(secs);
        let plain = HeaderValue::from_static("text/plain");
        let html = HeaderValue::from_static("text/html");
        let head = |content_type: &HeaderValue, len| {
            with_ok_head(content_type, len, |head| {
                String::from_utf8(head.to_vec()).unwrap()
            })
        };
        CLOCK.with(|clock| clock.borrow_mut().render(at(1)));
        let first = head(&plain, 13);
        assert_eq!(
            first,
            "HTTP/1.1 200 OK\r\nserver: corio\r\ndate: Thu, 01 Jan 1970 00:00:01 GMT\r\n\
             content-type: text/plain\r\ncontent-length: 13\r\n\r\n"
        );
        assert_eq!(head(&plain, 13), first);
        assert_eq!(
            head(&plain, 1234567),
            first.replace(": 13\r", ": 1234567\r")
        );
        assert_eq!(head(&plain, 0), first.replace(": 13\r", ": 0\r"));
        let html_head = head(&html, 0);
        assert!(html_head.ends_with("\r\ncontent-type: text/html\r\ncontent-length: 0\r\n\r\n"));
        assert_eq!(head(&plain, 13), first);
        CLOCK.with(|clock| clock.borrow_mut().render(at(2)));
        let later = first.replace("00:00:01 GMT", "00:00:02 GMT");
        assert_eq!(head(&plain, 13), later);
        assert_eq!(
            head(&html, 0),
            html_head.replace("00:00:01 GMT", "00:00:02 GMT")
        );
        assert_eq!(head(&plain, 13), later);
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
