//! A watch channel: one sender publishes a value, many receivers see its latest version, as
//! tokio's `watch`.
//!
//! The value sits in a `std::sync::RwLock` with a version number that every send increases.
//! Each receiver remembers the version it last saw; [`Receiver::changed`] completes when the
//! shared version differs. Waiting receivers wait on a [`Notify`] that every send (and the
//! sender's drop) wakes with `notify_waiters`, so each waiting future holds one waiter entry
//! however often it is polled, and removes it when dropped.
//!
//! ```
//! use corio::sync::watch;
//!
//! corio::block_on(async {
//!     let (tx, mut rx) = watch::channel("starting");
//!     let watcher = corio::spawn(async move {
//!         rx.changed().await.unwrap();
//!         *rx.borrow_and_update()
//!     });
//!     tx.send("ready").unwrap();
//!     assert_eq!(watcher.await.unwrap(), "ready");
//! });
//! ```

use std::fmt;
use std::future::Future;
use std::ops::Deref;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, RwLock, RwLockReadGuard};
use std::task::{Context, Poll};

use futures_core::future::FusedFuture;

use super::notify::{Notify, Waiting};

/// The errors of a watch channel.
pub mod error {
    use std::fmt;

    /// No receiver is left; the value that was not sent is given back.
    #[derive(Clone, PartialEq, Eq)]
    pub struct SendError<T>(pub T);

    impl<T> fmt::Debug for SendError<T> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("SendError(..)")
        }
    }

    impl<T> fmt::Display for SendError<T> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("channel closed")
        }
    }

    impl<T> std::error::Error for SendError<T> {}

    /// The sender was dropped (no new version can come).
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct RecvError(pub(super) ());

    impl fmt::Display for RecvError {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("channel closed")
        }
    }

    impl std::error::Error for RecvError {}
}

use error::{RecvError, SendError};

/// A watch channel holding `initial` (which receivers have already seen).
pub fn channel<T>(initial: T) -> (Sender<T>, Receiver<T>) {
    let shared = Arc::new(Shared {
        value: RwLock::new(initial),
        version: AtomicU64::new(0),
        sender_dropped: AtomicBool::new(false),
        receivers: AtomicUsize::new(1),
        changed: Notify::new(),
        receivers_gone: Notify::new(),
    });
    (
        Sender {
            shared: shared.clone(),
        },
        Receiver { shared, seen: 0 },
    )
}

struct Shared<T> {
    value: RwLock<T>,
    /// Increased (under the value's write lock) by every send.
    version: AtomicU64,
    sender_dropped: AtomicBool,
    receivers: AtomicUsize,
    /// Woken by sends and by the sender's drop.
    changed: Notify,
    /// Woken when the last receiver is dropped.
    receivers_gone: Notify,
}

impl<T> Shared<T> {
    fn read(&self) -> RwLockReadGuard<'_, T> {
        self.value.read().unwrap_or_else(|e| e.into_inner())
    }
}

/// Publishes new versions of the value.
///
/// ```
/// use corio::sync::watch;
///
/// let (tx, rx) = watch::channel(1);
/// tx.send_modify(|value| *value += 1);
/// assert_eq!(*rx.borrow(), 2);
/// drop(rx);
/// assert!(tx.send(3).is_err()); // no receiver left
/// assert_eq!(tx.send_replace(4), 2); // stores anyway
/// ```
pub struct Sender<T> {
    shared: Arc<Shared<T>>,
}

impl<T> Sender<T> {
    /// Stores `value` as the new version and wakes the receivers; fails (giving the value
    /// back, storing nothing) if no receiver is left.
    pub fn send(&self, value: T) -> Result<(), SendError<T>> {
        if self.receiver_count() == 0 {
            return Err(SendError(value));
        }
        self.send_replace(value);
        Ok(())
    }

    /// Stores `value` as the new version even with no receiver left; returns the old value.
    pub fn send_replace(&self, value: T) -> T {
        let mut value = value;
        self.send_modify(|current| std::mem::swap(current, &mut value));
        value
    }

    /// Modifies the value in place, as a new version.
    pub fn send_modify(&self, modify: impl FnOnce(&mut T)) {
        self.send_if_modified(|value| {
            modify(value);
            true
        });
    }

    /// Modifies the value in place; a new version is published (and receivers woken) only if
    /// `modify` returns `true`.
    pub fn send_if_modified(&self, modify: impl FnOnce(&mut T) -> bool) -> bool {
        {
            let mut value = self.shared.value.write().unwrap_or_else(|e| e.into_inner());
            if !modify(&mut value) {
                return false;
            }
            self.shared.version.fetch_add(1, Ordering::SeqCst);
        }
        self.shared.changed.notify_waiters();
        true
    }

