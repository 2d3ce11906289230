//! Size limits applied while parsing, so a peer cannot make us buffer or work
//! without bound.
//!
//! Invariants: every limit is checked as soon as the offending byte is seen,
//! also on incomplete input, so a driver never needs more than
//! `max_start_line + max_header_section` bytes of buffer to get a verdict on a
//! message head.

/// Default longest request line / status line, excluding CRLF.
/// 8 KiB is what common servers and proxies accept; longer URIs are abuse.
pub const DEFAULT_MAX_START_LINE: usize = 8 * 1024;
/// Default largest header section (all field lines plus CRLFs, without the start line).
/// 64 KiB fits big cookie jars while bounding per-connection buffering.
pub const DEFAULT_MAX_HEADER_SECTION: usize = 64 * 1024;
/// Default and hard maximum number of header fields.
/// 100 matches the fixed on-stack array handed to httparse (no heap per request).
pub const MAX_HEADERS: usize = 100;
/// Default largest message body.
/// 16 MiB is generous for API payloads; file uploads should raise it explicitly.
pub const DEFAULT_MAX_BODY: u64 = 16 * 1024 * 1024;
/// Default total size of chunk extensions in one chunked body.
/// Extensions are ignored by us; 16 KiB stops a peer making us scan endless metadata.
pub const DEFAULT_MAX_CHUNK_EXT: usize = 16 * 1024;
/// Default largest trailer section in a chunked body.
/// Trailers are rare and small; 16 KiB bounds the buffer we keep for them.
pub const DEFAULT_MAX_TRAILER_SECTION: usize = 16 * 1024;
/// Default maximum number of trailer fields.
/// Trailers carry a few checksums or statuses at most; 32 is ample.
pub const DEFAULT_MAX_TRAILERS: usize = 32;

/// Limits applied by the parsers and the chunked decoder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Longest start line (request line or status line), excluding CRLF. → 414.
    pub max_start_line: usize,
    /// Largest header section in bytes, excluding the start line. → 431.
    pub max_header_section: usize,
    /// Maximum number of header fields; values above [`MAX_HEADERS`] act as
    /// [`MAX_HEADERS`]. → 431.
    pub max_headers: usize,
    /// Largest accepted body in bytes (Content-Length or decoded chunked). → 413.
    pub max_body: u64,
    /// Largest total size of chunk extensions in one body. → 400.
    pub max_chunk_ext: usize,
    /// Largest trailer section in bytes. → 400.
    pub max_trailer_section: usize,
    /// Maximum number of trailer fields. → 400.
    pub max_trailers: usize,
}

impl Limits {
    /// The effective header-field limit (never above [`MAX_HEADERS`]).
    pub(crate) fn header_count(&self) -> usize {
        self.max_headers.min(MAX_HEADERS)
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_start_line: DEFAULT_MAX_START_LINE,
            max_header_section: DEFAULT_MAX_HEADER_SECTION,
            max_headers: MAX_HEADERS,
            max_body: DEFAULT_MAX_BODY,
            max_chunk_ext: DEFAULT_MAX_CHUNK_EXT,
            max_trailer_section: DEFAULT_MAX_TRAILER_SECTION,
            max_trailers: DEFAULT_MAX_TRAILERS,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_clamp() {
        let l = Limits::default();
        assert_eq!(l.max_start_line, 8192);
        assert_eq!(l.max_header_section, 65536);
        assert_eq!(l.header_count(), 100);
        let big = Limits {
            max_headers: 1000,
            ..l
        };
        assert_eq!(big.header_count(), MAX_HEADERS);
        let small = Limits {
            max_headers: 3,
            ..l
        };
        assert_eq!(small.header_count(), 3);
    }
}
