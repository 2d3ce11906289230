//! Layer 1: the selector.
//!
//! The [`Reactor`] is the Rust analog of Python's `selectors` module in the seed: it owns a
//! [`mio::Poll`] and a slab of registered sources. Each slab key is the [`mio::Token`] the source
//! was registered with, so an event finds its source in O(1).
//!
//! A source is one of two kinds:
//!
//! - **Callbacks** ([`Source::Callbacks`]): a raw file descriptor with a reader and/or a writer
//!   callback, registered by the callback layer's `add_reader` / `add_writer`.
//! - **Futures I/O** ([`Source::Io`]): a socket owned by a layer-4 type (`TcpStream`, ...). Its
//!   [`IoState`] holds the readiness bits and the wakers of the tasks waiting on it (any number
//!   per direction, one of each inline, under one lock); it is shared (`Arc`) so that the socket may be used
//!   from any thread. When the loop shuts down, every `IoState` it holds is marked so, and its
//!   waiters are woken to an error.
//!
//! Invariants:
//!
//! - Every source is registered edge-triggered for both directions of interest it needs; the
//!   reactor never re-arms. A consumer reads (or writes) until `WouldBlock` before it waits again.
//! - Dispatching events runs no user code except wakers: reader/writer callbacks are queued on
//!   the loop's ready queue, never called from inside [`Reactor::poll`]. So a source cannot be
//!   removed, nor a token reused, while a batch of events is being dispatched.
//! - Token [`WAKER_TOKEN`] belongs to the loop's cross-thread waker.

use std::io;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use mio::{Events, Token};
use parking_lot::Mutex;
use slab::Slab;

/// The token of the loop's [`mio::Waker`]; no slab key can reach it.
pub(crate) const WAKER_TOKEN: Token = Token(usize::MAX);

/// How many events one call to `epoll_wait` may return. Larger batches amortise the syscall
/// over more connections; 1,024 matches the largest connection counts we benchmark.
const EVENTS_CAPACITY: usize = 1024;

/// Readiness bit: the source can be read (or has hit EOF or an error).
pub(crate) const READABLE: usize = 0b0001;
/// Readiness bit: the source can be written (or its write side is closed or in error).
pub(crate) const WRITABLE: usize = 0b0010;
/// Readiness bit: the peer closed its write side (EOF will be read).
pub(crate) const READ_CLOSED: usize = 0b0100;
/// Readiness bit: our write side is closed (the peer reset or shut down its read side).
pub(crate) const WRITE_CLOSED: usize = 0b1000;
/// State bit: the source's loop has shut down; every poll fails with [`loop_closed`].
const SHUTDOWN: usize = 0b1_0000;
/// The readiness bits live below this shift; the event counter ("tick") above it.
const TICK_SHIFT: u32 = 8;
const READINESS_MASK: usize = (1 << TICK_SHIFT) - 1;

/// Which half of a source a task waits on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Direction {
    /// Waiting to read (or accept, or receive).
    Read,
    /// Waiting to write (or connect, or send).
    Write,
}

impl Direction {
    fn mask(self) -> usize {
        match self {
            Direction::Read => READABLE | READ_CLOSED,
            Direction::Write => WRITABLE | WRITE_CLOSED,
        }
    }
}

/// Readiness observed by a task, with the tick it was observed at, so that clearing it later
/// cannot erase an event that arrived in between.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ReadyEvent {
    tick: usize,
}

/// The error of I/O on a source whose loop has shut down (closed or dropped): no event will
/// ever be reported for it again, so waiting would hang. Kind `Other`, as tokio's error for
/// I/O on a runtime that is shutting down.
#[cold]
pub(crate) fn loop_closed() -> io::Error {
    io::Error::other("corio: the event loop that owns this socket has shut down")
}

/// The tasks waiting on a source, both directions under one lock.
///
/// The common case is one waiter per direction (a connection task reading or writing its
/// socket), kept inline: storing it again on every poll is a `will_wake` comparison, no
/// allocation. Further waiters (two accept loops on one listener, `readable()` awaited in two
/// places) go to `more`, allocated on first use, so a source that never has them pays one word
/// for it. An event wakes every waiter of its direction; a waiter that finds nothing to do
/// waits again. A waker is stored once however often it polls (`will_wake`); a waiter that
/// gave up (its future was dropped) stays until the next event of its direction and is then
/// woken for nothing, as tokio's poll-based waiters are.
///
/// One lock rather than one per direction: the state is allocated per socket, and the second
/// lock (and the two inline `Vec`s) cost 48 bytes of it for every connection; the lock is
/// held only to store or take wakers, never while one runs.
#[derive(Debug, Default)]
struct Waiters {
    reader: Option<Waker>,
    writer: Option<Waker>,
    more: Option<Box<MoreWaiters>>,
}

