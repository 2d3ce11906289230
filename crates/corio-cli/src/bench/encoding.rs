//! The latency histogram in HdrHistogram's interchange encoding: V2, deflate-compressed,
//! base64 (standard alphabet, padded), as HdrHistogram's Java, C, Go and Rust libraries
//! write and read it (e.g. in `.hlog` interval logs and with `HistogramLogProcessor`).
//!
//! Invariants:
//! - [`decode`] of [`encode`] gives back an equal histogram (same bounds, same counts);
//! - [`decode`] reads untrusted text (a report that may come from anywhere) with bounded
//!   memory: the text, the inflated bytes and the header's claimed payload are all checked
//!   against limits before the library allocates for them, and every failure is a one-line
//!   reason, never a panic.

use std::io::Read;

use base64::Engine as _;
use hdrhistogram::serialization::{Deserializer, Serializer, V2DeflateSerializer};
use hdrhistogram::Histogram;

/// Longest encoded histogram accepted: a corio histogram (1 µs to 1 h, 3 digits) holds some
/// 23,000 counters, at most 9 bytes each even uncompressed, so 4 MiB is far beyond any
/// histogram corio writes while still bounding what a hostile report can make us hold.
pub const MAX_ENCODED_LEN: usize = 4 << 20;
/// Most bytes inflated from one histogram: as [`MAX_ENCODED_LEN`].
pub const MAX_INFLATED_LEN: u64 = 4 << 20;
/// Most significant digits accepted: HdrHistogram's own maximum.
const MAX_SIGFIG: u32 = 5;
/// The compressed V2 cookie (HdrHistogram's `V2CompressedEncodingCookieBase | 0x10`).
const V2_COMPRESSED_COOKIE: u32 = 0x1c84_9314;
/// The plain V2 cookie, first in the inflated bytes.
const V2_COOKIE: u32 = 0x1c84_9313;
/// Size of the V2 header: cookie, payload length, normalizing offset, digits (4 bytes each),
/// lowest and highest value, integer-to-double ratio (8 bytes each).
const V2_HEADER_LEN: usize = 40;

