//! The attacks HTTP/2 adds, each performed against `serve_h2` over real sockets, checking
//! that the server sheds the attacker and keeps serving others with bounded work: rapid
//! reset (CVE-2023-44487), CONTINUATION flood (CVE-2024-27316), SETTINGS and PING floods
//! from a client that never reads, and a client that never opens its flow-control window.
//!
//! Timeouts are configured short so the tests are quick; the tests assert what happens
//! (a GOAWAY code, a reset, the connection dropped), never how long it took.

mod h2_util;

use std::io::Write;
use std::net::TcpStream;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use corio_http::server::http2::{H2Config, DEFAULT_MAX_CONCURRENT_STREAMS};
use corio_http::{Request, Response};
use h2_util::*;
use http::StatusCode;

/// RFC 9113 error codes.
const NO_ERROR: u32 = 0x0;
const CANCEL: u32 = 0x8;
const ENHANCE_YOUR_CALM: u32 = 0xb;

/// Counts the handler futures alive at once (and the most ever), and lets the test wait
/// for a count.
#[derive(Default)]
struct Live {
    /// Alive now, most alive at once, started in all.
    counts: Mutex<(usize, usize, usize)>,
    changed: Condvar,
}

impl Live {
    fn most(&self) -> usize {
        self.counts.lock().unwrap().1
    }

    /// Waits until `n` handlers have started in all.
    fn wait_for_started(&self, n: usize) {
        let counts = self.counts.lock().unwrap();
        let (counts, timeout) = self
            .changed
            .wait_timeout_while(counts, SAFETY_TIMEOUT, |c| c.2 < n)
            .unwrap();
        assert!(
            !timeout.timed_out(),
            "{n} handlers started, saw {} (safety timeout)",
            counts.2
        );
    }

    /// Waits until no handler is alive.
    fn wait_for_none_alive(&self) {
        let counts = self.counts.lock().unwrap();
        let (counts, timeout) = self
            .changed
            .wait_timeout_while(counts, SAFETY_TIMEOUT, |c| c.0 > 0)
            .unwrap();
        assert!(
            !timeout.timed_out(),
            "every reset handler was dropped, {} still alive (safety timeout)",
            counts.0
        );
    }
}

struct LiveGuard(Arc<Live>);

impl LiveGuard {
    fn new(live: &Arc<Live>) -> LiveGuard {
        let mut counts = live.counts.lock().unwrap();
        counts.0 += 1;
        counts.1 = counts.1.max(counts.0);
        counts.2 += 1;
        live.changed.notify_all();
        LiveGuard(live.clone())
    }
}

impl Drop for LiveGuard {
    fn drop(&mut self) {
        self.0.counts.lock().unwrap().0 -= 1;
        self.0.changed.notify_all();
    }
}

async fn app(req: Request, live: Arc<Live>) -> Response {
    match req.path() {
        "/hang" => {
            let _guard = LiveGuard::new(&live);
            std::future::pending::<Response>().await
        }
        "/big" => Response::text(Bytes::from(vec![b'x'; 1024 * 1024])),
        _ => Response::text("hello"),
    }
}

fn start(config: H2Config) -> (H2Server, Arc<Live>) {
    let live = Arc::new(Live::default());
    let counted = live.clone();
    let server = H2Server::start(config, move |req| app(req, counted.clone()));
    (server, live)
}

fn short_timeouts() -> H2Config {
    H2Config {
        send_timeout: Duration::from_millis(300),
        ..H2Config::default()
    }
}

#[test]
fn rapid_reset_ends_the_connection_and_bounds_handler_work() {
    let (server, live) = start(H2Config::default());
    let mut raw = RawClient::connect(server.addr);
    // Five thousand requests, each reset right after it was sent, in one burst.
    let mut burst = Vec::new();
    for i in 0..5000u32 {
        let id = 2 * i + 1;
        burst.extend(frame(
            HEADERS,
            END_HEADERS | END_STREAM,
            id,
            &get_block("/hang"),
        ));
        burst.extend(frame(RST_STREAM, 0, id, &CANCEL.to_be_bytes()));
    }
    // The server may hang up before it read everything.
    let _ = raw.write(&burst);
    assert_eq!(raw.read_until_goaway(), Some(ENHANCE_YOUR_CALM));
    assert!(
        live.most() <= DEFAULT_MAX_CONCURRENT_STREAMS as usize,
        "at most max_concurrent_streams handlers ran at once, saw {}",
        live.most()
    );
    assert_eq!(get_once(server.addr, "/"), (200, Bytes::from("hello")));
    let outcomes = server.stop();
    assert!(
        outcomes.contains(&Err("ENHANCE_YOUR_CALM".into())),
        "{outcomes:?}"
    );
}

