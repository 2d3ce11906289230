//! [`Notify`]: wake one task, or all of them, without sending data.
//!
//! State, under one `std::sync::Mutex`: the queue of waiting [`Notified`] futures (FIFO), the
//! tickets [`Notify::notify_one`] chose and whose futures have not seen it yet, at most one
//! stored permit, and the number of [`Notify::notify_waiters`] calls so far (the
//! *generation*). A `Notified` future reads the generation when it is created, so a later
//! `notify_waiters` completes it even if it was never polled; that is what makes the
//! "create `notified()`, check the condition, await" pattern free of lost wake-ups.
//!
//! A future chosen by `notify_one` and dropped before it saw the notification passes it on
//! (to the next waiter, or as the stored permit), so a notification is never lost to
//! cancellation.

use std::collections::HashSet;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

use futures_core::future::FusedFuture;

use super::wait_queue::{Ticket, WaitQueue};

/// Notifies tasks, as tokio's `Notify`: a permit for one, or a broadcast to the waiters.
///
/// `notify_one` wakes the oldest waiter, or, if none waits, stores one permit that the next
/// `notified().await` consumes at once (several calls store one permit). `notify_waiters`
/// wakes every [`Notified`] future created before the call, and stores nothing.
///
/// Works across loops and from plain threads (`notify_*` never blocks).
///
/// ```
/// use std::sync::Arc;
/// use corio::sync::Notify;
///
/// corio::block_on(async {
///     let notify = Arc::new(Notify::new());
///     let waiter = corio::spawn({
///         let notify = notify.clone();
///         async move { notify.notified().await; "woken" }
///     });
///     notify.notify_one();
///     assert_eq!(waiter.await.unwrap(), "woken");
/// });
/// ```
#[derive(Default)]
pub struct Notify {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    waiters: WaitQueue<()>,
    /// Tickets dequeued by `notify_one` whose futures have not completed yet.
    chosen: HashSet<Ticket>,
    /// A `notify_one` that found nobody waiting.
    permit: bool,
    /// The number of `notify_waiters` calls.
    generation: u64,
}

impl Notify {
    /// A `Notify` with no permit stored.
    pub fn new() -> Notify {
        Notify::default()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A future that completes on a notification. See the type's docs for which.
    ///
    /// # Cancel safety
    ///
    /// Dropping it is safe: if `notify_one` had chosen it, the notification goes to the next
    /// waiter (or is stored as the permit), so it is not lost.
    pub fn notified(&self) -> Notified<'_> {
        Notified {
            notify: self,
            waiting: Waiting::new(self),
        }
    }

    /// Like [`Notify::notified`], holding an `Arc` instead of borrowing (for `'static`
    /// futures and structs).
    pub fn notified_owned(self: Arc<Self>) -> OwnedNotified {
        let waiting = Waiting::new(&self);
        OwnedNotified {
            notify: self,
            waiting,
        }
    }

    /// Wakes the oldest waiter; if nobody waits, stores a permit for the next one.
    pub fn notify_one(&self) {
        let waker = notify_one_locked(&mut self.lock());
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// Wakes every [`Notified`] future created before this call (polled or not). Stores no
    /// permit: a future created afterwards waits for the next notification.
    pub fn notify_waiters(&self) {
        let wakers = {
            let mut state = self.lock();
            state.generation += 1;
            state.waiters.take_all()
        };
        super::wait_queue::wake_all(wakers);
    }
}

/// Gives the notification to the oldest waiter (returning its waker) or stores the permit.
fn notify_one_locked(state: &mut State) -> Option<Waker> {
    match state.waiters.pop_front() {
        Some((ticket, waker, ())) => {
            state.chosen.insert(ticket);
            Some(waker)
        }
        None => {
            state.permit = true;
            None
        }
    }
}

impl fmt::Debug for Notify {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.lock();
        f.debug_struct("Notify")
            .field("waiters", &state.waiters.len())
            .field("permit", &state.permit)
            .finish()
    }
}

/// Where one waiting future stands; shared by [`Notified`], [`OwnedNotified`] and the other
/// building blocks that wait on a `Notify` they own.
#[derive(Debug)]
pub(crate) struct Waiting {
    stage: Stage,
}

