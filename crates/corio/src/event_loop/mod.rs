//! Layer 2: the event loop and its public callback API (asyncio's low-level layer).
//!
//! An [`EventLoop`] runs callbacks. It has a ready queue, a timer heap and a selector
//! ([`Reactor`](crate::reactor)); each iteration of [`EventLoop::run_forever`]:
//!
//! 1. takes the work other threads sent (`call_soon_threadsafe`, cross-thread wake-ups);
//! 2. polls the selector, blocking until the next timer if nothing is ready, and turns events
//!    into ready callbacks and woken tasks;
//! 3. if it has timers, reads the clock (kept for [`crate::time::loop_now`] until the next
//!    iteration) and moves the due ones to the ready queue;
//! 4. runs the callbacks that were ready when the iteration began, up to [`EVENT_INTERVAL`]
//!    since the selector was last polled (the rest stay at the front of the queue for the
//!    next iteration); what they schedule runs in a later iteration, so a callback that
//!    reschedules itself cannot starve the others;
//! 5. then keeps running task steps while one is at the front of the queue (woken by the batch),
//!    up to [`EVENT_INTERVAL`] callbacks since the selector was last polled, unless the loop
//!    is stopping or `run_until_complete`'s future was woken. Two tasks waking each other
//!    then do not pay a whole iteration per hop (as in tokio, which runs its ready tasks
//!    until that same budget); a callback or watcher at the front still waits for the next
//!    iteration, and FIFO order is kept.
//!
//! While callbacks keep the queue busy, step 2 runs without blocking once every
//! [`EVENT_INTERVAL`] callbacks rather than every iteration: two tasks waking each other do not
//! pay an `epoll_wait` per hop, and I/O is still never starved, even behind a thousand
//! callbacks ready at once. Polling in the middle of such a burst also keeps each poll's
//! events few and fresh: a thousand connection tasks woken together are harvested about
//! [`EVENT_INTERVAL`] events at a time, shortly after each socket became ready, rather than
//! in one `epoll_wait` that visits every socket again once all of them ran. A loop with no source
//! registered skips that non-blocking poll altogether (what other threads send is flagged and
//! taken in step 1 without it).
//!
//! A loop is single-threaded: `EventLoop` is a cheap `Rc` handle (`Clone`, not `Send`). Other
//! threads reach it through its [`LoopHandle`]. The futures layer ([`crate::task`]) is built on
//! this one: a task's waker schedules the task's next step on this same ready queue, exactly as
//! the seed appends `task.step` to a future's callbacks.
//!
//! ```
//! use std::time::Duration;
//! use std::{cell::RefCell, rc::Rc};
//!
//! let lp = corio::EventLoop::new().unwrap();
//! let log = Rc::new(RefCell::new(Vec::new()));
//! let (l1, l2, l3) = (log.clone(), log.clone(), lp.clone());
//! lp.call_later(Duration::from_millis(1), move || { l1.borrow_mut().push("later"); l3.stop() });
//! lp.call_soon(move || l2.borrow_mut().push("soon"));
//! lp.run_forever().unwrap();
//! assert_eq!(*log.borrow(), ["soon", "later"]);
//! ```

mod close;
mod handle;
mod remote;
pub(crate) mod timers;

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::io;
use std::os::fd::RawFd;
use std::rc::Rc;
use std::sync::Arc;
use std::task::Waker;
use std::time::{Duration, Instant};

use mio::unix::SourceFd;
use mio::{Interest, Token};

pub use handle::{Handle, TimerHandle};
pub use remote::LoopHandle;
pub(crate) use remote::{Remote, Shared};

use crate::reactor::{IoCallback, Reactor, Source, Watcher, WAKER_TOKEN};
use crate::task::{self, JoinHandle, TaskRef};
use handle::Runnable;
use timers::{TimerAction, Timers};

