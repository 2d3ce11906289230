//! `corio serve` as a user runs it: the real binary on 127.0.0.1 port 0, its start-up line,
//! a request, the access log, argument errors, SIGTERM, and the seed's Python client.

mod serve_child;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, ExitStatus, Stdio};

use serve_child::{exchange, exchange_body, Served, TempDir, SAFETY_TIMEOUT};

/// `corio serve DIR` on one worker, checked to listen where asked: 127.0.0.1 on a real port.
fn start(dir: &TempDir, args: &[&str]) -> Served {
    let serve = Served::one_worker(dir.path(), args);
    assert_eq!(serve.addr.ip().to_string(), "127.0.0.1");
    assert_ne!(serve.addr.port(), 0);
    serve
}

/// Whether `line` is a Common Log Format line for `GET path HTTP/1.1` with `status` and
/// `bytes`: `127.0.0.1 - - [dd/Mon/yyyy:hh:mm:ss +0000] "GET /p HTTP/1.1" 200 5`.
fn is_clf(line: &str, path: &str, status: u16, bytes: usize) -> bool {
    let Some(rest) = line.strip_prefix("127.0.0.1 - - [") else {
        return false;
    };
    let Some((time, rest)) = rest.split_once("] ") else {
        return false;
    };
    let time_ok = time.len() == "10/Oct/2000:13:55:36 +0000".len()
        && time.as_bytes()[2] == b'/'
        && time.as_bytes()[6] == b'/'
        && time.as_bytes()[11] == b':'
        && time.ends_with(" +0000");
    time_ok && rest == format!("\"GET {path} HTTP/1.1\" {status} {bytes}")
}

#[test]
fn serves_logs_and_exits_on_sigterm() {
    let dir = TempDir::new("serve");
    std::fs::write(dir.0.join("hello.txt"), "hello").unwrap();
    let mut serve = start(&dir, &[]);

    let response = serve.get("/hello.txt", "");
    assert_eq!((response.status, response.text().as_str()), (200, "hello"));
    serve.wait_line(|l| is_clf(l, "/hello.txt", 200, 5));

    let missing = serve.get("/missing", "");
    assert_eq!(missing.status, 404, "{missing:?}");
    serve.wait_line(|l| l.contains("\"GET /missing HTTP/1.1\" 404 "));

    let status = serve.terminate();
    assert!(
        status.success(),
        "graceful exit with status 0, got {status}"
    );
    serve.wait_line(|l| l.contains("shutting down"));
}

#[test]
fn quiet_does_not_log_requests() {
    let dir = TempDir::new("quiet");
    std::fs::write(dir.0.join("a.txt"), "a").unwrap();
    let mut serve = start(&dir, &["--quiet"]);
    assert_eq!(serve.get("/a.txt", "").text(), "a");
    let status = serve.terminate();
    assert!(status.success());
    // The process is gone: this collects every remaining line until stderr's EOF.
    let rest: Vec<String> = serve.log.iter().collect();
    assert!(
        !rest.iter().any(|l| l.contains("\"GET /a.txt")),
        "logged despite --quiet: {rest:#?}"
    );
}

#[test]
fn sigterm_lets_an_open_keep_alive_connection_go() {
    let dir = TempDir::new("idle");
    std::fs::write(dir.0.join("x"), "x").unwrap();
    let mut serve = start(&dir, &[]);
    let mut idle = TcpStream::connect(serve.addr).unwrap();
    idle.set_read_timeout(Some(SAFETY_TIMEOUT)).unwrap();
    idle.write_all(b"GET /x HTTP/1.1\r\nHost: a\r\n\r\n")
        .unwrap();
    let mut buf = [0u8; 4096];
    let n = idle.read(&mut buf).unwrap();
    assert!(buf[..n].starts_with(b"HTTP/1.1 200 OK\r\n"));
    let status = serve.terminate();
    assert!(status.success(), "{status}");
    assert_eq!(
        idle.read(&mut buf).unwrap_or(0),
        0,
        "idle connection closed"
    );
}