#[derive(Debug, Clone, Copy)]
enum Stage {
    /// Not queued yet; `generation` was read at creation.
    Created { generation: u64 },
    /// Queued under `ticket`.
    Queued { ticket: Ticket, generation: u64 },
    /// Completed.
    Done,
}

impl Waiting {
    /// Starts waiting on `notify`: from now on, `notify_waiters` completes it.
    pub(crate) fn new(notify: &Notify) -> Waiting {
        Waiting {
            stage: Stage::Created {
                generation: notify.lock().generation,
            },
        }
    }

    /// Ready once notified; otherwise queued (or its waker refreshed).
    pub(crate) fn poll(&mut self, notify: &Notify, cx: &mut Context<'_>) -> Poll<()> {
        let mut state = notify.lock();
        match self.stage {
            Stage::Created { generation } => {
                if state.generation != generation {
                    self.stage = Stage::Done;
                } else if state.permit {
                    state.permit = false;
                    self.stage = Stage::Done;
                } else {
                    let ticket = state.waiters.push(cx.waker(), ());
                    self.stage = Stage::Queued { ticket, generation };
                    return Poll::Pending;
                }
            }
            Stage::Queued { ticket, generation } => {
                let chosen = state.chosen.remove(&ticket);
                if !chosen
                    && state.generation == generation
                    && state.waiters.refresh(ticket, cx.waker())
                {
                    return Poll::Pending;
                }
                state.waiters.remove(ticket);
                self.stage = Stage::Done;
            }
            Stage::Done => {}
        }
        Poll::Ready(())
    }

    /// Whether it completed.
    pub(crate) fn is_done(&self) -> bool {
        matches!(self.stage, Stage::Done)
    }

    /// Leaves the queue (the future is dropped); passes on a `notify_one` it had received.
    pub(crate) fn cancel(&mut self, notify: &Notify) {
        if let Stage::Queued { ticket, .. } = self.stage {
            self.stage = Stage::Done;
            let waker = {
                let mut state = notify.lock();
                if state.waiters.remove(ticket).is_none() && state.chosen.remove(&ticket) {
                    notify_one_locked(&mut state)
                } else {
                    None
                }
            };
            if let Some(waker) = waker {
                waker.wake();
            }
        }
    }
}

/// The future of [`Notify::notified`]. Implements `FusedFuture`.
///
/// Create it *before* checking the condition it waits for: a `notify_waiters` in between
/// then completes it.
///
/// ```
/// use std::sync::atomic::{AtomicBool, Ordering};
/// use corio::sync::Notify;
///
/// async fn wait_for(flag: &AtomicBool, notify: &Notify) {
///     loop {
///         let notified = notify.notified();
///         if flag.load(Ordering::SeqCst) {
///             return;
///         }
///         notified.await;
///     }
/// }
///
/// let (flag, notify) = (AtomicBool::new(true), Notify::new());
/// corio::block_on(wait_for(&flag, &notify));
/// ```
#[must_use = "futures do nothing unless polled"]
pub struct Notified<'a> {
    notify: &'a Notify,
    waiting: Waiting,
}

impl Future for Notified<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        this.waiting.poll(this.notify, cx)
    }
}

impl FusedFuture for Notified<'_> {
    fn is_terminated(&self) -> bool {
        self.waiting.is_done()
    }
}

impl Drop for Notified<'_> {
    fn drop(&mut self) {
        self.waiting.cancel(self.notify);
    }
}

impl fmt::Debug for Notified<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Notified")
            .field("done", &self.waiting.is_done())
            .finish()
    }
}

/// The future of [`Notify::notified_owned`]: a [`Notified`] that holds an `Arc<Notify>`.
#[must_use = "futures do nothing unless polled"]
pub struct OwnedNotified {
    notify: Arc<Notify>,
    waiting: Waiting,
}

impl Future for OwnedNotified {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        this.waiting.poll(&this.notify, cx)
    }
}

impl FusedFuture for OwnedNotified {
    fn is_terminated(&self) -> bool {
        self.waiting.is_done()
    }
}

impl Drop for OwnedNotified {
    fn drop(&mut self) {
        self.waiting.cancel(&self.notify);
    }
}

impl fmt::Debug for OwnedNotified {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedNotified")
            .field("done", &self.waiting.is_done())
            .finish()
    }
}
