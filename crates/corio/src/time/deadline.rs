//! [`Deadline`]: a timeout that is cheap to move.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use super::sleep::{sleep_until, Sleep};

/// A deadline that can be moved at no cost, polled from inside a custom future.
///
/// A server pushes a connection's deadline forward on every request; a load generator moves
/// each connection's timeout on every response. Re-arming a timer each time would cost a
/// timer-heap insertion and cancellation per request. Instead the deadline is a plain
/// `Instant` and one [`Sleep`] is kept armed at or before it; when the sleep fires early (the
/// deadline moved on since), it is re-armed at the new deadline: one timer operation per
/// timeout period, whatever the request rate.
///
/// ```
/// use std::time::{Duration, Instant};
/// use corio::time::Deadline;
///
/// corio::block_on(async {
///     let mut deadline = Deadline::new();
///     deadline.set(Some(Instant::now() + Duration::from_millis(1)));
///     std::future::poll_fn(|cx| deadline.poll(cx)).await; // completes after 1 ms
///     deadline.set(None);
///     let mut polls = 0;
///     std::future::poll_fn(|cx| {
///         polls += 1;
///         assert!(deadline.poll(cx).is_pending()); // no deadline: never ready
///         std::task::Poll::Ready(())
///     })
///     .await;
///     assert_eq!(polls, 1);
/// });
/// ```
#[derive(Debug, Default)]
pub struct Deadline {
    at: Option<Instant>,
    sleep: Option<Sleep>,
}

impl Deadline {
    /// No deadline (never ready) until [`Deadline::set`].
    pub fn new() -> Deadline {
        Deadline::default()
    }

    /// Moves the deadline (`None`: never). No timer work happens until it is polled.
    #[inline]
    pub fn set(&mut self, at: Option<Instant>) {
        self.at = at;
    }

    /// The current deadline.
    pub fn get(&self) -> Option<Instant> {
        self.at
    }

    /// Ready once the deadline has passed; otherwise registers the task's waker.
    pub fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let Some(at) = self.at else {
            return Poll::Pending;
        };
        let sleep = self.sleep.get_or_insert_with(|| sleep_until(at));
        if sleep.deadline() > at {
            sleep.reset(at);
        }
        loop {
            if Pin::new(&mut *sleep).poll(cx).is_pending() {
                return Poll::Pending;
            }
            if Instant::now() >= at {
                return Poll::Ready(());
            }
            // Fired early: the deadline moved on since the timer was armed.
            sleep.reset(at);
        }
    }
}
