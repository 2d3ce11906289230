//! The request-target (RFC 9112 §3.2) and its four forms.
//!
//! Invariants of a [`RequestTarget`]:
//! - the raw bytes are non-empty visible ASCII without `#`, so every accessor
//!   returns a `&str` slice of them without copying;
//! - the form matches the method: asterisk-form only with OPTIONS,
//!   authority-form only (and always) with CONNECT;
//! - the stored ranges lie inside the raw bytes.

use std::ops::Range;

use http::Method;

use super::error::ProtoError;
use super::swar::same_bytes;
use super::target_text::TargetText;

/// Which of the four request-target forms was used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TargetForm {
    /// `/path?query`, the usual form.
    Origin,
    /// `http://authority/path?query`, sent to proxies (and accepted by servers).
    Absolute,
    /// `host:port`, only with CONNECT.
    Authority,
    /// `*`, only with OPTIONS.
    Asterisk,
}

/// A validated request-target: its own text (inline up to 30 bytes, so that a typical request
/// allocates nothing for it), with
/// the parts as offsets into it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestTarget {
    raw: TargetText,
    form: TargetForm,
    authority: Range<u32>,
    path: Range<u32>,
    query: Option<Range<u32>>,
}

impl RequestTarget {
    /// Validates `raw` as a request-target for `method`.
    pub fn parse(target: &str, method: &Method) -> Result<RequestTarget, ProtoError> {
        let b = target.as_bytes();
        let parts = Parts::of(b, first_question(b)?, method)?;
        Ok(parts.with(TargetText::new(target)))
    }

    /// Sets this target, in place, to `target` for `method`, checked as
    /// [`RequestTarget::parse`] checks it (`Err`: this target is then unspecified). For a
    /// head filled in its box: built apart and moved in, the target's inline text is copied
    /// once more.
    pub(crate) fn set(&mut self, target: &str, method: &Method) -> Result<(), ProtoError> {
        let b = target.as_bytes();
        self.set_checked(b, first_question(b)?, method)
    }

    /// Sets this target, in place, to `bytes` for `method`: [`RequestTarget::parse`] for a
    /// target whose bytes were already checked (each one a [`valid_target_byte`], at least
    /// one), given where its first `?` is. The request parser's one pass over the head checks
    /// them on the way, and fills the target in the head's box: the text is written where it
    /// stays (built apart and moved, the inline text went through registers byte by byte).
    pub(crate) fn set_checked(
        &mut self,
        bytes: &[u8],
        first_question: Option<usize>,
        method: &Method,
    ) -> Result<(), ProtoError> {
        debug_assert!(!bytes.is_empty() && bytes.iter().all(|&c| valid_target_byte(c)));
        let Parts {
            form,
            authority,
            path,
            query,
        } = Parts::of(bytes, first_question, method)?;
        if !self.raw.set_ascii(bytes) {
            return Err(ProtoError::BadTarget);
        }
        self.form = form;
        self.authority = authority;
        self.path = path;
        self.query = query;
        Ok(())
    }

    /// Sets this target, in place, to `bytes` for a method other than CONNECT:
    /// [`RequestTarget::set_checked`] for a target whose bytes were checked and whose first
    /// byte is `/` (the request parser's one pass, for a GET). Such a target is in the origin
    /// form for every method but CONNECT, so its parts are the path and the query, split at
    /// `first_question`, and [`Parts::of`] is not needed.
    ///
    /// The text is copied only when it differs from this target's: a reused head box holds its
    /// last request's target, and a client on a keep-alive connection often asks for the same
    /// one again (a poll, a health check, a benchmark). The compare costs a fraction of the
    /// copy, which writes one character at a time (safe code has no cheaper way from bytes to
    /// a `str`: `str::from_utf8` costs more for a short target); about 65 instructions per
    /// request in the plaintext profile.
    pub(crate) fn set_origin(
        &mut self,
        bytes: &[u8],
        first_question: Option<usize>,
    ) -> Result<(), ProtoError> {
        debug_assert!(bytes.first() == Some(&b'/') && bytes.iter().all(|&c| valid_target_byte(c)));
        let Ok(end) = u32::try_from(bytes.len()) else {
            return Err(ProtoError::BadTarget);
        };
        if same_bytes(self.raw.as_str().as_bytes(), bytes) && self.form == TargetForm::Origin {
            // The parts of an origin-form target follow from its text: they are as they were.
            return Ok(());
        }
        if !self.raw.set_ascii(bytes) {
            return Err(ProtoError::BadTarget);
        }
        self.form = TargetForm::Origin;
        self.authority = 0..0;
        (self.path, self.query) = match first_question {
            // `first_question` is inside `bytes`, whose length fits in `u32`.
            Some(q) => (0..q as u32, Some(q as u32 + 1..end)),
            None => (0..end, None),
        };
        Ok(())
    }

