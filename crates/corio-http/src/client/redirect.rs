//! Redirect rules: where a 3xx response sends the request, and what is carried along.
//!
//! Invariants (RFC 9110 §15.4):
//! - 301, 302 and 303 turn the request into a `GET` without a body (`HEAD` stays `HEAD`);
//!   307 and 308 keep the method and the body;
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
    /// Whether the request becomes a bodiless `GET` (unless it was `HEAD`).
    pub to_get: bool,
    /// Whether the next URL is of another origin.
    pub cross_origin: bool,
}

/// Whether `status` is a redirect this client follows.
pub(crate) fn is_redirect(status: StatusCode) -> bool {
    matches!(status.as_u16(), 301 | 302 | 303 | 307 | 308)
}

/// The redirect for a `status` response carrying `location`, from `current`.
pub(crate) fn redirect(
    status: StatusCode,
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
        to_get: matches!(status.as_u16(), 301..=303),
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
    if r.to_get && *method != Method::HEAD {
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
    fn targets_and_methods() {
        let cur = Url::parse("http://a.test:8080/dir/page?x=1").unwrap();
        let r = redirect(s(302), &cur, b"other#frag").unwrap();
        assert_eq!(r.url.as_str(), "http://a.test:8080/dir/other");
        assert!(r.to_get && !r.cross_origin);
        let r = redirect(s(307), &cur, b"http://b.test/").unwrap();
        assert!(!r.to_get && r.cross_origin);
        let r = redirect(s(308), &cur, b"//a.test:8081/").unwrap();
        assert!(r.cross_origin);
        let r = redirect(s(301), &cur, b"https://a.test:8080/").unwrap();
        assert!(r.cross_origin, "another scheme is another origin");
        let e = redirect(s(301), &cur, b"ftp://a.test/").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::UnsupportedScheme);
        let e = redirect(s(301), &cur, b"http://[bad/").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidUrl);
        assert!(is_redirect(s(303)) && !is_redirect(s(304)) && !is_redirect(s(300)));
    }

    #[test]
    fn rewriting() {
        let cur = Url::parse("http://a.test/").unwrap();
        let mut h = HeaderMap::new();
        h.insert(AUTHORIZATION, "Bearer x".parse().unwrap());
        h.insert(CONTENT_TYPE, "text/plain".parse().unwrap());
        let (mut m, mut b) = (Method::POST, bytes::Bytes::from_static(b"data"));
        apply(
            &redirect(s(307), &cur, b"/x").unwrap(),
            &mut m,
            &mut b,
            &mut h,
        );
        assert_eq!((m.clone(), b.len(), h.len()), (Method::POST, 4, 2));
        apply(
            &redirect(s(303), &cur, b"/x").unwrap(),
            &mut m,
            &mut b,
            &mut h,
        );
        assert_eq!((m.clone(), b.len(), h.len()), (Method::GET, 0, 1));
        apply(
            &redirect(s(302), &cur, b"http://b.test/").unwrap(),
            &mut m,
            &mut b,
            &mut h,
        );
        assert!(h.is_empty());
        let mut head = Method::HEAD;
        apply(
            &redirect(s(301), &cur, b"/y").unwrap(),
            &mut head,
            &mut b,
            &mut h,
        );
        assert_eq!(head, Method::HEAD);
    }
}
