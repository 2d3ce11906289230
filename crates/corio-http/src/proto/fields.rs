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

#[cfg(test)]
mod tests {
    use super::*;

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
