//! The server-side TLS pieces over loopback, before they are wired into `Server`:
//! [`TlsConfig::accept`] answering cleartext HTTP with a 400, certificates chosen by SNI, and
//! a [`CertStore`] reload (new handshakes see the new certificate, an open connection keeps
//! working, a failed reload keeps the old one).

mod tls_util;
mod util;

use std::io::{Read, Write};
use std::sync::Arc;

use corio_http::client::{Client, ErrorKind};
use corio_http::tls::{CertSource, CertStore, TlsConfig, TlsErrorKind, PLAIN_HTTP_RESPONSE};
use tls_util::{config, ok, serve, Ca};
use util::TempDir;

#[test]
fn cleartext_http_on_the_tls_port_gets_400_and_a_close() {
    corio::block_on(async {
        let ca = Ca::new("test CA");
        let server = serve(config(&ca.leaf(&["localhost"])), |_| ok("x"));
        let addr = server.addr;
        let reply = corio::task::spawn_blocking(move || {
            let mut plain = std::net::TcpStream::connect(addr).unwrap();
            plain
                .write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
                .unwrap();
            let mut reply = Vec::new();
            plain.read_to_end(&mut reply).unwrap();
            reply
        })
        .await
        .unwrap();
        assert_eq!(reply, PLAIN_HTTP_RESPONSE);
        let text = String::from_utf8(reply).unwrap();
        assert!(text.starts_with("HTTP/1.1 400 Bad Request\r\n"));
        assert!(text.ends_with("The plain HTTP request was sent to HTTPS port\n"));
        let seen = server.seen.borrow();
        assert_eq!(seen.refused, ["plain HTTP request sent to the TLS port"]);
        assert!(seen.handshakes.is_empty());
    });
}

#[test]
fn the_certificate_is_chosen_by_sni_and_the_first_is_the_default() {
    corio::block_on(async {
        let ca = Ca::new("test CA");
        let default = ca.leaf(&["default.test"]);
        let local = ca.leaf(&["localhost"]);
        let tls = TlsConfig::from_sources(vec![default.source(), local.source()]).unwrap();
        let server = serve(tls, |_| ok("sni"));
        let client = Client::builder().add_root_certificates([ca.der()]).build();
        // SNI "localhost" selects the second certificate.
        let resp = client.get(&server.url("/")).await.unwrap();
        assert_eq!(&resp.body[..], b"sni");
        // An IP address sends no SNI: the default certificate, not valid for the address.
        let err = client.get(&server.ip_url("/")).await.unwrap_err();
        assert_eq!(
            err.kind(),
            ErrorKind::Tls(TlsErrorKind::NameMismatch),
            "{err}"
        );
    });
}

#[test]
fn reload_swaps_certificates_for_new_handshakes_and_keeps_them_on_failure() {
    corio::block_on(async {
        let dir = TempDir::new("tls-reload");
        let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
        let write = |leaf: &tls_util::Leaf| {
            std::fs::write(&cert, &leaf.cert_pem).unwrap();
            std::fs::write(&key, &leaf.key_pem).unwrap();
        };
        let (old_ca, new_ca) = (Ca::new("old CA"), Ca::new("new CA"));
        write(&old_ca.leaf(&["localhost"]));
        let tls = TlsConfig::from_sources(vec![CertSource::files(&cert, &key)]).unwrap();
        let store: Arc<CertStore> = tls.cert_store().unwrap().clone();
        let server = serve(tls, |_| ok("r"));
        let old_client = Client::builder()
            .add_root_certificates([old_ca.der()])
            .build();
        let new_client = Client::builder()
            .add_root_certificates([new_ca.der()])
            .build();
        old_client.get(&server.url("/")).await.unwrap();

        write(&new_ca.leaf(&["localhost"]));
        assert_eq!(store.reload().unwrap(), 1);
        new_client.get(&server.url("/")).await.unwrap();
        // The old client's pooled connection was established before the reload: it still
        // works, on the same connection.
        old_client.get(&server.url("/")).await.unwrap();
        assert_eq!(server.seen.borrow().connections, 2);
        // A new connection of the old client sees the new certificate.
        let fresh_old = Client::builder()
            .add_root_certificates([old_ca.der()])
            .build();
        let err = fresh_old.get(&server.url("/")).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Tls(TlsErrorKind::UnknownIssuer));

        // A broken key file: the reload fails, naming the file, and the new certificate stays.
        std::fs::write(&key, "not a key").unwrap();
        let err = store.reload().unwrap_err();
        assert!(err.to_string().contains("key.pem"), "{err}");
        let again = Client::builder()
            .add_root_certificates([new_ca.der()])
            .build();
        again.get(&server.url("/")).await.unwrap();
        // A key that does not match its certificate is refused too.
        std::fs::write(&key, new_ca.leaf(&["localhost"]).key_pem).unwrap();
        assert!(store.reload().is_err());
    });
}

