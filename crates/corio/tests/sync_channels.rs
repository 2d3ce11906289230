//! `corio::sync::oneshot` and `corio::sync::watch`: within one loop, across the two loops of
//! a runtime, from plain threads; close and drop semantics; one stored waker however often a
//! waiting future is polled.

mod sync_util;

use std::task::{Context, Poll};
use std::thread;

use corio::sync::{oneshot, watch};
use futures_core::future::FusedFuture;
use sync_util::{poll_once, run_on, stored_after_polls, two_workers, WakerCounter, MILLION};

#[test]
fn oneshot_delivers_a_value_sent_before_or_after_the_await() {
    corio::block_on(async {
        let (tx, rx) = oneshot::channel();
        tx.send("early").unwrap();
        assert_eq!(rx.await, Ok("early"));

        let (tx, mut rx) = oneshot::channel();
        assert_eq!(rx.try_recv(), Err(oneshot::error::TryRecvError::Empty));
        let receiver =
            corio::spawn(async move { (&mut rx).await.map(|v| (v, rx.is_terminated())) });
        corio::yield_now().await;
        tx.send(5).unwrap();
        assert_eq!(receiver.await.unwrap(), Ok((5, true)));
    });
}

#[test]
fn oneshot_sender_dropped_is_an_error_for_the_receiver() {
    corio::block_on(async {
        let (tx, rx) = oneshot::channel::<u8>();
        let receiver = corio::spawn(rx);
        corio::yield_now().await;
        drop(tx);
        assert!(receiver.await.unwrap().is_err());

        let (tx, mut rx) = oneshot::channel::<u8>();
        drop(tx);
        assert_eq!(rx.try_recv(), Err(oneshot::error::TryRecvError::Closed));
    });
}

#[test]
fn oneshot_receiver_dropped_or_closed_fails_the_send_and_wakes_closed() {
    corio::block_on(async {
        let (mut tx, rx) = oneshot::channel();
        let closed = corio::spawn(async move {
            tx.closed().await;
            tx.send(1)
        });
        corio::yield_now().await;
        drop(rx);
        assert_eq!(closed.await.unwrap(), Err(1));

        let (tx, mut rx) = oneshot::channel();
        rx.close();
        assert!(tx.is_closed());
        assert_eq!(tx.send(2), Err(2));

        // A value sent before close stays receivable.
        let (tx, mut rx) = oneshot::channel();
        tx.send(3).unwrap();
        rx.close();
        assert_eq!(rx.try_recv(), Ok(3));
    });
}

#[test]
fn oneshot_across_loops_and_plain_threads() {
    let runtime = two_workers();
    let (tx, rx) = oneshot::channel();
    let receiver = runtime.spawn_on(1, rx);
    run_on(&runtime, 0, async move { tx.send("across loops").unwrap() });
    assert_eq!(corio::block_on(receiver).unwrap(), Ok("across loops"));

    let (tx, rx) = oneshot::channel();
    let plain = thread::spawn(move || rx.blocking_recv());
    run_on(&runtime, 0, async move { tx.send("to a thread").unwrap() });
    assert_eq!(plain.join().unwrap(), Ok("to a thread"));

    let (tx, rx) = oneshot::channel();
    let receiver = runtime.spawn_on(1, rx);
    thread::spawn(move || tx.send("from a thread").unwrap())
        .join()
        .unwrap();
    assert_eq!(corio::block_on(receiver).unwrap(), Ok("from a thread"));
    runtime.shutdown();
}

#[test]
fn oneshot_waiting_sides_polled_a_million_times_store_one_waker() {
    let (mut tx, mut rx) = oneshot::channel::<u8>();
    assert!(stored_after_polls(&mut rx, MILLION) <= 1);
    let counter = WakerCounter::new();
    let waker = counter.waker();
    for _ in 0..MILLION {
        assert!(tx
            .poll_closed(&mut Context::from_waker(&waker))
            .is_pending());
    }
    drop(waker);
    assert!(counter.alive() <= 1);
    tx.send(9).unwrap();
    assert_eq!(poll_once(&mut rx), Poll::Ready(Ok(9)));
}

