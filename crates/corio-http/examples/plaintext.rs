//! The TechEmpower "plaintext" server: `GET /plaintext` → `Hello, World!`.
//!
//! The side-by-side benchmark (`../shared/bench/http-bench`) runs it:
//!
//! ```text
//! cargo build --release -p corio-http --example plaintext
//! target/release/examples/plaintext --port 8080 --workers 1
//! ```
//!
//! With `--tls-cert FILE --tls-key FILE` it serves HTTPS (`http-bench --tls`).
//!
//! Responses carry `Server`, `Date`, `Content-Type: text/plain` and `Content-Length`; other
//! paths get 404.

use std::process::ExitCode;

use bytes::Bytes;
use corio_http::tls::TlsConfig;
use corio_http::{Request, Response, Server};
use http::StatusCode;

const BODY: Bytes = Bytes::from_static(b"Hello, World!");

async fn plaintext(request: Request) -> Response {
    if request.path() == "/plaintext" {
        Response::text(BODY)
    } else {
        Response::error(StatusCode::NOT_FOUND, "")
    }
}

fn main() -> ExitCode {
    let mut port = 8080u16;
    let mut workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let (mut cert, mut key) = (None, None);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let value = args.next();
        let parsed = match (arg.as_str(), value.as_deref()) {
            ("--port", Some(v)) => v.parse().map(|v| port = v).is_ok(),
            ("--workers", Some(v)) => v.parse().map(|v| workers = v).is_ok(),
            ("--tls-cert", Some(v)) => cert.replace(v.to_owned()).is_none(),
            ("--tls-key", Some(v)) => key.replace(v.to_owned()).is_none(),
            _ => false,
        };
        if !parsed {
            eprintln!(
                "usage: plaintext [--port PORT] [--workers N] [--tls-cert FILE --tls-key FILE]"
            );
            return ExitCode::from(2);
        }
    }
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let mut server = Server::bind(addr).workers(workers);
    match (cert, key) {
        (None, None) => {}
        (Some(cert), Some(key)) => match TlsConfig::from_pem_files(cert, key) {
            Ok(tls) => server = server.tls(tls),
            Err(e) => {
                eprintln!("plaintext: {e}");
                return ExitCode::from(2);
            }
        },
        _ => {
            eprintln!("plaintext: --tls-cert and --tls-key go together");
            return ExitCode::from(2);
        }
    }
    match server.start(plaintext).and_then(|s| s.run_until_signal()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("plaintext: {e}");
            ExitCode::FAILURE
        }
    }
}
