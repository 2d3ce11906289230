//! Message body framing (RFC 9112 §6): how long a body is.
//!
//! Invariants (requests):
//! - `Transfer-Encoding` and `Content-Length` together are rejected, since the
//!   disagreement is the classic request-smuggling vector;
//! - `Transfer-Encoding` is accepted only as exactly `chunked` (over one or
//!   more header lines); other codings before `chunked` are 501, anything not
//!   ending in `chunked`, `chunked` twice or any TE in HTTP/1.0 is 400;
//! - all `Content-Length` values (across lines and comma lists) must be the
//!   same plain decimal number fitting in `u64`, and at most `max_body`.
//!
//! Responses follow the same syntax rules, but a response whose TE does not
//! end in `chunked`, or that has no framing headers, is read until close.

use http::header::HeaderMap;
use http::{Method, StatusCode};

use super::error::ProtoError;
use super::fields::Fields;
use super::limits::Limits;
use super::version::Version;

/// How the body of a message is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BodyFraming {
    /// No body at all.
    Empty,
    /// Exactly this many bytes (never 0: a zero length is [`BodyFraming::Empty`]
    /// when parsed; encoders accept `Length(0)` and write `Content-Length: 0`).
    Length(u64),
    /// The chunked transfer coding; use [`ChunkedDecoder`](super::ChunkedDecoder).
    Chunked,
    /// Responses only: the body runs until the server closes the connection.
    CloseDelimited,
}

impl BodyFraming {
    /// Whether there is no body to read.
    pub fn is_empty(&self) -> bool {
        matches!(self, BodyFraming::Empty)
    }
}

/// Body framing of a request.
pub fn request_framing(
    headers: &HeaderMap,
    version: Version,
    limits: &Limits,
) -> Result<BodyFraming, ProtoError> {
    request_framing_of(headers, version, limits)
}

/// [`request_framing`] over any field source.
pub(crate) fn request_framing_of<F: Fields + ?Sized>(
    headers: &F,
    version: Version,
    limits: &Limits,
) -> Result<BodyFraming, ProtoError> {
    let te = transfer_encoding(headers)?;
    let cl = content_length(headers)?;
    match (te, cl) {
        (Some(_), _) if version == Version::Http10 => Err(ProtoError::TransferEncodingInHttp10),
        (Some(_), Some(_)) => Err(ProtoError::ContentLengthWithTransferEncoding),
        (Some(Te::Chunked), None) => Ok(BodyFraming::Chunked),
        (Some(Te::OtherThenChunked), None) => Err(ProtoError::UnsupportedTransferCoding),
        (Some(Te::NotChunked), None) => Err(ProtoError::BadTransferEncoding),
        (None, Some(n)) if n > limits.max_body => Err(ProtoError::BodyTooLarge),
        (None, Some(0)) | (None, None) => Ok(BodyFraming::Empty),
        (None, Some(n)) => Ok(BodyFraming::Length(n)),
    }
}

/// Body framing of a response to a `request_method` request.
///
/// HEAD responses, 1xx, 204, 304 and 2xx responses to CONNECT have no body
/// (after a 2xx to CONNECT the connection becomes a tunnel). A response with
/// both TE and CL, or TE in HTTP/1.0, is rejected as faulty framing.
pub fn response_framing(
    status: StatusCode,
    request_method: &Method,
    headers: &HeaderMap,
    version: Version,
) -> Result<BodyFraming, ProtoError> {
    response_framing_of(status, request_method, headers, version)
}

/// [`response_framing`] over any field source.
pub(crate) fn response_framing_of<F: Fields + ?Sized>(
    status: StatusCode,
    request_method: &Method,
    headers: &F,
    version: Version,
) -> Result<BodyFraming, ProtoError> {
    if request_method == Method::HEAD
        || status.is_informational()
        || status == StatusCode::NO_CONTENT
        || status == StatusCode::NOT_MODIFIED
        || (request_method == Method::CONNECT && status.is_success())
    {
        return Ok(BodyFraming::Empty);
    }
    let te = transfer_encoding(headers)?;
    let cl = content_length(headers)?;
    match (te, cl) {
        (Some(_), _) if version == Version::Http10 => Err(ProtoError::TransferEncodingInHttp10),
        (Some(_), Some(_)) => Err(ProtoError::ContentLengthWithTransferEncoding),
        (Some(Te::Chunked), None) => Ok(BodyFraming::Chunked),
        (Some(Te::OtherThenChunked), None) => Err(ProtoError::UnsupportedTransferCoding),
        (Some(Te::NotChunked), None) | (None, None) => Ok(BodyFraming::CloseDelimited),
        (None, Some(0)) => Ok(BodyFraming::Empty),
        (None, Some(n)) => Ok(BodyFraming::Length(n)),
    }
}

