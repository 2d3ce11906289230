//! `Expect: 100-continue` across exchanges (RFC 9110 §10.1.1): the interim response is owed
//! only while the client waits for it, never carried over to the next request, never sent to
//! an HTTP/1.0 client, and never ahead of final responses to earlier pipelined requests.

mod util;

use std::time::Duration;

use corio_http::{Request, Response, ServerConfig};
use util::{start, start_with, stop, Client};

/// `/echo` reads the body and sends it back (a body error becomes its status); `/ignore` never
/// reads it; anything else answers `ok`.
async fn app(mut req: Request) -> Response {
    match req.path() {
        "/echo" => match req.body_mut().to_bytes(1 << 20).await {
            Ok(body) => Response::text(body),
            Err(e) => Response::error(e.status(), ""),
        },
        "/ignore" => Response::text("ignored"),
        _ => Response::text("ok"),
    }
}

/// A short body timeout: a request whose body never comes is answered (408) instead of
/// waited on, which is how these tests see what the server sent before the body.
fn short_body_timeout() -> ServerConfig {
    ServerConfig {
        body_timeout: Duration::from_millis(300),
        ..ServerConfig::default()
    }
}

/// The first request expects `100 Continue` but sends its body at once, so none is owed.
const EXPECTING_WITH_BODY: &str =
    "POST /echo HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\nhello";

#[test]
fn no_unsolicited_continue_for_the_next_request() {
    let server = start_with(short_body_timeout(), app);
    let mut client = Client::connect(server.local_addr());
    client.send(EXPECTING_WITH_BODY);
    let first = client.read_response();
    assert_eq!((first.status, first.text().as_str()), (200, "hello"));
    // The next request does not expect `100 Continue` and holds back its body: the first
    // thing the server sends must be the final response (here 408 once the body times out).
    client.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\n");
    let second = client.read_response();
    assert_eq!(
        second.status, 408,
        "got {second:?} instead of the final response"
    );
    stop(server);
}

#[test]
fn never_a_continue_for_an_http10_request() {
    let server = start_with(short_body_timeout(), app);
    let mut client = Client::connect(server.local_addr());
    client.send(EXPECTING_WITH_BODY);
    assert_eq!(client.read_response().status, 200);
    client.send(
        "POST /echo HTTP/1.0\r\nConnection: keep-alive\r\nExpect: 100-continue\r\n\
         Content-Length: 5\r\n\r\n",
    );
    let second = client.read_response();
    assert_eq!(
        second.status, 408,
        "got {second:?} instead of the final response"
    );
    stop(server);
}

#[test]
fn an_expectation_met_by_the_body_costs_no_close() {
    let server = start(app);
    let mut client = Client::connect(server.local_addr());
    // Body sent without waiting, read by the handler; then a request whose body the handler
    // ignores; then a GET: all three answered on the same connection.
    client.send(format!(
        "{EXPECTING_WITH_BODY}\
         POST /ignore HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc\
         GET / HTTP/1.1\r\nHost: t\r\n\r\n"
    ));
    for want in ["hello", "ignored", "ok"] {
        let reply = client.read_response();
        assert_eq!((reply.status, reply.text().as_str()), (200, want));
        assert!(!reply.says_close(), "{want}: needless close");
    }
    // Unread, and expecting `100 Continue` with the body already there: no close either.
    client.send(
        "POST /ignore HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc\
         GET / HTTP/1.1\r\nHost: t\r\n\r\n",
    );
    for want in ["ignored", "ok"] {
        let reply = client.read_response();
        assert_eq!((reply.status, reply.text().as_str()), (200, want));
        assert!(!reply.says_close(), "{want}: needless close");
    }
    stop(server);
}

#[test]
fn continue_follows_earlier_pipelined_responses() {
    let server = start(app);
    let mut client = Client::connect(server.local_addr());
    // A GET and, pipelined behind it, a POST that waits for `100 Continue`: the GET's answer
    // is buffered when the handler asks for the body, and must go out first.
    client.send(
        "GET / HTTP/1.1\r\nHost: t\r\n\r\n\
         POST /echo HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n",
    );
    let first = client.read_response();
    assert_eq!((first.status, first.text().as_str()), (200, "ok"));
    let interim = client.read_response();
    assert_eq!(interim.status, 100, "the interim response comes second");
    client.send("hello");
    let last = client.read_response();
    assert_eq!((last.status, last.text().as_str()), (200, "hello"));
    stop(server);
}
