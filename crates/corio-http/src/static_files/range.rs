//! Single byte-range requests (RFC 9110 §14).
//!
//! # Invariants
//!
//! * A [`ByteRange`] is never empty and always lies inside the
//!   representation it was computed for: `start <= end < len`.
//! * Only `GET` honours `Range` (§14.2: GET is the only method with range
//!   semantics); `HEAD` and everything else get the full representation.
//! * A `Range` header that is malformed, uses another unit, appears more
//!   than once, or asks for **several ranges** is ignored, giving a 200 with
//!   the whole file. Multipart/byteranges responses are rarely used, easy to
//!   abuse (overlapping ranges amplify the response) and not needed by
//!   browsers, video players or download resumers, which all send one range.
//! * A syntactically valid single range that selects nothing (first byte at
//!   or past the end, suffix length 0, any range on an empty file) is
//!   [`RangeOutcome::Unsatisfiable`]: 416 with `Content-Range: bytes */len`.
//! * `If-Range` (§13.1.5): an entity-tag must match by strong comparison, a
//!   date must equal `Last-Modified` exactly; otherwise (or if unparsable)
//!   the `Range` header is ignored and the full file is sent.

use http::header::{HeaderMap, IF_RANGE, RANGE};
use http::Method;

use super::conditional::{etag_strong_match, Validators};

/// Longest `Range` header value parsed; a single range needs at most
/// `bytes=` plus two 20-digit numbers, so anything longer is ignored
/// without scanning it.
pub const MAX_RANGE_HEADER_BYTES: usize = 256;

/// An inclusive, non-empty byte range inside a representation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteRange {
    /// First byte offset.
    pub start: u64,
    /// Last byte offset, inclusive.
    pub end: u64,
}

impl ByteRange {
    /// Number of bytes in the range (at least 1).
    pub fn len(&self) -> u64 {
        self.end - self.start + 1
    }

    /// Always `false`: ranges are never empty (present for clippy's
    /// `len_without_is_empty`).
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The `Content-Range` value for a 206: `bytes start-end/total`.
    pub fn content_range(&self, total: u64) -> String {
        format!("bytes {}-{}/{}", self.start, self.end, total)
    }
}

/// The `Content-Range` value for a 416: `bytes */total`.
pub fn unsatisfied_content_range(total: u64) -> String {
    format!("bytes */{total}")
}

/// What to do about a `Range` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeOutcome {
    /// Send the whole representation with 200.
    Full,
    /// Send this part with 206 and `Content-Range`.
    Partial(ByteRange),
    /// Send 416 with `Content-Range: bytes */len`.
    Unsatisfiable,
}

/// Parses a run of ASCII digits, saturating at `u64::MAX`; `None` if empty
/// or not all digits.
fn digits(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(s.bytes().fold(0u64, |acc, b| {
        acc.saturating_mul(10).saturating_add(u64::from(b - b'0'))
    }))
}

/// Parses one `Range` header value against a representation of `len` bytes.
pub fn parse_range(value: &str, len: u64) -> RangeOutcome {
    if value.len() > MAX_RANGE_HEADER_BYTES {
        return RangeOutcome::Full;
    }
    let value = value.trim_matches([' ', '\t']);
    let Some((unit, spec)) = value.split_once('=') else {
        return RangeOutcome::Full;
    };
    if !unit.trim_end().eq_ignore_ascii_case("bytes") {
        return RangeOutcome::Full;
    }
    let spec = spec.trim_matches([' ', '\t']);
    if spec.contains(',') {
        return RangeOutcome::Full;
    }
    let Some((first, last)) = spec.split_once('-') else {
        return RangeOutcome::Full;
    };
    if first.is_empty() {
        // suffix-range: the last `n` bytes.
        let Some(n) = digits(last) else {
            return RangeOutcome::Full;
        };
        if n == 0 || len == 0 {
            return RangeOutcome::Unsatisfiable;
        }
        return RangeOutcome::Partial(ByteRange {
            start: len.saturating_sub(n),
            end: len - 1,
        });
    }
    let Some(start) = digits(first) else {
        return RangeOutcome::Full;
    };
    let end = if last.is_empty() {
        u64::MAX
    } else {
        match digits(last) {
            Some(end) if end >= start => end,
            _ => return RangeOutcome::Full,
        }
    };
    if start >= len {
        return RangeOutcome::Unsatisfiable;
    }
    RangeOutcome::Partial(ByteRange {
        start,
        end: end.min(len - 1),
    })
}

/// Whether `If-Range` (if any) allows honouring `Range`.
pub fn if_range_allows(headers: &HeaderMap, v: &Validators) -> bool {
    let mut values = headers.get_all(IF_RANGE).iter();
    let Some(value) = values.next() else {
        return true;
    };
    if values.next().is_some() {
        return false;
    }
    let Ok(s) = value.to_str() else {
        return false;
    };
    let s = s.trim();
    if s.starts_with('"') || s.starts_with("W/") {
        return etag_strong_match(s, v);
    }
    match (s.parse::<httpdate::HttpDate>(), v.last_modified) {
        (Ok(date), Some(lm)) => date == lm,
        _ => false,
    }
}