/// Runs `corio` with `args`; returns (status, stderr lines).
fn run_failing(args: &[&str]) -> (ExitStatus, Vec<String>) {
    let output = Command::new(env!("CARGO_BIN_EXE_corio"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run corio");
    let stderr = String::from_utf8_lossy(&output.stderr);
    (output.status, stderr.lines().map(str::to_owned).collect())
}

/// A usage error (clap's, or a positional word that is neither one port nor one directory)
/// is printed whole with status 2; a failure (a directory that cannot be served, a host that
/// does not resolve) is one line with status 1.
#[test]
fn bad_arguments_fail_with_a_clear_message() {
    let dir = TempDir::new("args");
    let missing = dir.0.join("does-not-exist");
    let file = dir.0.join("file.txt");
    std::fs::write(&file, "f").unwrap();
    let usage: Vec<(Vec<&str>, &str)> = vec![
        (vec!["serve", "--addr", "nonsense"], "nonsense"),
        (vec!["serve", "--addr", "localhost:99999"], "99999"),
        (vec!["serve", "--workers", "0"], "--workers"),
        (vec!["serve", "--workers", "lots"], "lots"),
        (vec!["serve", "--grace", "-1"], "-1"),
        (vec!["serve", "--no-such-flag"], "--no-such-flag"),
        (vec!["serve", "-p", "70000"], "70000"),
        (vec!["serve", "70000"], "./70000"),
        (vec!["serve", "8000", "8001"], "more than one port"),
        (vec!["serve", "a", "b"], "more than one directory"),
        (vec!["serve", "8000", "-p", "8001"], "--port"),
        (vec!["serve", "8000", "--addr", "127.0.0.1:0"], "--addr"),
        (vec!["serve", "-p", "1", "--addr", "127.0.0.1:0"], "--addr"),
        (vec!["serve", "-H", "NoColon"], "Name: value"),
        (
            vec!["serve", "-H", "Transfer-Encoding: gzip"],
            "transfer-encoding",
        ),
        (vec!["serve", "--cache-control", "a\u{1}b"], "cache-control"),
        (vec!["serve", "--log-format", "xml"], "xml"),
        (vec!["serve", "--auth", "nopassword"], "USER:PASSWORD"),
        (vec!["serve", "--auth", "u:$argon2id$garbage"], "argon2"),
        (
            vec!["serve", "--hash-password", "--cors"],
            "--hash-password",
        ),
    ];
    for (args, needle) in usage {
        let (status, lines) = run_failing(&args);
        assert_eq!(status.code(), Some(2), "{args:?}: {lines:?}");
        assert!(lines[0].starts_with("error: "), "{args:?}: {lines:?}");
        assert!(lines[0].contains(needle), "{args:?}: {lines:?}");
        assert!(
            lines.last().unwrap().contains("--help"),
            "{args:?}: {lines:?}"
        );
    }
    let failures: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["serve", missing.to_str().unwrap(), "--addr", "127.0.0.1:0"],
            "does-not-exist",
        ),
        (
            vec!["serve", file.to_str().unwrap(), "--addr", "127.0.0.1:0"],
            "not a directory",
        ),
        (
            vec!["serve", "--addr", "no-such-host.invalid:80"],
            "cannot resolve no-such-host.invalid",
        ),
    ];
    for (args, needle) in failures {
        let (status, lines) = run_failing(&args);
        assert_eq!(status.code(), Some(1), "{args:?}: {lines:?}");
        assert_eq!(lines.len(), 1, "{args:?}: {lines:?}");
        assert!(lines[0].starts_with("corio: "), "{args:?}: {lines:?}");
        assert!(lines[0].contains(needle), "{args:?}: {lines:?}");
    }
}

#[test]
fn address_in_use_is_a_one_line_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let dir = TempDir::new("inuse");
    let (status, lines) = run_failing(&["serve", dir.0.to_str().unwrap(), "--addr", &addr]);
    assert!(!status.success());
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].starts_with("corio: "), "{lines:?}");
    assert!(lines[0].contains(&addr), "{lines:?}");
}

/// `OPTIONS *` is 204 with `Allow` (it was 400); a PUT is 405 with `Allow` whether its path
/// exists or not (a PUT to a missing file was 404).
#[test]
fn options_and_other_methods() {
    let dir = TempDir::new("methods");
    std::fs::write(dir.0.join("a.txt"), "a").unwrap();
    let mut serve = start(&dir, &["--quiet"]);
    let options = exchange(serve.addr, "OPTIONS * HTTP/1.1\r\n");
    assert_eq!(options.status, 204, "{options:?}");
    assert_eq!(
        options.header("allow"),
        Some("GET, HEAD, OPTIONS"),
        "{options:?}"
    );
    for path in ["/a.txt", "/missing.txt"] {
        let head = format!("PUT {path} HTTP/1.1\r\nContent-Length: 1\r\n");
        let put = exchange_body(serve.addr, &head, b"x");
        assert_eq!(put.status, 405, "{path}: {put:?}");
        assert_eq!(put.header("allow"), Some("GET, HEAD, OPTIONS"), "{put:?}");
    }
    assert_eq!(serve.get("/missing.txt", "").status, 404);
    assert!(serve.terminate().success());
}

