//! Faults and shutdown of `corio serve` (run as a child process).
//!
//! - SIGTERM while large downloads are in flight: every client gets its complete response,
//!   then EOF (no reset); idle keep-alive connections are closed cleanly; the process exits 0.
//!
//! Files the server may not read (403) are tested in `serve_forbidden.rs`.

mod serve_child;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use corio_http::proto::{parse_response_head, BodyFraming, Limits};
use http::Method;
use serve_child::{temp_dir, Served};

const BIG: u64 = 32 << 20;
const CLIENTS: usize = 8;

#[test]
fn sigterm_finishes_in_flight_downloads_then_exits_zero() {
    let dir = temp_dir("sigterm");
    std::fs::File::create(dir.join("big.bin"))
        .unwrap()
        .set_len(BIG)
        .unwrap();
    let mut served = Served::start(&dir, None, &["--quiet", "--workers", "2", "--grace", "60"]);
    let addr = served.addr;

    // Each client requests the big file and reads its head plus a little: the request has
    // been read and its response is in flight.
    let limits = Limits::default();
    let mut clients: Vec<(TcpStream, u64, u64)> = (0..CLIENTS)
        .map(|_| {
            let mut s = TcpStream::connect(addr).unwrap();
            s.set_read_timeout(Some(Duration::from_secs(120))).unwrap();
            s.write_all(b"GET /big.bin HTTP/1.1\r\nHost: a\r\n\r\n")
                .unwrap();
            let mut buf = vec![0u8; 16 * 1024];
            let mut got = Vec::new();
            let (head, n) = loop {
                let n = s.read(&mut buf).unwrap();
                assert!(n > 0, "EOF before the response head");
                got.extend_from_slice(&buf[..n]);
                if let Some(parsed) = parse_response_head(&got, &limits).unwrap() {
                    break parsed;
                }
            };
            assert_eq!(head.status, 200);
            assert_eq!(
                head.framing(&Method::GET).unwrap(),
                BodyFraming::Length(BIG)
            );
            (s, BIG, (got.len() - n) as u64)
        })
        .collect();
    // An idle keep-alive connection that has finished one exchange.
    let mut idle = TcpStream::connect(addr).unwrap();
    idle.set_read_timeout(Some(Duration::from_secs(120)))
        .unwrap();
    idle.write_all(b"HEAD /big.bin HTTP/1.1\r\nHost: a\r\n\r\n")
        .unwrap();
    let mut buf = [0u8; 4096];
    let n = idle.read(&mut buf).unwrap();
    assert!(buf[..n].starts_with(b"HTTP/1.1 200 OK\r\n"));

    served.signal("TERM");

    let mut buf = vec![0u8; 256 * 1024];
    for (i, (s, want, got)) in clients.iter_mut().enumerate() {
        while *got < *want {
            match s.read(&mut buf) {
                Ok(0) => panic!("client {i}: EOF after {got} of {want} body bytes"),
                Ok(n) => *got += n as u64,
                Err(e) => panic!("client {i}: {e} after {got} of {want} body bytes"),
            }
        }
        assert_eq!(*got, *want, "client {i}: more bytes than the body");
        // Then a clean close: EOF, not a reset.
        match s.read(&mut buf) {
            Ok(0) => {}
            Ok(n) => panic!("client {i}: {n} bytes after the body"),
            Err(e) => panic!("client {i}: {e} instead of EOF"),
        }
    }
    match idle.read(&mut buf) {
        Ok(0) => {}
        other => panic!("idle connection: {other:?} instead of EOF"),
    }
    let status = served.wait(Duration::from_secs(120));
    assert!(status.success(), "exit status {status:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn connections_cut_by_the_grace_period_are_logged() {
    let dir = temp_dir("grace-cut");
    std::fs::File::create(dir.join("big.bin"))
        .unwrap()
        .set_len(BIG)
        .unwrap();
    let mut served = Served::start(&dir, None, &["--workers", "1", "--grace", "1"]);
    // A client that asks for the big file and never reads: its response cannot finish.
    let mut stuck = TcpStream::connect(served.addr).unwrap();
    stuck
        .write_all(b"GET /big.bin HTTP/1.1\r\nHost: a\r\n\r\n")
        .unwrap();
    let mut first = [0u8; 1];
    stuck.read_exact(&mut first).unwrap();
    served.signal("TERM");
    let status = served.wait(Duration::from_secs(120));
    assert!(status.success(), "exit status {status:?}");
    let log = served.drain_log();
    assert!(
        log.iter()
            .any(|l| l.contains("grace period") && l.contains("1 connection still busy")),
        "{log:?}"
    );
    drop(stuck);
    std::fs::remove_dir_all(&dir).unwrap();
}
