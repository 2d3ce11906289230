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

/// The options people reach for behave the same over HTTP/1.1 and HTTP/2, cleartext and TLS:
/// `-H`, `--cors` (with a preflight), `--cache-control`, `--auth`, `--spa`, and compression.
#[test]
fn serve_options_over_h1_and_h2_with_and_without_tls() {
    let dir = site("serve-h2-options");
    std::fs::write(dir.join("index.html"), "<h1>app</h1>\n").unwrap();
    std::fs::write(dir.join("big.txt"), "corio ".repeat(2000)).unwrap();
    let options = [
        "--workers",
        "1",
        "-q",
        "-H",
        "X-Served-By: corio",
        "--cors",
        "--cache-control",
        "max-age=60",
        "--auth",
        "ann:secret",
        "--spa",
    ];
    let plain = Served::start(&dir, None, &options);
    let mut tls_args = options.to_vec();
    tls_args.push("--tls-self-signed");
    let tls = Served::start(&dir, None, &tls_args);
    let cert = tls
        .startup
        .split("--cacert ")
        .nth(1)
        .and_then(|rest| rest.split(';').next())
        .unwrap_or_else(|| panic!("no certificate file in {:?}", tls.startup))
        .to_owned();
    let cases = [
        (
            format!("http://127.0.0.1:{}", plain.addr.port()),
            vec!["--http1.1"],
            "1.1",
        ),
        (
            format!("http://127.0.0.1:{}", plain.addr.port()),
            vec!["--http2-prior-knowledge"],
            "2",
        ),
        (
            format!("https://localhost:{}", tls.addr.port()),
            vec!["--http1.1", "--cacert", &cert],
            "1.1",
        ),
        (
            format!("https://localhost:{}", tls.addr.port()),
            vec!["--http2", "--cacert", &cert],
            "2",
        ),
    ];
    for (base, proto, version) in &cases {
        let with = |extra: &[&str]| -> Vec<String> {
            let mut args: Vec<String> = proto.iter().map(|s| s.to_string()).collect();
            args.extend(extra.iter().map(|s| s.to_string()));
            args
        };
        let run = |extra: &[&str], url: &str| -> String {
            let args = with(extra);
            let refs: Vec<&str> = args.iter().map(String::as_str).collect();
            fetch(&refs, url)
        };
        let what = format!("{base} {proto:?}");
        // Without credentials: 401 (a preflight needs none).
        let denied = run(&[], &format!("{base}/a.txt"));
        assert!(
            denied.ends_with(&format!(" {version} 401")),
            "{what}: {denied}"
        );
        let preflight = run(
            &[
                "-X",
                "OPTIONS",
                "-H",
                "Origin: http://example.test",
                "-H",
                "Access-Control-Request-Method: GET",
                "-o",
                "/dev/null",
            ],
            &format!("{base}/a.txt"),
        );
        assert!(
            preflight.ends_with(&format!(" {version} 204")),
            "{what}: {preflight}"
        );
        // With credentials: the file, the extra headers, CORS and Cache-Control.
        let headers = run(
            &["-u", "ann:secret", "-D", "-", "-o", "/dev/null"],
            &format!("{base}/a.txt"),
        )
        .to_ascii_lowercase();
        assert!(headers.contains("x-served-by: corio"), "{what}: {headers}");
        assert!(
            headers.contains("access-control-allow-origin: *"),
            "{what}: {headers}"
        );
        assert!(
            headers.contains("cache-control: max-age=60"),
            "{what}: {headers}"
        );
        // --spa: an unknown path gets the index.
        let spa = run(&["-u", "ann:secret"], &format!("{base}/some/route"));
        assert_eq!(spa, format!("<h1>app</h1>\n {version} 200"), "{what}");
        // Compression, decoded by curl.
        let big = run(
            &["-u", "ann:secret", "--compressed"],
            &format!("{base}/big.txt"),
        );
        assert_eq!(
            big,
            format!("{} {version} 200", "corio ".repeat(2000)),
            "{what}"
        );
    }
    stop(plain, dir.clone());
    let mut tls = tls;
    tls.signal("TERM");
    assert!(tls.wait(GUARD).success());
}
