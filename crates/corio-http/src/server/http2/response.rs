//! corio's [`Response`] as an h2 response head plus the body to send.
//!
//! The rules the HTTP/1.1 writer applies, in HTTP/2's terms: `server` and `date` are added;
//! `content-length` is set when the body's length is known; connection-specific fields
//! (`connection`, `keep-alive`, `proxy-connection`, `transfer-encoding`, `upgrade`), which
//! RFC 9113 §8.2.2 forbids, are dropped; a HEAD response, a 1xx, 204 or 304 carries no body
//! (HEAD keeps the length the body would have had).

use std::cell::RefCell;

use bytes::Bytes;
use http::header::{
    HeaderName, CONNECTION, CONTENT_LENGTH, CONTENT_TYPE, DATE, SERVER, TRANSFER_ENCODING, UPGRADE,
};
use http::{HeaderMap, HeaderValue, StatusCode};

use crate::message::{Response, ResponseBody};
use crate::server::clock;

/// The value of the `server` field.
const SERVER_NAME: HeaderValue = HeaderValue::from_static("corio");

/// Fields that belong to one HTTP/1.1 connection and are malformed in HTTP/2.
const CONNECTION_SPECIFIC: [HeaderName; 5] = [
    CONNECTION,
    HeaderName::from_static("keep-alive"),
    HeaderName::from_static("proxy-connection"),
    TRANSFER_ENCODING,
    UPGRADE,
];

/// Splits `response` into its h2 head and the body to send (`None`: the head ends the
/// stream).
pub(super) fn to_h2(
    response: Response,
    is_head: bool,
) -> (http::Response<()>, Option<ResponseBody>) {
    let status = response.status;
    let bodiless = status.is_informational()
        || status == StatusCode::NO_CONTENT
        || status == StatusCode::NOT_MODIFIED;
    let len = if bodiless { None } else { response.body.len() };
    let headers = match response.headers {
        Some(headers) => handler_fields(*headers, status, response.content_type, len),
        None => fresh_fields(response.content_type, len),
    };
    let mut head = http::Response::new(());
    *head.status_mut() = status;
    *head.headers_mut() = headers;
    let body = (!is_head && !bodiless && !response.body.is_empty()).then_some(response.body);
    (head, body)
}

/// The handler's fields with corio's added where the handler set none, and the
/// connection-specific ones dropped. Out of line, as the rebuilding of [`Fresh`] fields: the
/// common response's code stays short (fewer instruction cache lines per request).
#[inline(never)]
fn handler_fields(
    mut headers: HeaderMap,
    status: StatusCode,
    content_type: Option<HeaderValue>,
    len: Option<u64>,
) -> HeaderMap {
    for name in &CONNECTION_SPECIFIC {
        headers.remove(name);
    }
    if status == StatusCode::NO_CONTENT || status.is_informational() {
        headers.remove(CONTENT_LENGTH);
    }
    if let Some(content_type) = content_type {
        headers.entry(CONTENT_TYPE).or_insert(content_type);
    }
    if let Some(len) = len {
        headers
            .entry(CONTENT_LENGTH)
            .or_insert_with(|| length_value(len));
    }
    add_fixed_fields(&mut headers);
    headers
}

/// Fields corio adds to a response without any of the handler's own: content type,
/// length, server, date.
const FRESH_FIELDS: usize = 4;

/// The fields of a response without any of the handler's own, and what they were made from.
struct Fresh {
    content_type: Option<HeaderValue>,
    len: Option<u64>,
    /// The `Date` value in `map`.
    date: HeaderValue,
    map: HeaderMap,
}

thread_local! {
    /// The last [`Fresh`] fields made. A handler's responses often repeat their type and
    /// length (a fixed body) within a second: cloning the map copies its few entries and
    /// shares their values' bytes, where building it hashes and inserts each field.
    static FRESH: RefCell<Option<Fresh>> = const { RefCell::new(None) };
}

/// The fields of a response without any of the handler's own: its content type and length
/// (when known), `server` and `date`.
fn fresh_fields(content_type: Option<HeaderValue>, len: Option<u64>) -> HeaderMap {
    clock::with_date(|date| {
        FRESH.with(|cached| {
            let mut cached = cached.borrow_mut();
            match &*cached {
                Some(fresh)
                    if fresh.len == len
                        && fresh.content_type == content_type
                        && fresh.date.as_bytes() == date =>
                {
                    fresh.map.clone()
                }
                _ => make_fresh(&mut cached, content_type, len, date),
            }
        })
    })
}

/// Builds the [`Fresh`] fields for `content_type`, `len` and `date`, and keeps them in
/// `cached` (unless `date` is not a valid value, never the case for the clock's rendering).
#[inline(never)]
fn make_fresh(
    cached: &mut Option<Fresh>,
    content_type: Option<HeaderValue>,
    len: Option<u64>,
    date: &[u8],
) -> HeaderMap {
    let date = HeaderValue::from_maybe_shared(Bytes::copy_from_slice(date)).ok();
    let mut map = HeaderMap::with_capacity(FRESH_FIELDS);
    if let Some(content_type) = &content_type {
        map.append(CONTENT_TYPE, content_type.clone());
    }
    if let Some(len) = len {
        map.append(CONTENT_LENGTH, HeaderValue::from(len));
    }
    map.append(SERVER, SERVER_NAME);
    let Some(date) = date else {
        return map;
    };
    map.append(DATE, date.clone());
    *cached = Some(Fresh {
        content_type,
        len,
        date,
        map: map.clone(),
    });
    map
}

