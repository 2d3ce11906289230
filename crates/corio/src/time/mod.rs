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
