//! `corio bench` against the project's own server (and a few raw TCP servers that misbehave on
//! purpose), read through `--json`.
//!
//! Every assertion is on counts, or a lower bound on a latency the server itself imposed or on
//! a duration the open-loop schedule imposed; none is a timing threshold on the generator, so a
//! busy machine passes.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use corio_http::{Request, Response, RunningServer, Server};
use http::StatusCode;
use serde_json::Value;

/// Runs `corio bench ARGS... --json`; returns the exit code and the report.
fn bench(args: &[&str]) -> (i32, Value) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_corio"))
        .arg("bench")
        .args(args)
        .arg("--json")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let report = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "no JSON report ({e}): {stdout}\nstderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap_or(-1), report)
}

fn n(report: &Value, pointer: &str) -> u64 {
    report
        .pointer(pointer)
        .and_then(Value::as_u64)
        .unwrap_or_else(|| panic!("{pointer} missing in {report}"))
}

/// The project's server on 127.0.0.1:0, answering with `respond(i)` for its i-th request
/// (counting from 0); returns the server and how many requests it answered.
fn server<F, Fut>(respond: F) -> (RunningServer, String, Arc<AtomicU64>)
where
    F: Fn(u64) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Response> + 'static,
{
    let count = Arc::new(AtomicU64::new(0));
    let seen = count.clone();
    let server = Server::bind("127.0.0.1:0".parse().unwrap())
        .workers(1)
        .start(move |_req: Request| respond(seen.fetch_add(1, Ordering::SeqCst)))
        .unwrap();
    let url = format!("http://{}/", server.local_addr());
    (server, url, count)
}

fn hello(_: u64) -> std::future::Ready<Response> {
    std::future::ready(Response::text("Hello, World!"))
}

/// A raw server: each accepted connection is handed to `serve` on its own thread.
fn raw_server(serve: fn(TcpStream)) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || serve(stream));
        }
    });
    format!("http://{addr}/")
}

/// Reads from `stream` and calls `answer` once per complete request head (GETs, no body).
fn per_request(mut stream: TcpStream, mut answer: impl FnMut(&mut TcpStream, usize) -> bool) {
    let mut pending = Vec::new();
    let mut buf = [0u8; 4096];
    let mut served = 0;
    loop {
        let n = match stream.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        pending.extend_from_slice(&buf[..n]);
        while let Some(end) = pending.windows(4).position(|w| w == b"\r\n\r\n") {
            pending.drain(..end + 4);
            if !answer(&mut stream, served) {
                return;
            }
            served += 1;
        }
    }
}

#[test]
fn counts_add_up() {
    let (_server, url, served) = server(hello);
    let (code, r) = bench(&[&url, "-n", "1000", "-c", "10", "--workers", "2"]);
    assert_eq!(code, 0, "{r}");
    assert_eq!(n(&r, "/responses"), 1000, "{r}");
    assert_eq!(n(&r, "/sent"), 1000, "{r}");
    assert_eq!(n(&r, "/statuses/200"), 1000, "{r}");
    assert_eq!(n(&r, "/errors_total"), 0, "{r}");
    assert_eq!(served.load(Ordering::SeqCst), 1000);
    assert!(n(&r, "/bytes") > 1000 * 13);
}

#[test]
fn counts_add_up_pipelined() {
    let (_server, url, served) = server(hello);
    let (code, r) = bench(&[&url, "-n", "1000", "-c", "10", "--pipeline", "8"]);
    assert_eq!(code, 0, "{r}");
    assert_eq!(n(&r, "/responses"), 1000, "{r}");
    assert_eq!(n(&r, "/errors_total"), 0, "{r}");
    assert_eq!(served.load(Ordering::SeqCst), 1000);
}

#[test]
fn statuses_are_classified() {
    let (_server, url, _) = server(|i| {
        let status = [
            StatusCode::OK,
            StatusCode::NOT_FOUND,
            StatusCode::INTERNAL_SERVER_ERROR,
        ];
        std::future::ready(Response::new(status[(i % 3) as usize], "x"))
    });
    let (code, r) = bench(&[&url, "-n", "300", "-c", "4", "--pipeline", "2"]);
    assert_eq!(code, 0, "{r}");
    for status in ["200", "404", "500"] {
        assert_eq!(n(&r, &format!("/statuses/{status}")), 100, "{r}");
    }
}

#[test]
fn large_bodies_are_skipped_across_reads() {
    let (_server, url, _) = server(|_| std::future::ready(Response::text("x".repeat(1 << 20))));
    let (code, r) = bench(&[&url, "-n", "20", "-c", "2", "--pipeline", "2"]);
    assert_eq!(code, 0, "{r}");
    assert_eq!(n(&r, "/responses"), 20, "{r}");
    assert_eq!(n(&r, "/errors_total"), 0, "{r}");
    assert!(n(&r, "/bytes") >= 20 << 20, "{r}");
}

