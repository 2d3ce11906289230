//! The client over HTTP/2 against `serve_h2`: 100 concurrent requests share one connection
//! (the server counts the TCP connections it accepted), over TLS where ALPN picks `h2` and
//! in cleartext with prior knowledge; ALPN picking HTTP/1.1 falls back to it; request
//! bodies, HEAD and redirects go over h2 too.

mod h2_util;
mod tls_util;

use std::sync::atomic::Ordering;
use std::sync::Arc;

use corio_http::client::{Client, ClientRequest, Protocol};
use corio_http::proto::Version;
use corio_http::server::http2::H2Config;
use corio_http::tls::TlsConfig;
use corio_http::Response;
use h2_util::{Gate, H2Server};
use http::StatusCode;

/// How many requests run at once: the server's stream limit, so that every one of them is
/// in flight together (the handler waits until all have arrived).
const CONCURRENT: usize = 100;

async fn app(mut req: corio_http::Request, gate: Arc<Gate>) -> Response {
    match req.path() {
        "/together" => {
            gate.arrive(CONCURRENT);
            gate.wait().await;
            Response::text(format!(
                "{} {}",
                req.version().as_str(),
                req.query().unwrap_or("")
            ))
        }
        "/echo" => match req.body_mut().to_bytes(1 << 20).await {
            Ok(body) => Response::text(body),
            Err(_) => Response::error(StatusCode::BAD_REQUEST, ""),
        },
        "/length" => Response::text(
            req.headers()
                .get("content-length")
                .map_or("-".to_owned(), |v| v.to_str().unwrap().to_owned()),
        ),
        "/moved" => Response::redirect(StatusCode::FOUND, "/echo"),
        _ => Response::error(StatusCode::NOT_FOUND, ""),
    }
}

/// Sends `CONCURRENT` GETs to `base` at once and checks each answer.
async fn hundred_at_once(client: &Client, base: &str) {
    let tasks: Vec<_> = (0..CONCURRENT)
        .map(|i| {
            let client = client.clone();
            let url = format!("{base}/together?{i}");
            corio::spawn_local(async move { (i, client.get(&url).await) })
        })
        .collect();
    for task in tasks {
        let (i, response) = task.await.unwrap();
        let response = response.unwrap();
        assert_eq!(response.status, StatusCode::OK);
        assert_eq!(response.version, Version::Http2);
        assert_eq!(response.text(), format!("HTTP/2 {i}"));
    }
}

fn tls_server(alpn: &[&[u8]]) -> (tls_util::Ca, TlsConfig) {
    let ca = tls_util::Ca::new("corio test CA");
    let leaf = ca.leaf(&["localhost", "127.0.0.1"]);
    let config = tls_util::config(&leaf).alpn(alpn);
    (ca, config)
}

#[test]
fn a_hundred_concurrent_requests_share_one_tls_connection_negotiated_by_alpn() {
    let (ca, tls) = tls_server(&[b"h2", b"http/1.1"]);
    let gate = Arc::new(Gate::default());
    let server = H2Server::start_tls(H2Config::default(), tls, move |req| app(req, gate.clone()));
    let base = format!("https://localhost:{}", server.addr.port());
    corio::block_on(async move {
        let client = Client::builder()
            .add_root_certificates([ca.der()])
            .protocol(Protocol::Http2)
            .build();
        hundred_at_once(&client, &base).await;
        // And once more, on the same connection.
        let response = client.get(&format!("{base}/nowhere")).await.unwrap();
        assert_eq!(response.status, StatusCode::NOT_FOUND);
    });
    assert_eq!(server.accepted.load(Ordering::SeqCst), 1);
    assert_eq!(server.stop(), vec![Ok(())]);
}

#[test]
fn a_hundred_concurrent_requests_share_one_h2c_connection_with_prior_knowledge() {
    let gate = Arc::new(Gate::default());
    let server = H2Server::start(H2Config::default(), move |req| app(req, gate.clone()));
    let base = format!("http://127.0.0.1:{}", server.addr.port());
    corio::block_on(async move {
        let client = Client::builder()
            .protocol(Protocol::Http2PriorKnowledge)
            .build();
        hundred_at_once(&client, &base).await;
    });
    assert_eq!(server.accepted.load(Ordering::SeqCst), 1);
    assert_eq!(server.stop(), vec![Ok(())]);
}

#[test]
fn bodies_head_and_redirects_go_over_h2() {
    let server = H2Server::start(H2Config::default(), move |req| app(req, Arc::default()));
    let base = format!("http://127.0.0.1:{}", server.addr.port());
    corio::block_on(async move {
        let client = Client::builder()
            .protocol(Protocol::Http2PriorKnowledge)
            .build();
        let body = vec![b'x'; 300_000];
        let response = client
            .post(&format!("{base}/echo"), body.clone())
            .await
            .unwrap();
        assert_eq!(response.status, StatusCode::OK);
        assert_eq!(&response.body[..], &body[..]);
        // The body's length goes with it, as over HTTP/1.1.
        let response = client
            .post(&format!("{base}/length"), "12345")
            .await
            .unwrap();
        assert_eq!(response.text(), "5");
        let response = client.head(&format!("{base}/nowhere")).await.unwrap();
        assert_eq!(response.status, StatusCode::NOT_FOUND);
        assert!(response.body.is_empty());
        // 302 turns the POST into a GET without a body: the echo is empty.
        let response = client
            .request(ClientRequest::new(http::Method::POST, format!("{base}/moved")).body("gone"))
            .await
            .unwrap();
        assert_eq!(response.status, StatusCode::OK);
        assert_eq!(response.url.path(), "/echo");
        assert!(response.body.is_empty());
    });
    assert_eq!(server.accepted.load(Ordering::SeqCst), 1);
    server.stop();
}

#[test]
fn alpn_picking_http1_falls_back_to_it() {
    let (ca, tls) = tls_server(&[b"http/1.1"]);
    corio::block_on(async move {
        let server = tls_util::serve(tls, |_| tls_util::ok("over h1"));
        let client = Client::builder()
            .add_root_certificates([ca.der()])
            .protocol(Protocol::Http2)
            .build();
        for _ in 0..2 {
            let response = client.get(&server.url("/")).await.unwrap();
            assert_eq!(response.version, Version::Http11);
            assert_eq!(response.text(), "over h1");
        }
        // The connection ALPN opened went to the HTTP/1.1 pool and was reused.
        assert_eq!(server.seen.borrow().handshakes.len(), 1);
    });
}

#[test]
fn a_connection_the_server_closed_when_idle_is_replaced_for_the_next_request() {
    let config = H2Config {
        idle_timeout: std::time::Duration::from_millis(50),
        ..H2Config::default()
    };
    let server = H2Server::start(config, move |req| app(req, Arc::default()));
    let base = format!("http://127.0.0.1:{}", server.addr.port());
    let outcomes = server.outcomes.clone();
    corio::block_on(async move {
        let client = Client::builder()
            .protocol(Protocol::Http2PriorKnowledge)
            .build();
        let first = client.get(&format!("{base}/echo")).await.unwrap();
        assert_eq!(first.status, StatusCode::OK);
        // The server ends the idle connection (GOAWAY, close); the client still holds it.
        let ended = corio::task::spawn_blocking(move || outcomes.wait_for(1))
            .await
            .unwrap();
        assert_eq!(ended, vec![Ok(())]);
        let second = client.get(&format!("{base}/echo")).await.unwrap();
        assert_eq!(second.status, StatusCode::OK);
        assert_eq!(second.version, Version::Http2);
    });
    assert_eq!(server.accepted.load(Ordering::SeqCst), 2);
    server.stop();
}
