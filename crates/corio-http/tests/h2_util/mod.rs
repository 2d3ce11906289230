//! Helpers of the HTTP/2 tests: a server thread that accepts corio TCP connections and
//! serves each with `serve_h2` (the entry point the accept path calls), an `h2` client over
//! the same adapter, and a raw frame client for what no well-behaved client sends.
//!
//! Socket timeouts are only a safety net so that a broken server fails a test instead of
//! hanging it; no test depends on them for its verdict.

#![allow(dead_code)]

use std::future::{poll_fn, Future};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::task::Poll;
use std::time::Duration;

use bytes::Bytes;
use corio::net::TcpListener;
use corio_http::compat::TokioIo;
use corio_http::server::http2::{serve_h2, sniff, H2Config, H2Error, Preface, Rewind};
use corio_http::server::{Handler, ShutdownSignal};
use corio_http::tls::TlsConfig;

/// How long a blocking socket call may take before the test fails (a hang guard).
pub const SAFETY_TIMEOUT: Duration = Duration::from_secs(60);

/// How each connection ended, as `serve_h2` reported it.
pub type Outcomes = Arc<Ended>;

/// The outcomes of the connections that ended, in order, and a way to wait for them.
#[derive(Default)]
pub struct Ended {
    list: Mutex<Vec<Result<(), String>>>,
    changed: std::sync::Condvar,
}

impl Ended {
    fn push(&self, outcome: Result<(), String>) {
        self.list.lock().unwrap().push(outcome);
        self.changed.notify_all();
    }

    /// The outcomes so far.
    pub fn get(&self) -> Vec<Result<(), String>> {
        self.list.lock().unwrap().clone()
    }

    /// Blocks until `n` connections have ended; their outcomes.
    pub fn wait_for(&self, n: usize) -> Vec<Result<(), String>> {
        let list = self.list.lock().unwrap();
        let (list, timeout) = self
            .changed
            .wait_timeout_while(list, SAFETY_TIMEOUT, |list| list.len() < n)
            .unwrap();
        assert!(
            !timeout.timed_out(),
            "{n} connections did not end: {list:?}"
        );
        list.clone()
    }
}

/// A server on its own thread and corio loop.
pub struct H2Server {
    pub addr: SocketAddr,
    /// TCP connections accepted so far.
    pub accepted: Arc<AtomicUsize>,
    pub shutdown: ShutdownSignal,
    pub outcomes: Outcomes,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl H2Server {
    /// Starts `handler` on 127.0.0.1:0 with `config`; connections go to `serve_h2` at once.
    pub fn start<H: Handler>(config: H2Config, handler: H) -> H2Server {
        H2Server::start_with(config, handler, Mode::Direct)
    }

    /// Like [`H2Server::start`], over TLS with `tls` (which should offer ALPN `h2`).
    pub fn start_tls<H: Handler>(config: H2Config, tls: TlsConfig, handler: H) -> H2Server {
        H2Server::start_with(config, handler, Mode::Tls(tls))
    }

    /// Like [`H2Server::start`], but each connection's first bytes are read and sniffed
    /// first, as on a cleartext port serving both protocols: the HTTP/2 preface goes to
    /// `serve_h2` behind a `Rewind`; anything else is closed (outcome `"HTTP/1"`).
    pub fn start_sniffing<H: Handler>(config: H2Config, handler: H) -> H2Server {
        H2Server::start_with(config, handler, Mode::Sniffing)
    }

    fn start_with<H: Handler>(config: H2Config, handler: H, mode: Mode) -> H2Server {
        let shutdown = ShutdownSignal::new();
        let outcomes: Outcomes = Arc::default();
        let (tx, rx) = mpsc::channel();
        let signal = shutdown.clone();
        let seen = outcomes.clone();
        let accepted = Arc::new(AtomicUsize::new(0));
        let count = accepted.clone();
        let thread = std::thread::spawn(move || {
            corio::block_on(accept_loop(config, handler, signal, seen, count, tx, mode));
        });
        let addr = rx.recv().expect("the server thread reports its address");
        H2Server {
            addr,
            accepted,
            shutdown,
            outcomes,
            thread: Some(thread),
        }
    }

    /// Triggers graceful shutdown and waits for every connection to end.
    pub fn stop(mut self) -> Vec<Result<(), String>> {
        self.shutdown.trigger();
        if let Some(thread) = self.thread.take() {
            thread.join().expect("the server thread does not panic");
        }
        self.outcomes.get()
    }
}

impl Drop for H2Server {
    fn drop(&mut self) {
        self.shutdown.trigger();
    }
}

/// What the server does with a new connection.
#[derive(Clone)]
enum Mode {
    /// `serve_h2` at once.
    Direct,
    /// Sniff the first bytes, as a cleartext port serving both protocols.
    Sniffing,
    /// A TLS handshake, then `serve_h2` on the TLS stream.
    Tls(TlsConfig),
}

async fn accept_loop<H: Handler>(
    config: H2Config,
    handler: H,
    shutdown: ShutdownSignal,
    outcomes: Outcomes,
    accepted: Arc<AtomicUsize>,
    addr_tx: mpsc::Sender<SocketAddr>,
    mode: Mode,
) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    addr_tx.send(listener.local_addr().unwrap()).unwrap();
    let handler = Arc::new(handler);
    let mut connections = Vec::new();
    loop {
        let count = &accepted;
        let accepted = {
            let mut stop = std::pin::pin!(shutdown.wait());
            poll_fn(|cx| match listener.poll_accept(cx) {
                Poll::Ready(result) => Poll::Ready(Some(result)),
                Poll::Pending => stop.as_mut().poll(cx).map(|()| None),
            })
            .await
        };
        let Some(Ok((stream, peer))) = accepted else {
            break;
        };
        count.fetch_add(1, Ordering::SeqCst);
        // As the accept path does: h2 writes small frames (WINDOW_UPDATE, SETTINGS ACK)
        // that Nagle's algorithm would hold back for a delayed ACK.
        stream.set_nodelay(true).unwrap();
        let handler = handler.clone();
        let signal = shutdown.clone();
        let outcomes = outcomes.clone();
        let mode = mode.clone();
        connections.push(corio::spawn_local(async move {
            let stop = async move { signal.wait().await };
            let end = if let Mode::Tls(tls) = mode {
                match tls.accept(stream).await {
                    Ok(tls) => serve_h2(tls, Some(peer), handler, config, stop).await,
                    Err(e) => {
                        outcomes.push(Err(e.to_string()));
                        return;
                    }
                }
            } else if let Mode::Sniffing = mode {
                let mut stream = stream;
                let mut first = Vec::new();
                let mut buf = [0u8; 64];
                let verdict = loop {
                    match sniff(&first) {
                        Preface::Undecided => {}
                        decided => break decided,
                    }
                    match stream.read(&mut buf).await {
                        Ok(n) if n > 0 => first.extend_from_slice(&buf[..n]),
                        _ => break Preface::Http1,
                    }
                };
                if verdict == Preface::Http1 {
                    outcomes.push(Err("HTTP/1".into()));
                    return;
                }
                let stream = Rewind::new(Bytes::from(first), stream);
                serve_h2(stream, Some(peer), handler, config, stop).await
            } else {
                serve_h2(stream, Some(peer), handler, config, stop).await
            };
            outcomes.push(end.map_err(describe));
        }));
    }
    for connection in connections {
        let _ = connection.await;
    }
}

