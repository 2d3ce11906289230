//! Connection management and message semantics over a real socket: keep-alive rules of
//! HTTP/1.0 and 1.1, HEAD, target forms, `Expect: 100-continue`, request bodies, streamed
//! responses, limits on bodies, fixed headers, and a panicking handler.

mod util;

use std::collections::VecDeque;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use corio_http::proto::Limits;
use corio_http::{Request, Response, ResponseBody, ServerConfig};
use futures_core::Stream;
use http::StatusCode;
use util::{exchange, start, start_with, stop, Client};

/// A response stream over fixed pieces that yields `Pending` once before each piece, so the
/// server really waits on it.
struct Pieces {
    pieces: VecDeque<&'static str>,
    ready: bool,
}

impl Stream for Pieces {
    type Item = std::io::Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if !self.ready {
            self.ready = true;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        self.ready = false;
        Poll::Ready(
            self.pieces
                .pop_front()
                .map(|p| Ok(Bytes::from_static(p.as_bytes()))),
        )
    }
}

/// The test application:
/// - `/echo`: reads the body piece by piece with `Body::chunk` and sends it back (a body
///   error becomes its status);
/// - `/ignore`: never reads the body;
/// - `/stream`: a streamed body, `one two three`;
/// - `/panic`: panics;
/// - anything else: `METHOD target VERSION`.
async fn app(mut req: Request) -> Response {
    match req.path() {
        "/echo" => {
            let mut echoed = Vec::new();
            while let Some(piece) = req.body_mut().chunk().await {
                match piece {
                    Ok(piece) => echoed.extend_from_slice(&piece),
                    Err(e) => {
                        let status = e.status();
                        return Response::error(status, "");
                    }
                }
            }
            Response::text(echoed)
        }
        "/ignore" => Response::text("ignored"),
        "/stream" => Response::new(
            StatusCode::OK,
            ResponseBody::Stream(Box::pin(Pieces {
                pieces: ["one ", "two ", "three"].into(),
                ready: false,
            })),
        ),
        "/panic" => panic!("handler panicked on purpose"),
        _ => Response::text(format!(
            "{} {} {}",
            req.method(),
            req.target().as_str(),
            req.version().as_str()
        )),
    }
}

#[test]
fn http11_keeps_alive_by_default() {
    let server = start(app);
    let mut client = Client::connect(server.local_addr());
    for i in 0..3 {
        client.send(format!("GET /k{i} HTTP/1.1\r\nHost: t\r\n\r\n"));
        let reply = client.read_response();
        assert_eq!(reply.status, 200);
        assert_eq!(reply.text(), format!("GET /k{i} HTTP/1.1"));
        assert_eq!(reply.header("connection"), None);
    }
    stop(server);
}

