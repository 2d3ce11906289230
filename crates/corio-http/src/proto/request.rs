//! Request head parsing (RFC 9112 §3, §5) for the server side.
//!
//! Invariants of a [`RequestHead`] returned by [`parse_request_head`]:
//! - the head was strictly formed: CRLF line endings only, no obs-fold, no
//!   control bytes, no whitespace before a colon, version HTTP/1.0 or 1.1;
//! - it is within [`Limits`] (start line → 414, header section/count → 431);
//! - an HTTP/1.1 request has exactly one Host, an HTTP/1.0 one at most one, and its
//!   value is `uri-host [ ":" port ]` (or empty);
//! - `body`, `keep_alive` and `expect_continue` are already derived from the
//!   headers, so the driver never re-reads framing headers;
//! - the target and all header values share one copy of the head bytes.
//!
//! The consumed length returned alongside is exact: bytes after it (pipelined
//! requests or the body) belong to the caller.

use std::cell::Cell;
use std::mem::MaybeUninit;

use arrayvec::ArrayVec;
use http::Method;

use super::connection::keep_alive_of;
use super::error::ProtoError;
use super::field_summary::FieldSummary;
use super::fields::{folded_eq, map_httparse, Field, Fields};
use super::framing::{is_tchar, request_framing_of, BodyFraming};
use super::header_fields::HeaderFields;
use super::limits::{Limits, MAX_HEADERS};
use super::quick_head::{parse_quick, QuickHead};
use super::scan::{ScanSpec, Scanner};
use super::target::{valid_host_field, RequestTarget};
use super::version::{looks_like_version, Version};

/// A parsed and validated request head.
#[derive(Debug, Clone)]
pub struct RequestHead {
    /// The request method (standard methods are allocation-free).
    pub method: Method,
    /// The request-target, validated against the method.
    pub target: RequestTarget,
    /// HTTP/1.0 or HTTP/1.1 (or HTTP/2, for a head built from an h2 request).
    pub version: Version,
    /// All header fields, in order (a `HeaderMap` built on first access).
    pub headers: HeaderFields,
    /// Whether the connection may be reused after this exchange.
    pub keep_alive: bool,
    /// Whether the client awaits `100 Continue` before sending its body:
    /// HTTP/1.1, `Expect: 100-continue`, and a non-empty body.
    pub expect_continue: bool,
    /// How the request body is delimited.
    pub body: BodyFraming,
}

thread_local! {
    /// A head box given back by a request dropped on this thread ([`RequestHead::recycle`]),
    /// for the next head parsed here: a server worker parses a request, and its handler drops
    /// it before the next one is parsed, so one spare saves an allocation and a free per
    /// request.
    static SPARE: Cell<Option<Box<RequestHead>>> = const { Cell::new(None) };
}

impl RequestHead {
    /// A head of placeholders in its box, for the caller to fill in place: this thread's spare
    /// box if there is one (every field reset, nothing of its last request left), else a new
    /// one.
    ///
    /// A new box is made from constants and then filled field by field. Built from the
    /// request's values, the whole head (its inline bytes included) would be assembled on the
    /// stack and copied into the box: about 90 instructions per request in the pipelined
    /// plaintext profile.
    pub(crate) fn unset_boxed() -> Box<RequestHead> {
        if let Some(mut spare) = SPARE.with(Cell::take) {
            spare.reset();
            return spare;
        }
        Box::write(
            Box::new_uninit(),
            RequestHead {
                keep_alive: false,
                expect_continue: false,
                method: Method::GET,
                target: RequestTarget::unset(),
                version: Version::Http11,
                headers: HeaderFields::unfilled(),
                body: BodyFraming::Empty,
            },
        )
    }

    /// A head box for [`finish_quick`] to fill: this thread's spare as its last request left
    /// it, else a new head of placeholders. Every field is set by `finish_quick` (the target
    /// and method) and [`finish_head`] (the rest; the fields with [`HeaderFields::fill`],
    /// which replaces what they held), so resetting them first, as
    /// [`RequestHead::unset_boxed`] does, would only store each twice. A head that fails there
    /// is dropped, never given back.
    fn reused_boxed() -> Box<RequestHead> {
        SPARE
            .with(Cell::take)
            .unwrap_or_else(RequestHead::unset_boxed)
    }

    /// A head of placeholders but for `method` and `target`, in its box (see
    /// [`RequestHead::unset_boxed`]).
    fn with_start(method: Method, target: RequestTarget) -> Box<RequestHead> {
        let mut head = RequestHead::unset_boxed();
        head.method = method;
        head.target = target;
        head
    }

    /// Keeps `head` as this thread's spare box for [`RequestHead::unset_boxed`] (a spare
    /// already kept is freed).
    pub(crate) fn recycle(head: Box<RequestHead>) {
        SPARE.with(|spare| spare.set(Some(head)));
    }

