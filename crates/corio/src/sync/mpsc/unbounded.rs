//! The unbounded channel: [`UnboundedSender`], [`UnboundedReceiver`].

use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_core::Stream;

use super::chan::{Chan, Recv};
use super::error::{SendError, TryRecvError};

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

impl<T> UnboundedReceiver<T> {
    /// Waits for the next value; `None` once every sender is dropped (or the channel was
    /// closed) and the queue is empty.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: if the future is dropped, no value was taken from the channel.
    pub fn recv(&mut self) -> Recv<'_, T> {
        Recv::new(&self.chan)
    }

    /// Takes the next value without waiting.
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        self.chan.try_recv()
    }

    /// Receives on a plain thread, blocking it until a value comes or the channel ends.
    ///
    /// # Panics
    ///
    /// If called on a corio event loop thread (it would block the loop).
    pub fn blocking_recv(&mut self) -> Option<T> {
        crate::sync::park::wait("mpsc::UnboundedReceiver::blocking_recv", self.recv())
    }

    /// The poll behind [`UnboundedReceiver::recv`], for hand-written futures.
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        self.chan.poll_recv(cx)
    }

    /// Closes the channel: sends fail from now on; values already queued can still be
    /// received.
    pub fn close(&mut self) {
        self.chan.close();
    }

    /// Whether the channel was closed, by [`UnboundedReceiver::close`].
    pub fn is_closed(&self) -> bool {
        self.chan.is_closed()
    }

    /// The number of values queued.
    pub fn len(&self) -> usize {
        self.chan.len()
    }

    /// Whether no value is queued.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<T> Stream for UnboundedReceiver<T> {
    type Item = T;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        self.chan.poll_recv(cx)
    }
}

impl<T> Drop for UnboundedReceiver<T> {
    fn drop(&mut self) {
        self.chan.drop_receiver();
    }
}

impl<T> fmt::Debug for UnboundedReceiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnboundedReceiver")
            .field("chan", &self.chan)
            .finish()
    }
}
