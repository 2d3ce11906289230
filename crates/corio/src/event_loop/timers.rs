//! The timer heap behind `call_later`, `call_at` and the futures layer's `sleep`.
//!
//! A binary min-heap of `(deadline, sequence)`: timers due at the same instant fire in the
//! order they were set. Cancelling never searches the heap: the entry is marked dead (its
//! callback dropped, or its [`TimerState`] flagged) and skipped when it reaches the top. When
//! more than half of a large heap is dead, the heap is rebuilt without them (as asyncio does),
//! so memory stays bounded by live timers even when every timer is cancelled. This is checked
//! on each insertion as well as each expiry: a task that sets and cancels timers without ever
//! yielding to the loop cannot grow the heap either.
//!
//! A `Sleep`'s [`TimerState`] is recycled: when a dead entry leaves the heap and the heap held
//! the last reference to its state (the `Sleep` is gone), the state goes to a free list that
//! the next `sleep` takes from, so a loop that keeps setting and cancelling timers does not
//! allocate for each. The free list never holds more states than the heap has room for
//! entries, so it is bounded by the peak number of timers, like the heap's own buffer.
//!
//! Cancellations are counted against the loop that owns the timer, whatever thread cancels it
//! (a `Sleep` is `Send` and may be dropped anywhere): the count is an atomic shared by the heap
//! and its timers, and the heap checks it for compaction on each insertion and expiry.
//!
//! Precision: a timer fires on the first loop iteration that starts at or after its deadline;
//! the selector's timeout is rounded up to whole milliseconds, so a sleeping loop wakes within
//! about a millisecond after the deadline, never before.

use std::cmp::Ordering as CmpOrdering;
use std::collections::BinaryHeap;
use std::rc::Rc;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Waker};
use std::time::Instant;

use super::handle::Runnable;

/// Below this many entries the heap is never compacted: dead entries are cheap to skip.
const COMPACT_MIN_LEN: usize = 64;

/// How many entries of a heap are cancelled (dead but still in the heap), shared by the heap and
/// its timers so that a cancellation from any thread counts against the owning loop.
pub(crate) type CancelCount = Arc<AtomicUsize>;

/// [`TimerState`] bit: the loop fired the timer (its deadline passed).
const FIRED: u8 = 0b001;
/// [`TimerState`] bit: the future was dropped or reset before the timer fired.
const CANCELLED: u8 = 0b010;
/// [`TimerState`] bit: the timer's loop shut down before it fired; nothing will fire it.
const ORPHANED: u8 = 0b100;

/// The state of a futures-layer timer (`Sleep`), shared between the future and its heap entry.
/// `Send + Sync`, so that a `Sleep` can live in a `Send` future.
#[derive(Debug)]
pub(crate) struct TimerState {
    /// When the timer fires (fixed while the state is shared; a recycled state gets a new one).
    deadline: Instant,
    /// `FIRED`, `CANCELLED`, `ORPHANED` bits.
    state: AtomicU8,
    /// The task to wake when the timer fires.
    waker: Mutex<Option<Waker>>,
    /// The owning heap's count of cancelled entries.
    cancel_count: CancelCount,
}

/// What a poll of a [`TimerState`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TimerPoll {
    /// The timer fired.
    Fired,
    /// Not yet: the task's waker is stored.
    Waiting,
    /// Its loop shut down: the future must set a new timer on the loop polling it.
    Orphaned,
}

impl TimerState {
    /// When the timer fires.
    #[inline]
    pub(crate) fn deadline(&self) -> Instant {
        self.deadline
    }

    /// Whether it fired (or was orphaned); otherwise stores the task's waker. Checks again
    /// after storing it: the loop (maybe on another thread) may have fired the timer and
    /// taken the previous waker between the first check and the store. A poll that finds its
    /// own waker stored (the usual case: a task polling its deadline on every wait) stores
    /// nothing and need not check again: had the timer fired meanwhile, it woke that waker.
    #[inline]
    pub(crate) fn poll(&self, cx: &mut Context<'_>) -> TimerPoll {
        if let Some(done) = self.fired() {
            return done;
        }
        let stored = {
            let mut waker = self.waker.lock().unwrap_or_else(|e| e.into_inner());
            let same = waker.as_ref().is_some_and(|w| w.will_wake(cx.waker()));
            if !same {
                *waker = Some(cx.waker().clone());
            }
            !same
        };
        if stored {
            self.fired().unwrap_or(TimerPoll::Waiting)
        } else {
            TimerPoll::Waiting
        }
    }

    /// Whether it fired (or was orphaned), without storing a waker.
    #[inline]
    pub(crate) fn fired(&self) -> Option<TimerPoll> {
        let state = self.state.load(Ordering::Acquire);
        if state & FIRED != 0 {
            Some(TimerPoll::Fired)
        } else if state & ORPHANED != 0 {
            Some(TimerPoll::Orphaned)
        } else {
            None
        }
    }