    /// An empty origin-form target, for a head being filled in place (see `finish_head`).
    pub(crate) fn unset() -> RequestTarget {
        RequestTarget {
            raw: TargetText::empty(),
            form: TargetForm::Origin,
            authority: 0..0,
            path: 0..0,
            query: None,
        }
    }

    /// The whole request-target as received.
    pub fn as_str(&self) -> &str {
        self.raw.as_str()
    }

    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8] {
        self.raw.as_str().as_bytes()
    }

    /// Which form the target has.
    pub fn form(&self) -> TargetForm {
        self.form
    }

    /// The path: `/...` for origin- and absolute-form (`/` if the absolute URI
    /// has none), `*` for asterisk-form, empty for authority-form.
    pub fn path(&self) -> &str {
        if self.form == TargetForm::Absolute && self.path.is_empty() {
            return "/";
        }
        self.slice(self.path.clone())
    }

    /// The query without `?`, if there is a `?`.
    pub fn query(&self) -> Option<&str> {
        self.query.clone().map(|r| self.slice(r))
    }

    /// The authority of absolute- and authority-form targets.
    pub fn authority(&self) -> Option<&str> {
        match self.form {
            TargetForm::Absolute | TargetForm::Authority => {
                Some(self.slice(self.authority.clone()))
            }
            TargetForm::Origin | TargetForm::Asterisk => None,
        }
    }

    fn slice(&self, r: Range<u32>) -> &str {
        &self.raw.as_str()[r.start as usize..r.end as usize]
    }
}

/// A target's form and the ranges of its parts, found from its checked bytes.
struct Parts {
    form: TargetForm,
    authority: Range<u32>,
    path: Range<u32>,
    query: Option<Range<u32>>,
}

impl Parts {
    /// The parts of `b`, a non-empty target of valid target bytes whose first `?` is at
    /// `first_question`, for `method`.
    fn of(b: &[u8], first_question: Option<usize>, method: &Method) -> Result<Parts, ProtoError> {
        if b.len() > u32::MAX as usize {
            return Err(ProtoError::BadTarget);
        }
        let r = |range: Range<usize>| range.start as u32..range.end as u32;
        let end = b.len();
        let (form, authority, path_start) = if b == b"*" {
            if method != Method::OPTIONS {
                return Err(ProtoError::BadTarget);
            }
            return Ok(Parts {
                form: TargetForm::Asterisk,
                authority: 0..0,
                path: 0..1,
                query: None,
            });
        } else if method == Method::CONNECT {
            if !valid_host_port(b) {
                return Err(ProtoError::BadTarget);
            }
            return Ok(Parts {
                form: TargetForm::Authority,
                authority: r(0..end),
                path: r(end..end),
                query: None,
            });
        } else if b[0] == b'/' {
            (TargetForm::Origin, 0..0, 0)
        } else {
            let colon = scheme_end(b).ok_or(ProtoError::BadTarget)?;
            let auth_start = colon + 3;
            let auth_end = b[auth_start..]
                .iter()
                .position(|&c| c == b'/' || c == b'?')
                .map_or(end, |p| auth_start + p);
            if auth_end == auth_start {
                return Err(ProtoError::BadTarget);
            }
            (TargetForm::Absolute, auth_start..auth_end, auth_end)
        };
        let (path, query) = match first_question {
            Some(q) => (path_start..q, Some(q + 1..end)),
            None => (path_start..end, None),
        };
        Ok(Parts {
            form,
            authority: r(authority),
            path: r(path),
            query: query.map(r),
        })
    }

    /// The target of these parts and text `raw`.
    fn with(self, raw: TargetText) -> RequestTarget {
        RequestTarget {
            raw,
            form: self.form,
            authority: self.authority,
            path: self.path,
            query: self.query,
        }
    }
}

