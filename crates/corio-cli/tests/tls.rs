//! `corio get` and `corio crawl` over HTTPS against a test TLS server whose certificate is
//! signed by a test CA: `--cacert` trusts it, no flag fails naming the URL and the reason,
//! `-k` skips verification with a warning.

mod site;
#[path = "../../corio-http/tests/tls_util/mod.rs"]
mod tls_util;

use std::sync::mpsc;

use site::corio;
use tls_util::{config, ok, serve, Ca, Reply};

/// Starts an HTTPS site for `localhost` on its own thread; returns its base URL and the CA
/// certificate's PEM file.
fn https_site(tag: &str) -> (String, std::path::PathBuf) {
    let ca = Ca::new("cli test CA");
    let leaf = ca.leaf(&["localhost"]);
    let cacert =
        std::env::temp_dir().join(format!("corio-cacert-{tag}-{}.pem", std::process::id()));
    std::fs::write(&cacert, ca.pem()).unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        corio::block_on(async move {
            let server = serve(config(&leaf), |head| {
                if head.starts_with("GET / ") {
                    let page = "<a href=\"/a\">a</a>";
                    Reply::Send(
                        format!(
                            "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: {}\r\n\r\n{page}",
                            page.len()
                        )
                        .into_bytes(),
                    )
                } else {
                    ok("secret\n")
                }
            });
            tx.send(server.url("")).unwrap();
            std::future::pending::<()>().await;
        })
    });
    (rx.recv().unwrap(), cacert)
}

#[test]
fn get_over_https_with_cacert_without_and_insecure() {
    let (base, cacert) = https_site("get");
    let url = format!("{base}/a");
    let (good, out, err) = corio(&["get", "--cacert", cacert.to_str().unwrap(), &url]);
    assert!(good, "{err}");
    assert_eq!(out, "secret\n");
    assert!(!err.contains("warning"), "{err}");

    let (good, out, err) = corio(&["get", &url]);
    assert!(!good);
    assert!(out.is_empty());
    assert!(
        err.contains(&url) && err.contains("unknown issuer"),
        "{err}"
    );

    let (good, out, err) = corio(&["get", "-k", &url]);
    assert!(good, "{err}");
    assert_eq!(out, "secret\n");
    assert!(err.contains("warning: --insecure"), "{err}");

    let missing = format!("{}.missing", cacert.display());
    let (good, _, err) = corio(&["get", "--cacert", &missing, &url]);
    assert!(!good);
    assert!(err.contains("--cacert") && err.contains(&missing), "{err}");
    std::fs::remove_file(cacert).unwrap();
}

#[test]
fn crawl_over_https_follows_links() {
    let (base, cacert) = https_site("crawl");
    let (good, out, err) = corio(&[
        "crawl",
        "--cacert",
        cacert.to_str().unwrap(),
        &format!("{base}/"),
    ]);
    assert!(good, "{err}");
    let mut lines: Vec<&str> = out.lines().collect();
    lines.sort();
    assert_eq!(lines.len(), 2, "{out}");
    assert!(
        lines[0].starts_with("200 ") && lines[0].contains(&format!("{base}/")),
        "{out}"
    );
    assert!(lines[1].contains(&format!("{base}/a")), "{out}");
    std::fs::remove_file(cacert).unwrap();
}

/// Runs `corio bench ARGS... --json`; returns the exit code, the report and stderr.
fn bench(args: &[&str]) -> (i32, serde_json::Value, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_corio"))
        .arg("bench")
        .args(args)
        .arg("--json")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let report = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("no JSON report ({e}): {stdout}\nstderr: {stderr}"));
    (out.status.code().unwrap_or(-1), report, stderr)
}

#[test]
fn bench_over_https_pipelined_and_its_handshake_errors() {
    let (base, cacert) = https_site("bench");
    let url = format!("{base}/a");
    let cacert_arg = cacert.to_str().unwrap();
    let (code, r, err) = bench(&[
        &url,
        "--cacert",
        cacert_arg,
        "-n",
        "400",
        "-c",
        "4",
        "--pipeline",
        "8",
        "--workers",
        "1",
    ]);
    assert_eq!(code, 0, "{r} {err}");
    assert_eq!(r["responses"], 400, "{r}");
    assert_eq!(r["statuses"]["200"], 400, "{r}");
    assert_eq!(r["errors_total"], 0, "{r}");

    // Untrusted: every connection fails its handshake, counted as connect errors with the
    // reason; no response, exit status 1.
    let (code, r, _) = bench(&[&url, "-n", "5", "-c", "1", "--workers", "1"]);
    assert_eq!(code, 1, "{r}");
    assert_eq!(r["responses"], 0, "{r}");
    assert_eq!(r["errors"]["connect"], 5, "{r}");
    let reason = r["connect_error"].as_str().unwrap_or_default();
    assert!(
        reason.contains("TLS handshake") && reason.contains("UnknownIssuer"),
        "{r}"
    );

    let (code, r, err) = bench(&[&url, "-k", "-n", "20", "-c", "2", "--workers", "1"]);
    assert_eq!(code, 0, "{r}");
    assert_eq!(r["responses"], 20, "{r}");
    assert!(err.contains("warning: --insecure"), "{err}");
    std::fs::remove_file(cacert).unwrap();
}
