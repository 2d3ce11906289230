//! The unbounded channel: [`UnboundedSender`], [`UnboundedReceiver`].

use std::fmt;
use std::sync::Arc;

use super::chan::Chan;
use super::error::SendError;

/// A channel without a bound: [`UnboundedSender::send`] never waits, so the queue grows as
/// long as the receiver lags. Prefer [`channel`](super::channel) when the producer can outrun
/// the consumer.
///
/// ```
/// use corio::sync::mpsc;
///
/// let (tx, mut rx) = mpsc::unbounded_channel();
/// std::thread::spawn(move || {
///     for i in 0..3 {
///         tx.send(i).unwrap(); // never blocks; works from a plain thread
///     }
/// });
/// corio::block_on(async move {
///     let mut sum = 0;
///     while let Some(i) = rx.recv().await {
///         sum += i;
///     }
///     assert_eq!(sum, 3);
/// });
/// ```
pub fn unbounded_channel<T>() -> (UnboundedSender<T>, UnboundedReceiver<T>) {
    let chan = Arc::new(Chan::new(None));
    (
        UnboundedSender { chan: chan.clone() },
        UnboundedReceiver { chan },
    )
}

/// Sends values to an [`UnboundedReceiver`]. Cloning it adds a sender.
///
/// ```
/// use corio::sync::mpsc;
///
/// let (tx, rx) = mpsc::unbounded_channel();
/// tx.send(1).unwrap();
/// drop(rx);
/// assert_eq!(tx.send(2).unwrap_err().0, 2);
/// ```
pub struct UnboundedSender<T> {
    chan: Arc<Chan<T>>,
}

impl<T> UnboundedSender<T> {
    /// Queues `value` without waiting; gives it back if the receiver was closed or dropped.
    pub fn send(&self, value: T) -> Result<(), SendError<T>> {
        self.chan.push(value).map_err(SendError)
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

    /// Whether both senders belong to the same channel.
    pub fn same_channel(&self, other: &UnboundedSender<T>) -> bool {
        Arc::ptr_eq(&self.chan, &other.chan)
    }
}

impl<T> Clone for UnboundedSender<T> {
    fn clone(&self) -> Self {
        self.chan.add_sender();
        UnboundedSender {
            chan: self.chan.clone(),
        }
    }
}

impl<T> Drop for UnboundedSender<T> {
    fn drop(&mut self) {
        self.chan.drop_sender();
    }
}

impl<T> fmt::Debug for UnboundedSender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnboundedSender")
            .field("chan", &self.chan)
            .finish()
    }
}

/// Receives the values of an unbounded channel. Implements `futures_core::Stream`.
///
/// ```
/// use corio::sync::mpsc::{self, error::TryRecvError};
///
/// let (tx, mut rx) = mpsc::unbounded_channel::<u8>();
/// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
/// drop(tx);
/// assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
/// ```
pub struct UnboundedReceiver<T> {
    chan: Arc<Chan<T>>,
}

super::receiver::receiver_impls!(UnboundedReceiver);