    /// Cancels the timer unless it fired, counting it against its loop.
    pub(crate) fn cancel(&self) {
        let previous = self.state.fetch_or(CANCELLED, Ordering::AcqRel);
        if previous & (FIRED | CANCELLED | ORPHANED) == 0 {
            self.cancel_count.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn is_cancelled(&self) -> bool {
        self.state.load(Ordering::Relaxed) & CANCELLED != 0
    }

    /// Sets `bit` (`FIRED` or `ORPHANED`) and takes the waker to wake.
    fn finish(&self, bit: u8) -> Option<Waker> {
        self.state.fetch_or(bit, Ordering::Release);
        self.waker.lock().unwrap_or_else(|e| e.into_inner()).take()
    }
}

/// What happens when a timer fires.
pub(crate) enum TimerAction {
    /// A `call_later` callback, moved to the ready queue.
    Callback(Rc<dyn Runnable>),
    /// A `sleep`: mark it fired and wake its task.
    Wake(Arc<TimerState>),
}

impl TimerAction {
    fn is_dead(&self) -> bool {
        match self {
            TimerAction::Callback(runnable) => !runnable.is_pending(),
            TimerAction::Wake(state) => state.is_cancelled(),
        }
    }
}

/// One timer in the heap.
pub(crate) struct Entry {
    deadline: Instant,
    sequence: u64,
    action: TimerAction,
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == CmpOrdering::Equal
    }
}

impl Eq for Entry {}

impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<CmpOrdering> {
        Some(self.cmp(other))
    }
}

impl Ord for Entry {
    /// Reversed, so that `BinaryHeap` (a max-heap) pops the earliest deadline first.
    fn cmp(&self, other: &Self) -> CmpOrdering {
        (other.deadline, other.sequence).cmp(&(self.deadline, self.sequence))
    }
}

/// All the timers of one loop.
#[derive(Default)]
pub(crate) struct Timers {
    heap: BinaryHeap<Entry>,
    sequence: u64,
    cancelled: CancelCount,
    /// Recycled `Sleep` states, each referenced only from here (see the module docs).
    free: Vec<Arc<TimerState>>,
}

impl Timers {
    /// Adds a timer.
    pub(crate) fn insert(&mut self, deadline: Instant, action: TimerAction) {
        self.compact_if_mostly_dead();
        self.sequence += 1;
        self.heap.push(Entry {
            deadline,
            sequence: self.sequence,
            action,
        });
    }

    /// Adds a `Sleep`'s timer, which wakes `waker` when it fires.
    pub(crate) fn insert_wake(&mut self, deadline: Instant, waker: Waker) -> Arc<TimerState> {
        let mut waker = Some(waker);
        let state = self
            .free
            .pop()
            .and_then(|mut state| {
                let reset = Arc::get_mut(&mut state)?;
                reset.deadline = deadline;
                *reset.state.get_mut() = 0;
                *reset.waker.get_mut().unwrap_or_else(|e| e.into_inner()) = waker.take();
                Some(state)
            })
            .unwrap_or_else(|| {
                Arc::new(TimerState {
                    deadline,
                    state: AtomicU8::new(0),
                    waker: Mutex::new(waker.take()),
                    cancel_count: self.cancelled.clone(),
                })
            });
        self.insert(deadline, TimerAction::Wake(state.clone()));
        state
    }

    /// Keeps the state of a dead entry that left the heap for reuse, if nothing else refers to
    /// it (its `Sleep` is gone) and the free list has room; its waker is dropped now, not
    /// kept alive while the state waits.
    fn recycle(free: &mut Vec<Arc<TimerState>>, heap_capacity: usize, action: TimerAction) {
        if let TimerAction::Wake(mut state) = action {
            if free.len() < heap_capacity {
                if let Some(unique) = Arc::get_mut(&mut state) {
                    drop(
                        unique
                            .waker
                            .get_mut()
                            .unwrap_or_else(|e| e.into_inner())
                            .take(),
                    );
                    free.push(state);
                }
            }
        }
    }

    /// The count that cancellations of this heap's timers go to.
    pub(crate) fn cancel_count(&self) -> &CancelCount {
        &self.cancelled
    }