/// While callbacks keep the ready queue non-empty, the selector is still polled (without
/// blocking) after this many callbacks, so I/O is never starved. 61 is tokio's value: large
/// enough to amortise the syscall, small enough to keep latency low under load.
pub const EVENT_INTERVAL: usize = 61;

/// One entry of the ready queue.
pub(crate) enum Ready {
    /// A `call_soon` callback or a fired `call_later` timer.
    Callback(Rc<dyn Runnable>),
    /// An `add_reader` / `add_writer` callback whose source became ready.
    Watcher(IoCallback),
    /// The next step of a task (the seed's `task.step`).
    Task(TaskRef),
}

thread_local! {
    /// The loop running on this thread, if any.
    static CURRENT: RefCell<Option<EventLoop>> = const { RefCell::new(None) };
}

/// Scratch space for one timer expiry: callbacks to queue, and wakers of fired sleeps.
type ExpiredTimers = (Vec<Rc<dyn Runnable>>, Vec<Waker>);

/// The loop-local state behind an [`EventLoop`].
pub(crate) struct Inner {
    pub(crate) shared: Arc<Shared>,
    pub(crate) ready: RefCell<VecDeque<Ready>>,
    pub(crate) timers: RefCell<Timers>,
    pub(crate) reactor: RefCell<Reactor>,
    pub(crate) tasks: RefCell<task::TaskSlab>,
    /// `add_reader` / `add_writer` descriptors → their slab token.
    fds: RefCell<HashMap<RawFd, usize>>,
    stopping: Cell<bool>,
    running: Cell<bool>,
    /// Set by [`EventLoop::close`] (or the drop of the last handle): final.
    closed: Cell<bool>,
    /// Callbacks run since the selector was last polled.
    since_poll: Cell<usize>,
    /// The clock as read this iteration to expire timers (`None` until then): what
    /// [`crate::time::loop_now`] returns.
    pub(crate) now: Cell<Option<Instant>>,
    /// Scratch buffers reused by every iteration, so a steady loop allocates nothing.
    scratch_remote: RefCell<Vec<Remote>>,
    scratch_timers: RefCell<ExpiredTimers>,
}

/// An event loop: a selector, a ready queue of callbacks, and timers. See the module docs.
#[derive(Clone)]
pub struct EventLoop {
    pub(crate) inner: Rc<Inner>,
}

impl EventLoop {
    /// Creates a loop with its own selector. It does nothing until run.
    pub fn new() -> io::Result<EventLoop> {
        let reactor = Reactor::new()?;
        let waker = mio::Waker::new(reactor.registry(), WAKER_TOKEN)?;
        let registry = reactor.registry().try_clone()?;
        Ok(EventLoop {
            inner: Rc::new(Inner {
                shared: Arc::new(Shared::new(waker, registry)),
                ready: RefCell::new(VecDeque::with_capacity(256)),
                timers: RefCell::new(Timers::default()),
                reactor: RefCell::new(reactor),
                tasks: RefCell::new(task::TaskSlab::new()),
                fds: RefCell::new(HashMap::new()),
                stopping: Cell::new(false),
                running: Cell::new(false),
                closed: Cell::new(false),
                since_poll: Cell::new(0),
                now: Cell::new(None),
                scratch_remote: RefCell::new(Vec::new()),
                scratch_timers: RefCell::new((Vec::new(), Vec::new())),
            }),
        })
    }

    /// The loop running on this thread (inside one of its callbacks or tasks), if any.
    pub fn current() -> Option<EventLoop> {
        CURRENT.with(|current| current.borrow().clone())
    }

    /// Calls `f` with the loop running on this thread, if any, without cloning it.
    pub(crate) fn with_current<R>(f: impl FnOnce(Option<&EventLoop>) -> R) -> R {
        CURRENT.with(|current| f(current.borrow().as_ref()))
    }

    /// A `Send + Clone` handle for other threads.
    pub fn handle(&self) -> LoopHandle {
        LoopHandle {
            shared: self.inner.shared.clone(),
        }
    }