    /// Sets every field to the placeholder [`RequestHead::unset_boxed`] gives, in place. (Every
    /// field is named: a field added later must be reset here too.)
    fn reset(&mut self) {
        let RequestHead {
            method,
            target,
            version,
            headers,
            keep_alive,
            expect_continue,
            body,
        } = self;
        *method = Method::GET;
        *target = RequestTarget::unset();
        *version = Version::Http11;
        headers.clear();
        *keep_alive = false;
        *expect_continue = false;
        *body = BodyFraming::Empty;
    }

    /// True for a GET without a body and without `Expect`: the fast path where
    /// the driver can answer directly and look for the next pipelined request.
    #[inline]
    pub fn is_simple_get(&self) -> bool {
        self.method == Method::GET && self.body == BodyFraming::Empty && !self.expect_continue
    }
}

/// Parses a request head from the start of `buf`.
///
/// Returns `Ok(None)` if `buf` does not yet hold a complete head (limits are
/// still enforced on the partial input), or the head and the number of bytes
/// it occupied. A caller that receives a head in pieces should keep a
/// [`RequestHeadParser`], which resumes where the last call stopped.
pub fn parse_request_head(
    buf: &[u8],
    limits: &Limits,
) -> Result<Option<(RequestHead, usize)>, ProtoError> {
    Ok(RequestHeadParser::new()
        .parse(buf, limits)?
        .map(|(head, consumed)| (*head, consumed)))
}

/// A request-head parser that remembers how far an incomplete head was checked.
///
/// Each call to [`parse`](Self::parse) is given the bytes of the same head from its first
/// byte (the earlier bytes unchanged, possibly more after them). A complete head in its
/// ordinary form is read in one pass (`quick_head.rs`); anything else takes the strict scan,
/// which resumes where it stopped, and httparse runs once on the complete head, so a head that
/// arrives one byte per read costs linear time in total. After a complete head (or an error)
/// the parser is ready for the next one.
#[derive(Debug, Clone, Default)]
pub struct RequestHeadParser {
    /// The scan of an incomplete head; `None` before the first byte of a head was seen. Boxed:
    /// a head usually arrives whole, and the parser lives in every connection's state.
    progress: Option<Box<Scanner>>,
}

impl RequestHeadParser {
    /// A parser waiting for the first byte of a head.
    pub fn new() -> RequestHeadParser {
        RequestHeadParser { progress: None }
    }

    /// Whether part of a head has been seen (and checked) but not all of it.
    pub fn is_partial(&self) -> bool {
        self.progress.is_some()
    }

    /// Parses the head at the start of `buf`, resuming an incomplete one. See the type docs.
    ///
    /// The head comes boxed, with its bytes inside the box when they fit (see
    /// [`HeaderFields`]), and the head moves through a connection driver as a pointer. The box
    /// is the thread's spare when a dropped request gave one back (see
    /// `RequestHead::unset_boxed`): no allocation for a typical request.
    pub fn parse(
        &mut self,
        buf: &[u8],
        limits: &Limits,
    ) -> Result<Option<(Box<RequestHead>, usize)>, ProtoError> {
        if self.progress.is_none() {
            // Fast path: a complete head in its ordinary form, read in one pass. Anything else
            // (incomplete input, any error, leading empty lines) takes the strict scan below,
            // which also names the exact error.
            let mut fields = ArrayVec::new();
            let mut summary = FieldSummary::default();
            if let Some(quick) = parse_quick(buf, limits, &mut fields, &mut summary) {
                let head = finish_quick(&quick, &fields, &summary, &buf[..quick.len], limits)?;
                return Ok(Some((head, quick.len)));
            }
            if buf.is_empty() {
                return Ok(None);
            }
        }
        self.parse_strict(buf, limits)
    }