/// Classification of a syntactically valid Transfer-Encoding list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Te {
    /// Exactly `chunked`.
    Chunked,
    /// Other codings, then `chunked` last.
    OtherThenChunked,
    /// The last coding is not `chunked`.
    NotChunked,
}

/// Parses all Transfer-Encoding lines as one coding list.
fn transfer_encoding<F: Fields + ?Sized>(headers: &F) -> Result<Option<Te>, ProtoError> {
    let mut codings = 0usize;
    let mut chunked_seen = false;
    let mut last_chunked = false;
    for value in headers.values("transfer-encoding") {
        for coding in value.split(|&b| b == b',') {
            let coding = coding.trim_ascii();
            if coding.is_empty() {
                // Empty list elements are allowed by the list syntax, but a
                // list must have at least one coding (checked below).
                continue;
            }
            let name = coding
                .split(|&b| b == b';')
                .next()
                .unwrap_or_default()
                .trim_ascii();
            if name.is_empty() || !name.iter().all(|&b| is_tchar(b)) {
                return Err(ProtoError::BadTransferEncoding);
            }
            let is_chunked = name.eq_ignore_ascii_case(b"chunked");
            if is_chunked && (chunked_seen || coding.len() != name.len()) {
                // `chunked` twice, or `chunked` with parameters.
                return Err(ProtoError::BadTransferEncoding);
            }
            chunked_seen |= is_chunked;
            last_chunked = is_chunked;
            codings += 1;
        }
    }
    Ok(match (codings, last_chunked) {
        (0, _) if headers.contains("transfer-encoding") => {
            return Err(ProtoError::BadTransferEncoding)
        }
        (0, _) => None,
        (1, true) => Some(Te::Chunked),
        (_, true) => Some(Te::OtherThenChunked),
        (_, false) => Some(Te::NotChunked),
    })
}

/// Parses all Content-Length lines; every element must be the same number.
fn content_length<F: Fields + ?Sized>(headers: &F) -> Result<Option<u64>, ProtoError> {
    let mut found: Option<u64> = None;
    for value in headers.values("content-length") {
        for elem in value.split(|&b| b == b',') {
            let n = parse_decimal(elem.trim_ascii()).ok_or(ProtoError::BadContentLength)?;
            match found {
                Some(prev) if prev != n => return Err(ProtoError::ConflictingContentLength),
                _ => found = Some(n),
            }
        }
    }
    Ok(found)
}

/// `1*DIGIT` as a `u64`; `None` if empty, not all digits, or overflowing.
pub(crate) fn parse_decimal(s: &[u8]) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    s.iter().try_fold(0u64, |acc, &b| {
        if !b.is_ascii_digit() {
            return None;
        }
        acc.checked_mul(10)?.checked_add(u64::from(b - b'0'))
    })
}

/// RFC 9110 `tchar` (§5.6.2: the bytes of a token: a method, a field name, a chunk
/// extension), as a table: the request and response parsers check every byte of each field
/// name with it.
pub(crate) static TCHAR: [bool; 256] = {
    let mut table = [false; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        table[c] = b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'!' | b'#'
                    | b'$'
                    | b'%'
                    | b'&'
                    | b'\''
                    | b'*'
                    | b'+'
                    | b'-'
                    | b'.'
                    | b'^'
                    | b'_'
                    | b'`'
                    | b'|'
                    | b'~'
            );
        c += 1;
    }
    table
};