/// The waiters beyond the first of each direction.
#[derive(Debug, Default)]
struct MoreWaiters {
    readers: Vec<Waker>,
    writers: Vec<Waker>,
}

impl Waiters {
    /// Stores `waker` as a waiter of `direction`. The usual cases (the first slot empty, or
    /// holding this same waker) stay inline; a second waiter goes through
    /// [`Waiters::register_more`].
    #[inline]
    fn register(&mut self, waker: &Waker, direction: Direction) {
        let first = match direction {
            Direction::Read => &mut self.reader,
            Direction::Write => &mut self.writer,
        };
        match first {
            None => *first = Some(waker.clone()),
            Some(first) if first.will_wake(waker) => {}
            Some(_) => self.register_more(waker, direction),
        }
    }

    /// [`Waiters::register`] for a waker other than the first of its direction: kept out of
    /// line, so that the usual wait saves and restores fewer registers.
    #[cold]
    #[inline(never)]
    fn register_more(&mut self, waker: &Waker, direction: Direction) {
        let more = self.more.get_or_insert_with(Box::default);
        let more = match direction {
            Direction::Read => &mut more.readers,
            Direction::Write => &mut more.writers,
        };
        if !more.iter().any(|w| w.will_wake(waker)) {
            more.push(waker.clone());
        }
    }

    /// Takes the waiters beyond the first of the directions asked for (readers first).
    fn take_more(&mut self, read: bool, write: bool) -> Vec<Waker> {
        let mut taken = Vec::new();
        if let Some(more) = self.more.as_mut() {
            if read {
                taken.append(&mut more.readers);
            }
            if write {
                taken.append(&mut more.writers);
            }
        }
        taken
    }
}

/// The shared state of one futures-I/O source: readiness bits plus an event counter in one
/// atomic word, and the tasks waiting on it.
#[derive(Debug)]
pub(crate) struct IoState {
    readiness: AtomicUsize,
    waiters: Mutex<Waiters>,
}

impl IoState {
    /// A new state. It starts optimistic (readable and writable): the first read or write is
    /// attempted at once, which saves a trip through the loop for freshly accepted sockets
    /// whose request has already arrived.
    pub(crate) fn new() -> IoState {
        IoState {
            readiness: AtomicUsize::new(READABLE | WRITABLE),
            waiters: Mutex::new(Waiters::default()),
        }
    }

    /// Ready if `direction` is ready, an error if the source's loop has shut down; otherwise
    /// stores the task's waker and returns `Pending`. The ready case (one load) is inlined
    /// into every operation; storing the waker is not.
    #[inline]
    pub(crate) fn poll_ready(
        &self,
        cx: &mut Context<'_>,
        direction: Direction,
    ) -> Poll<io::Result<ReadyEvent>> {
        let word = self.readiness.load(Ordering::Acquire);
        if word & (direction.mask() | SHUTDOWN) != 0 {
            return Poll::Ready(ready_event(word));
        }
        self.wait(cx, direction)
    }

    /// [`IoState::poll_ready`] for a direction found not ready: stores the waker, then checks
    /// again.
    fn wait(&self, cx: &mut Context<'_>, direction: Direction) -> Poll<io::Result<ReadyEvent>> {
        let mask = direction.mask() | SHUTDOWN;
        self.waiters.lock().register(cx.waker(), direction);
        // An event (or the shutdown) may have arrived between the first load and storing the
        // waker.
        let word = self.readiness.load(Ordering::Acquire);
        if word & mask != 0 {
            return Poll::Ready(ready_event(word));
        }
        Poll::Pending
    }

