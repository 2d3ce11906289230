//! Telling HTTP/2 from HTTP/1.1 on a cleartext port: the client connection preface.
//!
//! A client speaking HTTP/2 with prior knowledge opens with the 24-byte preface (RFC 9113
//! §3.4); no valid HTTP/1.1 request starts that way (its request line would name version
//! `HTTP/2.0`). So the accept path reads the first bytes, asks [`sniff`], and hands the
//! connection to the HTTP/1.1 driver or to [`serve_h2`](super::serve_h2) (through
//! [`Rewind`](super::Rewind), which gives back the bytes already read).

/// The client connection preface.
pub const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// What the first bytes of a cleartext connection say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preface {
    /// They are the HTTP/2 preface (24 bytes or more were read).
    Http2,
    /// They are not: HTTP/1.x (or garbage, for the HTTP/1.1 parser to reject).
    Http1,
    /// A proper prefix of the preface: read more.
    Undecided,
}

/// Classifies the first bytes read from a cleartext connection.
///
/// ```
/// use corio_http::server::http2::{sniff, Preface};
/// assert_eq!(sniff(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00"), Preface::Http2);
/// assert_eq!(sniff(b"PRI * HT"), Preface::Undecided);
/// assert_eq!(sniff(b"GET / HTTP/1.1\r\n"), Preface::Http1);
/// ```
pub fn sniff(bytes: &[u8]) -> Preface {
    let n = bytes.len().min(PREFACE.len());
    if bytes[..n] != PREFACE[..n] {
        Preface::Http1
    } else if n == PREFACE.len() {
        Preface::Http2
    } else {
        Preface::Undecided
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_every_prefix() {
        for n in 0..PREFACE.len() {
            assert_eq!(sniff(&PREFACE[..n]), Preface::Undecided, "{n} bytes");
        }
        assert_eq!(sniff(PREFACE), Preface::Http2);
        assert_eq!(sniff(b"PRI * HTTP/1.1\r\n"), Preface::Http1);
        assert_eq!(sniff(b"P"), Preface::Undecided);
        assert_eq!(sniff(b"POST / HTTP/1.1"), Preface::Http1);
    }
}