fn describe(error: H2Error) -> String {
    match &error {
        H2Error::Connection(e) => match e.reason() {
            Some(reason) => format!("{reason:?}"),
            None => error.to_string(),
        },
        other => format!("{other:?}"),
    }
}

/// A gate handlers wait on until the test (or enough arrivals) opens it.
#[derive(Default)]
pub struct Gate {
    state: Mutex<(usize, bool, Vec<std::task::Waker>)>,
}

impl Gate {
    /// Counts an arrival; opens the gate at `open_at` arrivals.
    pub fn arrive(&self, open_at: usize) {
        let mut state = self.state.lock().unwrap();
        state.0 += 1;
        if state.0 >= open_at {
            state.1 = true;
            state.2.drain(..).for_each(std::task::Waker::wake);
        }
    }

    /// Opens the gate.
    pub fn open(&self) {
        self.arrive(0);
    }

    /// Waits until the gate is open.
    pub async fn wait(&self) {
        poll_fn(|cx| {
            let mut state = self.state.lock().unwrap();
            if state.1 {
                return Poll::Ready(());
            }
            state.2.push(cx.waker().clone());
            Poll::Pending
        })
        .await
    }
}

/// Opens an h2 client connection (its driver runs as a task on the current loop).
pub async fn connect(addr: SocketAddr) -> h2::client::SendRequest<Bytes> {
    connect_with(addr, h2::client::Builder::new()).await
}

/// Opens an h2 client connection with `builder`'s settings.
pub async fn connect_with(
    addr: SocketAddr,
    builder: h2::client::Builder,
) -> h2::client::SendRequest<Bytes> {
    let tcp = corio::net::TcpStream::connect(addr).await.unwrap();
    tcp.set_nodelay(true).unwrap();
    let (send, connection) = builder.handshake(TokioIo::new(tcp)).await.unwrap();
    drop(corio::spawn_local(async move {
        let _ = connection.await;
    }));
    send
}

/// A request with no body.
pub fn request(method: &str, path: &str) -> http::Request<()> {
    http::Request::builder()
        .method(method)
        .uri(format!("http://localhost{path}"))
        .body(())
        .unwrap()
}

/// Sends `request` (with `body` if any) and reads the whole response.
pub async fn send(
    client: &mut h2::client::SendRequest<Bytes>,
    request: http::Request<()>,
    body: Option<Bytes>,
) -> Result<(http::response::Parts, Bytes), h2::Error> {
    let mut client = client.clone().ready().await?;
    let (response, mut stream) = client.send_request(request, body.is_none())?;
    if let Some(body) = body {
        stream.send_data(body, true)?;
    }
    let (head, mut recv) = response.await?.into_parts();
    let mut out = Vec::new();
    while let Some(chunk) = recv.data().await {
        let chunk = chunk?;
        let _ = recv.flow_control().release_capacity(chunk.len());
        out.extend_from_slice(&chunk);
    }
    Ok((head, Bytes::from(out)))
}

