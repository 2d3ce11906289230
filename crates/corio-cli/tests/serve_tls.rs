//! `corio serve` over HTTPS as a child process: `--tls-self-signed` (the start-up line shows
//! `https://`, the fingerprint and a PEM file that `corio get`/`crawl --cacert` and curl
//! trust), `--tls-cert`/`--tls-key` with a `SIGHUP` reload (new connections get the new
//! certificate, an open one keeps working, a failed reload keeps the current one), and bad
//! TLS arguments.

mod serve_child;
mod site;
#[path = "../../corio-http/tests/tls_util/mod.rs"]
mod tls_util;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use corio_http::tls::rustls::pki_types::ServerName;
use corio_http::tls::rustls::{ClientConfig, ClientConnection, RootCertStore, StreamOwned};
use corio_http::tls::{certs_from_file, provider, sha256_fingerprint, PROTOCOL_VERSIONS};
use serve_child::{temp_dir, Served};
use site::corio;
use tls_util::Ca;

/// A hang guard for reads and waits, never a verdict.
const GUARD: Duration = Duration::from_secs(60);

type Tls = StreamOwned<ClientConnection, TcpStream>;

fn client(root: corio_http::tls::rustls::pki_types::CertificateDer<'static>) -> Arc<ClientConfig> {
    let mut roots = RootCertStore::empty();
    roots.add(root).unwrap();
    Arc::new(
        ClientConfig::builder_with_provider(provider())
            .with_protocol_versions(PROTOCOL_VERSIONS)
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth(),
    )
}

/// Connects to `addr` as `localhost` and completes the handshake.
fn connect(addr: SocketAddr, config: &Arc<ClientConfig>) -> std::io::Result<Tls> {
    let tcp = TcpStream::connect(addr)?;
    tcp.set_read_timeout(Some(GUARD))?;
    let name = ServerName::try_from("localhost").unwrap();
    let mut tls = StreamOwned::new(ClientConnection::new(config.clone(), name).unwrap(), tcp);
    while tls.conn.is_handshaking() {
        tls.conn.complete_io(&mut tls.sock)?;
    }
    Ok(tls)
}

/// `GET path` on a kept-alive connection; the body (Content-Length framing).
fn get(tls: &mut Tls, path: &str) -> Vec<u8> {
    write!(tls, "GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n").unwrap();
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = tls.read(&mut chunk).unwrap();
        assert!(n > 0, "closed before the response");
        buf.extend_from_slice(&chunk[..n]);
        let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&buf[..end]).into_owned();
        let len: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length: "))
            .unwrap()
            .parse()
            .unwrap();
        if buf.len() >= end + 4 + len {
            return buf[end + 4..end + 4 + len].to_vec();
        }
    }
}

fn site(name: &str) -> std::path::PathBuf {
    let dir = temp_dir(name);
    std::fs::write(dir.join("index.html"), "<a href=\"/a.txt\">a</a>").unwrap();
    std::fs::write(dir.join("a.txt"), "alpha\n").unwrap();
    dir
}

#[test]
fn self_signed_https_with_get_crawl_and_cleartext() {
    let dir = site("serve-tls-self");
    let mut served = Served::start(&dir, None, &["--tls-self-signed", "--workers", "1", "-q"]);
    let line = served.startup.clone();
    let port = served.addr.port();
    assert!(
        line.contains(&format!("https://127.0.0.1:{port}/")),
        "{line}"
    );
    let cert = line
        .split("--cacert ")
        .nth(1)
        .and_then(|rest| rest.split(';').next())
        .unwrap_or_else(|| panic!("no certificate file in {line:?}"))
        .to_owned();
    let der = certs_from_file(Path::new(&cert)).unwrap().remove(0);
    assert!(
        line.contains(&format!("SHA-256 {}", sha256_fingerprint(&der))),
        "{line}"
    );

    let base = format!("https://localhost:{port}");
    let (good, out, err) = corio(&["get", "--cacert", &cert, &format!("{base}/a.txt")]);
    assert!(good, "{err}");
    assert_eq!(out, "alpha\n");
    // The certificate also covers 127.0.0.1.
    let (good, out, err) = corio(&[
        "get",
        "--cacert",
        &cert,
        &format!("https://127.0.0.1:{port}/a.txt"),
    ]);
    assert!(good, "{err}");
    assert_eq!(out, "alpha\n");
    let (good, out, err) = corio(&["crawl", "--cacert", &cert, &format!("{base}/")]);
    assert!(good, "{err}");
    let mut lines: Vec<&str> = out.lines().collect();
    lines.sort();
    assert_eq!(lines.len(), 2, "{out}");
    assert!(lines.iter().all(|l| l.starts_with("200 ")), "{out}");
    assert!(lines[1].contains(&format!("{base}/a.txt")), "{out}");
    // Without trusting it: a clear error naming the reason.
    let (good, _, err) = corio(&["get", &format!("{base}/a.txt")]);
    assert!(!good && err.contains("unknown issuer"), "{err}");

    let reply = serve_child::get(served.addr, "/a.txt").unwrap();
    let reply = String::from_utf8(reply).unwrap();
    assert!(reply.starts_with("HTTP/1.1 400 "), "{reply}");
    assert!(reply.contains("plain HTTP request was sent to HTTPS port"));

    served.signal("TERM");
    assert!(served.wait(GUARD).success());
    assert!(!Path::new(&cert).exists(), "{cert} left behind");
    std::fs::remove_dir_all(dir).unwrap();
}

