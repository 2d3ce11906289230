//! Heads as text: the response head for `-i`/`-I` (on the output, as received), and both
//! heads for `-v` (on stderr, `> ` before what was sent and `< ` before what came back, as
//! curl shows them).
//!
//! The request head is rebuilt from the request by the client's own framing rules (request
//! line, `host` first, the client's `user-agent` unless the request has one, the request's
//! fields in order, `content-length` when there is a body or the method normally has one), so
//! nothing the client adds is left out.

use http::{HeaderMap, Method, StatusCode};
use url::{Position, Url};

/// The status line and fields of a response, CRLF-terminated, with the empty line.
pub fn response(version: &str, status: StatusCode, headers: &HeaderMap) -> String {
    let mut s = format!(
        "{version} {} {}\r\n",
        status.as_str(),
        status.canonical_reason().unwrap_or("")
    );
    for (name, value) in headers {
        s.push_str(name.as_str());
        s.push_str(": ");
        s.push_str(&String::from_utf8_lossy(value.as_bytes()));
        s.push_str("\r\n");
    }
    s.push_str("\r\n");
    s
}

/// The request head as sent by a client whose `User-Agent` is `user_agent`, for `-v`: each
/// line prefixed with `> `.
pub fn verbose_request(
    method: &Method,
    url: &str,
    headers: &HeaderMap,
    body_len: usize,
    user_agent: &str,
) -> String {
    let mut lines = Vec::new();
    let (target, host) = match Url::parse(url) {
        Ok(u) => (
            match &u[Position::BeforePath..Position::AfterQuery] {
                "" => "/".to_owned(),
                t => t.to_owned(),
            },
            u[Position::BeforeHost..Position::AfterPort].to_owned(),
        ),
        Err(_) => (url.to_owned(), String::new()),
    };
    lines.push(format!("{method} {target} HTTP/1.1"));
    match headers.get(http::header::HOST) {
        Some(h) => lines.push(format!("host: {}", String::from_utf8_lossy(h.as_bytes()))),
        None => lines.push(format!("host: {host}")),
    }
    if !headers.contains_key(http::header::USER_AGENT) {
        lines.push(format!("user-agent: {user_agent}"));
    }
    for (name, value) in headers {
        if name == http::header::HOST
            || name == http::header::CONTENT_LENGTH
            || name == http::header::TRANSFER_ENCODING
        {
            continue;
        }
        lines.push(format!(
            "{name}: {}",
            String::from_utf8_lossy(value.as_bytes())
        ));
    }
    if body_len > 0 || matches!(*method, Method::POST | Method::PUT | Method::PATCH) {
        lines.push(format!("content-length: {body_len}"));
    }
    prefixed("> ", lines)
}

/// A response head for `-v`: each line prefixed with `< `.
pub fn verbose_response(version: &str, status: StatusCode, headers: &HeaderMap) -> String {
    let text = response(version, status, headers);
    prefixed("< ", text.split("\r\n").filter(|l| !l.is_empty()))
}

/// The lines, each behind `prefix`, then the prefix alone for the empty line ending a head.
fn prefixed<S: AsRef<str>>(prefix: &str, lines: impl IntoIterator<Item = S>) -> String {
    let mut out = String::new();
    for line in lines {
        out.push_str(prefix);
        out.push_str(line.as_ref());
        out.push('\n');
    }
    out.push_str(prefix.trim_end());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn response_head() {
        let mut h = HeaderMap::new();
        h.insert("content-length", "5".parse().unwrap());
        assert_eq!(
            response("HTTP/1.1", StatusCode::NOT_FOUND, &h),
            "HTTP/1.1 404 Not Found\r\ncontent-length: 5\r\n\r\n"
        );
        assert_eq!(
            verbose_response("HTTP/1.1", StatusCode::NOT_FOUND, &h),
            "< HTTP/1.1 404 Not Found\n< content-length: 5\n<"
        );
    }

    #[test]
    fn request_head() {
        let mut h = HeaderMap::new();
        h.insert("content-length", "999".parse().unwrap());
        assert_eq!(
            verbose_request(&Method::GET, "http://a:81?q#f", &h, 0, "corio/1"),
            "> GET /?q HTTP/1.1\n> host: a:81\n> user-agent: corio/1\n>"
        );
        h.insert("host", "b".parse().unwrap());
        h.insert("user-agent", "mine/2".parse().unwrap());
        assert_eq!(
            verbose_request(&Method::POST, "http://a/x", &h, 3, "corio/1"),
            "> POST /x HTTP/1.1\n> host: b\n> user-agent: mine/2\n> content-length: 3\n>"
        );
    }
}