/// Checks every byte of a raw target in one pass and finds its first `?` (the query's start
/// in the origin and absolute forms: an authority ends at the first `/` or `?`).
fn first_question(b: &[u8]) -> Result<Option<usize>, ProtoError> {
    if b.is_empty() || b.len() > u32::MAX as usize {
        return Err(ProtoError::BadTarget);
    }
    let mut first_question = None;
    for (at, &c) in b.iter().enumerate() {
        match TARGET_BYTE[c as usize] {
            TargetByte::Invalid => return Err(ProtoError::BadTarget),
            TargetByte::Question if first_question.is_none() => first_question = Some(at),
            TargetByte::Question | TargetByte::Other => {}
        }
    }
    Ok(first_question)
}

/// If `b` starts with `scheme "://"`, the index of the colon.
fn scheme_end(b: &[u8]) -> Option<usize> {
    let colon = b.iter().position(|&c| c == b':')?;
    let scheme = &b[..colon];
    let ok = scheme.first().is_some_and(u8::is_ascii_alphabetic)
        && scheme
            .iter()
            .all(|&c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.'));
    (ok && b[colon..].starts_with(b"://")).then_some(colon)
}

/// Whether `b` is a valid Host field value (RFC 9112 §3.2, RFC 3986 §3.2.2):
/// `uri-host [ ":" port ]`, where uri-host is an IP literal in brackets or a reg-name
/// (IPv4 addresses are reg-names syntactically). The empty value is allowed: a client sends it
/// when the target URI has no authority.
pub(crate) fn valid_host_field(b: &[u8]) -> bool {
    let (host_ok, rest) = if let Some(inner) = b.strip_prefix(b"[") {
        let Some(close) = inner.iter().position(|&c| c == b']') else {
            return false;
        };
        let literal = &inner[..close];
        let ok = !literal.is_empty()
            && literal
                .iter()
                .all(|&c| c.is_ascii_hexdigit() || matches!(c, b':' | b'.' | b'v' | b'V'));
        (ok, &inner[close + 1..])
    } else {
        // One pass: reg-name bytes up to the first byte that is not one (`:` is not).
        let end = b
            .iter()
            .position(|&c| !REG_NAME[c as usize])
            .unwrap_or(b.len());
        (true, &b[end..])
    };
    let port_ok = match rest {
        [] => true,
        [b':', port @ ..] => port.len() <= 5 && port.iter().all(u8::is_ascii_digit),
        _ => false,
    };
    host_ok && port_ok
}

/// Whether `c` may appear in a request-target: visible ASCII other than `#`.
#[inline]
pub(crate) const fn valid_target_byte(c: u8) -> bool {
    !matches!(TARGET_BYTE[c as usize], TargetByte::Invalid)
}

/// The length of a Host value in the reg-name form, `reg-name [ ":" port ]`, at the start of
/// `bytes` and ended by a CR: a value [`valid_host_field`] accepts, found in the one pass that
/// also delimits it (the request parser's fast path). `None` for anything else, an IP literal
/// included, which the caller then delimits and checks the usual way.
pub(crate) fn reg_name_host_len(bytes: &[u8]) -> Option<usize> {
    let mut host = 0;
    while REG_NAME[*bytes.get(host)? as usize] {
        host += 1;
    }
    let end = if bytes[host] == b':' {
        let digits = bytes[host + 1..].iter().position(|c| !c.is_ascii_digit())?;
        if digits > 5 {
            return None;
        }
        host + 1 + digits
    } else {
        host
    };
    (bytes[end] == b'\r').then_some(end)
}

/// How [`RequestTarget::parse`] sees a byte of a target.
#[derive(Clone, Copy)]
enum TargetByte {
    /// Not allowed in a target: controls, space, DEL, non-ASCII, and `#` (a fragment is never
    /// sent).
    Invalid,
    /// `?`, which may start the query.
    Question,
    /// Any other visible ASCII byte.
    Other,
}

/// The class of every byte, as a table: the target is checked on every request.
static TARGET_BYTE: [TargetByte; 256] = {
    let mut table = [TargetByte::Invalid; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        table[c] = if b == b'?' {
            TargetByte::Question
        } else if b.is_ascii_graphic() && b != b'#' {
            TargetByte::Other
        } else {
            TargetByte::Invalid
        };
        c += 1;
    }
    table
};

/// RFC 3986 `reg-name` bytes: unreserved, sub-delims and `%` (of pct-encoded), as a table
/// because Host is checked on every request.
static REG_NAME: [bool; 256] = {
    let mut table = [false; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        table[c] = b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'-' | b'.'
                    | b'_'
                    | b'~'
                    | b'%'
                    | b'!'
                    | b'$'
                    | b'&'
                    | b'\''
                    | b'('
                    | b')'
                    | b'*'
                    | b'+'
                    | b','
                    | b';'
                    | b'='
            );
        c += 1;
    }
    table
};