#[test]
fn thousands_of_accepted_then_reset_streams_leave_the_connection_serving() {
    let (server, live) = start(H2Config::default());
    let mut raw = RawClient::connect(server.addr);
    // Rounds of 100 requests (the stream limit); each round also resets the previous one's
    // streams, which the server had accepted and started handlers for. 3,000 streams.
    let mut next_id = 1u32;
    let mut previous: Vec<u32> = Vec::new();
    for round in 1..=30 {
        let mut batch = Vec::new();
        for id in previous.drain(..) {
            batch.extend(frame(RST_STREAM, 0, id, &CANCEL.to_be_bytes()));
        }
        for _ in 0..100 {
            batch.extend(frame(
                HEADERS,
                END_HEADERS | END_STREAM,
                next_id,
                &get_block("/hang"),
            ));
            previous.push(next_id);
            next_id += 2;
        }
        raw.write(&batch).unwrap();
        // This round's handlers all started: the server accepted these streams before the
        // next round resets them (streams reset while still waiting to be accepted are the
        // other limit, tested above).
        live.wait_for_started(100 * round);
    }
    for id in previous.drain(..) {
        raw.write(&frame(RST_STREAM, 0, id, &CANCEL.to_be_bytes()))
            .unwrap();
    }
    raw.write(&frame(
        HEADERS,
        END_HEADERS | END_STREAM,
        next_id,
        &get_block("/"),
    ))
    .unwrap();
    let mut answered = false;
    while let Some(read) = raw.read_frame() {
        assert_ne!(
            read.kind, GOAWAY,
            "resets of accepted streams are legitimate: {read:?}"
        );
        if read.kind == DATA && read.stream == next_id {
            answered = true;
            break;
        }
    }
    assert!(answered, "the connection still serves after the resets");
    // The resets were read before the last request and woke their streams' tasks; that
    // request may be answered inside the driver's poll before those tasks run, so wait for
    // them: every reset handler goes while the connection is still open (closing it would
    // abort them anyway, which would hide a handler that missed its reset).
    live.wait_for_none_alive();
    let most = live.most();
    assert!(most >= 1, "the handlers did start");
    assert!(
        most <= DEFAULT_MAX_CONCURRENT_STREAMS as usize,
        "{most} handlers at once"
    );
    drop(raw);
    server.stop();
}

#[test]
fn continuation_flood_ends_the_connection() {
    let (server, _) = start(H2Config::default());
    let mut raw = RawClient::connect(server.addr);
    raw.write(&frame(HEADERS, 0, 1, &get_block("/"))).unwrap();
    let field = literal_field("x-flood", &"a".repeat(100));
    for _ in 0..50 {
        // Never END_HEADERS: the header block would grow forever.
        if raw.write(&frame(CONTINUATION, 0, 1, &field)).is_err() {
            break;
        }
    }
    assert_eq!(raw.read_until_goaway(), Some(ENHANCE_YOUR_CALM));
    assert_eq!(get_once(server.addr, "/"), (200, Bytes::from("hello")));
    let outcomes = server.stop();
    assert!(
        outcomes.contains(&Err("ENHANCE_YOUR_CALM".into())),
        "{outcomes:?}"
    );
}

/// Floods `unit` frames from a client that never reads: the server must stop reading once
/// its acknowledgements back up, keep serving others, and drop the flooder after the send
/// timeout (the flooder's blocked write then fails).
fn flood_without_reading(unit: Vec<u8>) {
    let (server, _) = start(short_timeouts());
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    // A small receive window, so that the server's acknowledgements back up quickly.
    socket.set_recv_buffer_size(4096).unwrap();
    socket.connect(&server.addr.into()).unwrap();
    let mut raw = RawClient::handshake(TcpStream::from(socket));
    let batch = unit.repeat(1000);
    let flooder = std::thread::spawn(move || loop {
        if let Err(e) = raw.stream.write_all(&batch) {
            return e;
        }
    });
    assert_eq!(get_once(server.addr, "/"), (200, Bytes::from("hello")));
    let error = flooder.join().unwrap();
    assert!(
        !matches!(
            error.kind(),
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
        ),
        "the server dropped the flooder (not the safety timeout): {error}"
    );
    let outcomes = server.stop();
    assert!(
        outcomes.contains(&Err("SendStalled".into())),
        "{outcomes:?}"
    );
}

