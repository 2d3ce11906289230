//! Strict line-level scan of a message head or trailer section, run before
//! httparse (which is lenient about line endings and some control bytes).
//!
//! Invariants enforced on every byte up to the end of the section:
//! - every line ends in CRLF: a CR not followed by LF is [`ProtoError::BareCr`],
//!   an LF not preceded by CR is [`ProtoError::BareLf`];
//! - no control byte other than HTAB (and no DEL) appears anywhere;
//! - no field line starts with SP or HTAB (obs-fold, RFC 9112 §5.2);
//! - size and field-count limits are checked as soon as they are exceeded, even
//!   when the section is still incomplete, so the caller can answer early.
//!
//! Up to [`MAX_LEADING_EMPTY_LINES`] empty lines (CRLF) before a start line
//! are skipped, as RFC 9112 §2.2 recommends; they count towards the consumed
//! length.

use super::error::ProtoError;
use super::swar;

/// Most empty lines skipped before a start line.
/// RFC 9112 §2.2 asks to tolerate at least one (stray CRLF after a body); a
/// few more is kind, unbounded would let a peer grow our buffer forever.
const MAX_LEADING_EMPTY_LINES: usize = 4;

/// Byte classes for the scan loop.
const OK: u8 = 0;
const CR: u8 = 1;
const LF: u8 = 2;
const BAD: u8 = 3;

/// Class of each byte: visible ASCII, SP, HTAB and obs-text are OK.
static CLASS: [u8; 256] = {
    let mut t = [OK; 256];
    let mut i = 0;
    while i < 0x20 {
        t[i] = BAD;
        i += 1;
    }
    t[b'\t' as usize] = OK;
    t[b'\r' as usize] = CR;
    t[b'\n' as usize] = LF;
    t[0x7f] = BAD;
    t
};

/// What a section scan is checking.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ScanSpec {
    /// `Some(max)` if the section begins with a start line of at most `max` bytes.
    pub start_line: Option<usize>,
    /// Largest field section (after the start line, including the final CRLF).
    pub max_section: usize,
    /// Maximum number of field lines.
    pub max_fields: usize,
    /// Error when the field section is too large.
    pub too_large: ProtoError,
    /// Error when there are too many field lines.
    pub too_many: ProtoError,
}

/// Result of a completed scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Scanned {
    /// Bytes up to and including the empty line that ends the section.
    pub len: usize,
    /// Number of field lines seen.
    pub fields: usize,
}

/// Scans `buf` for a complete, strictly formed section.
///
/// Returns `Ok(None)` when more bytes are needed. A caller that receives the section in
/// pieces should keep a [`Scanner`] instead, so that each byte is looked at once.
pub(crate) fn scan(buf: &[u8], spec: &ScanSpec) -> Result<Option<Scanned>, ProtoError> {
    Scanner::new(*spec).resume(buf)
}

/// A scan that can stop at the end of the input and resume there when more has arrived.
///
/// Invariant: every byte before `at` has been checked, and the state fields describe the
/// section up to `at`. A head that arrives one byte per read therefore costs linear time in
/// total, not quadratic: bytes are never re-scanned from the start of the head.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Scanner {
    spec: ScanSpec,
    /// Where the next byte to look at is.
    at: usize,
    /// Still skipping the empty lines allowed before a start line.
    leading: bool,
    /// Inside the start line.
    in_start_line: bool,
    /// Position from which a non-CR byte exceeds the current limit.
    limit_at: usize,
    /// The error for passing `limit_at`.
    limit_err: ProtoError,
    /// Where the current line started.
    line_start: usize,
    /// Field lines seen so far.
    fields: usize,
}

impl Scanner {
    /// A scan of a section that begins at the start of the buffers later passed to `resume`.
    pub(crate) fn new(spec: ScanSpec) -> Scanner {
        let (limit_at, limit_err) = match spec.start_line {
            Some(max) => (max, ProtoError::StartLineTooLong),
            None => (spec.max_section, spec.too_large),
        };
        Scanner {
            spec,
            at: 0,
            leading: spec.start_line.is_some(),
            in_start_line: spec.start_line.is_some(),
            limit_at,
            limit_err,
            line_start: 0,
            fields: 0,
        }
    }

