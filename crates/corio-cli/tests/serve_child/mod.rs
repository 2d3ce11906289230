//! `corio serve` as a child process, the one helper every `serve` test uses: the real binary
//! started with any arguments (on port 0 unless told otherwise, the address read from its
//! start-up line; optionally under a lowered `ulimit -n`, or without privileges), its stderr
//! lines on a channel, signals and exit; temporary directories; and raw HTTP/1.1 exchanges
//! over 127.0.0.1 ([`reply`]).

// Each test file uses part of this helper.
#![allow(dead_code, unused_imports)]

mod reply;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStderr, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

pub use reply::{exchange, exchange_body, url_addr, Reply};

/// How long to wait for a line or a reply before failing (a hang guard, not a verdict).
pub const SAFETY_TIMEOUT: Duration = Duration::from_secs(60);

/// The uid and gid of `nobody`, which an unprivileged server runs as when the tests run as
/// root.
pub const NOBODY: u32 = 65534;

/// A running `corio serve`; killed on drop if still running.
pub struct Served {
    pub child: Child,
    pub addr: SocketAddr,
    /// The startup line.
    pub startup: String,
    /// Stderr lines after the startup line (those [`Served::wait_line`] read are in `seen`).
    pub log: mpsc::Receiver<String>,
    /// The startup line and every line [`Served::wait_line`] has read.
    pub seen: Vec<String>,
    /// A directory to remove after the process is gone (the binary copy of
    /// [`Served::start_unprivileged`]).
    scratch: Option<PathBuf>,
}

impl Served {
    /// Starts `corio serve DIR --addr 127.0.0.1:0 ARGS...`, under `ulimit -n NOFILE` if given.
    pub fn start(dir: &Path, nofile: Option<u32>, args: &[&str]) -> Served {
        let bin = env!("CARGO_BIN_EXE_corio");
        let mut cmd = Command::new("sh");
        let ulimit = nofile.map_or(String::new(), |n| format!("ulimit -n {n} && "));
        cmd.arg("-c")
            .arg(format!(
                "{ulimit}exec \"$0\" serve --addr 127.0.0.1:0 \"$@\""
            ))
            .arg(bin)
            .arg(dir)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        Served::spawn(cmd)
    }

    /// Starts `corio serve DIR --addr 127.0.0.1:0 --workers 1 ARGS...`.
    pub fn one_worker(dir: &Path, args: &[&str]) -> Served {
        let mut all = vec!["--workers", "1"];
        all.extend_from_slice(args);
        Served::start(dir, None, &all)
    }

    /// Starts `corio serve ARGS...` (nothing added) in the working directory `cwd`.
    pub fn start_in(cwd: &Path, args: &[&str]) -> Served {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_corio"));
        cmd.arg("serve")
            .args(args)
            .current_dir(cwd)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        Served::spawn(cmd)
    }

    /// Starts `corio serve DIR --addr 127.0.0.1:0 ARGS...` without privileges, so that
    /// permission bits bind it: as root (as in CI) it runs as `nobody` (uid and gid 65534;
    /// std drops the supplementary groups), otherwise as the current user. As root it runs a
    /// copy of the binary in a temporary directory, since `nobody` may not reach the build
    /// tree (a checkout under `/root`).
    pub fn start_unprivileged(dir: &Path, args: &[&str]) -> Served {
        use std::os::unix::fs::PermissionsExt;
        use std::os::unix::process::CommandExt;
        let as_root = rustix::process::geteuid().is_root();
        let scratch = as_root.then(|| temp_dir("unprivileged-bin"));
        let bin = match &scratch {
            Some(scratch) => {
                std::fs::set_permissions(scratch, std::fs::Permissions::from_mode(0o755)).unwrap();
                let copy = scratch.join("corio");
                std::fs::copy(env!("CARGO_BIN_EXE_corio"), &copy).expect("copy corio");
                copy
            }
            None => PathBuf::from(env!("CARGO_BIN_EXE_corio")),
        };
        let mut cmd = Command::new(bin);
        cmd.arg("serve")
            .arg(dir)
            .args(["--addr", "127.0.0.1:0"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        if as_root {
            cmd.uid(NOBODY).gid(NOBODY);
        }
        let mut served = Served::spawn(cmd);
        served.scratch = scratch;
        served
    }

    fn spawn(mut cmd: Command) -> Served {
        let mut child = cmd.spawn().expect("spawn corio serve");
        let stderr = child.stderr.take().unwrap();
        let (addr, startup, log) = read_startup(stderr);
        Served {
            child,
            addr,
            seen: vec![startup.clone()],
            startup,
            log,
            scratch: None,
        }
    }

    /// Reads stderr lines until one satisfies `pred`.
    pub fn wait_line(&mut self, pred: impl Fn(&str) -> bool) -> String {
        loop {
            match self.log.recv_timeout(SAFETY_TIMEOUT) {
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

    /// `GET path` with extra header lines (each ending in `\r\n`) and `Connection: close`.
    pub fn get(&self, path: &str, headers: &str) -> Reply {
        exchange(self.addr, &format!("GET {path} HTTP/1.1\r\n{headers}"))
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends a signal with kill(1).
    pub fn signal(&self, name: &str) {
        let ok = Command::new("kill")
            .arg(format!("-{name}"))
            .arg(self.pid().to_string())
            .status()
            .unwrap()
            .success();
        assert!(ok, "kill -{name} failed");
    }

    /// Sends SIGTERM and waits for the exit.
    pub fn terminate(&mut self) -> ExitStatus {
        self.signal("TERM");
        self.child.wait().expect("wait for corio serve")
    }

    /// Waits for exit (a hang guard of `guard`, then kills and panics).
    pub fn wait(&mut self, guard: Duration) -> ExitStatus {
        let step = Duration::from_millis(20);
        let mut waited = Duration::ZERO;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            if waited > guard {
                let _ = self.child.kill();
                panic!("corio serve did not exit");
            }
            thread::sleep(step);
            waited += step;
        }
    }

    /// CPU time (user + system) of the process so far, in clock ticks.
    pub fn cpu_ticks(&self) -> u64 {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid())).unwrap();
        // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
        let after = &stat[stat.rfind(')').unwrap() + 2..];
        let fields: Vec<&str> = after.split(' ').collect();
        fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
    }

    /// Every stderr line logged so far.
    pub fn drain_log(&self) -> Vec<String> {
        self.log.try_iter().collect()
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(scratch) = &self.scratch {
            let _ = std::fs::remove_dir_all(scratch);
        }
    }
}

fn read_startup(stderr: ChildStderr) -> (SocketAddr, String, mpsc::Receiver<String>) {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let line = rx
        .recv_timeout(SAFETY_TIMEOUT)
        .expect("corio serve printed no startup line");
    let addr = line
        .split("://")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| panic!("no address in {line:?}"));
    (addr, line, rx)
}

/// Clock ticks per second (`getconf CLK_TCK`, 100 if that fails).
pub fn clock_ticks_per_sec() -> u64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100)
}

/// A fresh temporary directory for one test (left behind; see [`TempDir`] for one removed).
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("corio-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A unique temporary directory, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        TempDir(temp_dir(&format!("serve-{tag}-{n}")))
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

/// `GET path` with `Connection: close`; the whole reply.
pub fn get(addr: SocketAddr, path: &str) -> std::io::Result<Vec<u8>> {
    let mut s = TcpStream::connect(addr)?;
    s.set_read_timeout(Some(SAFETY_TIMEOUT))?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"
    )?;
    let mut reply = Vec::new();
    s.read_to_end(&mut reply)?;
    Ok(reply)
}
