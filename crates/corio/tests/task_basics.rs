//! Layer 3: tasks: wakers across threads, abort, panics, `spawn_blocking`, `spawn_local`,
//! `block_on`, and closing a loop with tasks left.

mod util;

use std::future::{pending, poll_fn};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::task::Poll;

use corio::net::{TcpListener, TcpStream};
use corio::EventLoop;
use util::{DropGuard, Event};

#[test]
fn tasks_run_and_return_their_output() {
    let out = corio::block_on(async {
        let handles: Vec<_> = (0..100u64)
            .map(|i| corio::spawn(async move { i * 2 }))
            .collect();
        let mut sum = 0;
        for handle in handles {
            sum += handle.await.unwrap();
        }
        sum
    });
    assert_eq!(out, 9900);
}

#[test]
fn a_task_is_woken_from_another_thread() {
    corio::block_on(async {
        let (tx, rx) = mpsc::channel::<std::task::Waker>();
        let flag = Arc::new(AtomicBool::new(false));
        let flag2 = flag.clone();
        let thread = std::thread::spawn(move || {
            let waker = rx.recv().unwrap();
            flag2.store(true, Ordering::SeqCst);
            waker.wake();
        });
        let task = corio::spawn(async move {
            let mut sent = false;
            poll_fn(|cx| {
                if flag.load(Ordering::SeqCst) {
                    return Poll::Ready(());
                }
                if !sent {
                    sent = true;
                    tx.send(cx.waker().clone()).unwrap();
                }
                Poll::Pending
            })
            .await;
            "woken"
        });
        assert_eq!(task.await.unwrap(), "woken");
        thread.join().unwrap();
    });
}

/// Regression: a spawned task woken by an I/O event (not by the `block_on` future) used to
/// panic with "RefCell already borrowed", as the loop held its ready queue while dispatching
/// events to wakers.
#[test]
fn a_spawned_task_is_woken_by_io() {
    corio::block_on(async {
        let listener = TcpListener::bind(util::any_port()).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = corio::spawn(async move {
            // Waits in accept: the client below has not connected yet.
            let (mut conn, _) = listener.accept().await.unwrap();
            let mut buf = [0; 4];
            conn.read_exact(&mut buf).await.unwrap();
            buf
        });
        corio::yield_now().await;
        let client = corio::spawn(async move {
            let mut stream = TcpStream::connect(addr).await.unwrap();
            corio::yield_now().await;
            stream.write_all(b"ping").await.unwrap();
        });
        client.await.unwrap();
        assert_eq!(&server.await.unwrap(), b"ping");
    });
}

#[test]
fn abort_drops_the_future_at_its_await_point() {
    corio::block_on(async {
        let drops = Arc::new(AtomicUsize::new(0));
        let started = Event::default();
        let (guard, started2) = (DropGuard(drops.clone()), started.clone());
        let handle = corio::spawn_local(async move {
            let _guard = guard;
            started2.set();
            pending::<()>().await;
        });
        started.wait().await;
        assert_eq!(drops.load(Ordering::SeqCst), 0);
        assert!(!handle.is_finished());
        handle.abort();
        let error = handle.await.unwrap_err();
        assert!(error.is_cancelled() && !error.is_panic());
        assert_eq!(drops.load(Ordering::SeqCst), 1);
    });
}

#[test]
fn abort_before_the_first_poll() {
    corio::block_on(async {
        let drops = Arc::new(AtomicUsize::new(0));
        let guard = DropGuard(drops.clone());
        let handle = corio::spawn(async move {
            let _guard = guard;
            panic!("an aborted task must not run");
        });
        handle.abort();
        assert!(handle.await.unwrap_err().is_cancelled());
        assert_eq!(drops.load(Ordering::SeqCst), 1);
    });
}

