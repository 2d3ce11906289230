//! The fast path of request-head parsing: one pass over a complete head in its ordinary form.
//!
//! Nearly every request arrives whole and plainly formed: `METHOD SP target SP HTTP/1.x CRLF`,
//! then `name: value CRLF` lines, then CRLF. [`parse_quick`] reads such a head in one pass,
//! checking every byte against what its place allows (a token byte in the method and the
//! names, a target byte, a field-value byte), and returns its parts. It decides no error: for
//! anything else (an incomplete head, leading empty lines, any byte or form it does not expect,
//! a limit passed) it returns `None`, and the caller runs the strict scan and httparse, which
//! give the exact verdict (see [`RequestHeadParser`](super::RequestHeadParser)).
//!
//! The runs that make up most of a head (the target, the field names, the values, a Host
//! value) are read eight bytes at a time ([`swar`](super::swar)): each word tells where its
//! first byte that ends the run is, and only that byte is looked at alone; a rarer byte (a
//! digit or `_` in a name, an HTAB in a value, a Host value outside the usual host-name bytes) goes on
//! byte by byte with the tables below.
//!
//! A Host value is the same in nearly every request a worker thread reads (every request of a
//! keep-alive connection, and those of most clients of one site): the last one found valid is
//! remembered, and a value byte for byte the same, ended by a CR as well, is known valid by a
//! compare ([`host_len`]), in place of the check of each byte.
//!
//! Invariant: a head this pass accepts is accepted by the strict path too, with the same
//! method, target, version, fields and length: it accepts a subset of that path's language
//! (CRLF only, single spaces, no obs-fold, no control byte, no whitespace before a colon, within
//! the limits), and trims a field value the way httparse does (the whitespace after the colon
//! and at the end). The tests compare both paths on many heads and their mutations.

use std::cell::Cell;

use arrayvec::ArrayVec;

use super::field_summary::FieldSummary;
use super::fields::Field;
use super::framing::TCHAR;
use super::limits::{Limits, MAX_HEADERS};
use super::swar::{
    digit_stops, first, host_stops, name_stops, query_stops, same_bytes, target_stops, value_stops,
};
use super::target::{reg_name_host_len, valid_target_byte};
use super::version::Version;

/// A complete head's start line and length, borrowed from the buffer it was parsed from (its
/// fields and their summary go to the caller's: returned with the rest, 3 KiB would be copied).
pub(crate) struct QuickHead<'a> {
    /// The method, a token.
    pub(crate) method: &'a [u8],
    /// Whether the method is `GET` (known from the first compare: no need to compare again).
    pub(crate) get: bool,
    /// The request-target: non-empty, every byte a valid target byte.
    pub(crate) target: &'a [u8],
    /// Where the first `?` of the target is.
    pub(crate) first_question: Option<usize>,
    /// HTTP/1.0 or HTTP/1.1.
    pub(crate) version: Version,
    /// The head's length, its final CRLF included.
    pub(crate) len: usize,
    /// Whether the first `Host` field's value was found to be a valid Host value on the way
    /// (see [`reg_name_host_len`]): the caller need not check it again.
    pub(crate) host_checked: bool,
}

/// Longest Host value remembered (see [`LAST_HOST`]): a host name and port of most sites.
const MAX_REMEMBERED_HOST: usize = 32;

/// A Host value found valid by [`checked_host_len`] (its bytes up to the CR that ends it).
#[derive(Clone, Copy)]
struct RememberedHost {
    /// The value's bytes, in the first `len`.
    bytes: [u8; MAX_REMEMBERED_HOST],
    /// The value's length, at most [`MAX_REMEMBERED_HOST`].
    len: usize,
}

thread_local! {
    /// The last Host value [`checked_host_len`] accepted on this thread (see the module docs).
    /// At first the empty value, which is valid too.
    static LAST_HOST: Cell<RememberedHost> = const {
        Cell::new(RememberedHost {
            bytes: [0; MAX_REMEMBERED_HOST],
            len: 0,
        })
    };
}

