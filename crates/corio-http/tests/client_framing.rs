//! Client response framing: Content-Length, chunked with trailers, close-delimited, bodiless
//! responses, interim responses, HTTP/1.0, request bodies, streaming and the body limit.

mod common;

use common::{ok, serve, Reply};
use corio_http::client::{Client, ClientRequest, ErrorKind};
use corio_http::proto::Version;
use http::Method;

#[test]
fn content_length_body() {
    corio::block_on(async {
        let server = serve(|_| ok("text/plain", "hello world"));
        let resp = Client::new().get(&server.url("/a")).await.unwrap();
        assert_eq!(resp.status, 200);
        assert_eq!(resp.version, Version::Http11);
        assert_eq!(resp.text(), "hello world");
        assert_eq!(resp.content_type().as_deref(), Some("text/plain"));
        assert_eq!(resp.url.as_str(), server.url("/a"));
    });
}

#[test]
fn chunked_body_with_trailers() {
    corio::block_on(async {
        let server = serve(|_| {
            Reply::Send(
                b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n\
                  5\r\nhello\r\n1;ext=x\r\n \r\n5\r\nworld\r\n0\r\nx-checksum: 42\r\n\r\n"
                    .to_vec(),
            )
        });
        let client = Client::new();
        let resp = client.get(&server.url("/c")).await.unwrap();
        assert_eq!(&resp.body[..], b"hello world");
        assert_eq!(resp.trailers["x-checksum"], "42");
        // The connection stays usable after the chunked body.
        let again = client.get(&server.url("/c")).await.unwrap();
        assert_eq!(&again.body[..], b"hello world");
        assert_eq!(server.accepted.get(), 1);
    });
}

#[test]
fn close_delimited_body() {
    corio::block_on(async {
        let server = serve(|_| Reply::SendClose(b"HTTP/1.1 200 OK\r\n\r\nuntil the end".to_vec()));
        let client = Client::new();
        let resp = client.get(&server.url("/")).await.unwrap();
        assert_eq!(&resp.body[..], b"until the end");
        assert_eq!(client.pool_stats().open, 0, "close-delimited: never pooled");
    });
}

#[test]
fn http10_response_is_not_reused() {
    corio::block_on(async {
        let server =
            serve(|_| Reply::Send(b"HTTP/1.0 200 OK\r\ncontent-length: 2\r\n\r\nok".to_vec()));
        let client = Client::new();
        for _ in 0..2 {
            assert_eq!(&client.get(&server.url("/")).await.unwrap().body[..], b"ok");
        }
        assert_eq!(server.accepted.get(), 2);
    });
}

#[test]
fn http10_request() {
    corio::block_on(async {
        let server = serve(|req| ok("text/plain", &req.method));
        let req = ClientRequest::get(server.url("/")).version(Version::Http10);
        let resp = Client::new().request(req).await.unwrap();
        assert_eq!(resp.text(), "GET");
    });
}

#[test]
fn head_204_and_interim_responses_have_no_body() {
    corio::block_on(async {
        let server = serve(|req| match req.path.as_str() {
            "/head" => Reply::Send(b"HTTP/1.1 200 OK\r\ncontent-length: 1000\r\n\r\n".to_vec()),
            "/204" => Reply::Send(b"HTTP/1.1 204 No Content\r\n\r\n".to_vec()),
            _ => Reply::Send(
                b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length: 3\r\n\r\nend"
                    .to_vec(),
            ),
        });
        let client = Client::new();
        let head = client.head(&server.url("/head")).await.unwrap();
        assert_eq!(head.header("content-length"), Some("1000"));
        assert!(head.body.is_empty());
        let nc = client.get(&server.url("/204")).await.unwrap();
        assert_eq!(nc.status, 204);
        let interim = client.get(&server.url("/interim")).await.unwrap();
        assert_eq!(
            (interim.status.as_u16(), &interim.body[..]),
            (200, &b"end"[..])
        );
        assert_eq!(server.accepted.get(), 1);
    });
}

#[test]
fn any_method_and_body_are_sent() {
    corio::block_on(async {
        let server = serve(|req| {
            let echo = format!(
                "{} {} {}",
                req.method,
                req.path,
                String::from_utf8_lossy(&req.body)
            );
            ok("text/plain", &echo)
        });
        let client = Client::new();
        let big = "x".repeat(100_000);
        let resp = client
            .request(
                ClientRequest::new(Method::from_bytes(b"PURGE").unwrap(), server.url("/p?q=1"))
                    .header("x-test", "1")
                    .body(big.clone()),
            )
            .await
            .unwrap();
        assert_eq!(resp.text(), format!("PURGE /p?q=1 {big}"));
        let post = client.post(&server.url("/form"), "a=1").await.unwrap();
        assert_eq!(post.text(), "POST /form a=1");
        let seen = server.seen.borrow();
        assert_eq!(seen[0].header("x-test"), Some("1"));
        assert_eq!(seen[1].header("content-length"), Some("3"));
        assert!(seen[1].header("user-agent").unwrap().starts_with("corio/"));
    });
}

#[test]
fn streaming_body_in_pieces() {
    corio::block_on(async {
        let server = serve(|_| {
            let mut bytes = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n".to_vec();
            for i in 0..100 {
                bytes.extend_from_slice(format!("400\r\n{}\r\n", "ab".repeat(512)).as_bytes());
                let _ = i;
            }
            bytes.extend_from_slice(b"0\r\n\r\n");
            Reply::Send(bytes)
        });
        let client = Client::new();
        let mut resp = client
            .send_streaming(ClientRequest::get(server.url("/big")))
            .await
            .unwrap();
        let mut total = 0;
        let mut pieces = 0;
        while let Some(chunk) = resp.body.chunk().await {
            total += chunk.unwrap().len();
            pieces += 1;
        }
        assert_eq!(total, 100 * 1024);
        assert!(pieces > 1);
        assert_eq!(
            client.pool_stats().idle,
            1,
            "read to the end: back in the pool"
        );
    });
}

#[test]
fn dropping_a_body_early_closes_the_connection() {
    corio::block_on(async {
        let server = serve(|_| ok("text/plain", &"z".repeat(100_000)));
        let client = Client::new();
        let resp = client
            .send_streaming(ClientRequest::get(server.url("/")))
            .await
            .unwrap();
        drop(resp);
        assert_eq!(client.pool_stats().open, 0);
        assert_eq!(
            client.get(&server.url("/")).await.unwrap().body.len(),
            100_000
        );
        assert_eq!(server.accepted.get(), 2);
    });
}

#[test]
fn body_limit() {
    corio::block_on(async {
        let server = serve(|req| match req.path.as_str() {
            "/cl" => ok("text/plain", &"a".repeat(2000)),
            _ => Reply::Send(
                format!(
                    "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n7d0\r\n{}\r\n0\r\n\r\n",
                    "a".repeat(2000)
                )
                .into_bytes(),
            ),
        });
        let client = Client::builder().max_body(1000).build();
        for path in ["/cl", "/chunked"] {
            let err = client.get(&server.url(path)).await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::BodyTooLarge, "{path}: {err}");
        }
    });
}
