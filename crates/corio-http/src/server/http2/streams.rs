//! [`Streams`]: the handler tasks of one connection's streams.
//!
//! A stream that cannot finish inside the driver's poll (its handler or its body has to
//! wait; see `stream.rs`) goes on as its own corio task on the connection's loop, so that a
//! slow handler delays only its stream. The connection driver counts them: it accepts a new
//! stream only while fewer than `max_concurrent_streams` run, which bounds the handler work
//! a client can start whatever it resets (streams the client resets stop counting toward
//! h2's limit at once, but their task runs until it sees the reset). When the connection
//! ends, the tasks still running are aborted.

use std::cell::RefCell;
use std::future::Future;
use std::rc::Rc;
use std::task::Waker;

use corio::JoinHandle;
use slab::Slab;

/// The live stream tasks of a connection.
#[derive(Debug, Default)]
pub(super) struct Streams {
    tasks: RefCell<Slab<JoinHandle<()>>>,
    /// The driver, when it waits for a task to end (at the stream limit).
    driver: RefCell<Option<Waker>>,
}

impl Streams {
    pub(super) fn new() -> Rc<Streams> {
        Rc::new(Streams::default())
    }

    /// How many stream tasks are running.
    pub(super) fn live(&self) -> usize {
        self.tasks.borrow().len()
    }

    /// Remembers `waker` to wake when a task ends.
    pub(super) fn wake_on_end(&self, waker: &Waker) {
        let mut driver = self.driver.borrow_mut();
        if !driver.as_ref().is_some_and(|w| w.will_wake(waker)) {
            *driver = Some(waker.clone());
        }
    }

    /// Runs `stream` as a task on this loop.
    pub(super) fn spawn(self: &Rc<Self>, stream: impl Future<Output = ()> + 'static) {
        let mut tasks = self.tasks.borrow_mut();
        let entry = tasks.vacant_entry();
        let guard = TaskGuard {
            streams: self.clone(),
            key: entry.key(),
        };
        entry.insert(corio::spawn_local(async move {
            let _guard = guard;
            stream.await;
        }));
    }

    /// Aborts every task still running.
    pub(super) fn abort_all(&self) {
        let tasks = std::mem::take(&mut *self.tasks.borrow_mut());
        for (_, task) in tasks {
            task.abort();
        }
    }
}

/// Unregisters a task when it ends (or is aborted), and wakes the driver.
struct TaskGuard {
    streams: Rc<Streams>,
    key: usize,
}

impl Drop for TaskGuard {
    fn drop(&mut self) {
        // `try_remove`: after `abort_all` the slab no longer holds this task.
        drop(self.streams.tasks.borrow_mut().try_remove(self.key));
        let driver = self.streams.driver.borrow_mut().take();
        if let Some(driver) = driver {
            driver.wake();
        }
    }
}
