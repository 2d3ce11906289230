//! [`DriverWaker`]: the waker h2 is given, which drops h2's wake-ups of a driver that is
//! already polling it.
//!
//! h2 keeps the connection's waker and, the first time something queues a frame after a
//! poll, wakes the connection so that it writes the frame. A wake-up that lands on the task
//! while it polls h2 would have the loop poll it once more for nothing when a later poll of
//! h2 in the same pass writes the frame. So while the driver polls h2, wake-ups are only
//! noted; the driver forgets one that came before a poll of h2 (that poll did the work), and
//! passes on one that came after the last (see `connection.rs`). The pass that answers
//! streams drops them all: it has the task polled again itself, and that pass polls h2.
//! Outside the driver's passes (a stream task sending, the socket becoming ready) a wake-up
//! goes straight to the task.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Wake, Waker};

/// See the module docs.
#[derive(Debug, Default)]
pub(super) struct DriverWaker {
    /// The connection task's waker.
    task: Mutex<Option<Waker>>,
    /// The driver is polling: wake-ups are noted in `woken`.
    polling: AtomicBool,
    /// A wake-up arrived while the driver was polling.
    woken: AtomicBool,
}

impl DriverWaker {
    pub(super) fn new() -> Arc<DriverWaker> {
        Arc::new(DriverWaker::default())
    }

    /// The driver starts polling, on behalf of the task `waker` wakes.
    pub(super) fn enter(&self, waker: &Waker) {
        let mut task = self.task.lock().unwrap_or_else(|e| e.into_inner());
        if !task.as_ref().is_some_and(|t| t.will_wake(waker)) {
            *task = Some(waker.clone());
        }
        self.woken.store(false, Ordering::SeqCst);
        self.polling.store(true, Ordering::SeqCst);
    }

    /// Forgets the wake-ups so far: the driver is about to poll h2, which does their work.
    pub(super) fn forget(&self) {
        self.woken.store(false, Ordering::SeqCst);
    }

    /// The driver's poll is over: a wake-up since the last [`DriverWaker::forget`] is
    /// passed on.
    pub(super) fn leave(&self) {
        self.polling.store(false, Ordering::SeqCst);
        if self.woken.swap(false, Ordering::SeqCst) {
            self.wake_task();
        }
    }

    /// The driver answers streams, and has its task polled again itself once
    /// [`DriverWaker::release`]d: the wake-ups until then are dropped (the next pass polls
    /// h2, which does their work).
    pub(super) fn hold(&self) {
        self.polling.store(true, Ordering::SeqCst);
    }

    /// Ends a [`DriverWaker::hold`], dropping the wake-ups it noted.
    pub(super) fn release(&self) {
        self.polling.store(false, Ordering::SeqCst);
        self.woken.store(false, Ordering::SeqCst);
    }

    fn wake_task(&self) {
        let task = self.task.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(task) = task.as_ref() {
            task.wake_by_ref();
        }
    }
}

impl Wake for DriverWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        // Noted first, then passed on unless the driver is polling: a wake-up racing with
        // `leave` (from another thread) is passed on by one of the two.
        self.woken.store(true, Ordering::SeqCst);
        if !self.polling.load(Ordering::SeqCst) && self.woken.swap(false, Ordering::SeqCst) {
            self.wake_task();
        }
    }
}
