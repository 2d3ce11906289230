//! [`ClientRequest`]: what to send, and how it is written on the wire.
//!
//! Invariants of [`encode_head`]:
//! - exactly one `Host` field (from the URL, unless the caller set one), one framing field
//!   (`content-length` when there is a body or the method usually has one; never
//!   `transfer-encoding`, since the body is always in memory and its length known);
//! - caller-supplied `content-length` / `transfer-encoding` / `host` are replaced, so the
//!   request can never be framed ambiguously;
//! - the request-target is the URL's path and query, never its fragment.

use std::time::Duration;

use bytes::Bytes;
use http::header::{
    HeaderMap, HeaderName, HeaderValue, CONTENT_LENGTH, CONTENT_TYPE, HOST, TRANSFER_ENCODING,
};
use http::Method;
use serde::Serialize;
use url::{Position, Url};

use crate::proto::fields::write_field;
use crate::proto::response::decimal;
use crate::proto::Version;

/// An HTTP request: method, URL, header fields and a body held in memory.
///
/// ```
/// use corio_http::client::ClientRequest;
/// let req = ClientRequest::new(http::Method::POST, "http://127.0.0.1:5000/upload")
///     .header("content-type", "text/plain")
///     .body("hello");
/// assert_eq!(req.method, http::Method::POST);
/// assert_eq!(&req.body[..], b"hello");
/// ```
#[derive(Debug, Clone)]
pub struct ClientRequest {
    /// The method (any token, e.g. `GET`, `POST`, `PURGE`).
    pub method: Method,
    /// The absolute `http://` URL.
    pub url: String,
    /// Extra header fields (`host`, `content-length` and `transfer-encoding` are set by the
    /// client and replaced if given).
    pub headers: HeaderMap,
    /// The body (empty for none).
    pub body: Bytes,
    /// HTTP/1.1 (the default) or HTTP/1.0.
    pub version: Version,
    /// Time allowed for this request, replacing the client's
    /// [`request_timeout`](super::ClientBuilder::request_timeout) (`None`: the client's).
    pub timeout: Option<Duration>,
    /// Redirects this request follows, replacing the client's
    /// [`max_redirects`](super::ClientBuilder::max_redirects) (`None`: the client's).
    pub max_redirects: Option<usize>,
    /// Why [`ClientRequest::json`] could not serialize its value: sending the request fails
    /// with [`ErrorKind::Json`](super::ErrorKind::Json) and this message.
    pub(crate) json_error: Option<String>,
    /// `url` already parsed ([`ClientRequest::from_url`]); used only while it still spells
    /// `url`, so a caller that changes `url` afterwards gets the new one parsed.
    pub(crate) parsed: Option<Url>,
}

impl ClientRequest {
    /// A request with no extra headers and an empty body.
    pub fn new(method: Method, url: impl Into<String>) -> ClientRequest {
        ClientRequest {
            method,
            url: url.into(),
            headers: HeaderMap::new(),
            body: Bytes::new(),
            version: Version::Http11,
            timeout: None,
            max_redirects: None,
            json_error: None,
            parsed: None,
        }
    }

    /// A request to an already parsed URL, which the client then does not parse again (for
    /// callers that send many requests to one URL, such as a load generator: parsing is a
    /// good part of a small request's cost). The URL is checked when the request is sent, as
    /// a string URL is: a scheme other than `http` or `https` is an
    /// [`ErrorKind::UnsupportedScheme`](super::ErrorKind::UnsupportedScheme).
    ///
    /// ```
    /// use corio_http::client::{parse_url, ClientRequest};
    /// let url = parse_url("http://127.0.0.1:5000/a?b").unwrap();
    /// let req = ClientRequest::from_url(http::Method::GET, url);
    /// assert_eq!(req.url, "http://127.0.0.1:5000/a?b");
    /// ```
    pub fn from_url(method: Method, url: Url) -> ClientRequest {
        let mut req = ClientRequest::new(method, url.as_str());
        req.parsed = Some(url);
        req
    }

    /// A `GET` request.
    pub fn get(url: impl Into<String>) -> ClientRequest {
        ClientRequest::new(Method::GET, url)
    }

    /// Appends a header field.
    ///
    /// # Panics
    ///
    /// If `name` or `value` is not a valid header name or value.
    pub fn header(mut self, name: &str, value: &str) -> ClientRequest {
        let name = HeaderName::from_bytes(name.as_bytes()).expect("invalid header name");
        let value = HeaderValue::from_str(value).expect("invalid header value");
        self.headers.append(name, value);
        self
    }

    /// Sets the body.
    pub fn body(mut self, body: impl Into<Bytes>) -> ClientRequest {
        self.body = body.into();
        self
    }

    /// Sets the body to `value` as JSON and `Content-Type` to `application/json`. A value
    /// that does not serialize (a map with non-string keys, a failing `Serialize`) makes
    /// sending fail with [`ErrorKind::Json`](super::ErrorKind::Json).
    ///
    /// ```
    /// use corio_http::client::ClientRequest;
    /// let req = ClientRequest::new(http::Method::POST, "http://127.0.0.1:5000/items")
    ///     .json(&serde_json::json!({"name": "pen"}));
    /// assert_eq!(&req.body[..], br#"{"name":"pen"}"#);
    /// assert_eq!(req.headers["content-type"], "application/json");
    /// ```
    pub fn json<T: Serialize + ?Sized>(mut self, value: &T) -> ClientRequest {
        match serde_json::to_vec(value) {
            Ok(body) => {
                self.body = body.into();
                self.headers
                    .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            }
            Err(e) => self.json_error = Some(e.to_string()),
        }
        self
    }