    /// Like [`IoState::poll_ready`] but never stores a waker.
    pub(crate) fn peek_ready(&self, direction: Direction) -> Poll<io::Result<ReadyEvent>> {
        let word = self.readiness.load(Ordering::Acquire);
        if word & (direction.mask() | SHUTDOWN) != 0 {
            Poll::Ready(ready_event(word))
        } else {
            Poll::Pending
        }
    }
    /// Clears the ready bits of `direction` observed in `event` (after the operation returned
    /// `WouldBlock`), unless a newer event arrived since.
    pub(crate) fn clear_ready(&self, direction: Direction, event: ReadyEvent) {
        // Closed bits are final: never clear them.
        let clear = match direction {
            Direction::Read => READABLE,
            Direction::Write => WRITABLE,
        };
        let mut current = self.readiness.load(Ordering::Acquire);
        loop {
            if current >> TICK_SHIFT != event.tick {
                return;
            }
            let new = current & !clear;
            match self.readiness.compare_exchange_weak(
                current,
                new,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return,
                Err(actual) => current = actual,
            }
        }
    }

    /// Records readiness from an event and wakes the tasks waiting on it. Inlined, with
    /// [`IoState::wake`], into the reactor's dispatch loop: one call per event.
    #[inline]
    fn set_ready(&self, bits: usize) {
        let mut current = self.readiness.load(Ordering::Acquire);
        loop {
            let tick = (current >> TICK_SHIFT).wrapping_add(1) << TICK_SHIFT;
            let new = tick | ((current | bits) & READINESS_MASK);
            match self.readiness.compare_exchange_weak(
                current,
                new,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => break,
                Err(actual) => current = actual,
            }
        }
        self.wake(
            bits & Direction::Read.mask() != 0,
            bits & Direction::Write.mask() != 0,
        );
    }

    /// Marks the source's loop shut down and wakes every waiter: their next poll fails with
    /// [`loop_closed`] instead of waiting for an event that will never come.
    pub(crate) fn shut_down(&self) {
        self.readiness.fetch_or(SHUTDOWN, Ordering::AcqRel);
        self.wake(true, true);
    }

    /// Wakes the waiters of the directions asked for, after releasing the lock. The usual
    /// source (no waiter beyond the first of each direction) moves at most two wakers out.
    #[inline]
    fn wake(&self, read: bool, write: bool) {
        let mut waiters = self.waiters.lock();
        let reader = if read { waiters.reader.take() } else { None };
        let writer = if write { waiters.writer.take() } else { None };
        let more = waiters.more.is_some();
        drop(waiters);
        if let Some(waker) = reader {
            waker.wake();
        }
        if let Some(waker) = writer {
            waker.wake();
        }
        if more {
            self.wake_more(read, write);
        }
    }

    /// [`IoState::wake`] for the waiters beyond the first of each direction.
    #[cold]
    fn wake_more(&self, read: bool, write: bool) {
        let more = self.waiters.lock().take_more(read, write);
        for waker in more {
            waker.wake();
        }
    }
}

/// What a poll that found the word ready returns: the event, or the shutdown error.
#[inline]
fn ready_event(word: usize) -> io::Result<ReadyEvent> {
    if word & SHUTDOWN != 0 {
        Err(loop_closed())
    } else {
        Ok(ReadyEvent {
            tick: word >> TICK_SHIFT,
        })
    }
}

/// A persistent callback registered by `add_reader` / `add_writer`.
pub(crate) struct Watcher {
    callback: Box<dyn Fn()>,
    /// Cleared by `remove_reader` / `remove_writer`, so that a copy already queued for this
    /// iteration does not run after its removal.
    active: std::cell::Cell<bool>,
}

impl Watcher {
    /// A new active watcher.
    pub(crate) fn new(callback: Box<dyn Fn()>) -> Watcher {
        Watcher {
            callback,
            active: std::cell::Cell::new(true),
        }
    }

    /// Runs the callback unless it was removed.
    pub(crate) fn run(&self) {
        if self.active.get() {
            (self.callback)();
        }
    }

    /// Marks the watcher removed.
    pub(crate) fn deactivate(&self) {
        self.active.set(false);
    }
}

/// A shared reference to a [`Watcher`], as queued on the ready queue.
pub(crate) type IoCallback = Rc<Watcher>;

/// One registered source.
pub(crate) enum Source {
    /// A file descriptor watched by the callback layer.
    Callbacks {
        /// Called on each read-readiness event until removed.
        reader: Option<IoCallback>,
        /// Called on each write-readiness event until removed.
        writer: Option<IoCallback>,
    },
    /// A socket owned by a layer-4 type.
    Io(Arc<IoState>),
}

