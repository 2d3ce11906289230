//! `get`, `crawl` and `bench` over HTTP/2 against `serve_h2` (the corio-http tests' h2
//! server, which counts the TCP connections it accepts): h2c with prior knowledge and h2
//! over TLS by ALPN; every URL of a `get` or of a `crawl`'s pages on one connection; `bench --h2` with
//! exact counts and the protocol named in its report, and `bench --h2` against a server that
//! closes its connections (the request lost with each is an error; a new connection follows).

#[path = "../../corio-http/tests/h2_util/mod.rs"]
mod h2_util;
mod site;
#[path = "../../corio-http/tests/tls_util/mod.rs"]
mod tls_util;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use corio_http::server::http2::H2Config;
use corio_http::{Request, Response};
use h2_util::H2Server;
use serde_json::Value;
use site::corio;

/// Pages: `/` links to `/a` and `/b`; every page says the protocol and its path;
/// `/stall-odd` never answers the server's first, third... request; `/empty` is a 204
/// without a body.
async fn pages(req: Request, served: Arc<AtomicU64>) -> Response {
    let before = served.fetch_add(1, Ordering::SeqCst);
    let body = match req.path() {
        // Every other request (the first, the third...) is never answered.
        "/stall-odd" if before.is_multiple_of(2) => std::future::pending().await,
        "/robots.txt" => return Response::text("User-agent: *\nAllow: /\n"),
        "/empty" => return Response::empty(http::StatusCode::NO_CONTENT),
        "/" => r#"<a href="/a">a</a> <a href="/b">b</a>"#.to_owned(),
        path => format!("{} {path}", req.version().as_str()),
    };
    Response::html(body)
}

fn h2c_server() -> (H2Server, String, Arc<AtomicU64>) {
    let served = Arc::new(AtomicU64::new(0));
    let count = served.clone();
    let server = H2Server::start(H2Config::default(), move |req| pages(req, count.clone()));
    let base = format!("http://127.0.0.1:{}", server.addr.port());
    (server, base, served)
}

#[test]
fn get_with_prior_knowledge_fetches_every_url_over_one_h2c_connection() {
    let (server, base, _) = h2c_server();
    let urls: Vec<String> = ["/x", "/y", "/z"]
        .iter()
        .map(|p| format!("{base}{p}"))
        .collect();
    let mut args = vec!["get", "--http2-prior-knowledge"];
    args.extend(urls.iter().map(String::as_str));
    let (ok, out, err) = corio(&args);
    assert!(ok, "{err}");
    assert_eq!(out, "HTTP/2 /xHTTP/2 /yHTTP/2 /z");
    assert_eq!(server.accepted.load(Ordering::SeqCst), 1);
}

#[test]
fn crawl_with_prior_knowledge_crawls_over_one_h2c_connection() {
    let (server, base, served) = h2c_server();
    let (ok, out, err) = corio(&["crawl", "--http2-prior-knowledge", &format!("{base}/")]);
    assert!(ok, "{err}");
    let mut lines: Vec<&str> = out.lines().collect();
    lines.sort_unstable();
    assert_eq!(
        lines,
        [
            format!("200 {base}/"),
            format!("200 {base}/a"),
            format!("200 {base}/b")
        ]
    );
    // robots.txt and the three pages.
    assert_eq!(served.load(Ordering::SeqCst), 4);
    // One connection for robots.txt (its own client) and one for every page.
    assert_eq!(server.accepted.load(Ordering::SeqCst), 2);
}

#[test]
fn http1_1_and_http2_exclude_each_other() {
    let (ok, _, err) = corio(&["get", "--http1.1", "--http2", "http://127.0.0.1:9/"]);
    assert!(!ok);
    assert!(err.contains("cannot be used with"), "{err}");
}

