//! One event loop per core: [`Runtime`].
//!
//! A runtime runs `n` independent [`EventLoop`]s on `n` threads. Nothing is shared between
//! them: no work stealing, no global queue. A task stays on the loop it was spawned on, and a
//! server scales by running one accept loop per worker, each on its own `SO_REUSEPORT`
//! listener, so that the kernel spreads connections among them, or on one socket shared by all
//! ([`SharedListener`](crate::net::SharedListener): bound once, so port 0 gives every worker
//! the same port). Workers can be pinned to CPUs. Shutting down stops every loop after its
//! current iteration, drops the tasks left (at their await points) and joins the threads.
//!
//! [`Runtime::spawn`] (and a [`Spawner`], its cloneable, `Send` handle) spawns without naming
//! a worker: round-robin over the workers. Round-robin, not least-loaded: the loops keep no
//! shared load counters to compare (nothing is shared between them), and for the many short
//! tasks a server spawns it spreads work as evenly. On a worker thread,
//! [`Spawner::current`] finds the runtime the thread belongs to.
//!
//! ```
//! use std::sync::atomic::{AtomicUsize, Ordering};
//! use std::sync::Arc;
//!
//! let runtime = corio::Runtime::builder().workers(2).build().unwrap();
//! let counter = Arc::new(AtomicUsize::new(0));
//! let handles = runtime.run_on_each({
//!     let counter = counter.clone();
//!     move |worker| {
//!         let counter = counter.clone();
//!         async move { counter.fetch_add(worker + 1, Ordering::SeqCst) }
//!     }
//! });
//! for handle in handles {
//!     corio::block_on(handle).unwrap();
//! }
//! assert_eq!(counter.load(Ordering::SeqCst), 3);
//! runtime.shutdown();
//! ```

use std::cell::RefCell;
use std::future::Future;
use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, OnceLock};
use std::thread;

use crate::event_loop::{EventLoop, LoopHandle};
use crate::task::{self, JoinHandle};

/// Configures a [`Runtime`].
#[derive(Debug, Clone)]
pub struct Builder {
    /// `None`: one per available core, counted when the runtime is built (counting reads the
    /// affinity mask and the cgroup quota files, which a caller that names the number skips).
    workers: Option<usize>,
    pin_to_cores: bool,
    thread_name: String,
}

impl Default for Builder {
    fn default() -> Self {
        Builder {
            workers: None,
            pin_to_cores: false,
            thread_name: "corio-worker".into(),
        }
    }
}

impl Builder {
    /// Defaults: one worker per available core, not pinned.
    pub fn new() -> Builder {
        Builder::default()
    }

    /// The number of worker loops (at least 1).
    pub fn workers(mut self, workers: usize) -> Builder {
        self.workers = Some(workers.max(1));
        self
    }

    /// Pins worker `i` to core `i` (modulo the number of cores).
    pub fn pin_to_cores(mut self, pin: bool) -> Builder {
        self.pin_to_cores = pin;
        self
    }

    /// The worker threads' name prefix (`-<index>` is appended).
    pub fn thread_name(mut self, name: impl Into<String>) -> Builder {
        self.thread_name = name.into();
        self
    }

    /// Starts the workers; each is running its loop when this returns.
    pub fn build(self) -> io::Result<Runtime> {
        let cores = if self.pin_to_cores {
            core_affinity::get_core_ids().unwrap_or_default()
        } else {
            Vec::new()
        };
        let count = self
            .workers
            .unwrap_or_else(|| thread::available_parallelism().map_or(1, |n| n.get()));
        let shared = Arc::new(Shared::default());
        let mut workers = Vec::with_capacity(count);
        for index in 0..count {
            let spawner = Spawner {
                shared: shared.clone(),
            };
            let (tx, rx) = mpsc::channel();
            let core = (!cores.is_empty()).then(|| cores[index % cores.len()]);
            let thread = thread::Builder::new()
                .name(format!("{}-{index}", self.thread_name))
                .spawn(move || {
                    if let Some(core) = core {
                        core_affinity::set_for_current(core);
                    }
                    CURRENT.with(|current| *current.borrow_mut() = Some(spawner));
                    let lp = match EventLoop::new() {
                        Ok(lp) => lp,
                        Err(e) => {
                            let _ = tx.send(Err(e));
                            return;
                        }
                    };
                    let _ = tx.send(Ok(lp.handle()));
                    let result = lp.run_forever();
                    lp.close();
                    if let Err(e) = result {
                        eprintln!("corio: worker {index} stopped: {e}");
                    }
                })?;
            let handle = rx
                .recv()
                .map_err(|_| io::Error::other("corio: worker thread died"))??;
            workers.push(Worker {
                handle,
                thread: Some(thread),
            });
        }
        let _ = shared
            .loops
            .set(workers.iter().map(|w| w.handle.clone()).collect());
        Ok(Runtime {
            workers,
            spawner: Spawner { shared },
        })
    }
}