    /// Whether no timer is set.
    pub(crate) fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }

    /// The earliest live deadline, dropping dead entries found on top.
    pub(crate) fn next_deadline(&mut self) -> Option<Instant> {
        while let Some(top) = self.heap.peek() {
            if top.action.is_dead() {
                if let Some(entry) = self.heap.pop() {
                    Self::recycle(&mut self.free, self.heap.capacity(), entry.action);
                }
                self.uncount();
            } else {
                return Some(top.deadline);
            }
        }
        None
    }

    /// Moves every timer due at `now` out: callbacks into `ready`, wakers of fired sleeps into
    /// `wakers` (woken by the caller once no borrow is held). First rebuilds the heap if dead
    /// entries are the majority of a large heap.
    pub(crate) fn expire(
        &mut self,
        now: Instant,
        ready: &mut Vec<Rc<dyn Runnable>>,
        wakers: &mut Vec<Waker>,
    ) {
        self.compact_if_mostly_dead();
        while let Some(top) = self.heap.peek() {
            if top.deadline > now {
                break;
            }
            let Some(entry) = self.heap.pop() else { break };
            if entry.action.is_dead() {
                Self::recycle(&mut self.free, self.heap.capacity(), entry.action);
                self.uncount();
                continue;
            }
            match entry.action {
                TimerAction::Callback(runnable) => ready.push(runnable),
                TimerAction::Wake(state) => wakers.extend(state.finish(FIRED)),
            }
        }
    }

    /// Rebuilds the heap without its dead entries if they are the majority of a large heap.
    /// Called on each insertion as well as each expiry, so that a task setting and cancelling
    /// timers without ever yielding to the loop cannot grow the heap either. Amortised O(1):
    /// a rebuild of n entries removes more than n/2 entries, each inserted once.
    fn compact_if_mostly_dead(&mut self) {
        if self.heap.len() < COMPACT_MIN_LEN
            || self.cancelled.load(Ordering::Relaxed) * 2 <= self.heap.len()
        {
            return;
        }
        let mut entries = std::mem::take(&mut self.heap).into_vec();
        let capacity = entries.capacity();
        let mut i = 0;
        while i < entries.len() {
            if entries[i].action.is_dead() {
                let dead = entries.swap_remove(i);
                Self::recycle(&mut self.free, capacity, dead.action);
            } else {
                i += 1;
            }
        }
        self.heap = BinaryHeap::from(entries);
        self.cancelled.store(0, Ordering::Relaxed);
    }

    /// A dead entry left the heap.
    fn uncount(&self) {
        let _ = self
            .cancelled
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                Some(n.saturating_sub(1))
            });
    }

    /// Empties the heap when the loop shuts down: callbacks are dropped unrun; sleeps are
    /// orphaned, and their wakers returned, for the caller to wake once the heap is no longer
    /// borrowed (each `Sleep` then sets a new timer on the loop that polls it).
    pub(crate) fn shut_down(&mut self) -> (BinaryHeap<Entry>, Vec<Waker>) {
        self.cancelled.store(0, Ordering::Relaxed);
        self.free = Vec::new();
        let heap = std::mem::take(&mut self.heap);
        let wakers = heap
            .iter()
            .filter_map(|entry| match &entry.action {
                TimerAction::Wake(state) if !state.is_cancelled() => state.finish(ORPHANED),
                TimerAction::Wake(_) | TimerAction::Callback(_) => None,
            })
            .collect();
        (heap, wakers)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `Sleep` polled again after its timer fired is ready, whichever waker it polls with.
    #[test]
    fn a_poll_after_the_timer_fired_is_ready() {
        let mut timers = Timers::default();
        let state = timers.insert_wake(Instant::now(), Waker::noop().clone());
        let (mut ready, mut wakers) = (Vec::new(), Vec::new());
        timers.expire(Instant::now(), &mut ready, &mut wakers);
        assert_eq!(wakers.len(), 1);
        let mut cx = Context::from_waker(Waker::noop());
        assert_eq!(state.poll(&mut cx), TimerPoll::Fired);
    }

    /// Setting and cancelling timers without the loop ever expiring them keeps the heap small,
    /// and reuses the cancelled timers' states.
    #[test]
    fn timers_set_and_cancelled_without_expiry_stay_bounded_and_are_recycled() {
        let mut timers = Timers::default();
        let mut seen = std::collections::HashSet::new();
        for _ in 0..10_000 {
            let state = timers.insert_wake(Instant::now(), Waker::noop().clone());
            seen.insert(Arc::as_ptr(&state) as usize);
            state.cancel();
        }
        assert!(
            timers.heap.len() <= 2 * COMPACT_MIN_LEN,
            "{}",
            timers.heap.len()
        );
        assert!(seen.len() <= 4 * COMPACT_MIN_LEN, "{} states", seen.len());
    }

    /// Cancelling counts once against the heap the timer is in, whoever cancels.
    #[test]
    fn a_cancellation_counts_once_against_the_owning_heap() {
        let mut owner = Timers::default();
        let state = owner.insert_wake(Instant::now(), Waker::noop().clone());
        std::thread::spawn(move || {
            state.cancel();
            state.cancel();
        })
        .join()
        .unwrap();
        assert_eq!(owner.cancel_count().load(Ordering::Relaxed), 1);
        assert_eq!(owner.next_deadline(), None);
        assert_eq!(owner.cancel_count().load(Ordering::Relaxed), 0);
    }
}
