//! Helpers shared by the integration tests.
#![allow(dead_code)] // each test binary uses a subset

use std::cell::RefCell;
use std::future::poll_fn;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Poll, Waker};

/// Counts its own drops: to observe that a task's future was dropped.
pub struct DropGuard(pub Arc<AtomicUsize>);

impl Drop for DropGuard {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// A single-threaded, one-shot event between two tasks of one loop (std + wakers only).
#[derive(Clone, Default)]
pub struct Event {
    inner: Rc<RefCell<(bool, Option<Waker>)>>,
}

impl Event {
    /// Sets the event and wakes the waiting task.
    pub fn set(&self) {
        let waker = {
            let mut inner = self.inner.borrow_mut();
            inner.0 = true;
            inner.1.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// Whether it was set.
    pub fn is_set(&self) -> bool {
        self.inner.borrow().0
    }

    /// Waits until it is set.
    pub async fn wait(&self) {
        poll_fn(|cx| {
            let mut inner = self.inner.borrow_mut();
            if inner.0 {
                Poll::Ready(())
            } else {
                inner.1 = Some(cx.waker().clone());
                Poll::Pending
            }
        })
        .await
    }
}

/// A deterministic byte pattern, distinct per `seed`.
pub fn pattern(seed: usize, len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| ((i.wrapping_mul(31) + seed.wrapping_mul(7919)) % 251) as u8)
        .collect()
}

/// The loopback address with port 0 (any free port).
pub fn any_port() -> std::net::SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}