    /// The current value (a read lock: do not hold it across an `.await`).
    pub fn borrow(&self) -> Ref<'_, T> {
        Ref {
            guard: self.shared.read(),
            has_changed: false,
        }
    }

    /// A new receiver, which has seen the current version.
    pub fn subscribe(&self) -> Receiver<T> {
        self.shared.receivers.fetch_add(1, Ordering::SeqCst);
        Receiver {
            seen: self.shared.version.load(Ordering::SeqCst),
            shared: self.shared.clone(),
        }
    }

    /// The number of receivers.
    pub fn receiver_count(&self) -> usize {
        self.shared.receivers.load(Ordering::SeqCst)
    }

    /// Whether every receiver was dropped.
    pub fn is_closed(&self) -> bool {
        self.receiver_count() == 0
    }

    /// Waits until every receiver is dropped.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe.
    pub async fn closed(&self) {
        loop {
            let notified = self.shared.receivers_gone.notified();
            if self.is_closed() {
                return;
            }
            notified.await;
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        self.shared.sender_dropped.store(true, Ordering::SeqCst);
        self.shared.changed.notify_waiters();
    }
}

impl<T: fmt::Debug> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender")
            .field("value", &*self.shared.read())
            .finish()
    }
}

/// Sees the latest version of the value. Cloning it gives a receiver that has seen the same
/// version.
///
/// ```
/// use corio::sync::watch;
///
/// corio::block_on(async {
///     let (tx, mut rx) = watch::channel("v1");
///     tx.send("v2").unwrap();
///     tx.send("v3").unwrap();
///     rx.changed().await.unwrap(); // versions in between are skipped
///     assert_eq!(*rx.borrow_and_update(), "v3");
///     drop(tx);
///     assert!(rx.changed().await.is_err());
/// });
/// ```
pub struct Receiver<T> {
    shared: Arc<Shared<T>>,
    /// The version this receiver last marked as seen.
    seen: u64,
}

impl<T> Receiver<T> {
    /// The current value, without marking it seen (a read lock: do not hold it across an
    /// `.await`).
    pub fn borrow(&self) -> Ref<'_, T> {
        let guard = self.shared.read();
        let has_changed = self.shared.version.load(Ordering::SeqCst) != self.seen;
        Ref { guard, has_changed }
    }

    /// The current value, marking it seen.
    pub fn borrow_and_update(&mut self) -> Ref<'_, T> {
        let guard = self.shared.read();
        let version = self.shared.version.load(Ordering::SeqCst);
        let has_changed = version != self.seen;
        self.seen = version;
        Ref { guard, has_changed }
    }

    /// Whether a version not seen yet is there; an error if the sender was dropped.
    pub fn has_changed(&self) -> Result<bool, RecvError> {
        if self.shared.sender_dropped.load(Ordering::SeqCst) {
            return Err(RecvError(()));
        }
        Ok(self.shared.version.load(Ordering::SeqCst) != self.seen)
    }

    /// Waits for a version not seen yet and marks it seen; an error once the sender is
    /// dropped (a version sent before the drop and not seen is still reported first).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: dropping the future leaves the version unseen.
    pub fn changed(&mut self) -> Changed<'_, T> {
        let waiting = Waiting::new(&self.shared.changed);
        Changed {
            receiver: self,
            waiting,
            done: false,
        }
    }

    /// Whether both receivers belong to the same channel.
    pub fn same_channel(&self, other: &Receiver<T>) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }
}

impl<T> Clone for Receiver<T> {
    fn clone(&self) -> Self {
        self.shared.receivers.fetch_add(1, Ordering::SeqCst);
        Receiver {
            shared: self.shared.clone(),
            seen: self.seen,
        }
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        if self.shared.receivers.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.shared.receivers_gone.notify_waiters();
        }
    }
}

impl<T: fmt::Debug> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver")
            .field("value", &*self.shared.read())
            .field("seen", &self.seen)
            .finish()
    }
}

/// The future of [`Receiver::changed`]. Implements `FusedFuture`.
#[must_use = "futures do nothing unless polled"]
pub struct Changed<'a, T> {
    receiver: &'a mut Receiver<T>,
    waiting: Waiting,
    done: bool,
}

impl<T> Future for Changed<'_, T> {
    type Output = Result<(), RecvError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let shared = &this.receiver.shared;
        loop {
            let version = shared.version.load(Ordering::SeqCst);
            if version != this.receiver.seen {
                this.receiver.seen = version;
                this.done = true;
                return Poll::Ready(Ok(()));
            }
            if shared.sender_dropped.load(Ordering::SeqCst) {
                this.done = true;
                return Poll::Ready(Err(RecvError(())));
            }
            match this.waiting.poll(&shared.changed, cx) {
                // Woken: wait afresh (from the current generation) and look again.
                Poll::Ready(()) => this.waiting = Waiting::new(&shared.changed),
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}

impl<T> FusedFuture for Changed<'_, T> {
    fn is_terminated(&self) -> bool {
        self.done
    }
}

impl<T> Drop for Changed<'_, T> {
    fn drop(&mut self) {
        self.waiting.cancel(&self.receiver.shared.changed);
    }
}

impl<T> fmt::Debug for Changed<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Changed").field("done", &self.done).finish()
    }
}

/// A read borrow of a watch channel's value. Holds a read lock: the sender cannot publish
/// while it lives, so keep it short and never hold it across an `.await`.
pub struct Ref<'a, T> {
    guard: RwLockReadGuard<'a, T>,
    has_changed: bool,
}

impl<T> Ref<'_, T> {
    /// Whether this value was a version the receiver had not seen when it was borrowed.
    pub fn has_changed(&self) -> bool {
        self.has_changed
    }
}

impl<T> Deref for Ref<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.guard
    }
}

impl<T: fmt::Debug> fmt::Debug for Ref<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}
