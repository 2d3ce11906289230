//! Layer 3: futures and tasks on the callback layer (the seed's third and fourth stages).
//!
//! In the seed, a `Task` drives a generator: `Task.step` resumes it, takes the `Future` it
//! yielded, and appends `self.step` to that future's callbacks. Here the generator is a Rust
//! `async` block, "the future it yielded" is whatever returned `Poll::Pending`, and appending
//! `step` is done by the [`Waker`] the task passes down: waking a task schedules its next step
//! on its loop's ready queue, the same queue that runs `call_soon` callbacks.
//!
//! A task is stored in two parts:
//!
//! - in its loop's slab (`TaskSlab`), loop-local: the boxed future (which need not be `Send`)
//!   and the waker to poll it with;
//! - in a `TaskCore` (`Arc`, `Send + Sync`): the header (state bits, slab key) and, when the
//!   output is `Send`, the join state. The core is the waker, so a task can be woken from any
//!   thread.
//!
//! Cancellation: [`JoinHandle::abort`] drops the future on the task's loop before its next
//! step, that is at the await point where it is suspended. A panic inside a task is caught; the
//! task ends and its handle returns [`JoinError`] with the payload; the loop goes on.

mod blocking;
mod header;
mod join;

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use slab::Slab;

use crate::event_loop::{EventLoop, Ready, Remote, Shared};
pub use blocking::spawn_blocking;
pub(crate) use header::{queue_remote_wake, TaskRef};
use header::{TaskCore, TaskHeader, ABORTED};
use join::{Deliver, Detached, Fail, JoinState, LocalJoin};
pub use join::{JoinError, JoinHandle};

/// A task's future boxed with the waker it is polled with (see [`Completing`]).
type BoxFuture = Pin<Box<dyn Step>>;

/// One poll of a task's boxed future, with its own waker; and where its end without output
/// is reported (the box holds it, so the slab's slot does not).
pub(crate) trait Step {
    fn step(self: Pin<&mut Self>) -> Poll<()>;
    /// Where to report a panic or a cancellation: `None` for a detached task.
    fn join(&self) -> Option<Arc<dyn Fail>>;
}

/// Drops a task's box, then reports `error` to its handle (if any): awaiting the handle must
/// not return before the future is gone.
pub(crate) fn drop_and_fail<S: Step + ?Sized>(future: Pin<Box<S>>, error: JoinError) {
    let join = future.join();
    drop(future);
    if let Some(join) = join {
        join.fail(error);
    }
}

/// A task removed from its loop by [`TaskSlab::drain`]: its future (unless being polled; the
/// step that polls it reports the cancellation) and its core.
pub(crate) type DrainedTask = (Option<BoxFuture>, TaskRef);

/// The loop-local half of a task: four words (where to report its end is in the box).
struct TaskSlot {
    task: TaskRef,
    /// `None` while the task is being polled (it is moved out, so no borrow is held).
    future: Option<BoxFuture>,
}

/// The tasks of one loop.
pub(crate) struct TaskSlab {
    slots: Slab<TaskSlot>,
}

impl TaskSlab {
    pub(crate) fn new() -> TaskSlab {
        TaskSlab { slots: Slab::new() }
    }

    /// Removes every task; the caller drops them once no borrow is held.
    pub(crate) fn drain(&mut self) -> Vec<DrainedTask> {
        self.slots
            .drain()
            .map(|slot| (slot.future, slot.task))
            .collect()
    }
}

/// Spawns a task on the loop running on this thread.
///
/// The future must be `Send` (so that it could be moved; see [`spawn_local`] for the rest);
/// it runs on the current loop and never moves. The task is queued behind what is
/// already ready: it never runs inside `spawn`.
///
/// # Panics
///
/// If no corio loop is running on this thread.
pub fn spawn<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    EventLoop::with_current(|current| {
        let lp = current.expect("corio::spawn called outside a corio event loop");
        spawn_on(lp, future)
    })
}

/// Spawns a task that need not be `Send` on the loop running on this thread.
///
/// ```
/// use std::rc::Rc;
/// corio::block_on(async {
///     let shared = Rc::new(5); // not Send
///     let handle = corio::spawn_local(async move { *shared * 2 });
///     assert_eq!(handle.await.unwrap(), 10);
/// });
/// ```
///
/// # Panics
///
/// If no corio loop is running on this thread.
pub fn spawn_local<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    EventLoop::with_current(|current| {
        let lp = current.expect("corio::spawn_local called outside a corio event loop");
        spawn_local_on(lp, future)
    })
}

