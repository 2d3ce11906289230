//! `corio::sync::mpsc`: bounded and unbounded channels within one loop, across the two loops
//! of a runtime, and from plain threads; close and drop semantics; FIFO senders; permits; and
//! that waiting never stores more than one waker.

mod sync_util;

use std::pin::pin;
use std::task::Poll;
use std::thread;

use corio::sync::mpsc::{self, error::TryRecvError, error::TrySendError};
use sync_util::{
    poll_once, run_on, stored_after_dropped_polls, stored_after_polls, two_workers, MILLION,
};

#[test]
fn bounded_delivers_in_order_within_one_loop() {
    corio::block_on(async {
        let (tx, mut rx) = mpsc::channel(2);
        let producer = corio::spawn(async move {
            for i in 0..100 {
                tx.send(i).await.unwrap();
            }
        });
        let mut got = Vec::new();
        while let Some(i) = rx.recv().await {
            got.push(i);
        }
        assert_eq!(got, (0..100).collect::<Vec<_>>());
        producer.await.unwrap();
    });
}

#[test]
fn a_full_channel_refuses_try_send_and_a_waiting_send_resumes() {
    corio::block_on(async {
        let (tx, mut rx) = mpsc::channel(1);
        tx.try_send(1).unwrap();
        assert_eq!(tx.capacity(), 0);
        assert!(matches!(tx.try_send(2), Err(TrySendError::Full(2))));
        let waiting = corio::spawn({
            let tx = tx.clone();
            async move { tx.send(3).await }
        });
        corio::yield_now().await;
        assert!(!waiting.is_finished());
        assert_eq!(rx.recv().await, Some(1));
        assert_eq!(rx.recv().await, Some(3));
        waiting.await.unwrap().unwrap();
        assert_eq!(tx.capacity(), 1);
        assert_eq!(tx.max_capacity(), 1);
    });
}

#[test]
fn senders_waiting_for_a_slot_are_served_first_come_first_served() {
    corio::block_on(async {
        let (tx, mut rx) = mpsc::channel(1);
        tx.send(0).await.unwrap();
        let senders: Vec<_> = (1..=5)
            .map(|i| {
                let tx = tx.clone();
                corio::spawn(async move { tx.send(i).await.unwrap() })
            })
            .collect();
        // Each sender ran once, in spawn order, and queued for the slot.
        corio::yield_now().await;
        drop(tx);
        let mut got = Vec::new();
        while let Some(i) = rx.recv().await {
            got.push(i);
        }
        assert_eq!(got, [0, 1, 2, 3, 4, 5]);
        for sender in senders {
            sender.await.unwrap();
        }
    });
}

#[test]
fn dropping_the_receiver_fails_sends_and_gives_the_value_back() {
    corio::block_on(async {
        let (tx, rx) = mpsc::channel(1);
        tx.send("queued").await.unwrap();
        let blocked = corio::spawn({
            let tx = tx.clone();
            async move { tx.send("waiting").await }
        });
        corio::yield_now().await;
        let closed = corio::spawn({
            let tx = tx.clone();
            async move { tx.closed().await }
        });
        corio::yield_now().await;
        assert!(!tx.is_closed());
        drop(rx);
        assert!(tx.is_closed());
        assert_eq!(blocked.await.unwrap().unwrap_err().0, "waiting");
        closed.await.unwrap();
        assert_eq!(tx.send("late").await.unwrap_err().0, "late");
        assert!(matches!(
            tx.try_send("try"),
            Err(TrySendError::Closed("try"))
        ));
        assert!(tx.reserve().await.is_err());

        let (tx, rx) = mpsc::unbounded_channel();
        drop(rx);
        assert_eq!(tx.send(7).unwrap_err().0, 7);
        tx.closed().await;
    });
}

#[test]
fn dropping_every_sender_ends_the_receiver_after_the_queue() {
    corio::block_on(async {
        let (tx, mut rx) = mpsc::channel(8);
        let tx2 = tx.clone();
        tx.send(1).await.unwrap();
        tx2.send(2).await.unwrap();
        drop(tx);
        assert_eq!(rx.try_recv(), Ok(1));
        drop(tx2);
        assert_eq!(rx.recv().await, Some(2));
        assert_eq!(rx.recv().await, None);
        assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));

        let (tx, mut rx) = mpsc::unbounded_channel::<u8>();
        assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
        let waiting = corio::spawn(async move { rx.recv().await });
        corio::yield_now().await;
        drop(tx);
        assert_eq!(waiting.await.unwrap(), None);
    });
}

#[test]
fn close_refuses_new_sends_but_drains_the_queue_and_open_permits() {
    corio::block_on(async {
        let (tx, mut rx) = mpsc::channel(4);
        tx.send(1).await.unwrap();
        let permit = tx.reserve().await.unwrap();
        rx.close();
        assert!(rx.is_closed());
        assert_eq!(tx.send(9).await.unwrap_err().0, 9);
        assert_eq!(rx.recv().await, Some(1));
        // The permit reserved before the close still sends; until it does, recv waits.
        let mut recv = rx.recv();
        assert!(poll_once(&mut recv).is_pending());
        drop(recv);
        permit.send(2);
        assert_eq!(rx.recv().await, Some(2));
        assert_eq!(rx.recv().await, None);

        let (tx, mut rx) = mpsc::unbounded_channel();
        tx.send(1).unwrap();
        rx.close();
        assert!(tx.send(2).is_err());
        assert_eq!(rx.recv().await, Some(1));
        assert_eq!(rx.recv().await, None);
    });
}