/// Runs `corio bench ARGS... --json`; the report.
fn bench(args: &[&str]) -> Value {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_corio"))
        .arg("bench")
        .args(args)
        .arg("--json")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn n(report: &Value, pointer: &str) -> u64 {
    report
        .pointer(pointer)
        .and_then(Value::as_u64)
        .unwrap_or_else(|| panic!("{pointer} missing in {report}"))
}

#[test]
fn bench_h2_sends_exactly_n_requests_over_c_connections_with_m_streams() {
    let (server, base, served) = h2c_server();
    let url = format!("{base}/x");
    let r = bench(&[
        &url,
        "--h2",
        "-m",
        "10",
        "-c",
        "4",
        "-n",
        "1000",
        "--workers",
        "2",
    ]);
    assert_eq!(r["protocol"], "HTTP/2", "{r}");
    assert_eq!(n(&r, "/pipeline"), 10, "{r}");
    assert_eq!(n(&r, "/responses"), 1000, "{r}");
    assert_eq!(n(&r, "/sent"), 1000, "{r}");
    assert_eq!(n(&r, "/statuses/200"), 1000, "{r}");
    assert_eq!(n(&r, "/errors_total"), 0, "{r}");
    assert_eq!(served.load(Ordering::SeqCst), 1000);
    assert_eq!(server.accepted.load(Ordering::SeqCst), 4);
}

#[test]
fn bench_h2_counts_responses_without_a_body() {
    let (server, base, served) = h2c_server();
    let url = format!("{base}/empty");
    let r = bench(&[
        &url,
        "--h2",
        "--max-concurrent-streams",
        "3",
        "-c",
        "2",
        "-n",
        "50",
    ]);
    assert_eq!(n(&r, "/responses"), 50, "{r}");
    assert_eq!(n(&r, "/statuses/204"), 50, "{r}");
    assert_eq!(n(&r, "/bytes"), 0, "{r}");
    assert_eq!(n(&r, "/errors_total"), 0, "{r}");
    assert_eq!(served.load(Ordering::SeqCst), 50);
    assert_eq!(server.accepted.load(Ordering::SeqCst), 2);
}

#[test]
fn bench_h2_times_out_a_stream_and_goes_on_on_the_same_connection() {
    let (server, base, served) = h2c_server();
    let url = format!("{base}/stall-odd");
    let r = bench(&[&url, "--h2", "-c", "1", "-n", "6", "--timeout", "200ms"]);
    assert_eq!(n(&r, "/sent"), 6, "{r}");
    assert_eq!(n(&r, "/responses"), 3, "{r}");
    assert_eq!(n(&r, "/errors/timeout"), 3, "{r}");
    assert_eq!(n(&r, "/errors_total"), 3, "{r}");
    assert_eq!(served.load(Ordering::SeqCst), 6);
    assert_eq!(server.accepted.load(Ordering::SeqCst), 1);
}

#[test]
fn bench_h2_over_tls_negotiates_h2_by_alpn() {
    let ca = tls_util::Ca::new("corio bench test CA");
    let leaf = ca.leaf(&["localhost"]);
    let tls = tls_util::config(&leaf).alpn(&[b"h2"]);
    let served = Arc::new(AtomicU64::new(0));
    let count = served.clone();
    let server = H2Server::start_tls(H2Config::default(), tls, move |req| {
        pages(req, count.clone())
    });
    let dir = site::temp_dir("bench-h2-tls");
    let cacert = dir.join("ca.pem");
    std::fs::write(&cacert, ca.pem()).unwrap();
    let url = format!("https://localhost:{}/x", server.addr.port());
    let r = bench(&[
        &url,
        "--h2",
        "--max-concurrent-streams",
        "10",
        "-c",
        "2",
        "-n",
        "300",
        "--cacert",
        cacert.to_str().unwrap(),
    ]);
    assert_eq!(r["protocol"], "HTTP/2", "{r}");
    assert_eq!(n(&r, "/responses"), 300, "{r}");
    assert_eq!(n(&r, "/errors_total"), 0, "{r}");
    assert_eq!(served.load(Ordering::SeqCst), 300);
    assert_eq!(server.accepted.load(Ordering::SeqCst), 2);
}

/// A bare HTTP/2 server on its own thread: on every connection it sends its SETTINGS, answers
/// the first request (stream 1) with a `200` without a body, reads the second request's
/// HEADERS (stream 3), and closes the connection without answering it. Counts connections.
fn answer_one_then_close() -> (std::net::SocketAddr, Arc<AtomicU64>) {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let accepted = Arc::new(AtomicU64::new(0));
    let count = accepted.clone();
    std::thread::spawn(move || {
        for tcp in listener.incoming() {
            let mut tcp = tcp.unwrap();
            count.fetch_add(1, Ordering::SeqCst);
            let mut preface = [0u8; 24];
            tcp.read_exact(&mut preface).unwrap();
            assert_eq!(&preface, b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
            // An empty SETTINGS frame (type 4, stream 0).
            tcp.write_all(&[0, 0, 0, 4, 0, 0, 0, 0, 0]).unwrap();
            let mut requests = 0;
            while requests < 2 {
                let mut head = [0u8; 9];
                tcp.read_exact(&mut head).unwrap();
                let len = u32::from_be_bytes([0, head[0], head[1], head[2]]) as usize;
                let mut payload = vec![0u8; len];
                tcp.read_exact(&mut payload).unwrap();
                match head[3] {
                    // SETTINGS without ACK: acknowledge it.
                    4 if head[4] & 1 == 0 => tcp.write_all(&[0, 0, 0, 4, 1, 0, 0, 0, 0]).unwrap(),
                    // HEADERS: the first is answered with HEADERS (END_STREAM, END_HEADERS)
                    // holding `:status: 200` (HPACK static index 8), on its stream.
                    1 => {
                        requests += 1;
                        if requests == 1 {
                            let stream = [head[5], head[6], head[7], head[8]];
                            let mut frame = vec![0, 0, 1, 1, 0x5];
                            frame.extend_from_slice(&stream);
                            frame.push(0x88);
                            tcp.write_all(&frame).unwrap();
                        }
                    }
                    _ => {}
                }
            }
            // Closed here, with the second request unanswered.
        }
    });
    (addr, accepted)
}

#[test]
fn bench_h2_counts_the_request_a_closed_connection_loses_and_reconnects() {
    let (addr, accepted) = answer_one_then_close();
    let url = format!("http://{addr}/x");
    let r = bench(&[&url, "--h2", "-c", "1", "-n", "6"]);
    // Each connection: one response, one request lost with it, then a new connection.
    assert_eq!(n(&r, "/sent"), 6, "{r}");
    assert_eq!(n(&r, "/responses"), 3, "{r}");
    assert_eq!(n(&r, "/statuses/200"), 3, "{r}");
    assert_eq!(n(&r, "/errors/read"), 3, "{r}");
    assert_eq!(n(&r, "/errors_total"), 3, "{r}");
    assert_eq!(accepted.load(Ordering::SeqCst), 3);
}
