//! HTTP/2 wired into `Server`: HTTP/1.1 and h2 with prior knowledge on one cleartext port
//! (the connection preface decides), h2 over TLS chosen by ALPN with the default `TlsConfig`,
//! the GOAWAY of graceful shutdown with the stream in flight finishing, and `StaticFiles`
//! over h2 on a real server.

mod h2_util;
mod tls_util;
mod util;

use std::collections::HashSet;
use std::io::Write;
use std::sync::{mpsc, Arc, Mutex};

use corio_http::client::{Client, Protocol};
use corio_http::proto::Version;
use corio_http::server::StaticFiles;
use corio_http::tls::TlsConfig;
use corio_http::{Request, Response, Server};
use h2_util::{frame, get_block, Gate, RawClient, DATA, END_HEADERS, END_STREAM, HEADERS, PING};
use http::StatusCode;

/// Requests sent at once over one h2 connection in the multiplexing check.
const CONCURRENT: usize = 20;

/// Answers with the protocol version and path, and records the client's port (one port per
/// TCP connection).
fn app(ports: Arc<Mutex<HashSet<u16>>>) -> impl Fn(Request) -> std::future::Ready<Response> {
    move |req: Request| {
        ports
            .lock()
            .unwrap()
            .insert(req.remote_addr().unwrap().port());
        let text = format!("{} {}", req.version().as_str(), req.path());
        std::future::ready(Response::text(text))
    }
}

#[test]
fn http1_and_h2_share_one_cleartext_port() {
    let ports = Arc::new(Mutex::new(HashSet::new()));
    let server = util::start(app(ports.clone()));
    let addr = server.local_addr();

    let reply = util::get(addr, "/one", "");
    assert_eq!(reply.status, 200);
    assert_eq!(reply.text(), "HTTP/1.1 /one");

    let (head, body) = corio::block_on(async move {
        let mut client = h2_util::connect(addr).await;
        h2_util::send(&mut client, h2_util::request("GET", "/two"), None)
            .await
            .unwrap()
    });
    assert_eq!(head.status, StatusCode::OK);
    assert_eq!(&body[..], b"HTTP/2 /two");
    // The worker's clock runs for h2 connections too.
    let date = head.headers["date"].to_str().unwrap();
    assert!(date.ends_with(" GMT"), "{date}");

    ports.lock().unwrap().clear();
    let base = format!("http://127.0.0.1:{}", addr.port());
    corio::block_on(async move {
        let client = Client::builder()
            .protocol(Protocol::Http2PriorKnowledge)
            .build();
        let tasks: Vec<_> = (0..CONCURRENT)
            .map(|i| {
                let client = client.clone();
                let url = format!("{base}/many/{i}");
                corio::spawn_local(async move { (i, client.get(&url).await.unwrap()) })
            })
            .collect();
        for task in tasks {
            let (i, response) = task.await.unwrap();
            assert_eq!(response.version, Version::Http2);
            assert_eq!(response.text(), format!("HTTP/2 /many/{i}"));
        }
    });
    assert_eq!(
        ports.lock().unwrap().len(),
        1,
        "one connection carried them all"
    );
    util::stop(server);
}

/// The preface split across writes is still recognised.
#[test]
fn a_preface_sent_in_pieces_is_recognised() {
    let server = util::start(app(Arc::default()));
    let mut stream = std::net::TcpStream::connect(server.local_addr()).unwrap();
    stream.set_nodelay(true).unwrap();
    stream.set_read_timeout(Some(util::SAFETY_TIMEOUT)).unwrap();
    for piece in h2_util::PREFACE.chunks(5) {
        stream.write_all(piece).unwrap();
    }
    stream
        .write_all(&frame(h2_util::SETTINGS, 0, 0, &[]))
        .unwrap();
    let mut raw = RawClient { stream };
    raw.write(&frame(
        HEADERS,
        END_HEADERS | END_STREAM,
        1,
        &get_block("/pieces"),
    ))
    .unwrap();
    let (head, body) = read_stream(&mut raw, 1);
    // `:status: 200` is HPACK static-table entry 8.
    assert_eq!(head[0], 0x88, "{head:?}");
    assert_eq!(body, b"HTTP/2 /pieces");
    // Closed by the client: a client that stays, silent, would hold graceful shutdown for
    // its grace period (it never acknowledges the GOAWAY's PING).
    drop(raw);
    util::stop(server);
}

