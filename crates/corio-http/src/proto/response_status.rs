//! What a response head says about the exchange, decided in one pass: the client's side of
//! [`parse_response_status`](super::parse_response_status).
//!
//! [`decide`] takes a parsed head's fields (httparse's, in place) and decides persistence and
//! framing in one pass over them, leaving only the unusual cases to the general rules.
//! [`quick_head`] parses the common head itself, without httparse, and decides it in the same
//! pass; it accepts only what both the strict scan and httparse accept, and answers as the
//! general path would (`response.rs` tests both against [`parse_response_head`] on every
//! prefix and one-byte change of typical heads, and `tests/fuzz_corpus.rs` on the fuzz seeds).
//!
//! [`parse_response_head`]: super::parse_response_head

use http::{Method, StatusCode};

use super::connection::keep_alive_of;
use super::error::ProtoError;
use super::fields::folded_eq;
use super::framing::TCHAR;
use super::framing::{parse_decimal, response_framing_of, BodyFraming};
use super::limits::{Limits, MAX_HEADERS};
use super::response::{ResponseStatus, STATUS_PREFIX_LEN};
use super::swar;
use super::version::Version;

/// The common response head, parsed and decided in one pass without httparse: `HTTP/1.x`, a
/// status and a non-empty reason phrase, then field lines `name: value`, every line ending in
/// CRLF; persistence and framing decided as [`decide`] does in its common cases (no
/// `Transfer-Encoding`, at most one `Content-Length` holding one number, at most one
/// `Connection` holding just `keep-alive` or just `close`).
///
/// It accepts only what both the strict scan and httparse accept (the bytes the scan allows,
/// the grammar httparse parses), within the limits, and answers exactly as the general path
/// would; anything else (an incomplete head included) is `None`, and the general path
/// decides, with the exact error. So it is only ever a shortcut, never a second opinion.
pub(super) fn quick_head(
    buf: &[u8],
    limits: &Limits,
    request_method: &Method,
) -> Option<(ResponseStatus, usize)> {
    let version = match buf.get(..9)? {
        b"HTTP/1.1 " => Version::Http11,
        b"HTTP/1.0 " => Version::Http10,
        _ => return None,
    };
    let code = buf.get(9..13)?;
    if !code[..3].iter().all(u8::is_ascii_digit) || code[3] != b' ' {
        return None;
    }
    let code = code[..3]
        .iter()
        .fold(0u16, |n, &d| n * 10 + u16::from(d - b'0'));
    let status = StatusCode::from_u16(code).ok()?;
    let status_line_end = line_end(buf, STATUS_PREFIX_LEN)?;
    if status_line_end == STATUS_PREFIX_LEN || status_line_end > limits.max_start_line {
        return None;
    }
    let (mut connection, mut connections) = (&b""[..], 0u32);
    let (mut length, mut lengths) = (&b""[..], 0u32);
    let mut fields = 0;
    let mut at = status_line_end + 2;
    while *buf.get(at)? != b'\r' {
        let name_len = name_end(buf, at)? - at;
        if name_len == 0 || buf[at + name_len] != b':' {
            return None;
        }
        let name = &buf[at..at + name_len];
        let end = line_end(buf, at + name_len + 1)?;
        let value = &buf[at + name_len + 1..end];
        match name_len {
            10 if folded_eq(name, b"connection") => {
                connection = value;
                connections += 1;
            }
            14 if folded_eq(name, b"content-length") => {
                length = value;
                lengths += 1;
            }
            17 if folded_eq(name, b"transfer-encoding") => return None,
            _ => {}
        }
        fields += 1;
        at = end + 2;
    }
    if buf.get(at + 1) != Some(&b'\n') {
        return None;
    }
    let len = at + 2;
    if fields > limits.header_count().min(MAX_HEADERS)
        || len - (status_line_end + 2) > limits.max_header_section
        || connections > 1
        || lengths > 1
    {
        return None;
    }
    let connection = connection.trim_ascii();
    let keep_alive = match connections {
        0 => version == Version::Http11,
        _ if folded_eq(connection, b"keep-alive") => true,
        _ if folded_eq(connection, b"close") => false,
        _ => return None,
    };
    let body = if no_body(status, request_method) {
        BodyFraming::Empty
    } else if lengths == 0 {
        BodyFraming::CloseDelimited
    } else {
        match parse_decimal(length.trim_ascii())? {
            0 => BodyFraming::Empty,
            n => BodyFraming::Length(n),
        }
    };
    let head = ResponseStatus {
        version,
        status,
        keep_alive,
        body,
    };
    Some((head, len))
}

