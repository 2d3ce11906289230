//! Response heads: encoding for the server, strict parsing for the client.
//!
//! Invariants:
//! - [`encode_response_head`] writes exactly one framing header matching the
//!   given [`BodyFraming`] (and drops caller-supplied `Content-Length` /
//!   `Transfer-Encoding` in that case), without `format!` or allocation beyond
//!   growing the buffer;
//! - [`parse_response_head`] applies the same line strictness and limits as
//!   request parsing, accepts only HTTP/1.0 and HTTP/1.1 and status 100..=999;
//! - [`parse_response_status`] runs the very same checks and consumes the same length, so the
//!   two never disagree on whether (or where) a head ends.

use std::mem::MaybeUninit;

use bytes::{Bytes, BytesMut};
use http::header::{HeaderMap, CONTENT_LENGTH, TRANSFER_ENCODING};
use http::{Method, StatusCode};

use super::connection::keep_alive;
use super::error::ProtoError;
use super::fields::{map_httparse, to_header_map, write_field};
use super::framing::{response_framing, BodyFraming};
use super::limits::{Limits, MAX_HEADERS};
use super::response_status::{decide, quick_head};
use super::scan::{scan, ScanSpec};
use super::version::{looks_like_version, Version};

/// Length of `HTTP/1.1 200 `, after which the reason phrase starts.
pub(super) const STATUS_PREFIX_LEN: usize = 13;

/// A parsed and validated response head (client side).
#[derive(Debug, Clone)]
pub struct ResponseHead {
    /// HTTP/1.0 or HTTP/1.1.
    pub version: Version,
    /// The status code (100..=999).
    pub status: StatusCode,
    /// The reason phrase as sent (may be empty or contain obs-text).
    pub reason: Bytes,
    /// All header fields, in order, names lowercased.
    pub headers: HeaderMap,
    /// Whether the server allows reusing the connection (Connection header
    /// and version only; a close-delimited body also ends the connection).
    pub keep_alive: bool,
}

impl ResponseHead {
    /// Body framing of this response to a `request_method` request.
    pub fn framing(&self, request_method: &Method) -> Result<BodyFraming, ProtoError> {
        response_framing(self.status, request_method, &self.headers, self.version)
    }
}

/// Parses a response head from the start of `buf`.
///
/// Returns `Ok(None)` if more bytes are needed, or the head and the exact
/// number of bytes it occupied.
pub fn parse_response_head(
    buf: &[u8],
    limits: &Limits,
) -> Result<Option<(ResponseHead, usize)>, ProtoError> {
    let Some(len) = scan_head(buf, limits)? else {
        return Ok(None);
    };
    let shared = Bytes::copy_from_slice(&buf[..len]);
    let mut fields = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let (version, status, fields) = parse_scanned(&shared, &mut fields)?;
    // httparse drops non-ASCII reasons; take the phrase from the status line,
    // which it accepted as `HTTP/1.x SP 3DIGIT [SP reason]`.
    let line_start = shared
        .iter()
        .position(|&b| b != b'\r' && b != b'\n')
        .unwrap_or(0);
    let line_len = shared[line_start..]
        .iter()
        .position(|&b| b == b'\r')
        .unwrap_or(0);
    let reason = if line_len > STATUS_PREFIX_LEN {
        shared.slice(line_start + STATUS_PREFIX_LEN..line_start + line_len)
    } else {
        Bytes::new()
    };
    let headers = to_header_map(&shared, fields)?;
    let head = ResponseHead {
        keep_alive: keep_alive(version, &headers),
        version,
        status,
        reason,
        headers,
    };
    Ok(Some((head, len)))
}

/// What a response head says about the exchange, without its header fields: the part a load
/// generator needs (see [`parse_response_status`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResponseStatus {
    /// HTTP/1.0 or HTTP/1.1.
    pub version: Version,
    /// The status code (100..=999).
    pub status: StatusCode,
    /// Whether the server allows reusing the connection (as [`ResponseHead::keep_alive`]).
    pub keep_alive: bool,
    /// How the body is delimited, for the request method given.
    pub body: BodyFraming,
}