/// `histogram` as base64 text of its V2 compressed encoding.
pub fn encode(histogram: &Histogram<u64>) -> String {
    let mut bytes = Vec::new();
    V2DeflateSerializer::new()
        .serialize(histogram, &mut bytes)
        .expect("encoding into memory cannot fail");
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The histogram encoded in `text` (see [`encode`]).
pub fn decode(text: &str) -> Result<Histogram<u64>, String> {
    if text.len() > MAX_ENCODED_LEN {
        return Err(format!(
            "histogram is {} bytes of text, more than {MAX_ENCODED_LEN}",
            text.len()
        ));
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .map_err(|e| format!("histogram is not base64: {e}"))?;
    let (cookie, rest) = split_u32(&bytes).ok_or("histogram is truncated")?;
    if cookie != V2_COMPRESSED_COOKIE {
        return Err(format!(
            "histogram is not in HdrHistogram's V2 compressed encoding (cookie {cookie:#x})"
        ));
    }
    let (len, compressed) = split_u32(rest).ok_or("histogram is truncated")?;
    if len as usize != compressed.len() {
        return Err(format!(
            "histogram says {len} compressed bytes follow but {} do",
            compressed.len()
        ));
    }
    let mut inflated = Vec::new();
    flate2::read::ZlibDecoder::new(compressed)
        .take(MAX_INFLATED_LEN + 1)
        .read_to_end(&mut inflated)
        .map_err(|e| format!("histogram does not inflate: {e}"))?;
    if inflated.len() as u64 > MAX_INFLATED_LEN {
        return Err(format!(
            "histogram inflates to more than {MAX_INFLATED_LEN} bytes"
        ));
    }
    check_v2_header(&inflated)?;
    Deserializer::new()
        .deserialize(&mut inflated.as_slice())
        .map_err(|e| format!("invalid histogram: {e:?}"))
}

/// Checks what the library trusts in a plain V2 header: the payload length (it allocates
/// that much) and the digits (they size the counts array).
fn check_v2_header(bytes: &[u8]) -> Result<(), String> {
    if bytes.len() < V2_HEADER_LEN {
        return Err("histogram header is truncated".into());
    }
    let word = |at: usize| split_u32(&bytes[at..]).map_or(0, |(w, _)| w);
    if word(0) != V2_COOKIE {
        return Err("histogram does not hold a V2 histogram".into());
    }
    let payload = word(4) as usize;
    if payload > bytes.len() - V2_HEADER_LEN {
        return Err(format!(
            "histogram says {payload} payload bytes follow but {} do",
            bytes.len() - V2_HEADER_LEN
        ));
    }
    let digits = word(12);
    if digits > MAX_SIGFIG {
        return Err(format!(
            "histogram keeps {digits} significant digits, more than {MAX_SIGFIG}"
        ));
    }
    Ok(())
}

/// A big-endian `u32` and the bytes after it.
fn split_u32(bytes: &[u8]) -> Option<(u32, &[u8])> {
    let (head, rest) = bytes.split_first_chunk::<4>()?;
    Some((u32::from_be_bytes(*head), rest))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::stats::{LATENCY_HIGH_US, LATENCY_LOW_US, LATENCY_SIGFIG};

    fn sample() -> Histogram<u64> {
        let mut h =
            Histogram::new_with_bounds(LATENCY_LOW_US, LATENCY_HIGH_US, LATENCY_SIGFIG).unwrap();
        for i in 1..=10_000u64 {
            h.record(i * i % 123_457 + 1).unwrap();
        }
        h.record_n(LATENCY_HIGH_US, 3).unwrap();
        h
    }

    #[test]
    fn round_trip() {
        let h = sample();
        let text = encode(&h);
        assert!(text.len() < 64 << 10, "{}", text.len());
        let back = decode(&text).unwrap();
        assert_eq!(back, h);
        assert_eq!(back.len(), 10_003);
        assert_eq!(back.value_at_quantile(0.99), h.value_at_quantile(0.99));
        assert_eq!(back.max(), h.max());
        let empty = Histogram::<u64>::new_with_bounds(1, 1000, 2).unwrap();
        assert_eq!(decode(&encode(&empty)).unwrap(), empty);
    }

    #[test]
    fn bad_text_is_a_clear_error() {
        let good = base64::engine::general_purpose::STANDARD
            .decode(encode(&sample()))
            .unwrap();
        let b64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
        let mut wrong_cookie = good.clone();
        wrong_cookie[3] ^= 1;
        let mut wrong_len = good.clone();
        wrong_len[7] ^= 1;
        let mut corrupt = good.clone();
        let last = corrupt.len() - 6;
        corrupt[last] ^= 0xff;
        let cases = [
            "not base64!".to_owned(),
            String::new(),
            b64(&good[..6]),
            b64(&wrong_cookie),
            b64(&wrong_len),
            b64(&corrupt),
            "A".repeat(MAX_ENCODED_LEN + 4),
        ];
        for text in cases {
            let err = decode(&text).unwrap_err();
            assert!(
                err.starts_with("histogram") || err.starts_with("invalid"),
                "{err}"
            );
        }
    }

    #[test]
    fn a_lying_header_is_refused_before_allocating() {
        // A plain V2 header claiming a 4 GB payload, compressed as the outer format wants.
        let mut v2 = Vec::new();
        for word in [V2_COOKIE, u32::MAX, 0, 3] {
            v2.extend_from_slice(&word.to_be_bytes());
        }
        v2.extend_from_slice(&1u64.to_be_bytes());
        v2.extend_from_slice(&1000u64.to_be_bytes());
        v2.extend_from_slice(&1f64.to_be_bytes());
        let mut zlib = Vec::new();
        std::io::copy(
            &mut flate2::read::ZlibEncoder::new(&v2[..], flate2::Compression::fast()),
            &mut zlib,
        )
        .unwrap();
        let mut outer = V2_COMPRESSED_COOKIE.to_be_bytes().to_vec();
        outer.extend_from_slice(&(zlib.len() as u32).to_be_bytes());
        outer.extend_from_slice(&zlib);
        let text = base64::engine::general_purpose::STANDARD.encode(&outer);
        let err = decode(&text).unwrap_err();
        assert!(err.contains("payload bytes follow"), "{err}");
        // The same header with 9 digits.
        v2[4..8].copy_from_slice(&0u32.to_be_bytes());
        v2[12..16].copy_from_slice(&9u32.to_be_bytes());
        assert!(check_v2_header(&v2).unwrap_err().contains("9 significant"));
    }
}