    /// Schedules `f` to run on the next iteration. Callbacks run in the order they were
    /// scheduled.
    pub fn call_soon(&self, f: impl FnOnce() + 'static) -> Handle {
        let runnable = handle::runnable(f);
        if self.is_closed() {
            runnable.cancel();
            return Handle { runnable };
        }
        self.inner
            .ready
            .borrow_mut()
            .push_back(Ready::Callback(runnable.clone()));
        Handle { runnable }
    }

    /// Schedules `f` to run once `delay` has passed. See [`EventLoop::call_at`].
    pub fn call_later(&self, delay: Duration, f: impl FnOnce() + 'static) -> TimerHandle {
        self.call_at(Instant::now() + delay, f)
    }

    /// Schedules `f` to run on the first iteration at or after `when`. Timers due at the same
    /// instant run in the order they were set. Precision: see the `time` module docs (never early, within about a millisecond).
    pub fn call_at(&self, when: Instant, f: impl FnOnce() + 'static) -> TimerHandle {
        let runnable = handle::runnable(f);
        let mut timers = self.inner.timers.borrow_mut();
        if self.is_closed() {
            runnable.cancel();
        } else {
            timers.insert(when, TimerAction::Callback(runnable.clone()));
        }
        TimerHandle {
            handle: Handle { runnable },
            when,
            cancel_count: timers.cancel_count().clone(),
        }
    }

    /// The loop's clock (monotonic).
    pub fn time(&self) -> Instant {
        Instant::now()
    }

    /// Calls `f` on each read-readiness event of `fd` until [`EventLoop::remove_reader`].
    /// Replaces an earlier reader of the same descriptor.
    ///
    /// Readiness is edge-triggered (epoll's `EPOLLET`, as mio uses it): `f` is called when the
    /// descriptor *becomes* readable, so it must read until `WouldBlock` or it will not be
    /// called again for the data already buffered. The descriptor must be non-blocking and
    /// must stay open while registered.
    pub fn add_reader(&self, fd: RawFd, f: impl Fn() + 'static) -> io::Result<()> {
        self.set_watcher(fd, true, Some(Rc::new(Watcher::new(Box::new(f)))))
    }

    /// Calls `f` on each write-readiness event of `fd` until [`EventLoop::remove_writer`].
    /// Edge-triggered, like [`EventLoop::add_reader`].
    pub fn add_writer(&self, fd: RawFd, f: impl Fn() + 'static) -> io::Result<()> {
        self.set_watcher(fd, false, Some(Rc::new(Watcher::new(Box::new(f)))))
    }

    /// Stops watching `fd` for reading. Returns whether a reader was registered.
    pub fn remove_reader(&self, fd: RawFd) -> io::Result<bool> {
        self.remove_watcher(fd, true)
    }

    /// Stops watching `fd` for writing. Returns whether a writer was registered.
    pub fn remove_writer(&self, fd: RawFd) -> io::Result<bool> {
        self.remove_watcher(fd, false)
    }

    fn remove_watcher(&self, fd: RawFd, read: bool) -> io::Result<bool> {
        if !self.has_watcher(fd, read) {
            return Ok(false);
        }
        self.set_watcher(fd, read, None)?;
        Ok(true)
    }

    fn has_watcher(&self, fd: RawFd, read: bool) -> bool {
        let Some(&token) = self.inner.fds.borrow().get(&fd) else {
            return false;
        };
        match self.inner.reactor.borrow().sources.get(token) {
            Some(Source::Callbacks { reader, writer, .. }) => {
                if read {
                    reader.is_some()
                } else {
                    writer.is_some()
                }
            }
            _ => false,
        }
    }

