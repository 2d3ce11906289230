//! Handles to scheduled callbacks: what `call_soon` and `call_later` return.
//!
//! A callback is stored once, in an `Rc` shared by the ready queue (or the timer heap) and the
//! [`Handle`] given to the caller. Cancelling drops the closure at once (and everything it
//! captured); the queue entry left behind is skipped when its turn comes.

use std::cell::Cell;
use std::rc::Rc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use super::timers::CancelCount;

/// A callback that runs at most once.
pub(crate) trait Runnable {
    /// Runs the callback if it is still pending; a second call does nothing.
    fn run(&self);
    /// Drops the callback without running it. Returns whether it was still pending.
    fn cancel(&self) -> bool;
    /// Whether the callback has neither run nor been cancelled.
    fn is_pending(&self) -> bool;
}

/// The one allocation behind a scheduled callback.
struct Callback<F> {
    f: Cell<Option<F>>,
    pending: Cell<bool>,
}

impl<F: FnOnce()> Runnable for Callback<F> {
    fn run(&self) {
        if self.pending.replace(false) {
            if let Some(f) = self.f.take() {
                f();
            }
        }
    }

    fn cancel(&self) -> bool {
        let was_pending = self.pending.replace(false);
        drop(self.f.take());
        was_pending
    }

    fn is_pending(&self) -> bool {
        self.pending.get()
    }
}

/// Wraps a closure into a shared, cancellable [`Runnable`].
pub(crate) fn runnable(f: impl FnOnce() + 'static) -> Rc<dyn Runnable> {
    Rc::new(Callback {
        f: Cell::new(Some(f)),
        pending: Cell::new(true),
    })
}

/// A callback scheduled with [`EventLoop::call_soon`](super::EventLoop::call_soon).
///
/// Dropping the handle does not cancel the callback; [`Handle::cancel`] does.
#[derive(Clone)]
pub struct Handle {
    pub(crate) runnable: Rc<dyn Runnable>,
}

impl Handle {
    /// Cancels the callback if it has not run yet; its closure is dropped at once.
    /// Returns whether it was still pending.
    ///
    /// ```
    /// let lp = corio::EventLoop::new().unwrap();
    /// let handle = lp.call_soon(|| panic!("never runs"));
    /// assert!(handle.cancel());
    /// lp.call_soon({ let lp = lp.clone(); move || lp.stop() });
    /// lp.run_forever().unwrap();
    /// ```
    pub fn cancel(&self) -> bool {
        self.runnable.cancel()
    }

    /// Whether the callback has neither run nor been cancelled.
    pub fn is_pending(&self) -> bool {
        self.runnable.is_pending()
    }
}

impl std::fmt::Debug for Handle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Handle")
            .field("pending", &self.is_pending())
            .finish()
    }
}

/// A callback scheduled with [`EventLoop::call_later`](super::EventLoop::call_later) or
/// [`EventLoop::call_at`](super::EventLoop::call_at).
#[derive(Clone)]
pub struct TimerHandle {
    pub(crate) handle: Handle,
    pub(crate) when: Instant,
    /// The owning loop's count of cancelled timers.
    pub(crate) cancel_count: CancelCount,
}

impl TimerHandle {
    /// Cancels the timer if it has not fired yet. Returns whether it was still pending.
    pub fn cancel(&self) -> bool {
        let was_pending = self.handle.cancel();
        if was_pending {
            self.cancel_count.fetch_add(1, Ordering::Relaxed);
        }
        was_pending
    }

    /// Whether the timer has neither fired nor been cancelled.
    pub fn is_pending(&self) -> bool {
        self.handle.is_pending()
    }

    /// When the timer is due.
    pub fn when(&self) -> Instant {
        self.when
    }
}

impl std::fmt::Debug for TimerHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TimerHandle")
            .field("when", &self.when)
            .field("pending", &self.is_pending())
            .finish()
    }
}
