//! The thread-safe part of a task: its scheduling state and its waker.
//!
//! A task's future lives in its loop's slab and never leaves that thread, so it need not be
//! `Send`. What other threads can hold is the task's [`TaskCore`]: an `Arc` with the
//! [`TaskHeader`] (the task's slab key, its state bits and its loop's [`Shared`]) and, for a task
//! whose output is `Send`, its join state (see [`JoinHandle`](super::JoinHandle)): so `spawn`
//! costs two allocations, this one and the boxed future. The core is the task's [`Waker`]
//! (through [`std::task::Wake`]), which makes every waker `Send + Sync` whatever the future is.
//!
//! Waking sets `SCHEDULED`; only the wake that set it queues the task, so a task is queued at
//! most once however often it is woken. The loop clears `SCHEDULED` just before polling, so a
//! wake during the poll queues the task again. `COMPLETE` is final: later wakes do nothing.

use std::any::Any;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::Wake;

use crate::event_loop::{EventLoop, Ready, Remote, Shared};

/// The task is on a ready queue (local or remote).
pub(crate) const SCHEDULED: usize = 0b001;
/// The task finished (output delivered, panicked or aborted).
pub(crate) const COMPLETE: usize = 0b010;
/// `JoinHandle::abort` was called: drop the future on the next step.
pub(crate) const ABORTED: usize = 0b100;
/// The header of a `spawn_blocking` job: it is never queued on a loop.
const BLOCKING: usize = 0b1000;

/// A task as its loop's queues hold it: its [`TaskCore`] with the join state's type erased.
/// The header stays a plain field (no virtual call on the wake and poll paths).
pub(crate) type TaskRef = Arc<TaskCore<dyn Any + Send + Sync>>;

/// The shared allocation of a task: its header and `join`, the join state kept with it (`()`
/// for a `spawn_local` task, whose output may not be `Send`).
pub(crate) struct TaskCore<J: ?Sized> {
    pub(crate) header: TaskHeader,
    pub(crate) join: J,
}

impl<J: Send + Sync + 'static> Wake for TaskCore<J> {
    #[inline]
    fn wake(self: Arc<Self>) {
        if self.header.set_scheduled() {
            enqueue(self);
        }
    }

    #[inline]
    fn wake_by_ref(self: &Arc<Self>) {
        if self.header.set_scheduled() {
            enqueue(self.clone());
        }
    }
}

/// The scheduling state of a task.
pub(crate) struct TaskHeader {
    /// The task's key in its loop's slab (set once, when inserted).
    id: AtomicUsize,
    state: AtomicUsize,
    /// The loop that owns the task.
    pub(crate) owner: Arc<Shared>,
}

impl TaskHeader {
    /// A header for a task about to be queued for its first poll.
    pub(crate) fn new(owner: Arc<Shared>) -> TaskHeader {
        TaskHeader {
            id: AtomicUsize::new(usize::MAX),
            state: AtomicUsize::new(SCHEDULED),
            owner,
        }
    }

    /// A header for a `spawn_blocking` job.
    pub(crate) fn new_blocking(owner: Arc<Shared>) -> TaskHeader {
        TaskHeader {
            id: AtomicUsize::new(usize::MAX),
            state: AtomicUsize::new(BLOCKING),
            owner,
        }
    }

    /// Called by a blocking job before it runs: whether it may (it was not aborted).
    pub(crate) fn start_blocking(&self) -> bool {
        self.state.load(Ordering::Acquire) & ABORTED == 0
    }

    pub(crate) fn id(&self) -> usize {
        self.id.load(Ordering::Relaxed)
    }

    pub(crate) fn set_id(&self, id: usize) {
        self.id.store(id, Ordering::Relaxed);
    }

    /// Clears `SCHEDULED` before a poll; returns the state as it was.
    pub(crate) fn begin_step(&self) -> usize {
        self.state.fetch_and(!SCHEDULED, Ordering::AcqRel)
    }

    /// Marks the task finished: wakes are ignored from now on.
    pub(crate) fn complete(&self) {
        self.state.fetch_or(COMPLETE | SCHEDULED, Ordering::AcqRel);
    }

    /// Whether the task finished.
    pub(crate) fn is_complete(&self) -> bool {
        self.state.load(Ordering::Acquire) & COMPLETE != 0
    }

    /// Sets `SCHEDULED`; returns whether the caller must queue the task (it was neither
    /// queued already nor finished).
    #[inline]
    fn set_scheduled(&self) -> bool {
        let previous = self.state.fetch_or(SCHEDULED, Ordering::AcqRel);
        previous & (SCHEDULED | COMPLETE) == 0
    }
}

/// Requests the cancellation of `task` and schedules it so that its loop drops the future.
/// A blocking job is not scheduled (it has no loop step); it is marked finished, and the
/// caller then completes its handle as cancelled. Returns whether the caller must do so.
pub(crate) fn abort(task: TaskRef) -> bool {
    let header = &task.header;
    let previous = header.state.load(Ordering::Acquire);
    if previous & BLOCKING != 0 {
        let previous = header.state.fetch_or(ABORTED | COMPLETE, Ordering::AcqRel);
        return previous & COMPLETE == 0;
    }
    let previous = header.state.fetch_or(ABORTED, Ordering::AcqRel);
    if previous & COMPLETE == 0 && header.set_scheduled() {
        enqueue(task);
    }
    false
}

/// Pushes the task on its loop's ready queue: directly when called on that loop's thread,
/// through the remote queue otherwise.
fn enqueue(task: TaskRef) {
    EventLoop::with_current(|current| match current {
        Some(lp) if lp.owns(&task.header.owner) => {
            lp.inner.ready.borrow_mut().push_back(Ready::Task(task));
        }
        _ => {
            let owner = task.header.owner.clone();
            owner.push(Remote::Task(task));
        }
    });
}