/// Parses a response head from the start of `buf` as [`parse_response_head`] does (same
/// checks, same errors, same consumed length) but keeps only the status, persistence and body
/// framing of a response to a `request_method` request. Nothing is copied or allocated: the
/// fields are looked at in place.
///
/// The common head (no `Transfer-Encoding`, at most one `Content-Length` and `Connection`,
/// nothing unusual) is parsed and decided in one pass of its own (`quick_head`). Another
/// complete, well-formed head takes a fast path, as requests do on the server: httparse
/// parses it first, and the few things httparse accepts that the strict scan refuses (a bare
/// LF ending a line, the size and count limits) are checked from its slices. Anything else
/// (incomplete input, any httparse error, leading empty lines, a reason phrase httparse does
/// not hand back) goes through the scan, which also names the exact error.
///
/// ```
/// use corio_http::proto::{parse_response_status, BodyFraming, Limits};
/// let wire = b"HTTP/1.1 404 Not Found\r\ncontent-length: 4\r\n\r\nnope";
/// let (head, used) = parse_response_status(wire, &Limits::default(), &http::Method::GET)
///     .unwrap()
///     .expect("complete head");
/// assert_eq!(head.status, 404);
/// assert_eq!(head.body, BodyFraming::Length(4));
/// assert_eq!(&wire[used..], b"nope");
/// ```
pub fn parse_response_status(
    buf: &[u8],
    limits: &Limits,
    request_method: &Method,
) -> Result<Option<(ResponseStatus, usize)>, ProtoError> {
    if let Some(quick) = quick_head(buf, limits, request_method) {
        return Ok(Some(quick));
    }
    if buf.first().is_some_and(|&b| b != b'\r' && b != b'\n') {
        let mut fields = [MaybeUninit::<httparse::Header<'_>>::uninit(); MAX_HEADERS];
        let mut res = httparse::Response::new(&mut []);
        let parsed = httparse::ParserConfig::default().parse_response_with_uninit_headers(
            &mut res,
            buf,
            &mut fields,
        );
        if let Ok(httparse::Status::Complete(n)) = parsed {
            if res.headers.len() <= limits.header_count()
                && lines_within_limits(&buf[..n], &res, limits)
            {
                let (version, status) = version_and_status(&res)?;
                let head = decide(version, status, request_method, res.headers)?;
                return Ok(Some((head, n)));
            }
        }
    }
    let Some(len) = scan_head(buf, limits)? else {
        return Ok(None);
    };
    let mut fields = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let (version, status, fields) = parse_scanned(&buf[..len], &mut fields)?;
    let head = decide(version, status, request_method, fields)?;
    Ok(Some((head, len)))
}

/// Whether every line of a complete `head` (parsed by httparse as `res`) ends in CRLF, and the
/// status line and the field section are within the limits: what the strict scan checks that
/// httparse does not (control bytes, obs-fold and the rest httparse refuses itself).
///
/// httparse leaves no room between the tokens it parsed, so the lines' ends are known from
/// its slices: the status line ends right after a non-empty reason phrase (httparse keeps it
/// up to the line end, untrimmed; an empty one, or one with obs-text, which it hands back
/// empty, gives no position and is left to the scan), each field line right after its value.
fn lines_within_limits(head: &[u8], res: &httparse::Response<'_, '_>, limits: &Limits) -> bool {
    let offset = |slice: &[u8]| slice.as_ptr() as usize - head.as_ptr() as usize;
    let crlf_at = |at: usize| head.get(at..at + 2) == Some(b"\r\n");
    let Some(reason) = res.reason.filter(|r| !r.is_empty()) else {
        return false;
    };
    let status_line_end = offset(reason.as_bytes()) + reason.len();
    if !crlf_at(status_line_end) || !head.ends_with(b"\r\n\r\n") {
        return false;
    }
    if !res
        .headers
        .iter()
        .all(|field| crlf_at(offset(field.value) + field.value.len()))
    {
        return false;
    }
    status_line_end <= limits.max_start_line
        && head.len() - (status_line_end + 2) <= limits.max_header_section
}

/// The strict line scan of a response head: its length once complete.
fn scan_head(buf: &[u8], limits: &Limits) -> Result<Option<usize>, ProtoError> {
    let spec = ScanSpec {
        start_line: Some(limits.max_start_line),
        max_section: limits.max_header_section,
        max_fields: limits.header_count(),
        too_large: ProtoError::HeaderSectionTooLarge,
        too_many: ProtoError::TooManyHeaders,
    };
    Ok(scan(buf, &spec)?.map(|scanned| scanned.len))
}

/// httparse over a head that passed [`scan_head`] (`head` is exactly that head): version,
/// status and the fields, which borrow from `head`.
fn parse_scanned<'b, 'f>(
    head: &'b [u8],
    fields: &'f mut [httparse::Header<'b>],
) -> Result<(Version, StatusCode, &'f [httparse::Header<'b>]), ProtoError> {
    let mut res = httparse::Response::new(fields);
    match res.parse(head) {
        Ok(httparse::Status::Complete(n)) if n == head.len() => {}
        Ok(_) => return Err(ProtoError::BadStartLine),
        Err(httparse::Error::Version) => {
            let start = head.iter().position(|&b| b != b'\r' && b != b'\n');
            let line = &head[start.unwrap_or(0)..];
            let v = line
                .split(|&b| b == b' ' || b == b'\r')
                .next()
                .unwrap_or_default();
            return Err(if looks_like_version(v) {
                ProtoError::UnsupportedVersion
            } else {
                ProtoError::BadStartLine
            });
        }
        Err(e) => return Err(map_httparse(e)),
    }
    let (version, status) = version_and_status(&res)?;
    Ok((version, status, res.headers))
}

