//! Building blocks for tasks that cooperate: channels, notification, limits, locks,
//! cancellation, task sets. They are named and behave as tokio's, so that a tokio program
//! finds them where it expects:
//!
//! | building block | what it is for |
//! |---|---|
//! | [`mpsc`] | a queue of values from many senders to one receiver, bounded or not |
//! | [`oneshot`] | one value, once (a task's reply) |
//! | [`watch`] | the latest version of a value, seen by many (configuration, state) |
//! | [`Notify`] | a wake-up without data |
//! | [`Semaphore`] | a limit on concurrency (FIFO) |
//! | [`Mutex`] | a lock held across `.await` (FIFO) |
//! | [`CancellationToken`] | cancellation in a tree of tasks |
//! | [`JoinSet`] | tasks awaited as they finish, aborted together |
//!
//! # Across loops and threads
//!
//! Everything here is `Send + Sync` for `Send` values (`watch` also needs them `Sync`, since
//! receivers share a borrow), and made of `std::sync::Mutex` and wakers only: a value sent on one loop of a [`Runtime`](crate::Runtime) wakes a task on
//! another, and plain threads can take part: the non-waiting methods (`try_send`,
//! `UnboundedSender::send`, `notify_one`, `cancel`, ...) never block, and the `blocking_*`
//! methods (`blocking_send`, `blocking_recv`, `blocking_lock`) park a plain thread until done.
//! Those panic on a corio loop thread, where they would stop the loop.
//!
//! # Waiting without leaking
//!
//! A future that waits holds one entry in its primitive's wait queue (`wait_queue.rs`): the
//! first `Pending` poll adds it, every later poll replaces its waker in place, and dropping the
//! future removes it. A future polled a million times in a `select!` loop, or a million
//! futures each polled once and dropped, leave at most one waker behind. The lock is never
//! held while a waker runs.
//!
//! # Cancel safety
//!
//! Each waiting method says, as tokio's docs do, what is lost if its future is dropped before
//! it completes. Most lose nothing (`recv`, `acquire`, `lock`, `notified`, `changed`,
//! `cancelled`, `join_next`); [`mpsc::Sender::send`] loses the value it was given.
//!
//! # `select!`
//!
//! The named futures (`Recv`, `Acquire`, `Lock`, `Notified`, `Changed`,
//! `WaitForCancellation`, the oneshot `Receiver`) are `Unpin` and implement
//! `futures_core::future::FusedFuture`, so the futures crate's `select!` takes them without
//! `.fuse()`.

mod cancellation;
mod join_set;
pub mod mpsc;
mod mutex;
mod notify;
pub mod oneshot;
mod park;
mod semaphore;
mod wait_queue;
pub mod watch;

pub use cancellation::{
    CancellationToken, DropGuard, WaitForCancellation, WaitForCancellationOwned,
};
pub use join_set::JoinSet;
pub use mutex::{Lock, LockOwned, Mutex, MutexGuard, OwnedMutexGuard, TryLockError};
pub use notify::{Notified, Notify, OwnedNotified};
pub use semaphore::{
    Acquire, AcquireError, AcquireOwned, OwnedSemaphorePermit, Semaphore, SemaphorePermit,
    TryAcquireError,
};

#[cfg(test)]
mod tests {
    use super::*;
    use std::future::Future;

    fn send_sync<T: Send + Sync>(_: &T) {}
    fn send<T: Send>(_: &T) {}

    /// Compile-time: the building blocks and their futures can move between threads, so
    /// `corio::spawn` (which requires `Send`) accepts tasks that hold or await them.
    #[test]
    fn building_blocks_and_their_futures_cross_threads() {
        let (tx, mut rx) = mpsc::channel::<String>(1);
        let (utx, mut urx) = mpsc::unbounded_channel::<String>();
        let (otx, orx) = oneshot::channel::<String>();
        let (wtx, mut wrx) = watch::channel(String::new());
        let (notify, semaphore, mutex) =
            (Notify::new(), Semaphore::new(1), Mutex::new(String::new()));
        let token = CancellationToken::new();
        let mut set = JoinSet::<String>::new();
        send_sync(&tx);
        send_sync(&utx);
        send_sync(&otx);
        send_sync(&wtx);
        send_sync(&notify);
        send_sync(&semaphore);
        send_sync(&mutex);
        send_sync(&token);
        send_sync(&set);
        fn future<F: Future + Send>(_: F) {}
        future(tx.send(String::new()));
        future(tx.reserve());
        future(tx.closed());
        future(utx.closed());
        future(notify.notified());
        future(semaphore.acquire());
        future(mutex.lock());
        future(token.cancelled());
        future(token.run_until_cancelled(async {}));
        future(wtx.closed());
        future(set.join_next());
        future(set.shutdown());
        future(rx.recv());
        future(urx.recv());
        future(wrx.changed());
        send(&mutex.try_lock().unwrap());
        send(&orx);
    }
}
