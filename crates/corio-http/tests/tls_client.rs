//! The client over TLS against a test HTTPS server on loopback, with certificates made in
//! the test: trust through an added root, each TLS error kind, `-k`, keep-alive, session
//! resumption, and truncation without `close_notify`.

mod tls_util;

use std::time::Duration;

use corio::net::TcpListener;
use corio_http::client::{Client, ErrorKind, TimeoutKind};
use corio_http::tls::rustls::HandshakeKind;
use corio_http::tls::TlsErrorKind;
use tls_util::{config, ok, serve, Ca, Reply};

fn trusting(ca: &Ca) -> corio_http::client::ClientBuilder {
    Client::builder().add_root_certificates([ca.der()])
}

#[test]
fn added_root_is_trusted_and_keep_alive_reuses_the_connection() {
    corio::block_on(async {
        let ca = Ca::new("test CA");
        let server = serve(config(&ca.leaf(&["localhost"])), |_| ok("hello"));
        let client = trusting(&ca).build();
        for _ in 0..3 {
            let resp = client.get(&server.url("/")).await.unwrap();
            assert_eq!(resp.status, 200);
            assert_eq!(&resp.body[..], b"hello");
        }
        let seen = server.seen.borrow();
        assert_eq!(seen.requests.len(), 3);
        assert_eq!(seen.connections, 1, "three requests on one TLS connection");
        assert_eq!(seen.handshakes, [HandshakeKind::Full]);
    });
}

#[test]
fn each_certificate_failure_has_its_kind_and_names_the_url() {
    corio::block_on(async {
        let ca = Ca::new("test CA");
        let cases = [
            (ca.leaf(&["localhost"]), false, TlsErrorKind::UnknownIssuer),
            (ca.leaf(&["other.test"]), true, TlsErrorKind::NameMismatch),
            (ca.expired_leaf(&["localhost"]), true, TlsErrorKind::Expired),
        ];
        for (leaf, trust, kind) in cases {
            let server = serve(config(&leaf), |_| ok("never"));
            let client = if trust {
                trusting(&ca).build()
            } else {
                Client::new()
            };
            let url = server.url("/x");
            let err = client.get(&url).await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Tls(kind), "{err}");
            assert_eq!(err.url(), url);
            assert!(err.to_string().contains(&url), "{err}");
            assert!(!err.is_transient());
            assert!(server.seen.borrow().requests.is_empty());
        }
    });
}

#[test]
fn insecure_accepts_an_untrusted_wrong_name_expired_certificate() {
    corio::block_on(async {
        let ca = Ca::new("unknown CA");
        let server = serve(config(&ca.expired_leaf(&["other.test"])), |_| ok("ok"));
        let strict = Client::new().get(&server.url("/")).await.unwrap_err();
        assert!(matches!(strict.kind(), ErrorKind::Tls(_)), "{strict}");
        let client = Client::builder().danger_accept_invalid_certs(true).build();
        let resp = client.get(&server.url("/")).await.unwrap();
        assert_eq!(&resp.body[..], b"ok");
    });
}

#[test]
fn a_server_that_never_answers_the_hello_is_a_handshake_timeout() {
    corio::block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!(
            "https://localhost:{}/",
            listener.local_addr().unwrap().port()
        );
        let held = corio::spawn_local(async move {
            let (conn, _) = listener.accept().await.unwrap();
            conn
        });
        let client = Client::builder()
            .handshake_timeout(Some(Duration::from_millis(200)))
            .build();
        let err = client.get(&url).await.unwrap_err();
        assert_eq!(
            err.kind(),
            ErrorKind::Timeout(TimeoutKind::Handshake),
            "{err}"
        );
        assert!(err.to_string().contains("handshake timed out"), "{err}");
        drop(held.await.unwrap());
    });
}

#[test]
fn a_cleartext_answer_to_the_hello_is_a_protocol_error() {
    corio::block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!(
            "https://localhost:{}/",
            listener.local_addr().unwrap().port()
        );
        corio::spawn_local(async move {
            let (mut conn, _) = listener.accept().await.unwrap();
            let mut hello = [0u8; 512];
            let _ = conn.read(&mut hello).await;
            let _ = conn
                .write_all(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n")
                .await;
        });
        let err = Client::new().get(&url).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Tls(TlsErrorKind::Protocol), "{err}");
    });
}

