//! Byte classes eight at a time ("SIMD within a register"): the fast paths of the request and
//! response head parsers (`quick_head`, `response_status`) and the strict scan (`scan`) read a
//! head in 64-bit words and ask of each word where its first byte of interest is.
//!
//! Each function takes eight bytes as a little-endian word (`u64::from_le_bytes`, one load)
//! and returns a mask with the top bit of a byte set for bytes of the class. The masks are
//! exact at their lowest set bit: the lowest set bit is in the first byte of the class, so
//! `mask.trailing_zeros() / 8` is that byte's index (a set bit above it may be a false
//! positive, from a borrow; callers look at the first one only). Where a function works on
//! the low seven bits of every byte (no carry or borrow can then cross a byte), it is exact
//! in every byte.
//!
//! [`same_bytes`] uses the same word loads to compare two short byte strings (a reused
//! request-target, a remembered Host value) without a call to the C library.

/// `0x01` in every byte.
const ONES: u64 = 0x0101_0101_0101_0101;
/// The top bit of every byte.
const HIGH: u64 = 0x8080_8080_8080_8080;

/// Bytes below `n` (`n` at most 0x80). Exact at the lowest set bit: `b - n` borrows into the
/// top bit of a byte below `n`, and `!w` drops the bytes with the top bit set; a borrow only
/// carries upward, past a byte that was below `n`.
#[inline(always)]
fn below(word: u64, n: u8) -> u64 {
    word.wrapping_sub(ONES * u64::from(n)) & !word & HIGH
}

/// Bytes equal to `c`, exact at the lowest set bit (a zero byte of `word ^ c`).
#[inline(always)]
fn equal(word: u64, c: u8) -> u64 {
    below(word ^ (ONES * u64::from(c)), 1)
}

/// Bytes that end a run of field-value bytes: a control byte (HTAB included, which the
/// caller looks at byte by byte), DEL. The first one is usually the CR of the line's end.
#[inline(always)]
pub(crate) fn value_stops(word: u64) -> u64 {
    below(word, 0x20) | equal(word, 0x7f)
}

/// Bytes that end a run of request-target bytes before its query: anything not visible
/// ASCII, `#` and `?`.
#[inline(always)]
pub(crate) fn target_stops(word: u64) -> u64 {
    query_stops(word) | equal(word, b'?')
}

/// Bytes that end a run of request-target bytes in its query: anything not visible ASCII,
/// and `#`.
#[inline(always)]
pub(crate) fn query_stops(word: u64) -> u64 {
    below(word, 0x21) | (word & HIGH) | equal(word, 0x7f) | equal(word, b'#')
}

/// Bytes other than the usual ones of a field name: ASCII letters and `-`. Both are token
/// bytes; a stop is the `:` after the name, or a rarer token byte (a digit, `_`...) the caller
/// checks byte by byte, or a byte no name may hold. Exact in every byte.
#[inline(always)]
pub(crate) fn name_stops(word: u64) -> u64 {
    let low = word & !HIGH;
    let usual = letters(low) | equal_low(low, b'-');
    (!usual & HIGH) | (word & HIGH)
}

/// Bytes other than the usual ones of a host name: ASCII letters, digits, `-` and `.`, all
/// reg-name bytes (RFC 3986). Exact in every byte.
#[inline(always)]
pub(crate) fn host_stops(word: u64) -> u64 {
    let low = word & !HIGH;
    // `-`, `.`, `/` and the digits are one range; `/` is taken out.
    let usual = letters(low) | (in_range(low, b'-', b'9') & !equal_low(low, b'/'));
    (!usual & HIGH) | (word & HIGH)
}

/// The ASCII letters of `low` (every byte below 0x80). Setting bit 5 maps the uppercase
/// letters onto the lowercase ones, and nothing else onto a letter.
#[inline(always)]
fn letters(low: u64) -> u64 {
    in_range(low | (ONES * 0x20), b'a', b'z')
}

/// The bytes of `low` (every byte below 0x80) equal to `c`: `b ^ c` plus 0x7f has its top bit
/// set exactly when it is not zero.
#[inline(always)]
fn equal_low(low: u64, c: u8) -> u64 {
    !((low ^ (ONES * u64::from(c))) + ONES * 0x7f)
}

/// Bytes other than the ASCII digits. Exact in every byte.
#[inline(always)]
pub(crate) fn digit_stops(word: u64) -> u64 {
    (!in_range(word & !HIGH, b'0', b'9') & HIGH) | (word & HIGH)
}

