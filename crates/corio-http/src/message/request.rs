//! [`Request`]: what a handler receives.

use std::net::SocketAddr;

use http::{HeaderMap, HeaderName, Method};

use super::body::Body;
use crate::proto::{RequestHead, RequestTarget, Version};

/// An HTTP request: the parsed head, the body (read on demand), the peer's address and the
/// router's path parameters.
///
/// ```
/// use corio_http::Request;
/// let req = Request::builder(http::Method::GET, "/users/7?full=1").build();
/// assert_eq!(req.path(), "/users/7");
/// assert_eq!(req.query(), Some("full=1"));
/// ```
#[derive(Debug)]
pub struct Request {
    pub(crate) head: Head,
    pub(crate) body: Body,
    pub(crate) remote_addr: Option<SocketAddr>,
    pub(crate) params: Vec<(String, String)>,
    pub(crate) mount_prefix_len: usize,
}

impl Request {
    pub(crate) fn new(
        head: Box<RequestHead>,
        body: Body,
        remote_addr: Option<SocketAddr>,
    ) -> Request {
        Request {
            head: Head(Some(head)),
            body,
            remote_addr,
            params: Vec::new(),
            mount_prefix_len: 0,
        }
    }

    /// A builder for requests made by hand (tests, handler composition).
    pub fn builder(method: Method, target: &str) -> RequestBuilder {
        RequestBuilder {
            method,
            target: target.to_owned(),
            headers: HeaderMap::new(),
            body: Body::empty(),
        }
    }

    /// The method.
    pub fn method(&self) -> &Method {
        &self.head.method
    }

    /// The request-target as sent (origin form `/p?q`, absolute form, `*`...).
    pub fn target(&self) -> &RequestTarget {
        &self.head.target
    }

    /// The path of the target (still percent-encoded), without the query.
    pub fn path(&self) -> &str {
        self.head.target.path()
    }

    /// The query string, without `?`.
    pub fn query(&self) -> Option<&str> {
        self.head.target.query()
    }

    /// HTTP/1.0 or HTTP/1.1.
    pub fn version(&self) -> Version {
        self.head.version
    }

    /// The header fields.
    pub fn headers(&self) -> &HeaderMap {
        self.head.headers.map()
    }

    /// Whether the request has a field named one of `names`, answered without building the
    /// header map when it is not built yet: a scan of the head's field lines.
    pub fn has_any_header(&self, names: &[HeaderName]) -> bool {
        self.head.headers.contains_any(names)
    }

    /// The header fields, mutable.
    pub fn headers_mut(&mut self) -> &mut HeaderMap {
        self.head.headers.map_mut()
    }

    /// The body, to read with [`Body::chunk`] or [`Body::to_bytes`].
    pub fn body_mut(&mut self) -> &mut Body {
        &mut self.body
    }

    /// Takes the body out, leaving an empty one.
    pub fn take_body(&mut self) -> Body {
        std::mem::replace(&mut self.body, Body::empty())
    }

    /// The client's address (`None` for a request built by hand).
    pub fn remote_addr(&self) -> Option<SocketAddr> {
        self.remote_addr
    }

    /// A path parameter captured by the [`Router`](crate::server::Router) (`:name` segments).
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// How many bytes of [`Request::path`] the router's mount consumed (0 outside a mount).
    pub fn mount_prefix_len(&self) -> usize {
        self.mount_prefix_len
    }

    /// Whether the connection stays open after this exchange (as the client asked).
    pub fn keep_alive(&self) -> bool {
        self.head.keep_alive
    }

    /// Converts into an `http::Request` (the body travels along).
    pub fn into_http(mut self) -> http::Request<Body> {
        let mut builder = http::Request::builder()
            .method(self.head.method.clone())
            .uri(self.head.target.as_str())
            .version(self.head.version.into());
        if let Some(headers) = builder.headers_mut() {
            *headers = std::mem::take(&mut self.head.headers).into_map();
        }
        builder
            .body(self.body)
            .unwrap_or_else(|_| http::Request::new(Body::empty()))
    }

    /// Converts from an `http::Request` (for handlers written against the `http` crate).
    ///
    /// # Errors
    ///
    /// If the URI is not a valid request-target for the method.
    pub fn from_http(request: http::Request<Body>) -> Result<Request, crate::proto::ProtoError> {
        let (parts, body) = request.into_parts();
        let target = parts.uri.path_and_query().map_or("/", |pq| pq.as_str());
        let target = RequestTarget::parse(target, &parts.method)?;
        let version = if parts.version == http::Version::HTTP_10 {
            Version::Http10
        } else {
            Version::Http11
        };
        let keep_alive = crate::proto::keep_alive(version, &parts.headers);
        Ok(Request {
            head: Head(Some(Box::new(RequestHead {
                method: parts.method,
                target,
                version,
                headers: crate::proto::HeaderFields::from_map(parts.headers),
                keep_alive,
                expect_continue: false,
                body: crate::proto::BodyFraming::Empty,
            }))),
            body,
            remote_addr: None,
            params: Vec::new(),
            mount_prefix_len: 0,
        })
    }
}

/// A request's boxed head, given back to the thread's spare slot when the request is dropped
/// (see [`RequestHead::recycle`]): the next head parsed on this thread reuses the allocation.
/// `None` only while it is being dropped.
#[derive(Debug)]
pub(crate) struct Head(Option<Box<RequestHead>>);

impl std::ops::Deref for Head {
    type Target = RequestHead;

    fn deref(&self) -> &RequestHead {
        self.0
            .as_deref()
            .expect("a request's head is taken only when it is dropped")
    }
}

impl std::ops::DerefMut for Head {
    fn deref_mut(&mut self) -> &mut RequestHead {
        self.0
            .as_deref_mut()
            .expect("a request's head is taken only when it is dropped")
    }
}

impl Drop for Head {
    fn drop(&mut self) {
        if let Some(head) = self.0.take() {
            RequestHead::recycle(head);
        }
    }
}

/// Builds a [`Request`] by hand. See [`Request::builder`].
#[derive(Debug)]
pub struct RequestBuilder {
    method: Method,
    target: String,
    headers: HeaderMap,
    body: Body,
}

impl RequestBuilder {
    /// Adds a header.
    ///
    /// # Panics
    ///
    /// If the name or value is invalid.
    pub fn header(mut self, name: &str, value: &str) -> RequestBuilder {
        let name = http::HeaderName::from_bytes(name.as_bytes()).expect("valid header name");
        let value = http::HeaderValue::from_str(value).expect("valid header value");
        self.headers.append(name, value);
        self
    }

    /// Sets the body.
    pub fn body(mut self, body: impl Into<bytes::Bytes>) -> RequestBuilder {
        self.body = Body::from_bytes(body.into());
        self
    }

    /// The request.
    ///
    /// # Panics
    ///
    /// If the target is invalid for the method.
    pub fn build(self) -> Request {
        let mut request = http::Request::new(self.body);
        *request.method_mut() = self.method;
        *request.uri_mut() = self.target.parse().expect("valid request-target");
        *request.headers_mut() = self.headers;
        Request::from_http(request).expect("valid request-target")
    }
}