#[test]
fn a_permit_holds_a_slot_until_used_or_dropped() {
    corio::block_on(async {
        let (tx, mut rx) = mpsc::channel(1);
        let permit = tx.reserve().await.unwrap();
        assert_eq!(tx.capacity(), 0);
        assert!(matches!(tx.try_reserve(), Err(TrySendError::Full(()))));
        drop(permit);
        assert_eq!(tx.capacity(), 1);
        tx.try_reserve().unwrap().send("via permit");
        assert_eq!(rx.recv().await, Some("via permit"));
        assert_eq!(rx.len(), 0);
        assert!(rx.is_empty());
    });
}

#[test]
fn bounded_and_unbounded_across_the_two_loops_of_a_runtime() {
    let runtime = two_workers();
    let (tx, mut rx) = mpsc::channel(4);
    let consumer = runtime.spawn_on(1, async move {
        let mut sum = 0u64;
        while let Some(i) = rx.recv().await {
            sum += i;
        }
        sum
    });
    run_on(&runtime, 0, async move {
        for i in 1..=1000u64 {
            tx.send(i).await.unwrap();
        }
    });
    assert_eq!(corio::block_on(consumer).unwrap(), 500_500);

    let (tx, mut rx) = mpsc::unbounded_channel();
    let (reply_tx, mut reply_rx) = mpsc::unbounded_channel();
    let echo = runtime.spawn_on(1, async move {
        while let Some(i) = rx.recv().await {
            reply_tx.send(i * 2).unwrap();
        }
    });
    let replies = run_on(&runtime, 0, async move {
        let mut replies = Vec::new();
        for i in 0..100 {
            tx.send(i).unwrap();
            replies.push(reply_rx.recv().await.unwrap());
        }
        replies
    });
    assert_eq!(replies, (0..100).map(|i| i * 2).collect::<Vec<_>>());
    corio::block_on(echo).unwrap();
    runtime.shutdown();
}

#[test]
fn plain_threads_send_and_receive_with_the_blocking_methods() {
    let (tx, mut rx) = mpsc::channel(2);
    let producer = thread::spawn(move || {
        for i in 0..1000 {
            tx.blocking_send(i).unwrap();
        }
    });
    let consumer = thread::spawn(move || {
        let mut got = Vec::new();
        while let Some(i) = rx.blocking_recv() {
            got.push(i);
        }
        got
    });
    producer.join().unwrap();
    assert_eq!(consumer.join().unwrap(), (0..1000).collect::<Vec<_>>());

    // A plain thread feeding a loop, and a loop answering a plain thread.
    let runtime = two_workers();
    let (to_loop, mut on_loop) = mpsc::unbounded_channel();
    let (to_thread, mut on_thread) = mpsc::channel(1);
    let task = runtime.spawn_on(0, async move {
        while let Some(i) = on_loop.recv().await {
            to_thread.send(i + 1).await.unwrap();
        }
    });
    let answers = thread::spawn(move || {
        (0..100)
            .map(|i| {
                to_loop.send(i).unwrap();
                on_thread.blocking_recv().unwrap()
            })
            .collect::<Vec<_>>()
    })
    .join()
    .unwrap();
    assert_eq!(answers, (1..=100).collect::<Vec<_>>());
    corio::block_on(task).unwrap();
    runtime.shutdown();
}

#[test]
#[should_panic(expected = "called on a corio event loop thread")]
fn blocking_recv_on_a_loop_thread_panics_instead_of_stalling_the_loop() {
    let (_tx, mut rx) = mpsc::channel::<u8>(1);
    corio::block_on(async move { rx.blocking_recv() });
}

#[test]
fn the_receiver_is_a_stream() {
    use futures_core::Stream;
    corio::block_on(async {
        let (tx, rx) = mpsc::unbounded_channel();
        tx.send(1).unwrap();
        drop(tx);
        let mut rx = pin!(rx);
        let next = std::future::poll_fn(|cx| rx.as_mut().poll_next(cx));
        assert_eq!(next.await, Some(1));
        assert_eq!(
            std::future::poll_fn(|cx| rx.as_mut().poll_next(cx)).await,
            None
        );
    });
}

#[test]
fn a_waiting_receiver_polled_a_million_times_stores_one_waker() {
    let (tx, mut rx) = mpsc::channel::<u8>(1);
    let mut recv = rx.recv();
    assert!(stored_after_polls(&mut recv, MILLION) <= 1);
    drop(recv);
    tx.try_send(5).unwrap();
    assert_eq!(poll_once(&mut rx.recv()), Poll::Ready(Some(5)));
}

#[test]
fn a_waiting_sender_polled_or_dropped_a_million_times_leaves_no_waiters_behind() {
    let (tx, mut rx) = mpsc::channel(1);
    tx.try_send(0).unwrap();
    let mut send = Box::pin(tx.send(1));
    assert!(stored_after_polls(&mut send, MILLION) <= 1);
    drop(send);
    assert_eq!(stored_after_dropped_polls(|| tx.send(2), MILLION), 0);
    // Nobody is left queued for the slot: freeing it lets try_send in at once.
    assert_eq!(rx.try_recv(), Ok(0));
    tx.try_send(3).unwrap();
    assert_eq!(rx.try_recv(), Ok(3));
}
