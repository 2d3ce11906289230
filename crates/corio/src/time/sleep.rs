//! [`Sleep`]: a future that completes at a deadline.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures_core::FusedFuture;

use crate::event_loop::timers::{TimerPoll, TimerState};
use crate::event_loop::EventLoop;

/// Waits until `duration` has passed.
///
/// ```
/// use std::time::{Duration, Instant};
/// corio::block_on(async {
///     let start = Instant::now();
///     corio::time::sleep(Duration::from_millis(5)).await;
///     assert!(start.elapsed() >= Duration::from_millis(5));
/// });
/// ```
pub fn sleep(duration: Duration) -> Sleep {
    sleep_until(Instant::now() + duration)
}

/// Waits until `deadline`.
pub fn sleep_until(deadline: Instant) -> Sleep {
    Sleep {
        deadline,
        timer: None,
        done: false,
    }
}

/// The future returned by [`sleep`] and [`sleep_until`].
///
/// The timer is set on the loop the first time the future is polled, and stays on that loop
/// (the future may then be polled, or dropped, on any thread); dropping the future cancels it.
/// If that loop shuts down first, the next poll sets the timer on the loop polling it.
#[derive(Debug)]
#[must_use = "futures do nothing unless awaited"]
pub struct Sleep {
    deadline: Instant,
    timer: Option<Arc<TimerState>>,
    /// Whether `poll` returned `Ready` (for [`FusedFuture`]; `reset` clears it).
    done: bool,
}

impl Sleep {
    /// The deadline.
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// Whether the deadline has passed.
    pub fn is_elapsed(&self) -> bool {
        Instant::now() >= self.deadline
    }

    /// Moves the deadline (earlier or later), as if the future were made anew.
    pub fn reset(&mut self, deadline: Instant) {
        self.cancel();
        self.deadline = deadline;
        self.done = false;
    }

    fn cancel(&mut self) {
        if let Some(timer) = self.timer.take() {
            timer.cancel();
        }
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if let Some(timer) = &self.timer {
            match timer.poll(cx) {
                TimerPoll::Fired => {
                    self.done = true;
                    return Poll::Ready(());
                }
                TimerPoll::Waiting => return Poll::Pending,
                // Its loop shut down: set the timer again, on the loop polling it now.
                TimerPoll::Orphaned => self.timer = None,
            }
        }
        if Instant::now() >= self.deadline {
            self.done = true;
            return Poll::Ready(());
        }
        let timer = EventLoop::with_current(|lp| {
            let lp = lp.expect("corio::time::Sleep polled outside a corio event loop");
            lp.inner
                .timers
                .borrow_mut()
                .insert_wake(self.deadline, cx.waker().clone())
        });
        self.timer = Some(timer);
        Poll::Pending
    }
}

/// Terminated once it returned `Ready` (until [`Sleep::reset`]), so `select!` needs no
/// `.fuse()`.
impl FusedFuture for Sleep {
    fn is_terminated(&self) -> bool {
        self.done
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        self.cancel();
    }
}