/// Spawns a task that nobody will join on the loop running on this thread: like
/// [`spawn_local`] with its handle dropped at once, but without the join state a handle needs
/// (an allocation and a few words less per task, which counts for a server's task per
/// connection). Its output is dropped when it finishes; a panic inside it is caught, ends the
/// task and is dropped, and the loop goes on, as for a task whose handle was dropped. It
/// cannot be aborted; closing its loop drops it at its await point.
///
/// ```
/// use std::{cell::Cell, rc::Rc};
/// corio::block_on(async {
///     let done = Rc::new(Cell::new(false));
///     let flag = done.clone();
///     corio::task::spawn_local_detached(async move { flag.set(true) });
///     corio::yield_now().await;
///     assert!(done.get());
/// });
/// ```
///
/// # Panics
///
/// If no corio loop is running on this thread.
pub fn spawn_local_detached<F>(future: F)
where
    F: Future + 'static,
{
    EventLoop::with_current(|current| {
        let lp =
            current.expect("corio::task::spawn_local_detached called outside a corio event loop");
        let core = Arc::new(TaskCore {
            header: TaskHeader::new(lp.inner.shared.clone()),
            join: (),
        });
        start(lp, future, core.clone(), Waker::from(core), Detached);
    })
}

/// Runs `future` to completion on a new event loop on this thread, then drops the tasks it
/// left behind. The future need not be `Send` nor `'static`.
///
/// ```
/// let n = corio::block_on(async { 1 + 1 });
/// assert_eq!(n, 2);
/// ```
///
/// # Panics
///
/// If called inside a running loop, or if the selector cannot be created.
pub fn block_on<F: Future>(future: F) -> F::Output {
    let lp = EventLoop::new().expect("corio::block_on: cannot create the selector");
    let output = lp.run_until_complete(future);
    lp.close();
    output
}

/// Yields to the loop: the task is re-queued behind everything already ready.
pub async fn yield_now() {
    let mut yielded = false;
    std::future::poll_fn(move |cx| {
        if yielded {
            return Poll::Ready(());
        }
        yielded = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    })
    .await
}

/// Spawns on `lp` (the caller is on `lp`'s thread) a task whose output is `Send`: its join
/// state is in its core. On a closed loop the task is cancelled at once.
pub(crate) fn spawn_on<F>(lp: &EventLoop, future: F) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: Send + 'static,
{
    let core = Arc::new(TaskCore {
        header: TaskHeader::new(lp.inner.shared.clone()),
        join: JoinState::new(),
    });
    start(
        lp,
        future,
        core.clone(),
        Waker::from(core.clone()),
        core.clone(),
    );
    JoinHandle::joined(core)
}

/// Spawns on `lp` (the caller is on `lp`'s thread) a task whose output need not be `Send`.
/// On a closed loop the task is cancelled at once.
pub(crate) fn spawn_local_on<F>(lp: &EventLoop, future: F) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    let core = Arc::new(TaskCore {
        header: TaskHeader::new(lp.inner.shared.clone()),
        join: (),
    });
    let join = Arc::new(LocalJoin {
        core: core.clone(),
        join: JoinState::new(),
    });
    start(lp, future, core.clone(), Waker::from(core), join.clone());
    JoinHandle::local(join)
}

/// Inserts a new task in `lp`'s slab and queues its first step; cancels it if `lp` is closed.
/// `output` takes the task's output, or is told of a panic or a cancellation.
fn start<F, D>(lp: &EventLoop, future: F, task: TaskRef, waker: Waker, output: D)
where
    F: Future + 'static,
    D: Deliver<F::Output> + 'static,
{
    if lp.is_closed() {
        let join = output.join();
        drop(future);
        task.header.complete();
        if let Some(join) = join {
            join.fail(JoinError::cancelled());
        }
        return;
    }
    insert(
        lp,
        task.clone(),
        Box::pin(Completing {
            future,
            waker,
            output,
        }),
    );
    lp.inner.ready.borrow_mut().push_back(Ready::Task(task));
}

/// A task spawned from another thread, on its way to its loop through the remote queue.
pub(crate) struct RemoteTask {
    future: Pin<Box<dyn Step + Send>>,
    task: TaskRef,
}

impl RemoteTask {
    /// Inserts the task in `lp`'s slab and queues its first step (on `lp`'s thread).
    pub(crate) fn start(self, lp: &EventLoop) {
        insert(lp, self.task.clone(), self.future);
        lp.inner
            .ready
            .borrow_mut()
            .push_back(Ready::Task(self.task));
    }

    /// Drops the task unrun (its loop shut down): its handle gives a cancelled `JoinError`.
    pub(crate) fn cancel(self) {
        let join = self.future.join();
        drop(self.future);
        self.task.header.complete();
        if let Some(join) = join {
            join.fail(JoinError::cancelled());
        }
    }
}

/// Spawns a `Send` future on the loop behind `shared`, from any thread.
pub(crate) fn spawn_remote<F>(shared: &Arc<Shared>, future: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let core = Arc::new(TaskCore {
        header: TaskHeader::new(shared.clone()),
        join: JoinState::new(),
    });
    shared.push(Remote::Spawn(RemoteTask {
        future: Box::pin(Completing {
            future,
            waker: Waker::from(core.clone()),
            output: core.clone(),
        }),
        task: core.clone(),
    }));
    JoinHandle::joined(core)
}

