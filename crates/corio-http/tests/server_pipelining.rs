//! Pipelining over a real socket: many requests in one write are answered in order, with
//! bodies in between them framed correctly.

mod util;

use corio_http::{Request, Response};
use util::{start, stop, Client};

/// Answers with the request's method and path, after reading (and counting) its body.
async fn name_path(mut req: Request) -> Response {
    let body = req.body_mut().to_bytes(1 << 20).await;
    let len = body.map_or(usize::MAX, |b| b.len());
    Response::text(format!("{} {} body={len}", req.method(), req.path()))
}

#[test]
fn ten_pipelined_gets_answered_in_order() {
    let server = start(name_path);
    let mut client = Client::connect(server.local_addr());
    let burst: String = (0..10)
        .map(|i| format!("GET /req/{i} HTTP/1.1\r\nHost: t\r\n\r\n"))
        .collect();
    client.send(burst);
    for i in 0..10 {
        let reply = client.read_response();
        assert_eq!(reply.status, 200);
        assert_eq!(reply.text(), format!("GET /req/{i} body=0"));
        assert!(!reply.says_close());
    }
    // Still open: one more round trip works.
    client.send("GET /after HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    let last = client.read_response();
    assert_eq!(last.text(), "GET /after body=0");
    assert!(last.says_close());
    assert!(client.is_closed());
    stop(server);
}

#[test]
fn pipelined_requests_with_bodies_in_between() {
    let server = start(name_path);
    let mut client = Client::connect(server.local_addr());
    client.send(concat!(
        "POST /a HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello",
        "GET /b HTTP/1.1\r\nHost: t\r\n\r\n",
        "PUT /c HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
        "GET /d HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
        "GET /never HTTP/1.1\r\nHost: t\r\n\r\n",
    ));
    let replies = client.read_all_responses();
    let texts: Vec<String> = replies.iter().map(|r| r.text()).collect();
    assert_eq!(
        texts,
        [
            "POST /a body=5",
            "GET /b body=0",
            "PUT /c body=5",
            "GET /d body=0"
        ],
        "the request after `Connection: close` is not answered"
    );
    stop(server);
}

#[test]
fn pipelined_bodies_ignored_by_the_handler_are_skipped() {
    // A handler that never reads the body: the server drains it and the next request
    // pipelined after it is still parsed at the right place.
    let server = start(|req: Request| async move { Response::text(req.path().to_owned()) });
    let mut client = Client::connect(server.local_addr());
    client.send(concat!(
        "POST /one HTTP/1.1\r\nHost: t\r\nContent-Length: 11\r\n\r\nGET /evil H",
        "POST /two HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nGET \r\n0\r\n\r\n",
        "GET /three HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
    ));
    let texts: Vec<String> = client
        .read_all_responses()
        .iter()
        .map(|r| r.text())
        .collect();
    assert_eq!(texts, ["/one", "/two", "/three"]);
    stop(server);
}

#[test]
fn a_bad_request_in_a_pipeline_ends_it() {
    let server = start(name_path);
    let mut client = Client::connect(server.local_addr());
    client.send(concat!(
        "GET /good HTTP/1.1\r\nHost: t\r\n\r\n",
        "GET /bad HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
        "GET /smuggled HTTP/1.1\r\nHost: t\r\n\r\n",
    ));
    let replies = client.read_all_responses();
    let statuses: Vec<u16> = replies.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [200, 400]);
    assert_eq!(replies[0].text(), "GET /good body=0");
    assert!(replies[1].says_close());
    stop(server);
}

#[test]
fn many_pipelined_requests_with_large_responses() {
    // More output than the write high-water mark: the server writes as it goes and every
    // response still arrives whole and in order.
    let server = start(|req: Request| async move {
        let n: usize = req.path()[1..].parse().unwrap_or(0);
        Response::text(format!("{n:08}").repeat(512))
    });
    let mut client = Client::connect(server.local_addr());
    let burst: String = (0..300)
        .map(|i| format!("GET /{i} HTTP/1.1\r\nHost: t\r\n\r\n"))
        .collect();
    client.send(burst);
    for i in 0..300 {
        let reply = client.read_response();
        assert_eq!(reply.status, 200);
        assert_eq!(reply.body.len(), 4096);
        assert!(reply.text().starts_with(&format!("{i:08}")), "response {i}");
    }
    stop(server);
}

/// Returns `Pending` once (waking its task at once), as a handler that waits does.
async fn yield_once() {
    let mut yielded = false;
    std::future::poll_fn(|cx| {
        if yielded {
            return std::task::Poll::Ready(());
        }
        yielded = true;
        cx.waker().wake_by_ref();
        std::task::Poll::Pending
    })
    .await
}

/// Answers at once, after waiting, with a 404, or panics, by path.
async fn mixed(req: Request) -> Response {
    match req.path() {
        "/wait" => {
            yield_once().await;
            Response::text("waited")
        }
        "/missing" => Response::error(http::StatusCode::NOT_FOUND, ""),
        "/panic" => panic!("the handler of /panic panics"),
        path => Response::text(path.to_owned()),
    }
}

/// The driver answers a burst in one pass while its handlers are ready at once, and leaves
/// that pass for a handler that waits or a response that is not a plain `200`: the answers
/// stay in order across those switches, and a panic mid-burst ends it with a 500.
#[test]
fn a_burst_mixing_waiting_handlers_errors_and_a_panic_stays_in_order() {
    let server = start(mixed);
    let mut client = Client::connect(server.local_addr());
    let paths = [
        "/a", "/wait", "/b", "/missing", "/c", "/wait", "/wait", "/d", "/panic", "/never",
    ];
    let burst: String = paths
        .iter()
        .map(|path| format!("GET {path} HTTP/1.1\r\nHost: t\r\n\r\n"))
        .collect();
    client.send(burst);
    for path in &paths[..8] {
        let reply = client.read_response();
        match *path {
            "/wait" => assert_eq!((reply.status, reply.text()), (200, "waited".into())),
            "/missing" => assert_eq!(reply.status, 404),
            path => assert_eq!((reply.status, reply.text()), (200, path.into())),
        }
        assert!(!reply.says_close(), "{path}");
    }
    let panicked = client.read_response();
    assert_eq!(panicked.status, 500);
    assert!(panicked.says_close());
    // Nothing pipelined after the panic is answered.
    assert!(client.is_closed());
    stop(server);
}
