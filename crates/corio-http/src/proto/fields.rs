//! Conversion of httparse's borrowed header fields into an owned
//! [`http::HeaderMap`] without a per-value allocation.
//!
//! Invariant: the caller copies the whole head once into a [`Bytes`] and runs
//! httparse over *that* buffer, so every field value is a zero-copy
//! [`Bytes::slice_ref`] of it (one allocation per head, not per header).
//! Standard header names are allocation-free in `http`.

use bytes::Bytes;
use http::header::{HeaderMap, HeaderName, HeaderValue};

use super::error::ProtoError;

/// Builds a `HeaderMap` from fields parsed out of `shared`.
///
/// Every `name`/`value` slice in `fields` must point into `shared`.
pub(crate) fn to_header_map(
    shared: &Bytes,
    fields: &[httparse::Header<'_>],
) -> Result<HeaderMap, ProtoError> {
    let mut map = HeaderMap::with_capacity(fields.len());
    for f in fields {
        let name =
            HeaderName::from_bytes(f.name.as_bytes()).map_err(|_| ProtoError::BadHeaderName)?;
        let value = HeaderValue::from_maybe_shared(shared.slice_ref(f.value))
            .map_err(|_| ProtoError::BadHeaderValue)?;
        map.append(name, value);
    }
    Ok(map)
}

/// Header fields looked up by name: a `HeaderMap`, or httparse's borrowed fields (which
/// spares building a map to make framing decisions).
pub(crate) trait Fields {
    /// The values of every field named `name` (lowercase), in order.
    fn values<'a>(&'a self, name: &'static str) -> impl Iterator<Item = &'a [u8]> + 'a;

    /// Whether a field named `name` is present.
    fn contains(&self, name: &'static str) -> bool {
        self.values(name).next().is_some()
    }
}

impl Fields for HeaderMap {
    fn values<'a>(&'a self, name: &'static str) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.get_all(name).into_iter().map(HeaderValue::as_bytes)
    }
}

/// A request's header field as parsed: the name and the value (without the whitespace around
/// it), borrowed from the head. The request parsers' common form: the one-pass parser makes
/// these, and httparse's fields (the strict path) become these, so the decisions made from the
/// fields are one code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Field<'a> {
    /// The name, a token.
    pub(crate) name: &'a [u8],
    /// The value.
    pub(crate) value: &'a [u8],
}

impl Fields for [Field<'_>] {
    fn values<'a>(&'a self, name: &'static str) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.iter()
            .filter(move |f| f.name.eq_ignore_ascii_case(name.as_bytes()))
            .map(|f| f.value)
    }
}

impl Fields for [httparse::Header<'_>] {
    fn values<'a>(&'a self, name: &'static str) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.iter()
            .filter(move |f| f.name.eq_ignore_ascii_case(name))
            .map(|f| f.value)
    }
}

/// Appends `name: value\r\n` for every field of `headers` to `buf`.
pub(crate) fn write_fields(buf: &mut bytes::BytesMut, headers: &HeaderMap) {
    for (name, value) in headers {
        write_field(buf, name.as_str().as_bytes(), value.as_bytes());
    }
}

/// Appends one `name: value\r\n` line to `buf` (the server's output buffer, or the client's
/// request head): the one field writer of both sides.
#[inline]
pub(crate) fn write_field(buf: &mut impl bytes::BufMut, name: &[u8], value: &[u8]) {
    buf.put_slice(name);
    buf.put_slice(b": ");
    buf.put_slice(value);
    buf.put_slice(b"\r\n");
}

/// Maps an httparse error (other than `Version`, which needs context).
pub(crate) fn map_httparse(e: httparse::Error) -> ProtoError {
    match e {
        httparse::Error::HeaderName => ProtoError::BadHeaderName,
        httparse::Error::HeaderValue => ProtoError::BadHeaderValue,
        httparse::Error::Token => ProtoError::BadMethod,
        httparse::Error::Status => ProtoError::BadStatus,
        httparse::Error::TooManyHeaders => ProtoError::TooManyHeaders,
        httparse::Error::NewLine | httparse::Error::Version => ProtoError::BadStartLine,
    }
}

