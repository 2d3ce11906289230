//! A client fan-out with bounded concurrency, as one writes it with tokio and reqwest: many
//! URLs, at most `LIMIT` requests in flight (a `Semaphore`), the results collected as they
//! finish (a `JoinSet`), each request under a timeout.
//!
//! The program starts its own server on 127.0.0.1 (one worker, answering `/item/<n>` with
//! `item <n>`), fetches `URLS` pages from it, checks every body and prints a summary.
//!
//! ```text
//! cargo run -p corio-http --example fan_out
//! ```

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use corio::sync::{JoinSet, Semaphore};
use corio_http::client::Client;
use corio_http::{Request, Response, Server};

/// How many pages to fetch.
const URLS: usize = 40;
/// The most requests in flight at once.
const LIMIT: usize = 4;
/// How long one request may take, connection included.
const PER_REQUEST: Duration = Duration::from_secs(10);

fn main() -> std::io::Result<()> {
    let server = Server::bind("127.0.0.1:0".parse().unwrap())
        .workers(1)
        .start(|req: Request| async move {
            let item = req.path().trim_start_matches("/item/").to_owned();
            Response::text(format!("item {item}"))
        })?;
    let base = format!("http://{}", server.local_addr());

    let fetched = corio::block_on(async move {
        // One client shared by every task (a clone each: an `Arc`); the tasks and their
        // request futures are `Send`, spawned as with tokio.
        let client = Client::builder().max_connections_per_host(LIMIT).build();
        let permits = Arc::new(Semaphore::new(LIMIT));
        let in_flight = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let mut tasks = JoinSet::new();
        for n in 0..URLS {
            let (client, permits) = (client.clone(), permits.clone());
            let (in_flight, most) = (in_flight.clone(), most.clone());
            let url = format!("{base}/item/{n}");
            tasks.spawn(async move {
                let _permit = permits.acquire_owned().await.expect("never closed");
                let now = in_flight.fetch_add(1, Ordering::Relaxed) + 1;
                most.fetch_max(now, Ordering::Relaxed);
                let result = corio::time::timeout(PER_REQUEST, client.get(&url)).await;
                in_flight.fetch_sub(1, Ordering::Relaxed);
                let response = result
                    .map_err(|_| format!("{url}: timed out"))?
                    .map_err(|e| format!("{url}: {e}"))?;
                Ok::<_, String>((n, response.text().into_owned()))
            });
        }
        let mut pages = Vec::with_capacity(URLS);
        while let Some(done) = tasks.join_next().await {
            let (n, body) = done.expect("task").unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(body, format!("item {n}"));
            pages.push(n);
        }
        let most = most.load(Ordering::Relaxed);
        assert!(most <= LIMIT);
        println!(
            "fetched {} pages, at most {most} requests at once (limit {LIMIT})",
            pages.len()
        );
        pages.len()
    });

    server.shutdown();
    server.wait()?;
    assert_eq!(fetched, URLS);
    println!("done");
    Ok(())
}