    /// Time allowed for this request: redirects and, for
    /// [`Client::request`](super::Client::request), the body. Replaces the client's
    /// request timeout; expiry is an
    /// [`ErrorKind::Timeout`](super::ErrorKind::Timeout)`(`[`TimeoutKind::Request`](super::TimeoutKind::Request)`)`.
    pub fn timeout(mut self, t: Duration) -> ClientRequest {
        self.timeout = Some(t);
        self
    }

    /// Follows at most `n` redirects for this request (more is an
    /// [`ErrorKind::TooManyRedirects`](super::ErrorKind::TooManyRedirects)); replaces the
    /// client's limit.
    pub fn redirects(mut self, n: usize) -> ClientRequest {
        self.max_redirects = Some(n);
        self
    }

    /// Follows no redirects for this request: a 3xx response is returned as it is.
    pub fn no_redirects(self) -> ClientRequest {
        self.redirects(0)
    }

    /// Sets the HTTP version.
    pub fn version(mut self, version: Version) -> ClientRequest {
        self.version = version;
        self
    }
}

/// Whether a method is idempotent (RFC 9110 §9.2.2), so that a request that may or may not
/// have reached the server can be sent again.
pub(crate) fn is_idempotent(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS | Method::TRACE
    )
}

/// Whether a request without a body still gets `content-length: 0` (methods that normally
/// carry a body, so that servers do not wait for one).
fn wants_length(method: &Method) -> bool {
    matches!(*method, Method::POST | Method::PUT | Method::PATCH)
}

/// The parts of a request the encoder needs (borrowed, so redirects need not clone).
pub(crate) struct Parts<'a> {
    pub method: &'a Method,
    pub url: &'a Url,
    pub headers: &'a HeaderMap,
    pub body_len: usize,
    pub version: Version,
    pub user_agent: Option<&'a HeaderValue>,
}

/// Appends the request head to `out`.
pub(crate) fn encode_head(out: &mut Vec<u8>, parts: &Parts<'_>) {
    let url = parts.url;
    out.extend_from_slice(parts.method.as_str().as_bytes());
    out.push(b' ');
    let target = &url[Position::BeforePath..Position::AfterQuery];
    out.extend_from_slice(if target.is_empty() {
        b"/"
    } else {
        target.as_bytes()
    });
    out.push(b' ');
    out.extend_from_slice(parts.version.as_str().as_bytes());
    out.extend_from_slice(b"\r\nhost: ");
    // Most requests have no fields of their own: no lookups then.
    let own = !parts.headers.is_empty();
    let host = if own { parts.headers.get(HOST) } else { None };
    match host {
        Some(host) => out.extend_from_slice(host.as_bytes()),
        None => out.extend_from_slice(url[Position::BeforeHost..Position::AfterPort].as_bytes()),
    }
    out.extend_from_slice(b"\r\n");
    if let Some(ua) = parts.user_agent {
        if !own || !parts.headers.contains_key(http::header::USER_AGENT) {
            write_field(out, b"user-agent", ua.as_bytes());
        }
    }
    for (name, value) in parts.headers {
        if name == HOST || name == CONTENT_LENGTH || name == TRANSFER_ENCODING {
            continue;
        }
        write_field(out, name.as_str().as_bytes(), value.as_bytes());
    }
    if parts.body_len > 0 || wants_length(parts.method) {
        let mut digits = [0; 20];
        write_field(
            out,
            b"content-length",
            decimal(parts.body_len as u64, &mut digits),
        );
    }
    out.extend_from_slice(b"\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(method: Method, url: &str, headers: HeaderMap, body_len: usize) -> String {
        let url = Url::parse(url).unwrap();
        let mut out = Vec::new();
        encode_head(
            &mut out,
            &Parts {
                method: &method,
                url: &url,
                headers: &headers,
                body_len,
                version: Version::Http11,
                user_agent: None,
            },
        );
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn heads() {
        assert_eq!(
            encode(
                Method::GET,
                "http://a.test/x/y?q=1#frag",
                HeaderMap::new(),
                0
            ),
            "GET /x/y?q=1 HTTP/1.1\r\nhost: a.test\r\n\r\n"
        );
        assert_eq!(
            encode(Method::POST, "http://127.0.0.1:8080", HeaderMap::new(), 0),
            "POST / HTTP/1.1\r\nhost: 127.0.0.1:8080\r\ncontent-length: 0\r\n\r\n"
        );
        let mut h = HeaderMap::new();
        h.insert(CONTENT_LENGTH, HeaderValue::from_static("999"));
        h.insert(TRANSFER_ENCODING, HeaderValue::from_static("chunked"));
        h.insert("x-a", HeaderValue::from_static("1"));
        assert_eq!(
            encode(Method::PUT, "http://[::1]:80/p", h, 12345),
            "PUT /p HTTP/1.1\r\nhost: [::1]\r\nx-a: 1\r\ncontent-length: 12345\r\n\r\n"
        );
    }

    #[test]
    fn idempotence() {
        assert!(is_idempotent(&Method::GET));
        assert!(is_idempotent(&Method::PUT));
        assert!(!is_idempotent(&Method::POST));
        assert!(!is_idempotent(&Method::PATCH));
    }
}
