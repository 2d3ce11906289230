//! Request bodies the handler did not read: before the handler's answer is written, the part
//! of the body that already arrived is taken in. A framing error there is answered with its
//! 4xx and a close instead of the handler's answer; a valid body is discarded and the
//! connection stays open; a body still on its way is drained before the answer.

mod util;

use corio_http::{Request, Response};
use http::StatusCode;
use util::{start, stop, Client};

/// `/ignore` never reads the body; `/half` reads one piece of it; anything else answers 405
/// without reading (a typical "wrong method" handler).
async fn app(mut req: Request) -> Response {
    match req.path() {
        "/ignore" => Response::text("ignored"),
        "/half" => {
            let _ = req.body_mut().chunk().await;
            Response::text("half")
        }
        _ => Response::error(StatusCode::METHOD_NOT_ALLOWED, ""),
    }
}

const NEXT: &str = "GET /ignore HTTP/1.1\r\nHost: t\r\n\r\n";

/// Sends `raw` and a pipelined GET in one write; returns every reply until the close.
fn replies_to(raw: &str) -> Vec<(u16, bool, String)> {
    let server = start(app);
    let mut client = Client::connect(server.local_addr());
    client.send_lossy(format!("{raw}{NEXT}"));
    let replies = client
        .read_all_responses()
        .into_iter()
        .map(|r| (r.status, r.says_close(), r.text()))
        .collect();
    stop(server);
    replies
}

#[test]
fn malformed_unread_chunked_body_gets_400_not_the_handlers_answer() {
    for (target, body) in [
        ("/ignore", "zz\r\nhello\r\n0\r\n\r\n"),
        ("/wrong-method", "5\r\nhelloXX0\r\n\r\n"),
        ("/ignore", "5;=x\r\nhello\r\n0\r\n\r\n"),
        ("/half", "5\r\nhello\r\n3\r\nabcde\r\n0\r\n\r\n"),
    ] {
        let raw = format!(
            "POST {target} HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n{body}"
        );
        let replies = replies_to(&raw);
        assert_eq!(replies.len(), 1, "{target} {body:?}: {replies:?}");
        let (status, close, _) = &replies[0];
        assert_eq!(
            (*status, *close),
            (400, true),
            "{target} {body:?}: {replies:?}"
        );
    }
}

#[test]
fn chunk_size_overflow_in_an_unread_body_gets_413() {
    let raw = "POST /ignore HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n\
               FFFFFFFFFFFFFFFF\r\nhello\r\n0\r\n\r\n";
    let replies = replies_to(raw);
    assert_eq!(replies.len(), 1, "{replies:?}");
    assert_eq!((replies[0].0, replies[0].1), (413, true));
}

#[test]
fn valid_unread_bodies_are_discarded_and_the_connection_stays_open() {
    for raw in [
        "POST /ignore HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n\
         5\r\nhello\r\n6;x=y\r\n world\r\n0\r\nX-T: 1\r\n\r\n",
        "POST /wrong-method HTTP/1.1\r\nHost: t\r\nContent-Length: 11\r\n\r\nhello world",
        "POST /half HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n\
         5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
    ] {
        let server = start(app);
        let mut client = Client::connect(server.local_addr());
        client.send(format!("{raw}{NEXT}"));
        let first = client.read_response();
        assert!(!first.says_close(), "{raw:?}: {first:?}");
        assert!(
            first.status == 200 || first.status == 405,
            "{raw:?}: {first:?}"
        );
        let next = client.read_response();
        assert_eq!((next.status, next.text().as_str()), (200, "ignored"));
        stop(server);
    }
}

#[test]
fn a_body_still_arriving_is_drained_before_the_answer() {
    let server = start(app);
    let mut client = Client::connect(server.local_addr());
    client.send("POST /ignore HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel");
    // The rest comes later, with a framing error: still answered with 400, since the answer
    // waits for the body.
    client.send("lo\r\nzz\r\n");
    let reply = client.read_response();
    assert_eq!((reply.status, reply.says_close()), (400, true), "{reply:?}");
    assert!(client.is_closed());
    stop(server);
}

thread_local! {
    /// A body a handler kept after its exchange (the server has one worker: one thread).
    static STASH: std::cell::RefCell<Option<corio_http::Body>> = const { std::cell::RefCell::new(None) };
}

#[test]
fn a_body_kept_past_its_exchange_reads_nothing_of_the_next_request() {
    let server = start(|mut req: Request| async move {
        if req.path() == "/stash" {
            let body = req.take_body();
            STASH.with(|stash| *stash.borrow_mut() = Some(body));
            return Response::text("stashed");
        }
        // Reads the previous request's body: it must not yield this request's bytes.
        let mut old = STASH.with(|stash| stash.borrow_mut().take()).unwrap();
        let stolen = match old.chunk().await {
            Some(Ok(bytes)) => String::from_utf8_lossy(&bytes).into_owned(),
            Some(Err(_)) => "error".to_owned(),
            None => "end".to_owned(),
        };
        let own = req.body_mut().to_bytes(64).await.unwrap();
        Response::text(format!("{stolen}/{}", String::from_utf8_lossy(&own)))
    });
    let mut client = Client::connect(server.local_addr());
    client.send(
        "POST /stash HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello\
         POST /read HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nworld",
    );
    assert_eq!(client.read_response().text(), "stashed");
    assert_eq!(client.read_response().text(), "error/world");
    stop(server);
}
