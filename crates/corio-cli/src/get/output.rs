//! Bodies on stdout in argument order, streamed in bounded memory.
//!
//! Fetches run concurrently but their output must appear in argument order. The fetch whose
//! turn it is writes straight to stdout as its bytes arrive; a later one parks what it
//! receives, up to [`PARK_MAX`] bytes, and then stops reading (its connection applies
//! back-pressure to the server) until its turn comes. When a fetch finishes, the turn passes
//! on: every parked output that is complete is written out, and the first incomplete one
//! has its parked bytes written and carries on live.
//!
//! Invariants: output never interleaves and keeps argument order; at most `PARK_MAX` bytes
//! are held per fetch in flight, so memory is bounded by the concurrency, not the body size;
//! [`Ordered::finish`] is called exactly once per index, whatever the outcome, or the output
//! after it would never be written.

use std::cell::{Cell, RefCell};
use std::io::Write;
use std::task::{Poll, Waker};

/// Bytes a fetch may park while waiting for its turn: enough to absorb small bodies whole
/// (most of a list of URLs), small enough that `-c` fetches in flight hold a few MiB.
pub const PARK_MAX: usize = 1 << 20;

/// The output of one fetch.
#[derive(Debug, Default)]
struct Slot {
    /// Received before the fetch's turn, not yet written.
    parked: Vec<u8>,
    /// Bytes accepted for this fetch (parked or written).
    accepted: u64,
    /// The fetch has finished.
    done: bool,
}

/// Stdout shared by all fetches of one `corio get`.
#[derive(Debug)]
pub struct Ordered {
    /// The index whose output goes straight to stdout.
    turn: Cell<usize>,
    slots: RefCell<Vec<Slot>>,
    /// Fetches waiting for their turn.
    waiters: RefCell<Vec<Waker>>,
    /// Set after the first failed write (e.g. the reader of a pipe went away).
    broken: RefCell<Option<String>>,
}

impl Ordered {
    /// Output for `total` fetches, indexed 0..total.
    pub fn new(total: usize) -> Ordered {
        Ordered {
            turn: Cell::new(0),
            slots: RefCell::new((0..total).map(|_| Slot::default()).collect()),
            waiters: RefCell::new(Vec::new()),
            broken: RefCell::new(None),
        }
    }

    /// Bytes accepted so far for fetch `i` (a fetch that printed something cannot start over).
    pub fn accepted(&self, i: usize) -> u64 {
        self.slots.borrow()[i].accepted
    }

    /// Writes `data` as output of fetch `i`, waiting for its turn if its parking is full.
    pub async fn write(&self, i: usize, mut data: &[u8]) -> Result<(), String> {
        loop {
            if self.turn.get() == i {
                self.slots.borrow_mut()[i].accepted += data.len() as u64;
                return self.emit(data);
            }
            {
                let mut slots = self.slots.borrow_mut();
                let slot = &mut slots[i];
                let n = data.len().min(PARK_MAX - slot.parked.len());
                slot.parked.extend_from_slice(&data[..n]);
                slot.accepted += n as u64;
                data = &data[n..];
            }
            if data.is_empty() {
                return Ok(());
            }
            std::future::poll_fn(|cx| {
                if self.turn.get() == i {
                    Poll::Ready(())
                } else {
                    self.waiters.borrow_mut().push(cx.waker().clone());
                    Poll::Pending
                }
            })
            .await;
        }
    }

    /// Fetch `i` is over: if it was its turn, the turn passes on.
    pub fn finish(&self, i: usize) {
        self.slots.borrow_mut()[i].done = true;
        if self.turn.get() != i {
            return;
        }
        let total = self.slots.borrow().len();
        loop {
            let next = self.turn.get() + 1;
            self.turn.set(next);
            if next >= total {
                break;
            }
            let (parked, done) = {
                let mut slots = self.slots.borrow_mut();
                (std::mem::take(&mut slots[next].parked), slots[next].done)
            };
            // A write error here is reported by that fetch's next write, or not at all if it
            // is done: its bytes were received, and the output already failed for an earlier one.
            let _ = self.emit(&parked);
            if !done {
                break;
            }
        }
        for waker in self.waiters.borrow_mut().drain(..) {
            waker.wake();
        }
    }

    fn emit(&self, data: &[u8]) -> Result<(), String> {
        if let Some(e) = self.broken.borrow().as_ref() {
            return Err(e.clone());
        }
        if data.is_empty() {
            return Ok(());
        }
        // Flushed at once: what arrived is passed on as it arrives (a pipe reader sees the
        // body stream, and nothing waits in a buffer).
        let mut out = std::io::stdout().lock();
        out.write_all(data).and_then(|()| out.flush()).map_err(|e| {
            let e = format!("stdout: {e}");
            *self.broken.borrow_mut() = Some(e.clone());
            e
        })
    }
}
