//! Slowloris: many connections dribbling a request head one byte at a time.
//!
//! They must not stop normal clients from being served, and the head timeout must end every
//! one of them with `408` and a close (or a plain close), never a reset. The number of slow
//! connections is 200 here; `CORIO_SLOWLORIS_CONNS` raises it (`scripts/hostile.sh` runs
//! 2,000). Sleeps below only pace the dribbling; no assertion depends on how long anything
//! takes.

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use corio_http::{Response, RunningServer, Server, ServerConfig};

/// Bytes a slow client sends, one per round; never a complete head.
const DRIBBLE: &[u8] = b"GET / HTTP/1.1\r\nHost: a\r\nX-Slow: ";

fn slow_count() -> usize {
    std::env::var("CORIO_SLOWLORIS_CONNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200)
}

fn start(head_timeout: Duration) -> RunningServer {
    let config = ServerConfig {
        head_timeout,
        ..ServerConfig::default()
    };
    Server::bind("127.0.0.1:0".parse().unwrap())
        .workers(2)
        .config(config)
        .start(|_req: corio_http::Request| async { Response::text("served") })
        .unwrap()
}

/// One normal request on a fresh connection; panics unless it gets `200 served`.
fn normal_get(addr: SocketAddr) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    s.write_all(b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut reply = String::new();
    s.read_to_string(&mut reply).unwrap();
    assert!(reply.starts_with("HTTP/1.1 200 OK\r\n"), "{reply}");
    assert!(reply.ends_with("served"), "{reply}");
}

/// What a slow connection has seen so far.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Seen {
    Open,
    Timeout408,
    Eof,
    Reset,
}

/// Sends the next dribble byte and checks (without blocking) whether the server has answered
/// or closed.
fn dribble(s: &mut TcpStream, sent: &mut usize) -> Seen {
    let byte = DRIBBLE.get(*sent).copied().unwrap_or(b'a');
    match s.write(&[byte]) {
        Ok(_) => *sent += 1,
        Err(e) if e.kind() == ErrorKind::WouldBlock => {}
        Err(_) => return poll_closed(s).unwrap_or(Seen::Reset),
    }
    poll_closed(s).unwrap_or(Seen::Open)
}

fn poll_closed(s: &mut TcpStream) -> Option<Seen> {
    let mut buf = [0u8; 512];
    match s.read(&mut buf) {
        Ok(0) => Some(Seen::Eof),
        Ok(n) => {
            let text = String::from_utf8_lossy(&buf[..n]);
            let want = "HTTP/1.1 408 ";
            assert!(text.starts_with(want) || want.starts_with(&*text), "{text}");
            Some(Seen::Timeout408)
        }
        Err(e) if e.kind() == ErrorKind::WouldBlock => None,
        Err(_) => Some(Seen::Reset),
    }
}

/// Opens `n` slow connections, each having sent the first byte of its head right after
/// connecting, so every one of them has a partial head well before its head timeout.
fn open_slow(addr: SocketAddr, n: usize) -> (Vec<TcpStream>, Vec<usize>) {
    let slow: Vec<TcpStream> = (0..n)
        .map(|_| {
            let mut s = TcpStream::connect(addr).unwrap();
            s.write_all(&DRIBBLE[..1]).unwrap();
            s.set_nonblocking(true).unwrap();
            s
        })
        .collect();
    (slow, vec![1; n])
}

#[test]
fn slow_heads_do_not_starve_normal_clients() {
    // A long head timeout: the slow connections certainly stay connected meanwhile.
    let server = start(Duration::from_secs(120));
    let addr = server.local_addr();
    let (mut slow, mut sent) = open_slow(addr, slow_count());
    let stop = Arc::new(AtomicBool::new(false));
    let normal = {
        let stop = stop.clone();
        thread::spawn(move || {
            let mut served = 0;
            while !stop.load(Ordering::Relaxed) || served < 20 {
                normal_get(addr);
                served += 1;
            }
            served
        })
    };
    let mut rounds = 0;
    while !normal.is_finished() {
        for (s, sent) in slow.iter_mut().zip(&mut sent) {
            assert_eq!(dribble(s, sent), Seen::Open, "slow connection closed early");
        }
        rounds += 1;
        if rounds >= 5 {
            stop.store(true, Ordering::Relaxed);
        }
        thread::sleep(Duration::from_millis(10));
    }
    let served = normal.join().unwrap();
    assert!(served >= 20);
    // Still all connected after the normal requests were served.
    for (s, sent) in slow.iter_mut().zip(&mut sent) {
        assert_eq!(dribble(s, sent), Seen::Open);
    }
    drop(slow);
    server.shutdown();
    server.wait().unwrap();
}

#[test]
fn slow_heads_are_closed_at_the_head_timeout() {
    let server = start(Duration::from_millis(300));
    let addr = server.local_addr();
    let (mut slow, mut sent) = open_slow(addr, slow_count());
    let mut seen = vec![Seen::Open; slow.len()];
    let mut rounds = 0u64;
    let mut since_get = 0;
    while seen.contains(&Seen::Open) {
        for ((s, sent), seen) in slow.iter_mut().zip(&mut sent).zip(&mut seen) {
            if *seen == Seen::Open {
                *seen = dribble(s, sent);
            }
        }
        rounds += 1;
        since_get += 1;
        if since_get == 10 {
            since_get = 0;
            // Normal clients are served throughout.
            normal_get(addr);
        }
        thread::sleep(Duration::from_millis(10));
        // A hang guard only (10 minutes of 10 ms rounds), never reached by a working server.
        assert!(rounds < 60_000, "slow connections never timed out");
    }
    let count = |k| seen.iter().filter(|&&s| s == k).count();
    eprintln!(
        "slowloris: {} connections, {} got 408, {} EOF, {} reset, after {rounds} rounds",
        seen.len(),
        count(Seen::Timeout408),
        count(Seen::Eof),
        count(Seen::Reset)
    );
    // Every slow connection had a partial head, so the server answers it with 408 and closes.
    // A close without the 408 can only be a connection whose timeout ran out before its first
    // byte arrived (the test thread stalled): a plain close, EOF. A reset is a failure: even
    // when our dribbling races the close, the 408 and EOF are read before the reset.
    assert_eq!(
        count(Seen::Timeout408) + count(Seen::Eof),
        seen.len(),
        "every slow connection ends with 408 or EOF, none with a reset"
    );
    normal_get(addr);
    server.shutdown();
    server.wait().unwrap();
}
