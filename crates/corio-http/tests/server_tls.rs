//! `Server::tls` over loopback, with certificates made by the test (rcgen) and a plain
//! blocking rustls client: cleartext on the TLS port, the handshake slowloris, handshakes
//! counting toward the connection limit, resumption, `close_notify` at graceful shutdown,
//! keep-alive, pipelining and a 64 MiB file checked byte for byte.

mod tls_util;
mod util;

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::Duration;

use corio_http::server::StaticFiles;
use corio_http::tls::rustls::client::Resumption;
use corio_http::tls::rustls::pki_types::ServerName;
use corio_http::tls::rustls::{
    ClientConfig, ClientConnection, HandshakeKind, RootCertStore, StreamOwned,
};
use corio_http::tls::{provider, TlsConfig, PLAIN_HTTP_RESPONSE};
use corio_http::{Request, Response, RunningServer, Server, ServerConfig};
use tls_util::Ca;
use util::{TempDir, SAFETY_TIMEOUT};

type Tls = StreamOwned<ClientConnection, TcpStream>;

/// A test CA and a server configuration for `localhost` signed by it.
fn certificates() -> (Ca, TlsConfig) {
    let ca = Ca::new("server test CA");
    let tls = TlsConfig::from_sources(vec![ca.leaf(&["localhost"]).source()]).unwrap();
    (ca, tls)
}

fn start_tls<H: corio_http::server::Handler>(
    tls: TlsConfig,
    config: ServerConfig,
    handler: H,
) -> RunningServer {
    Server::bind("127.0.0.1:0".parse().unwrap())
        .workers(1)
        .config(config)
        .tls(tls)
        .start(handler)
        .expect("server starts")
}

async fn hello(request: Request) -> Response {
    Response::text(format!("hello {}", request.path()))
}