#[test]
fn http11_connection_close_is_honoured() {
    let server = start(app);
    let mut client = Client::connect(server.local_addr());
    client.send("GET /bye HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    let reply = client.read_response();
    assert_eq!(reply.status, 200);
    assert!(reply.says_close());
    assert!(client.is_closed(), "the server closes after the response");
    stop(server);
}

#[test]
fn http10_closes_by_default() {
    let server = start(app);
    let mut client = Client::connect(server.local_addr());
    client.send("GET /old HTTP/1.0\r\n\r\n");
    let reply = client.read_response();
    assert_eq!(reply.status, 200);
    assert_eq!(reply.text(), "GET /old HTTP/1.0");
    assert!(reply.says_close());
    assert!(client.is_closed());
    stop(server);
}

#[test]
fn http10_keep_alive_on_request() {
    let server = start(app);
    let mut client = Client::connect(server.local_addr());
    for i in 0..2 {
        client.send(format!(
            "GET /ka{i} HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"
        ));
        let reply = client.read_response();
        assert_eq!(reply.text(), format!("GET /ka{i} HTTP/1.0"));
        assert_eq!(reply.header("connection"), Some("keep-alive"));
    }
    client.send("GET /last HTTP/1.0\r\n\r\n");
    assert!(client.read_response().says_close());
    assert!(client.is_closed());
    stop(server);
}

#[test]
fn head_has_no_body_and_the_length_of_get() {
    let server = start(app);
    let mut client = Client::connect(server.local_addr());
    client.send("GET /same HTTP/1.1\r\nHost: t\r\n\r\n");
    let get = client.read_response();
    client.send("HEAD /same HTTP/1.1\r\nHost: t\r\n\r\n");
    let head = client.read_head_response();
    assert_eq!(head.status, 200);
    // The body names the method, so compare with the length a GET of the same size has.
    let expected = "HEAD /same HTTP/1.1".len().to_string();
    assert_eq!(head.header("content-length"), Some(expected.as_str()));
    assert_eq!(get.header("content-type"), head.header("content-type"));
    // No body bytes followed the HEAD response: the next response starts right away.
    client.send("GET /next HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    assert_eq!(client.read_response().text(), "GET /next HTTP/1.1");
    assert!(client.is_closed());
    stop(server);
}

#[test]
fn head_of_a_streamed_body_sends_no_body() {
    let server = start(app);
    let mut client = Client::connect(server.local_addr());
    client.send("HEAD /stream HTTP/1.1\r\nHost: t\r\n\r\n");
    let head = client.read_head_response();
    assert_eq!(head.status, 200);
    client.send("GET /after HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    assert_eq!(client.read_response().text(), "GET /after HTTP/1.1");
    stop(server);
}

#[test]
fn absolute_form_target() {
    let server = start(app);
    let reply = exchange(
        server.local_addr(),
        "GET http://example.com/abs/path?q=1 HTTP/1.1\r\nHost: example.com\r\n\r\n",
    );
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.text(),
        "GET http://example.com/abs/path?q=1 HTTP/1.1",
        "the handler sees the target as sent"
    );
    stop(server);
}

#[test]
fn absolute_form_path_is_the_path() {
    let server = start(|req: Request| async move {
        Response::text(format!("{}?{}", req.path(), req.query().unwrap_or("")))
    });
    let reply = exchange(
        server.local_addr(),
        "GET http://example.com/abs/path?q=1 HTTP/1.1\r\nHost: example.com\r\n\r\n",
    );
    assert_eq!(reply.text(), "/abs/path?q=1");
    stop(server);
}

#[test]
fn options_asterisk_reaches_the_handler() {
    let server = start(app);
    let reply = exchange(server.local_addr(), "OPTIONS * HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(reply.status, 200);
    assert_eq!(reply.text(), "OPTIONS * HTTP/1.1");
    stop(server);
}

#[test]
fn expect_100_continue_then_body() {
    let server = start(app);
    let mut client = Client::connect(server.local_addr());
    client.send(
        "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 11\r\nExpect: 100-continue\r\n\r\n",
    );
    let interim = client.read_response();
    assert_eq!(interim.status, 100);
    assert_eq!(interim.version, "HTTP/1.1");
    client.send("hello world");
    let reply = client.read_response();
    assert_eq!(reply.status, 200);
    assert_eq!(reply.text(), "hello world");
    // The connection stays usable.
    client.send("GET /more HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    assert_eq!(client.read_response().text(), "GET /more HTTP/1.1");
    stop(server);
}

#[test]
fn expect_100_continue_chunked_then_body() {
    let server = start(app);
    let mut client = Client::connect(server.local_addr());
    client.send(
        "PUT /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n",
    );
    assert_eq!(client.read_response().status, 100);
    client.send("5\r\nchunk\r\n0\r\n\r\n");
    let reply = client.read_response();
    assert_eq!(reply.text(), "chunk");
    stop(server);
}

#[test]
fn expect_100_continue_unread_body_gets_final_response_and_close() {
    let server = start(app);
    let mut client = Client::connect(server.local_addr());
    client.send(
        "POST /ignore HTTP/1.1\r\nHost: t\r\nContent-Length: 11\r\nExpect: 100-continue\r\n\r\n",
    );
    let reply = client.read_response();
    assert_eq!(
        reply.status, 200,
        "no 100 Continue before the final response"
    );
    assert_eq!(reply.text(), "ignored");
    assert!(reply.says_close());
    assert!(client.is_closed());
    stop(server);
}

#[test]
fn content_length_body_echoed() {
    let server = start(app);
    let body = "x".repeat(100_000);
    let reply = exchange(
        server.local_addr(),
        format!(
            "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        ),
    );
    assert_eq!(reply.status, 200);
    assert_eq!(reply.text(), body);
    stop(server);
}

#[test]
fn body_sent_in_pieces_echoed() {
    let server = start(app);
    let mut client = Client::connect(server.local_addr());
    client.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 6\r\n\r\nab");
    client.send("cd");
    client.send("ef");
    assert_eq!(client.read_response().text(), "abcdef");
    stop(server);
}

#[test]
fn chunked_body_with_extensions_and_trailers_echoed() {
    let server = start(app);
    let mut client = Client::connect(server.local_addr());
    client.send(concat!(
        "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n",
        "5;name=value\r\nhello\r\n",
        "1\r\n \r\n",
        "A\r\n0123456789\r\n",
        "0\r\nX-Checksum: abc\r\nX-Other: 1\r\n\r\n",
    ));
    let reply = client.read_response();
    assert_eq!(reply.status, 200);
    assert_eq!(reply.text(), "hello 0123456789");
    // The trailers were consumed: the connection goes on in sync.
    client.send("GET /then HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    assert_eq!(client.read_response().text(), "GET /then HTTP/1.1");
    stop(server);
}

#[test]
fn streamed_response_is_chunked_for_http11() {
    let server = start(app);
    let mut client = Client::connect(server.local_addr());
    client.send("GET /stream HTTP/1.1\r\nHost: t\r\n\r\n");
    let reply = client.read_response();
    assert_eq!(reply.status, 200);
    assert!(reply.chunked);
    assert_eq!(reply.header("content-length"), None);
    assert_eq!(reply.text(), "one two three");
    assert!(!reply.says_close());
    client.send("GET /x HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    assert_eq!(client.read_response().text(), "GET /x HTTP/1.1");
    stop(server);
}

#[test]
fn streamed_response_is_close_delimited_for_http10() {
    let server = start(app);
    let mut client = Client::connect(server.local_addr());
    client.send("GET /stream HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    let reply = client.read_response();
    assert_eq!(reply.status, 200);
    assert!(!reply.chunked);
    assert_eq!(reply.header("transfer-encoding"), None);
    assert_eq!(reply.header("content-length"), None);
    assert!(reply.says_close());
    assert_eq!(reply.text(), "one two three");
    stop(server);
}

fn small_body_limit() -> ServerConfig {
    ServerConfig {
        limits: Limits {
            max_body: 1000,
            ..Limits::default()
        },
        ..ServerConfig::default()
    }
}

#[test]
fn content_length_over_the_limit_is_413() {
    let server = start_with(small_body_limit(), app);
    let mut client = Client::connect(server.local_addr());
    client.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 1001\r\n\r\n");
    let reply = client.read_response();
    assert_eq!(reply.status, 413);
    assert!(reply.says_close());
    assert!(client.is_closed());
    stop(server);
}

#[test]
fn chunked_body_over_the_limit_is_413() {
    let server = start_with(small_body_limit(), app);
    let mut client = Client::connect(server.local_addr());
    let chunk = "y".repeat(600);
    client.send(format!(
        "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n\
         258\r\n{chunk}\r\n258\r\n{chunk}\r\n0\r\n\r\n"
    ));
    let reply = client.read_response();
    assert_eq!(reply.status, 413);
    assert!(reply.says_close(), "a failed body ends the connection");
    assert!(client.is_closed());
    stop(server);
}

#[test]
fn body_at_the_limit_is_accepted() {
    let server = start_with(small_body_limit(), app);
    let body = "z".repeat(1000);
    let reply = exchange(
        server.local_addr(),
        format!("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\n{body}"),
    );
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body.len(), 1000);
    stop(server);
}

#[test]
fn date_and_server_headers_present() {
    let server = start(app);
    let reply = exchange(server.local_addr(), "GET / HTTP/1.1\r\nHost: t\r\n\r\n");
    let date = reply.header("date").expect("Date header");
    assert!(
        httpdate::parse_http_date(date).is_ok(),
        "Date is an IMF-fixdate: {date:?}"
    );
    assert!(date.ends_with(" GMT"));
    let server_name = reply.header("server").expect("Server header");
    assert!(!server_name.is_empty());
    assert_eq!(reply.headers_named("date").len(), 1);
    assert_eq!(reply.headers_named("server").len(), 1);
    // Error responses made by the server itself carry them too.
    let bad = exchange(server.local_addr(), "GET / HTTP/1.1\r\n\r\n");
    assert_eq!(bad.status, 400);
    assert!(bad.header("date").is_some());
    assert!(bad.header("server").is_some());
    stop(server);
}

#[test]
fn panicking_handler_gets_500_and_the_server_goes_on() {
    let server = start(app);
    let mut client = Client::connect(server.local_addr());
    client.send("GET /panic HTTP/1.1\r\nHost: t\r\n\r\n");
    let reply = client.read_response();
    assert_eq!(reply.status, 500);
    assert!(reply.says_close());
    assert!(client.is_closed());
    let next = exchange(server.local_addr(), "GET /fine HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(next.status, 200);
    assert_eq!(next.text(), "GET /fine HTTP/1.1");
    stop(server);
}
