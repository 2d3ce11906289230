//! The client's lean paths: a request to an already parsed URL
//! ([`ClientRequest::from_url`]) and response fields kept as the head's bytes until looked at
//! ([`corio_http::proto::HeaderFields`]). Each gives what the plain path gives: the same
//! request on the wire as a string URL, the same field values as a `HeaderMap` built from the
//! head by `proto::parse_response_head`.

mod common;

use common::{ok, serve, Reply};
use corio_http::client::{parse_url, Client, ClientRequest, ErrorKind};
use corio_http::proto::{parse_response_head, Limits};
use http::{HeaderMap, Method};

#[test]
fn a_parsed_url_sends_the_same_request_as_its_string() {
    corio::block_on(async {
        let server = serve(|req| ok("text/plain", &req.path));
        let client = Client::new();
        let spelt = server.url("/a/b?x=1&y=%20#frag");
        let url = parse_url(&spelt).unwrap();
        for _ in 0..3 {
            let req = ClientRequest::from_url(Method::GET, url.clone()).header("x-n", "1");
            let resp = client.request(req).await.unwrap();
            assert_eq!(resp.text(), "/a/b?x=1&y=%20");
            assert_eq!(resp.url, url);
        }
        let req = ClientRequest::get(spelt.as_str()).header("x-n", "1");
        assert_eq!(client.request(req).await.unwrap().url, url);
        let seen = server.seen.borrow();
        assert_eq!(seen.len(), 4);
        let host = server.addr.to_string();
        for s in seen.iter() {
            assert_eq!(s.method, "GET");
            assert_eq!(s.path, "/a/b?x=1&y=%20");
            assert_eq!(s.header("host"), Some(host.as_str()));
            assert_eq!(s.headers, seen[3].headers, "parsed and string URL differ");
        }
        assert_eq!(
            server.accepted.get(),
            1,
            "one keep-alive connection for all four"
        );
    });
}

#[test]
fn a_url_changed_after_from_url_is_the_one_sent() {
    corio::block_on(async {
        let server = serve(|req| ok("text/plain", &req.path));
        let client = Client::new();
        let mut req = ClientRequest::from_url(Method::GET, parse_url(&server.url("/old")).unwrap());
        req.url = server.url("/new");
        let resp = client.request(req).await.unwrap();
        assert_eq!(resp.text(), "/new");
        assert_eq!(resp.url.as_str(), server.url("/new"));
    });
}

#[test]
fn a_parsed_url_is_checked_like_a_string() {
    corio::block_on(async {
        let client = Client::new();
        let ftp = url::Url::parse("ftp://127.0.0.1/file").unwrap();
        let err = client
            .request(ClientRequest::from_url(Method::GET, ftp))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::UnsupportedScheme);
        assert!(err.to_string().contains("ftp://127.0.0.1/file"), "{err}");
    });
}

/// A head with repeated, mixed-case, empty and non-ASCII fields, after an interim response.
const HEAD: &[u8] = b"HTTP/1.1 200 Fine\r\nServer: test\r\nSet-Cookie: a=1\r\n\
    set-cookie: b=2\r\nX-Empty:\r\nX-Obs: caf\xc3\xa9\r\nContent-Type: Text/Plain\r\n\
    content-length: 2\r\n\r\n";

/// The fields as `proto::parse_response_head` maps them.
fn eager_map() -> HeaderMap {
    let (head, used) = parse_response_head(HEAD, &Limits::default())
        .unwrap()
        .unwrap();
    assert_eq!(used, HEAD.len());
    head.headers
}

#[test]
fn lazy_response_fields_are_the_heads_fields() {
    corio::block_on(async {
        let server = serve(|_| {
            let mut wire = b"HTTP/1.1 100 Continue\r\nx-interim: 1\r\n\r\n".to_vec();
            wire.extend_from_slice(HEAD);
            wire.extend_from_slice(b"ok");
            Reply::Send(wire)
        });
        let client = Client::new();
        let want = eager_map();
        assert_eq!(want.get_all("set-cookie").iter().count(), 2);

        let buffered = client.get(&server.url("/")).await.unwrap();
        assert_eq!(*buffered.headers, want);
        assert_eq!(buffered.headers["x-obs"].as_bytes(), "café".as_bytes());
        assert_eq!(buffered.header("x-empty"), Some(""));
        assert_eq!(buffered.headers.get("x-interim"), None);
        assert_eq!(buffered.content_type().as_deref(), Some("text/plain"));
        assert_eq!(&buffered.body[..], b"ok");

        let mut streamed = client
            .send_streaming(ClientRequest::get(server.url("/")))
            .await
            .unwrap();
        assert_eq!(streamed.status, 200);
        assert_eq!(streamed.body.discard().await.unwrap(), 2);
        assert_eq!(streamed.headers.clone().into_map(), want);
        let mut fields = streamed.headers;
        fields.insert("x-added", http::HeaderValue::from_static("1"));
        assert_eq!(fields.len(), want.len() + 1);
        assert_eq!(server.accepted.get(), 1, "the connection was reused");
    });
}