/// A bodiless response with `status`, for errors found before the handler runs.
pub(super) fn status_only(status: StatusCode) -> http::Response<()> {
    let mut head = http::Response::new(());
    *head.status_mut() = status;
    head.headers_mut()
        .insert(CONTENT_LENGTH, HeaderValue::from_static("0"));
    add_fixed_fields(head.headers_mut());
    head
}

fn add_fixed_fields(headers: &mut HeaderMap) {
    headers.entry(SERVER).or_insert(SERVER_NAME);
    if let Some(date) = date_value() {
        headers.entry(DATE).or_insert(date);
    }
}

thread_local! {
    /// The worker clock's `Date` as a field value, made again only when the clock ticks:
    /// cloning it shares the bytes, where building one per response allocated and copied.
    static DATE_VALUE: RefCell<Option<HeaderValue>> = const { RefCell::new(None) };
}

thread_local! {
    /// The last `content-length` value made, and the length it says. A handler's responses
    /// often have one length (a fixed body): cloning the value shares its bytes, where making
    /// one allocates twice (its bytes, then their shared owner).
    static LENGTH_VALUE: RefCell<Option<(u64, HeaderValue)>> = const { RefCell::new(None) };
}

/// `len` as a `content-length` value.
fn length_value(len: u64) -> HeaderValue {
    LENGTH_VALUE.with(|cached| {
        let mut cached = cached.borrow_mut();
        match &*cached {
            Some((last, value)) if *last == len => value.clone(),
            _ => {
                let value = HeaderValue::from(len);
                *cached = Some((len, value.clone()));
                value
            }
        }
    })
}

/// The current `Date` value (`None` only if the clock's rendering were not a valid value).
fn date_value() -> Option<HeaderValue> {
    clock::with_date(|date| {
        DATE_VALUE.with(|cached| {
            let mut cached = cached.borrow_mut();
            if !matches!(&*cached, Some(value) if value.as_bytes() == date) {
                *cached = HeaderValue::from_maybe_shared(Bytes::copy_from_slice(date)).ok();
            }
            cached.clone()
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn head_keeps_the_length_and_drops_the_body() {
        let (head, body) = to_h2(Response::text("hello"), true);
        assert!(body.is_none());
        assert_eq!(head.headers()[CONTENT_LENGTH], "5");
        assert_eq!(head.headers()[CONTENT_TYPE], "text/plain");
        assert_eq!(head.headers()[SERVER], "corio");
        assert!(head.headers().contains_key(DATE));
    }

    #[test]
    fn each_length_and_type_is_said_right_whatever_came_before() {
        let cases = [
            (Response::text("hello"), "5", Some("text/plain")),
            (Response::text("hello"), "5", Some("text/plain")),
            (
                Response::html("hello"),
                "5",
                Some("text/html; charset=utf-8"),
            ),
            (Response::new(StatusCode::OK, "hello"), "5", None),
            (Response::text(""), "0", Some("text/plain")),
            (Response::text("hi"), "2", Some("text/plain")),
        ];
        for (response, length, content_type) in cases {
            let (head, _) = to_h2(response, false);
            let headers = head.headers();
            assert_eq!(headers[CONTENT_LENGTH], length);
            assert_eq!(
                headers.get(CONTENT_TYPE).map(|v| v.to_str().unwrap()),
                content_type
            );
            assert_eq!(headers[SERVER], "corio");
            assert!(headers.contains_key(DATE));
            assert_eq!(headers.len(), 3 + usize::from(content_type.is_some()));
        }
    }

    #[test]
    fn connection_fields_are_dropped() {
        let response = Response::text("x")
            .with_header(CONNECTION, HeaderValue::from_static("close"))
            .with_header(TRANSFER_ENCODING, HeaderValue::from_static("chunked"));
        let (head, body) = to_h2(response, false);
        assert!(!head.headers().contains_key(CONNECTION));
        assert!(!head.headers().contains_key(TRANSFER_ENCODING));
        assert!(body.is_some());
    }

    #[test]
    fn no_content_and_not_modified_have_no_body() {
        let (head, body) = to_h2(Response::new(StatusCode::NO_CONTENT, "x"), false);
        assert!(body.is_none());
        assert!(!head.headers().contains_key(CONTENT_LENGTH));
        let (_, body) = to_h2(Response::new(StatusCode::NOT_MODIFIED, "x"), false);
        assert!(body.is_none());
    }

    #[test]
    fn the_handlers_fields_win_over_corios() {
        let response = Response::text("hello")
            .with_header(SERVER, HeaderValue::from_static("mine"))
            .with_header(CONTENT_LENGTH, HeaderValue::from_static("5"));
        let (head, _) = to_h2(response, false);
        assert_eq!(head.headers()[SERVER], "mine");
        assert_eq!(head.headers().get_all(CONTENT_LENGTH).iter().count(), 1);
        assert!(head.headers().contains_key(DATE));
    }
}
