//! One worker: an event loop running its share of the connections, with its own [`Stats`].
//!
//! Invariants:
//! - the connections, and a `-n` budget, are split across workers as evenly as whole numbers
//!   allow ([`shares`]); the shares add up to exactly the totals asked for;
//! - within a worker the budget is one counter that every connection draws from before it
//!   sends, so exactly the budget is sent, however fast each connection goes;
//! - nothing is shared with other workers while running but the live [`Progress`] counters
//!   (relaxed atomics, one set per worker): the stats are merged once, at the end.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::Arc;

use super::live::Progress;
use super::stats::{ErrorKind, Stats};
use super::Config;
use super::{connection, h2};

/// What one worker runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Share {
    /// The index (across all workers) of its first connection.
    pub first: usize,
    /// How many connections it runs.
    pub connections: usize,
    /// How many requests it sends (`None`: until the end time).
    pub budget: Option<u64>,
}

/// Splits `connections` and `requests` across `workers` (at most one worker per connection).
pub fn shares(connections: usize, workers: usize, requests: Option<u64>) -> Vec<Share> {
    let workers = workers.clamp(1, connections.max(1));
    let mut first = 0;
    (0..workers)
        .map(|w| {
            let n = connections / workers + usize::from(w < connections % workers);
            // This worker's part of the budget, in proportion to its connections, with the
            // rounding settled so that the parts add up.
            let budget = requests.map(|total| {
                let upto = |c: usize| (u128::from(total) * c as u128 / connections as u128) as u64;
                upto(first + n) - upto(first)
            });
            let share = Share {
                first,
                connections: n,
                budget,
            };
            first += n;
            share
        })
        .collect()
}

/// The state a worker's connections share (on one thread: `Rc`, `Cell`, `RefCell`).
#[derive(Debug)]
pub struct Worker {
    /// The run's configuration.
    pub config: Arc<Config>,
    /// This worker's figures.
    pub stats: RefCell<Stats>,
    /// This worker's live counters.
    pub progress: Arc<Progress>,
    budget: Cell<Option<u64>>,
    preferred_addr: Cell<usize>,
}

impl Worker {
    /// Takes up to `want` requests from the budget; returns how many may be sent.
    #[inline]
    pub fn take(&self, want: usize) -> usize {
        match self.budget.get() {
            None => want,
            Some(left) => {
                let granted = left.min(want as u64);
                self.budget.set(Some(left - granted));
                granted as usize
            }
        }
    }

    /// Whether the budget is spent.
    #[inline]
    pub fn exhausted(&self) -> bool {
        self.budget.get() == Some(0)
    }

    /// Counts `n` failed requests.
    pub fn fail(&self, kind: ErrorKind, n: u64) {
        self.stats.borrow_mut().error(kind, n);
        self.progress.add_errors(n);
    }

    /// The address that last accepted a connection (an index into `config.addrs`).
    pub fn preferred_addr(&self) -> usize {
        self.preferred_addr.get()
    }

    /// Remembers the address that accepted.
    pub fn set_preferred_addr(&self, index: usize) {
        self.preferred_addr.set(index);
    }
}

/// Runs `share` of the connections on the current loop until all of them are done.
pub async fn run(config: Arc<Config>, share: Share, progress: Arc<Progress>) -> Stats {
    let worker = Rc::new(Worker {
        config,
        stats: RefCell::new(Stats::new()),
        progress,
        budget: Cell::new(share.budget),
        preferred_addr: Cell::new(0),
    });
    let handles: Vec<_> = (share.first..share.first + share.connections)
        .map(|index| match &worker.config.h2 {
            Some(request) => corio::spawn_local(h2::run(worker.clone(), request.clone())),
            None => corio::spawn_local(connection::run(worker.clone(), index)),
        })
        .collect();
    for handle in handles {
        if let Err(e) = handle.await {
            std::panic::resume_unwind(e.into_panic());
        }
    }
    worker.stats.take()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_add_up() {
        for (conns, workers, requests) in [
            (10, 2, Some(1000)),
            (7, 3, Some(10)),
            (3, 8, Some(2)),
            (1024, 2, None),
            (5, 5, Some(3)),
        ] {
            let s = shares(conns, workers, requests);
            assert!(s.len() <= conns);
            assert_eq!(s.iter().map(|s| s.connections).sum::<usize>(), conns);
            assert!(s.iter().all(|s| s.connections > 0));
            let budgets: Option<u64> = s.iter().map(|s| s.budget).sum();
            assert_eq!(budgets, requests, "{conns} {workers} {requests:?}");
            for pair in s.windows(2) {
                assert_eq!(pair[0].first + pair[0].connections, pair[1].first);
            }
        }
        assert_eq!(shares(3, 8, None).len(), 3);
    }
}