/// Layer 1: the selector and its registered sources.
pub(crate) struct Reactor {
    poll: mio::Poll,
    events: Events,
    /// Registered sources, keyed by token.
    pub(crate) sources: Slab<Source>,
}

impl Reactor {
    /// A new reactor with its own epoll instance.
    pub(crate) fn new() -> io::Result<Reactor> {
        Ok(Reactor {
            poll: mio::Poll::new()?,
            events: Events::with_capacity(EVENTS_CAPACITY),
            sources: Slab::new(),
        })
    }

    /// Whether no source is registered (the loop's cross-thread waker is not one).
    pub(crate) fn is_empty(&self) -> bool {
        self.sources.is_empty()
    }

    /// The registry, to register sources and create the waker.
    pub(crate) fn registry(&self) -> &mio::Registry {
        self.poll.registry()
    }

    /// Waits for events for at most `timeout` (`None`: forever), then dispatches them: futures
    /// sources get their readiness set and waiting tasks woken; callback sources have their
    /// callbacks passed to `queue`. Returns whether the cross-thread waker fired.
    pub(crate) fn poll(
        &mut self,
        timeout: Option<Duration>,
        mut queue: impl FnMut(&IoCallback),
    ) -> io::Result<bool> {
        match self.poll.poll(&mut self.events, timeout) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => return Ok(false),
            Err(e) => return Err(e),
        }
        let mut woken = false;
        for event in self.events.iter() {
            if event.token() == WAKER_TOKEN {
                woken = true;
                continue;
            }
            let Some(source) = self.sources.get(event.token().0) else {
                continue;
            };
            let mut bits = 0;
            if event.is_readable() || event.is_error() {
                bits |= READABLE;
            }
            if event.is_read_closed() {
                bits |= READABLE | READ_CLOSED;
            }
            if event.is_writable() || event.is_error() {
                bits |= WRITABLE;
            }
            if event.is_write_closed() {
                bits |= WRITABLE | WRITE_CLOSED;
            }
            match source {
                Source::Io(state) => state.set_ready(bits),
                Source::Callbacks { reader, writer, .. } => {
                    if bits & (READABLE | READ_CLOSED) != 0 {
                        if let Some(callback) = reader {
                            queue(callback);
                        }
                    }
                    if bits & (WRITABLE | WRITE_CLOSED) != 0 {
                        if let Some(callback) = writer {
                            queue(callback);
                        }
                    }
                }
            }
        }
        Ok(woken)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every socket allocates one `IoState` (in an `Arc`): 56 bytes, 72 with the counts, which
    /// malloc serves from an 80-byte chunk. A field more moves it to the next chunk size.
    #[test]
    fn a_sources_shared_state_stays_within_seven_words() {
        assert!(std::mem::size_of::<IoState>() <= 56);
    }

    /// Waiters beyond the first of a direction are kept, and woken, with the first.
    #[test]
    fn every_waiter_of_a_direction_is_woken_and_only_those() {
        use std::sync::atomic::AtomicUsize;
        struct Count(AtomicUsize);
        impl std::task::Wake for Count {
            fn wake(self: Arc<Self>) {
                self.0.fetch_add(1, Ordering::SeqCst);
            }
        }
        let state = IoState::new();
        state.clear_ready(Direction::Read, ReadyEvent { tick: 0 });
        state.clear_ready(Direction::Write, ReadyEvent { tick: 0 });
        let counts: Vec<_> = (0..4)
            .map(|_| Arc::new(Count(AtomicUsize::new(0))))
            .collect();
        for (i, count) in counts.iter().enumerate() {
            let waker = Waker::from(count.clone());
            let direction = if i < 3 {
                Direction::Read
            } else {
                Direction::Write
            };
            let mut cx = Context::from_waker(&waker);
            assert!(state.poll_ready(&mut cx, direction).is_pending());
            assert!(state.poll_ready(&mut cx, direction).is_pending());
        }
        state.set_ready(READABLE);
        let woken: Vec<_> = counts.iter().map(|c| c.0.load(Ordering::SeqCst)).collect();
        assert_eq!(woken, [1, 1, 1, 0]);
        state.set_ready(WRITABLE);
        assert_eq!(counts[3].0.load(Ordering::SeqCst), 1);
    }
}
