//! Every limit and timeout of the server, observed over a real socket: the status it answers
//! with and the connection being closed. Timeouts are configured short so the tests are quick;
//! the tests assert what happens (408, close), never how long it took.

mod util;

use std::io::{ErrorKind, Read};
use std::net::TcpStream;
use std::sync::mpsc;
use std::time::Duration;

use corio_http::proto::Limits;
use corio_http::server::ShutdownSignal;
use corio_http::{Request, Response, ServerConfig};
use util::{exchange, start, start_with, stop, Client};

async fn echo(mut req: Request) -> Response {
    match req.body_mut().to_bytes(usize::MAX).await {
        Ok(body) => Response::text(body),
        Err(e) => Response::error(e.status(), ""),
    }
}

/// Sends `raw` and expects exactly one response with `status`, `Connection: close`, then EOF.
fn expect_rejected(config: ServerConfig, raw: &[u8], status: u16) {
    let server = start_with(config, echo);
    let mut client = Client::connect(server.local_addr());
    client.send_lossy(raw);
    let replies = client.read_all_responses();
    assert_eq!(replies.len(), 1, "exactly one response, then close");
    assert_eq!(replies[0].status, status);
    assert!(replies[0].says_close());
    stop(server);
}

#[test]
fn request_line_over_8k_is_414() {
    let raw = format!("GET /{} HTTP/1.1\r\nHost: t\r\n\r\n", "a".repeat(8 * 1024));
    expect_rejected(ServerConfig::default(), raw.as_bytes(), 414);
}

#[test]
fn request_line_at_8k_is_fine() {
    let server = start(echo);
    // "GET " + "/" + path + " HTTP/1.1" == 8192 bytes exactly.
    let path = "a".repeat(8 * 1024 - "GET / HTTP/1.1".len());
    let reply = exchange(
        server.local_addr(),
        format!("GET /{path} HTTP/1.1\r\nHost: t\r\n\r\n"),
    );
    assert_eq!(reply.status, 200);
    stop(server);
}

#[test]
fn header_section_over_64k_is_431() {
    let raw = format!(
        "GET / HTTP/1.1\r\nHost: t\r\nX-Big: {}\r\n\r\n",
        "b".repeat(64 * 1024)
    );
    expect_rejected(ServerConfig::default(), raw.as_bytes(), 431);
}

#[test]
fn header_section_over_64k_in_many_fields_is_431() {
    let fields: String = (0..80)
        .map(|i| format!("X-F{i}: {}\r\n", "c".repeat(1000)))
        .collect();
    let raw = format!("GET / HTTP/1.1\r\nHost: t\r\n{fields}\r\n");
    expect_rejected(ServerConfig::default(), raw.as_bytes(), 431);
}

#[test]
fn too_many_headers_is_431() {
    // Host plus 100 more: 101 fields.
    let fields: String = (0..100).map(|i| format!("X-{i}: v\r\n")).collect();
    let raw = format!("GET / HTTP/1.1\r\nHost: t\r\n{fields}\r\n");
    expect_rejected(ServerConfig::default(), raw.as_bytes(), 431);
}

#[test]
fn hundred_headers_are_fine() {
    let server = start(echo);
    let fields: String = (0..99).map(|i| format!("X-{i}: v\r\n")).collect();
    let reply = exchange(
        server.local_addr(),
        format!("GET / HTTP/1.1\r\nHost: t\r\n{fields}\r\n"),
    );
    assert_eq!(reply.status, 200);
    stop(server);
}

#[test]
fn body_over_max_body_is_413() {
    let config = ServerConfig {
        limits: Limits {
            max_body: 10,
            ..Limits::default()
        },
        ..ServerConfig::default()
    };
    expect_rejected(
        config.clone(),
        b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 11\r\n\r\n01234567890",
        413,
    );
    // Chunked: only known while reading the body; the handler's answer is the body error's.
    expect_rejected(
        config,
        b"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n6\r\n012345\r\n6\r\n678901\r\n0\r\n\r\n",
        413,
    );
}

