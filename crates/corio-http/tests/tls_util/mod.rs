//! TLS test fixtures: certificates made with rcgen (a test CA, leaves for chosen names and
//! validity), and a small HTTPS server on the test's own loop built from
//! [`TlsConfig::accept`] and futures-rustls. It records each connection's handshake kind
//! and answers every request with what the test's reply function says.

#![allow(dead_code)]

use std::cell::RefCell;
use std::future::poll_fn;
use std::net::SocketAddr;
use std::pin::Pin;
use std::rc::Rc;

use corio::net::{ListenOptions, TcpStream};
use corio_http::tls::futures_rustls::server::TlsStream;
use corio_http::tls::rustls::HandshakeKind;
use corio_http::tls::{CertSource, TlsConfig};
use futures_io::{AsyncRead, AsyncWrite};
use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
use rustls_pki_types::CertificateDer;

/// A certificate authority for tests.
pub struct Ca {
    cert: rcgen::Certificate,
    key: KeyPair,
}

/// A leaf certificate and its key, PEM (chain: the leaf only).
pub struct Leaf {
    pub cert_pem: String,
    pub key_pem: String,
}

impl Leaf {
    pub fn source(&self) -> CertSource {
        CertSource::pem(self.cert_pem.as_bytes(), self.key_pem.as_bytes())
    }
}

impl Ca {
    pub fn new(name: &str) -> Ca {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let key = KeyPair::generate().unwrap();
        let cert = params.self_signed(&key).unwrap();
        Ca { cert, key }
    }

    /// The CA certificate, DER (to trust it).
    pub fn der(&self) -> CertificateDer<'static> {
        self.cert.der().clone()
    }

    /// The CA certificate, PEM (for `--cacert`).
    pub fn pem(&self) -> String {
        self.cert.pem()
    }

    /// A leaf valid now for `names`.
    pub fn leaf(&self, names: &[&str]) -> Leaf {
        self.leaf_with(names, |_| {})
    }

    /// A leaf for `names` that expired in 2001.
    pub fn expired_leaf(&self, names: &[&str]) -> Leaf {
        self.leaf_with(names, |p| {
            p.not_before = rcgen::date_time_ymd(2000, 1, 1);
            p.not_after = rcgen::date_time_ymd(2001, 1, 1);
        })
    }

    fn leaf_with(&self, names: &[&str], edit: impl FnOnce(&mut CertificateParams)) -> Leaf {
        let names: Vec<String> = names.iter().map(|s| s.to_string()).collect();
        let mut params = CertificateParams::new(names).unwrap();
        edit(&mut params);
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.cert, &self.key).unwrap();
        Leaf {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        }
    }
}

/// How the server ends a response.
#[derive(Clone)]
pub enum Reply {
    /// Write these bytes and wait for the next request.
    Send(Vec<u8>),
    /// Write these bytes, send `close_notify` and close.
    SendClose(Vec<u8>),
    /// Write these bytes and close the TCP connection without `close_notify`.
    SendTruncate(Vec<u8>),
}

/// A `200 OK` with a Content-Length body.
pub fn ok(body: &str) -> Reply {
    Reply::Send(
        format!(
            "HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        )
        .into_bytes(),
    )
}

/// What the server saw.
#[derive(Default)]
pub struct Seen {
    /// The handshake kind of each TLS connection, in accept order.
    pub handshakes: Vec<HandshakeKind>,
    /// Request heads, in order.
    pub requests: Vec<String>,
    /// Connections accepted (TLS or not).
    pub connections: usize,
    /// Accepts that failed, with the reason.
    pub refused: Vec<String>,
    /// How each TLS connection ended when the client closed it: `true` for a clean close
    /// (`close_notify` received), `false` for an end without it or an error.
    pub client_closes: Vec<bool>,
}

/// The running test server.
pub struct Server {
    pub addr: SocketAddr,
    pub seen: Rc<RefCell<Seen>>,
}

impl Server {
    /// `https://localhost:PORT{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("https://localhost:{}{path}", self.addr.port())
    }

    /// `https://127.0.0.1:PORT{path}` (no SNI is sent for an IP address).
    pub fn ip_url(&self, path: &str) -> String {
        format!("https://127.0.0.1:{}{path}", self.addr.port())
    }
}

/// Starts the server on the current loop: every request gets `reply(head)`.
pub fn serve(config: TlsConfig, reply: impl Fn(&str) -> Reply + 'static) -> Server {
    let listener = ListenOptions::new()
        .bind("127.0.0.1:0".parse().unwrap())
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Rc::new(RefCell::new(Seen::default()));
    let reply = Rc::new(reply);
    let s = seen.clone();
    corio::spawn_local(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            s.borrow_mut().connections += 1;
            let (config, seen, reply) = (config.clone(), s.clone(), reply.clone());
            corio::spawn_local(async move {
                match config.accept(stream).await {
                    Ok(tls) => {
                        let kind = tls.get_ref().1.handshake_kind().unwrap();
                        seen.borrow_mut().handshakes.push(kind);
                        serve_conn(tls, &seen, &*reply).await;
                    }
                    Err(e) => seen.borrow_mut().refused.push(e.to_string()),
                }
            });
        }
    });
    Server { addr, seen }
}

async fn serve_conn(
    mut tls: TlsStream<TcpStream>,
    seen: &RefCell<Seen>,
    reply: &dyn Fn(&str) -> Reply,
) {
    let mut buf = Vec::new();
    loop {
        let head = loop {
            if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&buf[..end + 4]).into_owned();
                buf.drain(..end + 4);
                break head;
            }
            let mut chunk = [0u8; 4096];
            match poll_fn(|cx| Pin::new(&mut tls).poll_read(cx, &mut chunk)).await {
                Ok(0) => return seen.borrow_mut().client_closes.push(true),
                Err(_) => return seen.borrow_mut().client_closes.push(false),
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        };
        seen.borrow_mut().requests.push(head.clone());
        let (bytes, end) = match reply(&head) {
            Reply::Send(b) => (b, None),
            Reply::SendClose(b) => (b, Some(true)),
            Reply::SendTruncate(b) => (b, Some(false)),
        };
        if write_all(&mut tls, &bytes).await.is_err() {
            return;
        }
        match end {
            None => {}
            Some(true) => {
                let _ = poll_fn(|cx| Pin::new(&mut tls).poll_close(cx)).await;
                return;
            }
            Some(false) => {
                let _ = tls.get_ref().0.shutdown(std::net::Shutdown::Both);
                return;
            }
        }
    }
}

async fn write_all(tls: &mut TlsStream<TcpStream>, mut bytes: &[u8]) -> std::io::Result<()> {
    while !bytes.is_empty() {
        let n = poll_fn(|cx| Pin::new(&mut *tls).poll_write(cx, bytes)).await?;
        bytes = &bytes[n..];
    }
    poll_fn(|cx| Pin::new(&mut *tls).poll_flush(cx)).await
}

/// A TLS configuration serving `leaf`.
pub fn config(leaf: &Leaf) -> TlsConfig {
    TlsConfig::from_sources(vec![leaf.source()]).unwrap()
}
