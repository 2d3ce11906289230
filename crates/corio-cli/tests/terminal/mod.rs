//! Running the `corio` binary with its stderr on a pseudo-terminal (or on a pipe), to check
//! what it draws there; and a raw HTTP server whose handler can hold a response until the
//! test has seen what it waits for.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::fd::OwnedFd;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use rustix::fs::{Mode, OFlags};
use rustix::pty::{grantpt, openpt, ptsname, unlockpt, OpenptFlags};
use rustix::termios::{tcsetwinsize, Winsize};

/// How long a test waits for text to appear on the terminal before failing: a bound on a
/// hang, not on speed (text that is going to appear appears in milliseconds).
pub const PATIENCE: Duration = Duration::from_secs(60);

/// What a finished command left.
#[derive(Debug)]
pub struct Finished {
    /// Its exit status code.
    pub code: Option<i32>,
    /// Its stdout.
    pub stdout: String,
    /// What it wrote on stderr (the terminal, or the pipe).
    pub stderr: String,
}

/// What the terminal has shown so far, and whether the command has closed it.
#[derive(Default)]
struct Screen {
    bytes: Vec<u8>,
    closed: bool,
}

/// `corio ARGS...` running with stderr on a pseudo-terminal, or on a pipe read as it comes
/// (stdout piped, stdin empty).
pub struct Terminal {
    child: Child,
    screen: Arc<(Mutex<Screen>, Condvar)>,
    reader: std::thread::JoinHandle<()>,
}

impl Terminal {
    /// Starts `corio ARGS...` on a new 120×40 pseudo-terminal.
    pub fn spawn(args: &[&str]) -> Terminal {
        let master = openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY | OpenptFlags::CLOEXEC)
            .expect("open a pseudo-terminal");
        grantpt(&master).unwrap();
        unlockpt(&master).unwrap();
        let size = Winsize {
            ws_row: 40,
            ws_col: 120,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        tcsetwinsize(&master, size).unwrap();
        let name = ptsname(&master, Vec::new()).unwrap();
        let slave: OwnedFd = rustix::fs::open(
            name.as_c_str(),
            OFlags::RDWR | OFlags::NOCTTY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .unwrap();
        // The command (and with it this process's copy of the terminal's slave side) is
        // dropped once spawned, so that the reader sees the end when the child exits.
        let child = command(args).stderr(Stdio::from(slave)).spawn().unwrap();
        Terminal::watch(child, std::fs::File::from(master))
    }

    /// Starts `corio ARGS...` with stderr on a pipe, read as it comes like a terminal's.
    pub fn spawn_piped(args: &[&str]) -> Terminal {
        let mut child = command(args).stderr(Stdio::piped()).spawn().unwrap();
        let stderr = child.stderr.take().unwrap();
        Terminal::watch(child, stderr)
    }

    /// Reads `output` into the screen on a thread until the child closes it.
    fn watch(child: Child, mut output: impl Read + Send + 'static) -> Terminal {
        let screen = Arc::new((Mutex::new(Screen::default()), Condvar::new()));
        let reader = std::thread::spawn({
            let screen = screen.clone();
            move || {
                let mut buf = [0u8; 4096];
                loop {
                    // A terminal's master reads EIO (or 0) once every slave side is closed,
                    // a pipe 0: the child has exited.
                    let n = output.read(&mut buf).unwrap_or(0);
                    let (lock, changed) = &*screen;
                    let mut s = lock.lock().unwrap();
                    s.bytes.extend_from_slice(&buf[..n]);
                    s.closed = n == 0;
                    changed.notify_all();
                    if n == 0 {
                        return;
                    }
                }
            }
        });
        Terminal {
            child,
            screen,
            reader,
        }
    }

    /// Waits until the terminal shows `text`; false if the command closed it first (or after
    /// [`PATIENCE`]).
    pub fn wait_for(&self, text: &str) -> bool {
        self.wait_until(|screen| screen.contains(text))
    }

    /// Waits until what the terminal has shown satisfies `done`; false if the command closed
    /// it first (or after [`PATIENCE`]).
    pub fn wait_until(&self, done: impl Fn(&str) -> bool) -> bool {
        let deadline = Instant::now() + PATIENCE;
        let (lock, changed) = &*self.screen;
        let mut s = lock.lock().unwrap();
        loop {
            if done(&String::from_utf8_lossy(&s.bytes)) {
                return true;
            }
            let now = Instant::now();
            if s.closed || now >= deadline {
                return false;
            }
            s = changed.wait_timeout(s, deadline - now).unwrap().0;
        }
    }

    /// What the terminal has shown so far.
    pub fn screen(&self) -> String {
        String::from_utf8_lossy(&self.screen.0.lock().unwrap().bytes).into_owned()
    }

    /// The last lines the terminal has shown (enough to see why a test failed).
    pub fn screen_tail(&self) -> String {
        let screen = self.screen();
        let lines: Vec<&str> = screen.split_inclusive('\n').collect();
        lines[lines.len().saturating_sub(20)..].concat()
    }

    /// Waits for the command to exit.
    pub fn finish(self) -> Finished {
        let out = self.child.wait_with_output().unwrap();
        self.reader.join().unwrap();
        let screen = self.screen.0.lock().unwrap();
        Finished {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&screen.bytes).into_owned(),
        }
    }
}

