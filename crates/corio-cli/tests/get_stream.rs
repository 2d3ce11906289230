//! `corio get` streams bodies in bounded memory, to stdout and to files, and keeps argument
//! order on stdout while later fetches park what they receive.
//!
//! The memory check: the server sends all of a large body but its last byte, then waits; the
//! test reads the output as it comes, and once it has every byte but the last, reads the
//! child's peak resident size (`VmHWM` in `/proc/PID/status`) — the whole body has passed
//! through the child by then — and lets the server finish. The bound is relative to the
//! body (a memory bound, not a timing one): buffering the body would exceed it.

mod terminal;

use std::io::{Read, Write};
use std::process::{Child, Command, Stdio};

use terminal::{raw_server, respond, Gate};

/// The body: large enough that buffering it dwarfs the program itself.
const BIG: usize = 64 << 20;

/// A server whose `/big` sends `BIG` bytes and then, after `gate` opens, one more.
fn big_server(gate: Gate) -> String {
    let addr = raw_server(move |path, s| {
        if path != "/big" {
            return respond(s, "text/plain", b"small");
        }
        let head = format!("HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n", BIG + 1);
        if s.write_all(head.as_bytes()).is_err() {
            return false;
        }
        let block = vec![b'x'; 1 << 20];
        for _ in 0..BIG / block.len() {
            if s.write_all(&block).is_err() {
                return false;
            }
        }
        gate.wait();
        s.write_all(b"!").is_ok()
    });
    format!("http://{addr}/big")
}

/// The peak resident set of process `pid`, in bytes.
fn peak_rss(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .expect("VmHWM in /proc/PID/status");
    let kb: u64 = line
        .split_whitespace()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap();
    kb * 1024
}

/// Reads `output` to its end; after `BIG` bytes, measures `pid`'s peak RSS and opens `gate`.
/// Returns (bytes read, the last byte, peak RSS).
fn drain(mut output: impl Read, pid: u32, gate: &Gate) -> (usize, u8, u64) {
    let mut buf = vec![0; 1 << 16];
    let (mut total, mut last, mut peak) = (0, 0, 0);
    loop {
        let n = output.read(&mut buf).unwrap();
        if n == 0 {
            return (total, last, peak);
        }
        total += n;
        last = buf[n - 1];
        if total == BIG {
            peak = peak_rss(pid);
            gate.open();
        }
    }
}

fn check(child: Child, (total, last, peak): (usize, u8, u64)) {
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!((total, last), (BIG + 1, b'!'));
    assert!(peak > 0, "not measured");
    // Half the body: a buffered body alone would pass it; the program itself (a debug build,
    // its pools and socket buffers) stays far below it (9-17 MB measured on a loaded machine).
    assert!(
        peak < (BIG / 2) as u64,
        "peak RSS {peak} bytes for a {BIG}-byte body"
    );
}

#[test]
fn a_large_body_streams_to_stdout_in_bounded_memory() {
    let gate = Gate::default();
    let url = big_server(gate.clone());
    let mut child = Command::new(env!("CARGO_BIN_EXE_corio"))
        .args(["get", &url])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let seen = drain(stdout, child.id(), &gate);
    check(child, seen);
}

#[test]
fn a_large_body_streams_to_a_file_in_bounded_memory() {
    let gate = Gate::default();
    let url = big_server(gate.clone());
    // The "file" is a FIFO, so that the test reads what is written as it is written.
    let dir = std::env::temp_dir().join(format!("corio-get-fifo-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let fifo = dir.join("body");
    rustix::fs::mknodat(
        rustix::fs::CWD,
        &fifo,
        rustix::fs::FileType::Fifo,
        rustix::fs::Mode::from_raw_mode(0o600),
        0,
    )
    .unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_corio"))
        .args(["get", "-o", fifo.to_str().unwrap(), &url])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let reader = std::fs::File::open(&fifo).unwrap();
    let seen = drain(reader, child.id(), &gate);
    check(child, seen);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn later_bodies_wait_their_turn_on_stdout() {
    // /first answers only once /second has started: the second body (larger than what a
    // waiting fetch may park) arrives first, and must still come out second.
    let gate = Gate::default();
    let second_len = 3 << 20;
    let addr = raw_server({
        let gate = gate.clone();
        move |path, s| match path {
            "/first" => {
                gate.wait();
                respond(s, "text/plain", b"first\n")
            }
            _ => {
                let head = format!("HTTP/1.1 200 OK\r\ncontent-length: {second_len}\r\n\r\n");
                if s.write_all(head.as_bytes()).is_err() {
                    return false;
                }
                gate.open();
                s.write_all(&vec![b's'; second_len]).is_ok()
            }
        }
    });
    let out = Command::new(env!("CARGO_BIN_EXE_corio"))
        .args([
            "get",
            "-c",
            "2",
            &format!("http://{addr}/first"),
            &format!("http://{addr}/second"),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.stdout.len(), 6 + second_len);
    assert_eq!(&out.stdout[..6], b"first\n");
    assert!(out.stdout[6..].iter().all(|&b| b == b's'));
}
