//! The request a run sends, encoded once: [`Batch`].
//!
//! Invariants:
//! - the request is framed unambiguously: one `host` (the URL's, unless given with `-H`), a
//!   `content-length` when there is a body (or the method usually carries one), never a
//!   `transfer-encoding`; `-H` fields named `content-length` or `transfer-encoding` are dropped;
//! - a [`Batch`] is `depth` identical copies back to back, so any number of requests up to
//!   `depth`, and the unwritten rest of a partial write followed by more whole requests, is a
//!   *suffix* of it: a connection never copies or encodes request bytes while it runs.

use http::header::{HeaderName, HeaderValue, CONTENT_LENGTH, HOST, TRANSFER_ENCODING};
use http::Method;
use url::{Position, Url};

/// `depth` copies of one encoded request. See the module docs.
#[derive(Debug, Clone)]
pub struct Batch {
    bytes: Vec<u8>,
    one: usize,
}

impl Batch {
    /// Encodes `method url` with `headers` and `body`, `depth` times.
    pub fn new(
        method: &Method,
        url: &Url,
        headers: &[(HeaderName, HeaderValue)],
        body: &[u8],
        depth: usize,
    ) -> Batch {
        let mut one = Vec::with_capacity(128 + body.len());
        one.extend_from_slice(method.as_str().as_bytes());
        one.push(b' ');
        let target = &url[Position::BeforePath..Position::AfterQuery];
        one.extend_from_slice(if target.is_empty() { "/" } else { target }.as_bytes());
        one.extend_from_slice(b" HTTP/1.1\r\n");
        if !headers.iter().any(|(name, _)| name == HOST) {
            field(
                &mut one,
                b"host",
                url[Position::BeforeHost..Position::AfterPort].as_bytes(),
            );
        }
        for (name, value) in headers {
            if name != CONTENT_LENGTH && name != TRANSFER_ENCODING {
                field(&mut one, name.as_str().as_bytes(), value.as_bytes());
            }
        }
        if !body.is_empty() || matches!(*method, Method::POST | Method::PUT | Method::PATCH) {
            field(
                &mut one,
                b"content-length",
                body.len().to_string().as_bytes(),
            );
        }
        one.extend_from_slice(b"\r\n");
        one.extend_from_slice(body);
        Batch {
            bytes: one.repeat(depth.max(1)),
            one: one.len(),
        }
    }

    /// The length of one request.
    pub fn request_len(&self) -> usize {
        self.one
    }

    /// The last `len` bytes of the batch (`len` at most the batch's length).
    #[inline]
    pub fn suffix(&self, len: usize) -> &[u8] {
        &self.bytes[self.bytes.len() - len..]
    }
}

fn field(out: &mut Vec<u8>, name: &[u8], value: &[u8]) {
    out.extend_from_slice(name);
    out.extend_from_slice(b": ");
    out.extend_from_slice(value);
    out.extend_from_slice(b"\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_once_and_repeats() {
        let url = Url::parse("http://127.0.0.1:8080/p?q=1#frag").unwrap();
        let b = Batch::new(&Method::GET, &url, &[], b"", 3);
        let one = "GET /p?q=1 HTTP/1.1\r\nhost: 127.0.0.1:8080\r\n\r\n";
        assert_eq!(b.request_len(), one.len());
        assert_eq!(b.suffix(3 * one.len()), one.repeat(3).as_bytes());
        assert_eq!(b.suffix(one.len() + 4), format!("\r\n\r\n{one}").as_bytes());
    }

    #[test]
    fn headers_and_body() {
        let url = Url::parse("http://a.test/").unwrap();
        let headers = [
            (HOST, HeaderValue::from_static("b.test")),
            (CONTENT_LENGTH, HeaderValue::from_static("99")),
            (
                HeaderName::from_static("x-a"),
                HeaderValue::from_static("1"),
            ),
        ];
        let b = Batch::new(&Method::POST, &url, &headers, b"hey", 1);
        assert_eq!(
            b.suffix(b.request_len()),
            b"POST / HTTP/1.1\r\nhost: b.test\r\nx-a: 1\r\ncontent-length: 3\r\n\r\nhey"
        );
    }
}
