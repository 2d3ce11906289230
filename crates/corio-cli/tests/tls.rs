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