/// Where the line holding `buf[from]` ends: the index of its CR, if a CRLF ends it and every
/// byte before is one the strict scan allows in a line (no control byte but HTAB, no DEL);
/// `None` otherwise, or if the line is not complete. Eight bytes at a time: the first special
/// byte of a word is found from its mask, not by looking at each byte.
fn line_end(buf: &[u8], from: usize) -> Option<usize> {
    let mut at = from;
    while let Some(word) = buf.get(at..at + 8) {
        let special = swar::value_stops(u64::from_le_bytes(word.try_into().expect("eight bytes")));
        if special == 0 {
            at += 8;
            continue;
        }
        at += special.trailing_zeros() as usize / 8;
        match buf[at] {
            b'\r' => return (buf.get(at + 1) == Some(&b'\n')).then_some(at),
            b'\t' => at += 1,
            _ => return None,
        }
    }
    loop {
        match *buf.get(at)? {
            b'\r' => return (buf.get(at + 1) == Some(&b'\n')).then_some(at),
            b'\t' => {}
            b if b < 0x20 || b == 0x7f => return None,
            _ => {}
        }
        at += 1;
    }
}

/// Where the field name starting at `buf[from]` ends: the index of its first byte that is
/// not a token character (`None` if the buffer ends first). Eight bytes at a time: a word of
/// letters and `-` (all that most names hold) is passed over whole; any other byte is looked
/// up.
fn name_end(buf: &[u8], from: usize) -> Option<usize> {
    let mut at = from;
    while let Some(word) = buf.get(at..at + 8) {
        let other = swar::name_stops(u64::from_le_bytes(word.try_into().expect("eight bytes")));
        if other == 0 {
            at += 8;
            continue;
        }
        at += other.trailing_zeros() as usize / 8;
        if !TCHAR[usize::from(buf[at])] {
            return Some(at);
        }
        at += 1;
    }
    loop {
        if !TCHAR[usize::from(*buf.get(at)?)] {
            return Some(at);
        }
        at += 1;
    }
}

/// Whether a response to a `request_method` request has no body, whatever its fields say.
fn no_body(status: StatusCode, request_method: &Method) -> bool {
    request_method == Method::HEAD
        || status.is_informational()
        || status == StatusCode::NO_CONTENT
        || status == StatusCode::NOT_MODIFIED
        || (request_method == Method::CONNECT && status.is_success())
}

/// The persistence and body framing of a response, decided in one pass over its fields.
///
/// The pass notes the `Connection`, `Content-Length` and `Transfer-Encoding` fields (as the
/// server's request parser does); the common cases are decided from what it saw: no framing
/// field (read until close), a single `Content-Length` holding one number, and a single
/// `Connection` field holding just `keep-alive` or just `close`. Anything else (several
/// such fields, a list, `Transfer-Encoding`) goes through the general rules,
/// [`keep_alive_of`] and [`response_framing_of`], so the answer (or the error) is always
/// theirs.
pub(super) fn decide(
    version: Version,
    status: StatusCode,
    request_method: &Method,
    fields: &[httparse::Header<'_>],
) -> Result<ResponseStatus, ProtoError> {
    let (mut connection, mut connections) = (&b""[..], 0u32);
    let (mut length, mut lengths, mut te) = (&b""[..], 0u32, false);
    for field in fields {
        let name = field.name.as_bytes();
        match name.len() {
            10 if folded_eq(name, b"connection") => {
                connection = field.value;
                connections += 1;
            }
            14 if folded_eq(name, b"content-length") => {
                length = field.value;
                lengths += 1;
            }
            17 if folded_eq(name, b"transfer-encoding") => te = true,
            _ => {}
        }
    }
    let keep_alive = match connections {
        0 => version == Version::Http11,
        1 if folded_eq(connection.trim_ascii(), b"keep-alive") => true,
        1 if folded_eq(connection.trim_ascii(), b"close") => false,
        _ => keep_alive_of(version, fields),
    };
    let no_body = no_body(status, request_method);
    let single_length = match (te, lengths) {
        (false, 1) => parse_decimal(length.trim_ascii()),
        _ => None,
    };
    let body = match (no_body, te, lengths, single_length) {
        (true, _, _, _) => BodyFraming::Empty,
        (false, false, 0, _) => BodyFraming::CloseDelimited,
        (false, _, _, Some(0)) => BodyFraming::Empty,
        (false, _, _, Some(n)) => BodyFraming::Length(n),
        (false, _, _, None) => response_framing_of(status, request_method, fields, version)?,
    };
    Ok(ResponseStatus {
        version,
        status,
        keep_alive,
        body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_ends_at_its_first_non_token_byte() {
        for head in [
            &b"Content-Length: 5"[..],
            b"x-a_b.c~d|e: 1",
            b"ab",
            b"abcdefghijklmnop",
            b"abcdefghijklmnop:",
            b"a b: c",
            b"Caf\xc3\xa9: x",
            b": empty",
        ] {
            for from in 0..head.len() {
                let want = head[from..]
                    .iter()
                    .position(|&b| !TCHAR[usize::from(b)])
                    .map(|n| from + n);
                assert_eq!(name_end(head, from), want, "{head:?} from {from}");
            }
        }
    }
}