/// Decides the range response for a request on a representation of `len`
/// bytes: applies the method rule, `If-Range`, then [`parse_range`].
pub fn evaluate_range(
    method: &Method,
    headers: &HeaderMap,
    len: u64,
    v: &Validators,
) -> RangeOutcome {
    if method != Method::GET {
        return RangeOutcome::Full;
    }
    let mut values = headers.get_all(RANGE).iter();
    let Some(value) = values.next() else {
        return RangeOutcome::Full;
    };
    if values.next().is_some() || !if_range_allows(headers, v) {
        return RangeOutcome::Full;
    }
    match value.to_str() {
        Ok(s) => parse_range(s, len),
        Err(_) => RangeOutcome::Full,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::static_files::resolve::FileMeta;
    use http::HeaderValue;
    use std::time::{Duration, UNIX_EPOCH};

    fn r(start: u64, end: u64) -> RangeOutcome {
        RangeOutcome::Partial(ByteRange { start, end })
    }

    #[test]
    fn parse_table() {
        use RangeOutcome::{Full, Unsatisfiable};
        let cases = [
            ("bytes=0-0", 100, r(0, 0)),
            ("bytes=0-99", 100, r(0, 99)),
            ("bytes=10-20", 100, r(10, 20)),
            ("bytes=10-1000", 100, r(10, 99)),
            ("bytes=10-", 100, r(10, 99)),
            ("bytes=99-", 100, r(99, 99)),
            ("bytes=-10", 100, r(90, 99)),
            ("bytes=-100", 100, r(0, 99)),
            ("bytes=-1000", 100, r(0, 99)),
            ("Bytes=1-2", 100, r(1, 2)),
            ("bytes = 1-2 ", 100, r(1, 2)),
            ("bytes=0-99999999999999999999999", 100, r(0, 99)),
            ("bytes=-99999999999999999999999", 100, r(0, 99)),
            ("bytes=100-", 100, Unsatisfiable),
            ("bytes=100-200", 100, Unsatisfiable),
            ("bytes=99999999999999999999999-", 100, Unsatisfiable),
            ("bytes=-0", 100, Unsatisfiable),
            ("bytes=0-", 0, Unsatisfiable),
            ("bytes=-5", 0, Unsatisfiable),
            ("bytes=0-0,5-6", 100, Full),
            ("bytes=0-0,", 100, Full),
            ("bytes=5-4", 100, Full),
            ("bytes=a-b", 100, Full),
            ("bytes=-", 100, Full),
            ("bytes=1", 100, Full),
            ("bytes=+1-2", 100, Full),
            ("bytes=1--2", 100, Full),
            ("items=0-1", 100, Full),
            ("0-1", 100, Full),
            ("", 100, Full),
        ];
        for (value, len, want) in cases {
            assert_eq!(parse_range(value, len), want, "{value:?} len {len}");
        }
        let long = format!("bytes={}0-1", " ".repeat(MAX_RANGE_HEADER_BYTES));
        assert_eq!(parse_range(&long, 100), Full);
    }

    #[test]
    fn content_range_values() {
        let range = ByteRange { start: 10, end: 19 };
        assert_eq!(range.len(), 10);
        assert!(!range.is_empty());
        assert_eq!(range.content_range(100), "bytes 10-19/100");
        assert_eq!(unsatisfied_content_range(100), "bytes */100");
    }

    #[test]
    fn evaluate_table() {
        let mtime = UNIX_EPOCH + Duration::from_secs(1_000_000_000);
        let v = Validators::from_meta(&FileMeta {
            len: 100,
            modified: Some(mtime),
            ino: 7,
            dev: 1,
        });
        let lm = httpdate::fmt_http_date(mtime);
        let other_date = httpdate::fmt_http_date(mtime + Duration::from_secs(1));
        let weak = format!("W/{}", v.etag);
        use RangeOutcome::{Full, Unsatisfiable};
        type Row<'a> = (Method, Vec<(&'static str, &'a str)>, RangeOutcome);
        let cases: Vec<Row> = vec![
            (Method::GET, vec![], Full),
            (Method::GET, vec![("range", "bytes=0-9")], r(0, 9)),
            (Method::HEAD, vec![("range", "bytes=0-9")], Full),
            (Method::POST, vec![("range", "bytes=0-9")], Full),
            (Method::GET, vec![("range", "bytes=200-")], Unsatisfiable),
            (
                Method::GET,
                vec![("range", "bytes=0-1"), ("range", "bytes=2-3")],
                Full,
            ),
            (
                Method::GET,
                vec![("range", "bytes=0-9"), ("if-range", &v.etag)],
                r(0, 9),
            ),
            (
                Method::GET,
                vec![("range", "bytes=0-9"), ("if-range", "\"nope\"")],
                Full,
            ),
            (
                Method::GET,
                vec![("range", "bytes=0-9"), ("if-range", &weak)],
                Full,
            ),
            (
                Method::GET,
                vec![("range", "bytes=0-9"), ("if-range", &lm)],
                r(0, 9),
            ),
            (
                Method::GET,
                vec![("range", "bytes=0-9"), ("if-range", &other_date)],
                Full,
            ),
            (
                Method::GET,
                vec![("range", "bytes=0-9"), ("if-range", "garbage")],
                Full,
            ),
            (
                Method::GET,
                vec![("range", "bytes=200-"), ("if-range", "\"nope\"")],
                Full,
            ),
        ];
        for (method, hs, want) in cases {
            let mut headers = HeaderMap::new();
            for (n, val) in &hs {
                headers.append(*n, HeaderValue::from_str(val).unwrap());
            }
            assert_eq!(
                evaluate_range(&method, &headers, 100, &v),
                want,
                "{method} {hs:?}"
            );
        }
    }
}
