//! `spawn_blocking`: a burst of jobs runs on as many threads at once. Alone in its test binary,
//! since the pool is one per process.

use std::sync::{Arc, Barrier};
use std::time::Duration;

use corio::task::spawn_blocking;
use corio::time::timeout;

/// Turns a hang into a failure; never reached when the code is right.
const WATCHDOG: Duration = Duration::from_secs(20);

/// Runs `jobs` jobs that can only finish once all of them are in flight at once.
async fn burst(jobs: usize) -> bool {
    let barrier = Arc::new(Barrier::new(jobs));
    let handles: Vec<_> = (0..jobs)
        .map(|_| {
            let barrier = barrier.clone();
            spawn_blocking(move || {
                barrier.wait();
            })
        })
        .collect();
    timeout(WATCHDOG, async {
        for handle in handles {
            handle.await.unwrap();
        }
    })
    .await
    .is_ok()
}

#[test]
fn a_burst_of_jobs_runs_in_parallel_whatever_threads_were_idle() {
    corio::block_on(async {
        // One thread, idle once its job is done.
        spawn_blocking(|| ()).await.unwrap();
        assert!(
            burst(4).await,
            "4 jobs after 1 idle thread did not run at once"
        );
        // Now 4 threads, idle; twice as many jobs.
        assert!(
            burst(8).await,
            "8 jobs after 4 idle threads did not run at once"
        );
    });
}