/// GET `path` on a new connection; the status and body.
pub fn get_once(addr: SocketAddr, path: &str) -> (u16, Bytes) {
    let path = path.to_owned();
    corio::block_on(async move {
        let mut client = connect(addr).await;
        let (head, body) = send(&mut client, request("GET", &path), None)
            .await
            .unwrap();
        (head.status.as_u16(), body)
    })
}

/// HTTP/2 frame types used by the raw client.
pub const DATA: u8 = 0x0;
pub const HEADERS: u8 = 0x1;
pub const RST_STREAM: u8 = 0x3;
pub const SETTINGS: u8 = 0x4;
pub const PING: u8 = 0x6;
pub const GOAWAY: u8 = 0x7;
pub const CONTINUATION: u8 = 0x9;
/// Frame flags.
pub const END_STREAM: u8 = 0x1;
pub const ACK: u8 = 0x1;
pub const END_HEADERS: u8 = 0x4;
/// The client connection preface.
pub const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// One frame as read off the wire.
#[derive(Debug)]
pub struct Frame {
    pub kind: u8,
    pub flags: u8,
    pub stream: u32,
    pub payload: Vec<u8>,
}

/// Encodes one frame.
pub fn frame(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
    let len = payload.len() as u32;
    let mut out = vec![(len >> 16) as u8, (len >> 8) as u8, len as u8, kind, flags];
    out.extend_from_slice(&stream.to_be_bytes());
    out.extend_from_slice(payload);
    out
}

/// An HPACK block for `GET path` over http to `localhost`, using the static table and
/// literals without indexing only (so that it needs no dynamic-table state).
pub fn get_block(path: &str) -> Vec<u8> {
    let mut block = vec![0x82, 0x86]; // :method GET, :scheme http
    literal(&mut block, 0x04, path); // :path
    literal(&mut block, 0x01, "localhost"); // :authority
    block
}

/// A literal header field without indexing, its name from static-table entry `index`.
fn literal(block: &mut Vec<u8>, index: u8, value: &str) {
    assert!(value.len() < 127);
    block.push(index);
    block.push(value.len() as u8);
    block.extend_from_slice(value.as_bytes());
}

/// A literal header field without indexing with a new (literal) name.
pub fn literal_field(name: &str, value: &str) -> Vec<u8> {
    assert!(name.len() < 127 && value.len() < 127);
    let mut out = vec![0x00, name.len() as u8];
    out.extend_from_slice(name.as_bytes());
    out.push(value.len() as u8);
    out.extend_from_slice(value.as_bytes());
    out
}

/// A blocking client that writes and reads raw frames.
pub struct RawClient {
    pub stream: TcpStream,
}

impl RawClient {
    /// Connects and sends the preface and an empty SETTINGS frame.
    pub fn connect(addr: SocketAddr) -> RawClient {
        let stream = TcpStream::connect(addr).unwrap();
        stream.set_nodelay(true).unwrap();
        RawClient::handshake(stream)
    }

    /// Sends the preface and an empty SETTINGS frame on `stream`.
    pub fn handshake(mut stream: TcpStream) -> RawClient {
        stream.set_read_timeout(Some(SAFETY_TIMEOUT)).unwrap();
        stream.set_write_timeout(Some(SAFETY_TIMEOUT)).unwrap();
        stream.write_all(PREFACE).unwrap();
        stream.write_all(&frame(SETTINGS, 0, 0, &[])).unwrap();
        RawClient { stream }
    }

    /// Writes bytes.
    pub fn write(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.stream.write_all(bytes)
    }

    /// Reads one frame; `None` at end of stream or on a reset.
    pub fn read_frame(&mut self) -> Option<Frame> {
        let mut head = [0u8; 9];
        self.stream.read_exact(&mut head).ok()?;
        let len = u32::from_be_bytes([0, head[0], head[1], head[2]]) as usize;
        let mut payload = vec![0; len];
        self.stream.read_exact(&mut payload).ok()?;
        Some(Frame {
            kind: head[3],
            flags: head[4],
            stream: u32::from_be_bytes([head[5], head[6], head[7], head[8]]) & 0x7fff_ffff,
            payload,
        })
    }

    /// Reads frames until a GOAWAY and returns its error code (`None`: the connection
    /// ended without one). PINGs are acknowledged along the way.
    pub fn read_until_goaway(&mut self) -> Option<u32> {
        while let Some(read) = self.read_frame() {
            match read.kind {
                GOAWAY => {
                    let code = &read.payload[4..8];
                    return Some(u32::from_be_bytes([code[0], code[1], code[2], code[3]]));
                }
                PING if read.flags & ACK == 0 => {
                    let _ = self.write(&frame(PING, ACK, 0, &read.payload));
                }
                _ => {}
            }
        }
        None
    }
}
