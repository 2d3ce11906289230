//! Timers as futures: `sleep`, `timeout`, `interval`. Lower bounds only: a timer never fires
//! early; how late it fires depends on the machine.

use std::future::{pending, Future};
use std::sync::{mpsc, Arc};
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use corio::time::{interval, loop_now, sleep, sleep_until, timeout, MissedTickBehavior};
use corio::EventLoop;

#[test]
fn sleep_lasts_at_least_its_duration() {
    corio::block_on(async {
        for ms in [0, 1, 5, 20] {
            let start = Instant::now();
            sleep(Duration::from_millis(ms)).await;
            assert!(start.elapsed() >= Duration::from_millis(ms));
        }
    });
}

#[test]
fn sleep_until_a_past_deadline_is_ready_at_once() {
    corio::block_on(async {
        let past = Instant::now();
        sleep_until(past).await;
        let s = sleep_until(past);
        assert!(s.is_elapsed());
        assert_eq!(s.deadline(), past);
    });
}

#[test]
fn concurrent_sleeps_complete_in_deadline_order() {
    corio::block_on(async {
        let order = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
        let base = Instant::now();
        let handles: Vec<_> = [15u64, 5, 10]
            .into_iter()
            .map(|ms| {
                let order = order.clone();
                corio::spawn_local(async move {
                    sleep_until(base + Duration::from_millis(ms)).await;
                    order.borrow_mut().push(ms);
                })
            })
            .collect();
        for handle in handles {
            handle.await.unwrap();
        }
        assert_eq!(*order.borrow(), [5, 10, 15]);
    });
}

#[test]
fn timeout_expires_on_a_slow_future() {
    corio::block_on(async {
        let start = Instant::now();
        let result = timeout(Duration::from_millis(10), pending::<()>()).await;
        assert!(result.is_err());
        assert!(start.elapsed() >= Duration::from_millis(10));
        let error: std::io::Error = result.unwrap_err().into();
        assert_eq!(error.kind(), std::io::ErrorKind::TimedOut);
    });
}

#[test]
fn timeout_does_not_expire_on_a_fast_future() {
    corio::block_on(async {
        assert_eq!(timeout(Duration::from_secs(3600), async { 5 }).await, Ok(5));
        let waited = timeout(Duration::from_secs(3600), sleep(Duration::from_millis(2))).await;
        assert_eq!(waited, Ok(()));
        // Ready at once: succeeds even with a zero duration.
        assert_eq!(timeout(Duration::ZERO, async { 1 }).await, Ok(1));
    });
}

#[test]
fn timeout_drops_the_inner_future_on_expiry() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    struct Flag(Arc<AtomicBool>);
    impl Drop for Flag {
        fn drop(&mut self) {
            self.0.store(true, Ordering::SeqCst);
        }
    }
    corio::block_on(async {
        let dropped = Arc::new(AtomicBool::new(false));
        let flag = Flag(dropped.clone());
        let inner = async move {
            let _flag = flag;
            pending::<()>().await;
        };
        assert!(timeout(Duration::from_millis(1), inner).await.is_err());
        assert!(dropped.load(Ordering::SeqCst));
    });
}

#[test]
fn interval_ticks_monotonically_at_least_a_period_apart() {
    corio::block_on(async {
        let period = Duration::from_millis(3);
        let start = Instant::now();
        let mut ticks = interval(period);
        assert_eq!(ticks.period(), period);
        let mut previous: Option<Instant> = None;
        for _ in 0..6 {
            let tick = ticks.tick().await;
            assert!(
                Instant::now() >= tick,
                "a tick completed before its instant"
            );
            if let Some(previous) = previous {
                assert!(tick >= previous + period);
            }
            previous = Some(tick);
        }
        // Five periods after the first (immediate) tick.
        assert!(start.elapsed() >= period * 5);
    });
}

#[test]
fn interval_with_delay_behavior_still_ticks_at_least_a_period_apart() {
    corio::block_on(async {
        let period = Duration::from_millis(2);
        let mut ticks = interval(period);
        ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let mut previous = ticks.tick().await;
        for _ in 0..3 {
            let tick = ticks.tick().await;
            assert!(tick >= previous + period);
            previous = tick;
        }
    });
}

#[test]
fn dropping_a_pending_sleep_cancels_it() {
    corio::block_on(async {
        // Many sleeps polled once then dropped: none keeps the loop awake.
        for _ in 0..1000 {
            let mut s = std::pin::pin!(sleep(Duration::from_secs(3600)));
            let polled = std::future::poll_fn(|cx| {
                Poll::Ready(std::future::Future::poll(s.as_mut(), cx).is_pending())
            })
            .await;
            assert!(polled);
        }
        let start = Instant::now();
        sleep(Duration::from_millis(1)).await;
        assert!(start.elapsed() >= Duration::from_millis(1));
    });
}

/// A waker that does nothing: what counts is who holds it.
struct Idle;

impl Wake for Idle {
    fn wake(self: Arc<Self>) {}
}

#[test]
fn sleeps_cancelled_on_another_thread_are_reclaimed_by_their_loop() {
    const SLEEPS: usize = 100;
    let (handle_tx, handle_rx) = mpsc::channel();
    let owner = std::thread::spawn(move || {
        let lp = EventLoop::new().unwrap();
        handle_tx.send(lp.handle()).unwrap();
        lp.run_forever().unwrap();
    });
    let handle = handle_rx.recv().unwrap();
    let idle = Arc::new(Idle);
    let waker = Waker::from(idle.clone());
    // Set the timers on the owner loop; each holds a clone of `waker` until it leaves the heap.
    let sleeps = corio::block_on(handle.spawn(async move {
        let mut cx = Context::from_waker(&waker);
        (0..SLEEPS)
            .map(|_| {
                let mut sleep = sleep(Duration::from_secs(3600));
                assert!(std::pin::Pin::new(&mut sleep).poll(&mut cx).is_pending());
                sleep
            })
            .collect::<Vec<_>>()
    }))
    .unwrap();
    assert_eq!(Arc::strong_count(&idle), 1 + SLEEPS);
    // Cancelled here, on a thread without a loop: they count against the owner loop, whose
    // next pass over its timers drops them from its heap.
    drop(sleeps);
    let (ran_tx, ran_rx) = mpsc::channel();
    handle.call_soon_threadsafe(move || ran_tx.send(()).unwrap());
    ran_rx.recv().unwrap();
    assert_eq!(Arc::strong_count(&idle), 1);
    handle.stop();
    owner.join().unwrap();
}

/// `loop_now` is the clock as the loop read it to fire its timers: after a sleep completes it
/// is at or past the sleep's deadline (a stale reading would be before it), never ahead of
/// `Instant::now()`, and the same for every call until the next iteration.
#[test]
fn loop_now_is_the_reading_that_fired_the_timers() {
    corio::block_on(async {
        for ms in [1, 5] {
            let deadline = Instant::now() + Duration::from_millis(ms);
            sleep_until(deadline).await;
            let cached = loop_now();
            assert!(cached >= deadline, "a reading from before the timer fired");
            assert!(cached <= Instant::now());
            assert_eq!(loop_now(), cached);
        }
    });
    let before = Instant::now();
    let outside = loop_now();
    assert!(
        before <= outside && outside <= Instant::now(),
        "no loop: the clock itself"
    );
}
