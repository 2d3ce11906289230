//! `corio::sync::JoinSet`: results in the order tasks finish, abort and shutdown, a dropped
//! set aborting its tasks, panics, tasks on the two loops of a runtime, detaching.

mod sync_util;

use std::sync::Arc;

use corio::sync::{oneshot, JoinSet, Notify};
use sync_util::two_workers;

#[test]
fn results_come_in_the_order_tasks_finish() {
    corio::block_on(async {
        let mut set = JoinSet::new();
        let mut senders = Vec::new();
        for i in 0..3 {
            let (tx, rx) = oneshot::channel::<()>();
            senders.push(tx);
            set.spawn(async move {
                rx.await.unwrap();
                i
            });
        }
        assert_eq!(set.len(), 3);
        assert!(set.try_join_next().is_none());
        let mut order = Vec::new();
        for i in [2, 0, 1] {
            std::mem::replace(&mut senders[i], oneshot::channel().0)
                .send(())
                .unwrap();
            order.push(set.join_next().await.unwrap().unwrap());
        }
        assert_eq!(order, [2, 0, 1]);
        assert!(set.is_empty());
        assert!(set.join_next().await.is_none());
    });
}

#[test]
fn try_join_next_takes_a_finished_task_without_waiting() {
    corio::block_on(async {
        let mut set = JoinSet::new();
        set.spawn(async { "done" });
        corio::yield_now().await;
        assert_eq!(set.try_join_next().unwrap().unwrap(), "done");
        assert!(set.try_join_next().is_none());
    });
}

#[test]
fn abort_all_cancels_running_tasks_and_keeps_finished_results() {
    corio::block_on(async {
        let mut set = JoinSet::new();
        set.spawn(async { Some(1) });
        corio::yield_now().await;
        let (tx, rx) = oneshot::channel::<()>();
        set.spawn(async move {
            let _tx = tx; // dropped when the task's future is
            std::future::pending::<()>().await;
            None
        });
        set.abort_all();
        let mut finished = 0;
        let mut cancelled = 0;
        while let Some(result) = set.join_next().await {
            match result {
                Ok(output) => {
                    assert_eq!(output, Some(1));
                    finished += 1;
                }
                Err(e) => {
                    assert!(e.is_cancelled());
                    cancelled += 1;
                }
            }
        }
        assert_eq!((finished, cancelled), (1, 1));
        assert!(rx.await.is_err(), "the aborted task's future was dropped");
    });
}

#[test]
fn shutdown_aborts_and_waits_and_a_dropped_set_aborts() {
    corio::block_on(async {
        let mut set = JoinSet::new();
        let mut receivers = Vec::new();
        for _ in 0..3 {
            let (tx, rx) = oneshot::channel::<()>();
            receivers.push(rx);
            set.spawn(async move {
                let _tx = tx;
                std::future::pending::<()>().await
            });
        }
        set.shutdown().await;
        assert!(set.is_empty());
        for rx in receivers {
            assert!(rx.await.is_err());
        }

        let (tx, rx) = oneshot::channel::<()>();
        let mut set = JoinSet::new();
        set.spawn(async move {
            let _tx = tx;
            std::future::pending::<()>().await
        });
        drop(set);
        assert!(rx.await.is_err(), "dropping the set aborted its task");
    });
}

#[test]
fn a_panicking_task_is_a_join_error() {
    corio::block_on(async {
        let mut set = JoinSet::new();
        set.spawn(async { panic!("task failed") });
        set.spawn_local(async { 1 });
        let mut panics = 0;
        let mut outputs = 0;
        while let Some(result) = set.join_next().await {
            match result {
                Ok(_) => outputs += 1,
                Err(e) => {
                    assert!(e.is_panic());
                    panics += 1;
                }
            }
        }
        assert_eq!((panics, outputs), (1, 1));
    });
}

#[test]
fn tasks_on_both_loops_of_a_runtime_join_in_one_set() {
    let runtime = two_workers();
    let names = corio::block_on(async {
        let mut set = JoinSet::new();
        for i in 0..10 {
            set.spawn_on(
                async { std::thread::current().name().map(str::to_owned) },
                runtime.handle(i % 2),
            );
        }
        set.join_all().await
    });
    let on_first = names
        .iter()
        .filter(|n| n.as_deref() == Some("sync-test-0"))
        .count();
    let on_second = names
        .iter()
        .filter(|n| n.as_deref() == Some("sync-test-1"))
        .count();
    assert_eq!((on_first, on_second), (5, 5));

    // Aborting from this thread stops tasks waiting on the workers.
    let notify = Arc::new(Notify::new());
    let cancelled = corio::block_on(async {
        let mut set = JoinSet::new();
        for i in 0..4 {
            let notify = notify.clone();
            set.spawn_on(
                async move { notify.notified().await },
                runtime.handle(i % 2),
            );
        }
        set.abort_all();
        let mut cancelled = 0;
        while let Some(result) = set.join_next().await {
            if result.is_err_and(|e| e.is_cancelled()) {
                cancelled += 1;
            }
        }
        cancelled
    });
    assert_eq!(cancelled, 4);
    runtime.shutdown();
}

#[test]
fn detached_tasks_run_on_after_the_set_is_gone() {
    corio::block_on(async {
        let (go_tx, go_rx) = oneshot::channel::<()>();
        let (done_tx, done_rx) = oneshot::channel();
        let mut set = JoinSet::new();
        set.spawn(async move {
            go_rx.await.unwrap();
            done_tx.send("finished").unwrap();
        });
        set.detach_all();
        assert!(set.is_empty());
        drop(set);
        go_tx.send(()).unwrap();
        assert_eq!(done_rx.await, Ok("finished"));
    });
}
