//! The connection pool: keep-alive reuse, idle limit, connection limits with waiters, and the
//! retry of a request sent on a connection the server had closed.

mod common;

use common::{ok, serve, Reply};
use corio_http::client::{Client, ClientRequest, ErrorKind};
use corio_http::proto::Version;

#[test]
fn sequential_keep_alive_gets_use_one_connection() {
    corio::block_on(async {
        let server = serve(|req| ok("text/plain", &req.path));
        let client = Client::new();
        for i in 0..20 {
            let resp = client.get(&server.url(&format!("/{i}"))).await.unwrap();
            assert_eq!(resp.text(), format!("/{i}"));
        }
        assert_eq!(server.accepted.get(), 1);
        assert_eq!(client.pool_stats().idle, 1);
    });
}

/// A connection keeps the head of its last request without body or fields and sends it
/// again for the same request; every other request is encoded anew: each request here,
/// alike or not, reaches the server as it was made, on one connection.
#[test]
fn alike_and_different_requests_on_one_connection_are_each_sent_as_made() {
    corio::block_on(async {
        let server = serve(|req| {
            let seen = format!(
                "{} {} {} {}",
                req.method,
                req.path,
                req.header("x-a").unwrap_or("-"),
                String::from_utf8_lossy(&req.body)
            );
            ok("text/plain", &seen)
        });
        let client = Client::new();
        let (a, b) = (server.url("/a"), server.url("/b"));
        let requests = [
            (ClientRequest::get(&a), "GET /a - "),
            (ClientRequest::get(&a), "GET /a - "),
            (ClientRequest::get(&b), "GET /b - "),
            (ClientRequest::new(http::Method::POST, &b), "POST /b - "),
            (
                ClientRequest::new(http::Method::POST, &b).body("x"),
                "POST /b - x",
            ),
            (ClientRequest::new(http::Method::POST, &b), "POST /b - "),
            (ClientRequest::new(http::Method::POST, &b), "POST /b - "),
            (ClientRequest::get(&b).header("x-a", "1"), "GET /b 1 "),
            (ClientRequest::get(&b), "GET /b - "),
            (ClientRequest::get(&b).version(Version::Http10), "GET /b - "),
            (ClientRequest::get(&a), "GET /a - "),
        ];
        for (req, seen) in requests {
            let keep = req.version == Version::Http11;
            let resp = client.request(req).await.unwrap();
            assert_eq!(resp.text(), seen);
            if !keep {
                // HTTP/1.0 does not keep the connection: the next request opens another.
                assert_eq!(server.accepted.get(), 1);
            }
        }
        assert_eq!(server.accepted.get(), 2);
    });
}

#[test]
fn clients_on_one_thread_keep_their_own_pools() {
    corio::block_on(async {
        let server = serve(|req| ok("text/plain", &req.path));
        let url = server.url("/");
        let (a, b, c) = (Client::new(), Client::new(), Client::new());
        for _ in 0..2 {
            for client in [&a, &b, &c] {
                client.get(&url).await.unwrap();
            }
        }
        // One connection each, re-used by its own client only.
        assert_eq!(server.accepted.get(), 3);
        for client in [&a, &b, &c] {
            assert_eq!(client.pool_stats().idle, 1);
        }
        // A client made after one is dropped gets a new pool, and the others keep theirs.
        drop(b);
        let d = Client::new();
        assert_eq!(d.pool_stats().open, 0);
        d.get(&url).await.unwrap();
        a.get(&url).await.unwrap();
        c.get(&url).await.unwrap();
        assert_eq!(server.accepted.get(), 4);
        assert_eq!(d.pool_stats().idle, 1);
    });
}

#[test]
fn connection_close_is_honoured() {
    corio::block_on(async {
        let server = serve(|_| {
            Reply::SendClose(
                b"HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 1\r\n\r\nx".to_vec(),
            )
        });
        let client = Client::new();
        for _ in 0..3 {
            client.get(&server.url("/")).await.unwrap();
        }
        assert_eq!(server.accepted.get(), 3);
        assert_eq!(client.pool_stats().open, 0);
    });
}

