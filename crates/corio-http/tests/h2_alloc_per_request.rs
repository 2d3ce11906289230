//! Allocations per HTTP/2 request on the plaintext path, counted by a counting global allocator
//! (dhat in testing mode), so that a change that adds one cannot land silently.
//!
//! The server (one worker, h2c with prior knowledge on its cleartext port) and a blocking raw
//! frame client share this process. The client writes pre-encoded HEADERS frames and reads
//! frames into one reused buffer: it allocates nothing per request, so every allocation
//! counted while requests are served is the server's (corio's and the `h2` crate's).
//! Requests go one stream at a time and then ten streams at once, as `h2load -m 1` and
//! `-m 10` send them.

mod h2_util;

use std::io::{Read, Write};
use std::net::TcpStream;

use bytes::Bytes;
use corio_http::{Request, Response, Server};
use h2_util::{
    frame, get_block, literal_field, ACK, DATA, END_HEADERS, END_STREAM, GOAWAY, HEADERS, PING,
    PREFACE, RST_STREAM, SAFETY_TIMEOUT, SETTINGS,
};

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

const BODY: Bytes = Bytes::from_static(b"Hello, World!");
/// Streams per batch in the concurrent rounds.
const CONCURRENT: usize = 10;
const ROUNDS: usize = 200;
/// WINDOW_UPDATE's frame type.
const WINDOW_UPDATE: u8 = 0x8;
/// The largest frame the client accepts (the default SETTINGS_MAX_FRAME_SIZE).
const MAX_FRAME: usize = 16_384;

/// What the server allocates per request: the `h2` crate's decoded header map of the request
/// (two tables) and the response's header map (two tables, which h2 consumes). Not the request
/// head's box (a dropped request gives it back to the worker for the next head), nor the
/// handler's future (polled in a box the connection reuses), nor a `Host` field (made only when
/// a handler reads the fields), nor the `content-length` value (shared while the length stays
/// the same). hyper's HTTP/2 server makes seven under h2load: it also allocates the length
/// (twice) and a task per stream, and no head.
const PER_REQUEST: u64 = 4;

/// Periodic work that is not per request: the cached `Date` value is rebuilt once a second
/// (a few allocations each time). The run takes about a second in a debug build; this leaves
/// room for half a minute on a loaded machine, and is still far below one more allocation
/// per request.
const PERIODIC_SLACK: u64 = 100;

/// A blocking h2c client that sends GETs for `/plaintext` and counts the responses' ends.
struct Client {
    conn: TcpStream,
    /// One HEADERS frame per stream of a batch, their stream ids rewritten for each batch.
    requests: Vec<u8>,
    /// The length of one HEADERS frame in `requests`.
    frame_len: usize,
    next_stream: u32,
    buf: Vec<u8>,
    bodies: usize,
}

impl Client {
    fn connect(addr: std::net::SocketAddr) -> Client {
        let mut conn = TcpStream::connect(addr).unwrap();
        conn.set_nodelay(true).unwrap();
        conn.set_read_timeout(Some(SAFETY_TIMEOUT)).unwrap();
        conn.set_write_timeout(Some(SAFETY_TIMEOUT)).unwrap();
        conn.write_all(PREFACE).unwrap();
        conn.write_all(&frame(SETTINGS, 0, 0, &[])).unwrap();
        // The connection's receive window, opened to its maximum: the 13-byte bodies of
        // thousands of responses would exhaust the default 64 KiB.
        let increment = (i32::MAX as u32 - 65_535).to_be_bytes();
        conn.write_all(&frame(WINDOW_UPDATE, 0, 0, &increment))
            .unwrap();
        // The field h2load sends besides the pseudo-header fields, as it sends it: added to
        // the dynamic table by the first request, then indexed (the first entry, 62).
        let mut first = get_block("/plaintext");
        first.push(0x40); // a literal with incremental indexing and a new name
        first.extend(&literal_field("user-agent", "h2load nghttp2/1.52.0")[1..]);
        let mut block = get_block("/plaintext");
        block.push(0x80 | 62);
        let one = frame(HEADERS, END_HEADERS | END_STREAM, 1, &block);
        let mut client = Client {
            conn,
            frame_len: one.len(),
            requests: one.repeat(CONCURRENT),
            next_stream: 3,
            buf: vec![0; 9 + MAX_FRAME],
            bodies: 0,
        };
        client
            .conn
            .write_all(&frame(HEADERS, END_HEADERS | END_STREAM, 1, &first))
            .unwrap();
        client.read_responses(1);
        client
    }