/// A second `corio serve` on the port of a running one fails with "address already in use";
/// both used to bind through `SO_REUSEPORT` when they had several workers, and requests were
/// split at random between the two directories.
#[test]
fn second_serve_on_the_same_port_is_refused() {
    let first_dir = TempDir::new("first");
    std::fs::write(first_dir.0.join("who.txt"), "first").unwrap();
    let second_dir = TempDir::new("second");
    std::fs::write(second_dir.0.join("who.txt"), "second").unwrap();
    let mut first = Served::start(first_dir.path(), None, &["--workers", "2", "--quiet"]);
    let addr = first.addr.to_string();
    let second = second_dir.0.to_str().unwrap();
    for workers in ["2", "1"] {
        let (status, lines) =
            run_failing(&["serve", second, "--addr", &addr, "--workers", workers]);
        assert!(!status.success(), "a second server started");
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert!(lines[0].contains("address already in use"), "{lines:?}");
        assert!(lines[0].contains(&addr), "{lines:?}");
    }
    for _ in 0..8 {
        assert_eq!(first.get("/who.txt", "").text(), "first");
    }
    assert!(first.terminate().success());
}

/// The seed's stage-4 client (generator-based tasks on a selector, `GET path HTTP/1.0`
/// without headers, reading until EOF), with the address taken from the command line
/// instead of the seed's hard-coded `localhost:5000`.
const SEED_CLIENT: &str = r#"
import socket
import sys
import time
from selectors import DefaultSelector, EVENT_WRITE, EVENT_READ

HOST = sys.argv[1]
PORT = int(sys.argv[2])
selector = DefaultSelector()
num_tasks = 0


class Future:
    def __init__(self):
        self.callbacks = []

    def resolve(self):
        for callback in self.callbacks:
            callback()


class Task:
    def __init__(self, gen):
        self.gen = gen
        self.step()

    def step(self):
        try:
            f = next(self.gen)
        except StopIteration:
            return
        f.callbacks.append(self.step)


def get(path):
    global num_tasks
    num_tasks += 1
    s = socket.socket()
    s.setblocking(False)
    try:
        s.connect((HOST, PORT))
    except BlockingIOError:
        pass

    request = 'GET {} HTTP/1.0\r\n\r\n'.format(path)

    f = Future()
    selector.register(s.fileno(), EVENT_WRITE, data=f)
    yield f

    selector.unregister(s.fileno())
    s.send(request.encode())

    chunks = []

    while True:
        f = Future()
        selector.register(s.fileno(), EVENT_READ, data=f)

        yield f
        selector.unregister(s.fileno())
        chunk = s.recv(1000)
        if chunk:
            chunks.append(chunk)
        else:
            body = (b''.join(chunks)).decode()
            print(body)
            num_tasks -= 1
            return


start = time.time()
Task(get('/1'))
Task(get('/2'))

while num_tasks:
    events = selector.select()
    for event, mask in events:
        future = event.data
        future.resolve()

print(time.time() - start)
"#;

#[test]
fn the_seed_python_client_works() {
    let dir = TempDir::new("seed");
    std::fs::write(dir.0.join("1"), "first file\n").unwrap();
    std::fs::write(dir.0.join("2"), "second file\n").unwrap();
    let script = dir.0.join("seed_client.py");
    std::fs::write(&script, SEED_CLIENT).unwrap();
    let mut serve = start(&dir, &[]);
    let output = Command::new("python3")
        .arg(&script)
        .arg("127.0.0.1")
        .arg(serve.addr.port().to_string())
        .stdin(Stdio::null())
        .output()
        .expect("python3 runs the seed client (it must be installed for this test)");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(stdout.matches("HTTP/1.1 200 OK\r\n").count(), 2, "{stdout}");
    assert!(stdout.contains("\r\n\r\nfirst file\n"), "{stdout}");
    assert!(stdout.contains("\r\n\r\nsecond file\n"), "{stdout}");
    serve.wait_line(|l| l.contains("\"GET /1 HTTP/1.0\" 200 11"));
    serve.wait_line(|l| l.contains("\"GET /2 HTTP/1.0\" 200 12"));
    assert!(serve.terminate().success());
}

/// Regression: the signal handlers used to be installed only after the start-up line was
/// printed, so a SIGTERM sent as soon as the line appeared killed the process by signal.
#[test]
fn sigterm_right_after_the_startup_line_is_graceful() {
    let dir = TempDir::new("early");
    let mut serve = start(&dir, &[]);
    let status = serve.terminate();
    assert!(
        status.success(),
        "graceful exit with status 0, got {status}"
    );
}
