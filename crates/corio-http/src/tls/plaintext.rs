//! Telling a TLS ClientHello from cleartext HTTP on a TLS port, by the first byte.
//!
//! A TLS connection starts with a handshake record, content type `0x16`; an HTTP/1.x request
//! starts with its method, an upper-case token (`GET`, `POST`...). One byte tells them
//! apart, so the check peeks one byte and never consumes anything rustls needs. Cleartext
//! gets nginx's answer, a `400` saying "The plain HTTP request was sent to HTTPS port", and
//! the connection is closed: a client that forgot `https://` sees why instead of a hang or a
//! TLS alert it cannot read.

use std::future::poll_fn;
use std::io;

use corio::net::TcpStream;

/// The first byte of a TLS handshake record (content type `handshake`).
const TLS_HANDSHAKE: u8 = 0x16;

/// The answer to cleartext HTTP on the TLS port.
pub const PLAIN_HTTP_RESPONSE: &[u8] = b"HTTP/1.1 400 Bad Request\r\n\
content-type: text/plain\r\n\
content-length: 46\r\n\
connection: close\r\n\
\r\n\
The plain HTTP request was sent to HTTPS port\n";

/// Bytes of a cleartext request read (and discarded) before answering it: enough for a
/// typical head, so the close after the answer does not reset the connection (unread data
/// at close makes the kernel send RST, which can destroy the answer in flight).
pub const PLAIN_HTTP_DRAIN: usize = 8 * 1024;

/// What the first byte of a connection says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FirstByte {
    /// A TLS handshake record.
    Tls,
    /// An upper-case letter: the start of an HTTP method.
    PlainHttp,
    /// Anything else (rustls will refuse it).
    Other,
}

impl FirstByte {
    /// Classifies `byte`.
    pub fn classify(byte: u8) -> FirstByte {
        match byte {
            TLS_HANDSHAKE => FirstByte::Tls,
            b'A'..=b'Z' => FirstByte::PlainHttp,
            _ => FirstByte::Other,
        }
    }
}

/// Waits for the connection's first byte without consuming it; `None` if the peer closed
/// before sending any.
pub async fn peek_first_byte(stream: &TcpStream) -> io::Result<Option<FirstByte>> {
    let mut byte = [0u8; 1];
    let n = poll_fn(|cx| stream.poll_io(cx, false, |s| s.peek(&mut byte))).await?;
    Ok((n == 1).then(|| FirstByte::classify(byte[0])))
}

/// Reads what the client sent (up to [`PLAIN_HTTP_DRAIN`] bytes, until the end of its
/// head), answers [`PLAIN_HTTP_RESPONSE`] and shuts the connection down for writing.
pub async fn reject_plain_http(stream: &mut TcpStream) -> io::Result<()> {
    let mut buf = vec![0u8; PLAIN_HTTP_DRAIN];
    let mut len = 0;
    while len < buf.len() {
        let n = stream.read(&mut buf[len..]).await?;
        if n == 0 {
            break;
        }
        len += n;
        if buf[..len].windows(4).any(|w| w == b"\r\n\r\n") {
            break;
        }
    }
    stream.write_all(PLAIN_HTTP_RESPONSE).await?;
    stream.shutdown(std::net::Shutdown::Write)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_bytes() {
        assert_eq!(FirstByte::classify(0x16), FirstByte::Tls);
        for method in ["GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS", "PATCH"] {
            assert_eq!(
                FirstByte::classify(method.as_bytes()[0]),
                FirstByte::PlainHttp
            );
        }
        assert_eq!(FirstByte::classify(0x15), FirstByte::Other);
        assert_eq!(FirstByte::classify(b'g'), FirstByte::Other);
    }

    #[test]
    fn answer_length_matches() {
        let text = std::str::from_utf8(PLAIN_HTTP_RESPONSE).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        assert!(head.contains(&format!("content-length: {}", body.len())));
    }
}
