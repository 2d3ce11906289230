//! `CONNECT` (RFC 9110 §9.3.6): the server provides no tunnel. A [`Router`] without a route
//! for it answers `501`; a route made for it is called, and whatever it answers, the
//! connection closes after the response (a 2xx goes out without body or framing fields, as
//! the start of a tunnel would) and nothing pipelined behind it is read as HTTP.

mod util;

use corio_http::{Request, Response, Router};
use http::{Method, StatusCode};
use util::{start, stop, Client};

const CONNECT: &str = "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n";
const NEXT: &str = "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n";

async fn hello(_req: Request) -> Response {
    Response::text("hello")
}

#[test]
fn a_router_without_a_connect_route_answers_501_and_closes() {
    // Routes and a mount that would otherwise catch an empty path.
    let router = Router::new()
        .get("/", hello)
        .get("/hello", hello)
        .mount("/", hello);
    let server = start(router);
    let mut client = Client::connect(server.local_addr());
    client.send(format!("{CONNECT}{NEXT}"));
    let replies = client.read_all_responses();
    assert_eq!(replies.len(), 1, "{replies:?}");
    assert_eq!((replies[0].status, replies[0].says_close()), (501, true));
    stop(server);
}

#[test]
fn a_connect_route_is_called_and_the_connection_closes_after_it() {
    let router =
        Router::new()
            .get("/hello", hello)
            .route(Method::CONNECT, "/", |req: Request| async move {
                assert_eq!(req.target().authority(), Some("example.com:443"));
                Response::text("tunnel refused, but politely")
                    .with_header(http::header::ALLOW, http::HeaderValue::from_static("GET"))
            });
    let server = start(router);
    let mut client = Client::connect(server.local_addr());
    client.send(format!("{CONNECT}{NEXT}"));
    let raw = String::from_utf8(client.read_to_end()).unwrap();
    // A 2xx to CONNECT has no body and no framing fields, and the connection ends with it.
    assert!(raw.starts_with("HTTP/1.1 200 OK\r\n"), "{raw:?}");
    let lower = raw.to_ascii_lowercase();
    assert!(lower.contains("connection: close\r\n"), "{raw:?}");
    assert!(!lower.contains("content-length"), "{raw:?}");
    assert!(raw.ends_with("\r\n\r\n"), "no body after the head: {raw:?}");
    assert_eq!(
        raw.matches("HTTP/1.1").count(),
        1,
        "the pipelined GET is not answered"
    );
    stop(server);
}

#[test]
fn a_plain_handler_answering_connect_with_an_error_closes_too() {
    let server = start(|_req: Request| async { Response::error(StatusCode::FORBIDDEN, "") });
    let mut client = Client::connect(server.local_addr());
    client.send(format!("{CONNECT}{NEXT}"));
    let replies = client.read_all_responses();
    assert_eq!(replies.len(), 1, "{replies:?}");
    assert_eq!((replies[0].status, replies[0].says_close()), (403, true));
    stop(server);
}
