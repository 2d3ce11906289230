//! The per-worker clock: the `Date` header and the access-log timestamp, rendered once a
//! second by a ticker task instead of once per response.
//!
//! It also keeps the head of the commonest response up to its length, `HTTP/1.1 200 OK`, the
//! `Server` and `Date` lines and the content type of the last such response, so that the
//! driver writes that part of a head with one copy (see [`with_ok_head`]). The tick clears it:
//! it never carries a stale `Date`.

use std::cell::RefCell;
use std::time::{Duration, SystemTime};

use http::HeaderValue;

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
    /// `HTTP/1.1 200 OK\r\n`, the fixed fields, `content-type: <ok_type>\r\ncontent-length: `;
    /// empty until a response asks for it after a tick.
    ok_head: Vec<u8>,
    /// The content type `ok_head` holds.
    ok_type: Option<HeaderValue>,
}

impl Clock {
    fn new() -> Clock {
        let mut clock = Clock {
            date: DateCache::new(),
            fixed_fields: Vec::new(),
            log_time: String::new(),
            iso_time: String::new(),
            ok_head: Vec::new(),
            ok_type: None,
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

    /// The `200 OK` head up to its length's digits for `content_type`, rebuilt if it was
    /// made for another type or before the last tick.
    fn ok_head(&mut self, content_type: &HeaderValue) -> &[u8] {
        // A static value (the common case) is found by its address; another by its bytes.
        let same = self.ok_type.as_ref().is_some_and(|cached| {
            std::ptr::eq(cached.as_bytes(), content_type.as_bytes()) || cached == content_type
        });
        if !same {
            self.ok_head.clear();
            self.ok_head.extend_from_slice(b"HTTP/1.1 200 OK\r\n");
            self.ok_head.extend_from_slice(&self.fixed_fields);
            self.ok_head.extend_from_slice(b"content-type: ");
            self.ok_head.extend_from_slice(content_type.as_bytes());
            self.ok_head.extend_from_slice(b"\r\ncontent-length: ");
            self.ok_type = Some(content_type.clone());
        }
        &self.ok_head
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

/// Calls `f` with the head of an HTTP/1.1 `200 OK` response with `content_type` and no other
/// field of its own, up to the digits of its `Content-Length`:
/// `HTTP/1.1 200 OK\r\nserver: corio\r\ndate: <IMF-fixdate>\r\ncontent-type: <type>\r\ncontent-length: `.
pub(crate) fn with_ok_head<R>(content_type: &HeaderValue, f: impl FnOnce(&[u8]) -> R) -> R {
    CLOCK.with(|clock| f(clock.borrow_mut().ok_head(content_type)))
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
    fn the_ok_head_follows_the_date_and_the_content_type() {
        let at = |secs| UNIX_EPOCH + Duration::from_secs(secs);
        let plain = HeaderValue::from_static("text/plain");
        let html = HeaderValue::from_static("text/html");
        let head = |content_type: &HeaderValue| {
            with_ok_head(content_type, |head| {
                String::from_utf8(head.to_vec()).unwrap()
            })
        };
        CLOCK.with(|clock| clock.borrow_mut().render(at(1)));
        let first = head(&plain);
        assert_eq!(
            first,
            "HTTP/1.1 200 OK\r\nserver: corio\r\ndate: Thu, 01 Jan 1970 00:00:01 GMT\r\n\
             content-type: text/plain\r\ncontent-length: "
        );
        assert_eq!(head(&plain), first);
        assert!(head(&html).contains("\r\ncontent-type: text/html\r\n"));
        CLOCK.with(|clock| clock.borrow_mut().render(at(2)));
        assert!(head(&html).contains("date: Thu, 01 Jan 1970 00:00:02 GMT\r\n"));
        assert!(head(&plain).contains("date: Thu, 01 Jan 1970 00:00:02 GMT\r\n"));
        assert!(head(&plain).contains("\r\ncontent-type: text/plain\r\n"));
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