#[test]
fn chunked_responses_are_framed() {
    let url = raw_server(|stream| {
        per_request(stream, |s, _| {
            s.write_all(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")
                .is_ok()
        })
    });
    let (code, r) = bench(&[&url, "-n", "200", "-c", "2", "--pipeline", "4"]);
    assert_eq!(code, 0, "{r}");
    assert_eq!(n(&r, "/responses"), 200, "{r}");
    assert_eq!(n(&r, "/errors_total"), 0, "{r}");
}

#[test]
fn connect_refused_is_a_connect_error() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    drop(listener);
    let (code, r) = bench(&[&url, "-n", "20", "-c", "2"]);
    assert_ne!(code, 0);
    assert_eq!(n(&r, "/errors/connect"), 20, "{r}");
    assert_eq!(n(&r, "/responses"), 0, "{r}");
    let reason = r["connect_error"].as_str().unwrap_or_default();
    assert!(reason.contains("refused"), "{r}");
}

#[test]
fn server_closing_mid_response_is_a_read_error() {
    let url = raw_server(|stream| {
        per_request(stream, |s, _| {
            let _ = s.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nabc");
            false
        })
    });
    let (code, r) = bench(&[&url, "-n", "20", "-c", "2"]);
    assert_ne!(code, 0);
    assert_eq!(n(&r, "/errors/read"), 20, "{r}");
    assert_eq!(n(&r, "/responses"), 0, "{r}");
}

#[test]
fn connection_close_reopens_and_counts_the_rest_as_read_errors() {
    // Every connection gets one answer, marked `Connection: close`; the server then stops
    // writing and ignores what else comes, until the client closes.
    let url = raw_server(|stream| {
        per_request(stream, |s, served| {
            if served == 0 {
                let _ = s.write_all(
                    b"HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 2\r\n\r\nok",
                );
                let _ = s.shutdown(std::net::Shutdown::Write);
            }
            true
        })
    });
    let (code, r) = bench(&[&url, "-n", "50", "-c", "2"]);
    assert_eq!(code, 0, "{r}");
    assert_eq!(n(&r, "/responses"), 50, "{r}");
    assert_eq!(n(&r, "/errors_total"), 0, "{r}");
    // Pipelined: the requests behind the answered one can get no answer.
    let (_, r) = bench(&[&url, "-n", "60", "-c", "2", "--pipeline", "3"]);
    let (responses, read) = (n(&r, "/responses"), n(&r, "/errors/read"));
    assert_eq!(responses + read, 60, "{r}");
    assert!(responses >= 20, "{r}");
}

#[test]
fn a_silent_server_is_a_timeout() {
    let url = raw_server(|stream| per_request(stream, |_, _| true));
    let (code, r) = bench(&[&url, "-n", "4", "-c", "2", "--timeout", "200ms"]);
    assert_ne!(code, 0);
    assert_eq!(n(&r, "/errors/timeout"), 4, "{r}");
    assert_eq!(n(&r, "/responses"), 0, "{r}");
}

#[test]
fn invalid_responses_are_classified() {
    let url = raw_server(|stream| {
        per_request(stream, |s, _| {
            s.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 1\r\ncontent-length: 2\r\n\r\nxx")
                .is_ok()
        })
    });
    let (_, r) = bench(&[&url, "-n", "10", "-c", "1"]);
    assert_eq!(n(&r, "/errors/invalid_response"), 10, "{r}");
}

#[test]
fn the_open_loop_never_runs_ahead_of_its_schedule() {
    // 200 req/s over 4 connections: one slot every 20 ms per connection, phases 5 ms apart,
    // so the slots of the run are 0, 5, 10, ... ms after its start, and the 400th of them is
    // at 1995 ms. A request never leaves before its slot.
    let (_server, url, served) = server(hello);
    let (code, r) = bench(&[&url, "--rate", "200", "-n", "400", "-c", "4"]);
    assert_eq!(code, 0, "{r}");
    assert_eq!(n(&r, "/sent"), 400, "{r}");
    assert_eq!(n(&r, "/responses"), 400, "{r}");
    assert_eq!(n(&r, "/errors_total"), 0, "{r}");
    assert_eq!(served.load(Ordering::SeqCst), 400);
    // Any 400 distinct slots include one at 1995 ms or later, and the run ends only after
    // that one's response: a shorter run sent ahead of its schedule. (A lower bound that only
    // the schedule sets; a slow machine makes the run longer, never shorter.)
    let secs = r["duration_s"].as_f64().unwrap();
    assert!(
        secs >= 1.995,
        "400 requests in {secs} s: ahead of the schedule; {r}"
    );

    // Run by time: no more requests than slots before the end (0..2000 ms: 100 per
    // connection), however fast the server answers.
    let (_server, url, _) = server(hello);
    let (code, r) = bench(&[&url, "--rate", "200", "-d", "2s", "-c", "4"]);
    assert_eq!(code, 0, "{r}");
    assert!(n(&r, "/sent") <= 400, "{r}");
    assert!(n(&r, "/responses") <= n(&r, "/sent"), "{r}");
    assert_eq!(n(&r, "/errors_total"), 0, "{r}");
}