    fn set_watcher(&self, fd: RawFd, read: bool, watcher: Option<IoCallback>) -> io::Result<()> {
        if self.is_closed() && watcher.is_some() {
            return Err(io::Error::other("corio: the event loop is closed"));
        }
        let mut fds = self.inner.fds.borrow_mut();
        let mut reactor = self.inner.reactor.borrow_mut();
        let token = match fds.get(&fd) {
            Some(&token) => token,
            None => {
                if watcher.is_none() {
                    return Ok(());
                }
                let token = reactor.sources.insert(Source::Callbacks {
                    reader: None,
                    writer: None,
                });
                fds.insert(fd, token);
                token
            }
        };
        let Some(Source::Callbacks { reader, writer, .. }) = reactor.sources.get_mut(token) else {
            unreachable!("the fd map only holds callback sources");
        };
        let was_registered = reader.is_some() || writer.is_some();
        let slot = if read { &mut *reader } else { &mut *writer };
        if let Some(old) = slot.take() {
            old.deactivate();
        }
        *slot = watcher;
        let interest = match (reader.is_some(), writer.is_some()) {
            (true, true) => Some(Interest::READABLE | Interest::WRITABLE),
            (true, false) => Some(Interest::READABLE),
            (false, true) => Some(Interest::WRITABLE),
            (false, false) => None,
        };
        let registry = reactor.registry();
        let result = match (was_registered, interest) {
            (false, Some(interest)) => {
                registry.register(&mut SourceFd(&fd), Token(token), interest)
            }
            (true, Some(interest)) => {
                registry.reregister(&mut SourceFd(&fd), Token(token), interest)
            }
            (true, None) => registry.deregister(&mut SourceFd(&fd)),
            (false, None) => Ok(()),
        };
        if interest.is_none() || (result.is_err() && !was_registered) {
            reactor.sources.remove(token);
            fds.remove(&fd);
        }
        result
    }

    /// Runs the loop until [`EventLoop::stop`] is called (from a callback, a task, or another
    /// thread through [`LoopHandle::stop`]). Fails at once if the loop is closed.
    ///
    /// # Panics
    ///
    /// If another loop is already running on this thread (loops do not nest).
    pub fn run_forever(&self) -> io::Result<()> {
        if self.is_closed() {
            return Err(io::Error::other("corio: the event loop is closed"));
        }
        let _running = self.enter();
        self.inner.stopping.set(false);
        while !self.inner.stopping.get() {
            self.run_once(true, None)?;
        }
        self.inner.stopping.set(false);
        Ok(())
    }

    /// Runs the loop until `future` completes, and returns its output. The future runs on
    /// this thread, so it need not be `Send` nor `'static`; tasks it spawns keep their
    /// state in the loop and run again the next time the loop runs.
    ///
    /// ```
    /// let lp = corio::EventLoop::new().unwrap();
    /// let answer = lp.run_until_complete(async { corio::spawn(async { 40 + 2 }).await.unwrap() });
    /// assert_eq!(answer, 42);
    /// ```
    ///
    /// # Panics
    ///
    /// If the loop is closed, if another loop is already running on this thread, or if the
    /// selector fails.
    pub fn run_until_complete<F: Future>(&self, future: F) -> F::Output {
        assert!(!self.is_closed(), "corio: the event loop is closed");
        let _running = self.enter();
        let main = Arc::new(task::MainWaker::new(self.inner.shared.clone()));
        let waker = Waker::from(main.clone());
        let mut cx = std::task::Context::from_waker(&waker);
        let mut future = std::pin::pin!(future);
        loop {
            if main.is_woken() && main.take_woken() {
                if let std::task::Poll::Ready(output) = future.as_mut().poll(&mut cx) {
                    return output;
                }
            }
            let block = !main.is_woken();
            if let Err(e) = self.run_once(block, Some(&*main)) {
                panic!("corio: the selector failed: {e}");
            }
        }
    }

    /// Asks the loop to stop after the current iteration.
    pub fn stop(&self) {
        self.inner.stopping.set(true);
    }