/// The version (1.0 or 1.1) and status (100..=999) of a parsed response.
fn version_and_status(
    res: &httparse::Response<'_, '_>,
) -> Result<(Version, StatusCode), ProtoError> {
    let version = res
        .version
        .and_then(Version::from_minor)
        .ok_or(ProtoError::UnsupportedVersion)?;
    let status = res
        .code
        .and_then(|c| StatusCode::from_u16(c).ok())
        .ok_or(ProtoError::BadStatus)?;
    Ok((version, status))
}

/// Appends a response head to `buf`: status line, `headers`, the framing
/// header for `framing`, and the blank line.
///
/// `Length(n)` writes `content-length: n` and `Chunked` writes
/// `transfer-encoding: chunked` (replacing any such fields in `headers`);
/// `Empty` and `CloseDelimited` write no framing header and keep `headers` as
/// given (e.g. a HEAD response's `Content-Length`). The caller adds `Date`,
/// `Connection` and the like to `headers`.
pub fn encode_response_head(
    buf: &mut BytesMut,
    version: Version,
    status: StatusCode,
    headers: &HeaderMap,
    framing: BodyFraming,
) {
    encode_response_head_with(buf, version, status, b"", headers, framing);
}

/// Like [`encode_response_head`], with `fixed_fields` (complete, pre-encoded field lines such
/// as `server: corio\r\ndate: ...\r\n`) written right after the status line. A server keeps
/// those lines rendered once per second instead of inserting them into every `HeaderMap`.
pub fn encode_response_head_with(
    buf: &mut BytesMut,
    version: Version,
    status: StatusCode,
    fixed_fields: &[u8],
    headers: &HeaderMap,
    framing: BodyFraming,
) {
    buf.reserve(64 + fixed_fields.len() + headers.len() * 32);
    encode_status_line(buf, version, status);
    buf.extend_from_slice(fixed_fields);
    encode_fields_and_end(buf, Some(headers), framing);
}

/// Appends the status line, e.g. `HTTP/1.1 200 OK\r\n` (the first part of
/// [`encode_response_head`], for callers that write some field lines themselves).
pub fn encode_status_line(buf: &mut BytesMut, version: Version, status: StatusCode) {
    if version == Version::Http11 && status == StatusCode::OK {
        // The overwhelmingly common line, written in one copy.
        buf.extend_from_slice(b"HTTP/1.1 200 OK\r\n");
        return;
    }
    let reason = status.canonical_reason().unwrap_or("");
    buf.extend_from_slice(version.as_str().as_bytes());
    buf.extend_from_slice(b" ");
    buf.extend_from_slice(status.as_str().as_bytes());
    buf.extend_from_slice(b" ");
    buf.extend_from_slice(reason.as_bytes());
    buf.extend_from_slice(b"\r\n");
}