pin_project_lite::pin_project! {
    /// A task's future, the waker to poll it with (built on the task's core, made once) and
    /// where its output goes (nothing for a detached task): the one box a task's loop keeps,
    /// so a step moves one pointer out of the slab and back. Written by hand rather than as
    /// `async move { output.complete(Ok(future.await)) }`: an `async` block stores the future
    /// twice (once as captured, once as the awaited value), doubling every task's allocation.
    struct Completing<F, D> {
        #[pin]
        future: F,
        waker: Waker,
        output: D,
    }
}

impl<F: Future, D: Deliver<F::Output>> Step for Completing<F, D> {
    fn join(&self) -> Option<Arc<dyn Fail>> {
        self.output.join()
    }

    fn step(self: Pin<&mut Self>) -> Poll<()> {
        let this = self.project();
        let mut cx = Context::from_waker(this.waker);
        match this.future.poll(&mut cx) {
            Poll::Ready(output) => {
                this.output.deliver(output);
                Poll::Ready(())
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

fn insert(lp: &EventLoop, task: TaskRef, future: BoxFuture) {
    let mut tasks = lp.inner.tasks.borrow_mut();
    let entry = tasks.slots.vacant_entry();
    task.header.set_id(entry.key());
    entry.insert(TaskSlot {
        task,
        future: Some(future),
    });
}

/// One step of a task (the seed's `Task.step`): poll its future once.
pub(crate) fn run(lp: &EventLoop, task: TaskRef) {
    let header = &task.header;
    let id = header.id();
    let mut future = {
        let mut tasks = lp.inner.tasks.borrow_mut();
        // A task that finished (its slot freed, perhaps reused) while this step was queued
        // has nothing to run; it stays marked queued, so that its wakes do nothing.
        let Some(slot) = tasks.slots.get_mut(id) else {
            return;
        };
        if !Arc::ptr_eq(&slot.task, &task) {
            return;
        }
        let state = header.begin_step();
        if state & ABORTED != 0 {
            let slot = tasks.slots.remove(id);
            drop(tasks);
            header.complete_on_loop();
            if let Some(future) = slot.future {
                drop_and_fail(future, JoinError::cancelled());
            }
            return;
        }
        let Some(future) = slot.future.take() else {
            return;
        };
        future
    };
    let result = catch_unwind(AssertUnwindSafe(|| future.as_mut().step()));
    let mut tasks = lp.inner.tasks.borrow_mut();
    // The loop may have been closed during the poll (by this very task): its slot is gone,
    // and the cancellation is reported here (ignored if the task just delivered its output).
    let Some(slot) = tasks
        .slots
        .get_mut(id)
        .filter(|slot| Arc::ptr_eq(&slot.task, &task))
    else {
        drop(tasks);
        drop_and_fail(future, JoinError::cancelled());
        return;
    };
    match result {
        Ok(Poll::Pending) => {
            // Always empty (the future was taken out above): checked, the store needs no
            // drop of what the slot held.
            if slot.future.is_none() {
                slot.future = Some(future);
            }
        }
        Ok(Poll::Ready(())) => {
            tasks.slots.remove(id);
            drop(tasks);
            header.complete_on_loop();
        }
        Err(payload) => {
            tasks.slots.remove(id);
            drop(tasks);
            header.complete_on_loop();
            drop_and_fail(future, JoinError::panic(payload));
        }
    }
}

/// The waker of the future given to `run_until_complete`, which is polled by the loop itself
/// rather than stored as a task.
pub(crate) struct MainWaker {
    woken: AtomicBool,
    owner: Arc<Shared>,
}

impl MainWaker {
    pub(crate) fn new(owner: Arc<Shared>) -> MainWaker {
        MainWaker {
            woken: AtomicBool::new(true),
            owner,
        }
    }

    /// Whether the future was woken since the last call; clears the flag.
    pub(crate) fn take_woken(&self) -> bool {
        self.woken.swap(false, Ordering::AcqRel)
    }

    /// Whether the future was woken.
    pub(crate) fn is_woken(&self) -> bool {
        self.woken.load(Ordering::Acquire)
    }
}

impl Wake for MainWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if !self.woken.swap(true, Ordering::AcqRel) {
            let on_owner = EventLoop::with_current(|lp| lp.is_some_and(|lp| lp.owns(&self.owner)));
            if !on_owner {
                self.owner.notify();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A loop keeps one slot per live task (a server: one per connection), so where a task's
    /// end is reported lives in its box, not in the slot: the core (a wide pointer) and the box.
    #[test]
    fn a_task_slot_is_four_words() {
        assert!(std::mem::size_of::<TaskSlot>() <= 4 * 8);
    }
}
