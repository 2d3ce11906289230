//! Decoding the chunked transfer coding (RFC 9112 §7.1): an incremental,
//! zero-copy state machine.
//!
//! Invariants of [`ChunkedDecoder`]:
//! - it accepts input split at any byte boundary and yields the same data as
//!   for the whole input; it never buffers chunk data, only returns ranges of
//!   the caller's slice;
//! - it never consumes a byte past the end of the body, so pipelined bytes
//!   that follow stay with the caller;
//! - chunk sizes have 1 to 16 hex digits; the sum of sizes never exceeds
//!   [`Limits::max_body`] (checked before the data arrives);
//! - extensions are syntax-checked and bounded in total, then ignored;
//! - trailers are validated like header fields and kept only up to their limits;
//!   they are returned as received: the caller must not merge framing or
//!   routing fields (Content-Length, Transfer-Encoding, Host) from them;
//! - after an error the decoder stays failed and repeats that error.

use std::ops::Range;

use bytes::Bytes;
use http::HeaderMap;

use super::error::ProtoError;
use super::fields::{map_httparse, to_header_map};
use super::framing::is_tchar;
use super::limits::Limits;
use super::scan::{scan, ScanSpec};

/// Most hex digits in a chunk size: 16 digits cover every `u64`.
const MAX_SIZE_DIGITS: u8 = 16;

/// Where the decoder is inside the chunked body.
#[derive(Debug, Clone, PartialEq, Eq)]
enum State {
    /// Reading chunk-size hex digits.
    Size,
    /// Whitespace (BWS) that must be followed by `;`.
    ExtWs,
    /// After `;` (and BWS): expecting an extension name.
    ExtStart,
    /// Inside an extension name.
    ExtName,
    /// BWS after an extension name: expecting `=` or `;`.
    ExtNameWs,
    /// After `=` (and BWS): expecting a token or quoted string.
    ExtValueStart,
    /// Inside a token extension value.
    ExtToken,
    /// Inside a quoted-string extension value.
    ExtQuoted,
    /// After a backslash inside a quoted string.
    ExtQuotedEscape,
    /// After a closing quote: expecting `;`, BWS or CR.
    ExtAfterQuoted,
    /// After the CR ending a chunk-size line.
    SizeLf,
    /// Inside chunk data; `remaining` bytes to go.
    Data,
    /// Expecting the CR after chunk data.
    DataCr,
    /// Expecting the LF after chunk data.
    DataLf,
    /// At the start of the trailer section.
    TrailerStart,
    /// Accumulating trailer field lines.
    Trailers,
    /// After the final CR of an empty trailer section.
    FinalLf,
    /// The body is complete.
    Done,
    /// A previous call failed with this error.
    Failed(ProtoError),
}

/// The outcome of one [`ChunkedDecoder::decode`] call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    /// How many input bytes were used (framing plus `data`).
    pub consumed: usize,
    /// Body data, as a range of the input slice (possibly empty).
    pub data: Range<usize>,
    /// Whether the body (including trailers) is complete.
    pub done: bool,
}

/// Incremental decoder for one chunked body.
#[derive(Debug, Clone)]
pub struct ChunkedDecoder {
    state: State,
    limits: Limits,
    /// Size of the current chunk while reading it, remaining bytes in `Data`.
    size: u64,
    digits: u8,
    body_len: u64,
    ext_len: usize,
    trailer_buf: Vec<u8>,
    trailers: Option<HeaderMap>,
}

impl ChunkedDecoder {
    /// A decoder enforcing `limits` (body, extension and trailer limits).
    pub fn new(limits: &Limits) -> ChunkedDecoder {
        ChunkedDecoder {
            state: State::Size,
            limits: *limits,
            size: 0,
            digits: 0,
            body_len: 0,
            ext_len: 0,
            trailer_buf: Vec::new(),
            trailers: None,
        }
    }

    /// Whether the whole body, including trailers, has been decoded.
    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// Total declared data bytes so far.
    pub fn body_len(&self) -> u64 {
        self.body_len
    }

