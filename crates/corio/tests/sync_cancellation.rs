//! `corio::sync::CancellationToken`: trees of tokens, the drop guard, `run_until_cancelled`,
//! cancellation across loops and from plain threads, and no waiter left behind.

mod sync_util;

use std::future::pending;
use std::task::Poll;
use std::thread;

use corio::sync::CancellationToken;
use futures_core::future::FusedFuture;
use sync_util::{
    poll_once, run_on, stored_after_dropped_polls, stored_after_polls, two_workers, MILLION,
};

#[test]
fn cancel_wakes_waiters_polled_or_not() {
    let token = CancellationToken::new();
    let mut polled = token.cancelled();
    assert!(poll_once(&mut polled).is_pending());
    let mut never_polled = token.cancelled();
    assert!(!token.is_cancelled());
    token.cancel();
    token.cancel();
    assert!(token.is_cancelled());
    assert_eq!(poll_once(&mut polled), Poll::Ready(()));
    assert!(polled.is_terminated());
    assert_eq!(poll_once(&mut never_polled), Poll::Ready(()));
    assert_eq!(poll_once(&mut token.cancelled()), Poll::Ready(()));
}

#[test]
fn cancelling_a_parent_cancels_the_whole_subtree_and_only_it() {
    let root = CancellationToken::new();
    let child = root.child_token();
    let grandchild = child.child_token();
    let sibling = root.child_token();
    let mut waiting_grandchild = grandchild.cancelled();
    assert!(poll_once(&mut waiting_grandchild).is_pending());

    let only_mine = sibling.child_token();
    sibling.cancel();
    assert!(only_mine.is_cancelled());
    assert!(!root.is_cancelled() && !child.is_cancelled() && !grandchild.is_cancelled());

    // The middle token's handles are gone: its node still carries the cancellation down.
    drop(child);
    root.cancel();
    assert!(grandchild.is_cancelled());
    assert_eq!(poll_once(&mut waiting_grandchild), Poll::Ready(()));

    let late = root.child_token();
    assert!(
        late.is_cancelled(),
        "a child of a cancelled token is born cancelled"
    );
}

#[test]
fn the_drop_guard_cancels_unless_disarmed() {
    let token = CancellationToken::new();
    let guard = token.clone().drop_guard();
    let token_back = guard.disarm();
    assert!(!token_back.is_cancelled());
    let result = std::panic::catch_unwind(|| {
        let _guard = token.clone().drop_guard();
        panic!("leaving the scope by a panic");
    });
    assert!(result.is_err());
    assert!(token.is_cancelled());
}

#[test]
fn run_until_cancelled_returns_the_output_or_none() {
    corio::block_on(async {
        let token = CancellationToken::new();
        assert_eq!(token.run_until_cancelled(async { 5 }).await, Some(5));
        let worker = corio::spawn({
            let token = token.clone();
            async move { token.run_until_cancelled(pending::<()>()).await }
        });
        corio::yield_now().await;
        token.cancel();
        assert_eq!(worker.await.unwrap(), None);
    });
}

#[test]
fn cancellation_crosses_loops_and_comes_from_plain_threads() {
    let runtime = two_workers();
    let root = CancellationToken::new();
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let waiters: Vec<_> = (0..2)
        .map(|worker| {
            let token = root.child_token();
            let ready_tx = ready_tx.clone();
            runtime.spawn_on(worker, async move {
                let cancelled = token.clone().cancelled_owned();
                ready_tx.send(()).unwrap();
                cancelled.await;
                token.is_cancelled()
            })
        })
        .collect();
    for _ in 0..2 {
        ready_rx.recv().unwrap();
    }
    let canceller = root.clone();
    thread::spawn(move || canceller.cancel()).join().unwrap();
    for waiter in waiters {
        assert!(corio::block_on(waiter).unwrap());
    }

    // And a token cancelled on one loop wakes a task on the other.
    let token = CancellationToken::new();
    let waiter = runtime.spawn_on(1, {
        let token = token.clone();
        async move { token.cancelled().await }
    });
    run_on(&runtime, 0, async move { token.cancel() });
    corio::block_on(waiter).unwrap();
    runtime.shutdown();
}

#[test]
fn waiting_polled_or_dropped_a_million_times_leaves_no_waiter_behind() {
    let token = CancellationToken::new();
    let mut cancelled = token.cancelled();
    assert!(stored_after_polls(&mut cancelled, MILLION) <= 1);
    drop(cancelled);
    let mut owned = token.clone().cancelled_owned();
    assert!(stored_after_polls(&mut owned, MILLION) <= 1);
    drop(owned);
    assert_eq!(stored_after_dropped_polls(|| token.cancelled(), MILLION), 0);
}
