//! The cross-thread side of a loop: [`LoopHandle`] and the remote queue.
//!
//! Everything else in a loop is single-threaded (`Rc`, `RefCell`). What other threads may do is
//! funnelled through [`Shared`]: a mutex-protected queue of [`Remote`] items plus the selector's
//! [`mio::Waker`]. The first push after the loop drained the queue writes the waker (one
//! `eventfd` write); later pushes only append, until the loop drains again. So a burst of
//! cross-thread wake-ups costs one syscall, and a loop that is busy anyway is not interrupted.
//!
//! When the loop shuts down ([`EventLoop::close`](super::EventLoop::close), or its last handle
//! is dropped) the queue is closed under its lock: what was queued and everything pushed later
//! is cancelled rather than left to wait for a loop that will never run it. A remote spawn
//! then completes its [`JoinHandle`] with a cancelled [`JoinError`](crate::JoinError); a
//! `call_soon_threadsafe` callback is dropped without running.

use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use crate::task::{self, JoinHandle, RemoteTask, TaskRef};

/// Work sent to a loop from any thread.
pub(crate) enum Remote {
    /// A `call_soon_threadsafe` callback.
    Callback(Box<dyn FnOnce() + Send>),
    /// A task spawned from another thread, to insert in the loop's slab.
    Spawn(RemoteTask),
    /// A task woken from another thread.
    Task(TaskRef),
    /// A futures-I/O source dropped on another thread: free its slab slot.
    Release(usize),
}

impl Remote {
    /// Disposes of an item its loop will never run: a spawned task is cancelled, the rest is
    /// dropped.
    pub(crate) fn cancel(self) {
        match self {
            Remote::Spawn(task) => task.cancel(),
            Remote::Callback(_) | Remote::Task(_) | Remote::Release(_) => {}
        }
    }
}

/// The remote queue, and whether the loop has shut down (after which it accepts nothing).
#[derive(Default)]
struct RemoteQueue {
    items: Vec<Remote>,
    closed: bool,
}

/// The part of a loop that other threads can reach.
pub(crate) struct Shared {
    /// Unique per loop, to tell "my loop" from "another loop" when waking.
    pub(crate) id: usize,
    queue: Mutex<RemoteQueue>,
    /// Set by the first push after a drain; the pusher that set it writes the waker.
    pending: AtomicBool,
    waker: mio::Waker,
    /// A clone of the selector's registry, so that sources can be deregistered from any thread.
    pub(crate) registry: mio::Registry,
}

impl Shared {
    pub(crate) fn new(waker: mio::Waker, registry: mio::Registry) -> Shared {
        static NEXT_ID: AtomicUsize = AtomicUsize::new(1);
        Shared {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            queue: Mutex::new(RemoteQueue::default()),
            pending: AtomicBool::new(false),
            waker,
            registry,
        }
    }

    /// Queues `item` and wakes the loop if it may be sleeping; cancels it (see
    /// [`Remote::cancel`]) if the loop has shut down.
    pub(crate) fn push(&self, item: Remote) {
        let mut queue = self.queue.lock().unwrap_or_else(|e| e.into_inner());
        if queue.closed {
            drop(queue);
            item.cancel();
            return;
        }
        queue.items.push(item);
        drop(queue);
        self.notify();
    }

    /// Closes the queue for good and returns what was still in it.
    pub(crate) fn close(&self) -> Vec<Remote> {
        let mut queue = self.queue.lock().unwrap_or_else(|e| e.into_inner());
        queue.closed = true;
        std::mem::take(&mut queue.items)
    }

    /// Wakes the loop (if no wake-up is already on its way).
    pub(crate) fn notify(&self) {
        if !self.pending.swap(true, Ordering::AcqRel) {
            // An error here means the eventfd counter is saturated: the loop is awake anyway.
            let _ = self.waker.wake();
        }
    }

    /// Whether something was pushed since the last [`Shared::take`].
    pub(crate) fn is_pending(&self) -> bool {
        self.pending.load(Ordering::Acquire)
    }

    /// Takes every queued item, re-arming the notification first.
    pub(crate) fn take(&self, into: &mut Vec<Remote>) {
        self.pending.store(false, Ordering::Release);
        into.append(&mut self.queue.lock().unwrap_or_else(|e| e.into_inner()).items);
    }
}

/// A `Send + Clone` handle to an [`EventLoop`](super::EventLoop), usable from any thread.
///
/// ```
/// use std::sync::mpsc;
///
/// let lp = corio::EventLoop::new().unwrap();
/// let handle = lp.handle();
/// let (tx, rx) = mpsc::channel();
/// let thread = std::thread::spawn(move || {
///     handle.call_soon_threadsafe(move || tx.send("from the loop").unwrap());
///     handle.stop();
/// });
/// lp.run_forever().unwrap();
/// thread.join().unwrap();
/// assert_eq!(rx.recv().unwrap(), "from the loop");
/// ```
#[derive(Clone)]
pub struct LoopHandle {
    pub(crate) shared: Arc<Shared>,
}

impl LoopHandle {
    /// Schedules `f` to run on the loop, from any thread; wakes the loop if it is sleeping.
    /// If the loop has shut down (closed or dropped), `f` is dropped without running.
    pub fn call_soon_threadsafe(&self, f: impl FnOnce() + Send + 'static) {
        self.shared.push(Remote::Callback(Box::new(f)));
    }

    /// Spawns a `Send` future as a task on this loop, from any thread. If the loop has shut
    /// down (closed or dropped), or shuts down before the task finishes, awaiting the handle
    /// gives a cancelled [`JoinError`](crate::JoinError).
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        task::spawn_remote(&self.shared, future)
    }

    /// Asks the loop to stop: `run_forever` returns after its current iteration.
    pub fn stop(&self) {
        self.call_soon_threadsafe(|| {
            if let Some(lp) = super::EventLoop::current() {
                lp.stop();
            }
        });
    }

    /// Whether two handles refer to the same loop.
    pub fn same_loop(&self, other: &LoopHandle) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }
}

impl std::fmt::Debug for LoopHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoopHandle")
            .field("id", &self.shared.id)
            .finish()
    }
}
