//! The bounded channel: [`Sender`], [`Receiver`], [`Permit`].

use std::fmt;
use std::sync::Arc;

use super::chan::Chan;
use super::error::{SendError, TrySendError};
use crate::sync::TryAcquireError;

/// A bounded channel holding at most `capacity` values; senders wait (in FIFO order) while it
/// is full.
///
/// ```
/// use corio::sync::mpsc;
///
/// corio::block_on(async {
///     let (tx, mut rx) = mpsc::channel(2);
///     corio::spawn(async move {
///         for i in 0..5 {
///             tx.send(i).await.unwrap(); // waits while 2 values are queued
///         }
///     });
///     let mut got = Vec::new();
///     while let Some(i) = rx.recv().await {
///         got.push(i);
///     }
///     assert_eq!(got, [0, 1, 2, 3, 4]);
/// });
/// ```
///
/// # Panics
///
/// If `capacity` is 0 or larger than [`Semaphore::MAX_PERMITS`](crate::sync::Semaphore::MAX_PERMITS).
pub fn channel<T>(capacity: usize) -> (Sender<T>, Receiver<T>) {
    assert!(capacity > 0, "mpsc bounded channel requires capacity > 0");
    let chan = Arc::new(Chan::new(Some(capacity)));
    (
        Sender {
            chan: chan.clone(),
            capacity,
        },
        Receiver { chan },
    )
}

/// Sends values to the [`Receiver`] of a bounded channel. Cloning it adds a sender.
///
/// ```
/// use corio::sync::mpsc::{self, error::TrySendError};
///
/// corio::block_on(async {
///     let (tx, mut rx) = mpsc::channel(1);
///     tx.try_send("first").unwrap();
///     assert!(matches!(tx.try_send("second"), Err(TrySendError::Full("second"))));
///     assert_eq!(rx.recv().await, Some("first"));
///     drop(rx);
///     assert_eq!(tx.send("late").await.unwrap_err().0, "late");
/// });
/// ```
pub struct Sender<T> {
    chan: Arc<Chan<T>>,
    capacity: usize,
}

impl<T> Sender<T> {
    /// Waits for a free slot, then queues `value`. Fails, giving the value back, if the
    /// receiver was closed or dropped.
    ///
    /// # Cancel safety
    ///
    /// If the future is dropped before it completes, the value was not sent, and it is lost
    /// with the future; the sender's place in the queue is given up. To keep the value, use
    /// [`Sender::reserve`] (cancel safe) and then [`Permit::send`].
    pub async fn send(&self, value: T) -> Result<(), SendError<T>> {
        match self.reserve().await {
            Ok(permit) => permit.send_or_return(value).map_err(SendError),
            Err(_) => Err(SendError(value)),
        }
    }

    /// Queues `value` if a slot is free now.
    pub fn try_send(&self, value: T) -> Result<(), TrySendError<T>> {
        match self.try_reserve() {
            Ok(permit) => permit.send_or_return(value).map_err(TrySendError::Closed),
            Err(TrySendError::Full(())) => Err(TrySendError::Full(value)),
            Err(TrySendError::Closed(())) => Err(TrySendError::Closed(value)),
        }
    }

    /// Sends from a plain thread, blocking it while the channel is full.
    ///
    /// # Panics
    ///
    /// If called on a corio event loop thread (it would block the loop).
    pub fn blocking_send(&self, value: T) -> Result<(), SendError<T>> {
        crate::sync::park::wait("mpsc::Sender::blocking_send", self.send(value))
    }

    /// Waits for a free slot and reserves it: the returned [`Permit`] sends without waiting.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: dropping the future gives up its place in the queue, and nothing is lost.
    pub async fn reserve(&self) -> Result<Permit<'_, T>, SendError<()>> {
        let slot = self
            .chan
            .slots()
            .acquire()
            .await
            .map_err(|_| SendError(()))?;
        slot.forget();
        self.chan.reserve();
        Ok(Permit {
            chan: &self.chan,
            sent: false,
        })
    }

    /// Reserves a slot if one is free now.
    pub fn try_reserve(&self) -> Result<Permit<'_, T>, TrySendError<()>> {
        match self.chan.slots().try_acquire() {
            Ok(slot) => {
                slot.forget();
                self.chan.reserve();
                Ok(Permit {
                    chan: &self.chan,
                    sent: false,
                })
            }
            Err(TryAcquireError::NoPermits) => Err(TrySendError::Full(())),
            Err(TryAcquireError::Closed) => Err(TrySendError::Closed(())),
        }
    }

    /// Waits until the receiver is closed or dropped.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe.
    pub async fn closed(&self) {
        self.chan.closed().await
    }

    /// Whether the receiver was closed or dropped.
    pub fn is_closed(&self) -> bool {
        self.chan.is_closed()
    }

    /// The free slots now.
    pub fn capacity(&self) -> usize {
        self.chan.slots().available_permits()
    }

    /// The capacity the channel was created with.
    pub fn max_capacity(&self) -> usize {
        self.capacity
    }

    /// Whether both senders belong to the same channel.
    pub fn same_channel(&self, other: &Sender<T>) -> bool {
        Arc::ptr_eq(&self.chan, &other.chan)
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        self.chan.add_sender();
        Sender {
            chan: self.chan.clone(),
            capacity: self.capacity,
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        self.chan.drop_sender();
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender").field("chan", &self.chan).finish()
    }
}

/// A reserved slot of a bounded channel: [`Permit::send`] queues a value without waiting;
/// dropping it unused frees the slot.
///
/// ```
/// use corio::sync::mpsc;
///
/// corio::block_on(async {
///     let (tx, mut rx) = mpsc::channel(1);
///     let permit = tx.reserve().await.unwrap(); // the slot is ours; nothing is lost if
///     assert_eq!(tx.capacity(), 0);             // this await is cancelled
///     permit.send("reserved");
///     assert_eq!(rx.recv().await, Some("reserved"));
/// });
/// ```
pub struct Permit<'a, T> {
    chan: &'a Chan<T>,
    sent: bool,
}

impl<T> Permit<'_, T> {
    /// Queues `value` in the reserved slot. Works even if the receiver closed after the slot
    /// was reserved; if the receiver was dropped, the value is dropped.
    pub fn send(self, value: T) {
        let _ = self.send_or_return(value);
    }

    fn send_or_return(mut self, value: T) -> Result<(), T> {
        self.sent = true;
        self.chan.push_reserved(value)
    }
}

impl<T> Drop for Permit<'_, T> {
    fn drop(&mut self) {
        if !self.sent {
            self.chan.unreserve();
        }
    }
}

impl<T> fmt::Debug for Permit<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Permit").field("chan", &self.chan).finish()
    }
}

/// Receives the values of a bounded channel. Implements `futures_core::Stream`.
///
/// ```
/// use corio::sync::mpsc;
///
/// corio::block_on(async {
///     let (tx, mut rx) = mpsc::channel(4);
///     tx.send(1).await.unwrap();
///     rx.close(); // no new sends, but what is queued is still received
///     assert!(tx.send(2).await.is_err());
///     assert_eq!(rx.recv().await, Some(1));
///     assert_eq!(rx.recv().await, None);
/// });
/// ```
pub struct Receiver<T> {
    chan: Arc<Chan<T>>,
}

super::receiver::receiver_impls!(Receiver);