#[test]
fn watch_receivers_see_the_latest_version() {
    corio::block_on(async {
        let (tx, mut rx) = watch::channel(0);
        let mut rx2 = rx.clone();
        assert_eq!(rx.has_changed(), Ok(false));
        let watchers: Vec<_> = [rx.clone(), tx.subscribe()]
            .into_iter()
            .map(|mut rx| {
                corio::spawn(async move {
                    rx.changed().await.unwrap();
                    *rx.borrow_and_update()
                })
            })
            .collect();
        corio::yield_now().await;
        tx.send(1).unwrap();
        tx.send(2).unwrap();
        for watcher in watchers {
            assert_eq!(watcher.await.unwrap(), 2);
        }
        assert_eq!(rx.has_changed(), Ok(true));
        let seen = rx.borrow_and_update();
        assert!(seen.has_changed());
        assert_eq!(*seen, 2);
        drop(seen);
        assert_eq!(rx.has_changed(), Ok(false));
        assert!(!rx.borrow().has_changed());
        rx2.changed().await.unwrap();
        assert_eq!(*rx2.borrow(), 2);
        assert_eq!(tx.receiver_count(), 2);
    });
}

#[test]
fn watch_send_if_modified_publishes_only_changes() {
    let (tx, rx) = watch::channel(vec![1]);
    assert!(!tx.send_if_modified(|v| {
        v.push(0);
        v.pop();
        false
    }));
    assert_eq!(rx.has_changed(), Ok(false));
    tx.send_modify(|v| v.push(2));
    assert_eq!(rx.has_changed(), Ok(true));
    assert_eq!(*tx.borrow(), [1, 2]);
    assert_eq!(tx.send_replace(vec![3]), [1, 2]);
}

#[test]
fn watch_sender_dropped_ends_receivers_after_the_last_version() {
    corio::block_on(async {
        let (tx, mut rx) = watch::channel("a");
        let waiting = corio::spawn({
            let mut rx = rx.clone();
            async move { rx.changed().await }
        });
        corio::yield_now().await;
        tx.send("b").unwrap();
        drop(tx);
        assert!(waiting.await.unwrap().is_ok());
        assert!(rx.has_changed().is_err());
        // The version sent before the drop is still reported, then the error.
        assert!(rx.changed().await.is_ok());
        assert_eq!(*rx.borrow(), "b");
        assert!(rx.changed().await.is_err());
    });
}

#[test]
fn watch_without_receivers_refuses_send_and_wakes_closed() {
    corio::block_on(async {
        let (tx, rx) = watch::channel(0);
        let rx2 = rx.clone();
        let closed = corio::spawn(async move {
            tx.closed().await;
            (tx.is_closed(), tx.send(1), tx.send_replace(2))
        });
        corio::yield_now().await;
        drop(rx);
        corio::yield_now().await;
        assert!(!closed.is_finished());
        drop(rx2);
        let (is_closed, send, old) = closed.await.unwrap();
        assert!(is_closed);
        assert_eq!(send.unwrap_err().0, 1);
        assert_eq!(old, 0);
    });
}

#[test]
fn watch_across_loops_and_from_a_plain_thread() {
    let runtime = two_workers();
    let (tx, mut rx) = watch::channel(0);
    let mut rx_thread = rx.clone();
    let watcher = runtime.spawn_on(1, async move {
        while *rx.borrow_and_update() != 100 {
            rx.changed().await.unwrap();
        }
        rx.changed().await.is_err()
    });
    let sender = runtime.spawn_on(0, async move {
        for i in 1..=100 {
            tx.send(i).unwrap();
            corio::yield_now().await;
        }
    });
    let plain = thread::spawn(move || {
        corio::block_on(async move {
            while *rx_thread.borrow_and_update() != 100 {
                rx_thread.changed().await.unwrap();
            }
        })
    });
    corio::block_on(sender).unwrap();
    assert!(corio::block_on(watcher).unwrap(), "sender gone: an error");
    plain.join().unwrap();
    runtime.shutdown();
}

#[test]
fn watch_changed_polled_or_dropped_a_million_times_stores_at_most_one_waker() {
    let (tx, mut rx) = watch::channel(0);
    {
        let mut changed = rx.changed();
        assert!(stored_after_polls(&mut changed, MILLION) <= 1);
    }
    let counter = WakerCounter::new();
    let waker = counter.waker();
    for _ in 0..MILLION {
        let mut changed = rx.changed();
        let pinned = std::pin::Pin::new(&mut changed);
        assert!(std::future::Future::poll(pinned, &mut Context::from_waker(&waker)).is_pending());
    }
    drop(waker);
    assert_eq!(counter.alive(), 0);
    tx.send(1).unwrap();
    assert_eq!(poll_once(&mut rx.changed()), Poll::Ready(Ok(())));
}