/// Bytes of a request-target before its query: any valid target byte but `?`.
static TARGET_BEFORE_QUERY: [bool; 256] = {
    let mut table = [false; 256];
    let mut c = 0;
    while c < 256 {
        table[c] = valid_target_byte(c as u8) && c != b'?' as usize;
        c += 1;
    }
    table
};

/// Any valid request-target byte.
static TARGET: [bool; 256] = {
    let mut table = [false; 256];
    let mut c = 0;
    while c < 256 {
        table[c] = valid_target_byte(c as u8);
        c += 1;
    }
    table
};

/// The whitespace between a field's colon and its value: SP and HTAB.
static BLANK: [bool; 256] = {
    let mut table = [false; 256];
    table[b' ' as usize] = true;
    table[b'\t' as usize] = true;
    table
};

/// The usual bytes of a field name (see [`name_stops`]): ASCII letters and `-`.
static USUAL_NAME: [bool; 256] = {
    let mut table = [false; 256];
    let mut c = 0;
    while c < 256 {
        table[c] = (c as u8).is_ascii_alphabetic() || c == b'-' as usize;
        c += 1;
    }
    table
};

/// The usual bytes of a host name (see [`host_stops`]): ASCII letters, digits, `-` and `.`.
static USUAL_HOST: [bool; 256] = {
    let mut table = [false; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        table[c] = b.is_ascii_alphanumeric() || b == b'-' || b == b'.';
        c += 1;
    }
    table
};

/// Field-value bytes but HTAB (see [`value_stops`]).
static VALUE_BUT_HTAB: [bool; 256] = {
    let mut table = [false; 256];
    let mut c = 0;
    while c < 256 {
        table[c] = c >= 0x20 && c != 0x7f;
        c += 1;
    }
    table
};

/// Bytes of a field value (RFC 9110 §5.5): HTAB, SP, visible ASCII and obs-text.
static VALUE: [bool; 256] = {
    let mut table = [false; 256];
    let mut c = 0;
    while c < 256 {
        table[c] = c == b'\t' as usize || (c >= 0x20 && c != 0x7f);
        c += 1;
    }
    table
};

/// Parses a complete request head in its ordinary form at the start of `buf`, its fields into
/// `fields` (empty) and their [`FieldSummary`] into `summary` (empty); `None` for anything else
/// (see the module docs).
pub(crate) fn parse_quick<'a>(
    buf: &'a [u8],
    limits: &Limits,
    fields: &mut ArrayVec<Field<'a>, MAX_HEADERS>,
    summary: &mut FieldSummary<'a>,
) -> Option<QuickHead<'a>> {
    // `GET ` in one compare, any other method byte by byte.
    let get = buf.starts_with(b"GET ");
    let mut i = if get { 3 } else { skip(buf, 0, &TCHAR)? };
    if i == 0 || buf[i] != b' ' {
        return None;
    }
    let method = &buf[..i];
    i += 1;
    let target_start = i;
    let rest = &buf[i..];
    let mut len = find(rest, target_stops, &TARGET_BEFORE_QUERY)?;
    let first_question = (rest[len] == b'?').then_some(len);
    if first_question.is_some() {
        len += 1 + find(&rest[len + 1..], query_stops, &TARGET)?;
    }
    if len == 0 {
        return None;
    }
    i += len;
    let target = &buf[target_start..i];
    // ` HTTP/1.` as one word, then the minor version and CRLF.
    let end: [u8; 11] = buf.get(i..i + 11)?.try_into().ok()?;
    let word = u64::from_le_bytes([
        end[0], end[1], end[2], end[3], end[4], end[5], end[6], end[7],
    ]);
    if word != u64::from_le_bytes(*b" HTTP/1.") || end[9..] != *b"\r\n" {
        return None;
    }
    let version = match end[8] {
        b'1' => Version::Http11,
        b'0' => Version::Http10,
        _ => return None,
    };
    // The start line without its CRLF.
    if i + 9 > limits.max_start_line {
        return None;
    }
    let (section, host_checked) = parse_fields(&buf[i + 11..], limits, fields, summary)?;
    Some(QuickHead {
        method,
        get,
        target,
        first_question,
        version,
        len: i + 11 + section,
        host_checked,
    })
}