/// Appends `headers` (if any), the framing field for `framing` (see
/// [`encode_response_head`]) and the blank line that ends the head.
pub fn encode_fields_and_end(
    buf: &mut BytesMut,
    headers: Option<&HeaderMap>,
    framing: BodyFraming,
) {
    let replace = matches!(framing, BodyFraming::Length(_) | BodyFraming::Chunked);
    for (name, value) in headers.into_iter().flatten() {
        if replace && (name == CONTENT_LENGTH || name == TRANSFER_ENCODING) {
            continue;
        }
        write_field(buf, name.as_str().as_bytes(), value.as_bytes());
    }
    match framing {
        BodyFraming::Length(n) => {
            let mut digits = [0u8; 20];
            write_field(buf, b"content-length", decimal(n, &mut digits));
        }
        BodyFraming::Chunked => write_field(buf, b"transfer-encoding", b"chunked"),
        BodyFraming::Empty | BodyFraming::CloseDelimited => {}
    }
    buf.extend_from_slice(b"\r\n");
}

/// Renders `n` in decimal into the tail of `out`, returning the digits.
pub(crate) fn decimal(mut n: u64, out: &mut [u8; 20]) -> &[u8] {
    let mut pos = out.len();
    loop {
        pos -= 1;
        out[pos] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    &out[pos..]
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    #[test]
    fn encode_table() {
        let mut h = HeaderMap::new();
        h.insert("server", HeaderValue::from_static("corio"));
        h.insert(CONTENT_LENGTH, HeaderValue::from_static("99"));
        let cases: &[(Version, u16, BodyFraming, &[u8])] = &[
            (
                Version::Http11,
                200,
                BodyFraming::Length(12),
                b"HTTP/1.1 200 OK\r\nserver: corio\r\ncontent-length: 12\r\n\r\n",
            ),
            (
                Version::Http11,
                404,
                BodyFraming::Length(0),
                b"HTTP/1.1 404 Not Found\r\nserver: corio\r\ncontent-length: 0\r\n\r\n",
            ),
            (
                Version::Http11,
                200,
                BodyFraming::Chunked,
                b"HTTP/1.1 200 OK\r\nserver: corio\r\ntransfer-encoding: chunked\r\n\r\n",
            ),
            (
                Version::Http10,
                204,
                BodyFraming::Empty,
                b"HTTP/1.0 204 No Content\r\nserver: corio\r\ncontent-length: 99\r\n\r\n",
            ),
            (
                Version::Http11,
                599,
                BodyFraming::CloseDelimited,
                b"HTTP/1.1 599 \r\nserver: corio\r\ncontent-length: 99\r\n\r\n",
            ),
        ];
        for (v, s, framing, want) in cases {
            let mut buf = BytesMut::new();
            encode_response_head(
                &mut buf,
                *v,
                StatusCode::from_u16(*s).unwrap(),
                &h,
                *framing,
            );
            assert_eq!(&buf[..], *want, "{}", String::from_utf8_lossy(want));
        }
    }

    #[test]
    fn decimal_digits() {
        for n in [0u64, 7, 10, 1234567890, u64::MAX] {
            let mut d = [0u8; 20];
            assert_eq!(decimal(n, &mut d), n.to_string().as_bytes());
        }
    }

    #[test]
    fn parse_table() {
        let ok: &[(&[u8], Version, u16, &str, bool)] = &[
            (b"HTTP/1.1 200 OK\r\n\r\n", Version::Http11, 200, "OK", true),
            (b"HTTP/1.1 200\r\n\r\n", Version::Http11, 200, "", true),
            (
                b"\r\nHTTP/1.1 201 Created\r\n\r\n",
                Version::Http11,
                201,
                "Created",
                true,
            ),
            (
                b"HTTP/1.1 200 caf\xc3\xa9\r\n\r\n",
                Version::Http11,
                200,
                "caf\u{e9}",
                true,
            ),
            (
                b"HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n",
                Version::Http11,
                404,
                "Not Found",
                false,
            ),
            (
                b"HTTP/1.0 200 OK\r\n\r\n",
                Version::Http10,
                200,
                "OK",
                false,
            ),
            (
                b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n\r\n",
                Version::Http10,
                200,
                "OK",
                true,
            ),
            (
                b"HTTP/1.1 100 Continue\r\n\r\n",
                Version::Http11,
                100,
                "Continue",
                true,
            ),
            (
                b"HTTP/1.1 999 Odd\r\n\r\n",
                Version::Http11,
                999,
                "Odd",
                true,
            ),
        ];
        for (input, v, s, reason, ka) in ok {
            let what = String::from_utf8_lossy(input);
            let (head, n) = parse_response_head(input, &Limits::default())
                .unwrap_or_else(|e| panic!("{what}: {e}"))
                .unwrap();
            assert_eq!(n, input.len());
            assert_eq!(head.version, *v, "{what}");
            assert_eq!(head.status.as_u16(), *s, "{what}");
            assert_eq!(&head.reason[..], reason.as_bytes(), "{what}");
            assert_eq!(head.keep_alive, *ka, "{what}");
        }
        let bad: &[(&[u8], ProtoError)] = &[
            (b"HTTP/2.0 200 OK\r\n\r\n", ProtoError::UnsupportedVersion),
            (b"HTTP/1.2 200 OK\r\n\r\n", ProtoError::UnsupportedVersion),
            (b"HTTX/1.1 200 OK\r\n\r\n", ProtoError::BadStartLine),
            (b"HTTP/1.1 099 Low\r\n\r\n", ProtoError::BadStatus),
            (b"HTTP/1.1 20 OK\r\n\r\n", ProtoError::BadStatus),
            (
                b"HTTP/1.1 200 OK\r\nA: b\r\n c\r\n\r\n",
                ProtoError::ObsFold,
            ),
            (
                b"HTTP/1.1 200 OK\r\nA : b\r\n\r\n",
                ProtoError::BadHeaderName,
            ),
            (b"HTTP/1.1 200 OK\r\nA: b\rc\r\n\r\n", ProtoError::BareCr),
            (b"HTTP/1.1 200 OK\r\nA: \0\r\n\r\n", ProtoError::ControlByte),
            (b"HTTP/1.1 200 OK\nA: b\n\n", ProtoError::BareLf),
        ];
        for (input, want) in bad {
            let got = parse_response_head(input, &Limits::default()).err();
            assert_eq!(got, Some(*want), "{}", String::from_utf8_lossy(input));
        }
        assert!(
            parse_response_head(b"HTTP/1.1 200 OK\r\n", &Limits::default())
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn round_trip_with_framing() {
        let mut h = HeaderMap::new();
        h.insert("x-a", HeaderValue::from_static("1"));
        let mut buf = BytesMut::new();
        encode_response_head(
            &mut buf,
            Version::Http11,
            StatusCode::CREATED,
            &h,
            BodyFraming::Chunked,
        );
        buf.extend_from_slice(b"0\r\n\r\n");
        let (head, n) = parse_response_head(&buf, &Limits::default())
            .unwrap()
            .unwrap();
        assert_eq!(&buf[n..], b"0\r\n\r\n");
        assert_eq!(head.status, StatusCode::CREATED);
        assert_eq!(head.framing(&Method::GET), Ok(BodyFraming::Chunked));
        assert_eq!(head.framing(&Method::HEAD), Ok(BodyFraming::Empty));
    }

    #[test]
    fn status_agrees_with_head() {
        let inputs: &[&[u8]] = &[
            b"HTTP/1.1 200 OK\r\ncontent-length: 13\r\n\r\nHello, World!",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            b"HTTP/1.0 500 Oops\r\n\r\nbody until close",
            b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n",
            b"\r\nHTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\n",
            b"HTTP/2.0 200 OK\r\n\r\n",
            b"HTTP/1.1 20 OK\r\n\r\n",
            b"HTTP/1.1 200 OK\nA: b\n\n",
            b"HTTP/1.1 200 OK\r\nA: b\r\n",
            // What httparse accepts and the strict scan refuses: the fast path must not pass it.
            b"HTTP/1.1 200 OK\nA: b\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nA: b\ncontent-length: 0\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nA: b\r\n\n",
            b"HTTP/1.1 200 OK\r\nA: b \r\ncontent-length: 1\r\n\r\nx",
            b"HTTP/1.1 200 caf\xc3\xa9\r\ncontent-length: 0\r\n\r\n",
            b"HTTP/1.1 200 \r\ncontent-length: 0\r\n\r\n",
            b"HTTP/1.1 200 O\x7fK\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nA: b\x7f\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nA: \x01\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nA : b\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nA: b\r\n c\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nA: b\rc\r\n\r\n",
            b"HTTP/1.1  200 OK\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
            // The one-pass decisions (`decide`), and the cases it leaves to the general rules.
            b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 5\r\n\r\nhello",
            b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nCONNECTION:  Close \r\n\r\nhello",
            b"HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 005\r\n\r\nhello",
            b"HTTP/1.0 200 OK\r\nConnection: keep-alive, close\r\nContent-Length: 1\r\n\r\nx",
            b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nConnection: close\r\n\r\n",
            b"HTTP/1.0 200 OK\r\nConnection: upgrade, keep-alive\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nConnection: upgrade\r\nContent-Length: 0\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nConnection: keep-alivex\r\nContent-Length: 0\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\n\r\nhello",
            b"HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\nhello",
            b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\ncontent-length: 5\r\n\r\nhello",
            b"HTTP/1.1 200 OK\r\nContent-Length: +5\r\n\r\nhello",
            b"HTTP/1.1 200 OK\r\nContent-Length: \r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n",
            b"HTTP/1.1 304 Not Modified\r\nContent-Length: x\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
            b"HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding:\r\n\r\n",
        ];
        let limits = Limits::default();
        for input in inputs {
            agree(input, &limits);
        }
    }

    /// Both parsers give the same answer for `input` (status, persistence, framing, length;
    /// or the same error) to a GET and to a HEAD.
    fn agree(input: &[u8], limits: &Limits) {
        let what = String::from_utf8_lossy(input);
        for method in [Method::GET, Method::HEAD] {
            let full = parse_response_head(input, limits).and_then(|r| {
                r.map(|(h, n)| Ok((h.status, h.keep_alive, h.framing(&method)?, n)))
                    .transpose()
            });
            let short = parse_response_status(input, limits, &method)
                .map(|r| r.map(|(h, n)| (h.status, h.keep_alive, h.body, n)));
            assert_eq!(full, short, "{what}");
        }
    }

    /// `quick_head` answers as the general path for every prefix of some common heads and for
    /// every one-byte change of them to a byte that matters to a parser.
    #[test]
    fn the_quick_path_agrees_with_the_general_one() {
        let heads: &[&[u8]] = &[
            b"HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Mon, 30 Nov 2026 18:10:15 GMT\r\nContent-Type: text/plain\r\nContent-Length: 13\r\nConnection: keep-alive\r\n\r\nHello, World!",
            b"HTTP/1.0 404 Not Found\r\nconnection: close\r\ncontent-length: 0\r\n\r\n",
            b"HTTP/1.1 204 No Content\r\nX-A:\tb c\r\n\r\n",
            b"HTTP/1.1 200 caf\xc3\xa9\r\nX: \xff\r\n\r\n",
        ];
        let limits = Limits::default();
        for head in heads {
            assert!(quick_head(head, &limits, &Method::GET).is_some(), "taken");
        }
        let bytes = [
            0u8, b'\t', b'\r', b'\n', b' ', b':', b',', b'0', b'A', 0x7f, 0x80, b'H',
        ];
        for head in heads {
            for end in 0..=head.len() {
                agree(&head[..end], &limits);
            }
            for at in 0..head.len() {
                for b in bytes {
                    let mut changed = head.to_vec();
                    changed[at] = b;
                    agree(&changed, &limits);
                }
            }
        }
        for input in [
            &b"HTTP/1.1 099 Low\r\n\r\n"[..],
            b"HTTP/1.1 200 OK\r\n\r\n",
            b"HTTP/1.1 200 \r\n\r\n",
            b"HTTP/1.1 200\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nConnection: keep-alive\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: 01\r\n\r\nx",
            b"HTTP/1.1 200 OK\r\nContent-Length:7\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nConnection:\tclose\t\r\n\r\n",
        ] {
            agree(input, &limits);
        }
    }

    #[test]
    fn status_agrees_with_head_at_the_limits() {
        let input = b"HTTP/1.1 200 OK\r\nA: b\r\nB: c\r\ncontent-length: 0\r\n\r\n";
        let start_line = "HTTP/1.1 200 OK".len();
        let section = input.len() - start_line - 2;
        for (max_start_line, max_header_section, max_headers) in [
            (start_line, section, 3),
            (start_line - 1, section, 3),
            (start_line, section - 1, 3),
            (start_line, section, 2),
        ] {
            let limits = Limits {
                max_start_line,
                max_header_section,
                max_headers,
                ..Limits::default()
            };
            agree(input, &limits);
        }
        let within = Limits {
            max_start_line: start_line,
            max_header_section: section,
            max_headers: 3,
            ..Limits::default()
        };
        assert!(parse_response_status(input, &within, &Method::GET)
            .unwrap()
            .is_some());
    }
}
