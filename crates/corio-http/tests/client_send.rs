//! The client's futures and responses are `Send`: requests spawned with `corio::spawn`, on a
//! `Runtime` and into a `JoinSet`, a response body read on another thread than the one that
//! sent the request, and a client in server state whose handler spawns its requests.

mod util;

use std::collections::BTreeSet;
use std::thread::ThreadId;

use corio::sync::{oneshot, JoinSet};
use corio_http::client::{
    Client, ClientBody, ClientRequest, ClientResponse, Error, StreamingResponse,
};
use corio_http::server::State;
use corio_http::{Request, Response, Router, Server};
use http::StatusCode;
use util::stop;

/// How many requests the spawning tests send.
const REQUESTS: usize = 50;
/// The size of the body that is read on another thread: far more than the client's first
/// read, so most of it is read from the socket there.
const LARGE: usize = 1024 * 1024;

fn assert_send<T: Send>(_: &T) {}

/// Compile-time: the handle, its errors and responses cross threads, and so does every
/// future the client returns.
const _: fn(&Client, &mut ClientBody, StreamingResponse) = |client, body, streaming| {
    fn send_sync<T: Send + Sync + 'static>() {}
    send_sync::<Client>();
    send_sync::<Error>();
    send_sync::<ClientRequest>();
    send_sync::<ClientResponse>();
    send_sync::<StreamingResponse>();
    send_sync::<ClientBody>();
    assert_send(&client.get("http://127.0.0.1/"));
    assert_send(&client.head("http://127.0.0.1/"));
    assert_send(&client.post("http://127.0.0.1/", "body"));
    assert_send(&client.request(ClientRequest::get("http://127.0.0.1/")));
    assert_send(&client.send_streaming(ClientRequest::get("http://127.0.0.1/")));
    assert_send(&body.chunk());
    assert_send(&body.discard());
    let mut out = Vec::new();
    assert_send(&body.read_to_end(&mut out));
    assert_send(&streaming.bytes());
};

/// A server (two workers) answering `/item/<n>` with `item <n>`, and `/large` with
/// [`LARGE`] bytes.
fn item_server() -> corio_http::RunningServer {
    Server::bind("127.0.0.1:0".parse().unwrap())
        .workers(2)
        .start(|req: Request| async move {
            if req.path() == "/large" {
                return Response::new(StatusCode::OK, vec![b'x'; LARGE]);
            }
            let item = req.path().trim_start_matches("/item/").to_owned();
            Response::text(format!("item {item}"))
        })
        .expect("server starts")
}

/// Checks that `responses` are the answers to `/item/0` .. `/item/{REQUESTS - 1}`.
fn check_items(mut responses: Vec<(usize, ClientResponse)>) {
    responses.sort_by_key(|(n, _)| *n);
    assert_eq!(responses.len(), REQUESTS);
    for (i, (n, resp)) in responses.iter().enumerate() {
        assert_eq!(*n, i);
        assert_eq!(resp.status, StatusCode::OK);
        assert_eq!(resp.text(), format!("item {n}"));
        assert_eq!(resp.url.path(), format!("/item/{n}"));
    }
}

#[test]
fn requests_spawned_with_corio_spawn_on_a_multi_worker_runtime() {
    let server = item_server();
    let base = format!("http://{}", server.local_addr());
    let rt = corio::Runtime::builder().workers(2).build().unwrap();
    let client = Client::builder().max_connections_per_host(8).build();
    let handles: Vec<_> = (0..2)
        .map(|worker| {
            let (client, base) = (client.clone(), base.clone());
            rt.spawn_on(worker, async move {
                let tasks: Vec<_> = (0..REQUESTS)
                    .map(|n| {
                        let (client, url) = (client.clone(), format!("{base}/item/{n}"));
                        corio::spawn(async move { (n, client.get(&url).await) })
                    })
                    .collect();
                let mut responses = Vec::with_capacity(REQUESTS);
                for task in tasks {
                    let (n, resp) = task.await.expect("task");
                    responses.push((n, resp.expect("response")));
                }
                (std::thread::current().id(), responses, client.pool_stats())
            })
        })
        .collect();
    let mut threads = BTreeSet::new();
    for handle in handles {
        let (thread, responses, stats) = corio::block_on(handle).unwrap();
        threads.insert(format!("{thread:?}"));
        check_items(responses);
        // Every request went through this worker's own pool, within its limit.
        assert!(stats.open >= 1 && stats.open <= 8, "{stats:?}");
        assert_eq!(stats.waiting, 0);
    }
    assert_eq!(threads.len(), 2, "the requests ran on two workers");
    drop(rt);
    stop(server);
}

#[test]
fn request_futures_spawned_on_a_runtime_round_robin() {
    let server = item_server();
    let base = format!("http://{}", server.local_addr());
    let rt = corio::Runtime::builder().workers(2).build().unwrap();
    let client = Client::new();
    let handles: Vec<_> = (0..REQUESTS)
        .map(|n| {
            let (client, url) = (client.clone(), format!("{base}/item/{n}"));
            rt.spawn(async move {
                let resp = client.get(&url).await.expect("response");
                (std::thread::current().id(), n, resp)
            })
        })
        .collect();
    let mut threads: Vec<ThreadId> = Vec::new();
    let mut responses = Vec::new();
    for handle in handles {
        let (thread, n, resp) = corio::block_on(handle).unwrap();
        if !threads.contains(&thread) {
            threads.push(thread);
        }
        responses.push((n, resp));
    }
    assert_eq!(threads.len(), 2, "round-robin used both workers");
    check_items(responses);
    drop(rt);
    stop(server);
}