/// `corio ARGS...` with stdin empty and stdout piped.
fn command(args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_corio"));
    cmd.args(args).stdin(Stdio::null()).stdout(Stdio::piped());
    cmd
}

/// Runs `corio ARGS...` with stdout and stderr on pipes.
pub fn piped(args: &[&str]) -> Finished {
    let out = Command::new(env!("CARGO_BIN_EXE_corio"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    Finished {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A raw HTTP server on 127.0.0.1: each request head read on a connection is handed to
/// `answer(path, stream)`, which writes the whole response (and may block first); the
/// connection closes when `answer` returns false.
pub fn raw_server(
    answer: impl Fn(&str, &mut TcpStream) -> bool + Send + Sync + 'static,
) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let answer = Arc::new(answer);
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let _ = stream.set_nodelay(true);
            let answer = answer.clone();
            std::thread::spawn(move || {
                let mut pending = Vec::new();
                let mut buf = [0u8; 4096];
                loop {
                    while let Some(end) = pending.windows(4).position(|w| w == b"\r\n\r\n") {
                        let head = String::from_utf8_lossy(&pending[..end]).into_owned();
                        pending.drain(..end + 4);
                        let path = head.split(' ').nth(1).unwrap_or("/").to_owned();
                        if !answer(&path, &mut stream) {
                            return;
                        }
                    }
                    match stream.read(&mut buf) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => pending.extend_from_slice(&buf[..n]),
                    }
                }
            });
        }
    });
    addr
}

/// Writes a `200` response with `body` (and `content_type`) on `stream`.
pub fn respond(stream: &mut TcpStream, content_type: &str, body: &[u8]) -> bool {
    let mut response = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    response.extend_from_slice(body);
    stream.write_all(&response).is_ok()
}

/// A one-shot gate: a server thread waits at it until the test opens it.
#[derive(Clone, Default)]
pub struct Gate(Arc<(Mutex<bool>, Condvar)>);

impl Gate {
    /// Opens the gate (for every waiter, now and later).
    pub fn open(&self) {
        *self.0 .0.lock().unwrap() = true;
        self.0 .1.notify_all();
    }

    /// Waits until the gate is open (at most [`PATIENCE`], so that a failed test ends).
    pub fn wait(&self) {
        let guard = self.0 .0.lock().unwrap();
        let _open = self
            .0
             .1
            .wait_timeout_while(guard, PATIENCE, |open| !*open)
            .unwrap();
    }
}