/// Waits for a log line containing `needle`; panics at the hang guard.
fn wait_log(served: &Served, needle: &str) -> String {
    loop {
        let line = served
            .log
            .recv_timeout(GUARD)
            .unwrap_or_else(|_| panic!("no log line with {needle:?}"));
        if line.contains(needle) {
            return line;
        }
    }
}

#[test]
fn sighup_reloads_certificates_of_a_running_serve() {
    let dir = site("serve-tls-hup");
    let keys = temp_dir("serve-tls-hup-keys");
    let (cert, key) = (keys.join("cert.pem"), keys.join("key.pem"));
    let (old_ca, new_ca) = (Ca::new("old CA"), Ca::new("new CA"));
    let write = |leaf: &tls_util::Leaf| {
        std::fs::write(&cert, &leaf.cert_pem).unwrap();
        std::fs::write(&key, &leaf.key_pem).unwrap();
    };
    write(&old_ca.leaf(&["localhost"]));
    let served = Served::start(
        &dir,
        None,
        &[
            "--tls-cert",
            cert.to_str().unwrap(),
            "--tls-key",
            key.to_str().unwrap(),
            "--workers",
            "1",
            "-q",
        ],
    );
    assert!(served.startup.contains("https://"), "{}", served.startup);
    let (old_trust, new_trust) = (client(old_ca.der()), client(new_ca.der()));
    let mut open = connect(served.addr, &old_trust).unwrap();
    assert_eq!(get(&mut open, "/a.txt"), b"alpha\n");

    write(&new_ca.leaf(&["localhost"]));
    served.signal("HUP");
    wait_log(&served, "reloaded 1 TLS certificate");
    let mut fresh = connect(served.addr, &new_trust).expect("the new certificate");
    assert_eq!(get(&mut fresh, "/a.txt"), b"alpha\n");
    // A client without a session to resume (a resumed session shows no certificate).
    let err = connect(served.addr, &client(old_ca.der()))
        .map(drop)
        .expect_err("the old CA no longer works");
    assert!(err.to_string().contains("UnknownIssuer"), "{err}");
    // The connection opened before the reload keeps working.
    assert_eq!(get(&mut open, "/a.txt"), b"alpha\n");

    // A broken key: the reload fails, says why, and the current certificate stays.
    std::fs::write(&key, "not a key").unwrap();
    served.signal("HUP");
    let line = wait_log(&served, "reload failed");
    assert!(line.contains("key.pem"), "{line}");
    let mut again = connect(served.addr, &new_trust).expect("still the new certificate");
    assert_eq!(get(&mut again, "/a.txt"), b"alpha\n");
    drop(served);
    std::fs::remove_dir_all(dir).unwrap();
    std::fs::remove_dir_all(keys).unwrap();
}

#[test]
fn bad_tls_arguments_are_usage_errors() {
    let dir = site("serve-tls-args");
    let missing = dir.join("missing.pem");
    let missing = missing.to_str().unwrap();
    let run = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_corio"))
            .arg("serve")
            .arg(&dir)
            .args(["--addr", "127.0.0.1:0"])
            .args(args)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, err) = run(&["--tls-cert", missing]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("--tls-key"), "{err}");
    let (code, err) = run(&["--tls-cert", missing, "--tls-key", missing]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("missing.pem") && err.contains("cannot read"),
        "{err}"
    );
    let (code, err) = run(&[
        "--tls-cert",
        missing,
        "--tls-key",
        missing,
        "--tls-cert",
        missing,
    ]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("in pairs"), "{err}");
    let (code, err) = run(&["--tls-self-signed", "--tls-cert", missing]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("cannot be used with"), "{err}");
    std::fs::remove_dir_all(dir).unwrap();
}

/// `corio bench` against an HTTPS `corio serve`: with keep-alive one handshake per connection,
/// with `--new-conn` one connection (and handshake) per request; connect and handshake times
/// are reported.
#[test]
fn bench_reports_handshakes_and_opens_a_connection_per_request_with_new_conn() {
    let dir = site("serve-tls-bench");
    let served = Served::start(&dir, None, &["--tls-self-signed", "--workers", "1", "-q"]);
    let cert = served
        .startup
        .split("--cacert ")
        .nth(1)
        .and_then(|rest| rest.split(';').next())
        .unwrap()
        .to_owned();
    let url = format!("https://localhost:{}/a.txt", served.addr.port());
    let bench = |extra: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_corio"))
            .args(["bench", &url, "--cacert", &cert, "-n", "20", "-c", "2"])
            .args(["--workers", "1", "--json"])
            .args(extra)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let report: serde_json::Value = serde_json::from_str(&stdout)
            .unwrap_or_else(|e| panic!("{e}: {stdout} {}", String::from_utf8_lossy(&out.stderr)));
        assert!(out.status.success(), "{report}");
        assert_eq!(report["responses"], 20, "{report}");
        assert_eq!(report["statuses"]["200"], 20, "{report}");
        assert_eq!(report["errors_total"], 0, "{report}");
        assert_eq!(
            report["connect_us"]["count"], report["handshake_us"]["count"],
            "{report}"
        );
        report["handshake_us"]["count"].as_u64().unwrap()
    };
    assert_eq!(bench(&[]), 2);
    // Every request on its own connection (a connection may also start just as the budget
    // runs out, and close unused).
    assert!(bench(&["--new-conn"]) >= 20);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_corio"))
        .args(["bench", &url, "--new-conn", "--pipeline", "4", "-n", "1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--new-conn"));
    // Stopped gracefully, so that it removes its certificate file.
    let mut served = served;
    served.signal("TERM");
    assert!(served.wait(GUARD).success());
    assert!(!Path::new(&cert).exists(), "{cert} left behind");
    std::fs::remove_dir_all(dir).unwrap();
}