    /// The trailer fields, once done (empty map if there were none).
    pub fn trailers(&self) -> Option<&HeaderMap> {
        self.trailers.as_ref()
    }

    /// Takes the trailer fields out of a finished decoder.
    pub fn take_trailers(&mut self) -> Option<HeaderMap> {
        self.trailers.take()
    }

    /// Decodes from `input`; returns at most one data range per call.
    ///
    /// Call again with `&input[consumed..]` while `consumed < input.len()` and
    /// not `done`. When all of `input` is consumed without `done`, more input
    /// is needed.
    pub fn decode(&mut self, input: &[u8]) -> Result<Decoded, ProtoError> {
        if let State::Failed(e) = self.state {
            return Err(e);
        }
        self.step(input)
            .inspect_err(|&e| self.state = State::Failed(e))
    }

    fn step(&mut self, input: &[u8]) -> Result<Decoded, ProtoError> {
        let mut i = 0;
        while i < input.len() {
            let b = input[i];
            let is_ws = b == b' ' || b == b'\t';
            self.state = match self.state {
                State::Size => match (b as char).to_digit(16) {
                    Some(d) => {
                        if self.digits == MAX_SIZE_DIGITS {
                            return Err(ProtoError::BadChunkSize);
                        }
                        self.digits += 1;
                        self.size = (self.size << 4) | u64::from(d);
                        State::Size
                    }
                    None if self.digits == 0 => return Err(ProtoError::BadChunkSize),
                    None => match b {
                        b'\r' => State::SizeLf,
                        b';' => self.ext(State::ExtStart)?,
                        b' ' | b'\t' => self.ext(State::ExtWs)?,
                        _ => return Err(ProtoError::BadChunkSize),
                    },
                },
                State::ExtWs => match b {
                    _ if is_ws => self.ext(State::ExtWs)?,
                    b';' => self.ext(State::ExtStart)?,
                    _ => return Err(ProtoError::BadChunkExtension),
                },
                State::ExtStart => match b {
                    _ if is_ws => self.ext(State::ExtStart)?,
                    _ if is_tchar(b) => self.ext(State::ExtName)?,
                    _ => return Err(ProtoError::BadChunkExtension),
                },
                State::ExtName => match b {
                    _ if is_tchar(b) => self.ext(State::ExtName)?,
                    _ if is_ws => self.ext(State::ExtNameWs)?,
                    b'=' => self.ext(State::ExtValueStart)?,
                    b';' => self.ext(State::ExtStart)?,
                    b'\r' => State::SizeLf,
                    _ => return Err(ProtoError::BadChunkExtension),
                },
                State::ExtNameWs => match b {
                    _ if is_ws => self.ext(State::ExtNameWs)?,
                    b'=' => self.ext(State::ExtValueStart)?,
                    b';' => self.ext(State::ExtStart)?,
                    _ => return Err(ProtoError::BadChunkExtension),
                },
                State::ExtValueStart => match b {
                    _ if is_ws => self.ext(State::ExtValueStart)?,
                    b'"' => self.ext(State::ExtQuoted)?,
                    _ if is_tchar(b) => self.ext(State::ExtToken)?,
                    _ => return Err(ProtoError::BadChunkExtension),
                },
                State::ExtToken => match b {
                    _ if is_tchar(b) => self.ext(State::ExtToken)?,
                    _ if is_ws => self.ext(State::ExtWs)?,
                    b';' => self.ext(State::ExtStart)?,
                    b'\r' => State::SizeLf,
                    _ => return Err(ProtoError::BadChunkExtension),
                },
                State::ExtQuoted => match b {
                    b'"' => self.ext(State::ExtAfterQuoted)?,
                    b'\\' => self.ext(State::ExtQuotedEscape)?,
                    b'\t' | b' ' | 0x21..=0x7e | 0x80..=0xff => self.ext(State::ExtQuoted)?,
                    _ => return Err(ProtoError::BadChunkExtension),
                },
                State::ExtQuotedEscape => match b {
                    b'\t' | b' ' | 0x21..=0x7e | 0x80..=0xff => self.ext(State::ExtQuoted)?,
                    _ => return Err(ProtoError::BadChunkExtension),
                },
                State::ExtAfterQuoted => match b {
                    _ if is_ws => self.ext(State::ExtWs)?,
                    b';' => self.ext(State::ExtStart)?,
                    b'\r' => State::SizeLf,
                    _ => return Err(ProtoError::BadChunkExtension),
                },
                State::SizeLf => {
                    if b != b'\n' {
                        return Err(ProtoError::BareCr);
                    }
                    self.start_chunk()?
                }
                State::Data => {
                    let avail = (input.len() - i) as u64;
                    let take = self.size.min(avail);
                    self.size -= take;
                    if self.size == 0 {
                        self.state = State::DataCr;
                    }
                    // `take <= avail`, which is a `usize`.
                    let end = i + take as usize;
                    return Ok(Decoded {
                        consumed: end,
                        data: i..end,
                        done: false,
                    });
                }
                State::DataCr if b == b'\r' => State::DataLf,
                State::DataLf if b == b'\n' => {
                    self.size = 0;
                    self.digits = 0;
                    State::Size
                }
                State::DataCr | State::DataLf => return Err(ProtoError::MissingChunkCrlf),
                State::TrailerStart => match b {
                    b'\r' => State::FinalLf,
                    b'\n' => return Err(ProtoError::BareLf),
                    _ => {
                        self.trailer_buf.push(b);
                        State::Trailers
                    }
                },
                State::FinalLf => {
                    if b != b'\n' {
                        return Err(ProtoError::BareCr);
                    }
                    self.trailers = Some(HeaderMap::new());
                    self.state = State::Done;
                    return Ok(self.finished(i + 1));
                }
                State::Trailers => {
                    self.trailer_buf.push(b);
                    if self.trailer_buf.len() > self.limits.max_trailer_section {
                        return Err(ProtoError::TrailerTooLarge);
                    }
                    if b == b'\n' && self.parse_trailers()? {
                        self.state = State::Done;
                        return Ok(self.finished(i + 1));
                    }
                    State::Trailers
                }
                State::Done => return Ok(self.finished(i)),
                State::Failed(e) => return Err(e),
            };
            i += 1;
        }
        let done = self.state == State::Done;
        Ok(Decoded {
            consumed: input.len(),
            data: input.len()..input.len(),
            done,
        })
    }

