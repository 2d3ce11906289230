//! Helpers shared by the `sync_*` tests: a waker that counts its clones (to prove that waiting
//! futures store one waker, not one per poll) and a two-worker runtime.
#![allow(dead_code)] // each test binary uses a subset

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use corio::Runtime;

/// How many times the leak checks poll.
pub const MILLION: usize = 1_000_000;

/// A waker that does nothing; its `Arc`'s strong count tells how many clones are alive.
struct Counted;

impl Wake for Counted {
    fn wake(self: Arc<Self>) {}
}

/// Polls `future` `times` times, alternating between two distinct wakers (so each poll must
/// replace the stored waker rather than keep it), and asserts it stays pending. Returns the
/// number of clones of those wakers that the waited-on primitive still stores afterwards.
pub fn stored_after_polls<F: Future + Unpin>(future: &mut F, times: usize) -> usize {
    let (a, b) = (Arc::new(Counted), Arc::new(Counted));
    {
        let wakers = [Waker::from(a.clone()), Waker::from(b.clone())];
        for i in 0..times {
            let mut cx = Context::from_waker(&wakers[i % 2]);
            assert!(Pin::new(&mut *future).poll(&mut cx).is_pending());
        }
    }
    Arc::strong_count(&a) - 1 + Arc::strong_count(&b) - 1
}

/// Makes `times` futures with `make`, polls each once (it must be pending) and drops it, as a
/// `select!` loop does. Returns the number of waker clones the primitive still stores.
pub fn stored_after_dropped_polls<F: Future>(mut make: impl FnMut() -> F, times: usize) -> usize {
    let counted = Arc::new(Counted);
    {
        let waker = Waker::from(counted.clone());
        let mut cx = Context::from_waker(&waker);
        for _ in 0..times {
            let mut future = std::pin::pin!(make());
            assert!(future.as_mut().poll(&mut cx).is_pending());
        }
    }
    Arc::strong_count(&counted) - 1
}

/// A source of counted wakers, for loops the helpers above cannot express.
pub struct WakerCounter {
    counted: Arc<Counted>,
}

impl WakerCounter {
    pub fn new() -> WakerCounter {
        WakerCounter {
            counted: Arc::new(Counted),
        }
    }

    /// A new counted waker.
    pub fn waker(&self) -> Waker {
        Waker::from(self.counted.clone())
    }

    /// The counted wakers alive now (made by `waker` and cloned since).
    pub fn alive(&self) -> usize {
        Arc::strong_count(&self.counted) - 1
    }
}

/// Polls `future` once with a waker that does nothing.
pub fn poll_once<F: Future + Unpin>(future: &mut F) -> Poll<F::Output> {
    Pin::new(future).poll(&mut Context::from_waker(Waker::noop()))
}

/// A runtime of two workers (two loops on two threads).
pub fn two_workers() -> Runtime {
    Runtime::builder()
        .workers(2)
        .thread_name("sync-test")
        .build()
        .unwrap()
}

/// Runs `future` on worker `index` of `runtime` and waits for its output on this thread.
pub fn run_on<F>(runtime: &Runtime, index: usize, future: F) -> F::Output
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    corio::block_on(runtime.spawn_on(index, future)).unwrap()
}