    /// Continues the scan over `buf`, which must hold the bytes passed before (unchanged) and
    /// possibly more. Returns `Ok(None)` when more bytes are needed.
    pub(crate) fn resume(&mut self, buf: &[u8]) -> Result<Option<Scanned>, ProtoError> {
        let len = buf.len();
        let spec = self.spec;
        let mut i = self.at;
        // Skip empty lines before a start line.
        if self.leading {
            while i < len && buf[i] == b'\r' {
                if i >= 2 * MAX_LEADING_EMPTY_LINES {
                    return Err(ProtoError::BadStartLine);
                }
                if i + 1 >= len {
                    self.at = i;
                    return Ok(None);
                }
                if buf[i + 1] != b'\n' {
                    return Err(ProtoError::BareCr);
                }
                i += 2;
            }
            if i >= len {
                self.at = i;
                return Ok(None);
            }
            self.leading = false;
            self.line_start = i;
            if let Some(max) = spec.start_line {
                self.limit_at = i.saturating_add(max);
            }
        }
        loop {
            // A field line starting with whitespace is obs-fold.
            if !self.in_start_line
                && i == self.line_start
                && i < len
                && (buf[i] == b' ' || buf[i] == b'\t')
            {
                return Err(ProtoError::ObsFold);
            }
            // Hot loop: skip ordinary bytes up to the end of input or the limit.
            let stop = len.min(self.limit_at);
            while i + 8 <= stop {
                let word = u64::from_le_bytes([
                    buf[i],
                    buf[i + 1],
                    buf[i + 2],
                    buf[i + 3],
                    buf[i + 4],
                    buf[i + 5],
                    buf[i + 6],
                    buf[i + 7],
                ]);
                if swar::value_stops(word) != 0 {
                    break;
                }
                i += 8;
            }
            while i < stop && CLASS[buf[i] as usize] == OK {
                i += 1;
            }
            if i >= len {
                self.at = i;
                return Ok(None);
            }
            match CLASS[buf[i] as usize] {
                OK => return Err(self.limit_err),
                CR => {
                    if i + 1 >= len {
                        self.at = i;
                        return Ok(None);
                    }
                    if buf[i + 1] != b'\n' {
                        return Err(ProtoError::BareCr);
                    }
                    if self.in_start_line {
                        self.in_start_line = false;
                        self.limit_at = (i + 2).saturating_add(spec.max_section);
                        self.limit_err = spec.too_large;
                    } else {
                        if i + 2 > self.limit_at {
                            return Err(self.limit_err);
                        }
                        if i == self.line_start {
                            return Ok(Some(Scanned {
                                len: i + 2,
                                fields: self.fields,
                            }));
                        }
                        self.fields += 1;
                        if self.fields > spec.max_fields {
                            return Err(spec.too_many);
                        }
                    }
                    i += 2;
                    self.line_start = i;
                }
                LF => return Err(ProtoError::BareLf),
                _ => return Err(ProtoError::ControlByte),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head_spec() -> ScanSpec {
        ScanSpec {
            start_line: Some(16),
            max_section: 32,
            max_fields: 2,
            too_large: ProtoError::HeaderSectionTooLarge,
            too_many: ProtoError::TooManyHeaders,
        }
    }

    #[test]
    fn table() {
        use ProtoError::*;
        type Want = Result<Option<usize>, ProtoError>;
        let cases: &[(&[u8], Want)] = &[
            (b"GET / HTTP/1.1\r\n\r\n", Ok(Some(18))),
            (b"\r\n\r\nGET / HTTP/1.1\r\n\r\nrest", Ok(Some(22))),
            (b"GET / HTTP/1.1\r\nA: b\r\n\r\n", Ok(Some(24))),
            (b"GET / HTTP/1.1\r\nA: b\r\n", Ok(None)),
            (b"GET / HTTP/1.1\r", Ok(None)),
            (b"\r", Ok(None)),
            (b"\r\n\r\n\r\n\r\n", Ok(None)),
            (b"\r\n\r\n\r\n\r\n\r\n", Err(BadStartLine)),
            (b"", Ok(None)),
            (b"GET / HTTP/1.1\n\n", Err(BareLf)),
            (b"GET / HTTP/1.1\r\nA: b\n\r\n", Err(BareLf)),
            (b"GET / HTTP/1.1\r\nA: b\rc\r\n\r\n", Err(BareCr)),
            (b"GET / HTTP/1.1\r\nA: \0\r\n\r\n", Err(ControlByte)),
            (b"GET / HTTP/1.1\r\nA: \x7f\r\n\r\n", Err(ControlByte)),
            (b"GET / HTTP/1.1\r\nA: \t\x80\r\n\r\n", Ok(Some(25))),
            (b"GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n", Err(ObsFold)),
            (b"GET / HTTP/1.1\r\n\tA: b\r\n\r\n", Err(ObsFold)),
            (b"GET /aaaaaaaaaaaaaaaa", Err(StartLineTooLong)),
            (b"GET /aaaaaaaaaaa\r\n\r\n", Ok(Some(20))),
            (
                b"GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n",
                Err(TooManyHeaders),
            ),
            (
                b"GET / HTTP/1.1\r\nA: 123456789012345678901234567890",
                Err(HeaderSectionTooLarge),
            ),
        ];
        for (input, want) in cases {
            let got = scan(input, &head_spec()).map(|o| o.map(|s| s.len));
            assert_eq!(&got, want, "{:?}", String::from_utf8_lossy(input));
        }
    }

    #[test]
    fn resumed_byte_by_byte_agrees_with_one_scan() {
        let inputs: &[&[u8]] = &[
            b"GET / HTTP/1.1\r\n\r\n",
            b"\r\n\r\nGET / HTTP/1.1\r\n\r\nrest",
            b"GET / HTTP/1.1\r\nA: b\r\n\r\n",
            b"\r\n\r\n\r\n\r\n\r\n",
            b"GET / HTTP/1.1\r\nA: b\n\r\n",
            b"GET / HTTP/1.1\r\nA: b\rc\r\n\r\n",
            b"GET / HTTP/1.1\r\nA: \0\r\n\r\n",
            b"GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n",
            b"GET / HTTP/1.1\r\n\tA: b\r\n\r\n",
            b"GET /aaaaaaaaaaaaaaaa",
            b"GET /aaaaaaaaaaa\r\n\r\n",
            b"GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n",
            b"GET / HTTP/1.1\r\nA: 123456789012345678901234567890",
        ];
        for input in inputs {
            let whole = scan(input, &head_spec());
            let mut scanner = Scanner::new(head_spec());
            let mut got = Ok(None);
            for end in 0..=input.len() {
                got = scanner.resume(&input[..end]);
                if !matches!(got, Ok(None)) {
                    break;
                }
            }
            assert_eq!(got, whole, "{:?}", String::from_utf8_lossy(input));
        }
    }

    #[test]
    fn word_check_agrees_with_the_byte_table() {
        for b in 0..=255u8 {
            for pos in 0..8 {
                let mut bytes = *b"abcdefgh";
                bytes[pos] = b;
                let special = CLASS[b as usize] != OK || b == b'\t';
                assert_eq!(
                    swar::value_stops(u64::from_le_bytes(bytes)) != 0,
                    special,
                    "byte {b:#x} at {pos}"
                );
            }
        }
    }

    #[test]
    fn fields_only() {
        let spec = ScanSpec {
            start_line: None,
            ..head_spec()
        };
        assert_eq!(
            scan(b"\r\n", &spec),
            Ok(Some(Scanned { len: 2, fields: 0 }))
        );
        assert_eq!(
            scan(b"X: 1\r\n\r\n", &spec),
            Ok(Some(Scanned { len: 8, fields: 1 }))
        );
        assert_eq!(scan(b" X: 1\r\n\r\n", &spec), Err(ProtoError::ObsFold));
    }
}