    fn finished(&self, consumed: usize) -> Decoded {
        Decoded {
            consumed,
            data: consumed..consumed,
            done: true,
        }
    }

    /// Counts one extension byte against the limit and moves to `next`.
    #[inline]
    fn ext(&mut self, next: State) -> Result<State, ProtoError> {
        self.ext_len += 1;
        if self.ext_len > self.limits.max_chunk_ext {
            return Err(ProtoError::ChunkExtensionTooLong);
        }
        Ok(next)
    }

    /// At the end of a chunk-size line: enters the data or the trailers.
    fn start_chunk(&mut self) -> Result<State, ProtoError> {
        if self.size == 0 {
            return Ok(State::TrailerStart);
        }
        self.body_len = self
            .body_len
            .checked_add(self.size)
            .filter(|&n| n <= self.limits.max_body)
            .ok_or(ProtoError::BodyTooLarge)?;
        Ok(State::Data)
    }

    /// Tries to parse the buffered trailer section; `Ok(true)` when complete.
    fn parse_trailers(&mut self) -> Result<bool, ProtoError> {
        let spec = ScanSpec {
            start_line: None,
            max_section: self.limits.max_trailer_section,
            max_fields: self.limits.max_trailers,
            too_large: ProtoError::TrailerTooLarge,
            too_many: ProtoError::TrailerTooLarge,
        };
        let Some(scanned) = scan(&self.trailer_buf, &spec)? else {
            return Ok(false);
        };
        let shared = Bytes::from(std::mem::take(&mut self.trailer_buf));
        let mut fields = vec![httparse::EMPTY_HEADER; scanned.fields];
        match httparse::parse_headers(&shared, &mut fields) {
            Ok(httparse::Status::Complete((n, parsed))) if n == scanned.len => {
                self.trailers = Some(to_header_map(&shared, parsed)?);
                Ok(true)
            }
            Ok(_) => Err(ProtoError::BadTrailer),
            Err(e) => Err(map_httparse(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Decodes `pieces` in order; returns the data, the trailers and the
    /// bytes left over after the body.
    fn decode_pieces(
        pieces: &[&[u8]],
        limits: &Limits,
    ) -> Result<(Vec<u8>, HeaderMap, Vec<u8>), ProtoError> {
        let mut d = ChunkedDecoder::new(limits);
        let mut data = Vec::new();
        let mut rest = Vec::new();
        for piece in pieces {
            let mut input = *piece;
            while !input.is_empty() {
                if d.is_done() {
                    rest.extend_from_slice(input);
                    break;
                }
                let out = d.decode(input)?;
                assert!(out.consumed <= input.len());
                assert!(out.data.end <= out.consumed);
                data.extend_from_slice(&input[out.data.clone()]);
                input = &input[out.consumed..];
                if out.done {
                    assert!(d.is_done());
                }
            }
        }
        if !d.is_done() {
            return Err(ProtoError::MissingChunkCrlf);
        }
        Ok((data, d.take_trailers().unwrap_or_default(), rest))
    }

    /// Trailer fields expected in a test case.
    type Fields = &'static [(&'static str, &'static str)];

    const VALID: &[(&[u8], &[u8], Fields)] = &[
        (b"0\r\n\r\n", b"", &[]),
        (b"5\r\nhello\r\n0\r\n\r\n", b"hello", &[]),
        (
            b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
            b"hello world",
            &[],
        ),
        (b"A\r\n0123456789\r\n0\r\n\r\n", b"0123456789", &[]),
        (b"a\r\n0123456789\r\n00\r\n\r\n", b"0123456789", &[]),
        (b"0000000000000001\r\nx\r\n0\r\n\r\n", b"x", &[]),
        (b"1;a\r\nx\r\n0\r\n\r\n", b"x", &[]),
        (b"1;a=b\r\nx\r\n0;z\r\n\r\n", b"x", &[]),
        (b"1 ; a = b ; c\r\nx\r\n0\r\n\r\n", b"x", &[]),
        (b"1;a=\"q \\\" ;\"\r\nx\r\n0\r\n\r\n", b"x", &[]),
        (b"1;a=\"q\" ;b\r\nx\r\n0\r\n\r\n", b"x", &[]),
        (
            b"3\r\nabc\r\n0\r\nX-Sum: 123\r\n\r\n",
            b"abc",
            &[("x-sum", "123")],
        ),
        (
            b"3\r\nabc\r\n0\r\nA: 1\r\nB: two words\r\n\r\n",
            b"abc",
            &[("a", "1"), ("b", "two words")],
        ),
    ];

    #[test]
    fn valid_whole_and_split() {
        let limits = Limits::default();
        for (input, data, trailers) in VALID {
            let what = String::from_utf8_lossy(input);
            let check = |got: (Vec<u8>, HeaderMap, Vec<u8>)| {
                assert_eq!(&got.0[..], *data, "{what}");
                assert_eq!(got.1.len(), trailers.len(), "{what}");
                for (n, v) in *trailers {
                    assert_eq!(got.1[*n], *v, "{what}");
                }
                assert_eq!(got.2, b"NEXT", "{what}");
            };
            let mut with_next = input.to_vec();
            with_next.extend_from_slice(b"NEXT");
            check(decode_pieces(&[&with_next], &limits).unwrap());
            // One byte at a time.
            let bytes: Vec<&[u8]> = with_next.chunks(1).collect();
            check(decode_pieces(&bytes, &limits).unwrap());
            // Every two-piece split.
            for at in 0..=with_next.len() {
                let (a, b) = with_next.split_at(at);
                check(decode_pieces(&[a, b], &limits).unwrap());
            }
        }
    }

    #[test]
    fn invalid() {
        use ProtoError::*;
        let limits = Limits {
            max_body: 10,
            max_chunk_ext: 8,
            max_trailer_section: 32,
            max_trailers: 2,
            ..Limits::default()
        };
        let cases: &[(&[u8], ProtoError)] = &[
            (b"\r\n", BadChunkSize),
            (b";a\r\n", BadChunkSize),
            (b"zz\r\n", BadChunkSize),
            (b"-1\r\n", BadChunkSize),
            (b"0x1\r\n", BadChunkSize),
            (b"fffffffffffffffff\r\n", BadChunkSize),
            (b"00000000000000001\r\n", BadChunkSize),
            (b"1\n", BadChunkSize),
            (b"1\rx", BareCr),
            (b"1 \r\n", BadChunkExtension),
            (b"1 2\r\n", BadChunkExtension),
            (b"1;\r\n", BadChunkExtension),
            (b"1;=b\r\n", BadChunkExtension),
            (b"1;a=\r\n", BadChunkExtension),
            (b"1;a=b c\r\n", BadChunkExtension),
            (b"1;a=\"b\x01\"\r\n", BadChunkExtension),
            (b"1;a=\"b\"c\r\n", BadChunkExtension),
            (b"1;a\0\r\n", BadChunkExtension),
            (b"1;a\n", BadChunkExtension),
            (b"1;aaaaaaaaaa\r\n", ChunkExtensionTooLong),
            (b"1\r\nxy\r\n", MissingChunkCrlf),
            (b"1\r\nx\n0\r\n\r\n", MissingChunkCrlf),
            (b"1\r\nx\rz", MissingChunkCrlf),
            (b"b\r\n", BodyTooLarge),
            (b"5\r\nhello\r\n6\r\n", BodyTooLarge),
            (b"0\r\n\n", BareLf),
            (b"0\r\n\rx", BareCr),
            (b"0\r\nX: 1\n\r\n", BareLf),
            (b"0\r\nX: 1\r\n y\r\n\r\n", ObsFold),
            (b"0\r\nX : 1\r\n\r\n", BadHeaderName),
            (b"0\r\nX: \x01\r\n\r\n", ControlByte),
            (b"0\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", TrailerTooLarge),
            (
                b"0\r\nA: 123456789012345678901234567890\r\n\r\n",
                TrailerTooLarge,
            ),
        ];
        for (input, want) in cases {
            let what = String::from_utf8_lossy(input);
            assert_eq!(
                decode_pieces(&[input], &limits).err(),
                Some(*want),
                "{what}"
            );
            let bytes: Vec<&[u8]> = input.chunks(1).collect();
            assert_eq!(decode_pieces(&bytes, &limits).err(), Some(*want), "{what}");
            let status = match want {
                BodyTooLarge => 413,
                _ => 400,
            };
            assert_eq!(want.status(), status);
        }
    }

    #[test]
    fn failed_is_sticky_and_done_consumes_nothing() {
        let mut d = ChunkedDecoder::new(&Limits::default());
        assert_eq!(d.decode(b"zz"), Err(ProtoError::BadChunkSize));
        assert_eq!(d.decode(b"0\r\n\r\n"), Err(ProtoError::BadChunkSize));
        let mut d = ChunkedDecoder::new(&Limits::default());
        let out = d.decode(b"0\r\n\r\nGET").unwrap();
        assert_eq!((out.consumed, out.done), (5, true));
        let out = d.decode(b"GET").unwrap();
        assert_eq!((out.consumed, out.done), (0, true));
        assert!(d.trailers().unwrap().is_empty());
    }
}
