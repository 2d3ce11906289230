//! An h2 request head (and its body) as corio's [`Request`].
//!
//! The handler sees the same type as over HTTP/1.1; [`Request::version`] says `HTTP/2`.
//! h2 has already checked the pseudo-header fields (RFC 9113 §8.3) and refused
//! connection-specific fields (§8.2.2). What corio adds: the `:authority` becomes a `Host`
//! field when the client sent none (§8.3.1), so handlers that route on `Host` work on both
//! protocols, and the target is checked with the HTTP/1.1 parser's rules.
//!
//! The head costs at most one allocation: its box (the thread's spare one, when a request
//! dropped here gave it back), filled in place, which takes h2's header map as it is. Whether a
//! `Host` field is missing is looked up, and the authority copied into one, when the handler
//! first reads the fields (see [`HeaderFields`](crate::proto::HeaderFields)): a handler that
//! never reads them pays for neither.

use std::net::SocketAddr;

use http::StatusCode;

use crate::message::{Body, Request};
use crate::proto::{RequestHead, Version};

/// Builds the handler's request; `Err` carries the status to answer with.
///
/// The head is built directly rather than through [`Request::from_http`], which also works
/// out HTTP/1.1's keep-alive from the `Connection` field: an HTTP/2 request has neither.
pub(super) fn to_request(
    head: http::request::Parts,
    body: Body,
    peer: Option<SocketAddr>,
) -> Result<Request, StatusCode> {
    let http::request::Parts {
        method,
        uri,
        headers,
        ..
    } = head;
    let mut boxed = RequestHead::unset_boxed();
    let target = uri.path_and_query().map_or("/", |pq| pq.as_str());
    if let Err(e) = boxed.target.set(target, &method) {
        RequestHead::recycle(boxed);
        return Err(StatusCode::from_u16(e.status()).unwrap_or(StatusCode::BAD_REQUEST));
    }
    let authority = uri.into_parts().authority;
    boxed.method = method;
    boxed.version = Version::Http2;
    boxed.headers.set_map(headers, authority);
    boxed.keep_alive = true;
    Ok(Request::new(boxed, body, peer))
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::header::HOST;
    use http::HeaderValue;

    fn parts(uri: &str) -> http::request::Parts {
        let (parts, ()) = http::Request::builder()
            .uri(uri)
            .version(http::Version::HTTP_2)
            .body(())
            .unwrap()
            .into_parts();
        parts
    }

    #[test]
    fn authority_becomes_host_and_version_is_2() {
        let peer = "127.0.0.1:9".parse().unwrap();
        let request = to_request(
            parts("http://example.com:8080/a?b=1"),
            Body::empty(),
            Some(peer),
        )
        .unwrap();
        assert_eq!(request.path(), "/a");
        assert_eq!(request.query(), Some("b=1"));
        assert_eq!(request.headers()[HOST], "example.com:8080");
        assert_eq!(request.version(), Version::Http2);
        assert_eq!(request.remote_addr(), Some(peer));
    }

    #[test]
    fn a_host_field_is_kept() {
        let mut head = parts("http://a.example/");
        head.headers
            .insert(HOST, HeaderValue::from_static("b.example"));
        let request = to_request(head, Body::empty(), None).unwrap();
        assert_eq!(request.headers()[HOST], "b.example");
        assert_eq!(request.headers().get_all(HOST).iter().count(), 1);
    }

    #[test]
    fn without_an_authority_there_is_no_host() {
        let request = to_request(parts("/a"), Body::empty(), None).unwrap();
        assert!(request.headers().is_empty());
        assert_eq!(request.path(), "/a");
    }
}
