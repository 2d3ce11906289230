//! [`JoinSet`]: a set of tasks to await in the order they finish, and abort together.
//!
//! Built on [`spawn`](crate::spawn) and [`JoinHandle`]: each task's future is wrapped with a
//! *finish marker* that, when the future is dropped (it completed, panicked, or was aborted),
//! queues the task's id on the set's finished list and wakes the set's one stored waker.
//! `join_next` takes ids from that list and awaits their handles, so it never polls the tasks
//! that are still running. The marker fires a moment before the handle has its output (the
//! loop drops a task's future, then reports a panic or cancellation); `join_next` then waits
//! on that handle, whose completion wakes it.
//!
//! Dropping a `JoinSet` aborts its tasks, as tokio's does.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

use crate::task::{JoinError, JoinHandle};
use crate::LoopHandle;

/// A task's key in its set.
type TaskId = u64;

/// A set of spawned tasks, as tokio's `JoinSet`.
///
/// ```
/// use corio::sync::JoinSet;
///
/// corio::block_on(async {
///     let mut set = JoinSet::new();
///     for i in 0..3 {
///         set.spawn(async move { i * 10 });
///     }
///     let mut outputs = Vec::new();
///     while let Some(result) = set.join_next().await {
///         outputs.push(result.unwrap());
///     }
///     outputs.sort();
///     assert_eq!(outputs, [0, 10, 20]);
/// });
/// ```
pub struct JoinSet<T> {
    tasks: HashMap<TaskId, JoinHandle<T>>,
    next_id: TaskId,
    finished: Arc<Finished>,
}

/// The ids of tasks whose futures are gone, and the waker of whoever awaits the set.
#[derive(Default)]
struct Finished {
    state: Mutex<FinishedState>,
}

#[derive(Default)]
struct FinishedState {
    ids: VecDeque<TaskId>,
    waker: Option<Waker>,
}

