//! A client that pipelines requests without reading the responses.
//!
//! The server must bound what it buffers: it stops reading once its output is blocked, so
//! the client's writes block after a bounded amount (socket buffers plus the server's
//! per-connection buffers), and the server's memory does not grow with what the client
//! tries to send. When the client finally reads, it gets one response per complete request
//! it sent, in order.

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::thread;
use std::time::Duration;

use corio_http::proto::{parse_response_head, BodyFraming, Limits};
use corio_http::{Response, Server};
use http::Method;

/// Give up writing after this much: a server that kept reading would pass it quickly.
const WRITE_BOUND: usize = 64 << 20;
/// Padding of each response body, so responses fill the socket buffers fast.
const BODY_PAD: usize = 2048;

fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

#[test]
fn pipelining_without_reading_is_bounded_and_ordered() {
    let server = Server::bind("127.0.0.1:0".parse().unwrap())
        .workers(1)
        .start(|req: corio_http::Request| async move {
            let n = req.path().trim_start_matches('/').to_owned();
            Response::text(format!("{n}:{}", "x".repeat(BODY_PAD)))
        })
        .unwrap();
    let mut client = TcpStream::connect(server.local_addr()).unwrap();
    client.set_nonblocking(true).unwrap();
    let request = |i: usize| format!("GET /{i:08} HTTP/1.1\r\nHost: a\r\n\r\n").into_bytes();
    let req_len = request(0).len();
    let rss_before = rss_kib();

    // Write until the writes stop making progress (or the bound is passed).
    let mut written = 0usize;
    let mut pending: Vec<u8> = Vec::new();
    let mut next = 0usize;
    let mut stalls = 0;
    while written < WRITE_BOUND && stalls < 20 {
        if pending.is_empty() {
            for _ in 0..64 {
                pending.extend_from_slice(&request(next));
                next += 1;
            }
        }
        match client.write(&pending) {
            Ok(n) => {
                written += n;
                pending.drain(..n);
                stalls = 0;
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                // Pacing only: the server gets time to drain its socket if it still reads.
                stalls += 1;
                thread::sleep(Duration::from_millis(50));
            }
            Err(e) => panic!("write failed: {e}"),
        }
    }
    let rss_growth_mib = rss_kib().saturating_sub(rss_before) / 1024;
    eprintln!(
        "pipelining: client wrote {written} bytes before blocking; RSS grew {rss_growth_mib} MiB"
    );
    assert!(
        written < WRITE_BOUND,
        "the server kept reading pipelined requests it could not answer"
    );
    // Responses are ~40x the requests: unbounded buffering would show here.
    assert!(rss_growth_mib < 256, "RSS grew {rss_growth_mib} MiB");

    // Now read: one response per complete request, in order.
    let complete = written / req_len;
    client.set_nonblocking(false).unwrap();
    client
        .set_read_timeout(Some(Duration::from_secs(120)))
        .unwrap();
    let limits = Limits::default();
    let mut buf: Vec<u8> = Vec::new();
    let mut chunk = vec![0u8; 256 * 1024];
    let mut at = 0usize;
    for i in 0..complete {
        let (head, n) = loop {
            if let Some(parsed) = parse_response_head(&buf[at..], &limits).unwrap() {
                break parsed;
            }
            let n = client.read(&mut chunk).unwrap();
            assert!(n > 0, "EOF after {i} of {complete} responses");
            buf.extend_from_slice(&chunk[..n]);
        };
        assert_eq!(head.status, 200);
        at += n;
        let BodyFraming::Length(len) = head.framing(&Method::GET).unwrap() else {
            panic!("unexpected framing");
        };
        let len = len as usize;
        while buf.len() < at + len {
            let n = client.read(&mut chunk).unwrap();
            assert!(n > 0, "EOF inside response {i}");
            buf.extend_from_slice(&chunk[..n]);
        }
        let body = &buf[at..at + len];
        assert_eq!(
            &body[..9],
            format!("{i:08}:").as_bytes(),
            "response {i} out of order"
        );
        at += len;
        if at > 1 << 20 {
            buf.drain(..at);
            at = 0;
        }
    }
    drop(client);
    server.shutdown();
    server.wait().unwrap();
}
