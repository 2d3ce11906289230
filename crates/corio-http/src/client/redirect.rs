//! Redirect rules: where a 3xx response sends the request, and what is carried along.
//!
//! Invariants (RFC 9110 §15.4):
//! - 303 turns the request into a `GET` without a body (`HEAD` stays `HEAD`);
//! - 301 and 302 turn only a `POST` into a bodiless `GET`: every other method keeps its
//!   method and body, as Fetch and curl do (RFC 9110 allows the rewrite for `POST` only, for
//!   historical reasons); 307 and 308 keep the method and the body;
//! - `Location` is resolved against the current URL; its fragment is dropped; it may switch
//!   between `http` and `https` (both ways, as browsers and curl allow);
//! - credentials (`Authorization`, `Proxy-Authorization`, `Cookie`) and an explicit `Host`
//!   are never sent to another origin (scheme, host or port differs).

use http::header::{HeaderMap, AUTHORIZATION, CONTENT_TYPE, COOKIE, HOST, PROXY_AUTHORIZATION};
use http::{Method, StatusCode};
use url::Url;

use super::error::{Error, ErrorKind};

/// What to do after a redirect response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Redirect {
    /// The next URL.
    pub url: Url,
    /// Whether the request becomes a bodiless `GET` (never set for `HEAD` and `GET`).
    pub to_get: bool,
    /// Whether the next URL is of another origin.
    pub cross_origin: bool,
}

/// Whether `status` is a redirect this client follows.
pub(crate) fn is_redirect(status: StatusCode) -> bool {
    matches!(status.as_u16(), 301 | 302 | 303 | 307 | 308)
}

/// Whether following a `status` redirect turns a `method` request into a bodiless `GET`.
fn becomes_get(status: StatusCode, method: &Method) -> bool {
    match status.as_u16() {
        303 => *method != Method::GET && *method != Method::HEAD,
        301 | 302 => *method == Method::POST,
        _ => false,
    }
}

/// The redirect for a `status` response carrying `location`, from a `method` request to
/// `current`.
pub(crate) fn redirect(
    status: StatusCode,
    method: &Method,
    current: &Url,
    location: &[u8],
) -> Result<Redirect, Error> {
    let location = std::str::from_utf8(location).map_err(|_| {
        Error::new(ErrorKind::InvalidUrl, current.as_str()).with_source("Location is not UTF-8")
    })?;
    let mut url = current.join(location).map_err(|e| {
        Error::new(ErrorKind::InvalidUrl, location)
            .with_source(format!("redirect from {current}: {e}"))
    })?;
    url.set_fragment(None);
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Error::new(ErrorKind::UnsupportedScheme, url.as_str())
            .with_source(format!("redirect from {current}")));
    }
    Ok(Redirect {
        cross_origin: url.origin() != current.origin(),
        to_get: becomes_get(status, method),
        url,
    })
}

/// Rewrites method, body and headers for following `r`.
pub(crate) fn apply(
    r: &Redirect,
    method: &mut Method,
    body: &mut bytes::Bytes,
    headers: &mut HeaderMap,
) {
    if r.to_get {
        *method = Method::GET;
        *body = bytes::Bytes::new();
        headers.remove(CONTENT_TYPE);
    }
    if r.cross_origin {
        for name in [AUTHORIZATION, PROXY_AUTHORIZATION, COOKIE, HOST] {
            headers.remove(name);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(code: u16) -> StatusCode {
        StatusCode::from_u16(code).unwrap()
    }

    #[test]
    fn targets() {
        let cur = Url::parse("http://a.test:8080/dir/page?x=1").unwrap();
        let get = Method::GET;
        let r = redirect(s(302), &get, &cur, b"other#frag").unwrap();
        assert_eq!(r.url.as_str(), "http://a.test:8080/dir/other");
        assert!(!r.cross_origin);
        let r = redirect(s(307), &get, &cur, b"http://b.test/").unwrap();
        assert!(r.cross_origin);
        let r = redirect(s(308), &get, &cur, b"//a.test:8081/").unwrap();
        assert!(r.cross_origin);
        let r = redirect(s(301), &get, &cur, b"https://a.test:8080/").unwrap();
        assert!(r.cross_origin, "another scheme is another origin");
        let e = redirect(s(301), &get, &cur, b"ftp://a.test/").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::UnsupportedScheme);
        let e = redirect(s(301), &get, &cur, b"http://[bad/").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidUrl);
        assert!(is_redirect(s(303)) && !is_redirect(s(304)) && !is_redirect(s(300)));
    }

    /// Which method each status and method leads to (Fetch's rules, curl's defaults).
    #[test]
    fn method_table() {
        let cur = Url::parse("http://a.test/").unwrap();
        let cases = [
            (301, Method::POST, Method::GET),
            (302, Method::POST, Method::GET),
            (303, Method::POST, Method::GET),
            (307, Method::POST, Method::POST),
            (308, Method::POST, Method::POST),
            (301, Method::PUT, Method::PUT),
            (302, Method::PUT, Method::PUT),
            (302, Method::DELETE, Method::DELETE),
            (301, Method::PATCH, Method::PATCH),
            (303, Method::PUT, Method::GET),
            (303, Method::DELETE, Method::GET),
            (301, Method::HEAD, Method::HEAD),
            (302, Method::HEAD, Method::HEAD),
            (303, Method::HEAD, Method::HEAD),
            (303, Method::GET, Method::GET),
            (308, Method::OPTIONS, Method::OPTIONS),
        ];
        for (code, from, want) in cases {
            let r = redirect(s(code), &from, &cur, b"/x").unwrap();
            let mut method = from.clone();
            let mut body = bytes::Bytes::from_static(b"data");
            let mut h = HeaderMap::new();
            h.insert(CONTENT_TYPE, "text/plain".parse().unwrap());
            apply(&r, &mut method, &mut body, &mut h);
            assert_eq!(method, want, "{code} {from}");
            let kept = method == from;
            assert_eq!(body.len(), if kept { 4 } else { 0 }, "{code} {from}");
            assert_eq!(h.contains_key(CONTENT_TYPE), kept, "{code} {from}");
        }
    }

    #[test]
    fn credentials_stay_on_their_origin() {
        let cur = Url::parse("http://a.test/").unwrap();
        let mut h = HeaderMap::new();
        h.insert(AUTHORIZATION, "Bearer x".parse().unwrap());
        h.insert(COOKIE, "c=1".parse().unwrap());
        let (mut m, mut b) = (Method::GET, bytes::Bytes::new());
        apply(
            &redirect(s(302), &m, &cur, b"/same").unwrap(),
            &mut m,
            &mut b,
            &mut h,
        );
        assert_eq!(h.len(), 2);
        apply(
            &redirect(s(302), &m, &cur, b"http://b.test/").unwrap(),
            &mut m,
            &mut b,
            &mut h,
        );
        assert!(h.is_empty());
    }
}
