//! A one-shot channel: one value, from one sender to one receiver, as tokio's `oneshot`.
//!
//! State, under one `std::sync::Mutex`: the value slot, whether the sender is done (sent or
//! dropped), whether the receiver closed, and one waker slot per side. Each side stores at
//! most one waker, replaced on every poll, so polling never accumulates wakers.
//!
//! ```
//! use corio::sync::oneshot;
//!
//! corio::block_on(async {
//!     let (tx, rx) = oneshot::channel();
//!     corio::spawn(async move { tx.send(42).unwrap() });
//!     assert_eq!(rx.await, Ok(42));
//! });
//! ```

use std::fmt;
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

use futures_core::future::FusedFuture;

/// The errors of a oneshot channel.
pub mod error {
    use std::fmt;

    /// The sender was dropped without sending.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct RecvError(pub(super) ());

    impl fmt::Display for RecvError {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("channel closed")
        }
    }

    impl std::error::Error for RecvError {}

    /// Why [`Receiver::try_recv`](super::Receiver::try_recv) gave nothing.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub enum TryRecvError {
        /// Nothing was sent yet.
        Empty,
        /// The sender was dropped without sending, or the value was already received.
        Closed,
    }

    impl fmt::Display for TryRecvError {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            match self {
                TryRecvError::Empty => f.write_str("channel empty"),
                TryRecvError::Closed => f.write_str("channel closed"),
            }
        }
    }

    impl std::error::Error for TryRecvError {}
}

use error::{RecvError, TryRecvError};

/// A new oneshot channel.
pub fn channel<T>() -> (Sender<T>, Receiver<T>) {
    let inner = Arc::new(Inner {
        state: Mutex::new(State {
            value: None,
            sender_done: false,
            receiver_closed: false,
            receiver_waker: None,
            sender_waker: None,
        }),
    });
    (
        Sender {
            inner: inner.clone(),
        },
        Receiver {
            inner,
            terminated: false,
        },
    )
}

struct Inner<T> {
    state: Mutex<State<T>>,
}

struct State<T> {
    value: Option<T>,
    /// The sender sent or was dropped.
    sender_done: bool,
    /// The receiver was closed or dropped.
    receiver_closed: bool,
    receiver_waker: Option<Waker>,
    /// The sender's task, waiting in `closed()`.
    sender_waker: Option<Waker>,
}

impl<T> Inner<T> {
    fn lock(&self) -> MutexGuard<'_, State<T>> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Stores `cx`'s waker in `slot`, cloning only if it would wake another task.
fn store_waker(slot: &mut Option<Waker>, cx: &Context<'_>) {
    if !slot.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
        *slot = Some(cx.waker().clone());
    }
}

/// The sending half: [`Sender::send`] consumes it.
///
/// ```
/// use corio::sync::oneshot;
///
/// corio::block_on(async {
///     let (mut tx, rx) = oneshot::channel::<u32>();
///     drop(rx); // nobody waits for the answer any more
///     tx.closed().await;
///     assert_eq!(tx.send(1), Err(1));
/// });
/// ```
pub struct Sender<T> {
    inner: Arc<Inner<T>>,
}

impl<T> Sender<T> {
    /// Sends `value`; gives it back if the receiver was closed or dropped. Never blocks.
    pub fn send(self, value: T) -> Result<(), T> {
        let waker = {
            let mut state = self.inner.lock();
            if state.receiver_closed {
                return Err(value);
            }
            state.value = Some(value);
            state.sender_done = true;
            state.receiver_waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
        Ok(())
    }

    /// Whether the receiver was closed or dropped.
    pub fn is_closed(&self) -> bool {
        self.inner.lock().receiver_closed
    }

    /// Ready once the receiver is closed or dropped (stores this task's waker otherwise).
    pub fn poll_closed(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let mut state = self.inner.lock();
        if state.receiver_closed {
            return Poll::Ready(());
        }
        store_waker(&mut state.sender_waker, cx);
        Poll::Pending
    }

    /// Waits until the receiver is closed or dropped: to stop work nobody awaits.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe.
    pub async fn closed(&mut self) {
        poll_fn(|cx| self.poll_closed(cx)).await
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let waker = {
            let mut state = self.inner.lock();
            if state.sender_done {
                return;
            }
            state.sender_done = true;
            state.receiver_waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender")
            .field("closed", &self.is_closed())
            .finish()
    }
}

/// The receiving half: a future of the value. Implements `FusedFuture`.
///
/// ```
/// use corio::sync::oneshot;
///
/// let (tx, rx) = oneshot::channel::<u32>();
/// drop(tx);
/// assert!(corio::block_on(rx).is_err()); // dropped without sending
///
/// let (tx, rx) = oneshot::channel();
/// std::thread::spawn(move || tx.send("from a thread").unwrap());
/// assert_eq!(rx.blocking_recv(), Ok("from a thread"));
/// ```
///
/// # Cancel safety
///
/// Awaiting `&mut receiver` is cancel safe: a value sent while it was not being polled stays in
/// the channel for the next poll.
pub struct Receiver<T> {
    inner: Arc<Inner<T>>,
    /// The value (or the error) was returned.
    terminated: bool,
}

impl<T> Receiver<T> {
    /// Closes the channel without dropping the receiver: the sender's `send` fails from now on
    /// and its `closed()` completes; a value sent before stays receivable.
    pub fn close(&mut self) {
        let waker = {
            let mut state = self.inner.lock();
            state.receiver_closed = true;
            state.sender_waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// Takes the value if it was sent, without waiting.
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        let mut state = self.inner.lock();
        match state.value.take() {
            Some(value) => {
                self.terminated = true;
                Ok(value)
            }
            None if state.sender_done => {
                self.terminated = true;
                Err(TryRecvError::Closed)
            }
            None => Err(TryRecvError::Empty),
        }
    }

    /// Waits for the value on a plain thread, blocking it.
    ///
    /// # Panics
    ///
    /// If called on a corio event loop thread (it would block the loop).
    pub fn blocking_recv(self) -> Result<T, RecvError> {
        super::park::wait("oneshot::Receiver::blocking_recv", self)
    }
}

impl<T> Future for Receiver<T> {
    type Output = Result<T, RecvError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let mut state = this.inner.lock();
        let output = match state.value.take() {
            Some(value) => Ok(value),
            None if state.sender_done => Err(RecvError(())),
            None => {
                store_waker(&mut state.receiver_waker, cx);
                return Poll::Pending;
            }
        };
        this.terminated = true;
        Poll::Ready(output)
    }
}

impl<T> FusedFuture for Receiver<T> {
    fn is_terminated(&self) -> bool {
        self.terminated
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        let (waker, value) = {
            let mut state = self.inner.lock();
            state.receiver_closed = true;
            (state.sender_waker.take(), state.value.take())
        };
        drop(value);
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver")
            .field("terminated", &self.terminated)
            .finish()
    }
}
