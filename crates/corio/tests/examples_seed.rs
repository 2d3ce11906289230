//! The four seed examples as a user runs them: `--help`, a bad argument, a server that
//! answers, and one that is not there. Cargo builds the examples for `cargo test`; they sit in
//! `target/<profile>/examples/`, next to this test's `deps/` directory.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Command, Output};

const SEEDS: [&str; 4] = [
    "seed1_blocking",
    "seed2_callbacks",
    "seed3_future",
    "seed4_tasks",
];

fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target dir");
    let path = profile_dir.join("examples").join(name);
    assert!(
        path.exists(),
        "{} was not built: `cargo test -p corio` builds the examples",
        path.display()
    );
    path
}

fn run(name: &str, args: &[&str]) -> Output {
    Command::new(example(name))
        .args(args)
        .output()
        .expect("run example")
}

#[test]
fn help_prints_usage_and_exits_zero() {
    for name in SEEDS {
        let out = run(name, &["--help"]);
        assert_eq!(out.status.code(), Some(0), "{name}");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            stdout.contains("usage:") && stdout.contains("--port"),
            "{name}: {stdout}"
        );
    }
}

#[test]
fn bad_arguments_exit_two_with_usage() {
    for name in SEEDS {
        for args in [&["--bogus"][..], &["--port", "notanumber"], &["--port"]] {
            let out = run(name, args);
            assert_eq!(out.status.code(), Some(2), "{name} {args:?}");
            assert!(
                String::from_utf8_lossy(&out.stderr).contains("usage:"),
                "{name}"
            );
        }
    }
}

#[test]
fn fetches_both_paths_from_a_server() {
    for name in SEEDS {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port().to_string();
        let server = std::thread::spawn(move || {
            for _ in 0..2 {
                let (mut conn, _) = listener.accept().unwrap();
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") {
                    conn.read_exact(&mut byte).unwrap();
                    head.push(byte[0]);
                }
                let line = String::from_utf8_lossy(&head).into_owned();
                let path = line.split(' ').nth(1).unwrap().to_owned();
                write!(conn, "HTTP/1.0 200 OK\r\n\r\nbody of {path}\n").unwrap();
            }
        });
        let out = run(name, &["--port", &port]);
        server.join().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{name}: {stdout}");
        assert!(stdout.contains("/1: body of /1"), "{name}: {stdout}");
        assert!(stdout.contains("/2: body of /2"), "{name}: {stdout}");
    }
}

#[test]
fn a_refused_connection_exits_non_zero() {
    // A port that was just free: bound, read, closed.
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port().to_string()
    };
    for name in SEEDS {
        let out = run(name, &["--port", &port]);
        assert_eq!(out.status.code(), Some(1), "{name}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("error"), "{name}: {stderr}");
    }
}
