//! The building-block examples run to completion: `sync_tour` (every `corio::sync` type, tasks,
//! timers, across workers and a plain thread) and `graceful_shutdown` (a server stopped by a
//! `CancellationToken`). Each checks its own results and exits non-zero on a failure; this
//! runs the binaries that `cargo test -p corio` builds into `target/<profile>/examples/`.

use std::path::PathBuf;
use std::process::Command;

fn run(name: &str) -> String {
    let exe = std::env::current_exe().expect("test binary path");
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target dir");
    let path: PathBuf = profile_dir.join("examples").join(name);
    assert!(
        path.exists(),
        "{} was not built: `cargo test -p corio` builds the examples",
        path.display()
    );
    let out = Command::new(&path).output().expect("run example");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{name} failed ({}):\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

#[test]
fn sync_tour_visits_every_building_block() {
    let stdout = run("sync_tour");
    for step in [
        "tasks: spawn, spawn_local, spawn_blocking, timeout",
        "channels: mpsc",
        "watch and Notify",
        "Semaphore, Mutex, JoinSet: 6 tasks",
        "CancellationToken: parent cancelled, children stopped",
        "tour complete",
    ] {
        assert!(stdout.contains(step), "missing {step:?} in:\n{stdout}");
    }
}

#[test]
fn graceful_shutdown_closes_every_connection() {
    let stdout = run("graceful_shutdown");
    assert!(
        stdout.contains("server stopped after 3 connections, each closed cleanly"),
        "{stdout}"
    );
}