thread_local! {
    /// The runtime a worker thread belongs to (set when the worker starts).
    static CURRENT: RefCell<Option<Spawner>> = const { RefCell::new(None) };
}

/// What the [`Spawner`]s of one runtime share.
#[derive(Default)]
struct Shared {
    /// Every worker's loop, set once all have started.
    loops: OnceLock<Vec<LoopHandle>>,
    /// The round-robin cursor.
    next: AtomicUsize,
}

/// A cloneable, `Send + Sync` handle that spawns on a [`Runtime`]'s workers, round-robin
/// (see the module docs), from any thread.
#[derive(Clone)]
pub struct Spawner {
    shared: Arc<Shared>,
}

impl Spawner {
    /// The runtime of the current thread, if it is one of a runtime's workers.
    pub fn current() -> Option<Spawner> {
        CURRENT.with(|current| current.borrow().clone())
    }

    /// The number of workers.
    pub fn workers(&self) -> usize {
        self.shared.loops.get().map_or(0, Vec::len)
    }

    /// Spawns a `Send` future on the next worker, round-robin.
    ///
    /// # Panics
    ///
    /// If called on a worker thread before its runtime finished starting (from
    /// [`Builder::build`] itself).
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let loops = self
            .shared
            .loops
            .get()
            .expect("corio: spawn before the runtime started");
        let index = self.shared.next.fetch_add(1, Ordering::Relaxed) % loops.len();
        loops[index].spawn(future)
    }
}

impl std::fmt::Debug for Spawner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Spawner")
            .field("workers", &self.workers())
            .finish()
    }
}

struct Worker {
    handle: LoopHandle,
    thread: Option<thread::JoinHandle<()>>,
}

/// `n` event loops on `n` threads. See the module docs.
pub struct Runtime {
    workers: Vec<Worker>,
    spawner: Spawner,
}

impl Runtime {
    /// A runtime with one worker per available core.
    pub fn new() -> io::Result<Runtime> {
        Builder::new().build()
    }

    /// A builder to configure workers and pinning.
    pub fn builder() -> Builder {
        Builder::new()
    }

    /// The number of workers.
    pub fn workers(&self) -> usize {
        self.workers.len()
    }

    /// The handle of worker `index`.
    ///
    /// # Panics
    ///
    /// If `index >= self.workers()`.
    pub fn handle(&self, index: usize) -> &LoopHandle {
        &self.workers[index].handle
    }

    /// Spawns a `Send` future on worker `index`.
    pub fn spawn_on<F>(&self, index: usize, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.handle(index).spawn(future)
    }

    /// Spawns a `Send` future on the next worker, round-robin (see the module docs).
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.spawner.spawn(future)
    }

    /// A cloneable handle that spawns on this runtime from any thread.
    pub fn spawner(&self) -> Spawner {
        self.spawner.clone()
    }

    /// Runs `make(i)` on each worker `i`, on that worker's thread, and spawns the future it
    /// returns there (so the future need not be `Send`). Returns one handle per worker.
    pub fn run_on_each<M, F>(&self, make: M) -> Vec<JoinHandle<F::Output>>
    where
        M: Fn(usize) -> F + Send + Sync + 'static,
        F: Future + 'static,
        F::Output: Send + 'static,
    {
        let make = Arc::new(make);
        (0..self.workers.len())
            .map(|index| {
                let make = make.clone();
                self.handle(index).spawn(async move {
                    let handle = task::spawn_local(make(index));
                    handle
                        .await
                        .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))
                })
            })
            .collect()
    }

    /// Stops every loop, drops the tasks they still hold, and joins the threads.
    pub fn shutdown(mut self) {
        self.stop_and_join();
    }

    fn stop_and_join(&mut self) {
        for worker in &self.workers {
            worker.handle.stop();
        }
        for worker in &mut self.workers {
            if let Some(thread) = worker.thread.take() {
                let _ = thread.join();
            }
        }
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        self.stop_and_join();
    }
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime")
            .field("workers", &self.workers.len())
            .finish()
    }
}
