//! Client errors: their kinds and the URL in their messages.

mod common;

use std::future::{poll_fn, Future};
use std::pin::pin;
use std::sync::mpsc;
use std::task::Poll;
use std::time::Duration;

use common::{ok, serve, Reply};
use corio_http::client::{Client, ClientRequest, ErrorKind, TimeoutKind};
use corio_http::proto::ProtoError;

#[test]
fn connection_refused_names_the_url() {
    corio::block_on(async {
        let listener = corio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        drop(listener);
        let url = format!("http://{addr}/x");
        let err = Client::new().get(&url).await.unwrap_err();
        assert_eq!(
            err.kind(),
            ErrorKind::Connect(std::io::ErrorKind::ConnectionRefused)
        );
        assert_eq!(err.url(), url);
        assert!(err.to_string().contains(&url), "{err}");
        assert!(err.to_string().contains("refused"), "{err}");
    });
}

#[test]
fn bad_urls_and_schemes() {
    corio::block_on(async {
        let client = Client::new();
        let err = client.get("not a url").await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidUrl);
        assert!(err.to_string().contains("not a url"));
        let err = client.get("ftp://127.0.0.1/").await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::UnsupportedScheme);
    });
}

#[test]
fn unresolvable_host() {
    corio::block_on(async {
        let err = Client::new()
            .get("http://no-such-host.invalid/")
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Resolve, "{err}");
    });
}

#[test]
fn read_timeout_when_the_server_never_answers() {
    corio::block_on(async {
        let server = serve(|_| Reply::Hang);
        let client = Client::builder()
            .read_timeout(Some(Duration::from_millis(50)))
            .build();
        let err = client.get(&server.url("/slow")).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Timeout(TimeoutKind::Read));
        assert!(err.to_string().contains("/slow"));
    });
}

#[test]
fn a_read_timeout_fires_on_a_body_that_stalls_after_the_head() {
    corio::block_on(async {
        // Ten bytes announced, three sent, then nothing (the connection stays open).
        let server =
            serve(|_| Reply::Send(b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nabc".to_vec()));
        let client = Client::builder()
            .read_timeout(Some(Duration::from_millis(50)))
            .build();
        let mut resp = client
            .send_streaming(ClientRequest::get(server.url("/stall")))
            .await
            .unwrap();
        let mut body = Vec::new();
        let err = resp.body.read_to_end(&mut body).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Timeout(TimeoutKind::Read));
        assert_eq!(body, b"abc");
        assert!(err.to_string().contains("/stall"));
    });
}

#[test]
fn the_read_timeout_fires_on_a_reused_connection() {
    corio::block_on(async {
        let server = serve(|seen| match seen.path.as_str() {
            "/ok" => ok("text/plain", "fine"),
            _ => Reply::Hang,
        });
        let client = Client::builder()
            .read_timeout(Some(Duration::from_millis(50)))
            .build();
        // Each of these waits for its response, moving the connection's one read deadline on.
        for _ in 0..3 {
            assert_eq!(client.get(&server.url("/ok")).await.unwrap().text(), "fine");
        }
        let err = client.get(&server.url("/slow")).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Timeout(TimeoutKind::Read));
        assert_eq!(
            server.accepted.get(),
            1,
            "all four went out on one connection"
        );
    });
}

/// A connection's read deadline is armed on the loop of the thread that first waits; a body
/// moved to another thread must time out there even when the first thread's loop is blocked
/// (and so would never fire a timer left on it).
#[test]
fn a_read_timeout_fires_for_a_body_moved_to_another_thread_while_the_first_is_blocked() {
    corio::block_on(async {
        let server =
            serve(|_| Reply::Send(b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\n".to_vec()));
        let client = Client::builder()
            .read_timeout(Some(Duration::from_millis(50)))
            .build();
        let mut resp = client
            .send_streaming(ClientRequest::get(server.url("/")))
            .await
            .unwrap();
        // One poll of the body's first read, here: nothing has come, so it waits, which arms
        // the connection's read deadline on this thread's loop.
        let waited = {
            let mut next = pin!(resp.body.chunk());
            poll_fn(|cx| Poll::Ready(next.as_mut().poll(cx).is_pending())).await
        };
        assert!(waited, "the body's first read waited");
        let (done, result) = mpsc::channel();
        let other = std::thread::spawn(move || {
            let read = corio::block_on(async move { resp.body.discard().await });
            done.send(read.map_err(|e| e.kind())).unwrap();
        });
        // This thread (and its loop) is blocked from here on. The bound only turns a hang
        // into a failure; the timeout itself is 50 ms.
        let read = result
            .recv_timeout(Duration::from_secs(60))
            .expect("the body's read on the other thread timed out");
        assert_eq!(read, Err(ErrorKind::Timeout(TimeoutKind::Read)));
        other.join().unwrap();
    });
}

#[test]
fn request_timeout() {
    corio::block_on(async {
        let server = serve(|_| Reply::Hang);
        let client = Client::builder()
            .read_timeout(None)
            .request_timeout(Some(Duration::from_millis(50)))
            .build();
        let err = client.get(&server.url("/slow")).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Timeout(TimeoutKind::Request));
    });
}

fn invalid(raw: &'static [u8]) -> ErrorKind {
    corio::block_on(async {
        let server = serve(move |_| Reply::SendClose(raw.to_vec()));
        let err = Client::new().get(&server.url("/")).await.unwrap_err();
        assert!(err.to_string().contains(&server.url("/")));
        err.kind()
    })
}

#[test]
fn smuggling_style_responses_are_rejected() {
    let table: &[(&[u8], ProtoError)] = &[
        (
            b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n",
            ProtoError::ContentLengthWithTransferEncoding,
        ),
        (
            b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
            ProtoError::BadChunkSize,
        ),
        (
            b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\ncontent-length: 6\r\n\r\nhello!",
            ProtoError::ConflictingContentLength,
        ),
        (
            b"HTTP/1.0 200 OK\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n",
            ProtoError::TransferEncodingInHttp10,
        ),
        (
            b"HTTP/1.1 200 OK\r\nbad header\r\n\r\n",
            ProtoError::BadHeaderName,
        ),
        (
            b"HTTP/1.1 200 OK\r\n folded: x\r\n\r\n",
            ProtoError::ObsFold,
        ),
        (b"HTTP/2.0 200 OK\r\n\r\n", ProtoError::UnsupportedVersion),
        (b"SSH-2.0-OpenSSH\r\n\r\n", ProtoError::BadStartLine),
    ];
    for (raw, want) in table {
        assert_eq!(
            invalid(raw),
            ErrorKind::InvalidResponse(*want),
            "{}",
            String::from_utf8_lossy(raw)
        );
    }
}

#[test]
fn truncated_body_is_an_error() {
    let kind = invalid(b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nabc");
    assert_eq!(kind, ErrorKind::Io(std::io::ErrorKind::UnexpectedEof));
    let kind = invalid(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nab");
    assert_eq!(kind, ErrorKind::Io(std::io::ErrorKind::UnexpectedEof));
}

#[test]
fn no_response_at_all() {
    corio::block_on(async {
        let server = serve(|_| Reply::Close);
        let err = Client::new().get(&server.url("/")).await.unwrap_err();
        assert_eq!(
            err.kind(),
            ErrorKind::Io(std::io::ErrorKind::UnexpectedEof),
            "{err}"
        );
    });
}