#[test]
fn settings_flood_from_a_client_that_never_reads_is_dropped() {
    // SETTINGS_MAX_CONCURRENT_STREAMS = 100: each frame must be acknowledged.
    let setting = [0x00, 0x03, 0x00, 0x00, 0x00, 0x64];
    flood_without_reading(frame(SETTINGS, 0, 0, &setting));
}

#[test]
fn ping_flood_from_a_client_that_never_reads_is_dropped() {
    flood_without_reading(frame(PING, 0, 0, b"flooding"));
}

#[test]
fn a_client_that_never_opens_its_window_gets_its_stream_reset() {
    let (server, _) = start(short_timeouts());
    let addr = server.addr;
    corio::block_on(async move {
        let mut builder = h2::client::Builder::new();
        builder.initial_window_size(0);
        let client = connect_with(addr, builder).await;
        let mut client = client.ready().await.unwrap();
        let (response, _) = client.send_request(request("GET", "/big"), true).unwrap();
        let response = response.await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let mut body = response.into_body();
        let error = body.data().await.unwrap().unwrap_err();
        assert_eq!(error.reason(), Some(h2::Reason::CANCEL), "{error}");
    });
    assert_eq!(get_once(server.addr, "/"), (200, Bytes::from("hello")));
    let outcomes = server.stop();
    assert!(outcomes.iter().all(Result::is_ok), "{outcomes:?}");
}

#[test]
fn an_idle_connection_gets_goaway_and_closes() {
    let config = H2Config {
        idle_timeout: Duration::from_millis(200),
        ..H2Config::default()
    };
    let (server, _) = start(config);
    let mut raw = RawClient::connect(server.addr);
    assert_eq!(raw.read_until_goaway(), Some(NO_ERROR));
    while raw.read_until_goaway().is_some() {}
    assert_eq!(server.stop(), vec![Ok(())]);
}

#[test]
fn a_connection_busy_with_streams_answered_at_once_is_not_idle() {
    let idle_timeout = Duration::from_millis(200);
    let config = H2Config {
        idle_timeout,
        ..H2Config::default()
    };
    let (server, _) = start(config);
    let mut raw = RawClient::connect(server.addr);
    // One request after another for several idle timeouts. Each is answered inside the
    // driver's poll, so no stream is ever open when the driver checks for idleness; the
    // connection is busy all the same and must get no GOAWAY.
    let started = Instant::now();
    let mut id = 1;
    while started.elapsed() < idle_timeout * 4 {
        raw.write(&frame(
            HEADERS,
            END_HEADERS | END_STREAM,
            id,
            &get_block("/"),
        ))
        .unwrap();
        loop {
            let read = raw.read_frame().expect("the connection stays open");
            assert_ne!(
                read.kind,
                GOAWAY,
                "GOAWAY {:?} into a busy connection",
                started.elapsed()
            );
            if read.kind == DATA && read.stream == id && read.flags & END_STREAM != 0 {
                break;
            }
        }
        id += 2;
    }
    drop(raw);
    assert_eq!(server.stop(), vec![Ok(())]);
}

#[test]
fn a_silent_client_is_pinged_and_dropped_when_it_does_not_answer() {
    let config = H2Config {
        ping_interval: Duration::from_millis(100),
        ping_timeout: Duration::from_millis(200),
        ..H2Config::default()
    };
    let (server, _) = start(config);
    let mut raw = RawClient::connect(server.addr);
    // A stream stays open (its handler never answers), so the connection is not idle.
    raw.write(&frame(
        HEADERS,
        END_HEADERS | END_STREAM,
        1,
        &get_block("/hang"),
    ))
    .unwrap();
    let mut pinged = false;
    while let Some(read) = raw.read_frame() {
        // Never acknowledged.
        pinged |= read.kind == PING && read.flags & ACK == 0;
    }
    assert!(pinged, "the server sent a PING before giving up");
    assert_eq!(server.stop(), vec![Err("PingTimedOut".into())]);
}
