//! [`WaitQueue`]: the tasks waiting on one primitive, in arrival order.
//!
//! Every blocking building block of [`crate::sync`] keeps one inside its `std::sync::Mutex`.
//! A waiting future holds a *ticket* (a number that only grows, so tickets are never reused)
//! and owns its entry:
//!
//! - the first `Pending` poll enqueues it ([`WaitQueue::push`]);
//! - each later poll replaces the stored waker ([`WaitQueue::refresh`]), it never adds one, so
//!   a future polled a million times holds one entry;
//! - dropping the future removes the entry ([`WaitQueue::remove`]);
//! - whoever wakes it removes the entry first ([`WaitQueue::pop_front`],
//!   [`WaitQueue::take_all`]), so a future finding its ticket gone knows it was woken.
//!
//! Ordering by ticket in a `BTreeMap` gives FIFO order and removal from the middle without
//! `unsafe` intrusive lists; the cost is one tree node per waiting future.

use std::collections::BTreeMap;
use std::task::Waker;

/// A waiting future's place in a [`WaitQueue`].
pub(crate) type Ticket = u64;

/// Waiting futures in arrival order, each with its waker and what it waits for (`S`).
#[derive(Debug)]
pub(crate) struct WaitQueue<S> {
    entries: BTreeMap<Ticket, Entry<S>>,
    next: Ticket,
}

#[derive(Debug)]
struct Entry<S> {
    waker: Waker,
    state: S,
}

impl<S> Default for WaitQueue<S> {
    fn default() -> Self {
        WaitQueue {
            entries: BTreeMap::new(),
            next: 0,
        }
    }
}

impl<S> WaitQueue<S> {
    /// Enqueues a new waiter at the back; returns its ticket.
    pub(crate) fn push(&mut self, waker: &Waker, state: S) -> Ticket {
        let ticket = self.next;
        self.next += 1;
        self.entries.insert(
            ticket,
            Entry {
                waker: waker.clone(),
                state,
            },
        );
        ticket
    }

    /// Replaces the waker of a waiter still queued (cloning only if it would wake another
    /// task). Returns `false` if the ticket is no longer queued, that is, it was woken.
    pub(crate) fn refresh(&mut self, ticket: Ticket, waker: &Waker) -> bool {
        match self.entries.get_mut(&ticket) {
            Some(entry) => {
                if !entry.waker.will_wake(waker) {
                    entry.waker = waker.clone();
                }
                true
            }
            None => false,
        }
    }

    /// Removes a waiter (its future was dropped or finished); `None` if it was not queued.
    pub(crate) fn remove(&mut self, ticket: Ticket) -> Option<S> {
        self.entries.remove(&ticket).map(|entry| entry.state)
    }

    /// What the oldest waiter waits for.
    pub(crate) fn front(&self) -> Option<&S> {
        self.entries
            .first_key_value()
            .map(|(_, entry)| &entry.state)
    }

    /// Dequeues the oldest waiter: its ticket, waker (to wake once the lock is released) and
    /// state.
    pub(crate) fn pop_front(&mut self) -> Option<(Ticket, Waker, S)> {
        self.entries
            .pop_first()
            .map(|(ticket, entry)| (ticket, entry.waker, entry.state))
    }

    /// Dequeues every waiter; returns their wakers, to wake once the lock is released.
    pub(crate) fn take_all(&mut self) -> Vec<Waker> {
        std::mem::take(&mut self.entries)
            .into_values()
            .map(|entry| entry.waker)
            .collect()
    }

    /// The number of waiters.
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nobody waits.
    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// Wakes every waker of `wakers` (called after the lock that produced them is released).
pub(crate) fn wake_all(wakers: Vec<Waker>) {
    for waker in wakers {
        waker.wake();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fifo_with_removal_from_the_middle() {
        let mut queue = WaitQueue::default();
        let waker = Waker::noop();
        let a = queue.push(waker, 'a');
        let b = queue.push(waker, 'b');
        let c = queue.push(waker, 'c');
        assert_eq!(queue.remove(b), Some('b'));
        assert_eq!(queue.remove(b), None);
        assert_eq!(queue.front(), Some(&'a'));
        assert_eq!(queue.pop_front().map(|(t, _, s)| (t, s)), Some((a, 'a')));
        assert!(!queue.refresh(a, waker));
        assert!(queue.refresh(c, waker));
        assert_eq!(queue.len(), 1);
        assert_eq!(queue.take_all().len(), 1);
        assert!(queue.is_empty());
    }
}
