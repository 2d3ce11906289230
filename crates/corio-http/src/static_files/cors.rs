//! CORS for `corio serve --cors`: any origin may read the files, without credentials.
//!
//! * Every response gets `Access-Control-Allow-Origin: *` and
//!   `Access-Control-Expose-Headers` naming the headers a script reading a file needs
//!   (length, range, encoding, validators).
//! * A preflight (`OPTIONS` with `Origin` and `Access-Control-Request-Method`) is answered
//!   before anything else, authentication included (browsers never send credentials on a
//!   preflight), with 204, the allowed methods, the requested headers echoed back (with
//!   `Vary: Access-Control-Request-Headers`), and `Access-Control-Max-Age` so a browser asks
//!   once a day per URL, not before every request.
//! * The wildcard origin forbids credentialed requests in browsers (Fetch), which is the
//!   point: `--cors` shares public files; combined with `--auth`, a cross-origin script still
//!   cannot send the password.

use http::header::{
    HeaderMap, HeaderValue, ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS,
    ACCESS_CONTROL_ALLOW_ORIGIN, ACCESS_CONTROL_EXPOSE_HEADERS, ACCESS_CONTROL_MAX_AGE,
    ACCESS_CONTROL_REQUEST_HEADERS, ACCESS_CONTROL_REQUEST_METHOD, ORIGIN, VARY,
};
use http::Method;

use super::ALLOWED_METHODS;

/// How long (seconds) a browser may cache a preflight answer: one day (browsers cap it,
/// Chromium at two hours).
pub const MAX_AGE_SECS: u32 = 86_400;

/// Response headers a cross-origin script may read besides the CORS-safelisted ones.
const EXPOSED: &str = "Content-Length, Content-Range, Content-Encoding, Accept-Ranges, ETag";

/// Whether the request is a CORS preflight.
pub fn is_preflight(method: &Method, headers: &HeaderMap) -> bool {
    method == Method::OPTIONS
        && headers.contains_key(ORIGIN)
        && headers.contains_key(ACCESS_CONTROL_REQUEST_METHOD)
}

/// The headers of the 204 answering a preflight.
pub fn preflight_headers(request: &HeaderMap) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    headers.insert(
        ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static(ALLOWED_METHODS),
    );
    if let Some(requested) = request.get(ACCESS_CONTROL_REQUEST_HEADERS) {
        headers.insert(ACCESS_CONTROL_ALLOW_HEADERS, requested.clone());
    }
    headers.insert(
        VARY,
        HeaderValue::from_static("Access-Control-Request-Headers"),
    );
    headers.insert(ACCESS_CONTROL_MAX_AGE, HeaderValue::from(MAX_AGE_SECS));
    headers
}

/// Adds the CORS headers of an actual (non-preflight) response.
pub fn add_response_headers(headers: &mut HeaderMap) {
    headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    headers.insert(
        ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static(EXPOSED),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preflight_detection_and_answer() {
        let mut request = HeaderMap::new();
        assert!(!is_preflight(&Method::OPTIONS, &request));
        request.insert(ORIGIN, HeaderValue::from_static("https://a.example"));
        assert!(!is_preflight(&Method::OPTIONS, &request));
        request.insert(
            ACCESS_CONTROL_REQUEST_METHOD,
            HeaderValue::from_static("GET"),
        );
        assert!(is_preflight(&Method::OPTIONS, &request));
        assert!(!is_preflight(&Method::GET, &request));
        let answer = preflight_headers(&request);
        assert_eq!(answer[ACCESS_CONTROL_ALLOW_ORIGIN], "*");
        assert_eq!(answer[ACCESS_CONTROL_ALLOW_METHODS], "GET, HEAD, OPTIONS");
        assert_eq!(answer[ACCESS_CONTROL_MAX_AGE], "86400");
        assert!(!answer.contains_key(ACCESS_CONTROL_ALLOW_HEADERS));
        request.insert(
            ACCESS_CONTROL_REQUEST_HEADERS,
            HeaderValue::from_static("range, x-custom"),
        );
        assert_eq!(
            preflight_headers(&request)[ACCESS_CONTROL_ALLOW_HEADERS],
            "range, x-custom"
        );
    }
}