/// The top bit of each byte of `low` (every byte below 0x80) set when the byte is in
/// `lo..=hi`: `b + (0x80 - n)` has its top bit set exactly when `b >= n`, and carries into no
/// other byte.
#[inline(always)]
fn in_range(low: u64, lo: u8, hi: u8) -> u64 {
    let at_least = |n: u8| low + ONES * u64::from(0x80 - n);
    at_least(lo) & !at_least(hi + 1)
}

/// Whether `a` and `b` are equal: for 8 to 16 bytes (a short request-target or Host value)
/// two compares of eight bytes, which overlap when there are fewer than 16, in place of a
/// call to the C library's `bcmp` (about 40 instructions with its call, in the pipelined
/// plaintext profile).
#[inline(always)]
pub(crate) fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    match (a.first_chunk::<8>(), a.last_chunk::<8>()) {
        (Some(a_start), Some(a_end)) if a.len() <= 16 => {
            b.first_chunk::<8>() == Some(a_start) && b.last_chunk::<8>() == Some(a_end)
        }
        _ => a == b,
    }
}

/// The index of the first byte a stop mask marks, if any.
#[inline(always)]
pub(crate) fn first(mask: u64) -> Option<usize> {
    (mask != 0).then(|| (mask.trailing_zeros() / 8) as usize)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::framing::TCHAR;
    use crate::proto::target::valid_target_byte;

    /// Every class function against its byte predicate: for each byte value at each position
    /// of a word of ordinary bytes, and (exactness at the first stop) with a stop byte of any
    /// value put before or after it.
    fn agrees(stops: fn(u64) -> u64, is_stop: fn(u8) -> bool, plain: &[u8; 8]) {
        assert!(!plain.iter().any(|&b| is_stop(b)));
        assert_eq!(first(stops(u64::from_le_bytes(*plain))), None);
        for b in 0..=255u8 {
            for pos in 0..8 {
                let mut bytes = *plain;
                bytes[pos] = b;
                let want = is_stop(b).then_some(pos);
                assert_eq!(
                    first(stops(u64::from_le_bytes(bytes))),
                    want,
                    "byte {b:#x} at {pos}"
                );
                for other in 0..=255u8 {
                    for at in 0..8 {
                        if at == pos {
                            continue;
                        }
                        let mut two = bytes;
                        two[at] = other;
                        let want = two.iter().position(|&c| is_stop(c));
                        assert_eq!(first(stops(u64::from_le_bytes(two))), want, "{two:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn value_stops_are_the_control_bytes_and_del() {
        agrees(value_stops, |b| b < 0x20 || b == 0x7f, b"a b\x80:c;d");
    }

    #[test]
    fn target_stops_are_the_non_target_bytes_and_the_question_mark() {
        agrees(
            target_stops,
            |b| !valid_target_byte(b) || b == b'?',
            b"/a%2F~:@",
        );
        agrees(query_stops, |b| !valid_target_byte(b), b"?a=b&?/c");
    }

    #[test]
    fn digit_stops_are_all_but_the_digits() {
        agrees(digit_stops, |b| !b.is_ascii_digit(), b"01234567");
    }

    #[test]
    fn name_stops_are_all_but_letters_and_dash() {
        fn usual(b: u8) -> bool {
            b.is_ascii_alphabetic() || b == b'-'
        }
        agrees(name_stops, |b| !usual(b), b"Ab-z-QqZ");
        // Every byte that is not a stop is a token byte.
        assert!((0..=255u8).filter(|&b| usual(b)).all(|b| TCHAR[b as usize]));
    }

    #[test]
    fn same_bytes_is_slice_equality() {
        let base: Vec<u8> = (0..40u8).map(|i| b'a' + i % 26).collect();
        for len in 0..=base.len() {
            let a = &base[..len];
            assert!(same_bytes(a, a));
            for at in 0..len {
                let mut b = a.to_vec();
                b[at] ^= 0x01;
                assert!(!same_bytes(a, &b), "{len} {at}");
            }
            assert!(!same_bytes(a, &base[..len.saturating_sub(1)]) || len == 0);
        }
    }

    #[test]
    fn host_stops_are_all_but_letters_digits_dash_and_dot() {
        agrees(
            host_stops,
            |b| !(b.is_ascii_alphanumeric() || b == b'-' || b == b'.'),
            b"Ab-z.09Z",
        );
    }
}
