//! `corio get` against local test sites on 127.0.0.1: output, requests, verbosity,
//! redirects, failures, time limits, retries and resumption.

mod site;

use std::cell::Cell;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use site::{corio, ok, redirect, start, Reply, Seen};

/// The body every other path answers with.
fn body_of(path: &str) -> String {
    format!("body of {path}\n")
}

fn site() -> String {
    let addr = start(|| {
        |req: &Seen| match req.path.as_str() {
            "/missing" => {
                Reply::Send(b"HTTP/1.1 404 Not Found\r\ncontent-length: 4\r\n\r\nnope".to_vec())
            }
            "/" => ok("text/html", "<h1>home</h1>"),
            "/old" => redirect(302, "/new"),
            path => ok("text/plain", &body_of(path)),
        }
    });
    format!("http://{addr}")
}

/// A site that answers each request with what it saw: request line, fields, empty line, body.
fn echo_site() -> String {
    let addr = start(|| {
        |req: &Seen| {
            let mut text = format!("{} {}\n", req.method, req.path);
            for (name, value) in &req.headers {
                text.push_str(&format!("{name}: {value}\n"));
            }
            text.push('\n');
            text.push_str(&String::from_utf8_lossy(&req.body));
            ok("text/plain", &text)
        }
    });
    format!("http://{addr}")
}