#[test]
fn the_second_connection_resumes_the_session() {
    corio::block_on(async {
        let ca = Ca::new("test CA");
        let server = serve(config(&ca.leaf(&["localhost"])), |_| ok("r"));
        // No keep-alive: every request opens a connection.
        let client = trusting(&ca).max_idle_per_host(0).build();
        for _ in 0..3 {
            client.get(&server.url("/")).await.unwrap();
        }
        let seen = server.seen.borrow();
        assert_eq!(seen.connections, 3);
        assert_eq!(
            seen.handshakes,
            [
                HandshakeKind::Full,
                HandshakeKind::Resumed,
                HandshakeKind::Resumed
            ]
        );
    });
}

#[test]
fn sessions_resume_across_clients_sharing_a_store() {
    corio::block_on(async {
        let ca = Ca::new("test CA");
        let server = serve(config(&ca.leaf(&["localhost"])), |_| ok("r"));
        let tls = corio_http::tls::ClientTlsConfig::new().add_roots([ca.der()]);
        for _ in 0..2 {
            let client = Client::builder().tls(tls.clone()).build();
            client.get(&server.url("/")).await.unwrap();
        }
        let fresh = trusting(&ca).build();
        fresh.get(&server.url("/")).await.unwrap();
        assert_eq!(
            server.seen.borrow().handshakes,
            [
                HandshakeKind::Full,
                HandshakeKind::Resumed,
                HandshakeKind::Full
            ]
        );
    });
}

#[test]
fn close_delimited_body_needs_close_notify() {
    corio::block_on(async {
        let ca = Ca::new("test CA");
        let head = "HTTP/1.1 200 OK\r\nconnection: close\r\n\r\n";
        let server = serve(config(&ca.leaf(&["localhost"])), move |h| {
            let bytes = format!("{head}body until close").into_bytes();
            if h.starts_with("GET /clean ") {
                Reply::SendClose(bytes)
            } else {
                Reply::SendTruncate(bytes)
            }
        });
        let client = trusting(&ca).build();
        let resp = client.get(&server.url("/clean")).await.unwrap();
        assert_eq!(&resp.body[..], b"body until close");
        let err = client.get(&server.url("/cut")).await.unwrap_err();
        assert_eq!(
            err.kind(),
            ErrorKind::Io(std::io::ErrorKind::UnexpectedEof),
            "{err}"
        );
        assert!(err.to_string().contains("close_notify"), "{err}");
    });
}

#[test]
fn an_https_and_an_http_connection_to_one_port_are_not_shared() {
    corio::block_on(async {
        let ca = Ca::new("test CA");
        let server = serve(config(&ca.leaf(&["localhost"])), |_| ok("tls"));
        let client = trusting(&ca).build();
        client.get(&server.url("/")).await.unwrap();
        // The pooled TLS connection must not carry a cleartext request: the cleartext one
        // opens its own connection and gets the server's 400 for plain HTTP.
        let plain = format!("http://localhost:{}/", server.addr.port());
        let resp = client.get(&plain).await.unwrap();
        assert_eq!(resp.status, 400);
        assert_eq!(server.seen.borrow().connections, 2);
    });
}

#[test]
fn the_client_sends_close_notify_when_it_closes_a_connection() {
    corio::block_on(async {
        let ca = Ca::new("test CA");
        let server = serve(config(&ca.leaf(&["localhost"])), |_| ok("bye"));
        // No idle connections kept: the connection is closed once the body is read.
        let client = trusting(&ca).max_idle_per_host(0).build();
        client.get(&server.url("/")).await.unwrap();
        let closed = corio::time::timeout(Duration::from_secs(30), async {
            while server.seen.borrow().client_closes.is_empty() {
                corio::yield_now().await;
            }
        })
        .await;
        assert!(closed.is_ok(), "the server never saw the close");
        assert_eq!(server.seen.borrow().client_closes, [true]);
    });
}
