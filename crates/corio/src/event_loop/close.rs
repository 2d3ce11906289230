//! Shutting a loop down: what [`EventLoop::close`](super::EventLoop::close) and the drop of a
//! loop's last handle do.
//!
//! Nothing may be left waiting for a loop that will never run again. So the shutdown cancels
//! what is queued for it (remote spawns fail their `JoinHandle`s, tasks are dropped at their
//! await points and their handles fail, callbacks and timers are dropped unrun), closes the
//! remote queue so that later pushes are cancelled the same way, removes the `add_reader` /
//! `add_writer` watchers, marks every futures-I/O source shut down (their polls fail from now
//! on, and their waiters are woken to that error) and orphans every `Sleep` timer (its task is
//! woken and sets the timer again on the loop that polls it).
//!
//! Order matters: the remote queue is closed first, so that nothing can be queued behind the
//! drain; and nothing user-defined (futures, callbacks, wakers) is dropped or called while one
//! of the loop's `RefCell`s is borrowed, since their drops may use the loop.

use mio::unix::SourceFd;

use super::Inner;
use crate::reactor::Source;

impl Inner {
    /// Shuts the loop down for good (see the module docs); a second call does nothing.
    pub(super) fn shut_down(&self) {
        if self.closed.replace(true) {
            return;
        }
        for item in self.shared.close() {
            item.cancel();
        }
        let tasks = self.tasks.borrow_mut().drain();
        for (future, task) in tasks {
            // Drop the future first, then tell the handle: awaiting it must not hang. A task
            // being polled (the one closing its loop) is told by the step polling it.
            task.header.complete_on_loop();
            if let Some(future) = future {
                crate::task::drop_and_fail(future, crate::JoinError::cancelled());
            }
        }
        let ready = std::mem::take(&mut *self.ready.borrow_mut());
        drop(ready);
        let (timers, sleepers) = self.timers.borrow_mut().shut_down();
        drop(timers);
        for waker in sleepers {
            waker.wake();
        }
        let mut io = Vec::new();
        let mut watchers = Vec::new();
        {
            let fds = std::mem::take(&mut *self.fds.borrow_mut());
            let mut reactor = self.reactor.borrow_mut();
            for (fd, token) in fds {
                // The descriptor belongs to the caller and may be closed already: ignore.
                let _ = reactor.registry().deregister(&mut SourceFd(&fd));
                if let Some(Source::Callbacks { reader, writer }) =
                    reactor.sources.try_remove(token)
                {
                    watchers.extend(reader.into_iter().chain(writer));
                }
            }
            for (_, source) in reactor.sources.iter() {
                if let Source::Io(state) = source {
                    io.push(state.clone());
                }
            }
        }
        for watcher in &watchers {
            watcher.deactivate();
        }
        drop(watchers);
        for state in io {
            state.shut_down();
        }
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.shut_down();
    }
}
