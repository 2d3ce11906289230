//! The client as a shared handle (`Send + Sync`): moved into tasks on two runtime workers,
//! kept in server state and used by a handler; and the per-request options: a timeout, a
//! redirect policy, and JSON in and out.

mod util;

use std::collections::BTreeMap;
use std::time::Duration;

use corio::sync::CancellationToken;
use corio_http::client::{Client, ClientRequest, ErrorKind, TimeoutKind};
use corio_http::server::{Json, State};
use corio_http::{Response, Router};
use http::{Method, StatusCode};
use serde::{Deserialize, Serialize};
use util::{start, stop};

/// Stops `server` from inside a loop (its `wait` would run a second loop on this thread).
async fn stop_async(server: corio_http::RunningServer) {
    server.with_graceful_shutdown(async {}).await.unwrap();
}

/// Compile-time: the handle crosses threads and can be shared by them.
const _: fn() = || {
    fn send_sync<T: Send + Sync + Clone + 'static>() {}
    send_sync::<Client>();
};

fn hello_server() -> corio_http::RunningServer {
    start(Router::new().get("/hello", || async { "hello" }))
}

#[test]
fn one_client_moved_into_tasks_on_two_workers() {
    let server = hello_server();
    let url = format!("http://{}/hello", server.local_addr());
    let rt = corio::Runtime::builder().workers(2).build().unwrap();
    let client = Client::new();
    let handles: Vec<_> = (0..2)
        .map(|worker| {
            let client = client.clone();
            let url = url.clone();
            // The handle is `Send`: it moves into a task of each worker, which runs the
            // requests in a local task on its own loop (`client_send.rs` spawns them).
            rt.spawn_on(worker, async move {
                let thread = std::thread::current().id();
                let resp = corio::spawn_local(async move {
                    let first = client.get(&url).await.unwrap();
                    let again = client.get(&url).await.unwrap();
                    (first, again, client.pool_stats())
                })
                .await
                .unwrap();
                (thread, resp)
            })
        })
        .collect();
    let results: Vec<_> = handles
        .into_iter()
        .map(|h| corio::block_on(h).unwrap())
        .collect();
    assert_ne!(results[0].0, results[1].0, "the tasks ran on two workers");
    for (_, (first, again, stats)) in &results {
        assert_eq!(first.status, StatusCode::OK);
        assert_eq!(&again.body[..], b"hello");
        // Each worker has its own pool; the keep-alive connection was reused on it.
        assert_eq!(stats.open, 1);
    }
    // This thread sent nothing: its pool of the same client is empty.
    assert_eq!(client.pool_stats().open, 0);
    drop(rt);
    stop(server);
}

#[derive(Clone)]
struct Upstream {
    client: Client,
    url: String,
}

#[test]
fn a_handler_calls_another_server_through_the_client_in_its_state() {
    let backend = hello_server();
    let state = Upstream {
        client: Client::new(),
        url: format!("http://{}/hello", backend.local_addr()),
    };
    let front = start(Router::with_state(state).get(
        "/proxy",
        |State(up): State<Upstream>| async move {
            match up.client.get(&up.url).await {
                Ok(resp) => Response::text(format!("upstream said {}", resp.text())),
                Err(e) => Response::text(e.to_string()),
            }
        },
    ));
    let url = format!("http://{}/proxy", front.local_addr());
    corio::block_on(async {
        let client = Client::new();
        for _ in 0..2 {
            let resp = client.get(&url).await.unwrap();
            assert_eq!(resp.status, StatusCode::OK);
            assert_eq!(resp.text(), "upstream said hello");
        }
    });
    stop(front);
    stop(backend);
}

#[corio::test]
async fn a_per_request_timeout_fires_on_a_stalled_server() {
    let release = CancellationToken::new();
    let server = start(Router::new().get("/stall", {
        let release = release.clone();
        move || {
            let release = release.clone();
            async move {
                release.cancelled().await;
                "late"
            }
        }
    }));
    let url = format!("http://{}/stall", server.local_addr());
    let client = Client::new();
    let err = client
        .request(ClientRequest::get(&url).timeout(Duration::from_millis(100)))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout(TimeoutKind::Request));
    assert_eq!(err.url(), url);
    // The streaming path has the same deadline.
    let err = client
        .send_streaming(ClientRequest::get(&url).timeout(Duration::from_millis(100)))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout(TimeoutKind::Request));
    assert_eq!(err.url(), url);
    release.cancel();
    // Without the per-request timeout (the client has none), the released server answers.
    let resp = client.get(&url).await.unwrap();
    assert_eq!(resp.text(), "late");
    stop_async(server).await;
}

fn redirect_server() -> corio_http::RunningServer {
    start(
        Router::new()
            .get("/two", || async {
                Response::redirect(StatusCode::FOUND, "/one")
            })
            .get("/one", || async {
                Response::redirect(StatusCode::FOUND, "/end")
            })
            .get("/end", || async { "arrived" }),
    )
}

#[corio::test]
async fn the_redirect_policy_is_per_request() {
    let server = redirect_server();
    let base = format!("http://{}", server.local_addr());
    let client = Client::new();
    let followed = client.get(&format!("{base}/two")).await.unwrap();
    assert_eq!(followed.text(), "arrived");
    let unfollowed = client
        .request(ClientRequest::get(format!("{base}/two")).no_redirects())
        .await
        .unwrap();
    assert_eq!(unfollowed.status, StatusCode::FOUND);
    assert_eq!(unfollowed.header("location"), Some("/one"));
    let err = client
        .request(ClientRequest::get(format!("{base}/two")).redirects(1))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TooManyRedirects);
    // A request's own limit also lifts a client's "follow none".
    let strict = Client::builder().max_redirects(0).build();
    let two = strict
        .request(ClientRequest::get(format!("{base}/two")).redirects(2))
        .await
        .unwrap();
    assert_eq!(two.text(), "arrived");
    assert_eq!(two.url.path(), "/end");
    stop_async(server).await;
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Item {
    name: String,
    qty: u32,
}

#[corio::test]
async fn json_round_trip() {
    let server = start(
        Router::new()
            .post("/double", |Json(item): Json<Item>| async move {
                Json(Item {
                    qty: item.qty * 2,
                    ..item
                })
            })
            .get("/text", || async { "not json" }),
    );
    let base = format!("http://{}", server.local_addr());
    let client = Client::new();
    let sent = Item {
        name: "pen".into(),
        qty: 3,
    };
    let resp = client
        .request(ClientRequest::new(Method::POST, format!("{base}/double")).json(&sent))
        .await
        .unwrap();
    assert_eq!(resp.status, StatusCode::OK);
    assert_eq!(resp.content_type().as_deref(), Some("application/json"));
    let got: Item = resp.json().unwrap();
    assert_eq!(
        got,
        Item {
            name: "pen".into(),
            qty: 6
        }
    );
    // A body that is not the JSON asked for is a JSON error naming the URL.
    let text = client.get(&format!("{base}/text")).await.unwrap();
    let err = text.json::<Item>().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Json);
    assert_eq!(err.url(), format!("{base}/text"));
    // A value that does not serialize fails the request before anything is sent.
    let unserializable = BTreeMap::from([((1, 2), 3)]);
    let err = client
        .request(ClientRequest::new(Method::POST, format!("{base}/double")).json(&unserializable))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Json);
    stop_async(server).await;
}