impl Finished {
    fn lock(&self) -> MutexGuard<'_, FinishedState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Queues its task's id as finished when dropped (with the task's future).
struct FinishMarker {
    id: TaskId,
    finished: Arc<Finished>,
}

impl Drop for FinishMarker {
    fn drop(&mut self) {
        let waker = {
            let mut state = self.finished.lock();
            state.ids.push_back(self.id);
            state.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

pin_project_lite::pin_project! {
    /// A task's future with its finish marker.
    struct Marked<F> {
        #[pin]
        future: F,
        marker: FinishMarker,
    }
}

impl<F: Future> Future for Marked<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        self.project().future.poll(cx)
    }
}

impl<T: 'static> JoinSet<T> {
    /// An empty set.
    pub fn new() -> JoinSet<T> {
        JoinSet {
            tasks: HashMap::new(),
            next_id: 0,
            finished: Arc::new(Finished::default()),
        }
    }

    /// The number of tasks not yet joined (running, or finished and not taken by
    /// `join_next`).
    pub fn len(&self) -> usize {
        self.tasks.len()
    }

    /// Whether the set holds no task.
    pub fn is_empty(&self) -> bool {
        self.tasks.is_empty()
    }

    fn mark<F>(&mut self, future: F) -> (TaskId, Marked<F>) {
        let id = self.next_id;
        self.next_id += 1;
        let marker = FinishMarker {
            id,
            finished: self.finished.clone(),
        };
        (id, Marked { future, marker })
    }

    /// Spawns `future` on the current loop (as [`crate::spawn`]) into the set.
    ///
    /// # Panics
    ///
    /// If no corio loop is running on this thread.
    pub fn spawn<F>(&mut self, future: F)
    where
        F: Future<Output = T> + Send + 'static,
        T: Send,
    {
        let (id, marked) = self.mark(future);
        self.tasks.insert(id, crate::spawn(marked));
    }

    /// Spawns a future that need not be `Send` on the current loop (as
    /// [`crate::spawn_local`]) into the set.
    ///
    /// # Panics
    ///
    /// If no corio loop is running on this thread.
    pub fn spawn_local<F>(&mut self, future: F)
    where
        F: Future<Output = T> + 'static,
    {
        let (id, marked) = self.mark(future);
        self.tasks.insert(id, crate::spawn_local(marked));
    }

    /// Spawns `future` on the loop behind `handle` (another worker of a
    /// [`Runtime`](crate::Runtime), say), from any thread.
    pub fn spawn_on<F>(&mut self, future: F, handle: &LoopHandle)
    where
        F: Future<Output = T> + Send + 'static,
        T: Send,
    {
        let (id, marked) = self.mark(future);
        self.tasks.insert(id, handle.spawn(marked));
    }

    /// Waits for the next task to finish and returns its result; `None` when the set is
    /// empty. Tasks come out in the order they finished.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: if the future is dropped, no task's result was taken.
    pub async fn join_next(&mut self) -> Option<Result<T, JoinError>> {
        poll_fn(|cx| self.poll_join_next(cx)).await
    }

    /// The poll behind [`JoinSet::join_next`], for hand-written futures.
    pub fn poll_join_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<T, JoinError>>> {
        loop {
            let id = {
                let mut state = self.finished.lock();
                match state.ids.front() {
                    Some(&id) => id,
                    None if self.tasks.is_empty() => return Poll::Ready(None),
                    None => {
                        if !state
                            .waker
                            .as_ref()
                            .is_some_and(|w| w.will_wake(cx.waker()))
                        {
                            state.waker = Some(cx.waker().clone());
                        }
                        return Poll::Pending;
                    }
                }
            };
            let Some(handle) = self.tasks.get_mut(&id) else {
                // Detached from the set: its result is not ours.
                self.finished.lock().ids.pop_front();
                continue;
            };
            // Pending only in the moment between the future's drop and the output's arrival;
            // the handle then wakes this task.
            let output = std::task::ready!(Pin::new(handle).poll(cx));
            self.finished.lock().ids.pop_front();
            self.tasks.remove(&id);
            return Poll::Ready(Some(output));
        }
    }

    /// Takes the result of a task that already finished, without waiting.
    pub fn try_join_next(&mut self) -> Option<Result<T, JoinError>> {
        match self.poll_join_next(&mut Context::from_waker(Waker::noop())) {
            Poll::Ready(output) => output,
            Poll::Pending => None,
        }
    }

    /// Aborts every task (each stops at its current await point); they stay in the set
    /// until joined, with a cancelled [`JoinError`] unless they had finished.
    pub fn abort_all(&mut self) {
        for handle in self.tasks.values() {
            handle.abort();
        }
    }

    /// Aborts every task and waits until all of them are gone; the set is then empty.
    ///
    /// # Cancel safety
    ///
    /// If dropped early, the tasks are aborted anyway; some may still be in the set.
    pub async fn shutdown(&mut self) {
        self.abort_all();
        while self.join_next().await.is_some() {}
    }

    /// Waits for every task and returns their outputs in the order they finished.
    ///
    /// # Panics
    ///
    /// If a task panicked (the panic is resumed here) or was aborted.
    pub async fn join_all(mut self) -> Vec<T> {
        let mut outputs = Vec::with_capacity(self.len());
        while let Some(result) = self.join_next().await {
            match result {
                Ok(output) => outputs.push(output),
                Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
                Err(e) => panic!("JoinSet::join_all: {e}"),
            }
        }
        outputs
    }

    /// Removes every task from the set without aborting it: they run on, detached.
    pub fn detach_all(&mut self) {
        self.tasks.clear();
    }
}

impl<T: 'static> Default for JoinSet<T> {
    fn default() -> Self {
        JoinSet::new()
    }
}

impl<T> Drop for JoinSet<T> {
    fn drop(&mut self) {
        for handle in self.tasks.values() {
            handle.abort();
        }
    }
}

impl<T> fmt::Debug for JoinSet<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinSet")
            .field("len", &self.tasks.len())
            .finish()
    }
}