/// RFC 9110 `tchar`.
pub(crate) fn is_tchar(b: u8) -> bool {
    TCHAR[usize::from(b)]
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    type Fields<'a> = &'a [(&'a str, &'a str)];

    #[test]
    fn the_token_table_is_rfc_9110s_tchar() {
        for b in 0..=255u8 {
            let tchar = b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
            assert_eq!(TCHAR[usize::from(b)], tchar, "{b:#x}");
        }
    }
    type Want = Result<BodyFraming, ProtoError>;

    fn map(fields: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (n, v) in fields {
            h.append(
                http::HeaderName::from_bytes(n.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        h
    }

    #[test]
    fn request_table() {
        use BodyFraming::*;
        use ProtoError::*;
        use Version::*;
        let limits = Limits {
            max_body: 1000,
            ..Limits::default()
        };
        let cl = "content-length";
        let te = "transfer-encoding";
        let cases: &[(Version, Fields<'_>, Want)] = &[
            (Http11, &[], Ok(Empty)),
            (Http11, &[(cl, "0")], Ok(Empty)),
            (Http11, &[(cl, "5")], Ok(Length(5))),
            (Http11, &[(cl, "005")], Ok(Length(5))),
            (Http11, &[(cl, "5"), (cl, "5")], Ok(Length(5))),
            (Http11, &[(cl, "5, 5")], Ok(Length(5))),
            (
                Http11,
                &[(cl, "5"), (cl, "6")],
                Err(ConflictingContentLength),
            ),
            (Http11, &[(cl, "5, 6")], Err(ConflictingContentLength)),
            (Http11, &[(cl, "")], Err(BadContentLength)),
            (Http11, &[(cl, "5,")], Err(BadContentLength)),
            (Http11, &[(cl, "+5")], Err(BadContentLength)),
            (Http11, &[(cl, "-1")], Err(BadContentLength)),
            (Http11, &[(cl, "0x10")], Err(BadContentLength)),
            (Http11, &[(cl, "1 2")], Err(BadContentLength)),
            (Http11, &[(cl, "1.0")], Err(BadContentLength)),
            (
                Http11,
                &[(cl, "99999999999999999999999")],
                Err(BadContentLength),
            ),
            (Http11, &[(cl, "1000")], Ok(Length(1000))),
            (Http11, &[(cl, "1001")], Err(BodyTooLarge)),
            (Http11, &[(te, "chunked")], Ok(Chunked)),
            (Http11, &[(te, "Chunked")], Ok(Chunked)),
            (Http11, &[(te, " chunked ")], Ok(Chunked)),
            (
                Http11,
                &[(te, "chunked"), (cl, "5")],
                Err(ContentLengthWithTransferEncoding),
            ),
            (Http11, &[(te, "gzip")], Err(BadTransferEncoding)),
            (Http11, &[(te, "chunked, gzip")], Err(BadTransferEncoding)),
            (
                Http11,
                &[(te, "gzip, chunked")],
                Err(UnsupportedTransferCoding),
            ),
            (
                Http11,
                &[(te, "gzip"), (te, "chunked")],
                Err(UnsupportedTransferCoding),
            ),
            (
                Http11,
                &[(te, "chunked, chunked")],
                Err(BadTransferEncoding),
            ),
            (
                Http11,
                &[(te, "chunked"), (te, "chunked")],
                Err(BadTransferEncoding),
            ),
            (Http11, &[(te, "")], Err(BadTransferEncoding)),
            (Http11, &[(te, ",")], Err(BadTransferEncoding)),
            (Http11, &[(te, "chunked;a=b")], Err(BadTransferEncoding)),
            (Http11, &[(te, "chu@nked")], Err(BadTransferEncoding)),
            (Http10, &[(te, "chunked")], Err(TransferEncodingInHttp10)),
            (Http10, &[(cl, "3")], Ok(Length(3))),
        ];
        for (v, fields, want) in cases {
            let got = request_framing(&map(fields), *v, &limits);
            assert_eq!(&got, want, "{v:?} {fields:?}");
            if let Err(e) = got {
                let status = match e {
                    BodyTooLarge => 413,
                    UnsupportedTransferCoding => 501,
                    _ => 400,
                };
                assert_eq!(e.status(), status);
            }
        }
    }

    #[test]
    fn response_table() {
        use BodyFraming::*;
        let cl = "content-length";
        let te = "transfer-encoding";
        let get = Method::GET;
        let cases: &[(u16, Method, Fields<'_>, Want)] = &[
            (200, get.clone(), &[], Ok(CloseDelimited)),
            (200, Method::HEAD, &[(cl, "10")], Ok(Empty)),
            (204, get.clone(), &[(cl, "10")], Ok(Empty)),
            (304, get.clone(), &[(te, "chunked")], Ok(Empty)),
            (101, get.clone(), &[], Ok(Empty)),
            (200, Method::CONNECT, &[], Ok(Empty)),
            (407, Method::CONNECT, &[(cl, "3")], Ok(Length(3))),
            (200, get.clone(), &[(cl, "10")], Ok(Length(10))),
            (200, get.clone(), &[(cl, "0")], Ok(Empty)),
            (200, get.clone(), &[(te, "chunked")], Ok(Chunked)),
            (200, get.clone(), &[(te, "gzip")], Ok(CloseDelimited)),
            (
                200,
                get.clone(),
                &[(te, "gzip, chunked")],
                Err(ProtoError::UnsupportedTransferCoding),
            ),
            (
                200,
                get.clone(),
                &[(te, "chunked"), (cl, "1")],
                Err(ProtoError::ContentLengthWithTransferEncoding),
            ),
            (
                200,
                get.clone(),
                &[(cl, "x")],
                Err(ProtoError::BadContentLength),
            ),
        ];
        for (s, m, fields, want) in cases {
            let got = response_framing(
                StatusCode::from_u16(*s).unwrap(),
                m,
                &map(fields),
                Version::Http11,
            );
            assert_eq!(&got, want, "{s} {m} {fields:?}");
        }
        let got = response_framing(
            StatusCode::OK,
            &get,
            &map(&[(te, "chunked")]),
            Version::Http10,
        );
        assert_eq!(got, Err(ProtoError::TransferEncodingInHttp10));
    }

    #[test]
    fn decimal() {
        assert_eq!(parse_decimal(b"18446744073709551615"), Some(u64::MAX));
        assert_eq!(parse_decimal(b"18446744073709551616"), None);
        assert_eq!(parse_decimal(b""), None);
    }
}
