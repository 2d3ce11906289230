//! [`JoinHandle`]: awaiting a task's output, and aborting it.
//!
//! The output travels through a [`JoinState`] shared by the task and its handle: a mutex
//! around a three-state slot (waiting, done, taken). The mutex is uncontended except when the
//! task finishes while its handle is being polled on another thread.
//!
//! When the output is `Send` (`spawn`, `spawn_blocking`, [`LoopHandle::spawn`]), the join
//! state lives in the task's [`TaskCore`], next to its header, in the waker's allocation. A
//! `spawn_local` output need not be `Send`, so it cannot be in a `Send + Sync` waker: it gets
//! a join state of its own.
//!
//! [`LoopHandle::spawn`]: crate::LoopHandle::spawn

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use super::header::{self, TaskCore, TaskHeader, TaskRef};

/// Why a task produced no output.
pub struct JoinError {
    repr: Repr,
}

enum Repr {
    Cancelled,
    Panic(Box<dyn Any + Send + 'static>),
}

impl JoinError {
    pub(crate) fn cancelled() -> JoinError {
        JoinError {
            repr: Repr::Cancelled,
        }
    }

    pub(crate) fn panic(payload: Box<dyn Any + Send + 'static>) -> JoinError {
        JoinError {
            repr: Repr::Panic(payload),
        }
    }

    /// The task was aborted (or its loop closed) before it finished.
    pub fn is_cancelled(&self) -> bool {
        matches!(self.repr, Repr::Cancelled)
    }

    /// The task panicked.
    pub fn is_panic(&self) -> bool {
        matches!(self.repr, Repr::Panic(_))
    }

    /// The panic payload, to resume the panic with `std::panic::resume_unwind`.
    ///
    /// # Panics
    ///
    /// If the task was cancelled rather than panicked.
    pub fn into_panic(self) -> Box<dyn Any + Send + 'static> {
        match self.repr {
            Repr::Panic(payload) => payload,
            Repr::Cancelled => panic!("JoinError::into_panic on a cancelled task"),
        }
    }
}

impl fmt::Display for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.repr {
            Repr::Cancelled => f.write_str("task was cancelled"),
            Repr::Panic(payload) => {
                let message = payload
                    .downcast_ref::<&str>()
                    .copied()
                    .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
                    .unwrap_or("Box<dyn Any>");
                write!(f, "task panicked: {message}")
            }
        }
    }
}

impl fmt::Debug for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for JoinError {}

enum Slot<T> {
    Waiting(Option<Waker>),
    Done(Result<T, JoinError>),
    Taken,
}

/// Where a task leaves its output for its [`JoinHandle`].
pub(crate) struct JoinState<T> {
    slot: Mutex<Slot<T>>,
}

impl<T> JoinState<T> {
    pub(crate) fn new() -> JoinState<T> {
        JoinState {
            slot: Mutex::new(Slot::Waiting(None)),
        }
    }