#[test]
fn abort_from_another_thread() {
    corio::block_on(async {
        let drops = Arc::new(AtomicUsize::new(0));
        let guard = DropGuard(drops.clone());
        let handle = corio::spawn(async move {
            let _guard = guard;
            pending::<()>().await;
        });
        corio::yield_now().await; // the task is suspended in `pending`
        let handle = std::thread::spawn(move || {
            handle.abort();
            handle
        })
        .join()
        .unwrap();
        assert!(handle.await.unwrap_err().is_cancelled());
        assert_eq!(drops.load(Ordering::SeqCst), 1);
    });
}

#[test]
fn abort_of_a_finished_task_is_a_no_op() {
    corio::block_on(async {
        let handle = corio::spawn(async { 7 });
        while !handle.is_finished() {
            corio::yield_now().await;
        }
        handle.abort();
        assert_eq!(handle.await.unwrap(), 7);
    });
}

#[test]
fn a_panicking_task_reports_is_panic_and_the_loop_goes_on() {
    corio::block_on(async {
        let handle = corio::spawn(async {
            panic!("boom");
        });
        let error = handle.await.unwrap_err();
        assert!(error.is_panic() && !error.is_cancelled());
        assert!(error.to_string().contains("boom"));
        let payload = error.into_panic();
        assert_eq!(payload.downcast_ref::<&str>(), Some(&"boom"));
        // The loop still runs tasks.
        assert_eq!(corio::spawn(async { 1 }).await.unwrap(), 1);
    });
}

#[test]
fn dropping_a_join_handle_detaches_the_task() {
    corio::block_on(async {
        let done = Event::default();
        let done2 = done.clone();
        drop(corio::spawn_local(async move {
            corio::yield_now().await;
            done2.set();
        }));
        done.wait().await;
        assert!(done.is_set());
    });
}

#[test]
fn spawn_blocking_runs_off_the_loop() {
    corio::block_on(async {
        let loop_thread = std::thread::current().id();
        let (thread, sum) = corio::task::spawn_blocking(|| {
            (std::thread::current().id(), (1..=100u32).sum::<u32>())
        })
        .await
        .unwrap();
        assert_ne!(thread, loop_thread);
        assert_eq!(sum, 5050);
        let error = corio::task::spawn_blocking(|| panic!("blocking boom"))
            .await
            .unwrap_err();
        assert!(error.is_panic());
    });
}

#[test]
fn many_spawn_blocking_jobs_complete() {
    corio::block_on(async {
        let handles: Vec<_> = (0..200u64)
            .map(|i| corio::task::spawn_blocking(move || i))
            .collect();
        let mut total = 0;
        for handle in handles {
            total += handle.await.unwrap();
        }
        assert_eq!(total, 199 * 200 / 2);
    });
}

#[test]
fn spawn_local_accepts_non_send_futures() {
    corio::block_on(async {
        let shared = Rc::new(std::cell::RefCell::new(Vec::new()));
        let handles: Vec<_> = (0..3)
            .map(|i| {
                let shared = shared.clone();
                corio::spawn_local(async move {
                    corio::yield_now().await;
                    shared.borrow_mut().push(i);
                })
            })
            .collect();
        for handle in handles {
            handle.await.unwrap();
        }
        assert_eq!(*shared.borrow(), [0, 1, 2]);
    });
}

#[test]
fn block_on_inside_a_running_loop_panics() {
    corio::block_on(async {
        let nested = std::panic::catch_unwind(|| corio::block_on(async { 1 }));
        assert!(nested.is_err());
        // The outer loop is unharmed.
        assert_eq!(corio::spawn(async { 2 }).await.unwrap(), 2);
    });
}

#[test]
fn spawn_outside_a_loop_panics() {
    assert!(std::panic::catch_unwind(|| corio::spawn(async {})).is_err());
}