/// A fresh, empty directory for one test.
fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("corio-get-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs `corio ARGS...` in `dir` with `stdin` as its input; returns (status, stdout, stderr).
fn corio_with(dir: &Path, stdin: &[u8], args: &[&str]) -> (Option<i32>, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_corio"))
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A refused address (a port that was just free).
fn refused_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/gone", listener.local_addr().unwrap());
    drop(listener);
    url
}

#[test]
fn prints_bodies_in_argument_order() {
    let base = site();
    let urls: Vec<String> = (1..=20).map(|i| format!("{base}/{i}")).collect();
    let mut args = vec!["get", "-c", "4"];
    args.extend(urls.iter().map(String::as_str));
    let (ok, out, err) = corio(&args);
    assert!(ok, "{err}");
    let want: String = (1..=20).map(|i| body_of(&format!("/{i}"))).collect();
    assert_eq!(out, want);
    // Off a terminal and without -v: no summary line.
    assert_eq!(err, "");
    args.push("-v");
    let (ok, _, err) = corio(&args);
    assert!(ok, "{err}");
    assert!(err.contains("get: 20 ok, 0 failed"), "{err}");
}

#[test]
fn the_seeds_program() {
    let base = site();
    let (ok, out, _) = corio(&["get", &format!("{base}/1"), &format!("{base}/2")]);
    assert!(ok);
    assert_eq!(out, "body of /1\nbody of /2\n");
}

#[test]
fn a_url_without_a_scheme_is_http() {
    let base = site();
    let bare = base.strip_prefix("http://").unwrap();
    let (ok, out, err) = corio(&["get", &format!("{bare}/plain")]);
    assert!(ok, "{err}");
    assert_eq!(out, body_of("/plain"));
}

#[test]
fn saves_several_urls_in_a_directory_with_deduplicated_names() {
    let base = site();
    let dir = temp_dir("dir").join("made");
    let (a, b, root) = (
        format!("{base}/x/a.txt"),
        format!("{base}/y/a.txt"),
        format!("{base}/"),
    );
    let (ok, out, err) = corio(&["get", "-o", dir.to_str().unwrap(), &a, &b, &root]);
    assert!(ok, "{err}");
    assert!(out.is_empty());
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap();
    assert_eq!(read("a.txt"), "body of /x/a.txt\n");
    assert_eq!(read("a.txt.1"), "body of /y/a.txt\n");
    assert_eq!(read("index.html"), "<h1>home</h1>");
    std::fs::remove_dir_all(dir.parent().unwrap()).unwrap();
}

#[test]
fn output_file_remote_name_and_output_dir() {
    let base = site();
    let dir = temp_dir("names");
    let d = dir.to_str().unwrap();
    // -o FILE with one URL: that file.
    let file = dir.join("chosen.txt");
    let (code, out, err) = corio_with(
        &dir,
        b"",
        &["get", "-o", file.to_str().unwrap(), &format!("{base}/f")],
    );
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(out, "");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), body_of("/f"));
    // -o an existing directory with one URL: the remote name inside it.
    let (code, _, err) = corio_with(&dir, b"", &["get", "-o", d, &format!("{base}/in-dir")]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(
        std::fs::read_to_string(dir.join("in-dir")).unwrap(),
        body_of("/in-dir")
    );
    // -O: the remote name, percent-decoded, in the current directory; made safe.
    let (code, _, err) = corio_with(
        &dir,
        b"",
        &[
            "get",
            "-O",
            &format!("{base}/dl/my%20file.txt?v=2"),
            &format!("{base}/dl/..%2F..%2Fescape"),
            &format!("{base}/dl/.hidden"),
        ],
    );
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(
        std::fs::read_to_string(dir.join("my file.txt")).unwrap(),
        body_of("/dl/my%20file.txt?v=2")
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("_.._escape")).unwrap(),
        body_of("/dl/..%2F..%2Fescape")
    );
    assert!(dir.join("hidden").is_file());
    assert!(!dir.parent().unwrap().join("escape").exists());
    // --output-dir (with or without -O): the remote name in that directory.
    let sub = dir.join("sub");
    let (code, _, err) = corio_with(
        &dir,
        b"",
        &[
            "get",
            "-O",
            "--output-dir",
            sub.to_str().unwrap(),
            &format!("{base}/"),
        ],
    );
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(
        std::fs::read_to_string(sub.join("index.html")).unwrap(),
        "<h1>home</h1>"
    );
    // -o and -O together make no sense: a usage error.
    let (code, _, err) = corio_with(&dir, b"", &["get", "-o", "x", "-O", &base]);
    assert_eq!(code, Some(2), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn head_and_include() {
    let base = site();
    let (ok, out, _) = corio(&["get", "-I", &format!("{base}/h")]);
    assert!(ok);
    assert!(out.starts_with("HTTP/1.1 200 OK\r\n"), "{out}");
    assert!(out.contains("content-type: text/plain\r\n"));
    assert!(!out.contains("body of"));
    let (ok, out, _) = corio(&["get", "-i", &format!("{base}/h")]);
    assert!(ok);
    assert!(out.starts_with("HTTP/1.1 200 OK\r\n"));
    assert!(out.ends_with("\r\n\r\nbody of /h\n"), "{out}");
}

#[test]
fn headers_and_methods() {
    let base = echo_site();
    let url = format!("{base}/e");
    let (ok, out, err) = corio(&["get", "-H", "X-One: 1", "-H", "x-one: 2", &url]);
    assert!(ok, "{err}");
    assert!(out.starts_with("GET /e\n"), "{out}");
    assert!(out.contains("x-one: 1\nx-one: 2\n"), "{out}");
    assert!(out.contains("user-agent: corio/"), "{out}");
    // -H replaces corio's own User-Agent.
    let (_, out, _) = corio(&["get", "-H", "User-Agent: mine/1", &url]);
    assert!(out.contains("user-agent: mine/1\n"), "{out}");
    assert_eq!(out.matches("user-agent").count(), 1, "{out}");
    let (ok, out, _) = corio(&["get", "-X", "PURGE", &url]);
    assert!(ok);
    assert!(out.starts_with("PURGE /e\n"), "{out}");
    // A bad header or method is a usage error.
    for bad in [
        &["-H", "no colon"][..],
        &["-H", "bad name: x"],
        &["-X", "BAD METHOD"],
    ] {
        let mut args = vec!["get"];
        args.extend_from_slice(bad);
        args.push(&url);
        let out = Command::new(env!("CARGO_BIN_EXE_corio"))
            .args(&args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{bad:?}");
    }
}

#[test]
fn data_is_posted_as_a_form_or_as_bytes() {
    let base = echo_site();
    let url = format!("{base}/post");
    let dir = temp_dir("data");
    let (code, out, err) = corio_with(&dir, b"", &["get", "-d", "a=1", "-d", "b=2", &url]);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.starts_with("POST /post\n"), "{out}");
    assert!(
        out.contains("content-type: application/x-www-form-urlencoded\n"),
        "{out}"
    );
    assert!(out.contains("content-length: 7\n"), "{out}");
    assert!(out.ends_with("\n\na=1&b=2"), "{out}");
    // -X and -H win over -d's defaults.
    let (_, out, _) = corio_with(
        &dir,
        b"",
        &[
            "get",
            "-X",
            "PUT",
            "-H",
            "Content-Type: application/json",
            "-d",
            "{}",
            &url,
        ],
    );
    assert!(out.starts_with("PUT /post\n"), "{out}");
    assert!(out.contains("content-type: application/json\n"), "{out}");
    assert!(!out.contains("urlencoded"), "{out}");
    // -d @file drops line breaks; --data-binary @file keeps every byte.
    std::fs::write(dir.join("form.txt"), "x=1\r\n&y=2\n").unwrap();
    let (_, out, _) = corio_with(&dir, b"", &["get", "-d", "@form.txt", &url]);
    assert!(out.ends_with("\n\nx=1&y=2"), "{out}");
    let (_, out, _) = corio_with(&dir, b"", &["get", "--data-binary", "@form.txt", &url]);
    assert!(out.starts_with("POST /post\n"), "{out}");
    assert!(!out.contains("urlencoded"), "{out}");
    assert!(out.ends_with("\n\nx=1\r\n&y=2\n"), "{out}");
    // @- reads stdin.
    let (code, out, err) = corio_with(&dir, b"from stdin\n", &["get", "--data-binary", "@-", &url]);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.ends_with("\n\nfrom stdin\n"), "{out}");
    // A file that cannot be read is a failure (1), not a usage error.
    let (code, out, err) = corio_with(&dir, b"", &["get", "--data-binary", "@nope", &url]);
    assert_eq!(code, Some(1), "{err}");
    assert_eq!(out, "");
    assert!(err.contains("nope"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn verbose_shows_both_heads_and_silent_shows_nothing() {
    let base = site();
    let url = format!("{base}/v");
    let (ok, out, err) = corio(&["get", "-v", &url]);
    assert!(ok, "{err}");
    assert_eq!(out, body_of("/v"));
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines[0], "> GET /v HTTP/1.1", "{err}");
    assert_eq!(lines[1], format!("> host: {}", &base[7..]), "{err}");
    assert!(lines.contains(&"> user-agent: corio/0.1.0"), "{err}");
    assert!(lines.contains(&">"), "{err}");
    assert!(lines.contains(&"< HTTP/1.1 200 OK"), "{err}");
    assert!(lines.contains(&"< content-type: text/plain"), "{err}");
    assert!(lines.contains(&"<"), "{err}");
    assert!(err.contains("get: 1 ok, 0 failed"), "{err}");
    // -v with a body: its length is in the request head.
    let (_, _, err) = corio(&["get", "-v", "-d", "abc", &url]);
    assert!(err.contains("> POST /v HTTP/1.1\n"), "{err}");
    assert!(err.contains("> content-length: 3\n"), "{err}");
    // -s: nothing on stderr.
    let (ok, out, err) = corio(&["get", "-s", &url]);
    assert!(ok);
    assert_eq!((out.as_str(), err.as_str()), (body_of("/v").as_str(), ""));
    let out = Command::new(env!("CARGO_BIN_EXE_corio"))
        .args(["get", "-s", "-v", &url])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn redirects_are_followed_unless_no_location() {
    let base = site();
    let old = format!("{base}/old");
    for args in [&["get"][..], &["get", "-L"]] {
        let mut args = args.to_vec();
        args.push(&old);
        let (ok, out, err) = corio(&args);
        assert!(ok, "{err}");
        assert_eq!(out, body_of("/new"));
    }
    let (ok, _, err) = corio(&["get", "-v", &old]);
    assert!(ok);
    assert!(
        err.contains(&format!("* followed redirects to {base}/new")),
        "{err}"
    );
    let (ok, out, err) = corio(&["get", "--no-location", "-i", &old]);
    assert!(ok, "{err}");
    assert!(out.starts_with("HTTP/1.1 302 Found\r\n"), "{out}");
    assert!(out.contains("location: /new\r\n"), "{out}");
    let out = Command::new(env!("CARGO_BIN_EXE_corio"))
        .args(["get", "-L", "--no-location", &old])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn failures_are_reported_per_url() {
    let base = site();
    let refused = refused_url();
    let missing = format!("{base}/missing");
    let good = format!("{base}/fine");
    let (ok, out, err) = corio(&["get", "-v", &refused, &missing, &good]);
    assert!(!ok);
    assert_eq!(out, "nopebody of /fine\n");
    assert!(
        err.lines()
            .any(|l| l.contains(&refused) && l.contains("refused")),
        "{err}"
    );
    assert!(
        err.lines()
            .any(|l| l.contains(&missing) && l.contains("404")),
        "{err}"
    );
    assert!(err.contains("1 ok, 2 failed"), "{err}");
}

#[test]
fn fail_keeps_error_bodies_out() {
    let base = site();
    let missing = format!("{base}/missing");
    let (code, out, err) = corio_with(
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
    let (code, _, _) = corio_with(&dir, b"", &["get", "-f", "-o", "out", &missing]);
    assert_eq!(code, Some(1));
    assert!(!file.exists());
    // Without --fail the body is written, and the URL still fails.
    let (code, _, _) = corio_with(&dir, b"", &["get", "-o", "out", &missing]);
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
    let (code, _, err) = corio_with(
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

#[test]
fn bad_arguments() {
    let (ok, _, err) = corio(&["get"]);
    assert!(!ok);
    assert!(!err.is_empty());
    let (ok, _, err) = corio(&["get", "-c", "0", "http://127.0.0.1/"]);
    assert!(!ok, "{err}");
    let (ok, _, err) = corio(&["get", "ftp://127.0.0.1/"]);
    assert!(!ok);
    assert!(
        err.contains("ftp://127.0.0.1/") && err.contains("scheme"),
        "{err}"
    );
}

#[test]
fn discard_and_repeat() {
    let base = site();
    let (ok, out, err) = corio(&[
        "get",
        "--discard",
        "--repeat",
        "50",
        "-c",
        "5",
        "-v",
        &format!("{base}/r"),
    ]);
    assert!(ok, "{err}");
    assert!(out.is_empty());
    assert!(err.contains("50 ok, 0 failed"), "{err}");
}
