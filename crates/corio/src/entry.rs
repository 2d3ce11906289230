//! What `#[corio::main(workers = N)]` and `#[corio::test(workers = N)]` expand to call.
//!
//! The body's future is made on worker 0 (from a `Send` closure), so it need not be `Send`;
//! its output is reported there through [`Termination`], so the output need not be `Send`
//! either, and only the [`ExitCode`] crosses back to the calling thread. A panic crosses back
//! as the task's panic and is re-raised.

use std::future::Future;
use std::process::{ExitCode, Termination};

use crate::runtime::Runtime;

/// Starts a runtime of `workers` workers, runs `make()` on worker 0, waits for it, shuts the
/// runtime down and returns the output's exit code.
///
/// # Panics
///
/// If the runtime cannot start, and with the body's panic if it panics.
pub fn run_on_runtime<M, F>(workers: usize, make: M) -> ExitCode
where
    M: FnOnce() -> F + Send + 'static,
    F: Future + 'static,
    F::Output: Termination,
{
    let runtime = Runtime::builder()
        .workers(workers)
        .build()
        .expect("corio: cannot start the runtime");
    let main = runtime
        .handle(0)
        .spawn(async move { crate::task::spawn_local(async move { make().await.report() }).await });
    let outcome = crate::block_on(main);
    runtime.shutdown();
    match outcome {
        Ok(Ok(code)) => code,
        Ok(Err(e)) | Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Ok(Err(_)) | Err(_) => ExitCode::FAILURE,
    }
}