#[test]
fn bad_pem_files_are_clear_errors() {
    let dir = TempDir::new("tls-pem");
    let missing = dir.path().join("missing.pem");
    let err = TlsConfig::from_pem_files(&missing, &missing).unwrap_err();
    assert!(err.to_string().contains("missing.pem"), "{err}");
    let ca = Ca::new("test CA");
    let leaf = ca.leaf(&["localhost"]);
    let (cert, key) = (dir.path().join("c.pem"), dir.path().join("k.pem"));
    std::fs::write(&cert, &leaf.key_pem).unwrap();
    std::fs::write(&key, &leaf.key_pem).unwrap();
    let err = TlsConfig::from_pem_files(&cert, &key).unwrap_err();
    assert!(err.to_string().contains("no CERTIFICATE"), "{err}");
    std::fs::write(&cert, &leaf.cert_pem).unwrap();
    std::fs::write(&key, &leaf.cert_pem).unwrap();
    let err = TlsConfig::from_pem_files(&cert, &key).unwrap_err();
    assert!(err.to_string().contains("no private key"), "{err}");
    std::fs::write(&key, &leaf.key_pem).unwrap();
    assert!(TlsConfig::from_pem_files(&cert, &key).is_ok());
    assert!(TlsConfig::from_sources(Vec::new()).is_err());
}

#[test]
fn sighup_reloads_the_store() {
    corio::block_on(async {
        let dir = TempDir::new("tls-sighup");
        let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
        let (old_ca, new_ca) = (Ca::new("old CA"), Ca::new("new CA"));
        let leaf = old_ca.leaf(&["localhost"]);
        std::fs::write(&cert, &leaf.cert_pem).unwrap();
        std::fs::write(&key, &leaf.key_pem).unwrap();
        let tls = TlsConfig::from_sources(vec![CertSource::files(&cert, &key)]).unwrap();
        let store = tls.cert_store().unwrap().clone();
        let before = store.current();
        let server = serve(tls, |_| ok("r"));
        corio::spawn_local(store.clone().reload_on_sighup().unwrap());

        let leaf = new_ca.leaf(&["localhost"]);
        std::fs::write(&cert, &leaf.cert_pem).unwrap();
        std::fs::write(&key, &leaf.key_pem).unwrap();
        let me = rustix::process::getpid();
        rustix::process::kill_process(me, rustix::process::Signal::Hup).unwrap();
        // The watcher runs on this loop: yield until it has swapped the set in.
        let swapped = corio::time::timeout(std::time::Duration::from_secs(30), async {
            while Arc::ptr_eq(&before, &store.current()) {
                corio::yield_now().await;
            }
        })
        .await;
        assert!(swapped.is_ok(), "no reload after SIGHUP");
        let client = Client::builder()
            .add_root_certificates([new_ca.der()])
            .build();
        client.get(&server.url("/")).await.unwrap();
    });
}

/// Keys in the two formats rcgen does not write (made once with openssl, committed under
/// `tests/fixtures/tls/`, valid for a hundred years): RSA/PKCS#1 and SEC1. Each serves a
/// handshake to a client trusting the self-signed certificate.
#[test]
fn rsa_and_sec1_keys_serve_handshakes() {
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tls");
    for (kind, label) in [("rsa", "RSA PRIVATE KEY"), ("ec", "EC PRIVATE KEY")] {
        let cert = fixtures.join(format!("{kind}-cert.pem"));
        let key = fixtures.join(format!("{kind}-key.pem"));
        let pem = std::fs::read_to_string(&key).unwrap();
        assert!(
            pem.starts_with(&format!("-----BEGIN {label}-----")),
            "{pem}"
        );
        let tls = TlsConfig::from_pem_files(&cert, &key).unwrap();
        let roots = corio_http::tls::certs_from_file(&cert).unwrap();
        corio::block_on(async {
            let server = serve(tls, |_| ok(kind));
            let client = Client::builder().add_root_certificates(roots).build();
            let resp = client.get(&server.url("/")).await.unwrap();
            assert_eq!(&resp.body[..], kind.as_bytes());
        });
    }
}