#[corio::test]
async fn requests_in_a_join_set() {
    let server = item_server();
    let base = format!("http://{}", server.local_addr());
    let client = Client::builder().max_connections_per_host(4).build();
    let mut set = JoinSet::new();
    for n in 0..REQUESTS {
        let (client, url) = (client.clone(), format!("{base}/item/{n}"));
        set.spawn(async move { (n, client.get(&url).await) });
    }
    let mut responses = Vec::with_capacity(REQUESTS);
    while let Some(done) = set.join_next().await {
        let (n, resp) = done.expect("task");
        responses.push((n, resp.expect("response")));
    }
    check_items(responses);
    let stats = client.pool_stats();
    assert!(stats.open >= 1 && stats.open <= 4, "{stats:?}");
    assert_eq!(
        stats.idle, stats.open,
        "every connection went back to the pool"
    );
    server.with_graceful_shutdown(async {}).await.unwrap();
}

#[test]
fn a_body_read_on_another_thread_returns_its_connection_to_its_pool() {
    let server = item_server();
    let url = format!("http://{}/large", server.local_addr());
    let small = format!("http://{}/item/7", server.local_addr());
    let rt = corio::Runtime::builder().workers(2).build().unwrap();
    let client = Client::new();
    // Worker 0 sends the request; worker 1 reads the body.
    let (send, recv) = oneshot::channel::<StreamingResponse>();
    let reader = rt.spawn_on(1, async move {
        let mut resp = recv.await.expect("response sent");
        let mut body = Vec::new();
        resp.body.read_to_end(&mut body).await.expect("body");
        (std::thread::current().id(), body.len())
    });
    let sender = {
        let client = client.clone();
        rt.spawn_on(0, async move {
            let resp = client
                .send_streaming(ClientRequest::get(&url))
                .await
                .expect("head");
            assert_eq!(resp.status, StatusCode::OK);
            let before = client.pool_stats();
            send.send(resp).expect("reader waits");
            (std::thread::current().id(), before)
        })
    };
    let (sender_thread, before) = corio::block_on(sender).unwrap();
    let (reader_thread, len) = corio::block_on(reader).unwrap();
    assert_ne!(sender_thread, reader_thread);
    assert_eq!(len, LARGE);
    assert_eq!(
        (before.open, before.idle),
        (1, 0),
        "leased while its body is out"
    );
    // The connection went back to worker 0's pool, where the next request reuses it.
    let again = rt.spawn_on(0, async move {
        let after_read = client.pool_stats();
        let resp = client.get(&small).await.expect("response");
        (after_read, resp, client.pool_stats())
    });
    let (after_read, resp, after_reuse) = corio::block_on(again).unwrap();
    assert_eq!((after_read.open, after_read.idle), (1, 1));
    assert_eq!(resp.text(), "item 7");
    assert_eq!(
        (after_reuse.open, after_reuse.idle),
        (1, 1),
        "reused, not reopened"
    );
    drop(rt);
    stop(server);
}

#[derive(Clone)]
struct Upstream {
    client: Client,
    base: String,
}

#[test]
fn a_handler_spawns_requests_through_the_client_in_its_state() {
    let backend = item_server();
    let state = Upstream {
        client: Client::new(),
        base: format!("http://{}", backend.local_addr()),
    };
    let front = Server::bind("127.0.0.1:0".parse().unwrap())
        .workers(2)
        .start(
            Router::with_state(state).get("/sum", |State(up): State<Upstream>| async move {
                // Three upstream requests at once, each a `corio::spawn`ed task.
                let tasks: Vec<_> = (1..=3)
                    .map(|n| {
                        let (client, url) = (up.client.clone(), format!("{}/item/{n}", up.base));
                        corio::spawn(async move { client.get(&url).await })
                    })
                    .collect();
                let mut said = Vec::new();
                for task in tasks {
                    match task.await.expect("task") {
                        Ok(resp) => said.push(resp.text().into_owned()),
                        Err(e) => return Response::text(e.to_string()),
                    }
                }
                Response::text(said.join(", "))
            }),
        )
        .expect("server starts");
    let url = format!("http://{}/sum", front.local_addr());
    corio::block_on(async {
        let client = Client::new();
        let mut set = JoinSet::new();
        for _ in 0..8 {
            let (client, url) = (client.clone(), url.clone());
            set.spawn(async move { client.get(&url).await });
        }
        let mut answered = 0;
        while let Some(done) = set.join_next().await {
            let resp = done.expect("task").expect("response");
            assert_eq!(resp.status, StatusCode::OK);
            assert_eq!(resp.text(), "item 1, item 2, item 3");
            answered += 1;
        }
        assert_eq!(answered, 8);
    });
    stop(front);
    stop(backend);
}
