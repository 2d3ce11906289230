//! The framing fields belong to the server: a `Content-Length` or `Transfer-Encoding` a
//! handler sets never reaches the wire where it would be wrong (1xx, 204, 304, HEAD, a
//! close-delimited HTTP/1.0 stream, a length that disagrees with the body). The server writes
//! its own from the body.

mod util;

use std::io::Read;

use bytes::Bytes;
use corio_http::{Request, Response, ResponseBody};
use http::header::{HeaderValue, CONTENT_LENGTH, TRANSFER_ENCODING};
use http::StatusCode;
use util::{start, stop, Client};

fn with_framing(mut response: Response, length: &'static str) -> Response {
    let headers = response.headers_mut();
    headers.insert(CONTENT_LENGTH, HeaderValue::from_static(length));
    headers.insert(TRANSFER_ENCODING, HeaderValue::from_static("chunked"));
    response
}

fn stream(pieces: &'static [&'static str]) -> ResponseBody {
    let pieces = pieces.iter().map(|p| Ok(Bytes::from_static(p.as_bytes())));
    ResponseBody::Stream(Box::pin(ready_stream(pieces)))
}

/// A stream over ready items (what `futures::stream::iter` does), without the dependency.
fn ready_stream<I: Iterator<Item = std::io::Result<Bytes>> + Unpin + 'static>(
    items: I,
) -> impl futures_core::Stream<Item = std::io::Result<Bytes>> {
    struct Iter<I>(I);
    impl<I: Iterator<Item = std::io::Result<Bytes>> + Unpin> futures_core::Stream for Iter<I> {
        type Item = std::io::Result<Bytes>;
        fn poll_next(
            mut self: std::pin::Pin<&mut Self>,
            _cx: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Option<Self::Item>> {
            std::task::Poll::Ready(self.0.next())
        }
    }
    Iter(items)
}

/// Every route answers with a handler-set `Content-Length: 99` and `Transfer-Encoding`.
async fn app(req: Request) -> Response {
    let response = match req.path() {
        "/204" => Response::empty(StatusCode::NO_CONTENT),
        "/304" => Response::empty(StatusCode::NOT_MODIFIED),
        "/103" => Response::empty(StatusCode::from_u16(103).unwrap()),
        "/bytes" => Response::text("abc"),
        "/stream" => Response::new(StatusCode::OK, stream(&["ab", "c"])),
        _ => Response::text("?"),
    };
    with_framing(response, "99")
}

fn framing_fields(reply: &util::Reply) -> (Vec<&str>, Vec<&str>) {
    (
        reply.headers_named("content-length"),
        reply.headers_named("transfer-encoding"),
    )
}

#[test]
fn bodiless_statuses_carry_no_framing_fields() {
    let server = start(app);
    let mut client = Client::connect(server.local_addr());
    client.send(
        "GET /204 HTTP/1.1\r\nHost: t\r\n\r\nGET /304 HTTP/1.1\r\nHost: t\r\n\r\n\
         GET /bytes HTTP/1.1\r\nHost: t\r\n\r\n",
    );
    for path in ["/204", "/304"] {
        let reply = client.read_response();
        assert_eq!(
            framing_fields(&reply),
            (vec![], vec![]),
            "{path}: {reply:?}"
        );
    }
    // The connection is still in sync: the next response is framed by the server.
    let reply = client.read_response();
    assert_eq!(framing_fields(&reply), (vec!["3"], vec![]));
    assert_eq!(reply.text(), "abc");
    stop(server);
}

#[test]
fn an_informational_status_from_a_handler_carries_no_framing_fields() {
    let server = start(app);
    let mut client = Client::connect(server.local_addr());
    client.send("GET /103 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    let raw = String::from_utf8(client.read_to_end()).unwrap();
    assert!(raw.starts_with("HTTP/1.1 103"), "{raw:?}");
    let lower = raw.to_ascii_lowercase();
    assert!(
        !lower.contains("content-length") && !lower.contains("transfer-encoding"),
        "{raw:?}"
    );
    stop(server);
}

#[test]
fn a_length_that_disagrees_with_the_body_is_replaced() {
    let server = start(app);
    let mut client = Client::connect(server.local_addr());
    client.send("GET /bytes HTTP/1.1\r\nHost: t\r\n\r\nHEAD /bytes HTTP/1.1\r\nHost: t\r\n\r\n");
    let get = client.read_response();
    assert_eq!(framing_fields(&get), (vec!["3"], vec![]));
    assert_eq!(get.text(), "abc");
    // HEAD: the framing a GET would have, no body.
    let head = client.read_head_response();
    assert_eq!(framing_fields(&head), (vec!["3"], vec![]));
    client.send("GET /204 HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(
        client.read_response().status,
        204,
        "nothing left of a HEAD body"
    );
    stop(server);
}

#[test]
fn a_stream_shorter_than_its_length_never_makes_a_complete_response() {
    let server = start(app);
    let mut client = Client::connect(server.local_addr());
    client.send("GET /stream HTTP/1.1\r\nHost: t\r\n\r\n");
    // The handler announced 99 bytes and the stream has 3: the connection ends before a
    // complete response (a client sees the truncation), and no `Transfer-Encoding` ever
    // stands beside the length.
    let mut raw = Vec::new();
    client.stream().read_to_end(&mut raw).unwrap();
    let raw = String::from_utf8_lossy(&raw).to_ascii_lowercase();
    assert!(!raw.contains("transfer-encoding"), "{raw:?}");
    if let Some((head, body)) = raw.split_once("\r\n\r\n") {
        assert!(head.contains("content-length: 99"), "{raw:?}");
        assert!(body.len() < 99, "{raw:?}");
    }
    stop(server);
}

#[test]
fn a_close_delimited_http10_stream_has_no_framing_fields() {
    let server = start(|_req: Request| async {
        let mut response = Response::new(StatusCode::OK, stream(&["one ", "two"]));
        response
            .headers_mut()
            .insert(TRANSFER_ENCODING, HeaderValue::from_static("chunked"));
        response
    });
    let mut client = Client::connect(server.local_addr());
    client.send("GET / HTTP/1.0\r\n\r\n");
    let raw = String::from_utf8(client.read_to_end()).unwrap();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap();
    let head = head.to_ascii_lowercase();
    assert!(!head.contains("transfer-encoding"), "{head}");
    assert!(!head.contains("content-length"), "{head}");
    assert_eq!(body, "one two");
    stop(server);
}
