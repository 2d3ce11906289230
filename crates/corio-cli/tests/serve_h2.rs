//! `corio serve` speaks HTTP/2 as a child process: curl `--http2-prior-knowledge` and
//! `--http1.1` on one cleartext port, curl `--http2` over TLS by ALPN (`--tls-self-signed`),
//! `corio get --http2-prior-knowledge` with several URLs, and a graceful stop after.
//!
//! curl must be installed: a test without it fails with a message naming the package.

mod serve_child;
mod site;

use std::process::{Command, Output};
use std::time::Duration;

use serve_child::{temp_dir, Served};
use site::corio;

/// A hang guard for the server's exit, never a verdict.
const GUARD: Duration = Duration::from_secs(60);

fn curl(args: &[&str]) -> Output {
    match Command::new("curl").args(args).output() {
        Ok(out) => out,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            panic!("curl is not installed: this test needs it (apt-get install curl)")
        }
        Err(e) => panic!("cannot run curl: {e}"),
    }
}

/// `curl ARGS... URL` printing the body then ` <http_version> <status>`.
fn fetch(args: &[&str], url: &str) -> String {
    let mut all = vec!["--silent", "--show-error"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--write-out", " %{http_version} %{http_code}", url]);
    let out = curl(&all);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn site(name: &str) -> std::path::PathBuf {
    let dir = temp_dir(name);
    std::fs::write(dir.join("a.txt"), "alpha\n").unwrap();
    std::fs::write(dir.join("b.txt"), "beta\n").unwrap();
    dir
}

fn stop(mut served: Served, dir: std::path::PathBuf) {
    served.signal("TERM");
    assert!(served.wait(GUARD).success());
    std::fs::remove_dir_all(dir).unwrap();
}

/// One URL per curl run: curl 7.88 fails a second URL on a reused prior-knowledge connection
/// whatever the server (curl/curl#10634); several URLs on one connection are `corio get`'s.
#[test]
fn h2c_with_prior_knowledge_and_http1_on_one_port() {
    let dir = site("serve-h2c");
    let served = Served::start(&dir, None, &["--workers", "1", "-q"]);
    let base = format!("http://127.0.0.1:{}", served.addr.port());
    let a = format!("{base}/a.txt");
    assert_eq!(fetch(&["--http2-prior-knowledge"], &a), "alpha\n 2 200");
    assert_eq!(fetch(&["--http1.1"], &a), "alpha\n 1.1 200");
    let missing = fetch(&["--http2-prior-knowledge"], &format!("{base}/none"));
    assert!(missing.ends_with(" 2 404"), "{missing}");
    let b = format!("{base}/b.txt");
    let (good, out, err) = corio(&["get", "--http2-prior-knowledge", &a, &b, &a]);
    assert!(good, "{err}");
    assert_eq!(out, "alpha\nbeta\nalpha\n");
    stop(served, dir);
}

#[test]
fn h2_over_tls_by_alpn() {
    let dir = site("serve-h2-tls");
    let served = Served::start(&dir, None, &["--tls-self-signed", "--workers", "1", "-q"]);
    let line = served.startup.clone();
    let cert = line
        .split("--cacert ")
        .nth(1)
        .and_then(|rest| rest.split(';').next())
        .unwrap_or_else(|| panic!("no certificate file in {line:?}"))
        .to_owned();
    let base = format!("https://localhost:{}", served.addr.port());
    let a = format!("{base}/a.txt");
    assert_eq!(fetch(&["--http2", "--cacert", &cert], &a), "alpha\n 2 200");
    assert_eq!(
        fetch(&["--http1.1", "--cacert", &cert], &a),
        "alpha\n 1.1 200"
    );
    let b = format!("{base}/b.txt");
    let (good, out, err) = corio(&["get", "--http2", "--cacert", &cert, &a, &b]);
    assert!(good, "{err}");
    assert_eq!(out, "alpha\nbeta\n");
    stop(served, dir);
}
