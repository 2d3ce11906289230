//! The HTTP versions this layer speaks.
//!
//! Invariant: the HTTP/1.x parser produces only HTTP/1.0 and HTTP/1.1; any other
//! syntactically valid version in a request line is rejected with 505. `Http2` marks requests
//! that arrived over HTTP/2 (`server::http2`), never a parsed request line.

/// An HTTP protocol version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Version {
    /// HTTP/1.0: connections close by default, no chunked coding.
    Http10,
    /// HTTP/1.1: persistent connections by default.
    Http11,
    /// HTTP/2 (RFC 9113): a request that arrived on a stream of an HTTP/2 connection.
    Http2,
}

impl Version {
    /// The version as it appears on the wire, e.g. `"HTTP/1.1"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Version::Http10 => "HTTP/1.0",
            Version::Http11 => "HTTP/1.1",
            Version::Http2 => "HTTP/2",
        }
    }

    /// Maps httparse's minor version number.
    pub(crate) fn from_minor(minor: u8) -> Option<Version> {
        match minor {
            0 => Some(Version::Http10),
            1 => Some(Version::Http11),
            _ => None,
        }
    }
}

impl From<Version> for http::Version {
    fn from(v: Version) -> http::Version {
        match v {
            Version::Http10 => http::Version::HTTP_10,
            Version::Http11 => http::Version::HTTP_11,
            Version::Http2 => http::Version::HTTP_2,
        }
    }
}

/// Whether `v` is a well-formed HTTP-version, `HTTP/` DIGIT `.` DIGIT (RFC 9112 §2.3):
/// a real but unsupported version (→ 505) rather than garbage (→ 400). `HTTP/1`, `HTTP/11`
/// or `HTTP/10.0` do not match the grammar, so they are malformed, not unsupported.
pub(crate) fn looks_like_version(v: &[u8]) -> bool {
    matches!(v, [b'H', b'T', b'T', b'P', b'/', major, b'.', minor]
        if major.is_ascii_digit() && minor.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn looks_like() {
        let table: &[(&[u8], bool)] = &[
            (b"HTTP/2.0", true),
            (b"HTTP/1.2", true),
            (b"HTTP/0.9", true),
            (b"HTTP/3", false),
            (b"HTTP/1", false),
            (b"HTTP/11", false),
            (b"HTTP/10.0", false),
            (b"HTTP/1.10", false),
            (b"HTTP/", false),
            (b"HTTP/1.", false),
            (b"HTTP/x.1", false),
            (b"http/1.1", false),
            (b"FOO", false),
            (b"HTTP/1.1.1", false),
        ];
        for (v, want) in table {
            assert_eq!(
                looks_like_version(v),
                *want,
                "{:?}",
                String::from_utf8_lossy(v)
            );
        }
    }

    #[test]
    fn conversions() {
        assert_eq!(Version::from_minor(0), Some(Version::Http10));
        assert_eq!(Version::from_minor(1), Some(Version::Http11));
        assert_eq!(Version::from_minor(2), None);
        assert_eq!(Version::Http11.as_str(), "HTTP/1.1");
        assert_eq!(http::Version::from(Version::Http10), http::Version::HTTP_10);
    }
}
