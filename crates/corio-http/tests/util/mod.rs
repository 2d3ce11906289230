//! Shared helpers of the server integration tests: start a server on 127.0.0.1 port 0, and a
//! raw-socket client on plain blocking `std::net` sockets that sends bytes verbatim and reads
//! responses with their real framing (`Content-Length`, chunked, close-delimited).
//!
//! Read timeouts on the client sockets are only a safety net so that a broken server fails a
//! test instead of hanging it; no test depends on them for its verdict.

#![allow(dead_code)]

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::time::Duration;

use corio_http::server::Handler;
use corio_http::{RunningServer, Server, ServerConfig};

/// How long a client read may block before the test fails (a hang guard, not a verdict).
pub const SAFETY_TIMEOUT: Duration = Duration::from_secs(30);

/// Starts `handler` on 127.0.0.1:0 with one worker and the default config.
pub fn start<H: Handler>(handler: H) -> RunningServer {
    start_with(ServerConfig::default(), handler)
}

/// Starts `handler` on 127.0.0.1:0 with one worker and `config`.
pub fn start_with<H: Handler>(config: ServerConfig, handler: H) -> RunningServer {
    Server::bind("127.0.0.1:0".parse().unwrap())
        .workers(1)
        .config(config)
        .start(handler)
        .expect("server starts")
}

/// Shuts the server down and waits for it.
pub fn stop(server: RunningServer) {
    server.shutdown();
    server.wait().expect("server stops cleanly");
}

/// One response as read off the wire.
#[derive(Debug, Clone)]
pub struct Reply {
    /// The status line's version, `HTTP/1.1`.
    pub version: String,
    /// The status code.
    pub status: u16,
    /// The header fields in order, names lowercased.
    pub headers: Vec<(String, String)>,
    /// The body, de-chunked.
    pub body: Vec<u8>,
    /// Trailer fields of a chunked body.
    pub trailers: Vec<(String, String)>,
    /// Whether the body was chunked.
    pub chunked: bool,
}

impl Reply {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of header `name`.
    pub fn headers_named(&self, name: &str) -> Vec<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .filter(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// Whether the response announced `Connection: close`.
    pub fn says_close(&self) -> bool {
        self.header("connection")
            .is_some_and(|v| v.eq_ignore_ascii_case("close"))
    }
}

/// A raw HTTP/1.x client connection.
pub struct Client {
    stream: TcpStream,
    buf: Vec<u8>,
    eof: bool,
}

impl Client {
    /// Connects to `addr`.
    pub fn connect(addr: SocketAddr) -> Client {
        let stream = TcpStream::connect(addr).expect("connect");
        Client::from_stream(stream)
    }

    /// Wraps a connected stream.
    pub fn from_stream(stream: TcpStream) -> Client {
        stream.set_read_timeout(Some(SAFETY_TIMEOUT)).unwrap();
        stream.set_write_timeout(Some(SAFETY_TIMEOUT)).unwrap();
        stream.set_nodelay(true).unwrap();
        Client {
            stream,
            buf: Vec::new(),
            eof: false,
        }
    }

    /// The socket, for tests that need it raw.
    pub fn stream(&self) -> &TcpStream {
        &self.stream
    }

    /// Sends `bytes` as they are.
    pub fn send(&mut self, bytes: impl AsRef<[u8]>) {
        self.stream.write_all(bytes.as_ref()).expect("send");
    }

    /// Sends `bytes`, tolerating the server having closed already (it may answer and close
    /// before reading everything a bad request carried).
    pub fn send_lossy(&mut self, bytes: impl AsRef<[u8]>) {
        let _ = self.stream.write_all(bytes.as_ref());
    }

    /// Half-closes the write side.
    pub fn shutdown_write(&self) {
        let _ = self.stream.shutdown(Shutdown::Write);
    }

    /// Reads more bytes into the buffer; returns how many (0: end of stream). A reset counts
    /// as end of stream: the server closed on us.
    fn fill(&mut self) -> usize {
        if self.eof {
            return 0;
        }
        let mut chunk = [0u8; 64 * 1024];
        loop {
            match self.stream.read(&mut chunk) {
                Ok(0) => {
                    self.eof = true;
                    return 0;
                }
                Ok(n) => {
                    self.buf.extend_from_slice(&chunk[..n]);
                    return n;
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) if e.kind() == ErrorKind::ConnectionReset => {
                    self.eof = true;
                    return 0;
                }
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                    panic!(
                        "no data from the server within the {SAFETY_TIMEOUT:?} safety timeout; \
                         buffered: {:?}",
                        String::from_utf8_lossy(&self.buf)
                    )
                }
                Err(e) => panic!("read failed: {e}"),
            }
        }
    }

    /// Reads until the buffer holds at least `n` bytes; false if the stream ended first.
    fn fill_to(&mut self, n: usize) -> bool {
        while self.buf.len() < n {
            if self.fill() == 0 {
                return false;
            }
        }
        true
    }

    /// Reads until `needle` is in the buffer; its end position, or `None` at end of stream.
    fn fill_until(&mut self, needle: &[u8]) -> Option<usize> {
        let mut from = 0;
        loop {
            if let Some(pos) = find(&self.buf[from..], needle) {
                return Some(from + pos + needle.len());
            }
            from = self.buf.len().saturating_sub(needle.len());
            if self.fill() == 0 {
                return None;
            }
        }
    }

    fn take(&mut self, n: usize) -> Vec<u8> {
        self.buf.drain(..n).collect()
    }

