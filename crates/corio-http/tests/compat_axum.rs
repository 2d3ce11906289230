//! An axum `Router` served on corio through the `compat` adapters, exactly as
//! `examples/axum_on_corio.rs` does it (the example's code is compiled into this test): the
//! example's accept loop on 127.0.0.1 port 0, real requests over HTTP/1.1 (routes, path
//! parameters, JSON, a request body, 404, keep-alive) and over cleartext HTTP/2 with the
//! `h2` client.

#[allow(dead_code)]
#[path = "../examples/axum_on_corio.rs"]
mod example;
mod h2_util;
mod util;

use std::net::SocketAddr;
use std::sync::mpsc;

use corio::net::TcpListener;
use corio_http::server::ShutdownSignal;
use util::{exchange, Client};

/// Runs the example's server on its own thread; triggering the signal stops it.
fn start() -> (SocketAddr, ShutdownSignal, std::thread::JoinHandle<()>) {
    let signal = ShutdownSignal::new();
    let stop = signal.clone();
    let (tx, rx) = mpsc::channel();
    let thread = std::thread::spawn(move || {
        corio::block_on(async move {
            let listener = TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
            tx.send(listener.local_addr().unwrap()).unwrap();
            example::serve(listener, example::app(), async move { stop.wait().await }).await;
        });
    });
    (rx.recv().unwrap(), signal, thread)
}

#[test]
fn routes_json_bodies_and_404_over_http1() {
    let (addr, signal, thread) = start();
    let reply = exchange(
        addr,
        "GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(reply.status, 200);
    assert_eq!(reply.text(), "Hello from axum on corio!");

    let reply = exchange(
        addr,
        "GET /users/7 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-type"), Some("application/json"));
    let user: serde_json::Value = serde_json::from_slice(&reply.body).unwrap();
    assert_eq!(user, serde_json::json!({ "id": 7, "name": "user 7" }));

    let reply = exchange(
        addr,
        "GET /users/x HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(
        reply.status, 400,
        "axum rejects a path parameter that is not a number"
    );

    let reply = exchange(
        addr,
        "GET /missing HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(reply.status, 404);

    // Keep-alive: a body, then another request on the same connection.
    let mut client = Client::connect(addr);
    client.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello");
    let reply = client.read_response();
    assert_eq!(reply.status, 200);
    assert_eq!(reply.text(), "hello");
    client.send("GET /users/42 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    let reply = client.read_response();
    assert_eq!(reply.status, 200);
    assert!(reply.text().contains("\"id\":42"));

    signal.trigger();
    thread.join().unwrap();
}

#[test]
fn the_same_app_over_cleartext_http2() {
    let (addr, signal, thread) = start();
    corio::block_on(async move {
        let mut client = h2_util::connect(addr).await;
        let (head, body) = h2_util::send(&mut client, h2_util::request("GET", "/users/3"), None)
            .await
            .unwrap();
        assert_eq!(head.status, 200);
        assert_eq!(head.version, http::Version::HTTP_2);
        let user: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(user["id"], 3);
        let (head, _) = h2_util::send(&mut client, h2_util::request("GET", "/nope"), None)
            .await
            .unwrap();
        assert_eq!(head.status, 404);
    });
    signal.trigger();
    thread.join().unwrap();
}
