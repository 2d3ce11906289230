//! Timers as futures: [`sleep`], [`sleep_until`], [`timeout`] and [`interval`].
//!
//! They sit on the loop's timer heap (the one behind `call_later`), with the same precision:
//! a timer completes on the first loop iteration at or after its deadline, never before; a
//! sleeping loop wakes within about a millisecond after it (epoll's timeout is in whole
//! milliseconds, rounded up). All of them are `Send`, and must be polled inside a corio loop.

mod deadline;
mod interval;
mod sleep;
mod timeout;

pub use deadline::Deadline;
pub use interval::{interval, interval_at, Interval, MissedTickBehavior};
pub use sleep::{sleep, sleep_until, Sleep};
pub use std::time::{Duration, Instant};
pub use timeout::{timeout, timeout_at, Elapsed, Timeout};

use crate::event_loop::EventLoop;

/// The time as the loop running on this thread last read it: once per iteration, after
/// polling for events, to expire its timers. `Instant::now()` if no loop runs here, or if
/// the loop has no timer (it then reads no clock).
///
/// Cheaper than `Instant::now()` (no clock read) and never ahead of it, but behind it by
/// as long as the current iteration has run so far: the callbacks and task steps before
/// the caller, at most [`EVENT_INTERVAL`](crate::EVENT_INTERVAL) of them. A deadline
/// computed from it fires that much early at most: made for timeouts measured in seconds
/// and set often, as a server's keep-alive and head timeouts are on every request (nginx
/// times its events the same way, from a clock read once per loop iteration).
///
/// ```
/// use std::time::{Duration, Instant};
/// corio::block_on(async {
///     let lp = corio::EventLoop::current().unwrap();
///     let timer = lp.call_later(Duration::from_secs(60), || {}); // the loop has a timer
///     corio::yield_now().await; // the next iteration reads the clock
///     let (cached, now) = (corio::time::loop_now(), Instant::now());
///     assert!(cached <= now);
///     assert_eq!(corio::time::loop_now(), cached); // no new read within an iteration
///     timer.cancel();
/// });
/// ```
#[inline]
pub fn loop_now() -> Instant {
    EventLoop::with_current(|lp| lp.and_then(|lp| lp.inner.now.get())).unwrap_or_else(Instant::now)
}
