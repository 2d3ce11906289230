//! [`Response`]: what a handler returns.

use bytes::Bytes;
use http::header::{HeaderName, HeaderValue, CONTENT_TYPE, LOCATION};
use http::{HeaderMap, StatusCode};

use super::body::ResponseBody;

/// An HTTP response: status, header fields and body. The server adds `Server`, `Date`,
/// `Content-Length` or `Transfer-Encoding`, and `Connection` itself.
///
/// **The framing fields belong to the server.** A `Content-Length` or `Transfer-Encoding`
/// set in [`Response::headers_mut`] is never written as it is; the server derives the framing
/// from the body and the exchange:
///
/// - a body in memory or a file: `Content-Length` of its actual length (a handler's differing
///   value is dropped);
/// - a [`ResponseBody::Stream`]: the handler's `Content-Length`, if set, announces its length
///   (a stream that yields more or fewer bytes ends the connection mid-body, so the client sees
///   the truncation); without one, `Transfer-Encoding: chunked` for HTTP/1.1, or no framing
///   field and a close for HTTP/1.0;
/// - `1xx`, `204`, `304` and a `2xx` to `CONNECT`: no framing field and no body;
/// - a response to `HEAD`: the framing a `GET` would get, without the body.
///
/// A handler's `Connection` field is dropped too; `Connection: close` in it makes the server
/// close the connection after this response.
///
/// The content type, present on nearly every response, has a field of its own
/// ([`Response::content_type`]) instead of a `HeaderMap` entry: a map costs two allocations
/// and a hash per response, which the plain-text and static-file paths would pay for one
/// field. A `Content-Type` put in [`Response::headers_mut`] takes precedence over it.
///
/// ```
/// use corio_http::Response;
/// let ok = Response::text("Hello, World!");
/// assert_eq!(ok.status(), 200);
/// assert_eq!(ok.content_type().unwrap(), "text/plain");
/// let missing = Response::empty(http::StatusCode::NOT_FOUND);
/// assert_eq!(missing.status(), http::StatusCode::NOT_FOUND);
/// ```
#[derive(Debug)]
pub struct Response {
    pub(crate) status: StatusCode,
    pub(crate) content_type: Option<HeaderValue>,
    /// `None` until a header is added: most responses carry none beyond the content type,
    /// and an inline `HeaderMap` would make every response 96 bytes larger to move around.
    pub(crate) headers: Option<Box<HeaderMap>>,
    pub(crate) body: ResponseBody,
}

impl Response {
    /// A response with `status`, no headers and `body`.
    pub fn new(status: StatusCode, body: impl Into<ResponseBody>) -> Response {
        Response {
            status,
            content_type: None,
            headers: None,
            body: body.into(),
        }
    }

    /// An empty response with `status`.
    pub fn empty(status: StatusCode) -> Response {
        Response::new(status, ResponseBody::Empty)
    }

    /// `200 OK` with a `text/plain` body.
    pub fn text(body: impl Into<ResponseBody>) -> Response {
        // A constant: `from_static` run here would check the bytes on every call.
        const TEXT_PLAIN: HeaderValue = HeaderValue::from_static("text/plain");
        // Built in place, field by field (`new` then `with_content_type` moves it twice).
        Response {
            status: StatusCode::OK,
            content_type: Some(TEXT_PLAIN),
            headers: None,
            body: body.into(),
        }
    }

    /// `200 OK` with a `text/html; charset=utf-8` body.
    pub fn html(body: impl Into<ResponseBody>) -> Response {
        const TEXT_HTML: HeaderValue = HeaderValue::from_static("text/html; charset=utf-8");
        Response::new(StatusCode::OK, body).with_content_type(TEXT_HTML)
    }

    /// A plain-text error page: `status` with its reason phrase (or `message`) as the body.
    pub fn error(status: StatusCode, message: &str) -> Response {
        let text = if message.is_empty() {
            status.canonical_reason().unwrap_or("error")
        } else {
            message
        };
        Response::new(status, format!("{} {}\n", status.as_u16(), text))
            .with_content_type(HeaderValue::from_static("text/plain; charset=utf-8"))
    }

    /// A redirect to `location` with `status` (301, 302, 303, 307, 308).
    ///
    /// # Panics
    ///
    /// If `location` is not a valid header value.
    pub fn redirect(status: StatusCode, location: &str) -> Response {
        let location = HeaderValue::from_str(location).expect("valid Location");
        Response::empty(status).with_header(LOCATION, location)
    }

    /// Sets the content type (builder style).
    pub fn with_content_type(mut self, value: HeaderValue) -> Response {
        self.content_type = Some(value);
        self
    }

    /// The content type: the `Content-Type` header if set, else the content-type field.
    pub fn content_type(&self) -> Option<&HeaderValue> {
        self.headers()
            .get(CONTENT_TYPE)
            .or(self.content_type.as_ref())
    }

    /// Sets the content-type field.
    pub fn set_content_type(&mut self, value: Option<HeaderValue>) {
        self.content_type = value;
    }

    /// Adds a header (builder style).
    pub fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Response {
        self.headers_mut().append(name, value);
        self
    }

    /// The status code.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// Sets the status.
    pub fn set_status(&mut self, status: StatusCode) {
        self.status = status;
    }

    /// The header fields (the content type is in [`Response::content_type`] unless set here).
    pub fn headers(&self) -> &HeaderMap {
        static EMPTY: std::sync::OnceLock<HeaderMap> = std::sync::OnceLock::new();
        self.headers
            .as_deref()
            .unwrap_or_else(|| EMPTY.get_or_init(HeaderMap::new))
    }

    /// The header fields, mutable.
    pub fn headers_mut(&mut self) -> &mut HeaderMap {
        self.headers.get_or_insert_with(Box::default)
    }

    /// The body.
    pub fn body(&self) -> &ResponseBody {
        &self.body
    }

    /// Replaces the body.
    pub fn set_body(&mut self, body: impl Into<ResponseBody>) {
        self.body = body.into();
    }

    /// Converts into an `http::Response`.
    pub fn into_http(mut self) -> http::Response<ResponseBody> {
        if let Some(value) = self.content_type.take() {
            self.headers_mut().entry(CONTENT_TYPE).or_insert(value);
        }
        let mut response = http::Response::new(self.body);
        *response.status_mut() = self.status;
        *response.headers_mut() = self.headers.map(|h| *h).unwrap_or_default();
        response
    }
}

impl<B: Into<ResponseBody>> From<http::Response<B>> for Response {
    fn from(response: http::Response<B>) -> Response {
        let (parts, body) = response.into_parts();
        Response {
            status: parts.status,
            content_type: None,
            headers: (!parts.headers.is_empty()).then(|| Box::new(parts.headers)),
            body: body.into(),
        }
    }
}

impl From<StatusCode> for Response {
    fn from(status: StatusCode) -> Response {
        Response::empty(status)
    }
}

impl From<&'static str> for Response {
    fn from(text: &'static str) -> Response {
        Response::text(Bytes::from_static(text.as_bytes()))
    }
}
