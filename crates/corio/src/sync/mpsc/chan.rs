//! The state both kinds of channel share: the queue, the receiver's state and waker, and the
//! count of senders.
//!
//! Everything sits under one `std::sync::Mutex`, held only to move a value or a waker, never
//! across an `.await`. The receiver stores at most one waker (replaced on every poll). A
//! bounded channel adds a [`Semaphore`] whose permits are the free slots: a sender takes one
//! (waiting in FIFO order if none is free), the receiver gives one back per value received,
//! and closing the channel closes the semaphore so that waiting senders fail at once.

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

use futures_core::future::FusedFuture;

use super::error::TryRecvError;
use crate::sync::{Notify, Semaphore};

/// The receiver's side of the channel's life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Receiver {
    Open,
    /// `close()` was called: no new sends, what is queued can still be received.
    Closed,
    /// The receiver is gone; queued values were dropped.
    Dropped,
}

/// One channel, shared by its senders and its receiver.
pub(super) struct Chan<T> {
    state: Mutex<State<T>>,
    /// The free slots of a bounded channel; `None` for an unbounded one.
    slots: Option<Semaphore>,
    /// Wakes senders waiting in `closed()`.
    closed: Notify,
}

struct State<T> {
    queue: VecDeque<T>,
    receiver: Receiver,
    receiver_waker: Option<Waker>,
    senders: usize,
    /// Slots reserved by a `Permit` not used yet: values that may still arrive after `close`.
    reserved: usize,
}

