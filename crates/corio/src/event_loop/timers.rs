//! The timer heap behind `call_later`, `call_at` and the futures layer's `sleep`.
//!
//! A binary min-heap of `(deadline, sequence)`: timers due at the same instant fire in the
//! order they were set. Cancelling never searches the heap: the entry is marked dead (its
//! callback dropped, or its [`TimerState`] flagged) and skipped when it reaches the top. When
//! more than half of a large heap is dead, the heap is rebuilt without them (as asyncio does),
//! so memory stays bounded by live timers even when every timer is cancelled.
//!
//! Cancellations are counted against the loop that owns the timer, whatever thread cancels it
//! (a `Sleep` is `Send` and may be dropped anywhere): the count is an atomic shared by the heap
//! and its timers, and the loop checks it for compaction when it expires timers, each
//! iteration that has any.
//!
//! Precision: a timer fires on the first loop iteration that starts at or after its deadline;
//! the selector's timeout is rounded up to whole milliseconds, so a sleeping loop wakes within
//! about a millisecond after the deadline, never before.

use std::cmp::Ordering as CmpOrdering;
use std::collections::BinaryHeap;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Instant;

use super::handle::Runnable;

/// Below this many entries the heap is never compacted: dead entries are cheap to skip.
const COMPACT_MIN_LEN: usize = 64;

/// How many entries of a heap are cancelled (dead but still in the heap), shared by the heap and
/// its timers so that a cancellation from any thread counts against the owning loop.
pub(crate) type CancelCount = Arc<AtomicUsize>;

/// The state of a futures-layer timer (`Sleep`), shared between the future and its heap entry.
/// `Send + Sync`, so that a `Sleep` can live in a `Send` future.
#[derive(Debug)]
pub(crate) struct TimerState {
    /// Set by the loop when the deadline has passed.
    fired: AtomicBool,
    /// Set by the future when it is dropped or reset before firing.
    cancelled: AtomicBool,
    /// The task to wake when the timer fires.
    waker: Mutex<Option<Waker>>,
    /// The owning heap's count of cancelled entries.
    cancel_count: CancelCount,
}

impl TimerState {
    /// Ready once fired; otherwise stores the task's waker. Checks again after storing it: the
    /// loop (maybe on another thread) may have fired the timer and taken the previous waker
    /// between the first check and the store.
    pub(crate) fn poll(&self, cx: &mut Context<'_>) -> Poll<()> {
        if self.fired.load(Ordering::Acquire) {
            return Poll::Ready(());
        }
        {
            let mut waker = self.waker.lock().unwrap_or_else(|e| e.into_inner());
            if !waker.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                *waker = Some(cx.waker().clone());
            }
        }
        if self.fired.load(Ordering::Acquire) {
            return Poll::Ready(());
        }
        Poll::Pending
    }

    /// Cancels the timer unless it fired, counting it against its loop.
    pub(crate) fn cancel(&self) {
        if !self.fired.load(Ordering::Acquire) && !self.cancelled.swap(true, Ordering::AcqRel) {
            self.cancel_count.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn fire(&self) -> Option<Waker> {
        self.fired.store(true, Ordering::Release);
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
            TimerAction::Wake(state) => state.cancelled.load(Ordering::Relaxed),
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
}

impl Timers {
    /// Adds a timer.
    pub(crate) fn insert(&mut self, deadline: Instant, action: TimerAction) {
        self.sequence += 1;
        self.heap.push(Entry {
            deadline,
            sequence: self.sequence,
            action,
        });
    }

    /// Adds a `Sleep`'s timer, which wakes `waker` when it fires.
    pub(crate) fn insert_wake(&mut self, deadline: Instant, waker: Waker) -> Arc<TimerState> {
        let state = Arc::new(TimerState {
            fired: AtomicBool::new(false),
            cancelled: AtomicBool::new(false),
            waker: Mutex::new(Some(waker)),
            cancel_count: self.cancelled.clone(),
        });
        self.insert(deadline, TimerAction::Wake(state.clone()));
        state
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
                self.heap.pop();
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
        if self.heap.len() >= COMPACT_MIN_LEN
            && self.cancelled.load(Ordering::Relaxed) * 2 > self.heap.len()
        {
            self.heap.retain(|entry| !entry.action.is_dead());
            self.cancelled.store(0, Ordering::Relaxed);
        }
        while let Some(top) = self.heap.peek() {
            if top.deadline > now {
                break;
            }
            let Some(entry) = self.heap.pop() else { break };
            if entry.action.is_dead() {
                self.uncount();
                continue;
            }
            match entry.action {
                TimerAction::Callback(runnable) => ready.push(runnable),
                TimerAction::Wake(state) => wakers.extend(state.fire()),
            }
        }
    }

    /// A dead entry left the heap.
    fn uncount(&self) {
        let _ = self
            .cancelled
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                Some(n.saturating_sub(1))
            });
    }

    /// Takes every timer out (when the loop closes), for the caller to drop once the heap is
    /// no longer borrowed.
    pub(crate) fn take(&mut self) -> BinaryHeap<Entry> {
        self.cancelled.store(0, Ordering::Relaxed);
        std::mem::take(&mut self.heap)
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
        assert!(state.poll(&mut cx).is_ready());
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
