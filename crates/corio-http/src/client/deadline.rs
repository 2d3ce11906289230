//! [`ReadDeadline`]: a connection's read timeout, with one timer for the connection's life.
//!
//! A read timeout bounds each wait for bytes. Arming a new timer for each wait (a
//! [`corio::time::timeout`] around each read) costs a timer-heap insertion and a
//! cancellation per response, most of a small response's timer work. Instead the connection
//! keeps one [`Deadline`]: each wait moves its instant (`now + timeout`) and the one timer
//! stays armed at or before it; when the timer fires early (the deadline moved on since), it
//! is re-armed at the current deadline. So a busy keep-alive connection touches the timer
//! heap about once per timeout period, whatever its request rate, and never times out late.
//!
//! Invariants:
//! - the deadline is polled only while a read waits, after the read itself was polled: a read
//!   that finds bytes waiting costs no clock read and no timer work;
//! - the timer is on the event loop of the thread that polls it. A timer is set on the loop
//!   polling it and stays there; a connection may move to another thread with its response
//!   body (or its task), and a timer left on the first thread's loop would fire only while
//!   that loop runs: if that thread blocked, or ran one long task, the read would not time
//!   out. So when the deadline is polled from another thread than the one its timer was set
//!   from, the timer is dropped (cancelled) and set again on the polling thread's loop;
//! - between responses (the connection idle in its pool) the timer may fire with nobody
//!   waiting: it wakes the task that last waited, a spurious wake-up that task ignores, and
//!   the next wait re-arms it.

use std::task::{Context, Poll};
use std::time::Instant;

use corio::time::Deadline;

/// A connection's lazily armed read deadline (see the module docs).
#[derive(Debug, Default)]
pub(crate) struct ReadDeadline {
    deadline: Deadline,
    /// The thread whose loop holds the timer ([`this_thread`]), 0 before the first wait.
    thread: usize,
}

impl ReadDeadline {
    /// Ready once `at` has passed; otherwise the task is woken at `at` at the latest.
    pub(crate) fn poll(&mut self, at: Instant, cx: &mut Context<'_>) -> Poll<()> {
        let here = this_thread();
        if here != self.thread {
            // Dropping the old deadline cancels its timer on the other thread's loop.
            self.deadline = Deadline::new();
            self.thread = here;
        }
        self.deadline.set(Some(at));
        self.deadline.poll(cx)
    }
}

/// An identity of the calling thread, cheap to get: the address of a thread-local. Two
/// threads alive at once never share it (a thread that ended may pass its address on to a
/// new one, but a thread's end also ends its loop, whose timers then move to the loop that
/// polls them).
fn this_thread() -> usize {
    thread_local! {
        static MARK: u8 = const { 0 };
    }
    MARK.with(|mark| std::ptr::from_ref(mark) as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threads_have_distinct_marks() {
        let here = this_thread();
        assert_ne!(here, 0);
        assert_eq!(here, this_thread());
        let there = std::thread::spawn(this_thread).join().unwrap();
        assert_ne!(here, there);
    }
}
