//! The benchmark server (`examples/plaintext.rs`) as the benchmark harness runs it: it prints
//! a start-up line with its address, answers `GET /plaintext`, and rejects a bad argument with
//! status 2. `cargo test -p corio-http` builds it into `target/<profile>/examples/`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Command, Stdio};

fn example() -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target dir");
    let path = profile_dir.join("examples").join("plaintext");
    assert!(
        path.exists(),
        "{} was not built: `cargo test -p corio-http` builds the examples",
        path.display()
    );
    path
}

/// Starts the example with `workers` workers and returns it with the address its start-up
/// line names, after checking that line.
fn start(workers: &str) -> (std::process::Child, String) {
    let mut child = Command::new(example())
        .args(["--port", "0", "--workers", workers])
        .stderr(Stdio::piped())
        .spawn()
        .expect("run plaintext");
    let mut line = String::new();
    BufReader::new(child.stderr.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .split("http://")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .unwrap_or_else(|| panic!("no address in the start-up line {line:?}"))
        .to_owned();
    assert!(line.starts_with("plaintext: serving"), "{line}");
    let plural = if workers == "1" { "" } else { "s" };
    assert!(
        line.contains(&format!("({workers} worker{plural};")),
        "{line}"
    );
    (child, addr)
}

/// One `GET /plaintext` on a connection of its own; the whole response.
fn get_plaintext(addr: &str) -> String {
    let mut conn = TcpStream::connect(addr).unwrap();
    conn.write_all(b"GET /plaintext HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut response = String::new();
    conn.read_to_string(&mut response).unwrap();
    response
}

#[test]
fn prints_its_address_and_serves_plaintext() {
    // One worker: served on the main thread.
    let (mut child, addr) = start("1");
    let response = get_plaintext(&addr);
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{response}");
    assert!(response.ends_with("\r\n\r\nHello, World!"), "{response}");
}

#[test]
fn serves_with_two_workers() {
    // More than one: `Server::start`'s runtime threads.
    let (mut child, addr) = start("2");
    let response = get_plaintext(&addr);
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(response.ends_with("\r\n\r\nHello, World!"), "{response}");
}

#[test]
fn sigterm_shuts_down_gracefully_with_status_zero() {
    for workers in ["1", "2"] {
        let (mut child, addr) = start(workers);
        assert!(get_plaintext(&addr).ends_with("Hello, World!"));
        let sent = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
        let status = child.wait().unwrap();
        assert_eq!(status.code(), Some(0), "{workers} worker(s): {status}");
    }
}

#[test]
fn a_bad_argument_exits_two() {
    let out = Command::new(example())
        .args(["--port", "many"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("usage: plaintext"));
}
