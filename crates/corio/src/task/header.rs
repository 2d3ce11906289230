//! The thread-safe part of a task: its scheduling state and its waker.
//!
//! A task's future lives in its loop's slab and never leaves that thread, so it need not be
//! `Send`. What other threads can hold is the task's [`TaskCore`]: an `Arc` with the
//! [`TaskHeader`] (the task's slab key, its state bits and its loop's [`Shared`]) and, for a task
//! whose output is `Send`, its join state (see [`JoinHandle`](super::JoinHandle)): so `spawn`
//! costs two allocations, this one and the boxed future. The core is the task's [`Waker`]
//! (through [`std::task::Wake`]), which makes every waker `Send + Sync` whatever the future is.
//!
//! A task is queued at most once however often it is woken, and a wake during its poll queues
//! it again. How that is kept depends on where the wake comes from:
//!
//! - **on the task's own loop thread** (the common case: a task woken by another task, a
//!   socket event, a timer): the header's `queued` flag, which only that thread touches, so
//!   plain loads and stores, no read-modify-write. A wake that finds it clear sets it and
//!   pushes the task on the ready queue; the loop clears it just before polling.
//! - **from any other thread**: the `SCHEDULED` bit of the atomic state. Only the wake that
//!   set it pushes the task on the remote queue; the loop clears it when it takes the task
//!   from there (that read-modify-write also makes the waker's writes visible to the poll),
//!   then queues the task locally unless `queued` says it is already.
//!
//! So a wake on the loop's thread costs no atomic read-modify-write, nor does the start of a
//! step: only the waker's reference count is atomic there. `COMPLETE` is final: a finished
//! task's `queued` stays set and its `SCHEDULED` wakes are ignored.

use std::any::Any;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::Wake;

use crate::event_loop::{EventLoop, Ready, Remote, Shared};

/// The task is on its loop's remote queue (woken from another thread).
const SCHEDULED: u32 = 0b001;
/// The task finished (output delivered, panicked or aborted).
const COMPLETE: u32 = 0b010;
/// `JoinHandle::abort` was called: drop the future on the next step.
pub(crate) const ABORTED: u32 = 0b100;
/// The header of a `spawn_blocking` job: it is never queued on a loop.
const BLOCKING: u32 = 0b1000;

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
        schedule(self);
    }

    #[inline]
    fn wake_by_ref(self: &Arc<Self>) {
        schedule(self);
    }
}

/// A task to queue, owned (a [`TaskRef`]: a waker woken by value, its reference moves to the
/// queue) or borrowed (cloned only if it is queued).
trait Wakee {
    fn header(&self) -> &TaskHeader;
    fn into_task(self) -> TaskRef;
}

impl<J: Send + Sync + 'static> Wakee for &Arc<TaskCore<J>> {
    #[inline]
    fn header(&self) -> &TaskHeader {
        &self.header
    }

    #[inline]
    fn into_task(self) -> TaskRef {
        self.clone()
    }
}

/// The waker woken by value: the header is read through the sized core (a fixed offset; through
/// a [`TaskRef`] its offset depends on the join state's alignment, read from the vtable), then
/// the reference moves to the queue as it is.
impl<J: Send + Sync + 'static> Wakee for Arc<TaskCore<J>> {
    #[inline]
    fn header(&self) -> &TaskHeader {
        &self.header
    }

    #[inline]
    fn into_task(self) -> TaskRef {
        self
    }
}

impl Wakee for TaskRef {
    #[inline]
    fn header(&self) -> &TaskHeader {
        &self.header
    }

    #[inline]
    fn into_task(self) -> TaskRef {
        self
    }
}

/// The scheduling state of a task.
pub(crate) struct TaskHeader {
    /// The task's key in its loop's slab (set once, when inserted).
    id: AtomicUsize,
    /// `SCHEDULED`, `COMPLETE`, `ABORTED`, `BLOCKING`: what other threads may change.
    state: AtomicU32,
    /// Whether the task is on its loop's ready queue. Read and written only on the loop's
    /// thread (an atomic only so that the header is `Sync`; relaxed loads and stores compile
    /// to plain moves).
    queued: AtomicBool,
    /// The loop that owns the task.
    pub(crate) owner: Arc<Shared>,
}

impl TaskHeader {
    /// A header for a task about to be queued for its first step (by its spawner on the
    /// loop's thread, or by the loop when it takes a remote spawn): `queued` until then.
    pub(crate) fn new(owner: Arc<Shared>) -> TaskHeader {
        TaskHeader {
            id: AtomicUsize::new(usize::MAX),
            state: AtomicU32::new(0),
            queued: AtomicBool::new(true),
            owner,
        }
    }

    /// A header for a `spawn_blocking` job.
    pub(crate) fn new_blocking(owner: Arc<Shared>) -> TaskHeader {
        TaskHeader {
            id: AtomicUsize::new(usize::MAX),
            state: AtomicU32::new(BLOCKING),
            queued: AtomicBool::new(true),
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

    /// Called by the loop before a poll: the task leaves the ready queue, so a wake from now
    /// on queues it again. Returns the state bits.
    pub(crate) fn begin_step(&self) -> u32 {
        self.queued.store(false, Ordering::Relaxed);
        self.state.load(Ordering::Acquire)
    }

    /// Marks the task finished: wakes are ignored from now on.
    pub(crate) fn complete(&self) {
        self.state.fetch_or(COMPLETE, Ordering::AcqRel);
    }

    /// [`TaskHeader::complete`] on the task's loop thread: wakes there are ignored too,
    /// without looking at the state.
    pub(crate) fn complete_on_loop(&self) {
        self.queued.store(true, Ordering::Relaxed);
        self.complete();
    }

    /// Whether the task finished.
    pub(crate) fn is_complete(&self) -> bool {
        self.state.load(Ordering::Acquire) & COMPLETE != 0
    }

    /// Sets `SCHEDULED` (a wake from another thread); returns whether the caller must push
    /// the task on the remote queue (it was neither there already nor finished).
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
    if previous & COMPLETE == 0 {
        schedule(task);
    }
    false
}

/// Queues the task for a step: on its loop's ready queue when called on that loop's thread
/// (unless `queued` says it is there already), through the remote queue otherwise (unless
/// `SCHEDULED` says it is there already). See the module docs.
#[inline]
fn schedule(task: impl Wakee) {
    EventLoop::with_current(|current| {
        let header = task.header();
        match current {
            Some(lp) if lp.owns(&header.owner) => {
                if !header.queued.load(Ordering::Relaxed) {
                    header.queued.store(true, Ordering::Relaxed);
                    lp.inner
                        .ready
                        .borrow_mut()
                        .push_back(Ready::Task(task.into_task()));
                }
            }
            _ => {
                if header.set_scheduled() {
                    let owner = header.owner.clone();
                    owner.push(Remote::Task(task.into_task()));
                }
            }
        }
    });
}

/// Called by the loop (on its thread) for a task it takes from its remote queue: clears
/// `SCHEDULED`, so that a later wake from another thread pushes the task again, and queues it
/// locally unless it is queued already.
pub(crate) fn queue_remote_wake(lp: &EventLoop, task: TaskRef) {
    task.header.state.fetch_and(!SCHEDULED, Ordering::AcqRel);
    if !task.header.queued.load(Ordering::Relaxed) {
        task.header.queued.store(true, Ordering::Relaxed);
        lp.inner.ready.borrow_mut().push_back(Ready::Task(task));
    }
}