fn short_timeouts() -> ServerConfig {
    ServerConfig {
        head_timeout: Duration::from_millis(200),
        keep_alive_timeout: Duration::from_millis(200),
        body_timeout: Duration::from_millis(200),
        ..ServerConfig::default()
    }
}

#[test]
fn head_timeout_answers_408_to_a_slow_client() {
    let server = start_with(short_timeouts(), echo);
    let mut client = Client::connect(server.local_addr());
    client.send("GET /slow HTTP/1.1\r\nHost: t\r\nX-Partial: ");
    let replies = client.read_all_responses();
    assert_eq!(replies.len(), 1);
    assert_eq!(replies[0].status, 408);
    assert!(replies[0].says_close());
    stop(server);
}

#[test]
fn head_timeout_closes_a_silent_connection_without_answer() {
    let server = start_with(short_timeouts(), echo);
    let mut client = Client::connect(server.local_addr());
    assert!(client.is_closed(), "closed, and nothing was sent");
    stop(server);
}

#[test]
fn head_timeout_applies_to_a_later_request_on_a_kept_alive_connection() {
    let config = ServerConfig {
        keep_alive_timeout: Duration::from_secs(60),
        ..short_timeouts()
    };
    let server = start_with(config, echo);
    let mut client = Client::connect(server.local_addr());
    client.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(client.read_response().status, 200);
    client.send("GET / HTTP/1.1\r\nHo");
    let replies = client.read_all_responses();
    assert_eq!(replies.len(), 1);
    assert_eq!(replies[0].status, 408);
    stop(server);
}

#[test]
fn keep_alive_idle_timeout_closes_an_idle_connection() {
    let server = start_with(short_timeouts(), echo);
    let mut client = Client::connect(server.local_addr());
    client.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
    let reply = client.read_response();
    assert_eq!(reply.status, 200);
    assert!(!reply.says_close());
    assert!(client.is_closed(), "idle connection closed with no answer");
    stop(server);
}

#[test]
fn body_timeout_answers_408() {
    let server = start_with(short_timeouts(), echo);
    let mut client = Client::connect(server.local_addr());
    client.send("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\n01234");
    let replies = client.read_all_responses();
    assert_eq!(replies.len(), 1);
    assert_eq!(replies[0].status, 408);
    assert!(replies[0].says_close());
    stop(server);
}

/// A handler for `/slow` that reports it started, then waits until `gate` opens.
fn gated(
    gate: ShutdownSignal,
    entered: mpsc::Sender<()>,
) -> impl Fn(Request) -> std::pin::Pin<Box<dyn std::future::Future<Output = Response>>>
       + Send
       + Sync
       + 'static {
    move |req: Request| {
        let (gate, entered) = (gate.clone(), entered.clone());
        Box::pin(async move {
            if req.path() == "/slow" {
                let _ = entered.send(());
                gate.wait().await;
                Response::text("slow done")
            } else {
                Response::text("fast")
            }
        })
    }
}