#[test]
fn yield_now_lets_other_tasks_run() {
    corio::block_on(async {
        let log = Rc::new(std::cell::RefCell::new(Vec::new()));
        let log2 = log.clone();
        let other = corio::spawn_local(async move { log2.borrow_mut().push("other") });
        log.borrow_mut().push("before");
        corio::yield_now().await;
        log.borrow_mut().push("after");
        other.await.unwrap();
        assert_eq!(*log.borrow(), ["before", "other", "after"]);
    });
}

/// Regression: closing a loop (as `block_on` and runtime workers do when they end) dropped
/// the tasks left but never completed their handles, so awaiting one hung forever.
#[test]
fn closing_a_loop_cancels_its_tasks() {
    let drops = Arc::new(AtomicUsize::new(0));
    let guard = DropGuard(drops.clone());
    let lp = EventLoop::new().unwrap();
    // Returned in a `Vec` so that the block's output is not itself a future.
    let mut handles = lp.run_until_complete(async move {
        let handle = corio::spawn(async move {
            let _guard = guard;
            pending::<()>().await;
        });
        corio::yield_now().await;
        vec![handle]
    });
    let handle = handles.pop().unwrap();
    assert_eq!(drops.load(Ordering::SeqCst), 0);
    lp.close();
    assert_eq!(drops.load(Ordering::SeqCst), 1);
    assert!(handle.is_finished());
    assert!(corio::block_on(handle).unwrap_err().is_cancelled());
}

#[test]
fn loop_handle_spawn_from_another_thread() {
    let lp = EventLoop::new().unwrap();
    let handle = lp.handle();
    let (tx, rx) = mpsc::channel();
    let thread = std::thread::spawn(move || {
        let task = handle.spawn(async { std::thread::current().name().map(str::to_owned) });
        tx.send(task).unwrap();
    });
    let name = lp.run_until_complete(async move { rx.recv().unwrap().await.unwrap() });
    thread.join().unwrap();
    assert_eq!(name, std::thread::current().name().map(str::to_owned));
}

/// Sends on its channel when dropped.
#[derive(Debug)]
struct SendOnDrop(mpsc::Sender<()>);

impl Drop for SendOnDrop {
    fn drop(&mut self) {
        let _ = self.0.send(());
    }
}

#[test]
fn abort_of_a_running_blocking_job_cancels_its_handle_and_drops_its_result() {
    corio::block_on(async {
        let (started_tx, started_rx) = mpsc::channel();
        let (go_tx, go_rx) = mpsc::channel::<()>();
        let (dropped_tx, dropped_rx) = mpsc::channel();
        let handle = corio::task::spawn_blocking(move || {
            started_tx.send(()).unwrap();
            go_rx.recv().unwrap();
            SendOnDrop(dropped_tx)
        });
        started_rx.recv().unwrap();
        handle.abort();
        assert!(handle.is_finished());
        go_tx.send(()).unwrap();
        assert!(handle.await.unwrap_err().is_cancelled());
        dropped_rx.recv().unwrap();
    });
}

/// Task steps woken by other task steps may run in the same iteration, but only up to the
/// loop's budget: two tasks waking each other forever still let the loop take the work sent
/// through its remote queue, which is drained only between iterations.
#[test]
fn tasks_waking_each_other_still_let_remote_work_in() {
    const SENT_AT: usize = 10;
    let lp = EventLoop::new().unwrap();
    let steps = Rc::new(std::cell::Cell::new(0usize));
    for _ in 0..2 {
        let (steps, handle) = (steps.clone(), lp.handle());
        drop(lp.spawn_local(async move {
            loop {
                steps.set(steps.get() + 1);
                if steps.get() == SENT_AT {
                    handle.stop(); // through the remote queue
                }
                corio::task::yield_now().await;
            }
        }));
    }
    lp.run_forever().unwrap();
    let ran = steps.get();
    assert!(
        ran <= SENT_AT + 2 * corio::EVENT_INTERVAL,
        "{ran} task steps ran before the loop took the remote stop"
    );
    lp.close();
}