    /// Sends `n` requests on new streams in one write and reads until each has its body.
    fn round(&mut self, n: usize) {
        for i in 0..n {
            let at = i * self.frame_len + 5;
            self.requests[at..at + 4].copy_from_slice(&self.next_stream.to_be_bytes());
            self.next_stream += 2;
        }
        self.conn
            .write_all(&self.requests[..n * self.frame_len])
            .unwrap();
        self.read_responses(n);
    }

    /// Reads frames until `n` responses have ended, answering SETTINGS and PING.
    fn read_responses(&mut self, n: usize) {
        let mut ended = 0;
        while ended < n {
            let (kind, flags, len) = self.read_frame();
            match kind {
                DATA => {
                    assert_eq!(&self.buf[9..9 + len], &BODY[..]);
                    assert_ne!(flags & END_STREAM, 0, "one DATA frame per response");
                    self.bodies += 1;
                    ended += 1;
                }
                SETTINGS if flags & ACK == 0 => {
                    self.conn.write_all(&SETTINGS_ACK).unwrap();
                }
                PING if flags & ACK == 0 => {
                    let mut pong = [0u8; 17];
                    pong[..9].copy_from_slice(&[0, 0, 8, PING, ACK, 0, 0, 0, 0]);
                    pong[9..].copy_from_slice(&self.buf[9..17]);
                    self.conn.write_all(&pong).unwrap();
                }
                GOAWAY | RST_STREAM => panic!("frame type {kind} from the server"),
                _ => {}
            }
        }
    }

    /// Reads one frame into `buf`: its type, flags and payload length.
    fn read_frame(&mut self) -> (u8, u8, usize) {
        self.conn.read_exact(&mut self.buf[..9]).unwrap();
        let len = u32::from_be_bytes([0, self.buf[0], self.buf[1], self.buf[2]]) as usize;
        assert!(len <= MAX_FRAME, "a {len}-byte frame");
        let (kind, flags) = (self.buf[3], self.buf[4]);
        self.conn.read_exact(&mut self.buf[9..9 + len]).unwrap();
        (kind, flags, len)
    }
}

/// An empty SETTINGS frame with the ACK flag.
const SETTINGS_ACK: [u8; 9] = [0, 0, 0, SETTINGS, ACK, 0, 0, 0, 0];

#[test]
fn plaintext_over_h2c_costs_a_fixed_number_of_allocations_per_request() {
    let _profiler = dhat::Profiler::builder().testing().build();
    let server = Server::bind("127.0.0.1:0".parse().unwrap())
        .workers(1)
        .start(|_req: Request| async { Response::text(BODY) })
        .unwrap();
    let mut client = Client::connect(server.local_addr());

    // Warm up: pools, buffers, h2's slab and HPACK tables reach their steady state.
    for _ in 0..ROUNDS {
        client.round(1);
        client.round(CONCURRENT);
    }

    let before = dhat::HeapStats::get().total_blocks;
    for _ in 0..ROUNDS {
        client.round(1);
    }
    for _ in 0..ROUNDS {
        client.round(CONCURRENT);
    }
    let allocations = dhat::HeapStats::get().total_blocks - before;
    let requests = (ROUNDS + ROUNDS * CONCURRENT) as u64;
    assert_eq!(client.bodies as u64, 2 * requests + 1);
    eprintln!("{allocations} allocations for {requests} requests");
    assert!(
        allocations <= PER_REQUEST * requests + PERIODIC_SLACK,
        "{allocations} allocations for {requests} requests: more than {PER_REQUEST} per request"
    );
    drop(client);
    server.shutdown();
    server.wait().unwrap();
}
