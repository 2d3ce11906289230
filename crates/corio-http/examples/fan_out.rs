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

use std::cell::Cell;
use std::rc::Rc;
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
        // One client (one connection pool) shared by every task; it lives on this loop, so
        // the tasks are spawned with spawn_local.
        let client = Client::builder().max_connections_per_host(LIMIT).build();
        let permits = Arc::new(Semaphore::new(LIMIT));
        let (in_flight, most) = (Rc::new(Cell::new(0)), Rc::new(Cell::new(0)));
        let mut tasks = JoinSet::new();
        for n in 0..URLS {
            let (client, permits) = (client.clone(), permits.clone());
            let (in_flight, most) = (in_flight.clone(), most.clone());
            let url = format!("{base}/item/{n}");
            tasks.spawn_local(async move {
                let _permit = permits.acquire_owned().await.expect("never closed");
                in_flight.set(in_flight.get() + 1);
                most.set(most.get().max(in_flight.get()));
                let result = corio::time::timeout(PER_REQUEST, client.get(&url)).await;
                in_flight.set(in_flight.get() - 1);
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
        assert!(most.get() <= LIMIT);
        println!(
            "fetched {} pages, at most {} requests at once (limit {LIMIT})",
            pages.len(),
            most.get()
        );
        pages.len()
    });

    server.shutdown();
    server.wait()?;
    assert_eq!(fetched, URLS);
    println!("done");
    Ok(())
}
