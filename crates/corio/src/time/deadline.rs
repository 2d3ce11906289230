//! [`Deadline`]: a timeout that is cheap to move.

use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use crate::event_loop::timers::{TimerPoll, TimerState};
use crate::event_loop::EventLoop;

/// A deadline that can be moved at no cost, polled from inside a custom future.
///
/// A server pushes a connection's deadline forward on every request; a load generator moves
/// each connection's timeout on every response. Re-arming a timer each time would cost a
/// timer-heap insertion and cancellation per request. Instead the deadline is a plain
/// `Instant` and one timer is kept armed at or before it; when the timer fires early (the
/// deadline moved on since), it is re-armed at the new deadline: one timer operation per
/// timeout period, whatever the request rate. A deadline moved earlier than the armed timer
/// re-arms it at the next poll.
///
/// Three words: the deadline and the armed timer's shared state, which holds the instant it
/// was armed at (a server keeps one or two of these in every connection's task).
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
    /// The timer armed at or before `at` (or at an earlier value of it), if any.
    timer: Option<Arc<TimerState>>,
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
    ///
    /// The usual poll (a timer armed at or before the deadline, not fired yet, polled by the
    /// task whose waker it holds) is inlined; arming a timer is not.
    #[inline]
    pub fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        self.poll_timer(cx, TimerState::poll)
    }

    /// [`Deadline::poll`] for a caller whose waker is the one its previous poll of this
    /// deadline registered (`cx.waker().will_wake(previous)`): a task polling its own
    /// deadline, which knows its waker did not change. The armed timer already holds that
    /// waker, so only whether it fired is checked: no lock is taken to compare wakers.
    ///
    /// With any other waker the armed timer would still wake the previous one: a caller
    /// that cannot tell uses [`Deadline::poll`].
    #[inline]
    pub fn poll_same_waker(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        self.poll_timer(cx, |timer, _| timer.fired().unwrap_or(TimerPoll::Waiting))
    }

    /// Both polls: `check` asks the armed timer, if it is still the right one, whether it
    /// fired (and, for [`Deadline::poll`], stores the waker).
    #[inline(always)]
    fn poll_timer(
        &mut self,
        cx: &mut Context<'_>,
        check: impl FnOnce(&TimerState, &mut Context<'_>) -> TimerPoll,
    ) -> Poll<()> {
        let Some(at) = self.at else {
            return Poll::Pending;
        };
        if let Some(timer) = &self.timer {
            if timer.deadline() <= at {
                match check(timer, cx) {
                    TimerPoll::Waiting => return Poll::Pending,
                    // Fired (the deadline passed, or moved on since the timer was armed), or
                    // its loop shut down (arm again on the loop polling now).
                    TimerPoll::Fired | TimerPoll::Orphaned => self.timer = None,
                }
            } else {
                // The deadline moved earlier than the armed timer.
                self.cancel();
            }
        }
        self.arm(at, cx)
    }

    /// Ready if `at` has passed; otherwise arms a timer at `at` (none is armed).
    fn arm(&mut self, at: Instant, cx: &mut Context<'_>) -> Poll<()> {
        if Instant::now() >= at {
            return Poll::Ready(());
        }
        // Not shared with `Sleep::poll`: one copy of the loop lookup each keeps it inlined on
        // both paths.
        let timer = EventLoop::with_current(|lp| {
            let lp = lp.expect("corio::time::Deadline polled outside a corio event loop");
            lp.inner
                .timers
                .borrow_mut()
                .insert_wake(at, cx.waker().clone())
        });
        self.timer = Some(timer);
        Poll::Pending
    }

    fn cancel(&mut self) {
        if let Some(timer) = self.timer.take() {
            timer.cancel();
        }
    }
}

/// Cancels the armed timer.
impl Drop for Deadline {
    fn drop(&mut self) {
        self.cancel();
    }
}
