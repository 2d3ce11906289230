//! Allocations per request on the plaintext path, counted by a counting global allocator
//! (dhat in testing mode), so that a change that adds one cannot land silently.
//!
//! The server (one worker) and a blocking client share this process; the client reuses one
//! buffer and allocates nothing per request, so every allocation counted while requests are
//! served is the server's. The goal: none per request. (The boxed head, which holds the head
//! bytes inline, was the last one: a dropped request gives its box back to the worker for the
//! next head.)

use std::io::{Read, Write};
use std::net::TcpStream;

use bytes::Bytes;
use corio_http::{Request, Response, Server};

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

const BODY: Bytes = Bytes::from_static(b"Hello, World!");
const REQUEST: &[u8] =
    b"GET /plaintext HTTP/1.1\r\nHost: localhost\r\nUser-Agent: corio-test\r\n\r\n";
const PIPELINE: usize = 16;
const ROUNDS: usize = 200;

/// Periodic work that is not per request: the cached `Date` field is rebuilt once a second.
/// The run takes a few seconds at most in a debug build, so a handful of allocations.
const PERIODIC_SLACK: u64 = 16;

fn read_exactly(conn: &mut TcpStream, buf: &mut [u8]) {
    conn.read_exact(buf).expect("read responses");
}

#[test]
fn plaintext_allocates_nothing_per_request() {
    let _profiler = dhat::Profiler::builder().testing().build();
    let server = Server::bind("127.0.0.1:0".parse().unwrap())
        .workers(1)
        .start(|_req: Request| async { Response::text(BODY) })
        .unwrap();
    let mut conn = TcpStream::connect(server.local_addr()).unwrap();
    conn.set_nodelay(true).unwrap();

    // The first response tells the length of every response (the Date field has a fixed width).
    conn.write_all(REQUEST).unwrap();
    let mut first = vec![0u8; 4096];
    let mut got = 0;
    while !first[..got].ends_with(b"Hello, World!") {
        got += conn.read(&mut first[got..]).unwrap();
    }
    let response_len = got;
    let batch: Vec<u8> = REQUEST.repeat(PIPELINE);
    let mut responses = vec![0u8; response_len * PIPELINE];

    // Warm up: pools, buffers and caches reach their steady state.
    for _ in 0..ROUNDS {
        conn.write_all(REQUEST).unwrap();
        read_exactly(&mut conn, &mut responses[..response_len]);
        conn.write_all(&batch).unwrap();
        read_exactly(&mut conn, &mut responses);
    }

    let before = dhat::HeapStats::get().total_blocks;
    // One request at a time, then pipelined batches.
    for _ in 0..ROUNDS {
        conn.write_all(REQUEST).unwrap();
        read_exactly(&mut conn, &mut responses[..response_len]);
    }
    for _ in 0..ROUNDS {
        conn.write_all(&batch).unwrap();
        read_exactly(&mut conn, &mut responses);
    }
    let allocations = dhat::HeapStats::get().total_blocks - before;
    let requests = (ROUNDS + ROUNDS * PIPELINE) as u64;
    assert!(
        responses.ends_with(b"Hello, World!"),
        "{}",
        String::from_utf8_lossy(&responses)
    );
    eprintln!("{allocations} allocations for {requests} requests");
    assert!(
        allocations <= PERIODIC_SLACK,
        "{allocations} allocations for {requests} requests: requests allocate"
    );
    drop(conn);
    server.shutdown();
    server.wait().unwrap();
}
