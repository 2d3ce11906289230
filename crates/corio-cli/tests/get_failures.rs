//! `corio get` when things go wrong, against local test sites on 127.0.0.1: `--fail`, time
//! limits (`--max-time`, `--connect-timeout`), `--retry` and resuming with `-C -`.

mod site;

use std::cell::Cell;
use std::process::Command;

use site::{corio, corio_in, ok, refused_url, start, temp_dir, Reply, Seen};

/// The body every other path answers with.
fn body_of(path: &str) -> String {
    format!("body of {path}\n")
}

/// A site with a 404 at `/missing`.
fn site() -> String {
    let addr = start(|| {
        |req: &Seen| match req.path.as_str() {
            "/missing" => {
                Reply::Send(b"HTTP/1.1 404 Not Found\r\ncontent-length: 4\r\n\r\nnope".to_vec())
            }
            path => ok("text/plain", &body_of(path)),
        }
    });
    format!("http://{addr}")
}

#[test]
fn fail_keeps_error_bodies_out() {
    let base = site();
    let missing = format!("{base}/missing");
    let (code, out, err) = corio_in(
        &std::env::temp_dir(),
        b"",
        &["get", "--fail", &missing, &format!("{base}/fine")],
    );
    assert_eq!(code, Some(1), "{err}");
    assert_eq!(out, body_of("/fine"));
    assert!(err.contains(&missing) && err.contains("404"), "{err}");
    // To a file: the file is not even created.
    let dir = temp_dir("fail");
    let file = dir.join("out");
    let (code, _, _) = corio_in(&dir, b"", &["get", "-f", "-o", "out", &missing]);
    assert_eq!(code, Some(1));
    assert!(!file.exists());
    // Without --fail the body is written, and the URL still fails.
    let (code, _, _) = corio_in(&dir, b"", &["get", "-o", "out", &missing]);
    assert_eq!(code, Some(1));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "nope");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn max_time_bounds_the_head_and_the_body() {
    let addr = start(|| {
        |req: &Seen| match req.path.as_str() {
            // Half a body, then silence (the connection stays open).
            "/half" => Reply::Send(b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nhello".to_vec()),
            _ => Reply::Hang,
        }
    });
    let (ok, out, err) = corio(&["get", "--max-time", "0.5", &format!("http://{addr}/hang")]);
    assert!(!ok);
    assert_eq!(out, "");
    assert!(err.contains("timed out after 0.5s (--max-time)"), "{err}");
    let (ok, out, err) = corio(&["get", "-m", "0.5", &format!("http://{addr}/half")]);
    assert!(!ok);
    assert_eq!(out, "hello");
    assert!(err.contains("/half: timed out after 0.5s"), "{err}");
    for bad in ["0", "-1", "soon"] {
        let out = Command::new(env!("CARGO_BIN_EXE_corio"))
            .args(["get", "--max-time", bad, "http://127.0.0.1:1/"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{bad}");
    }
}

#[test]
fn connect_timeout_bounds_a_connect_nobody_answers() {
    use rustix::net::{bind_v4, listen, socket, AddressFamily, SocketType};
    // A listener with a backlog of 0 that never accepts: once its queue is full, the kernel
    // drops new SYNs and a connect waits.
    let fd = socket(AddressFamily::INET, SocketType::STREAM, None).unwrap();
    bind_v4(&fd, &"127.0.0.1:0".parse().unwrap()).unwrap();
    listen(&fd, 0).unwrap();
    let addr = match rustix::net::getsockname(&fd).unwrap() {
        rustix::net::SocketAddrAny::V4(a) => std::net::SocketAddr::V4(a),
        other => panic!("{other:?}"),
    };
    let mut held = Vec::new();
    let filled = (0..16).any(|_| {
        match std::net::TcpStream::connect_timeout(&addr, std::time::Duration::from_millis(300)) {
            Ok(s) => {
                held.push(s);
                false
            }
            Err(_) => true,
        }
    });
    assert!(filled, "the queue never filled");
    let url = format!("http://{addr}/");
    let (ok, _, err) = corio(&["get", "--connect-timeout", "0.3", &url]);
    assert!(!ok);
    assert!(err.contains("connect timed out"), "{err}");
}

#[test]
fn connect_timeout_bounds_a_tls_handshake_too() {
    // A server that accepts and reads but never answers the ClientHello. (--max-time is a
    // backstop far above the limit under test: without it, the client's own 10 s default
    // would end the handshake with the same message.)
    let addr = start(|| |_: &Seen| Reply::Hang);
    let (ok, _, err) = corio(&[
        "get",
        "--connect-timeout",
        "0.3",
        "-m",
        "5",
        &format!("https://{addr}/"),
    ]);
    assert!(!ok);
    assert!(err.contains("TLS handshake timed out"), "{err}");
}

/// A site where `/flaky` fails with 503 and `Retry-After: 0` for its first two requests,
/// `/once` with 500 (no Retry-After) for its first, `/cut` breaks its body on the first
/// request, and `/count` reports how many other requests the site saw.
fn flaky_site() -> String {
    let addr = start(|| {
        let seen = Cell::new(0);
        let flaky = Cell::new(0);
        let once = Cell::new(0);
        let cut = Cell::new(0);
        move |req: &Seen| {
            if req.path != "/count" {
                seen.set(seen.get() + 1);
            }
            let bump = |c: &Cell<u32>| {
                c.set(c.get() + 1);
                c.get()
            };
            match req.path.as_str() {
                "/flaky" if bump(&flaky) <= 2 => Reply::Send(
                    b"HTTP/1.1 503 Service Unavailable\r\nretry-after: 0\r\ncontent-length: 4\r\n\r\nbusy"
                        .to_vec(),
                ),
                "/once" if bump(&once) == 1 => Reply::Send(
                    b"HTTP/1.1 500 Internal Server Error\r\ncontent-length: 0\r\n\r\n".to_vec(),
                ),
                "/cut" if bump(&cut) == 1 => Reply::SendClose(
                    b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nhello".to_vec(),
                ),
                "/cut" => ok("text/plain", "hello, all"),
                "/count" => ok("text/plain", &seen.get().to_string()),
                "/missing" => Reply::Send(
                    b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n".to_vec(),
                ),
                path => ok("text/plain", &body_of(path)),
            }
        }
    });
    format!("http://{addr}")
}

fn count(base: &str) -> String {
    corio(&["get", &format!("{base}/count")]).1
}

#[test]
fn retry_honours_retry_after_and_only_retries_transient_failures() {
    let base = flaky_site();
    let (ok, out, err) = corio(&["get", "--retry", "2", &format!("{base}/flaky")]);
    assert!(ok, "{err}");
    assert_eq!(out, body_of("/flaky"));
    assert!(
        err.contains("/flaky: HTTP 503 Service Unavailable; retry 1 of 2 in 0s\n"),
        "{err}"
    );
    assert!(err.contains("; retry 2 of 2 in 0s\n"), "{err}");
    assert_eq!(count(&base), "3");
    // No Retry-After: the backoff's first wait, one second.
    let (ok, out, err) = corio(&["get", "--retry", "1", &format!("{base}/once")]);
    assert!(ok, "{err}");
    assert_eq!(out, body_of("/once"));
    assert!(
        err.contains("HTTP 500 Internal Server Error; retry 1 of 1 in 1s\n"),
        "{err}"
    );
    // A 404 is not retried.
    let (ok, _, err) = corio(&["get", "--retry", "3", &format!("{base}/missing")]);
    assert!(!ok);
    assert!(!err.contains("retry"), "{err}");
    assert_eq!(count(&base), "6");
}

#[test]
fn retries_run_out() {
    let base = flaky_site();
    // Out of retries, the last 503 is output and fails like any error status.
    let (ok, out, err) = corio(&["get", "--retry", "1", &format!("{base}/flaky")]);
    assert!(!ok);
    assert_eq!(out, "busy");
    assert_eq!(err.matches("; retry ").count(), 1, "{err}");
    assert!(
        err.ends_with("/flaky: HTTP 503 Service Unavailable\n"),
        "{err}"
    );
    // A refused connection is transient.
    let refused = refused_url();
    let (ok, _, err) = corio(&["get", "--retry", "1", &refused]);
    assert!(!ok);
    assert!(
        err.contains("refused") && err.contains("retry 1 of 1 in 1s"),
        "{err}"
    );
}

#[test]
fn a_broken_body_is_retried_into_a_file_but_not_onto_stdout() {
    let base = flaky_site();
    let (ok, out, err) = corio(&["get", "--retry", "1", &format!("{base}/cut")]);
    assert!(!ok);
    assert_eq!(out, "hello");
    assert!(
        err.contains("not retried: 5 bytes already written to stdout"),
        "{err}"
    );
    let base = flaky_site();
    let dir = temp_dir("cut");
    let (code, _, err) = corio_in(
        &dir,
        b"",
        &["get", "--retry", "1", "-o", "f", &format!("{base}/cut")],
    );
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("closed early"), "{err}");
    assert_eq!(
        std::fs::read_to_string(dir.join("f")).unwrap(),
        "hello, all"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The resource the resume tests download.
const WHOLE: &str = "0123456789abcdefghij";

/// A site serving [`WHOLE`]: `/ranged` honours `Range: bytes=N-`, `/plain` ignores it,
/// `/gone` is a 404.
fn range_site() -> String {
    let addr = start(|| {
        |req: &Seen| {
            let from = req.header("range").and_then(|r| {
                r.strip_prefix("bytes=")?
                    .strip_suffix('-')?
                    .parse::<usize>()
                    .ok()
            });
            match (req.path.as_str(), from) {
                ("/ranged", Some(n)) if n >= WHOLE.len() => Reply::Send(
                    format!(
                        "HTTP/1.1 416 Range Not Satisfiable\r\ncontent-range: bytes */{}\r\ncontent-length: 0\r\n\r\n",
                        WHOLE.len()
                    )
                    .into_bytes(),
                ),
                ("/ranged", Some(n)) => Reply::Send(
                    format!(
                        "HTTP/1.1 206 Partial Content\r\ncontent-range: bytes {n}-{}/{}\r\ncontent-length: {}\r\n\r\n{}",
                        WHOLE.len() - 1,
                        WHOLE.len(),
                        WHOLE.len() - n,
                        &WHOLE[n..]
                    )
                    .into_bytes(),
                ),
                ("/gone", _) => Reply::Send(
                    b"HTTP/1.1 404 Not Found\r\ncontent-length: 4\r\n\r\nnope".to_vec(),
                ),
                ("/range-seen", _) => ok("text/plain", ""),
                _ => ok("text/plain", WHOLE),
            }
        }
    });
    format!("http://{addr}")
}

#[test]
fn continue_at_resumes_into_the_file() {
    let base = range_site();
    let dir = temp_dir("resume");
    let file = dir.join("f");
    let f = file.to_str().unwrap();
    let read = || std::fs::read_to_string(&file).unwrap();
    // 206: appended.
    std::fs::write(&file, &WHOLE[..7]).unwrap();
    let (ok, _, err) = corio(&["get", "-C", "-", "-o", f, "-v", &format!("{base}/ranged")]);
    assert!(ok, "{err}");
    assert!(err.contains("> range: bytes=7-\n"), "{err}");
    assert!(err.contains("< HTTP/1.1 206 Partial Content"), "{err}");
    assert_eq!(read(), WHOLE);
    // 416 for a complete file: done, nothing written.
    let (ok, _, err) = corio(&["get", "-C", "-", "-o", f, &format!("{base}/ranged")]);
    assert!(ok, "{err}");
    assert_eq!(read(), WHOLE);
    // 416 saying the remote is shorter than the file: refused, the file left alone.
    std::fs::write(&file, format!("{WHOLE}extra")).unwrap();
    let (ok, _, err) = corio(&["get", "-C", "-", "-o", f, &format!("{base}/ranged")]);
    assert!(!ok);
    assert!(
        err.contains("the file has 25 bytes, the remote one 20"),
        "{err}"
    );
    assert_eq!(read(), format!("{WHOLE}extra"));
    // 200 (ranges ignored): started over.
    std::fs::write(&file, "stale").unwrap();
    let (ok, _, err) = corio(&["get", "-C", "-", "-o", f, &format!("{base}/plain")]);
    assert!(ok, "{err}");
    assert_eq!(read(), WHOLE);
    // An error status never overwrites the partial file.
    std::fs::write(&file, "part").unwrap();
    let (ok, _, _) = corio(&["get", "-C", "-", "-o", f, &format!("{base}/gone")]);
    assert!(!ok);
    assert_eq!(read(), "part");
    // No file yet: a plain download, without a Range.
    std::fs::remove_file(&file).unwrap();
    let (ok, _, err) = corio(&["get", "-C", "-", "-o", f, "-v", &format!("{base}/ranged")]);
    assert!(ok, "{err}");
    assert!(!err.contains("range:"), "{err}");
    assert_eq!(read(), WHOLE);
    // -C needs a file, and only `-` is understood.
    for args in [
        &["get", "-C", "-", "http://127.0.0.1:1/"][..],
        &["get", "-C", "100", "-o", f, "http://127.0.0.1:1/"],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_corio"))
            .args(args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
