//! Graceful shutdown and connection accounting.
//!
//! [`ShutdownSignal`] is the cross-thread trigger (`Send + Sync`, cloned into every worker and
//! into the signal handler). Each worker waits on it with one task, then fans it out locally
//! through its [`Tracker`]: the accept loop stops, idle keep-alive connections are woken and
//! close, connections in the middle of a request finish it (answering with
//! `Connection: close`) and close. The worker's server future completes when its last
//! connection is gone, or when the grace period ends, whichever comes first.
//!
//! The tracker also counts connections for the per-worker connection limit, and wakes the
//! accept loop when a slot frees up.

use std::cell::{Cell, RefCell};
use std::future::poll_fn;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use corio::sync::CancellationToken;
use slab::Slab;

/// A one-shot, cross-thread "shut down now": a [`CancellationToken`] under the server's name.
///
/// Waiting on it holds one waiter however often the wait is polled, and a dropped wait
/// removes its waiter, so `wait()` in a `select!` loop does not grow.
#[derive(Clone, Debug, Default)]
pub struct ShutdownSignal {
    token: CancellationToken,
}

impl ShutdownSignal {
    /// A signal not triggered yet.
    pub fn new() -> ShutdownSignal {
        ShutdownSignal::default()
    }

    /// Triggers it (idempotent), waking every waiter on any thread.
    pub fn trigger(&self) {
        self.token.cancel();
    }

    /// Whether it was triggered.
    pub fn is_triggered(&self) -> bool {
        self.token.is_cancelled()
    }

    /// Completes once triggered.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: dropping the future removes its waiter.
    pub async fn wait(&self) {
        self.token.cancelled().await
    }

    /// The token behind the signal: cancelling it triggers the signal.
    pub fn token(&self) -> &CancellationToken {
        &self.token
    }
}

/// One worker's connections: count, limit, and the wakers of those waiting idle.
#[derive(Debug, Default)]
pub(crate) struct Tracker {
    shutting_down: Cell<bool>,
    /// One slot per live connection: the waker of its task while it waits for a request.
    idle: RefCell<Slab<Option<Waker>>>,
    /// The accept loop, waiting for a free slot or for the last connection to go.
    acceptor: RefCell<Option<Waker>>,
}

impl Tracker {
    pub(crate) fn new() -> Rc<Tracker> {
        Rc::new(Tracker::default())
    }

    /// Live connections.
    pub(crate) fn active(&self) -> usize {
        self.idle.borrow().len()
    }

    /// Whether shutdown began.
    pub(crate) fn shutting_down(&self) -> bool {
        self.shutting_down.get()
    }

    /// Begins shutdown: wakes idle connections and the accept loop.
    pub(crate) fn begin_shutdown(&self) {
        self.shutting_down.set(true);
        let wakers: Vec<Waker> = self
            .idle
            .borrow_mut()
            .iter_mut()
            .filter_map(|(_, w)| w.take())
            .collect();
        for waker in wakers {
            waker.wake();
        }
        self.wake_acceptor();
    }

    /// Registers a new connection; the guard unregisters it when dropped.
    pub(crate) fn register(self: &Rc<Self>) -> ConnectionGuard {
        let key = self.idle.borrow_mut().insert(None);
        ConnectionGuard {
            tracker: self.clone(),
            key,
        }
    }

    /// Waits until fewer than `limit` connections are live (or shutdown began).
    pub(crate) async fn wait_for_capacity(&self, limit: usize) {
        poll_fn(|cx| self.poll_wait(cx, |t| t.active() < limit || t.shutting_down())).await
    }

    /// Waits until every connection is gone.
    pub(crate) async fn wait_drained(&self) {
        poll_fn(|cx| self.poll_wait(cx, |t| t.active() == 0)).await
    }

    /// Ready once shutdown began; otherwise stores the accept loop's waker, which is also
    /// woken whenever a connection closes.
    pub(crate) fn poll_acceptor(&self, cx: &mut Context<'_>) -> Poll<()> {
        self.poll_wait(cx, Tracker::shutting_down)
    }

    fn poll_wait(&self, cx: &mut Context<'_>, done: impl Fn(&Tracker) -> bool) -> Poll<()> {
        if done(self) {
            return Poll::Ready(());
        }
        *self.acceptor.borrow_mut() = Some(cx.waker().clone());
        Poll::Pending
    }

    fn wake_acceptor(&self) {
        let waker = self.acceptor.borrow_mut().take();
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

/// A live connection's registration.
#[derive(Debug)]
pub(crate) struct ConnectionGuard {
    tracker: Rc<Tracker>,
    key: usize,
}

impl ConnectionGuard {
    /// Polls "shutdown began", storing the task's waker so that shutdown wakes it. Called by a
    /// connection waiting idle for its next request.
    #[inline]
    pub(crate) fn poll_shutdown(&self, cx: &mut Context<'_>) -> Poll<()> {
        if self.tracker.shutting_down() {
            return Poll::Ready(());
        }
        let mut idle = self.tracker.idle.borrow_mut();
        let slot = &mut idle[self.key];
        if !slot.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
            *slot = Some(cx.waker().clone());
        }
        Poll::Pending
    }

    /// Whether shutdown began.
    pub(crate) fn shutting_down(&self) -> bool {
        self.tracker.shutting_down()
    }
}

impl Drop for ConnectionGuard {
    fn drop(&mut self) {
        self.tracker.idle.borrow_mut().remove(self.key);
        self.tracker.wake_acceptor();
    }
}