impl<T> Chan<T> {
    /// A channel with one sender; `capacity` is `None` for an unbounded channel.
    pub(super) fn new(capacity: Option<usize>) -> Chan<T> {
        Chan {
            state: Mutex::new(State {
                queue: VecDeque::new(),
                receiver: Receiver::Open,
                receiver_waker: None,
                senders: 1,
                reserved: 0,
            }),
            slots: capacity.map(Semaphore::new),
            closed: Notify::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State<T>> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The free-slot semaphore of a bounded channel.
    pub(super) fn slots(&self) -> &Semaphore {
        self.slots
            .as_ref()
            .expect("only bounded channels reserve slots")
    }

    /// Queues `value`, waking the receiver; gives it back if the receiver is not open.
    pub(super) fn push(&self, value: T) -> Result<(), T> {
        let waker = {
            let mut state = self.lock();
            if state.receiver != Receiver::Open {
                return Err(value);
            }
            state.queue.push_back(value);
            state.receiver_waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
        Ok(())
    }

    /// Records a slot reserved by a `Permit` (its semaphore permit is already taken).
    pub(super) fn reserve(&self) {
        self.lock().reserved += 1;
    }

    /// Queues `value` in a reserved slot. After `close` this still succeeds (as tokio's
    /// permits do); if the receiver is gone the value is given back and the slot freed.
    pub(super) fn push_reserved(&self, value: T) -> Result<(), T> {
        let (result, waker) = {
            let mut state = self.lock();
            state.reserved -= 1;
            if state.receiver == Receiver::Dropped {
                (Err(value), None)
            } else {
                state.queue.push_back(value);
                (Ok(()), state.receiver_waker.take())
            }
        };
        if result.is_err() {
            self.slots().release(1);
        }
        if let Some(waker) = waker {
            waker.wake();
        }
        result
    }

    /// Frees a reserved slot that was not used.
    pub(super) fn unreserve(&self) {
        let waker = {
            let mut state = self.lock();
            state.reserved -= 1;
            state.receiver_waker.take()
        };
        self.slots().release(1);
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// Whether the receiver was closed or dropped.
    pub(super) fn is_closed(&self) -> bool {
        self.lock().receiver != Receiver::Open
    }

    /// Waits until the receiver is closed or dropped.
    pub(super) async fn closed(&self) {
        loop {
            let notified = self.closed.notified();
            if self.is_closed() {
                return;
            }
            notified.await;
        }
    }

    pub(super) fn add_sender(&self) {
        self.lock().senders += 1;
    }

    /// A sender was dropped; the last one wakes the receiver (which then gets `None`).
    pub(super) fn drop_sender(&self) {
        let waker = {
            let mut state = self.lock();
            state.senders -= 1;
            if state.senders > 0 {
                return;
            }
            state.receiver_waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// The receiver's poll: a value, `None` once nothing more can come, or `Pending` with its
    /// waker stored.
    pub(super) fn poll_recv(&self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        match self.take(Some(cx.waker())) {
            Ok(value) => Poll::Ready(Some(value)),
            Err(TryRecvError::Disconnected) => Poll::Ready(None),
            Err(TryRecvError::Empty) => Poll::Pending,
        }
    }

    pub(super) fn try_recv(&self) -> Result<T, TryRecvError> {
        self.take(None)
    }

    /// Dequeues a value (freeing its slot); when empty, stores `waker` if given.
    fn take(&self, waker: Option<&Waker>) -> Result<T, TryRecvError> {
        let value = {
            let mut state = self.lock();
            match state.queue.pop_front() {
                Some(value) => value,
                None if ended(&state) => return Err(TryRecvError::Disconnected),
                None => {
                    if let Some(waker) = waker {
                        if !state
                            .receiver_waker
                            .as_ref()
                            .is_some_and(|w| w.will_wake(waker))
                        {
                            state.receiver_waker = Some(waker.clone());
                        }
                    }
                    return Err(TryRecvError::Empty);
                }
            }
        };
        if let Some(slots) = &self.slots {
            slots.release(1);
        }
        Ok(value)
    }

    /// The receiver closes: no new sends; waiting senders fail.
    pub(super) fn close(&self) {
        {
            let mut state = self.lock();
            if state.receiver == Receiver::Open {
                state.receiver = Receiver::Closed;
            }
        }
        self.close_senders();
    }

    /// The receiver is dropped: like `close`, and the queued values are dropped.
    pub(super) fn drop_receiver(&self) {
        let queue = {
            let mut state = self.lock();
            state.receiver = Receiver::Dropped;
            state.receiver_waker = None;
            std::mem::take(&mut state.queue)
        };
        drop(queue);
        self.close_senders();
    }

    fn close_senders(&self) {
        if let Some(slots) = &self.slots {
            slots.close();
        }
        self.closed.notify_waiters();
    }

    /// The number of values queued.
    pub(super) fn len(&self) -> usize {
        self.lock().queue.len()
    }
}

/// Whether an empty queue stays empty for good: no sender left, or closed with no slot
/// reserved.
fn ended<T>(state: &State<T>) -> bool {
    state.senders == 0 || (state.receiver != Receiver::Open && state.reserved == 0)
}

impl<T> fmt::Debug for Chan<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.lock();
        f.debug_struct("Chan")
            .field("queued", &state.queue.len())
            .field("receiver", &state.receiver)
            .field("senders", &state.senders)
            .finish()
    }
}

/// The future of `recv()` on either kind of receiver. Implements `FusedFuture`.
#[must_use = "futures do nothing unless polled"]
pub struct Recv<'a, T> {
    chan: &'a Chan<T>,
    done: bool,
}

impl<'a, T> Recv<'a, T> {
    pub(super) fn new(chan: &'a Chan<T>) -> Recv<'a, T> {
        Recv { chan, done: false }
    }
}

impl<T> Future for Recv<'_, T> {
    type Output = Option<T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let this = self.get_mut();
        let poll = this.chan.poll_recv(cx);
        this.done = poll.is_ready();
        poll
    }
}

impl<T> FusedFuture for Recv<'_, T> {
    fn is_terminated(&self) -> bool {
        self.done
    }
}

impl<T> fmt::Debug for Recv<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Recv").field("done", &self.done).finish()
    }
}
