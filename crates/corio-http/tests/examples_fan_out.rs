//! The `fan_out` example runs to completion: a server on 127.0.0.1 and a bounded client
//! fan-out against it. The example checks every body and the concurrency limit itself and
//! exits non-zero on a failure; `cargo test -p corio-http` builds it into
//! `target/<profile>/examples/`.

use std::process::Command;

#[test]
fn fan_out_fetches_every_page_within_the_limit() {
    let exe = std::env::current_exe().expect("test binary path");
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target dir");
    let path = profile_dir.join("examples").join("fan_out");
    assert!(
        path.exists(),
        "{} was not built: `cargo test -p corio-http` builds the examples",
        path.display()
    );
    let out = Command::new(&path).output().expect("run fan_out");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("fetched 40 pages"), "{stdout}");
    assert!(
        stdout.contains("(limit 4)") && stdout.ends_with("done\n"),
        "{stdout}"
    );
}