/// Connects until the listener refuses; every connection that got through before that must
/// not be left hanging (it is reset, closed, or answered with `Connection: close`).
fn wait_until_refused(addr: std::net::SocketAddr) {
    for _ in 0..10_000 {
        match TcpStream::connect(addr) {
            Err(e) if e.kind() == ErrorKind::ConnectionRefused => return,
            // The listener closed during the handshake.
            Err(e) if e.kind() == ErrorKind::ConnectionReset => {}
            Err(e) => panic!("unexpected connect error: {e}"),
            Ok(stream) => {
                let mut client = Client::from_stream(stream);
                client.send_lossy("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
                if let Some(reply) = client.try_read_response(false) {
                    assert!(reply.says_close(), "served during shutdown with keep-alive");
                }
            }
        }
        std::thread::yield_now();
    }
    panic!("the listener still accepts connections after shutdown");
}

#[test]
fn graceful_shutdown_finishes_in_flight_requests() {
    let gate = ShutdownSignal::new();
    let (entered_tx, entered) = mpsc::channel();
    let server = start(gated(gate.clone(), entered_tx));
    let addr = server.local_addr();

    let mut idle = Client::connect(addr);
    idle.send("GET /fast HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(idle.read_response().text(), "fast");

    let mut busy = Client::connect(addr);
    busy.send("GET /slow HTTP/1.1\r\nHost: t\r\n\r\n");
    entered
        .recv()
        .expect("the slow request reached the handler");

    server.shutdown();
    assert!(
        idle.is_closed(),
        "idle keep-alive connections close on shutdown"
    );
    wait_until_refused(addr);

    // The in-flight request is still waiting; let it finish.
    gate.trigger();
    let reply = busy.read_response();
    assert_eq!(reply.status, 200);
    assert_eq!(reply.text(), "slow done");
    assert!(reply.says_close(), "answered with Connection: close");
    assert!(busy.is_closed());
    server.wait().expect("wait returns after the drain");
    assert_eq!(
        TcpStream::connect(addr).map_err(|e| e.kind()).err(),
        Some(ErrorKind::ConnectionRefused)
    );
}

#[test]
fn graceful_shutdown_serves_a_request_pipelined_behind_the_in_flight_one_no_further() {
    let gate = ShutdownSignal::new();
    let (entered_tx, entered) = mpsc::channel();
    let server = start(gated(gate.clone(), entered_tx));
    let mut idle = Client::connect(server.local_addr());
    let mut busy = Client::connect(server.local_addr());
    busy.send("GET /slow HTTP/1.1\r\nHost: t\r\n\r\nGET /fast HTTP/1.1\r\nHost: t\r\n\r\n");
    entered.recv().unwrap();
    server.shutdown();
    // The idle connection closing shows the worker has seen the shutdown.
    assert!(idle.is_closed());
    gate.trigger();
    let replies = busy.read_all_responses();
    assert_eq!(
        replies.len(),
        1,
        "the connection closes after the in-flight one"
    );
    assert_eq!(replies[0].text(), "slow done");
    assert!(replies[0].says_close());
    server.wait().unwrap();
}

#[test]
fn shutdown_grace_expiry_drops_stuck_requests_and_wait_returns() {
    let gate = ShutdownSignal::new();
    let (entered_tx, entered) = mpsc::channel();
    let config = ServerConfig {
        shutdown_grace: Duration::from_millis(200),
        ..ServerConfig::default()
    };
    let server = start_with(config, gated(gate, entered_tx));
    let mut stuck = Client::connect(server.local_addr());
    stuck.send("GET /slow HTTP/1.1\r\nHost: t\r\n\r\n");
    entered.recv().unwrap();
    server.shutdown();
    server
        .wait()
        .expect("wait returns once the grace period is over");
    assert!(stuck.is_closed(), "the stuck connection was dropped");
}

#[test]
fn per_worker_connection_limit() {
    let config = ServerConfig {
        max_connections_per_worker: 2,
        ..ServerConfig::default()
    };
    let server = start_with(config, echo);
    let addr = server.local_addr();
    let request = "GET / HTTP/1.1\r\nHost: t\r\n\r\n";
    let mut first = Client::connect(addr);
    first.send(request);
    assert_eq!(first.read_response().status, 200);
    let mut second = Client::connect(addr);
    second.send(request);
    assert_eq!(second.read_response().status, 200);

    // The kernel completes the handshake (backlog), but the server does not accept it.
    let mut third = TcpStream::connect(addr).unwrap();
    std::io::Write::write_all(&mut third, request.as_bytes()).unwrap();
    // A round trip on each served connection: the worker has run since the third arrived.
    for client in [&mut first, &mut second] {
        client.send(request);
        assert_eq!(client.read_response().status, 200);
    }
    third.set_nonblocking(true).unwrap();
    let mut byte = [0u8; 1];
    assert_eq!(
        third.read(&mut byte).map_err(|e| e.kind()).err(),
        Some(ErrorKind::WouldBlock),
        "the third connection is not served while two are open"
    );
    third.set_nonblocking(false).unwrap();

    drop(first);
    let mut third = Client::from_stream(third);
    let reply = third.read_response();
    assert_eq!(reply.status, 200, "served once a slot freed up");
    stop(server);
}
