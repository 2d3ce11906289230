//! A test site for the CLI tests: the corio-http tests' scripted server, run on its own
//! thread so the test can run the `corio` binary meanwhile.

#![allow(dead_code)]

#[path = "../../../corio-http/tests/common/mod.rs"]
mod common;

use std::net::SocketAddr;
use std::sync::mpsc;

#[allow(unused_imports)]
pub use common::{ok, redirect, Reply, Seen};

/// Starts a server made by `make` (called on the server's thread) and returns its address.
pub fn start<H>(make: impl FnOnce() -> H + Send + 'static) -> SocketAddr
where
    H: Fn(&Seen) -> Reply + 'static,
{
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        corio::block_on(async move {
            let server = common::serve(make());
            tx.send(server.addr).unwrap();
            std::future::pending::<()>().await;
        })
    });
    rx.recv().unwrap()
}

/// Runs `corio ARGS...` and returns (success, stdout, stderr).
pub fn corio(args: &[&str]) -> (bool, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_corio"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A fresh, empty directory for one test.
pub fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("corio-get-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs `corio ARGS...` in `dir` with `stdin` as its input; returns (status, stdout, stderr).
pub fn corio_in(
    dir: &std::path::Path,
    stdin: &[u8],
    args: &[&str],
) -> (Option<i32>, String, String) {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_corio"))
        .args(args)
        .current_dir(dir)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), stdin).unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// One request the recorded site received.
#[derive(Debug, Clone)]
pub struct Hit {
    /// The request target.
    pub path: String,
    /// When the request was parsed (monotonic clock, shared by all processes).
    pub at: std::time::Instant,
    /// The same moment on the wall clock.
    pub wall: std::time::SystemTime,
}

/// The requests a recorded site received, in order.
#[derive(Clone, Default)]
pub struct Hits(std::sync::Arc<std::sync::Mutex<Vec<Hit>>>);

impl Hits {
    /// All hits so far.
    pub fn all(&self) -> Vec<Hit> {
        self.0.lock().unwrap().clone()
    }

    /// How many requests `path` received.
    pub fn count(&self, path: &str) -> usize {
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter(|h| h.path == path)
            .count()
    }

    /// The hits for `path`.
    pub fn of(&self, path: &str) -> Vec<Hit> {
        self.all().into_iter().filter(|h| h.path == path).collect()
    }
}

/// Starts a site whose `handler` gets each request, its base URL and how many times its
/// path was requested before; every request is recorded. Returns the base URL and the hits.
pub fn recorded<H>(handler: H) -> (String, Hits)
where
    H: Fn(&Seen, &str, usize) -> Reply + Send + 'static,
{
    let hits = Hits::default();
    let log = hits.clone();
    let base = std::sync::Arc::new(std::sync::OnceLock::<String>::new());
    let base_for_handler = base.clone();
    let addr = start(move || {
        move |req: &Seen| {
            let before = {
                let mut log = log.0.lock().unwrap();
                let n = log.iter().filter(|h| h.path == req.path).count();
                log.push(Hit {
                    path: req.path.clone(),
                    at: std::time::Instant::now(),
                    wall: std::time::SystemTime::now(),
                });
                n
            };
            handler(req, base_for_handler.get().unwrap(), before)
        }
    });
    let url = format!("http://{addr}");
    base.set(url.clone()).unwrap();
    (url, hits)
}

/// A response with `status`, extra header lines (each ending in CRLF) and a body.
pub fn reply(status: u16, extra: &str, content_type: &str, body: &str) -> Reply {
    Reply::Send(
        format!(
            "HTTP/1.1 {status} X\r\n{extra}content-type: {content_type}\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        )
        .into_bytes(),
    )
}

/// `404 Not Found`, empty.
pub fn not_found() -> Reply {
    Reply::Send(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n".to_vec())
}

/// A refused address (a port that was just free).
pub fn refused_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/gone", listener.local_addr().unwrap());
    drop(listener);
    url
}