    /// Whether the loop is running (inside `run_forever` or `run_until_complete`).
    pub fn is_running(&self) -> bool {
        self.inner.running.get()
    }

    /// Spawns `future` as a task on this loop. See [`crate::spawn`].
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        task::spawn_on(self, future)
    }

    /// Spawns a `!Send` future as a task on this loop. See [`crate::spawn_local`].
    pub fn spawn_local<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        task::spawn_local_on(self, future)
    }

    /// Shuts the loop down for good; dropping the last handle to a loop does the same.
    ///
    /// - Every task is dropped at the await point it was suspended at, and its [`JoinHandle`]
    ///   returns a cancelled [`JoinError`](crate::JoinError); so do tasks spawned later, from
    ///   this thread or through a [`LoopHandle`].
    /// - Every queued callback and timer is dropped unrun; `call_soon_threadsafe` callbacks,
    ///   queued or sent later, too. `call_soon` and `call_later` on a closed loop return
    ///   handles that are already cancelled.
    /// - Every `add_reader`/`add_writer` watcher is removed (its descriptor deregistered).
    /// - Sockets created on the loop stay open (their owners close them), but any I/O on them,
    ///   including I/O already waiting on another thread, fails with an error of kind `Other`:
    ///   nothing would report their readiness any more. New sockets cannot be created on it.
    /// - A `time::Sleep` whose timer was on this loop sets a new timer on the loop that polls
    ///   it next (its task is woken for that); its deadline does not change.
    ///
    /// The loop cannot run again: [`EventLoop::run_forever`] returns an error and
    /// [`EventLoop::run_until_complete`] panics. Called when a runtime worker or `block_on`
    /// ends. Closing a closed loop does nothing. Called from inside the loop (a callback or a
    /// task), it also stops `run_forever` after the current iteration.
    pub fn close(&self) {
        self.stop();
        self.inner.shut_down();
    }

    /// Whether [`EventLoop::close`] was called.
    pub fn is_closed(&self) -> bool {
        self.inner.closed.get()
    }

    /// Marks this loop as the thread's current loop until the guard drops.
    fn enter(&self) -> EnterGuard {
        CURRENT.with(|current| {
            let mut current = current.borrow_mut();
            assert!(
                current.is_none(),
                "corio: cannot run an event loop while another one is running on this thread"
            );
            *current = Some(self.clone());
        });
        self.inner.running.set(true);
        EnterGuard {
            inner: self.inner.clone(),
        }
    }

    /// One iteration: remote work, I/O, timers, then the batch of ready callbacks, then the
    /// task steps queued behind them (see the module docs). Blocks in the selector only if
    /// `block` and nothing is ready. `main` is `run_until_complete`'s future, whose wake ends
    /// the iteration after the batch.
    fn run_once(&self, block: bool, main: Option<&task::MainWaker>) -> io::Result<()> {
        let inner = &*self.inner;
        // The clock read of the last iteration is not this one's (the poll below may block).
        inner.now.set(None);
        if inner.shared.is_pending() {
            self.take_remote();
        }
        let idle = inner.ready.borrow().is_empty();
        if idle || inner.since_poll.get() >= EVENT_INTERVAL {
            let timeout = if !idle || !block || inner.stopping.get() {
                Some(Duration::ZERO)
            } else {
                inner
                    .timers
                    .borrow_mut()
                    .next_deadline()
                    .map(|d| d.saturating_duration_since(Instant::now()))
            };
            // A poll that would not wait, on a loop with no source registered, could only
            // report the cross-thread waker, whose work is flagged in `shared` and taken
            // without it: the system call is skipped (a loop running only tasks and timers
            // pays none per `EVENT_INTERVAL` callbacks).
            let skip = timeout == Some(Duration::ZERO) && inner.reactor.borrow().is_empty();
            // The ready queue is borrowed per push, never across the dispatch: the wakers
            // that dispatch calls queue woken tasks on that same queue.
            let woken = !skip
                && inner.reactor.borrow_mut().poll(timeout, |watcher| {
                    inner
                        .ready
                        .borrow_mut()
                        .push_back(Ready::Watcher(watcher.clone()))
                })?;
            inner.since_poll.set(0);
            if woken || inner.shared.is_pending() {
                self.take_remote();
            }
        }
        if !inner.timers.borrow().is_empty() {
            self.expire_timers();
        }
        // At most `EVENT_INTERVAL` callbacks between two polls: `since_poll` is below it here
        // (it was reset above if it had reached it).
        let batch = inner
            .ready
            .borrow()
            .len()
            .min(EVENT_INTERVAL.saturating_sub(inner.since_poll.get()));
        for _ in 0..batch {
            let Some(item) = inner.ready.borrow_mut().pop_front() else {
                break;
            };
            match item {
                Ready::Callback(runnable) => runnable.run(),
                Ready::Watcher(watcher) => watcher.run(),
                Ready::Task(t) => task::run(self, t),
            }
        }
        let mut ran = inner.since_poll.get() + batch;
        while ran < EVENT_INTERVAL
            && !inner.stopping.get()
            && !main.is_some_and(task::MainWaker::is_woken)
        {
            let step = {
                let mut ready = inner.ready.borrow_mut();
                match ready.front() {
                    Some(Ready::Task(_)) => ready.pop_front(),
                    _ => None,
                }
            };
            let Some(Ready::Task(next)) = step else {
                break;
            };
            task::run(self, next);
            ran += 1;
        }
        inner.since_poll.set(ran);
        Ok(())
    }

    fn expire_timers(&self) {
        let inner = &*self.inner;
        let (mut callbacks, mut wakers) = std::mem::take(&mut *inner.scratch_timers.borrow_mut());
        let now = Instant::now();
        inner.now.set(Some(now));
        inner
            .timers
            .borrow_mut()
            .expire(now, &mut callbacks, &mut wakers);
        {
            let mut ready = inner.ready.borrow_mut();
            ready.extend(callbacks.drain(..).map(Ready::Callback));
        }
        for waker in wakers.drain(..) {
            waker.wake();
        }
        *inner.scratch_timers.borrow_mut() = (callbacks, wakers);
    }

    fn take_remote(&self) {
        let inner = &*self.inner;
        let mut items = std::mem::take(&mut *inner.scratch_remote.borrow_mut());
        inner.shared.take(&mut items);
        for item in items.drain(..) {
            match item {
                Remote::Callback(f) => {
                    inner
                        .ready
                        .borrow_mut()
                        .push_back(Ready::Callback(handle::runnable(f)));
                }
                Remote::Spawn(task) => task.start(self),
                Remote::Task(t) => task::queue_remote_wake(self, t),
                Remote::Release(token) => self.release(token),
            }
        }
        *inner.scratch_remote.borrow_mut() = items;
    }

    /// Frees the slab slot of a futures-I/O source (already deregistered from the selector).
    pub(crate) fn release(&self, token: usize) {
        let mut reactor = self.inner.reactor.borrow_mut();
        if reactor.sources.contains(token) {
            reactor.sources.remove(token);
        }
    }

    /// Whether `shared` is this loop's.
    pub(crate) fn owns(&self, shared: &Arc<Shared>) -> bool {
        Arc::ptr_eq(&self.inner.shared, shared)
    }
}

impl std::fmt::Debug for EventLoop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventLoop")
            .field("id", &self.inner.shared.id)
            .field("running", &self.inner.running.get())
            .finish()
    }
}

/// Clears the thread's current loop when a run ends (also on panic).
struct EnterGuard {
    inner: Rc<Inner>,
}

impl Drop for EnterGuard {
    fn drop(&mut self) {
        self.inner.running.set(false);
        // `try_with`: during thread teardown the thread-local may already be gone.
        let _ = CURRENT.try_with(|current| current.borrow_mut().take());
    }
}
