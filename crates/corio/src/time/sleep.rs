//! [`Sleep`]: a future that completes at a deadline.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures_core::FusedFuture;

use crate::event_loop::timers::{TimerAction, TimerState};
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
/// The timer is set on the loop the first time the future is polled; dropping the future
/// cancels it.
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
            if !timer.fired.load(Ordering::Acquire) {
                timer.cancelled.store(true, Ordering::Release);
                EventLoop::with_current(|lp| {
                    if let Some(lp) = lp {
                        if let Ok(mut timers) = lp.inner.timers.try_borrow_mut() {
                            timers.note_cancelled();
                        }
                    }
                });
            }
        }
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if let Some(timer) = &self.timer {
            if timer.fired.load(Ordering::Acquire) {
                self.done = true;
                return Poll::Ready(());
            }
            let mut waker = timer.waker.lock().unwrap_or_else(|e| e.into_inner());
            if !waker.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                *waker = Some(cx.waker().clone());
            }
            return Poll::Pending;
        }
        if Instant::now() >= self.deadline {
            self.done = true;
            return Poll::Ready(());
        }
        let timer = Arc::new(TimerState::default());
        *timer.waker.lock().unwrap_or_else(|e| e.into_inner()) = Some(cx.waker().clone());
        EventLoop::with_current(|lp| {
            let lp = lp.expect("corio::time::Sleep polled outside a corio event loop");
            lp.inner
                .timers
                .borrow_mut()
                .insert(self.deadline, TimerAction::Wake(timer.clone()));
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
