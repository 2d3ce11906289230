//! Helpers for the `corio serve` option tests: the real binary started with any arguments
//! (its stderr lines on a channel, its first URL parsed), and raw HTTP/1.1 exchanges over
//! 127.0.0.1 whose replies are split into status, headers and body bytes.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// How long to wait for a line or a reply before failing (a hang guard, not a verdict).
pub const SAFETY_TIMEOUT: Duration = Duration::from_secs(60);

/// A unique temp directory, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path =
            std::env::temp_dir().join(format!("corio-serve-opt-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }

    /// Writes `contents` to `rel` (creating parent directories).
    pub fn write(&self, rel: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = self.0.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, contents).unwrap();
        path
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    pub fn arg(&self) -> &str {
        self.0.to_str().unwrap()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A running `corio serve`; killed when dropped.
pub struct Serve {
    child: Child,
    lines: mpsc::Receiver<String>,
    /// The address of the start-up line's URL.
    pub addr: SocketAddr,
    /// Every stderr line read so far.
    pub seen: Vec<String>,
}

impl Serve {
    /// `corio serve ARGS...` run in `cwd`; waits for the start-up line.
    pub fn start_in(cwd: &Path, args: &[&str]) -> Serve {
        let mut child = Command::new(env!("CARGO_BIN_EXE_corio"))
            .arg("serve")
            .args(args)
            .current_dir(cwd)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn corio");
        let stderr = child.stderr.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut serve = Serve {
            child,
            lines,
            addr: "127.0.0.1:0".parse().unwrap(),
            seen: Vec::new(),
        };
        let line = serve.wait_line(|l| l.starts_with("corio: serving "));
        serve.addr = url_addr(&line).expect("a URL in the start-up line");
        serve
    }

    /// `corio serve DIR --addr 127.0.0.1:0 --workers 1 ARGS...`.
    pub fn start(dir: &TempDir, args: &[&str]) -> Serve {
        let mut all = vec![dir.arg(), "--addr", "127.0.0.1:0", "--workers", "1"];
        all.extend_from_slice(args);
        Serve::start_in(dir.path(), &all)
    }

    /// Reads stderr lines until one satisfies `pred`.
    pub fn wait_line(&mut self, pred: impl Fn(&str) -> bool) -> String {
        loop {
            match self.lines.recv_timeout(SAFETY_TIMEOUT) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if pred(&line) {
                        return line;
                    }
                }
                Err(e) => panic!("no matching stderr line ({e}); seen: {:#?}", self.seen),
            }
        }
    }

    /// `GET path` with extra header lines (each ending in `\r\n`).
    pub fn get(&self, path: &str, headers: &str) -> Reply {
        exchange(self.addr, &format!("GET {path} HTTP/1.1\r\n{headers}"))
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The address of the first `http://HOST:PORT/` word of `line`.
pub fn url_addr(line: &str) -> Option<SocketAddr> {
    let url = line.split_whitespace().find(|w| w.starts_with("http://"))?;
    url.strip_prefix("http://")?.strip_suffix('/')?.parse().ok()
}

/// A reply: status, header fields (names lowercase) and body bytes.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    /// The first value of header `name` (lowercase).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of header `name`.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Sends `head` (request line and header lines, each ending in `\r\n`) plus `Host` and
/// `Connection: close`, reads the reply to the end.
pub fn exchange(addr: SocketAddr, head: &str) -> Reply {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(SAFETY_TIMEOUT)).unwrap();
    write!(stream, "{head}Host: 127.0.0.1\r\nConnection: close\r\n\r\n").unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    parse_reply(&raw)
}

fn parse_reply(raw: &[u8]) -> Reply {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no head in {:?}", String::from_utf8_lossy(raw)));
    let head = std::str::from_utf8(&raw[..split]).unwrap();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers = lines
        .map(|l| {
            let (n, v) = l.split_once(':').unwrap();
            (n.to_ascii_lowercase(), v.trim().to_owned())
        })
        .collect();
    Reply {
        status,
        headers,
        body: raw[split + 4..].to_vec(),
    }
}

/// Runs `corio ARGS...` with `stdin` as input; returns (exit code, stdout, stderr).
pub fn corio(args: &[&str], stdin: &str) -> (Option<i32>, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_corio"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn corio");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
