//! Live heap bytes per idle keep-alive connection on the plaintext server, measured by dhat's
//! counting allocator, so that a change that makes every connection bigger cannot land
//! silently. Resident memory at 1,024 connections is a measured goal against raw-epoll (see
//! ARCHITECTURE.md), and the heap that grows with connections is most of it.
//!
//! The server (one worker) and a blocking client share this process. The client's sockets and
//! buffers are allocated before the first measurement (and freed after the second), so the
//! difference between the two is the server's: each connection's task, its I/O state, its
//! registration and its timer, and its share of the loop's slabs.

use std::io::{Read, Write};
use std::net::TcpStream;

use bytes::Bytes;
use corio_http::{Request, Response, Server};

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

const BODY: Bytes = Bytes::from_static(b"Hello, World!");
const REQUEST: &[u8] = b"GET /plaintext HTTP/1.1\r\nHost: localhost\r\n\r\n";
/// Idle connections measured: enough that the loop's slabs are sized by them.
const CONNECTIONS: usize = 600;
/// The bound: live heap bytes per idle keep-alive connection in a debug build (measured 876
/// when set, from 1,051 before the handler's future moved out of the connection's task into
/// a box from the worker's pool and the task stopped keeping a copy of `serve`'s arguments,
/// and from 1,286 before the connection tasks were detached and the I/O state, the socket's
/// state, the task's slab slot and `Deadline` shrank. Per connection: its task's box, its I/O
/// state 168, its timer's state 72, its socket's state 72, its task core 40, and its share of
/// the loop's slabs, sized for 1,024 entries here). A change that adds to every connection
/// must lower something else or raise this bound with a reason.
const MAX_BYTES_PER_CONNECTION: u64 = 900;

/// Sends one request on `conn` and reads its whole response (`Hello, World!` ends it).
fn exchange(conn: &mut TcpStream, buf: &mut [u8]) {
    conn.write_all(REQUEST).unwrap();
    let mut got = 0;
    while !buf[..got].ends_with(b"Hello, World!") {
        let n = conn.read(&mut buf[got..]).unwrap();
        assert!(n > 0, "the server closed the connection");
        got += n;
    }
}

#[test]
fn an_idle_keep_alive_connection_holds_at_most_its_budget_of_heap() {
    let _profiler = dhat::Profiler::builder().testing().build();
    let server = Server::bind("127.0.0.1:0".parse().unwrap())
        .workers(1)
        .start(|_req: Request| async { Response::text(BODY) })
        .unwrap();
    let addr = server.local_addr();
    let mut buf = vec![0u8; 4096];
    // Warm up: the buffer pools, the `Date` cache and the loop's own state exist before the
    // first measurement. The client's sockets are made now too.
    let mut sync = TcpStream::connect(addr).unwrap();
    exchange(&mut sync, &mut buf);
    let mut conns = Vec::with_capacity(CONNECTIONS);
    conns.resize_with(CONNECTIONS, || None::<TcpStream>);

    let before = dhat::HeapStats::get();
    for slot in conns.iter_mut() {
        let mut conn = TcpStream::connect(addr).unwrap();
        exchange(&mut conn, &mut buf);
        *slot = Some(conn);
    }
    // The worker serves in order on one thread: once it answered this request, it has
    // finished the steps that answered every connection above.
    exchange(&mut sync, &mut buf);
    let after = dhat::HeapStats::get();

    let grown = after.curr_bytes as u64 - before.curr_bytes as u64;
    let per_connection = grown / CONNECTIONS as u64;
    let blocks = (after.curr_blocks - before.curr_blocks) as f64 / CONNECTIONS as f64;
    eprintln!("{per_connection} live heap bytes and {blocks:.2} blocks per idle connection");
    assert!(
        per_connection <= MAX_BYTES_PER_CONNECTION,
        "{per_connection} live heap bytes per idle keep-alive connection, over the budget of \
         {MAX_BYTES_PER_CONNECTION}"
    );
    drop(conns);
    drop(sync);
    server.shutdown();
    server.wait().unwrap();
}
