//! [`spawn_blocking`]: run blocking code (file I/O, name resolution) off the event loop.
//!
//! A process-wide pool of threads, started on demand up to [`MAX_THREADS`]; a thread that
//! has been idle for [`IDLE_TIMEOUT`] exits. Jobs queue in FIFO order when every thread is busy.
//!
//! Each job gets a thread of its own while there are fewer than [`MAX_THREADS`]: a job claims
//! an idle thread (`idle` counts the idle threads nobody has claimed yet, and the claim is
//! handed over as a `notified` token, as tokio's blocking pool does) or starts a new one. So
//! a burst of N jobs runs on N threads at once, however many of them were idle before; an
//! idle count decremented only when a woken thread gets to run would let a burst notify the
//! same idle thread N times and run serially.

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::Duration;

use super::header::{TaskCore, TaskHeader};
use super::join::{JoinError, JoinHandle, JoinState};
use crate::event_loop::EventLoop;

/// The most threads the pool runs at once; enough for many concurrent lookups, few enough
/// not to exhaust memory with stacks.
pub const MAX_THREADS: usize = 64;
/// How long an idle pool thread waits for a job before it exits.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(10);

type Job = Box<dyn FnOnce() + Send>;

#[derive(Default)]
struct Pool {
    queue: Mutex<PoolState>,
    available: Condvar,
}

#[derive(Default)]
struct PoolState {
    jobs: VecDeque<Job>,
    /// Threads alive.
    threads: usize,
    /// Threads waiting for a job that no job has claimed yet.
    idle: usize,
    /// Claims handed to waiting threads and not yet taken by one.
    notified: usize,
}

fn pool() -> &'static Arc<Pool> {
    static POOL: OnceLock<Arc<Pool>> = OnceLock::new();
    POOL.get_or_init(|| Arc::new(Pool::default()))
}

/// Runs `f` on the blocking pool and returns a handle to await its result from a task.
///
/// [`JoinHandle::abort`] cancels the job: awaiting the handle gives a cancelled
/// [`JoinError`] at once. A job not started yet never runs; one already running cannot be
/// stopped, it runs to its end on its pool thread and its result is dropped there.
///
/// ```
/// corio::block_on(async {
///     let n = corio::task::spawn_blocking(|| (1..=10).sum::<u32>()).await.unwrap();
///     assert_eq!(n, 55);
/// });
/// ```
///
/// # Panics
///
/// If no corio loop is running on this thread.
pub fn spawn_blocking<F, T>(f: F) -> JoinHandle<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let owner = EventLoop::with_current(|lp| {
        lp.expect("spawn_blocking called outside a corio event loop")
            .inner
            .shared
            .clone()
    });
    let core = Arc::new(TaskCore {
        header: TaskHeader::new_blocking(owner),
        join: JoinState::new(),
    });
    let job = core.clone();
    submit(Box::new(move || {
        if !job.header.start_blocking() {
            return;
        }
        let output =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).map_err(JoinError::panic);
        job.header.complete();
        job.join.complete(output);
    }));
    JoinHandle::joined(core)
}

fn submit(job: Job) {
    let pool = pool();
    let mut state = pool.queue.lock().unwrap_or_else(|e| e.into_inner());
    state.jobs.push_back(job);
    if state.idle > 0 {
        state.idle -= 1;
        state.notified += 1;
        pool.available.notify_one();
    } else if state.threads < MAX_THREADS {
        state.threads += 1;
        let pool = pool.clone();
        let spawned = std::thread::Builder::new()
            .name("corio-blocking".into())
            .spawn(move || worker(&pool));
        if spawned.is_err() {
            state.threads -= 1;
        }
    }
}

fn worker(pool: &Pool) {
    let mut state = pool.queue.lock().unwrap_or_else(|e| e.into_inner());
    loop {
        if let Some(job) = state.jobs.pop_front() {
            drop(state);
            job();
            state = pool.queue.lock().unwrap_or_else(|e| e.into_inner());
            continue;
        }
        state.idle += 1;
        loop {
            let (next, timeout) = pool
                .available
                .wait_timeout(state, IDLE_TIMEOUT)
                .unwrap_or_else(|e| e.into_inner());
            state = next;
            if state.notified > 0 {
                // Claimed by a job (`submit` already took this thread off `idle`).
                state.notified -= 1;
                break;
            }
            if timeout.timed_out() {
                state.idle -= 1;
                if state.jobs.is_empty() {
                    state.threads -= 1;
                    return;
                }
                break;
            }
            // A spurious wake-up: still idle.
        }
    }
}