/// `host ":" port` with a non-empty host and a decimal port (authority-form).
fn valid_host_port(b: &[u8]) -> bool {
    let Some(colon) = b.iter().rposition(|&c| c == b':') else {
        return false;
    };
    let (host, port) = (&b[..colon], &b[colon + 1..]);
    !host.is_empty()
        && !host.iter().any(|&c| matches!(c, b'/' | b'?' | b'@'))
        && !port.is_empty()
        && port.len() <= 5
        && port.iter().all(u8::is_ascii_digit)
}

#[cfg(test)]
mod tests {
    use super::*;

    type Want = (
        TargetForm,
        &'static str,
        Option<&'static str>,
        Option<&'static str>,
    );

    #[test]
    fn a_reg_name_host_found_in_one_pass_is_a_valid_host_field() {
        let values: &[&[u8]] = &[
            b"",
            b"a",
            b"127.0.0.1:8080",
            b"example.com",
            b":80",
            b"a:",
            b"a:123456",
            b"a:12345",
            b"[::1]:80",
            b"a b",
            b"u@a",
            b"a:8x",
            b"a:80:80",
            b"%41.example",
            b"a/b",
            b"a\x80",
        ];
        for value in values {
            let mut line = value.to_vec();
            line.extend_from_slice(b"\r\n");
            let found = reg_name_host_len(&line);
            let what = String::from_utf8_lossy(value);
            if let Some(len) = found {
                assert_eq!(len, value.len(), "{what}");
                assert!(valid_host_field(value), "{what}");
            } else {
                // Refused here: an IP literal (checked the usual way), or not a Host value.
                assert!(
                    value.starts_with(b"[") || !valid_host_field(value),
                    "{what}"
                );
            }
        }
    }

    #[test]
    fn table() {
        use TargetForm::*;
        let ok: &[(Method, &str, Want)] = &[
            (Method::GET, "/", (Origin, "/", None, None)),
            (
                Method::GET,
                "/a/b?x=1&y",
                (Origin, "/a/b", Some("x=1&y"), None),
            ),
            (Method::GET, "/?", (Origin, "/", Some(""), None)),
            (Method::OPTIONS, "*", (Asterisk, "*", None, None)),
            (Method::OPTIONS, "/x", (Origin, "/x", None, None)),
            (
                Method::GET,
                "http://example.com/p?q",
                (Absolute, "/p", Some("q"), Some("example.com")),
            ),
            (
                Method::GET,
                "http://example.com:8080",
                (Absolute, "/", None, Some("example.com:8080")),
            ),
            (
                Method::GET,
                "https://h?q",
                (Absolute, "/", Some("q"), Some("h")),
            ),
            (
                Method::CONNECT,
                "example.com:443",
                (Authority, "", None, Some("example.com:443")),
            ),
            (
                Method::CONNECT,
                "[::1]:443",
                (Authority, "", None, Some("[::1]:443")),
            ),
        ];
        for (m, raw, (form, path, query, auth)) in ok {
            let t = RequestTarget::parse(raw, m).unwrap_or_else(|e| panic!("{m} {raw}: {e}"));
            assert_eq!(t.form(), *form, "{raw}");
            assert_eq!(t.path(), *path, "{raw}");
            assert_eq!(t.query(), *query, "{raw}");
            assert_eq!(t.authority(), *auth, "{raw}");
            assert_eq!(t.as_str(), *raw);
        }
        let bad: &[(Method, &str)] = &[
            (Method::GET, "*"),
            (Method::POST, "*"),
            (Method::GET, ""),
            (Method::GET, "/a#frag"),
            (Method::GET, "/caf\u{e9}"),
            (Method::GET, "example.com:80"),
            (Method::GET, "http:/x"),
            (Method::GET, "http:///x"),
            (Method::GET, "1http://x/"),
            (Method::GET, "a "),
            (Method::CONNECT, "/"),
            (Method::CONNECT, "example.com"),
            (Method::CONNECT, "example.com:"),
            (Method::CONNECT, ":443"),
            (Method::CONNECT, "http://x:1/"),
            (Method::CONNECT, "*"),
        ];
        for (m, raw) in bad {
            let got = RequestTarget::parse(raw, m);
            assert_eq!(got, Err(ProtoError::BadTarget), "{m} {raw:?}");
        }
    }
}