/// Whether `s`, a field name or value as the parsers return it (so without CR), is `lower`
/// in any case; `lower` is lowercase letters and `-` only. The request and response parsers
/// find the few fields they decide on with it.
///
/// Setting bit 5 of every byte maps each uppercase letter to its lowercase, and maps onto a
/// lowercase letter nothing else; onto `-` it maps only `-` and CR, which httparse never leaves
/// in a name or value. So one OR and one compare per eight bytes decide it (the last word
/// overlaps the one before it), where `eq_ignore_ascii_case` folds each byte on both sides.
pub(crate) fn folded_eq(s: &[u8], lower: &[u8]) -> bool {
    const BIT5: u64 = 0x2020_2020_2020_2020;
    let word = |b: &[u8]| u64::from_le_bytes(b.try_into().expect("eight bytes"));
    debug_assert!(!s.contains(&b'\r'));
    debug_assert!(lower.iter().all(|&b| b.is_ascii_lowercase() || b == b'-'));
    let n = s.len();
    if n != lower.len() {
        return false;
    }
    if n < 8 {
        return s.iter().zip(lower).all(|(&a, &b)| a | 0x20 == b);
    }
    let mut at = 0;
    while at + 8 < n {
        if word(&s[at..at + 8]) | BIT5 != word(&lower[at..at + 8]) {
            return false;
        }
        at += 8;
    }
    word(&s[n - 8..]) | BIT5 == word(&lower[n - 8..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folded_comparison() {
        assert!(folded_eq(b"Content-Length", b"content-length"));
        assert!(folded_eq(b"CONTENT-LENGTH", b"content-length"));
        assert!(folded_eq(b"Transfer-Encoding", b"transfer-encoding"));
        assert!(folded_eq(b"Keep-Alive", b"keep-alive"));
        assert!(folded_eq(b"cLoSe", b"close"));
        assert!(!folded_eq(b"closed", b"close"));
        assert!(!folded_eq(b"clos", b"close"));
        assert!(!folded_eq(b"content_length", b"content-length"));
        assert!(!folded_eq(b"content-lengti", b"content-length"));
        // The middle byte of a name longer than two words.
        assert!(!folded_eq(b"transfer!encoding", b"transfer-encoding"));
        assert!(!folded_eq(b"Dontent-Length", b"content-length"));
        // Every byte but CR (which httparse never leaves in a name or value) that is not the
        // letter itself, in either case, or `-`, differs.
        for b in (0..=255u8).filter(|&b| b != b'\r') {
            let k = b.eq_ignore_ascii_case(&b'k');
            assert_eq!(folded_eq(&[b, b'e', b'e', b'p'], b"keep"), k, "{b}");
            let dash = b == b'-';
            let long = [b, b'a', b'b', b'c', b'd', b'e', b'f', b'g', b'h'];
            assert_eq!(folded_eq(&long, b"-abcdefgh"), dash, "{b}");
            let k = [b'k', b'a', b'b', b'c', b'd', b'e', b'f', b'g', b'h', b];
            assert_eq!(
                folded_eq(&k, b"kabcdefghk"),
                b.eq_ignore_ascii_case(&b'k'),
                "{b}"
            );
        }
    }

    #[test]
    fn field_names_match_in_any_case_and_only_themselves() {
        use crate::proto::framing::is_tchar;
        let names: [&[u8]; 5] = [
            b"host",
            b"expect",
            b"connection",
            b"content-length",
            b"transfer-encoding",
        ];
        for lower in names {
            assert!(folded_eq(lower, lower));
            assert!(folded_eq(&lower.to_ascii_uppercase(), lower));
            // Every other token byte at any position makes it another name.
            for at in 0..lower.len() {
                for b in (0..=255u8).filter(|&b| is_tchar(b)) {
                    let mut name = lower.to_vec();
                    name[at] = b;
                    assert_eq!(
                        folded_eq(&name, lower),
                        name.eq_ignore_ascii_case(lower),
                        "{:?}",
                        String::from_utf8_lossy(&name)
                    );
                }
            }
        }
    }

    #[test]
    fn shares_buffer() {
        let shared = Bytes::from_static(b"Host: a\r\nX-Custom: b c\r\nhost: d\r\n\r\n");
        let mut fields = [httparse::EMPTY_HEADER; 4];
        let parsed = httparse::parse_headers(&shared, &mut fields).unwrap();
        let (_, fields) = parsed.unwrap();
        let map = to_header_map(&shared, fields).unwrap();
        assert_eq!(map.get_all("host").iter().count(), 2);
        assert_eq!(map["x-custom"], "b c");
    }

    #[test]
    fn error_mapping() {
        let table = [
            (httparse::Error::HeaderName, 400),
            (httparse::Error::TooManyHeaders, 431),
            (httparse::Error::NewLine, 400),
            (httparse::Error::Token, 400),
        ];
        for (e, status) in table {
            assert_eq!(map_httparse(e).status(), status);
        }
    }
}
