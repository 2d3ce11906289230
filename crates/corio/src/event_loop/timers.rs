//! The timer heap behind `call_later`, `call_at` and the futures layer's `sleep`.
//!
//! A binary min-heap of `(deadline, sequence)`: timers due at the same instant fire in the
//! order they were set. Cancelling never searches the heap: the entry is marked dead (its
//! callback dropped, or its [`TimerState`] flagged) and skipped when it reaches the top. When
//! more than half of a large heap is dead, the heap is rebuilt without them (as asyncio does),
//! so memory stays bounded by live timers even when every timer is cancelled.
//!
//! Precision: a timer fires on the first loop iteration that starts at or after its deadline;
//! the selector's timeout is rounded up to whole milliseconds, so a sleeping loop wakes within
//! about a millisecond after the deadline, never before.

use std::cmp::Ordering as CmpOrdering;
use std::collections::BinaryHeap;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::Waker;
use std::time::Instant;

use super::handle::Runnable;

/// Below this many entries the heap is never compacted: dead entries are cheap to skip.
const COMPACT_MIN_LEN: usize = 64;

/// The state of a futures-layer timer (`Sleep`), shared between the future and its heap entry.
/// `Send + Sync`, so that a `Sleep` can live in a `Send` future.
#[derive(Debug, Default)]
pub(crate) struct TimerState {
    /// Set by the loop when the deadline has passed.
    pub(crate) fired: AtomicBool,
    /// Set by the future when it is dropped or reset before firing.
    pub(crate) cancelled: AtomicBool,
    /// The task to wake when the timer fires.
    pub(crate) waker: Mutex<Option<Waker>>,
}

impl TimerState {
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

struct Entry {
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
    cancelled: usize,
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

    /// Counts a cancellation, and rebuilds the heap when dead entries are the majority.
    pub(crate) fn note_cancelled(&mut self) {
        self.cancelled += 1;
        if self.heap.len() >= COMPACT_MIN_LEN && self.cancelled * 2 > self.heap.len() {
            self.heap.retain(|entry| !entry.action.is_dead());
            self.cancelled = 0;
        }
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
                self.cancelled = self.cancelled.saturating_sub(1);
            } else {
                return Some(top.deadline);
            }
        }
        None
    }

    /// Moves every timer due at `now` out: callbacks into `ready`, wakers of fired sleeps into
    /// `wakers` (woken by the caller once no borrow is held).
    pub(crate) fn expire(
        &mut self,
        now: Instant,
        ready: &mut Vec<Rc<dyn Runnable>>,
        wakers: &mut Vec<Waker>,
    ) {
        while let Some(top) = self.heap.peek() {
            if top.deadline > now {
                break;
            }
            let Some(entry) = self.heap.pop() else { break };
            if entry.action.is_dead() {
                self.cancelled = self.cancelled.saturating_sub(1);
                continue;
            }
            match entry.action {
                TimerAction::Callback(runnable) => ready.push(runnable),
                TimerAction::Wake(state) => wakers.extend(state.fire()),
            }
        }
    }

    /// Drops every timer (when the loop closes).
    pub(crate) fn clear(&mut self) {
        self.heap.clear();
        self.cancelled = 0;
    }
}