    /// [`parse`](Self::parse) without its fast path: the strict scan, resumed where it stopped,
    /// then httparse on the complete head.
    fn parse_strict(
        &mut self,
        buf: &[u8],
        limits: &Limits,
    ) -> Result<Option<(Box<RequestHead>, usize)>, ProtoError> {
        if self.progress.is_none() {
            self.progress = Some(Box::new(Scanner::new(ScanSpec {
                start_line: Some(limits.max_start_line),
                max_section: limits.max_header_section,
                max_fields: limits.header_count(),
                too_large: ProtoError::HeaderSectionTooLarge,
                too_many: ProtoError::TooManyHeaders,
            })));
        }
        let scanner = self.progress.as_mut().expect("progress was just set");
        let scanned = match scanner.resume(buf) {
            Ok(Some(scanned)) => scanned,
            Ok(None) => return Ok(None),
            Err(e) => {
                self.progress = None;
                return Err(e);
            }
        };
        self.progress = None;
        let raw = &buf[..scanned.len];
        let mut fields = [MaybeUninit::<httparse::Header<'_>>::uninit(); MAX_HEADERS];
        let mut req = httparse::Request::new(&mut []);
        match req.parse_with_uninit_headers(raw, &mut fields) {
            Ok(httparse::Status::Complete(n)) if n == scanned.len => {}
            Ok(_) => return Err(ProtoError::BadStartLine),
            Err(httparse::Error::Version) => return Err(version_error(raw)),
            Err(e) => return Err(map_httparse(e)),
        }
        let head = finish_parsed(&req, raw, limits)?;
        Ok(Some((head, scanned.len)))
    }
}

/// Builds the head from the one-pass parser's parts (see [`parse_quick`]).
fn finish_quick(
    quick: &QuickHead<'_>,
    fields: &[Field<'_>],
    summary: &FieldSummary<'_>,
    raw: &[u8],
    limits: &Limits,
) -> Result<Box<RequestHead>, ProtoError> {
    let mut head = RequestHead::reused_boxed();
    if quick.get && quick.target[0] == b'/' {
        // An origin-form GET: the target's form is known, and the method is usually the one
        // the reused box already holds (a `Method` is written as three words).
        head.target.set_origin(quick.target, quick.first_question)?;
        if head.method != Method::GET {
            head.method = Method::GET;
        }
    } else {
        let method = if quick.get {
            Method::GET
        } else {
            Method::from_bytes(quick.method).map_err(|_| ProtoError::BadMethod)?
        };
        head.target
            .set_checked(quick.target, quick.first_question, &method)?;
        head.method = method;
    }
    finish_head(
        head,
        quick.version,
        fields,
        summary,
        quick.host_checked,
        raw,
        limits,
    )
}

/// Builds the head from httparse's result (the strict path): method, target and version, then
/// the rest as [`finish_head`].
fn finish_parsed(
    req: &httparse::Request<'_, '_>,
    raw: &[u8],
    limits: &Limits,
) -> Result<Box<RequestHead>, ProtoError> {
    let method = req.method.ok_or(ProtoError::BadStartLine)?;
    let method = Method::from_bytes(method.as_bytes()).map_err(|_| ProtoError::BadMethod)?;
    let version = req
        .version
        .and_then(Version::from_minor)
        .ok_or(ProtoError::UnsupportedVersion)?;
    let path = req.path.ok_or(ProtoError::BadStartLine)?;
    let target = RequestTarget::parse(path, &method)?;
    let head = RequestHead::with_start(method, target);
    let mut fields = ArrayVec::<Field<'_>, MAX_HEADERS>::new();
    fields.extend(req.headers.iter().map(|field| Field {
        name: field.name.as_bytes(),
        value: field.value,
    }));
    let summary = FieldSummary::of(&fields)?;
    finish_head(head, version, &fields, &summary, false, raw, limits)
}

/// Completes `head` (its method and target set) from the version and the fields, setting
/// every other field of it (see [`RequestHead::reused_boxed`]): the decisions made from the
/// fields (Host, framing, Expect, keep-alive), from their `summary` (the fields themselves are
/// read again only for a rare field). `host_checked`: the first Host value is known to be
/// valid. `raw` is the head's bytes, copied for the lazily built header map.
///
/// Inlined: the usual fields (one Host, already checked, and none of the rare fields) are
/// decided here, where the general rules of [`finish_fields`], out of line, would only confirm
/// that the head is valid, kept alive under HTTP/1.1 and without a body.
#[inline]
fn finish_head(
    head: Box<RequestHead>,
    version: Version,
    fields: &[Field<'_>],
    summary: &FieldSummary<'_>,
    host_checked: bool,
    raw: &[u8],
    limits: &Limits,
) -> Result<Box<RequestHead>, ProtoError> {
    let FieldSummary {
        hosts,
        framing,
        expect,
        connections,
        ..
    } = *summary;
    if hosts == 1 && host_checked && !framing && !expect && connections == 0 {
        let keep_alive = version == Version::Http11;
        return Ok(settle(
            head,
            version,
            keep_alive,
            false,
            BodyFraming::Empty,
            raw,
        ));
    }
    finish_fields(head, version, fields, summary, host_checked, raw, limits)
}

/// [`finish_head`] by the general rules.
#[inline(never)]
fn finish_fields(
    head: Box<RequestHead>,
    version: Version,
    fields: &[Field<'_>],
    summary: &FieldSummary<'_>,
    host_checked: bool,
    raw: &[u8],
    limits: &Limits,
) -> Result<Box<RequestHead>, ProtoError> {
    let FieldSummary {
        first_host,
        hosts,
        framing: framing_fields,
        expect,
        first_connection,
        connections,
    } = *summary;
    match (first_host, hosts) {
        (None, _) if version == Version::Http11 => return Err(ProtoError::MissingHost),
        (None, _) => {}
        (Some(_), 2..) => return Err(ProtoError::DuplicateHost),
        // RFC 9112 §3.2: a server MUST answer 400 to an invalid Host field value.
        (Some(host), _) if !host_checked && !valid_host_field(host.trim_ascii()) => {
            return Err(ProtoError::BadHost)
        }
        (Some(_), _) => {}
    }
    let body = if framing_fields {
        request_framing_of(fields, version, limits)?
    } else {
        BodyFraming::Empty
    };
    let mut continue_requested = false;
    if expect {
        for value in fields.values("expect") {
            if value.trim_ascii().eq_ignore_ascii_case(b"100-continue") {
                continue_requested = true;
            } else {
                return Err(ProtoError::UnsupportedExpectation);
            }
        }
    }
    // A single `Connection: keep-alive` (a browser's) or `close` is decided by one compare;
    // any other list by the general rule, which reads every field again.
    let keep_alive = match (first_connection, connections) {
        (None, _) => version == Version::Http11,
        (Some(value), 1) if folded_eq(value, b"keep-alive") => true,
        (Some(value), 1) if folded_eq(value, b"close") => false,
        (Some(_), _) => keep_alive_of(version, fields),
    };
    let expect_continue = continue_requested && version == Version::Http11 && !body.is_empty();
    Ok(settle(
        head,
        version,
        keep_alive,
        expect_continue,
        body,
        raw,
    ))
}

/// Stores what [`finish_head`] decided, and the head's bytes, in `head`.
#[inline(always)]
fn settle(
    mut head: Box<RequestHead>,
    version: Version,
    keep_alive: bool,
    expect_continue: bool,
    body: BodyFraming,
    raw: &[u8],
) -> Box<RequestHead> {
    head.keep_alive = keep_alive;
    head.expect_continue = expect_continue;
    head.version = version;
    head.headers.fill(raw);
    head.body = body;
    head
}

/// Distinguishes `METHOD SP target SP HTTP/9.9` (505) from garbage (400).
fn version_error(head: &[u8]) -> ProtoError {
    let start = head
        .iter()
        .position(|&b| b != b'\r' && b != b'\n')
        .unwrap_or(0);
    let line = &head[start..];
    let line = &line[..line.iter().position(|&b| b == b'\r').unwrap_or(line.len())];
    let mut parts = line.split(|&b| b == b' ');
    let (Some(m), Some(t), Some(v), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return ProtoError::BadStartLine;
    };
    if !m.is_empty() && m.iter().all(|&b| is_tchar(b)) && !t.is_empty() && looks_like_version(v) {
        ProtoError::UnsupportedVersion
    } else {
        ProtoError::BadStartLine
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::TargetForm;

    fn parse(input: &[u8]) -> Result<Option<(RequestHead, usize)>, ProtoError> {
        parse_request_head(input, &Limits::default())
    }

    fn status_of(input: &[u8]) -> u16 {
        match parse(input) {
            Ok(Some(_)) => 200,
            Ok(None) => 0,
            Err(e) => e.status(),
        }
    }

    /// The head as the strict path alone parses it, shown with every derived decision.
    fn strict(input: &[u8], limits: &Limits) -> Result<Option<(String, usize)>, ProtoError> {
        let parsed = RequestHeadParser::new().parse_strict(input, limits)?;
        Ok(parsed.map(|(head, n)| (format!("{head:?}"), n)))
    }

    /// The head as [`RequestHeadParser::parse`] gives it (the fast path first).
    fn either(input: &[u8], limits: &Limits) -> Result<Option<(String, usize)>, ProtoError> {
        let parsed = RequestHeadParser::new().parse(input, limits)?;
        Ok(parsed.map(|(head, n)| (format!("{head:?}"), n)))
    }

    /// The fast path agrees with the strict path on every head below and on every one-byte
    /// change of them (a byte replaced by one that matters to a parser, removed, or doubled):
    /// the same head, length and decisions, or the same error, or both incomplete. And it
    /// accepts the ordinary heads itself.
    #[test]
    fn the_fast_path_agrees_with_the_strict_path() {
        let bases: &[&[u8]] = &[
            b"GET /plaintext HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n",
            b"GET /a?b=c?d HTTP/1.0\r\nConnection: keep-alive\r\nX:  v w \t\r\n\r\nGET",
            b"POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\nhello",
            b"PUT http://h.example/p?q HTTP/1.1\r\nhost: h.example\r\nTransfer-Encoding: chunked\r\n\r\n",
            b"OPTIONS * HTTP/1.1\r\nHost: [::1]:80\r\nE:\r\nUser-Agent: x/1 (y; z)\r\n\r\n",
            b"CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\nX-A: \xff\r\n\r\n",
            b"GET / HTTP/1.1\r\nX: y\r\nHOST: a.b:80\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\nCONNECTION: keep-alive\r\n\r\n",
            b"GET /search/results.html?q=caf%C3%A9&page=2 HTTP/1.1\r\nHost: www.example-site.com\r\n\
              User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101\r\n\
              Accept-Language: en-US,en;q=0.5\r\nX_Under.score: a\tb\r\nCookie: s=8f14e45f\r\nX-B3-Sampled: 1\r\n\r\n",
        ];
        let limits = Limits::default();
        let tight = Limits {
            max_start_line: 24,
            max_header_section: 40,
            max_headers: 2,
            ..Limits::default()
        };
        // No field allowed, and the first base's field section (a lone Host line, which the
        // fast path reads apart) just fits.
        let none = Limits {
            max_header_section: 24,
            max_headers: 0,
            ..Limits::default()
        };
        let bytes: &[u8] = b" \t\r\n:?#/\0\x7f\x80aA1*@[]%\x0b";
        let mut inputs: Vec<(&[u8], Vec<u8>)> = Vec::new();
        for &base in bases {
            inputs.push((base, base.to_vec()));
            for at in 0..base.len() {
                for &b in bytes {
                    let mut changed = base.to_vec();
                    changed[at] = b;
                    inputs.push((base, changed));
                }
                let mut removed = base.to_vec();
                removed.remove(at);
                inputs.push((base, removed));
                let mut doubled = base.to_vec();
                doubled.insert(at, base[at]);
                inputs.push((base, doubled));
                inputs.push((base, base[..at].to_vec()));
            }
        }
        for (base, input) in &inputs {
            for limits in [&limits, &tight, &none] {
                let what = String::from_utf8_lossy(input);
                // The base's Host value, parsed first, is the remembered one (see
                // `quick_head`): a changed value next to it is checked, not matched. (Some
                // bases are errors, found after their first Host value.)
                either(base, &Limits::default()).ok();
                assert_eq!(either(input, limits), strict(input, limits), "{what}");
                // The summary noted on the way is the one the fields give.
                let (mut fields, mut summary) = (ArrayVec::new(), FieldSummary::default());
                if parse_quick(input, limits, &mut fields, &mut summary).is_some() {
                    assert_eq!(Ok(summary), FieldSummary::of(&fields), "{what}");
                }
            }
        }
        for base in bases {
            let mut summary = FieldSummary::default();
            assert!(
                parse_quick(base, &limits, &mut ArrayVec::new(), &mut summary).is_some(),
                "{base:?}"
            );
        }
    }

    /// A recycled head box is used for the next head, and nothing of its last request (target,
    /// fields, their map, framing, decisions) shows in the new head, whether the new request
    /// has the same method and target or not.
    #[test]
    fn a_recycled_head_keeps_nothing_of_its_last_request() {
        let limits = Limits::default();
        let long = format!(
            "POST /{}?q HTTP/1.0\r\nConnection: keep-alive\r\nX-Old: 1\r\n\
             Content-Length: 3\r\nExpect: 100-continue\r\n\r\n",
            "long".repeat(20)
        );
        let long_new = format!("GET /{} HTTP/1.1\r\nHost: b\r\n\r\n", "n".repeat(40));
        let padded = format!(
            "GET /new HTTP/1.1\r\nHost: a\r\nX-Old: {}\r\nConnection: close\r\n\r\n",
            "p".repeat(600)
        );
        let cases: &[(&[u8], &[u8])] = &[
            (long.as_bytes(), b"GET /new HTTP/1.1\r\nHost: b\r\n\r\n"),
            (padded.as_bytes(), b"GET /new HTTP/1.1\r\nHost: b\r\n\r\n"),
            (
                b"GET /new?x HTTP/1.1\r\nHost: a\r\nX-Old: 1\r\n\r\n",
                b"GET /new?x HTTP/1.0\r\n\r\n",
            ),
            (
                b"GET /same HTTP/1.1\r\nHost: a\r\n\r\n",
                b"POST /same HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\n",
            ),
            // A target of the same length: its text is compared, not only its length (below
            // 8 bytes, from 8 to 16 in two words, and longer).
            (
                b"GET /old?q HTTP/1.1\r\nHost: a\r\n\r\n",
                b"GET /new?q HTTP/1.1\r\nHost: a\r\n\r\n",
            ),
            (
                b"GET /plaintext HTTP/1.1\r\nHost: a\r\n\r\n",
                b"GET /plainteXt HTTP/1.1\r\nHost: a\r\n\r\n",
            ),
            (
                b"GET /0123456789abcdef/xyz HTTP/1.1\r\nHost: a\r\n\r\n",
                b"GET /0123456789abcdef/xYz HTTP/1.1\r\nHost: a\r\n\r\n",
            ),
            // The same origin-form target for a GET after another method (its text is kept,
            // the method and the parts are set).
            (
                b"OPTIONS /same?q HTTP/1.1\r\nHost: a\r\n\r\n",
                b"GET /same?q HTTP/1.1\r\nHost: b\r\n\r\n",
            ),
            (
                b"POST /same HTTP/1.0\r\nContent-Length: 1\r\n\r\n",
                b"GET /same HTTP/1.1\r\nHost: b\r\nX-New: 1\r\n\r\n",
            ),
            (
                b"GET http://a/same HTTP/1.1\r\nHost: a\r\n\r\n",
                b"GET /same HTTP/1.1\r\nHost: a\r\n\r\n",
            ),
            (
                b"OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n",
                b"OPTIONS * HTTP/1.1\r\nHost: c\r\nTransfer-Encoding: chunked\r\n\r\n",
            ),
            (
                b"GET /a?b HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
                long_new.as_bytes(),
            ),
        ];
        for (old, new) in cases {
            let fresh = format!("{:?}", parse(new).unwrap().unwrap().0);
            let mut parser = RequestHeadParser::new();
            let (head, _) = parser.parse(old, &limits).unwrap().unwrap();
            assert!(!head.headers.map().is_empty(), "the old map was built");
            let old_box: *const RequestHead = &*head;
            RequestHead::recycle(head);
            let (head, _) = parser.parse(new, &limits).unwrap().unwrap();
            assert_eq!(&*head as *const RequestHead, old_box, "the box was reused");
            assert_eq!(format!("{head:?}"), fresh);
            assert!(head.headers.get("x-old").is_none());
        }
    }

    #[test]
    fn statuses() {
        let long_target = format!("GET /{} HTTP/1.1\r\nHost: a\r\n\r\n", "a".repeat(8 * 1024));
        let long_partial = format!("GET /{}", "a".repeat(8 * 1024));
        let many: String = (0..101).map(|i| format!("X-{i}: v\r\n")).collect();
        let many_headers = format!("GET / HTTP/1.1\r\nHost: a\r\n{many}\r\n");
        let hundred: String = (0..99).map(|i| format!("X-{i}: v\r\n")).collect();
        let hundred_headers = format!("GET / HTTP/1.1\r\nHost: a\r\n{hundred}\r\n");
        let big = format!(
            "GET / HTTP/1.1\r\nHost: a\r\nX-Big: {}\r\n\r\n",
            "b".repeat(65 * 1024)
        );
        let big_partial = format!(
            "GET / HTTP/1.1\r\nHost: a\r\nX-Big: {}",
            "b".repeat(65 * 1024)
        );
        let cases: Vec<(&[u8], u16)> = vec![
            (b"GET / HTTP/1.1\r\nHost: a\r\n\r\n", 200),
            (b"GET / HTTP/1.0\r\n\r\n", 200),
            (b"\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", 200),
            (b"GET / HTTP/1.1\r\nHost: a\r\n", 0),
            (b"GET / HTTP/1.1\r\nHost: a\r\n\r", 0),
            (b"GET / HTTP/1.1", 0),
            (b"", 0),
            // Line syntax.
            (b"GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n b\r\n\r\n", 400),
            (b"GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400),
            (b"GET / HTTP/1.1\r\nHost\t: a\r\n\r\n", 400),
            (b"GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n", 400),
            (b"GET / HTTP/1.1\r\nHost: a\r\nX: a\0b\r\n\r\n", 400),
            (b"GET /\0 HTTP/1.1\r\nHost: a\r\n\r\n", 400),
            (b"GET / HTTP/1.1\nHost: a\n\n", 400),
            (b"GET / HTTP/1.1\r\nHost: a\n\r\n", 400),
            (b"GET / HTTP/1.1\r\n: a\r\nHost: a\r\n\r\n", 400),
            (b"GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400),
            (b"G(T / HTTP/1.1\r\nHost: a\r\n\r\n", 400),
            (b" GET / HTTP/1.1\r\nHost: a\r\n\r\n", 400),
            (b"GET / HTTP/1.1 \r\nHost: a\r\n\r\n", 400),
            (b"GET /\x80 HTTP/1.1\r\nHost: a\r\n\r\n", 400),
            // Host.
            (b"GET / HTTP/1.1\r\n\r\n", 400),
            (b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
            (b"GET / HTTP/1.0\r\nHost: a\r\nhost: a\r\n\r\n", 400),
            (b"GET / HTTP/1.1\r\nHost:\r\n\r\n", 200),
            (b"GET / HTTP/1.1\r\nHost: a.example:8080\r\n\r\n", 200),
            (b"GET / HTTP/1.1\r\nHost: [::1]:80\r\n\r\n", 200),
            (b"GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400),
            (b"GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", 400),
            (b"GET / HTTP/1.1\r\nHost: u@a\r\n\r\n", 400),
            (b"GET / HTTP/1.1\r\nHost: a:8x\r\n\r\n", 400),
            // Versions.
            (b"GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505),
            (b"GET / HTTP/1.2\r\nHost: a\r\n\r\n", 505),
            (b"GET / HTTP/3\r\nHost: a\r\n\r\n", 400),
            (b"GET / HTTP/1\r\nHost: a\r\n\r\n", 400),
            (b"GET / HTTP/11\r\nHost: a\r\n\r\n", 400),
            (b"GET / HTTP/0.9\r\nHost: a\r\n\r\n", 505),
            (b"GET / FOO/1.1\r\nHost: a\r\n\r\n", 400),
            (b"GET / http/1.1\r\nHost: a\r\n\r\n", 400),
            (b"GET / HTTP/x\r\nHost: a\r\n\r\n", 400),
            (b"GET /\r\nHost: a\r\n\r\n", 400),
            // Targets.
            (b"OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", 200),
            (b"GET * HTTP/1.1\r\nHost: a\r\n\r\n", 400),
            (b"CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n", 200),
            (b"GET a:443 HTTP/1.1\r\nHost: a\r\n\r\n", 400),
            // Expect.
            (b"POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\n", 200),
            (b"POST / HTTP/1.1\r\nHost: a\r\nExpect: 200-ok\r\nContent-Length: 1\r\n\r\n", 417),
            // Framing.
            (b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
            (b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999\r\n\r\n", 413),
            (b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501),
            (b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
            // Limits.
            (long_target.as_bytes(), 414),
            (long_partial.as_bytes(), 414),
            (many_headers.as_bytes(), 431),
            (hundred_headers.as_bytes(), 200),
            (big.as_bytes(), 431),
            (big_partial.as_bytes(), 431),
        ];
        for (input, want) in cases {
            assert_eq!(
                status_of(input),
                want,
                "{:?}",
                String::from_utf8_lossy(input)
            );
        }
    }

    #[test]
    fn fields_and_semantics() {
        let input = b"POST /up?x=1 HTTP/1.1\r\nHost: example.com\r\nX-A: 1\r\nx-a: 2\r\n\
                      Content-Length: 5\r\nExpect: 100-Continue\r\n\r\nhelloGET";
        let (head, n) = parse(input).unwrap().unwrap();
        assert_eq!(&input[n..], b"helloGET");
        assert_eq!(head.method, Method::POST);
        assert_eq!(head.target.path(), "/up");
        assert_eq!(head.target.query(), Some("x=1"));
        assert_eq!(head.version, Version::Http11);
        assert_eq!(head.headers.map().get_all("x-a").iter().count(), 2);
        assert_eq!(head.body, BodyFraming::Length(5));
        assert!(head.keep_alive);
        assert!(head.expect_continue);
        assert!(!head.is_simple_get());
    }

    #[test]
    fn keep_alive_and_expect() {
        let cases: &[(&[u8], bool, bool, bool)] = &[
            // (input, keep_alive, expect_continue, simple_get)
            (b"GET / HTTP/1.1\r\nHost: a\r\n\r\n", true, false, true),
            (b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", false, false, true),
            (b"GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, Close\r\n\r\n", false, false, true),
            (b"GET / HTTP/1.0\r\n\r\n", false, false, true),
            (b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", true, false, true),
            (b"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", true, false, true),
            (b"GET / HTTP/1.1\r\nHost: a\r\nConnection: KEEP-alive\r\n\r\n", true, false, true),
            (b"GET / HTTP/1.0\r\nConnection: CLOSE\r\n\r\n", false, false, true),
            (b"GET / HTTP/1.0\r\nConnection: keep-alive \r\n\r\n", true, false, true),
            (b"GET / HTTP/1.0\r\nConnection: keep-alive\r\nConnection: close\r\n\r\n", false, false, true),
            (b"GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n", false, false, true),
            (b"GET / HTTP/1.0\r\nConnection: keep-alive2\r\n\r\n", false, false, true),
            (b"GET / HTTP/1.0\r\nConnection: upgrade\r\nConnection: Keep-Alive\r\n\r\n", true, false, true),
            (b"POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n", false, false, false),
            (b"GET / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n\r\n", true, false, true),
            (b"PUT / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nTransfer-Encoding: chunked\r\n\r\n", true, true, false),
        ];
        for (input, ka, ec, simple) in cases {
            let (head, _) = parse(input).unwrap().unwrap();
            let what = String::from_utf8_lossy(input);
            assert_eq!(head.keep_alive, *ka, "{what}");
            assert_eq!(head.expect_continue, *ec, "{what}");
            assert_eq!(head.is_simple_get(), *simple, "{what}");
        }
    }

    /// The one-compare decision for a single `Connection` field gives what the general rule
    /// gives (over the header map), for either version and with a second field or without.
    #[test]
    fn keep_alive_agrees_with_the_general_rule() {
        let values = [
            "keep-alive",
            "Keep-Alive",
            "close",
            "CLOSE",
            "keep-alive, close",
            "close, keep-alive",
            "keep-alive2",
            "keepalive",
            "keep_alive",
            "keep-alivf",
            "upgrade",
            "clos",
            "-",
            "",
        ];
        for version in ["1.0", "1.1"] {
            for first in values {
                for second in std::iter::once(None).chain(values.iter().map(Some)) {
                    let mut head =
                        format!("GET / HTTP/{version}\r\nHost: h\r\nConnection: {first}\r\n");
                    if let Some(second) = second {
                        head.push_str(&format!("Connection: {second}\r\n"));
                    }
                    head.push_str("\r\n");
                    let (parsed, _) = parse(head.as_bytes()).unwrap().unwrap();
                    let general = crate::proto::keep_alive(parsed.version, parsed.headers.map());
                    assert_eq!(parsed.keep_alive, general, "{head:?}");
                }
            }
        }
    }

    #[test]
    fn pipelined_consumed_exact() {
        let one = b"GET /a HTTP/1.1\r\nHost: a\r\n\r\n";
        let two = b"GET /b HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
        let mut buf = Vec::new();
        buf.extend_from_slice(one);
        buf.extend_from_slice(two);
        buf.extend_from_slice(b"GET /c HT");
        let (a, n1) = parse(&buf).unwrap().unwrap();
        assert_eq!(n1, one.len());
        assert_eq!(a.target.path(), "/a");
        let (b, n2) = parse(&buf[n1..]).unwrap().unwrap();
        assert_eq!(n2, two.len());
        assert_eq!(b.target.path(), "/b");
        assert!(!b.keep_alive);
        assert!(parse(&buf[n1 + n2..]).unwrap().is_none());
        // Every prefix of a complete request is incomplete, never an error.
        for i in 0..one.len() {
            assert!(parse(&one[..i]).unwrap().is_none(), "prefix {i}");
        }
    }

    #[test]
    fn resumed_parse_agrees_with_one_parse() {
        let inputs: Vec<Vec<u8>> = vec![
            b"GET / HTTP/1.1\r\nHost: a\r\n\r\nGET".to_vec(),
            b"\r\nPOST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhi".to_vec(),
            b"GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n b\r\n\r\n".to_vec(),
            b"GET / HTTP/2.0\r\nHost: a\r\n\r\n".to_vec(),
            b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n".to_vec(),
            format!("GET /{} HTTP/1.1\r\n", "a".repeat(9000)).into_bytes(),
        ];
        for input in &inputs {
            let what = String::from_utf8_lossy(input);
            let whole = parse(input).map(|o| o.map(|(h, n)| (h.target.path().to_owned(), n)));
            let mut parser = RequestHeadParser::new();
            let mut got = Ok(None);
            for end in 0..=input.len() {
                got = parser
                    .parse(&input[..end], &Limits::default())
                    .map(|o| o.map(|(h, n)| (h.target.path().to_owned(), n)));
                if !matches!(got, Ok(None)) {
                    break;
                }
            }
            assert_eq!(got, whole, "{what}");
            assert!(!parser.is_partial(), "{what}");
        }
    }

    #[test]
    fn target_forms() {
        let cases: &[(&[u8], TargetForm, &str, Option<&str>)] = &[
            (
                b"OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n",
                TargetForm::Asterisk,
                "*",
                None,
            ),
            (
                b"GET http://h.example/p?q HTTP/1.1\r\nHost: h.example\r\n\r\n",
                TargetForm::Absolute,
                "/p",
                Some("h.example"),
            ),
            (
                b"CONNECT h:443 HTTP/1.1\r\nHost: h:443\r\n\r\n",
                TargetForm::Authority,
                "",
                Some("h:443"),
            ),
        ];
        for (input, form, path, auth) in cases {
            let (head, _) = parse(input).unwrap().unwrap();
            assert_eq!(head.target.form(), *form);
            assert_eq!(head.target.path(), *path);
            assert_eq!(head.target.authority(), *auth);
        }
    }
}
