//! The multi-worker [`corio::Runtime`]: `spawn_on`, `run_on_each`, `SO_REUSEPORT` listeners on
//! every worker, and `shutdown` with tasks still pending.

mod util;

use std::future::pending;
use std::io::{Read, Write};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};

use corio::net::{ListenOptions, TcpListener};
use corio::Runtime;
use util::DropGuard;

fn two_workers() -> Runtime {
    Runtime::builder()
        .workers(2)
        .thread_name("rt-test")
        .build()
        .unwrap()
}

#[test]
fn spawn_on_runs_on_the_chosen_worker() {
    let runtime = two_workers();
    assert_eq!(runtime.workers(), 2);
    for index in 0..2 {
        let name = corio::block_on(runtime.spawn_on(index, async {
            std::thread::current().name().map(str::to_owned)
        }))
        .unwrap();
        assert_eq!(name.as_deref(), Some(format!("rt-test-{index}").as_str()));
    }
    runtime.shutdown();
}

#[test]
fn run_on_each_runs_once_per_worker_on_its_thread() {
    let runtime = two_workers();
    let handles = runtime.run_on_each(|index| {
        // Built on the worker's thread: the future may hold non-Send state.
        let here = std::rc::Rc::new(std::thread::current().name().map(str::to_owned));
        async move { (index, (*here).clone()) }
    });
    let mut results: Vec<_> = handles
        .into_iter()
        .map(|handle| corio::block_on(handle).unwrap())
        .collect();
    results.sort();
    assert_eq!(
        results,
        [
            (0, Some("rt-test-0".to_owned())),
            (1, Some("rt-test-1".to_owned()))
        ]
    );
    runtime.shutdown();
}

/// Each worker replies with its index on every connection it accepts.
async fn serve(listener: TcpListener, index: u8) {
    loop {
        let (mut stream, _) = listener.accept().await.unwrap();
        drop(corio::spawn(async move {
            let mut byte = [0u8; 1];
            stream.read_exact(&mut byte).await.unwrap();
            stream.write_all(&[byte[0], index]).await.unwrap();
        }));
    }
}

#[test]
fn reuse_port_listeners_on_two_workers_share_connections() {
    const CONNECTIONS: usize = 64;
    let runtime = two_workers();
    let (tx, rx) = mpsc::channel::<SocketAddr>();
    // Worker 0 binds first (any port) and reports the address; worker 1 binds the same one.
    let tx0 = tx.clone();
    let server0 = runtime.spawn_on(0, async move {
        let listener = ListenOptions::new()
            .reuse_port(true)
            .bind(util::any_port())
            .unwrap();
        tx0.send(listener.local_addr().unwrap()).unwrap();
        serve(listener, 0).await
    });
    let addr = rx.recv().unwrap();
    let server1 = runtime.spawn_on(1, async move {
        let listener = ListenOptions::new().reuse_port(true).bind(addr).unwrap();
        tx.send(addr).unwrap();
        serve(listener, 1).await
    });
    rx.recv().unwrap();

    // Plain blocking clients on this thread.
    let mut served = [0usize; 2];
    for i in 0..CONNECTIONS {
        let mut stream = std::net::TcpStream::connect(addr).unwrap();
        stream.write_all(&[i as u8]).unwrap();
        let mut reply = [0u8; 2];
        stream.read_exact(&mut reply).unwrap();
        assert_eq!(reply[0], i as u8);
        served[usize::from(reply[1])] += 1;
    }
    assert_eq!(served[0] + served[1], CONNECTIONS);
    // The kernel hashes connections over both listeners; with 64 connections both get some.
    assert!(served[0] > 0 && served[1] > 0, "served: {served:?}");

    runtime.shutdown();
    // The accept loops never finished: shutdown cancelled them.
    assert!(corio::block_on(server0).unwrap_err().is_cancelled());
    assert!(corio::block_on(server1).unwrap_err().is_cancelled());
}

#[test]
fn shutdown_drops_pending_tasks_and_joins() {
    let runtime = two_workers();
    let drops = Arc::new(AtomicUsize::new(0));
    let (started_tx, started_rx) = mpsc::channel::<()>();
    let mut handles = Vec::new();
    for index in 0..2 {
        for _ in 0..3 {
            let guard = DropGuard(drops.clone());
            let started = started_tx.clone();
            handles.push(runtime.spawn_on(index, async move {
                let _guard = guard;
                started.send(()).unwrap();
                pending::<()>().await;
            }));
        }
    }
    for _ in 0..6 {
        started_rx.recv().unwrap();
    }
    assert_eq!(drops.load(Ordering::SeqCst), 0);
    runtime.shutdown();
    // Joined: every worker closed its loop, dropping the futures at their await points.
    assert_eq!(drops.load(Ordering::SeqCst), 6);
    for handle in handles {
        assert!(handle.is_finished());
        assert!(corio::block_on(handle).unwrap_err().is_cancelled());
    }
}

#[test]
fn dropping_a_runtime_shuts_it_down() {
    let drops = Arc::new(AtomicUsize::new(0));
    let (started_tx, started_rx) = mpsc::channel::<()>();
    {
        let runtime = two_workers();
        let guard = DropGuard(drops.clone());
        drop(runtime.spawn_on(1, async move {
            let _guard = guard;
            started_tx.send(()).unwrap();
            pending::<()>().await;
        }));
        started_rx.recv().unwrap();
    }
    assert_eq!(drops.load(Ordering::SeqCst), 1);
}