/// Parses the field lines and the blank line that ends them at the start of `section` into
/// `fields`, noting each in `summary`; returns their length, and whether the first `Host`
/// value was checked on the way.
///
/// `Host`, in nearly every request and usually its first field, is recognised with one compare,
/// and a value in the reg-name form is checked as a Host value in the pass that delimits it.
/// A first line `Host: value` is read here ([`plain_host_line`]), and a head that ends after
/// it returns at once; any other line goes to the loop of [`parse_field_lines`].
#[inline(always)]
fn parse_fields<'a>(
    section: &'a [u8],
    limits: &Limits,
    fields: &mut ArrayVec<Field<'a>, MAX_HEADERS>,
    summary: &mut FieldSummary<'a>,
) -> Option<(usize, bool)> {
    let Some((value, after)) = plain_host_line(section) else {
        return parse_field_lines(section, section, None, limits, fields, summary);
    };
    if limits.header_count() == 0 {
        return None;
    }
    summary.note_host(value);
    fields.push(Field {
        name: &section[..4],
        value,
    });
    if after.starts_with(b"\r\n") {
        let len = section.len() - after.len() + 2;
        return (len <= limits.max_header_section).then_some((len, true));
    }
    parse_field_lines(section, after, Some(true), limits, fields, summary)
}

/// [`parse_fields`] from `rest`, a suffix of `section` at the start of a line, with
/// `first_host_checked` saying whether a first `Host` value was seen before `rest` and was
/// valid. A function of its own: inlined, its loop kept its counters on the stack.
#[inline(never)]
fn parse_field_lines<'a>(
    section: &'a [u8],
    mut rest: &'a [u8],
    mut first_host_checked: Option<bool>,
    limits: &Limits,
    fields: &mut ArrayVec<Field<'a>, MAX_HEADERS>,
    summary: &mut FieldSummary<'a>,
) -> Option<(usize, bool)> {
    let max_fields = limits.header_count();
    loop {
        if let Some(after) = after_crlf(rest) {
            let len = section.len() - after.len();
            return (len <= limits.max_header_section)
                .then_some((len, first_host_checked.unwrap_or(false)));
        }
        // Each of `host`'s letters, OR 0x20, comes only from itself in either case.
        let is_host = rest.get(..5).is_some_and(|start| {
            start[4] == b':'
                && u32::from_le_bytes([start[0], start[1], start[2], start[3]]) | 0x2020_2020
                    == u32::from_le_bytes(*b"host")
        });
        let name_len = if is_host {
            4
        } else {
            match find(rest, name_stops, &USUAL_NAME)? {
                at if rest[at] == b':' => at,
                at => skip(rest, at, &TCHAR)?,
            }
        };
        if name_len == 0 || rest[name_len] != b':' {
            return None;
        }
        let (name, after_name) = rest.split_at(name_len);
        let after_colon = &after_name[1..];
        // Usually one space.
        let blank = match after_colon {
            [b' ', next, ..] if !BLANK[*next as usize] => 1,
            _ => after_colon.iter().position(|&b| !BLANK[b as usize])?,
        };
        let value_and_rest = &after_colon[blank..];
        let host_len = if is_host && first_host_checked.is_none() {
            let len = host_len(value_and_rest);
            first_host_checked = Some(len.is_some());
            len
        } else {
            None
        };
        let value_end = match host_len {
            Some(len) => len,
            None => value_len(value_and_rest)?,
        };
        let (value, after_value) = value_and_rest.split_at(value_end);
        rest = after_crlf(after_value)?;
        if fields.len() == max_fields {
            return None;
        }
        // A Host value checked on the way ends at its CR: no whitespace to trim.
        let value = match host_len {
            Some(_) => value,
            None => value.trim_ascii_end(),
        };
        if is_host {
            summary.note_host(value);
        } else {
            summary.note(name, value);
        }
        fields.push(Field { name, value });
    }
}

