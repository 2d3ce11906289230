//! `corio::sync::Notify`: permits, broadcast, FIFO order, a dropped chosen waiter passing its
//! notification on, across loops and from plain threads, and no waker left behind.

mod sync_util;

use std::sync::Arc;
use std::task::Poll;
use std::thread;

use corio::sync::Notify;
use futures_core::future::FusedFuture;
use sync_util::{
    poll_once, run_on, stored_after_dropped_polls, stored_after_polls, two_workers, MILLION,
};

#[test]
fn notify_one_without_waiters_stores_a_single_permit() {
    let notify = Notify::new();
    notify.notify_one();
    notify.notify_one();
    let mut first = notify.notified();
    assert_eq!(poll_once(&mut first), Poll::Ready(()));
    assert!(first.is_terminated());
    assert!(poll_once(&mut notify.notified()).is_pending());
}

#[test]
fn notify_waiters_wakes_every_future_created_before_it_and_stores_nothing() {
    let notify = Notify::new();
    let mut polled = notify.notified();
    assert!(poll_once(&mut polled).is_pending());
    let mut never_polled = notify.notified();
    notify.notify_waiters();
    let mut created_after = notify.notified();
    assert_eq!(poll_once(&mut polled), Poll::Ready(()));
    assert_eq!(poll_once(&mut never_polled), Poll::Ready(()));
    assert!(poll_once(&mut created_after).is_pending());
}

#[test]
fn notify_one_wakes_waiters_in_arrival_order() {
    corio::block_on(async {
        let notify = Arc::new(Notify::new());
        let waiters: Vec<_> = (0..3)
            .map(|_| {
                let notify = notify.clone();
                corio::spawn(async move { notify.notified().await })
            })
            .collect();
        corio::yield_now().await;
        for woken in 0..3 {
            notify.notify_one();
            corio::yield_now().await;
            let finished: Vec<bool> = waiters.iter().map(|w| w.is_finished()).collect();
            let expected: Vec<bool> = (0..3).map(|i| i <= woken).collect();
            assert_eq!(finished, expected);
        }
    });
}

#[test]
fn a_chosen_waiter_dropped_passes_the_notification_on() {
    let notify = Notify::new();
    let mut first = notify.notified();
    let mut second = notify.notified();
    assert!(poll_once(&mut first).is_pending());
    assert!(poll_once(&mut second).is_pending());
    notify.notify_one();
    drop(first);
    assert_eq!(poll_once(&mut second), Poll::Ready(()));

    // With nobody else waiting, it becomes the permit.
    let mut only = notify.notified();
    assert!(poll_once(&mut only).is_pending());
    notify.notify_one();
    drop(only);
    assert_eq!(poll_once(&mut notify.notified()), Poll::Ready(()));
}

#[test]
fn ping_pong_across_the_two_loops_of_a_runtime() {
    let runtime = two_workers();
    let (ping, pong) = (Arc::new(Notify::new()), Arc::new(Notify::new()));
    let ponger = runtime.spawn_on(1, {
        let (ping, pong) = (ping.clone(), pong.clone());
        async move {
            for _ in 0..100 {
                ping.notified().await;
                pong.notify_one();
            }
        }
    });
    run_on(&runtime, 0, async move {
        for _ in 0..100 {
            ping.notify_one();
            pong.clone().notified_owned().await;
        }
    });
    corio::block_on(ponger).unwrap();
    runtime.shutdown();
}

#[test]
fn a_plain_thread_notifies_a_task() {
    let runtime = two_workers();
    let notify = Arc::new(Notify::new());
    let (started_tx, started_rx) = std::sync::mpsc::channel();
    let waiter = runtime.spawn_on(0, {
        let notify = notify.clone();
        async move {
            let notified = notify.notified();
            started_tx.send(()).unwrap();
            notified.await;
        }
    });
    started_rx.recv().unwrap();
    thread::spawn(move || notify.notify_waiters())
        .join()
        .unwrap();
    corio::block_on(waiter).unwrap();
    runtime.shutdown();
}

#[test]
fn waiting_polled_or_dropped_a_million_times_leaves_no_waiter_behind() {
    let notify = Notify::new();
    let mut notified = notify.notified();
    assert!(stored_after_polls(&mut notified, MILLION) <= 1);
    drop(notified);
    assert_eq!(stored_after_dropped_polls(|| notify.notified(), MILLION), 0);
    // No stale waiter took the notification: it is stored as the permit.
    notify.notify_one();
    assert_eq!(poll_once(&mut notify.notified()), Poll::Ready(()));
}
