//! Redirects: chains, loops, method rewriting, and credentials across hosts.

mod common;

use common::{ok, redirect, serve};
use corio_http::client::{Client, ClientRequest, ErrorKind};
use http::Method;

#[test]
fn chain_is_followed_to_the_end() {
    corio::block_on(async {
        let server = serve(|req| match req.path.as_str() {
            "/a" => redirect(301, "/b"),
            "/b" => redirect(302, "c"),
            "/c" => redirect(308, "/final?x=1#frag"),
            _ => ok("text/plain", &req.path),
        });
        let resp = Client::new().get(&server.url("/a")).await.unwrap();
        assert_eq!(resp.text(), "/final?x=1");
        assert_eq!(resp.url.as_str(), server.url("/final?x=1"));
        assert_eq!(server.accepted.get(), 1, "redirects reuse the connection");
    });
}

#[test]
fn loop_ends_with_too_many_redirects() {
    corio::block_on(async {
        let server = serve(|req| match req.path.as_str() {
            "/ping" => redirect(302, "/pong"),
            _ => redirect(302, "/ping"),
        });
        let client = Client::builder().max_redirects(5).build();
        let err = client.get(&server.url("/ping")).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::TooManyRedirects);
        assert_eq!(server.seen.borrow().len(), 6);
    });
}

#[test]
fn not_followed_when_disabled() {
    corio::block_on(async {
        let server = serve(|_| redirect(301, "/elsewhere"));
        let resp = Client::builder()
            .max_redirects(0)
            .build()
            .get(&server.url("/"))
            .await
            .unwrap();
        assert_eq!(resp.status, 301);
        assert_eq!(resp.header("location"), Some("/elsewhere"));
    });
}

#[test]
fn see_other_becomes_get_and_307_keeps_method_and_body() {
    corio::block_on(async {
        let server = serve(|req| match req.path.as_str() {
            "/303" => redirect(303, "/echo"),
            "/307" => redirect(307, "/echo"),
            _ => ok(
                "text/plain",
                &format!("{} {}", req.method, String::from_utf8_lossy(&req.body)),
            ),
        });
        let client = Client::new();
        let resp = client.post(&server.url("/303"), "data").await.unwrap();
        assert_eq!(resp.text(), "GET ");
        let resp = client.post(&server.url("/307"), "data").await.unwrap();
        assert_eq!(resp.text(), "POST data");
        let put = ClientRequest::new(Method::PUT, server.url("/303")).body("x");
        assert_eq!(client.request(put).await.unwrap().text(), "GET ");
    });
}

/// 301 and 302 turn only POST into GET; PUT, DELETE and PATCH are resent as they were, with
/// their body (Fetch, curl). 303 makes everything but HEAD a GET.
#[test]
fn moved_and_found_rewrite_only_post() {
    corio::block_on(async {
        let server = serve(|req| match req.path.as_str() {
            "/301" => redirect(301, "/echo"),
            "/302" => redirect(302, "/echo"),
            "/303" => redirect(303, "/echo"),
            _ => ok(
                "text/plain",
                &format!("{} {}", req.method, String::from_utf8_lossy(&req.body)),
            ),
        });
        let client = Client::new();
        let cases = [
            (Method::POST, "/301", "GET "),
            (Method::POST, "/302", "GET "),
            (Method::PUT, "/301", "PUT data"),
            (Method::PUT, "/302", "PUT data"),
            (Method::DELETE, "/302", "DELETE data"),
            (Method::PATCH, "/301", "PATCH data"),
            (Method::DELETE, "/303", "GET "),
        ];
        for (method, path, want) in cases {
            let req = ClientRequest::new(method.clone(), server.url(path)).body("data");
            let resp = client.request(req).await.unwrap();
            assert_eq!(resp.text(), want, "{method} {path}");
        }
        let head = ClientRequest::new(Method::HEAD, server.url("/303"));
        client.request(head).await.unwrap();
        let last = server.seen.borrow().last().cloned().unwrap();
        assert_eq!(
            (last.method.as_str(), last.path.as_str()),
            ("HEAD", "/echo")
        );
    });
}

#[test]
fn authorization_dropped_across_hosts() {
    corio::block_on(async {
        // 127.0.0.1 and localhost are two hosts for the client.
        let target = serve(|req| ok("text/plain", req.header("authorization").unwrap_or("none")));
        let port = target.addr.port();
        let same = target.url("/");
        let other = format!("http://localhost:{port}/");
        let origin = serve(move |req| match req.path.as_str() {
            "/same" => redirect(302, &same),
            _ => redirect(302, &other),
        });
        let client = Client::new();
        let req =
            |path: &str| ClientRequest::get(origin.url(path)).header("authorization", "Bearer t");
        let cross = client.request(req("/other")).await.unwrap();
        assert_eq!(cross.text(), "none");
        let same = client.request(req("/same")).await.unwrap();
        // Another port is another origin too.
        assert_eq!(same.text(), "none");
        let direct = client
            .request(ClientRequest::get(target.url("/")).header("authorization", "Bearer t"))
            .await
            .unwrap();
        assert_eq!(direct.text(), "Bearer t");
    });
}

#[test]
fn redirect_to_another_scheme_is_unsupported() {
    corio::block_on(async {
        let server = serve(|_| redirect(301, "ftp://127.0.0.1/"));
        let err = Client::new().get(&server.url("/")).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::UnsupportedScheme);
    });
}