#[test]
fn a_request_that_does_not_ask_to_keep_its_connection_does_not_keep_it() {
    corio::block_on(async {
        let server = serve(|_| ok("text/plain", "x"));
        let client = Client::new();
        let url = server.url("/");
        let close = || ClientRequest::get(&url).header("Connection", "close");
        let http10 = || ClientRequest::get(&url).version(Version::Http10);
        for req in [close(), close(), http10(), http10()] {
            client.request(req).await.unwrap();
        }
        assert_eq!(server.accepted.get(), 4, "each on its own connection");
        assert_eq!(client.pool_stats().open, 0);
        // An HTTP/1.0 request that asks for keep-alive, and a plain one, keep it.
        let kept = ClientRequest::get(&url)
            .version(Version::Http10)
            .header("Connection", "keep-alive");
        client.request(kept).await.unwrap();
        client.get(&url).await.unwrap();
        assert_eq!(server.accepted.get(), 5);
    });
}

async fn concurrent_gets(client: &Client, url: &str, n: usize) {
    let tasks: Vec<_> = (0..n)
        .map(|_| {
            let (client, url) = (client.clone(), url.to_string());
            corio::spawn_local(async move { client.get(&url).await.map(|r| r.status) })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap().unwrap(), 200);
    }
}

#[test]
fn idle_limit_per_host() {
    corio::block_on(async {
        let server = serve(|_| ok("text/plain", "x"));
        let client = Client::builder().max_idle_per_host(2).build();
        concurrent_gets(&client, &server.url("/"), 6).await;
        let stats = client.pool_stats();
        assert_eq!((stats.idle, stats.open), (2, 2));
    });
}

#[test]
fn per_host_limit_queues_waiters() {
    corio::block_on(async {
        let server = serve(|_| ok("text/plain", "x"));
        let client = Client::builder().max_connections_per_host(2).build();
        concurrent_gets(&client, &server.url("/"), 20).await;
        assert!(server.accepted.get() <= 2, "{}", server.accepted.get());
        assert_eq!(client.pool_stats().waiting, 0);
    });
}

#[test]
fn total_limit_evicts_idle_connections_of_other_hosts() {
    corio::block_on(async {
        let a = serve(|_| ok("text/plain", "a"));
        let b = serve(|_| ok("text/plain", "b"));
        let client = Client::builder().max_connections(1).build();
        for _ in 0..3 {
            assert_eq!(client.get(&a.url("/")).await.unwrap().text(), "a");
            assert_eq!(client.get(&b.url("/")).await.unwrap().text(), "b");
        }
        assert_eq!((a.accepted.get(), b.accepted.get()), (3, 3));
        concurrent_gets(&client, &a.url("/"), 5).await;
        assert_eq!(client.pool_stats().open, 1);
    });
}

#[test]
fn zero_idle_disables_reuse() {
    corio::block_on(async {
        let server = serve(|_| ok("text/plain", "x"));
        let client = Client::builder().max_idle_per_host(0).build();
        for _ in 0..3 {
            client.get(&server.url("/")).await.unwrap();
        }
        assert_eq!(server.accepted.get(), 3);
    });
}

#[test]
fn stale_pooled_connection_is_retried_for_idempotent_methods() {
    corio::block_on(async {
        // Keep-alive responses, but the server closes every connection after one.
        let server =
            serve(|_| Reply::SendClose(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok".to_vec()));
        let client = Client::new();
        for _ in 0..3 {
            assert_eq!(client.get(&server.url("/")).await.unwrap().text(), "ok");
        }
        assert_eq!(server.accepted.get(), 3);
        // POST is not idempotent: the failure is reported, not retried.
        let err = client.post(&server.url("/"), "x").await.unwrap_err();
        assert!(matches!(err.kind(), ErrorKind::Io(_)), "{err}");
    });
}
