//! `ShutdownSignal::wait` polled a million times keeps one waker (regression: it stored a
//! waker on every poll and never removed it, so a `select!` loop over `wait()` grew without
//! bound), and a triggered signal still completes every wait, from another thread too.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Wake, Waker};
use std::thread;

use corio_http::server::ShutdownSignal;

const MILLION: usize = 1_000_000;

/// A waker that does nothing; its `Arc`'s strong count tells how many clones are alive.
struct Counted;

impl Wake for Counted {
    fn wake(self: Arc<Self>) {}
}

/// Clones of `counted` alive besides `counted` itself.
fn clones(counted: &Arc<Counted>) -> usize {
    Arc::strong_count(counted) - 1
}

#[test]
fn one_wait_polled_a_million_times_stores_one_waker() {
    let signal = ShutdownSignal::new();
    let (a, b) = (Arc::new(Counted), Arc::new(Counted));
    let wakers = [Waker::from(a.clone()), Waker::from(b.clone())];
    let mut wait = Box::pin(signal.wait());
    for i in 0..MILLION {
        // Alternate two wakers: each poll must replace the stored one, not add to it.
        let mut cx = Context::from_waker(&wakers[i % 2]);
        assert!(wait.as_mut().poll(&mut cx).is_pending());
    }
    drop(wakers);
    assert!(clones(&a) + clones(&b) <= 1, "wakers piled up");
    signal.trigger();
    let waker = Waker::from(a.clone());
    assert!(wait
        .as_mut()
        .poll(&mut Context::from_waker(&waker))
        .is_ready());
    drop((wait, waker));
    assert_eq!(clones(&a) + clones(&b), 0);
}

#[test]
fn a_million_waits_polled_once_and_dropped_leave_no_waker() {
    let signal = ShutdownSignal::new();
    let counted = Arc::new(Counted);
    let waker = Waker::from(counted.clone());
    let mut cx = Context::from_waker(&waker);
    for _ in 0..MILLION {
        // As a `select!` loop does: a fresh `wait()` each round, dropped when another
        // branch wins.
        let mut wait = pin!(signal.wait());
        assert!(wait.as_mut().poll(&mut cx).is_pending());
    }
    drop(waker);
    assert_eq!(clones(&counted), 0, "dropped waits left their wakers");
}

#[test]
fn a_trigger_from_another_thread_completes_waits_on_a_loop() {
    let signal = ShutdownSignal::new();
    let waiting = thread::spawn({
        let signal = signal.clone();
        move || {
            corio::block_on(async move {
                signal.wait().await;
                signal.wait().await;
                signal.is_triggered()
            })
        }
    });
    signal.trigger();
    assert!(waiting.join().unwrap());
    assert!(signal.token().is_cancelled());
}