    /// Stores the output and wakes the handle's task, unless an output is already stored.
    pub(crate) fn complete(&self, output: Result<T, JoinError>) {
        let waker = {
            let mut slot = self.slot.lock().unwrap_or_else(|e| e.into_inner());
            match &mut *slot {
                Slot::Waiting(waker) => {
                    let waker = waker.take();
                    *slot = Slot::Done(output);
                    waker
                }
                Slot::Done(_) | Slot::Taken => None,
            }
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

/// The core of a task whose output is `Send`: header and join state in one allocation.
pub(crate) type JoinedCore<T> = TaskCore<JoinState<T>>;

/// The join state of a `spawn_local` task, with the task's core for its handle.
pub(crate) struct LocalJoin<T> {
    pub(crate) core: Arc<TaskCore<()>>,
    pub(crate) join: JoinState<T>,
}

/// Where a task's output goes: its [`JoinState`], wherever it is allocated.
pub(crate) trait Output<T> {
    fn join_state(&self) -> &JoinState<T>;
}

/// What a finished task does with its output: a joined task stores it for its handle
/// (through the `Arc` of its [`Output`]); a detached one drops it. `join` gives where to report
/// a panic or a cancellation (nowhere for a detached task), taken out before the task's box is
/// dropped so that the handle learns of the end only once the future is gone.
pub(crate) trait Deliver<T> {
    fn deliver(&self, output: T);
    fn join(&self) -> Option<Arc<dyn Fail>>;
}

impl<T, O: Output<T> + Fail + 'static> Deliver<T> for Arc<O> {
    fn deliver(&self, output: T) {
        self.join_state().complete(Ok(output));
    }

    fn join(&self) -> Option<Arc<dyn Fail>> {
        Some(self.clone())
    }
}

/// The output side of a task spawned detached: nobody joins it, so it keeps no join state
/// (no allocation, no word in the task's box) and its output is dropped.
pub(crate) struct Detached;

impl<T> Deliver<T> for Detached {
    fn deliver(&self, output: T) {
        drop(output);
    }

    fn join(&self) -> Option<Arc<dyn Fail>> {
        None
    }
}

impl<T> Output<T> for JoinState<T> {
    fn join_state(&self) -> &JoinState<T> {
        self
    }
}

impl<T> Output<T> for LocalJoin<T> {
    fn join_state(&self) -> &JoinState<T> {
        &self.join
    }
}

impl<T> Output<T> for JoinedCore<T> {
    fn join_state(&self) -> &JoinState<T> {
        &self.join
    }
}

/// The type-erased side of a [`JoinState`] that the loop uses when a task ends without output.
pub(crate) trait Fail {
    fn fail(&self, error: JoinError);
}

impl<T> Fail for JoinState<T> {
    fn fail(&self, error: JoinError) {
        self.complete(Err(error));
    }
}

impl<T> Fail for LocalJoin<T> {
    fn fail(&self, error: JoinError) {
        self.join.complete(Err(error));
    }
}

impl<T> Fail for JoinedCore<T> {
    fn fail(&self, error: JoinError) {
        self.join.complete(Err(error));
    }
}
/// An owned permission to await a task's output, returned by [`spawn`](crate::spawn).
///
/// Awaiting it gives `Ok(output)`, or a [`JoinError`] if the task panicked or was aborted.
/// **Dropping a `JoinHandle` detaches the task:** it keeps running to completion and its
/// output is dropped. To stop a task, call [`JoinHandle::abort`].
///
/// ```
/// corio::block_on(async {
///     let handle = corio::spawn(async { "done" });
///     assert_eq!(handle.await.unwrap(), "done");
/// });
/// ```
pub struct JoinHandle<T> {
    inner: Inner<T>,
}

/// A handle's view of its task (see the module docs).
enum Inner<T> {
    /// Output `Send`: the join state is in the task's core. The function turns the core into
    /// the loop's [`TaskRef`] for [`JoinHandle::abort`] (the coercion needs `T: Send`, which
    /// the handle's methods cannot require).
    Joined(Arc<JoinedCore<T>>, fn(&Arc<JoinedCore<T>>) -> TaskRef),
    /// A `spawn_local` task: the join state is apart from the core.
    Local(Arc<LocalJoin<T>>),
}

impl<T: Send + 'static> JoinHandle<T> {
    /// The handle of a task whose join state is in its core.
    pub(crate) fn joined(core: Arc<JoinedCore<T>>) -> JoinHandle<T> {
        JoinHandle {
            inner: Inner::Joined(core, |core| core.clone()),
        }
    }
}

impl<T> JoinHandle<T> {
    /// The handle of a `spawn_local` task.
    pub(crate) fn local(join: Arc<LocalJoin<T>>) -> JoinHandle<T> {
        JoinHandle {
            inner: Inner::Local(join),
        }
    }

    fn header(&self) -> &TaskHeader {
        match &self.inner {
            Inner::Joined(core, _) => &core.header,
            Inner::Local(local) => &local.core.header,
        }
    }

    fn state(&self) -> &JoinState<T> {
        match &self.inner {
            Inner::Joined(core, _) => &core.join,
            Inner::Local(local) => &local.join,
        }
    }
}

impl<T> JoinHandle<T> {
    /// Cancels the task: its future is dropped at its current await point (on its loop, before
    /// its next step) and awaiting the handle gives a cancelled [`JoinError`]. Does nothing if
    /// the task already finished. Works from any thread. For a
    /// [`spawn_blocking`](crate::task::spawn_blocking) job: the handle gives the cancelled
    /// error at once; a job not started yet never runs, a running one cannot be stopped and its
    /// result is dropped.
    ///
    /// ```
    /// corio::block_on(async {
    ///     let handle = corio::spawn(corio::time::sleep(std::time::Duration::from_secs(3600)));
    ///     handle.abort();
    ///     assert!(handle.await.unwrap_err().is_cancelled());
    /// });
    /// ```
    pub fn abort(&self) {
        let task = match &self.inner {
            Inner::Joined(core, task) => task(core),
            Inner::Local(local) => local.core.clone(),
        };
        if header::abort(task) {
            self.state().complete(Err(JoinError::cancelled()));
        }
    }

    /// Whether the task has finished (with output, a panic, or cancelled).
    pub fn is_finished(&self) -> bool {
        self.header().is_complete()
            || matches!(
                *self.state().slot.lock().unwrap_or_else(|e| e.into_inner()),
                Slot::Done(_)
            )
    }
}

impl<T> Future for JoinHandle<T> {
    type Output = Result<T, JoinError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut slot = self.state().slot.lock().unwrap_or_else(|e| e.into_inner());
        match std::mem::replace(&mut *slot, Slot::Taken) {
            Slot::Done(output) => Poll::Ready(output),
            Slot::Waiting(waker) => {
                let waker = match waker {
                    Some(waker) if waker.will_wake(cx.waker()) => waker,
                    _ => cx.waker().clone(),
                };
                *slot = Slot::Waiting(Some(waker));
                Poll::Pending
            }
            Slot::Taken => panic!("JoinHandle polled after it returned its output"),
        }
    }
}

/// Terminated once the output was returned, so `select!` needs no `.fuse()`.
impl<T> futures_core::FusedFuture for JoinHandle<T> {
    fn is_terminated(&self) -> bool {
        matches!(
            *self.state().slot.lock().unwrap_or_else(|e| e.into_inner()),
            Slot::Taken
        )
    }
}

impl<T> fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinHandle")
            .field("finished", &self.is_finished())
            .finish()
    }
}
