//! Waiting for a future on a plain thread: the `blocking_*` methods.
//!
//! The future is polled with a waker that unparks the calling thread; between polls the thread
//! parks. No event loop is created (unlike [`crate::block_on`]): the building blocks need none,
//! their wakers are all they use.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};

use crate::EventLoop;

/// Unparks the thread that waits.
struct Unpark(Thread);

impl Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.unpark();
    }
}

/// Runs `future` to completion on this thread, parking between polls.
///
/// # Panics
///
/// If a corio loop runs on this thread: parking would stop the loop, and with it perhaps the
/// very task that would wake us. `method` names the caller in the message.
pub(crate) fn wait<F: Future>(method: &str, future: F) -> F::Output {
    let on_loop = EventLoop::with_current(|current| current.is_some());
    assert!(
        !on_loop,
        "{method} called on a corio event loop thread; it would block the loop (use the async \
         method and .await it instead)"
    );
    let waker = Waker::from(Arc::new(Unpark(thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut future = pin!(future);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        thread::park();
    }
}