/// The usual first field line, `Host: value CRLF` with one space and a value in the reg-name
/// form (see [`host_len`]), at the start of `section`: its value and the bytes after its CRLF.
/// `None` for anything else, which the general loop of [`parse_fields`] then reads. This is
/// that loop's first round for such a line, less its choices: the same value, checked the same
/// way, so both read a head alike.
#[inline(always)]
fn plain_host_line(section: &[u8]) -> Option<(&[u8], &[u8])> {
    let (start, value_and_rest) = section.split_first_chunk::<6>()?;
    // Each of `host`'s letters, OR 0x20, comes only from itself in either case.
    let name = u32::from_le_bytes([start[0], start[1], start[2], start[3]]) | 0x2020_2020;
    if name != u32::from_le_bytes(*b"host") || start[4..] != *b": " {
        return None;
    }
    let len = host_len(value_and_rest)?;
    let (value, after_value) = value_and_rest.split_at(len);
    Some((value, after_crlf(after_value)?))
}

/// The bytes after the CRLF at the start of `bytes`, if they start with one. (`strip_prefix`
/// was not inlined: a call for a two-byte compare.)
#[inline(always)]
fn after_crlf(bytes: &[u8]) -> Option<&[u8]> {
    match bytes {
        [b'\r', b'\n', rest @ ..] => Some(rest),
        _ => None,
    }
}

/// The length of the field-value bytes at the start of `bytes`, sixteen at a time up to the
/// first control byte (usually the CR of the line's end), byte by byte after an HTAB; `None`
/// if the input ends first.
#[inline(always)]
fn value_len(bytes: &[u8]) -> Option<usize> {
    match find_wide(bytes, value_stops, &VALUE_BUT_HTAB)? {
        at if bytes[at] == b'\t' => skip(bytes, at, &VALUE),
        at => Some(at),
    }
}

/// [`reg_name_host_len`]: the length of a Host value in the reg-name form, ended by a CR, at
/// the start of `bytes`. The value this thread last found valid, followed by a CR, is known
/// valid without a look at its bytes ([`LAST_HOST`]); any other goes to [`checked_host_len`],
/// and is remembered if valid and short enough.
#[inline(always)]
fn host_len(bytes: &[u8]) -> Option<usize> {
    let last = LAST_HOST.get();
    let remembered = &last.bytes[..last.len.min(MAX_REMEMBERED_HOST)];
    if bytes.get(remembered.len()) == Some(&b'\r')
        && same_bytes(&bytes[..remembered.len()], remembered)
    {
        return Some(remembered.len());
    }
    let len = checked_host_len(bytes)?;
    if len <= MAX_REMEMBERED_HOST {
        let mut value = RememberedHost {
            bytes: [0; MAX_REMEMBERED_HOST],
            len,
        };
        value.bytes[..len].copy_from_slice(&bytes[..len]);
        LAST_HOST.set(value);
    }
    Some(len)
}

/// [`reg_name_host_len`], with the usual bytes of a host name (letters, digits, `-` and `.`,
/// all reg-name bytes) found eight at a time.
#[inline(never)]
fn checked_host_len(bytes: &[u8]) -> Option<usize> {
    match find(bytes, host_stops, &USUAL_HOST)? {
        at if bytes[at] == b'\r' => Some(at),
        at if bytes[at] == b':' => {
            let port = &bytes[at + 1..];
            // Eight digits are too many: `None` then, as from the byte loop.
            let digits = match port.first_chunk::<8>() {
                Some(word) => first(digit_stops(u64::from_le_bytes(*word)))?,
                None => port.iter().position(|c| !c.is_ascii_digit())?,
            };
            (digits <= 5 && port[digits] == b'\r').then_some(at + 1 + digits)
        }
        _ => reg_name_host_len(bytes),
    }
}

/// The index of the first byte of `bytes` that `stops` marks (see [`swar`](super::swar)),
/// eight bytes at a time; the last few, fewer than eight, byte by byte with `table`, whose
/// bytes are those `stops` does not mark. `None` if the input ends first.
#[inline(always)]
fn find(bytes: &[u8], stops: fn(u64) -> u64, table: &[bool; 256]) -> Option<usize> {
    let mut words = bytes.chunks_exact(8);
    let mut at = 0;
    for word in &mut words {
        if let Some(n) = first(stops(u64::from_le_bytes(
            word.try_into().expect("eight bytes"),
        ))) {
            return Some(at + n);
        }
        at += 8;
    }
    skip(words.remainder(), 0, table).map(|n| at + n)
}

