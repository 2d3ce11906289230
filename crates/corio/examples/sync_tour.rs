//! A tour of corio's building blocks, each in a few lines, as a tokio user would write them:
//! `spawn`, `spawn_local`, `spawn_blocking`, `time::timeout`, and `corio::sync`'s `mpsc`,
//! `oneshot`, `watch`, `Notify`, `Semaphore`, `Mutex`, `CancellationToken` and `JoinSet`,
//! across the two workers of a `Runtime` and a plain thread. Every step checks its result;
//! the program prints one line per step and exits 0.
//!
//! ```text
//! cargo run -p corio --example sync_tour
//! ```

use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use corio::sync::{mpsc, oneshot, watch, CancellationToken, JoinSet, Mutex, Notify, Semaphore};

/// Tasks, `spawn_local` for `!Send` futures, blocking work off the loop, and a timeout.
async fn tasks() {
    let doubled = corio::spawn(async { 21 * 2 }).await.unwrap();
    let local = Rc::new("not Send"); // an Rc cannot cross threads: spawn_local keeps it here
    let len = corio::spawn_local(async move { local.len() })
        .await
        .unwrap();
    let sum = corio::task::spawn_blocking(|| (1..=100u32).sum::<u32>())
        .await
        .unwrap();
    let never = std::future::pending::<()>();
    let timed_out = corio::time::timeout(Duration::from_millis(10), never).await;
    assert_eq!((doubled, len, sum), (42, 8, 5050));
    assert!(timed_out.is_err());
    println!("tasks: spawn, spawn_local, spawn_blocking, timeout");
}

/// A server task fed by a bounded channel, answering each job on a oneshot; it runs on
/// worker 1 of the runtime, the requests come from worker 0.
async fn channels(worker1: &corio::LoopHandle) {
    let (jobs, mut queue) = mpsc::channel::<(u64, oneshot::Sender<u64>)>(4);
    let server = worker1.spawn(async move {
        while let Some((n, reply)) = queue.recv().await {
            let _ = reply.send(n * n);
        }
    });
    let mut answers = Vec::new();
    for n in 1..=5 {
        let (tx, rx) = oneshot::channel();
        jobs.send((n, tx)).await.unwrap();
        answers.push(rx.await.unwrap());
    }
    drop(jobs); // the last sender gone: the server's recv() returns None
    server.await.unwrap();
    assert_eq!(answers, [1, 4, 9, 16, 25]);

    // An unbounded channel read by a plain thread with blocking_recv.
    let (tx, mut rx) = mpsc::unbounded_channel();
    let thread = std::thread::spawn(move || {
        let mut got = Vec::new();
        while let Some(v) = rx.blocking_recv() {
            got.push(v);
        }
        got
    });
    for v in ["a", "b", "c"] {
        tx.send(v).unwrap();
    }
    drop(tx);
    let got = corio::task::spawn_blocking(move || thread.join().unwrap())
        .await
        .unwrap();
    assert_eq!(got, ["a", "b", "c"]);
    println!("channels: mpsc (bounded, unbounded, blocking_recv), oneshot, across workers");
}

/// Configuration broadcast with `watch`; a wake-up with `Notify`.
async fn watch_and_notify(worker1: &corio::LoopHandle) {
    let (config, mut seen) = watch::channel(1u32);
    let notify = Arc::new(Notify::new());
    let waiter = worker1.spawn({
        let notify = notify.clone();
        async move {
            notify.notified().await;
            "woken"
        }
    });
    config.send(2).unwrap();
    seen.changed().await.unwrap();
    assert_eq!(*seen.borrow_and_update(), 2);
    notify.notify_one(); // stored if the waiter has not started waiting yet
    assert_eq!(waiter.await.unwrap(), "woken");
    println!("watch and Notify");
}

/// At most 2 of 6 tasks at once with a `Semaphore`; a counter behind an async `Mutex`;
/// the tasks in a `JoinSet`.
async fn limits() {
    let permits = Arc::new(Semaphore::new(2));
    let state = Arc::new(Mutex::new((0usize, 0usize))); // (running now, most at once)
    let mut set = JoinSet::new();
    for i in 0..6 {
        let (permits, state) = (permits.clone(), state.clone());
        set.spawn(async move {
            let _permit = permits.acquire_owned().await.unwrap();
            {
                let mut s = state.lock().await;
                s.0 += 1;
                s.1 = s.1.max(s.0);
            }
            corio::yield_now().await;
            state.lock().await.0 -= 1;
            i
        });
    }
    let mut done = Vec::new();
    while let Some(result) = set.join_next().await {
        done.push(result.unwrap());
    }
    done.sort_unstable();
    assert_eq!(done, [0, 1, 2, 3, 4, 5]);
    let most = state.lock().await.1;
    assert!((1..=2).contains(&most), "{most} at once");
    println!("Semaphore, Mutex, JoinSet: 6 tasks, at most {most} at once");
}

/// Cancelling a parent token cancels its children, wherever they wait.
async fn cancellation(worker1: &corio::LoopHandle) {
    let root = CancellationToken::new();
    let child = root.child_token();
    let stopped = worker1.spawn(async move {
        child.cancelled().await;
        "child stopped"
    });
    let busy = root.child_token();
    let work =
        corio::spawn(async move { busy.run_until_cancelled(std::future::pending::<()>()).await });
    root.cancel();
    assert_eq!(stopped.await.unwrap(), "child stopped");
    assert_eq!(work.await.unwrap(), None);
    println!("CancellationToken: parent cancelled, children stopped");
}

fn main() {
    let runtime = corio::Runtime::builder().workers(2).build().unwrap();
    // A handle spawns onto worker 1 from anywhere; the tour itself runs on worker 0.
    let worker1 = runtime.handle(1).clone();
    let tour = runtime.spawn_on(0, async move {
        tasks().await;
        channels(&worker1).await;
        watch_and_notify(&worker1).await;
        limits().await;
        cancellation(&worker1).await;
    });
    corio::block_on(tour).unwrap();
    runtime.shutdown();
    println!("tour complete");
}