/// Bytes that start like the preface but are not it go to the HTTP/1.1 parser, which refuses
/// the version.
#[test]
fn a_near_preface_is_http1_and_refused() {
    let server = util::start(app(Arc::default()));
    let reply = util::exchange(server.local_addr(), "PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n");
    assert_eq!(reply.status, 505, "{reply:?}");
    util::stop(server);
}

#[test]
fn h2_over_tls_by_alpn_with_the_default_config() {
    let ca = tls_util::Ca::new("h2 wiring CA");
    let tls = TlsConfig::from_sources(vec![ca.leaf(&["localhost"]).source()]).unwrap();
    let server = Server::bind("127.0.0.1:0".parse().unwrap())
        .workers(1)
        .tls(tls)
        .start(app(Arc::default()))
        .expect("server starts");
    let base = format!("https://localhost:{}", server.local_addr().port());
    corio::block_on(async move {
        let h2 = Client::builder()
            .add_root_certificates([ca.der()])
            .protocol(Protocol::Http2)
            .build();
        let response = h2.get(&format!("{base}/tls")).await.unwrap();
        assert_eq!(response.version, Version::Http2);
        assert_eq!(response.text(), "HTTP/2 /tls");
        let h1 = Client::builder().add_root_certificates([ca.der()]).build();
        let response = h1.get(&format!("{base}/tls")).await.unwrap();
        assert_eq!(response.version, Version::Http11);
        assert_eq!(response.text(), "HTTP/1.1 /tls");
    });
    util::stop(server);
}

/// Shutdown sends a GOAWAY while a stream is in flight; the stream still gets its whole
/// response, then the connection closes and the server stops.
#[test]
fn graceful_shutdown_sends_goaway_and_finishes_the_stream() {
    let gate = Arc::new(Gate::default());
    let (arrived, arrivals) = mpsc::channel();
    let arrived = Mutex::new(arrived);
    let handler = {
        let gate = gate.clone();
        move |_req: Request| {
            let gate = gate.clone();
            arrived.lock().unwrap().send(()).unwrap();
            async move {
                gate.wait().await;
                Response::text("finished")
            }
        }
    };
    let server = util::start(handler);
    let mut raw = RawClient::connect(server.local_addr());
    raw.write(&frame(
        HEADERS,
        END_HEADERS | END_STREAM,
        1,
        &get_block("/slow"),
    ))
    .unwrap();
    arrivals.recv_timeout(util::SAFETY_TIMEOUT).unwrap();
    server.shutdown();
    assert_eq!(raw.read_until_goaway(), Some(0), "GOAWAY with NO_ERROR");
    gate.open();
    let (head, body) = read_stream(&mut raw, 1);
    assert_eq!(head[0], 0x88, "200: {head:?}");
    assert_eq!(body, b"finished");
    while raw.read_frame().is_some() {}
    server
        .wait()
        .expect("the server stops once the stream finished");
}

#[test]
fn static_files_over_h2_on_a_server() {
    let dir = util::TempDir::new("h2-wiring-static");
    let large: Vec<u8> = (0..1024 * 1024u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(dir.path().join("large.bin"), &large).unwrap();
    std::fs::write(dir.path().join("index.html"), "<p>hi</p>").unwrap();
    let server = util::start(StaticFiles::new(dir.path()).unwrap());
    let addr = server.local_addr();
    let (status, body) = h2_util::get_once(addr, "/large.bin");
    assert_eq!(status, 200);
    assert!(body[..] == large[..], "the file differs over h2");
    let (status, body) = h2_util::get_once(addr, "/");
    assert_eq!(status, 200);
    assert_eq!(&body[..], b"<p>hi</p>");
    let (status, _) = h2_util::get_once(addr, "/missing");
    assert_eq!(status, 404);
    util::stop(server);
}

/// Reads frames (acknowledging PINGs) until `stream` ends: its header block and body.
fn read_stream(raw: &mut RawClient, stream: u32) -> (Vec<u8>, Vec<u8>) {
    let (mut head, mut body) = (Vec::new(), Vec::new());
    loop {
        let read = raw
            .read_frame()
            .expect("the stream ends before the connection");
        if read.kind == PING && read.flags & h2_util::ACK == 0 {
            raw.write(&frame(PING, h2_util::ACK, 0, &read.payload))
                .unwrap();
            continue;
        }
        if read.stream != stream {
            continue;
        }
        match read.kind {
            HEADERS => head.extend_from_slice(&read.payload),
            DATA => body.extend_from_slice(&read.payload),
            _ => {}
        }
        if read.kind != h2_util::SETTINGS && read.flags & END_STREAM != 0 {
            return (head, body);
        }
    }
}