    /// Reads one response to a GET-like request. Panics if the connection ends first.
    pub fn read_response(&mut self) -> Reply {
        self.try_read_response(false)
            .expect("connection closed before a response")
    }

    /// Reads one response to a HEAD request (no body whatever the framing headers say).
    pub fn read_head_response(&mut self) -> Reply {
        self.try_read_response(true)
            .expect("connection closed before a response")
    }

    /// Reads one response; `None` if the stream ends cleanly before its first byte.
    pub fn try_read_response(&mut self, head_request: bool) -> Option<Reply> {
        if self.buf.is_empty() && self.fill() == 0 {
            return None;
        }
        let end = self.fill_until(b"\r\n\r\n").unwrap_or_else(|| {
            panic!(
                "connection closed inside a response head: {:?}",
                String::from_utf8_lossy(&self.buf)
            )
        });
        let head = self.take(end);
        let head = String::from_utf8(head).expect("response head is UTF-8");
        let mut lines = head.split("\r\n");
        let status_line = lines.next().unwrap();
        let mut parts = status_line.splitn(3, ' ');
        let version = parts.next().unwrap().to_owned();
        let status: u16 = parts
            .next()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("bad status line {status_line:?}"));
        let headers = parse_fields(lines);
        let mut reply = Reply {
            version,
            status,
            headers,
            body: Vec::new(),
            trailers: Vec::new(),
            chunked: false,
        };
        let bodiless =
            head_request || (100..200).contains(&status) || status == 204 || status == 304;
        if bodiless {
            return Some(reply);
        }
        let chunked = reply
            .header("transfer-encoding")
            .is_some_and(|te| te.eq_ignore_ascii_case("chunked"));
        if chunked {
            reply.chunked = true;
            self.read_chunked(&mut reply);
        } else if let Some(len) = reply.header("content-length") {
            let len: usize = len.parse().expect("numeric content-length");
            assert!(
                self.fill_to(len),
                "connection closed inside a body ({} of {len} bytes)",
                self.buf.len()
            );
            reply.body = self.take(len);
        } else {
            while self.fill() > 0 {}
            reply.body = std::mem::take(&mut self.buf);
        }
        Some(reply)
    }

    fn read_chunked(&mut self, reply: &mut Reply) {
        loop {
            let end = self
                .fill_until(b"\r\n")
                .expect("closed inside a chunk size");
            let line = String::from_utf8(self.take(end)).unwrap();
            let size = line.trim_end().split(';').next().unwrap();
            let size = usize::from_str_radix(size, 16).expect("hex chunk size");
            if size == 0 {
                let end = if self.fill_to(2) && self.buf.starts_with(b"\r\n") {
                    2
                } else {
                    self.fill_until(b"\r\n\r\n")
                        .expect("closed inside trailers")
                };
                let trailers = String::from_utf8(self.take(end)).unwrap();
                reply.trailers = parse_fields(trailers.split("\r\n"));
                return;
            }
            assert!(self.fill_to(size + 2), "closed inside a chunk");
            let data = self.take(size + 2);
            assert_eq!(&data[size..], b"\r\n", "chunk not followed by CRLF");
            reply.body.extend_from_slice(&data[..size]);
        }
    }

    /// Reads every response until the server closes the connection.
    pub fn read_all_responses(&mut self) -> Vec<Reply> {
        let mut replies = Vec::new();
        while let Some(reply) = self.try_read_response(false) {
            replies.push(reply);
        }
        replies
    }

    /// Reads everything until the server closes the connection (buffered bytes included).
    pub fn read_to_end(&mut self) -> Vec<u8> {
        while self.fill() > 0 {}
        std::mem::take(&mut self.buf)
    }

    /// Whether the server closed the connection with nothing more to read. Blocks until the
    /// server either closes or sends something.
    pub fn is_closed(&mut self) -> bool {
        self.buf.is_empty() && self.fill() == 0
    }

    /// The bytes received but not consumed as a response yet.
    pub fn buffered(&self) -> &[u8] {
        &self.buf
    }
}

fn parse_fields<'a>(lines: impl Iterator<Item = &'a str>) -> Vec<(String, String)> {
    lines
        .filter(|line| !line.is_empty())
        .map(|line| {
            let (name, value) = line
                .split_once(':')
                .unwrap_or_else(|| panic!("bad field line {line:?}"));
            (name.to_ascii_lowercase(), value.trim().to_owned())
        })
        .collect()
}

/// The position of `needle` in `haystack`.
pub fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Sends `raw` on a new connection and reads one response.
pub fn exchange(addr: SocketAddr, raw: impl AsRef<[u8]>) -> Reply {
    let mut client = Client::connect(addr);
    client.send(raw);
    client.read_response()
}

/// `GET path` on a new connection with `Connection: close`, plus `extra` header lines (each
/// ending in CRLF).
pub fn get(addr: SocketAddr, path: &str, extra: &str) -> Reply {
    exchange(
        addr,
        format!("GET {path} HTTP/1.1\r\nHost: t\r\n{extra}Connection: close\r\n\r\n"),
    )
}

/// A unique, empty directory under the system temp dir, removed on drop.
pub struct TempDir {
    path: std::path::PathBuf,
}

impl TempDir {
    /// Creates `corio-test-<tag>-<pid>-<n>`.
    pub fn new(tag: &str) -> TempDir {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path =
            std::env::temp_dir().join(format!("corio-test-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("create temp dir");
        TempDir { path }
    }

    /// The directory.
    pub fn path(&self) -> &std::path::Path {
        &self.path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}