/// A client configuration trusting `ca` (TLS 1.3 and 1.2, or only `versions`).
fn client_config(
    ca: &Ca,
    versions: &[&'static corio_http::tls::rustls::SupportedProtocolVersion],
) -> Arc<ClientConfig> {
    let mut roots = RootCertStore::empty();
    roots.add(ca.der()).unwrap();
    let mut config = ClientConfig::builder_with_provider(provider())
        .with_protocol_versions(versions)
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.resumption = Resumption::in_memory_sessions(16);
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Arc::new(config)
}

/// Connects and completes the handshake.
fn connect(addr: SocketAddr, config: &Arc<ClientConfig>) -> Tls {
    let tcp = TcpStream::connect(addr).unwrap();
    tcp.set_read_timeout(Some(SAFETY_TIMEOUT)).unwrap();
    let name = ServerName::try_from("localhost").unwrap();
    let conn = ClientConnection::new(config.clone(), name).unwrap();
    let mut tls = StreamOwned::new(conn, tcp);
    while tls.conn.is_handshaking() {
        tls.conn.complete_io(&mut tls.sock).unwrap();
    }
    tls
}

/// Reads one response with a Content-Length body: `(head, body)`.
fn read_response(tls: &mut impl Read, pending: &mut Vec<u8>) -> (String, Vec<u8>) {
    let mut chunk = vec![0u8; 64 * 1024];
    let head_end = loop {
        if let Some(at) = util::find(pending, b"\r\n\r\n") {
            break at + 4;
        }
        let n = tls.read(&mut chunk).unwrap();
        assert!(n > 0, "closed before a response head");
        pending.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8(pending[..head_end].to_vec()).unwrap();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length: "))
        .expect("content-length")
        .parse()
        .unwrap();
    pending.drain(..head_end);
    while pending.len() < length {
        let n = tls.read(&mut chunk).unwrap();
        assert!(n > 0, "closed inside a body");
        pending.extend_from_slice(&chunk[..n]);
    }
    let body = pending.drain(..length).collect();
    (head, body)
}

#[test]
fn cleartext_to_the_tls_port_gets_400_and_https_still_works() {
    let (ca, tls) = certificates();
    let server = start_tls(tls, ServerConfig::default(), hello);
    let addr = server.local_addr();
    let reply = util::exchange(addr, "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n");
    assert_eq!(reply.status, 400);
    assert_eq!(
        reply.text(),
        "The plain HTTP request was sent to HTTPS port\n"
    );
    let mut plain = util::Client::connect(addr);
    plain.send("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n");
    assert_eq!(plain.read_to_end(), PLAIN_HTTP_RESPONSE);

    let mut tls = connect(
        addr,
        &client_config(&ca, corio_http::tls::PROTOCOL_VERSIONS),
    );
    assert_eq!(tls.conn.alpn_protocol(), Some(&b"http/1.1"[..]));
    tls.write_all(b"GET /x HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .unwrap();
    let (head, body) = read_response(&mut tls, &mut Vec::new());
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
    assert_eq!(body, b"hello /x");
    util::stop(server);
}

/// Half a ClientHello, then nothing: the first flight a real client would send, cut.
fn half_client_hello(config: &Arc<ClientConfig>) -> Vec<u8> {
    let name = ServerName::try_from("localhost").unwrap();
    let mut conn = ClientConnection::new(config.clone(), name).unwrap();
    let mut hello = Vec::new();
    conn.write_tls(&mut hello).unwrap();
    assert_eq!(hello[0], 0x16, "a handshake record");
    hello.truncate(hello.len() / 2);
    hello
}

/// A client that sends half a ClientHello and stalls is closed at the head timeout, with
/// nothing sent back; a normal client connecting meanwhile is served at once.
#[test]
fn a_handshake_slowloris_is_closed_at_the_head_timeout() {
    let (ca, tls) = certificates();
    let config = ServerConfig {
        head_timeout: Duration::from_millis(500),
        ..ServerConfig::default()
    };
    let server = start_tls(tls, config, hello);
    let addr = server.local_addr();
    let client = client_config(&ca, corio_http::tls::PROTOCOL_VERSIONS);

    let mut stalled = TcpStream::connect(addr).unwrap();
    stalled.set_read_timeout(Some(SAFETY_TIMEOUT)).unwrap();
    stalled.write_all(&half_client_hello(&client)).unwrap();

    let mut normal = connect(addr, &client);
    normal
        .write_all(b"GET /n HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .unwrap();
    let (_, body) = read_response(&mut normal, &mut Vec::new());
    assert_eq!(body, b"hello /n");

    // The server closes the stalled connection: end of stream, not the safety timeout.
    let mut rest = Vec::new();
    match stalled.read_to_end(&mut rest) {
        Ok(_) => assert!(rest.is_empty(), "{rest:?}"),
        Err(e) => assert_eq!(e.kind(), ErrorKind::ConnectionReset, "{e}"),
    }
    util::stop(server);
}

/// With a limit of one connection, a stalled handshake holds the slot: a second client's
/// handshake completes only after the server closed the first at its head timeout.
#[test]
fn handshakes_under_way_count_toward_the_connection_limit() {
    let (ca, tls) = certificates();
    let config = ServerConfig {
        head_timeout: Duration::from_secs(1),
        max_connections_per_worker: 1,
        ..ServerConfig::default()
    };
    let server = start_tls(tls, config, hello);
    let addr = server.local_addr();
    let client = client_config(&ca, corio_http::tls::PROTOCOL_VERSIONS);

    let mut stalled = TcpStream::connect(addr).unwrap();
    stalled.write_all(&half_client_hello(&client)).unwrap();
    let mut second = connect(addr, &client);
    // The second handshake is done: the stalled connection must already be closed (its FIN
    // went out before the second connection was even accepted, over loopback), so a read
    // that does not wait finds its end, not `WouldBlock`.
    stalled.set_nonblocking(true).unwrap();
    let mut byte = [0u8; 1];
    match stalled.read(&mut byte) {
        Ok(n) => assert_eq!(n, 0, "bytes on the stalled connection"),
        Err(e) => assert_eq!(
            e.kind(),
            ErrorKind::ConnectionReset,
            "the second handshake completed while the first held the only slot: {e}"
        ),
    }
    second
        .write_all(b"GET /2 HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .unwrap();
    let (_, body) = read_response(&mut second, &mut Vec::new());
    assert_eq!(body, b"hello /2");
    util::stop(server);
}

/// The second connection of a client resumes its session: with TLS 1.3 tickets and with
/// TLS 1.2. The tickets are stateless (sealed by corio's ticketer), not keys into the
/// session cache.
#[test]
fn a_second_connection_resumes() {
    let (ca, tls) = certificates();
    assert!(tls.rustls_config().ticketer.enabled());
    let server = start_tls(tls, ServerConfig::default(), hello);
    let addr = server.local_addr();
    for versions in [
        &[&corio_http::tls::rustls::version::TLS13][..],
        &[&corio_http::tls::rustls::version::TLS12][..],
    ] {
        let client = client_config(&ca, versions);
        let mut kinds = Vec::new();
        for i in 0..3 {
            let mut tls = connect(addr, &client);
            kinds.push(tls.conn.handshake_kind().unwrap());
            let request = format!("GET /{i} HTTP/1.1\r\nHost: localhost\r\n\r\n");
            tls.write_all(request.as_bytes()).unwrap();
            let (_, body) = read_response(&mut tls, &mut Vec::new());
            assert_eq!(body, format!("hello /{i}").as_bytes());
        }
        assert_eq!(kinds[0], HandshakeKind::Full, "{versions:?}");
        assert_eq!(kinds[1], HandshakeKind::Resumed, "{versions:?}");
        assert_eq!(kinds[2], HandshakeKind::Resumed, "{versions:?}");
    }
    util::stop(server);
}

/// Graceful shutdown closes an idle keep-alive TLS connection with `close_notify`: the
/// client's read ends cleanly (rustls reports an end without it as `UnexpectedEof`).
#[test]
fn graceful_shutdown_sends_close_notify() {
    let (ca, tls) = certificates();
    let server = start_tls(tls, ServerConfig::default(), hello);
    let mut tls = connect(
        server.local_addr(),
        &client_config(&ca, corio_http::tls::PROTOCOL_VERSIONS),
    );
    tls.write_all(b"GET /k HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .unwrap();
    let mut pending = Vec::new();
    let (head, _) = read_response(&mut tls, &mut pending);
    assert!(!head.contains("connection: close"), "{head}");
    server.shutdown();
    let mut rest = Vec::new();
    tls.read_to_end(&mut rest)
        .expect("a clean end: close_notify received");
    assert!(rest.is_empty() && pending.is_empty());
    server.wait().unwrap();
}

/// One TLS connection: keep-alive, three pipelined requests in one write, then a 64 MiB file
/// (streamed through the output buffer, no `sendfile`) and a range of it, checked byte for
/// byte.
#[test]
fn keep_alive_pipelining_and_a_64_mib_file_over_tls() {
    const SIZE: usize = 64 * 1024 * 1024;
    let dir = TempDir::new("tls-file");
    let content: Vec<u8> = (0..SIZE as u64)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    std::fs::write(dir.path().join("big.bin"), &content).unwrap();
    std::fs::write(dir.path().join("a.txt"), "alpha").unwrap();
    let (ca, tls) = certificates();
    let files = StaticFiles::new(dir.path()).unwrap();
    let server = start_tls(tls, ServerConfig::default(), files);
    let mut tls = connect(
        server.local_addr(),
        &client_config(&ca, corio_http::tls::PROTOCOL_VERSIONS),
    );
    let mut pending = Vec::new();
    tls.write_all(b"GET /a.txt HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .unwrap();
    assert_eq!(read_response(&mut tls, &mut pending).1, b"alpha");
    tls.write_all(
        b"GET /a.txt HTTP/1.1\r\nHost: localhost\r\n\r\n\
          HEAD /a.txt HTTP/1.1\r\nHost: localhost\r\n\r\n\
          GET /a.txt HTTP/1.1\r\nHost: localhost\r\nRange: bytes=1-3\r\n\r\n",
    )
    .unwrap();
    let (head, body) = read_response(&mut tls, &mut pending);
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert_eq!(body, b"alpha");
    // HEAD: a Content-Length and no body; read only its head.
    let end = loop {
        if let Some(at) = util::find(&pending, b"\r\n\r\n") {
            break at + 4;
        }
        let mut chunk = [0u8; 4096];
        let n = tls.read(&mut chunk).unwrap();
        pending.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8(pending.drain(..end).collect()).unwrap();
    assert!(head.contains("content-length: 5\r\n"), "{head}");
    let (head, body) = read_response(&mut tls, &mut pending);
    assert!(head.starts_with("HTTP/1.1 206"), "{head}");
    assert_eq!(body, b"lph");

    tls.write_all(b"GET /big.bin HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .unwrap();
    let (head, body) = read_response(&mut tls, &mut pending);
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert_eq!(body.len(), SIZE);
    assert!(body == content, "the 64 MiB body differs");
    tls.write_all(
        b"GET /big.bin HTTP/1.1\r\nHost: localhost\r\nRange: bytes=1000000-1999999\r\n\
          Connection: close\r\n\r\n",
    )
    .unwrap();
    let (head, body) = read_response(&mut tls, &mut pending);
    assert!(head.starts_with("HTTP/1.1 206"), "{head}");
    assert!(body == content[1_000_000..2_000_000], "the range differs");
    let mut rest = Vec::new();
    tls.read_to_end(&mut rest)
        .expect("closed with close_notify after Connection: close");
    assert!(rest.is_empty());
    util::stop(server);
}

/// ALPN: the default configuration offers `h2` and `http/1.1`; a client asking for
/// HTTP/1.1 gets it, one asking for `h2` gets HTTP/2 (the server's SETTINGS frame answers its
/// connection preface).
#[test]
fn alpn_selects_the_protocol() {
    let (ca, tls) = certificates();
    let server = start_tls(tls, ServerConfig::default(), hello);
    let addr = server.local_addr();
    let offering = |protocols: &[&[u8]]| {
        let mut config =
            ClientConfig::clone(&client_config(&ca, corio_http::tls::PROTOCOL_VERSIONS));
        config.alpn_protocols = protocols.iter().map(|p| p.to_vec()).collect();
        connect(addr, &Arc::new(config))
    };
    let mut h1 = offering(&[b"http/1.1"]);
    assert_eq!(h1.conn.alpn_protocol(), Some(&b"http/1.1"[..]));
    h1.write_all(b"GET /1 HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .unwrap();
    assert_eq!(read_response(&mut h1, &mut Vec::new()).1, b"hello /1");

    let mut h2 = offering(&[b"h2", b"http/1.1"]);
    assert_eq!(h2.conn.alpn_protocol(), Some(&b"h2"[..]));
    h2.write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\0\0\0\x04\0\0\0\0\0")
        .unwrap();
    let mut frame_head = [0u8; 9];
    h2.read_exact(&mut frame_head).unwrap();
    assert_eq!(frame_head[3], 0x4, "a SETTINGS frame: {frame_head:?}");
    drop(h2);
    util::stop(server);
}
