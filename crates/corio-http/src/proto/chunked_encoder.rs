//! Encoding the chunked transfer coding (RFC 9112 §7.1).
//!
//! Invariants: a data chunk is never empty (an empty chunk would end the body
//! early); sizes are lowercase hex without leading zeros; the body always ends
//! with `0\r\n`, optional trailer fields, and `\r\n`.

use bytes::BytesMut;
use http::HeaderMap;

use super::fields::write_fields;

/// Writes the chunked coding into a [`BytesMut`].
#[derive(Debug, Clone, Copy, Default)]
pub struct ChunkedEncoder;

impl ChunkedEncoder {
    /// Appends one whole chunk carrying `data`; nothing for empty `data`
    /// (an empty chunk would end the body).
    pub fn chunk(buf: &mut BytesMut, data: &[u8]) {
        if data.is_empty() {
            return;
        }
        buf.reserve(data.len() + 20);
        Self::chunk_header(buf, data.len() as u64);
        buf.extend_from_slice(data);
        buf.extend_from_slice(b"\r\n");
    }

    /// Appends only the `{len:x}\r\n` line, for drivers that write the data
    /// separately (vectored I/O) followed by [`ChunkedEncoder::CHUNK_END`].
    /// `len` must not be 0.
    pub fn chunk_header(buf: &mut BytesMut, len: u64) {
        let mut digits = [0u8; 18];
        let mut pos = 16;
        let mut n = len;
        loop {
            pos -= 1;
            digits[pos] = b"0123456789abcdef"[(n & 0xf) as usize];
            n >>= 4;
            if n == 0 {
                break;
            }
        }
        digits[16] = b'\r';
        digits[17] = b'\n';
        buf.extend_from_slice(&digits[pos..]);
    }

    /// The CRLF that ends a chunk's data.
    pub const CHUNK_END: &'static [u8] = b"\r\n";

    /// Appends the last chunk, the optional trailer fields and the final CRLF.
    pub fn finish(buf: &mut BytesMut, trailers: Option<&HeaderMap>) {
        buf.extend_from_slice(b"0\r\n");
        if let Some(t) = trailers {
            write_fields(buf, t);
        }
        buf.extend_from_slice(b"\r\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::{ChunkedDecoder, Limits};

    #[test]
    fn encoder_round_trip() {
        let mut buf = BytesMut::new();
        ChunkedEncoder::chunk(&mut buf, b"hello");
        ChunkedEncoder::chunk(&mut buf, b"");
        ChunkedEncoder::chunk(&mut buf, &[b'x'; 300]);
        ChunkedEncoder::chunk_header(&mut buf, 1);
        buf.extend_from_slice(b"!");
        buf.extend_from_slice(ChunkedEncoder::CHUNK_END);
        let mut trailers = HeaderMap::new();
        trailers.insert("x-sum", http::HeaderValue::from_static("9"));
        ChunkedEncoder::finish(&mut buf, Some(&trailers));
        assert!(buf.starts_with(b"5\r\nhello\r\n12c\r\nxxx"));
        assert!(buf.ends_with(b"1\r\n!\r\n0\r\nx-sum: 9\r\n\r\n"));
        let mut d = ChunkedDecoder::new(&Limits::default());
        let mut input = &buf[..];
        let mut data = Vec::new();
        while !d.is_done() {
            let out = d.decode(input).unwrap();
            data.extend_from_slice(&input[out.data.clone()]);
            input = &input[out.consumed..];
        }
        assert!(input.is_empty());
        assert_eq!(data.len(), 5 + 300 + 1);
        assert_eq!(d.trailers().unwrap()["x-sum"], "9");

        let table: &[(u64, &[u8])] = &[
            (1, b"1\r\n"),
            (15, b"f\r\n"),
            (16, b"10\r\n"),
            (u64::MAX, b"ffffffffffffffff\r\n"),
        ];
        for (n, want) in table {
            let mut b = BytesMut::new();
            ChunkedEncoder::chunk_header(&mut b, *n);
            assert_eq!(&b[..], *want);
        }
        let mut b = BytesMut::new();
        ChunkedEncoder::finish(&mut b, None);
        assert_eq!(&b[..], b"0\r\n\r\n");
    }
}