#[test]
fn a_stalled_server_shows_in_the_latency() {
    let (_server, url, _) = server(|i| async move {
        if i % 50 == 49 {
            corio::time::sleep(Duration::from_millis(200)).await;
        }
        Response::text("Hello, World!")
    });
    let (code, r) = bench(&[&url, "-n", "500", "-c", "4"]);
    assert_eq!(code, 0, "{r}");
    assert_eq!(n(&r, "/responses"), 500, "{r}");
    // 10 of the 500 requests (2%) stalled: they reach the 99th percentile, while the median
    // stays well below the stall. Both checks are relative to the stall itself, not to how
    // fast this machine is.
    let max = n(&r, "/latency_us/max");
    assert!(max >= 200_000, "{r}");
    assert!(n(&r, "/latency_us/p99") >= 200_000, "{r}");
    assert!(n(&r, "/latency_us/p50") * 2 < max, "{r}");
}

#[test]
fn the_open_loop_counts_from_the_intended_time() {
    // One connection at 50 req/s, and a server that stalls 300 ms once: the requests
    // scheduled during the stall wait behind it, and their latency says so.
    let (_server, url, _) = server(|i| async move {
        if i == 5 {
            corio::time::sleep(Duration::from_millis(300)).await;
        }
        Response::text("Hello, World!")
    });
    let (code, r) = bench(&[&url, "--rate", "50", "-d", "1500ms", "-c", "1"]);
    assert_eq!(code, 0, "{r}");
    // The stalled request waited 300 ms; the 14 scheduled during the stall (out of some 75)
    // waited 20..=280 ms behind it, so more than a tenth of all waited over 100 ms.
    assert!(n(&r, "/latency_us/max") >= 300_000, "{r}");
    assert!(n(&r, "/latency_us/p90") >= 100_000, "{r}");
}

#[test]
fn bad_arguments_exit_2() {
    let bad: &[&[&str]] = &[
        &["ftp://127.0.0.1/"],
        &["not a url"],
        &["http://127.0.0.1:1/", "-c", "0"],
        &["http://127.0.0.1:1/", "-d", "10x"],
        &["http://127.0.0.1:1/", "-d", "1s", "-n", "5"],
        &["http://127.0.0.1:1/", "--rate", "0"],
        &["http://127.0.0.1:1/", "-H", "no colon"],
        &["http://127.0.0.1:1/", "--pipeline", "0"],
        // -m is h2load's streams per connection: HTTP/2 only, at least one.
        &["http://127.0.0.1:1/", "-m", "10"],
        &["http://127.0.0.1:1/", "--h2", "-m", "0"],
        &["http://127.0.0.1:1/", "-X", "NOT A METHOD"],
        &["http://127.0.0.1:1/", "--start-at", "1000"],
        &["http://127.0.0.1:1/", "--start-at", "tomorrow"],
        &["http://127.0.0.1:1/", "--start-at", "4102444800"],
        &[],
        &["plot", "a.json"],
        &["merge"],
    ];
    for args in bad {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_corio"))
            .arg("bench")
            .args(*args)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(out.stdout.is_empty(), "{args:?}");
        // clap's whole message: what was wrong, then where to find help.
        assert!(
            err.starts_with("error: ") && err.contains("--help"),
            "{args:?}: {err}"
        );
    }
}

/// A failure that is not a usage error: status 1, like every command's failures.
#[test]
fn an_unreadable_body_file_is_a_failure() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_corio"))
        .args([
            "bench",
            "http://127.0.0.1:1/",
            "--body",
            "/nonexistent/file",
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("/nonexistent/file"), "{err}");
}

/// Ten million requests a second on one connection cannot be reached: the run says so on
/// stderr (and still reports, with status 0).
#[test]
fn an_unreached_rate_is_warned_about() {
    let (_server, url, _) = server(hello);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_corio"))
        .args(["bench", &url, "-c", "1", "--workers", "1", "-d", "300ms"])
        .args(["--rate", "10000000", "--json"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains("corio bench: warning: sent ") && err.contains("of the --rate 10000000"),
        "{err}"
    );
}

#[test]
fn text_report() {
    let (_server, url, _) = server(hello);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_corio"))
        .args(["bench", &format!("{url}x"), "-n", "50", "-c", "2"])
        .args(["-H", "X-Test: 1", "-X", "POST"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    for want in [
        "responses  50 in",
        "p50",
        "p99.9",
        "max",
        "200: 50",
        "errors     none",
    ] {
        assert!(text.contains(want), "{want:?} in {text}");
    }
}
