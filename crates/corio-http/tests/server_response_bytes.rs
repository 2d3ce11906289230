//! The exact bytes of HTTP/1.1 responses, head and body, for the commonest response (`200 OK`
//! text kept alive, the fast path of the response writer) and for every variation that leaves
//! it: `HEAD`, HTTP/1.0, `Connection: close` asked by the client or the handler, a field of
//! the handler's own, another status, another content type, its own `Content-Type`, an empty
//! body, a body too large to be copied, a stream. Only the `Date` value is masked.

mod util;

use std::io::{Read, Write};
use std::net::TcpStream;

use bytes::Bytes;
use corio_http::{Request, Response, ResponseBody};
use http::header::{HeaderName, HeaderValue, CONNECTION, CONTENT_TYPE};
use http::StatusCode;
use util::{start, stop};

const HELLO: Bytes = Bytes::from_static(b"Hello, World!");

/// The large body: past the size up to which a body is copied behind its head.
const LARGE: usize = 256 * 1024;

/// One piece at a time, as `futures::stream::iter` would, without the dependency.
struct Pieces(std::vec::IntoIter<Bytes>);

impl futures_core::Stream for Pieces {
    type Item = std::io::Result<Bytes>;
    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        std::task::Poll::Ready(self.0.next().map(Ok))
    }
}

async fn app(request: Request) -> Response {
    match request.path() {
        "/text" => Response::text(HELLO),
        "/html" => Response::html("<p>hi</p>"),
        "/empty" => Response::text(""),
        "/no-type" => Response::new(StatusCode::OK, HELLO),
        "/created" => Response::text(HELLO).with_header(
            HeaderName::from_static("x-id"),
            HeaderValue::from_static("7"),
        ),
        "/own-type" => {
            Response::text(HELLO).with_header(CONTENT_TYPE, HeaderValue::from_static("text/csv"))
        }
        "/accepted" => {
            let mut response = Response::text(HELLO);
            response.set_status(StatusCode::ACCEPTED);
            response
        }
        "/close" => {
            Response::text(HELLO).with_header(CONNECTION, HeaderValue::from_static("close"))
        }
        "/large" => Response::text(vec![b'x'; LARGE]),
        "/stream" => Response::new(
            StatusCode::OK,
            ResponseBody::Stream(Box::pin(Pieces(
                vec![Bytes::from_static(b"ab"), Bytes::from_static(b"cde")].into_iter(),
            ))),
        ),
        _ => Response::error(StatusCode::NOT_FOUND, ""),
    }
}

/// Sends `requests` in one write on a new connection and reads until the server closes it;
/// the `Date` values are replaced by `<date>`.
fn exchange(addr: std::net::SocketAddr, requests: &str) -> String {
    let mut conn = TcpStream::connect(addr).unwrap();
    conn.write_all(requests.as_bytes()).unwrap();
    let mut bytes = Vec::new();
    conn.read_to_end(&mut bytes).unwrap();
    let text = String::from_utf8(bytes).unwrap();
    let mut masked = String::new();
    let mut rest = text.as_str();
    while let Some(at) = rest.find("\r\ndate: ") {
        let value = at + "\r\ndate: ".len();
        let end = value + rest[value..].find("\r\n").unwrap();
        assert!(rest[value..end].ends_with(" GMT"), "{}", &rest[value..end]);
        masked.push_str(&rest[..value]);
        masked.push_str("<date>");
        rest = &rest[end..];
    }
    masked.push_str(rest);
    masked
}

fn head(status: &str, fields: &str) -> String {
    format!("HTTP/1.1 {status}\r\nserver: corio\r\ndate: <date>\r\n{fields}\r\n")
}

#[test]
fn kept_alive_responses_are_byte_for_byte_the_same() {
    let server = start(app);
    let get = |path: &str| format!("GET {path} HTTP/1.1\r\nHost: t\r\n\r\n");
    let mut requests = String::new();
    for path in [
        "/text",
        "/text",
        "/html",
        "/empty",
        "/no-type",
        "/created",
        "/own-type",
        "/accepted",
        "/stream",
        "/missing",
        "/text",
    ] {
        requests.push_str(&get(path));
    }
    requests.push_str("HEAD /text HTTP/1.1\r\nHost: t\r\n\r\n");
    requests.push_str("HEAD /stream HTTP/1.1\r\nHost: t\r\n\r\n");
    requests.push_str("GET /close HTTP/1.1\r\nHost: t\r\n\r\n");
    let text = "content-type: text/plain\r\ncontent-length: 13\r\n";
    let expected = [
        head("200 OK", text) + "Hello, World!",
        head("200 OK", text) + "Hello, World!",
        head(
            "200 OK",
            "content-type: text/html; charset=utf-8\r\ncontent-length: 9\r\n",
        ) + "<p>hi</p>",
        head(
            "200 OK",
            "content-type: text/plain\r\ncontent-length: 0\r\n",
        ),
        head("200 OK", "content-length: 13\r\n") + "Hello, World!",
        head(
            "200 OK",
            "content-type: text/plain\r\nx-id: 7\r\ncontent-length: 13\r\n",
        ) + "Hello, World!",
        head("200 OK", "content-type: text/csv\r\ncontent-length: 13\r\n") + "Hello, World!",
        head("202 Accepted", text) + "Hello, World!",
        head("200 OK", "transfer-encoding: chunked\r\n") + "2\r\nab\r\n3\r\ncde\r\n0\r\n\r\n",
        head(
            "404 Not Found",
            "content-type: text/plain; charset=utf-8\r\ncontent-length: 14\r\n",
        ) + "404 Not Found\n",
        head("200 OK", text) + "Hello, World!",
        head("200 OK", text),
        head("200 OK", "transfer-encoding: chunked\r\n"),
        head(
            "200 OK",
            "content-type: text/plain\r\nconnection: close\r\ncontent-length: 13\r\n",
        ) + "Hello, World!",
    ]
    .concat();
    assert_eq!(exchange(server.local_addr(), &requests), expected);
    stop(server);
}

#[test]
fn closing_and_http10_responses_are_byte_for_byte_the_same() {
    let server = start(app);
    let addr = server.local_addr();
    let text = "content-type: text/plain\r\n";
    assert_eq!(
        exchange(
            addr,
            "GET /text HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
        ),
        head(
            "200 OK",
            &format!("{text}connection: close\r\ncontent-length: 13\r\n")
        ) + "Hello, World!"
    );
    assert_eq!(
        exchange(
            addr,
            "GET /text HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /text HTTP/1.0\r\n\r\n"
        ),
        head(
            "200 OK",
            &format!("{text}connection: keep-alive\r\ncontent-length: 13\r\n")
        ) + "Hello, World!"
            + &head(
                "200 OK",
                &format!("{text}connection: close\r\ncontent-length: 13\r\n")
            )
            + "Hello, World!"
    );
    let large = exchange(
        addr,
        "GET /large HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
    );
    let large_head = head(
        "200 OK",
        &format!("{text}connection: close\r\ncontent-length: {LARGE}\r\n"),
    );
    assert_eq!(large.len(), large_head.len() + LARGE);
    assert!(large.starts_with(&large_head), "{}", &large[..200]);
    assert!(large[large_head.len()..].bytes().all(|b| b == b'x'));
    stop(server);
}
