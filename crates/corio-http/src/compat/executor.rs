//! [`CorioExecutor`]: hyper's `rt::Executor` spawning on the current corio loop.

use std::future::Future;

/// Spawns hyper's background futures (HTTP/2 streams and connection tasks) as tasks on the
/// corio loop of the calling thread.
///
/// hyper's `Executor` trait puts no `Send` bound on the futures; hyper adds one only where
/// its own API asks for it. corio tasks never move between threads, so this executor uses
/// [`corio::spawn_local`] and accepts `!Send` futures too: a hyper service whose futures
/// hold an `Rc` works. hyper calls `execute` from inside a connection's poll, which runs
/// on a corio loop.
///
/// # Panics
///
/// `execute` panics if called on a thread where no corio loop is running.
#[derive(Debug, Clone, Copy, Default)]
pub struct CorioExecutor;

impl CorioExecutor {
    /// The executor.
    pub fn new() -> CorioExecutor {
        CorioExecutor
    }
}

impl<F> hyper::rt::Executor<F> for CorioExecutor
where
    F: Future + 'static,
    F::Output: 'static,
{
    fn execute(&self, future: F) {
        // Detached: hyper watches its tasks through its own channels.
        drop(corio::spawn_local(future));
    }
}