/// [`find`] sixteen bytes at a time, two words and one branch, then as `find`: for field
/// values, the runs that are often long (a User-Agent, an Accept list, a cookie). A step of
/// two words costs about a third less than two steps of one; the short runs (a target, a
/// name) stay with `find`, where the second word would be read for nothing.
#[inline(always)]
fn find_wide(bytes: &[u8], stops: fn(u64) -> u64, table: &[bool; 256]) -> Option<usize> {
    let mut pairs = bytes.chunks_exact(16);
    let mut at = 0;
    for pair in &mut pairs {
        let (low, high) = pair.split_at(8);
        let low = stops(u64::from_le_bytes(low.try_into().expect("eight bytes")));
        let high = stops(u64::from_le_bytes(high.try_into().expect("eight bytes")));
        if low | high != 0 {
            return match first(low) {
                Some(n) => Some(at + n),
                None => first(high).map(|n| at + 8 + n),
            };
        }
        at += 16;
    }
    find(pairs.remainder(), stops, table).map(|n| at + n)
}

/// The index of the first byte of `buf` from `from` on that is not in `table`; `None` if the
/// input ends first.
#[inline(always)]
fn skip(buf: &[u8], from: usize, table: &[bool; 256]) -> Option<usize> {
    let rest = buf.get(from..)?;
    rest.iter()
        .position(|&b| !table[b as usize])
        .map(|n| from + n)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Sixteen bytes at a time finds what eight at a time finds: a first stop (and a second
    /// one after it) at every place, in inputs of every length around the steps.
    #[test]
    fn find_wide_agrees_with_find() {
        for len in 0..50 {
            for first_stop in 0..=len {
                for second in [None, Some(first_stop + 1), Some(first_stop + 9)] {
                    let mut bytes = vec![b'v'; len];
                    for at in std::iter::once(first_stop).chain(second) {
                        if let Some(b) = bytes.get_mut(at) {
                            *b = if at == first_stop { b'\r' } else { 0x7f };
                        }
                    }
                    assert_eq!(
                        find_wide(&bytes, value_stops, &VALUE_BUT_HTAB),
                        find(&bytes, value_stops, &VALUE_BUT_HTAB),
                        "{len} {first_stop} {second:?}"
                    );
                }
            }
        }
    }

    /// Makes `value` (with a CR after it) this thread's remembered Host value, if valid.
    fn prime(value: &[u8]) {
        let mut line = value.to_vec();
        line.push(b'\r');
        if host_len(&line).is_some() {
            let last = LAST_HOST.get();
            assert_eq!(&last.bytes[..last.len], value, "remembered");
        }
    }

    /// The word-at-a-time Host check gives what the byte-by-byte one gives, on Host values and
    /// every one-byte change of them, at every length (so over word boundaries).
    #[test]
    fn host_len_agrees_with_reg_name_host_len() {
        let values: &[&[u8]] = &[
            b"127.0.0.1:8080",
            b"www.example-site.com",
            b"a",
            b"",
            b"h_st.example:443",
            b"[::1]:80",
            b"a:123456",
            b"abcdefg:",
        ];
        let bytes: &[u8] = b"\r\n:._-~%!@/[] \t\x80\0aZ09";
        for value in values {
            let mut lines = vec![value.to_vec()];
            for at in 0..value.len() {
                for &b in bytes {
                    let mut changed = value.to_vec();
                    changed[at] = b;
                    lines.push(changed);
                }
            }
            for mut line in lines {
                line.extend_from_slice(b"\r\nX: y\r\n");
                for end in 0..=line.len() {
                    let input = &line[..end];
                    let want = reg_name_host_len(input);
                    let what = String::from_utf8_lossy(input);
                    assert_eq!(checked_host_len(input), want, "{what:?}");
                    // With the remembered value this thread's last valid one, and with it the
                    // unchanged value (the case where a compare decides).
                    assert_eq!(host_len(input), want, "{what:?}");
                    prime(value);
                    assert_eq!(host_len(input), want, "{what:?} after {value:?}");
                }
            }
        }
    }
}
