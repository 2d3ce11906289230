//! [`Deadline`]: a timeout that is cheap to move.
//!
//! A connection pushes its deadline forward on every request. Re-arming a timer each time
//! would cost a timer-heap insertion and cancellation per request; instead the deadline is a
//! plain `Instant` and one [`Sleep`] is kept armed at or before it. When the sleep fires early
//! (the deadline moved on since), it is re-armed at the new deadline: one timer operation per
//! timeout period, whatever the request rate.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use corio::time::{sleep_until, Sleep};

/// A movable deadline. See the module docs.
#[derive(Debug)]
pub(crate) struct Deadline {
    at: Instant,
    sleep: Option<Sleep>,
}

impl Deadline {
    pub(crate) fn new(at: Instant) -> Deadline {
        Deadline { at, sleep: None }
    }

    /// Moves the deadline (no timer work until it is polled).
    pub(crate) fn set(&mut self, at: Instant) {
        self.at = at;
    }

    /// Ready once the deadline has passed.
    pub(crate) fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let at = self.at;
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
            sleep.reset(at);
        }
    }
}
