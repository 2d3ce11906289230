//! An axum application served by corio: the way to bring an existing axum or hyper app over.
//!
//! corio's accept loop hands each connection to hyper (through hyper-util's `auto` builder,
//! which speaks HTTP/1.1 and, on seeing the HTTP/2 preface, cleartext HTTP/2), and hyper
//! calls the axum `Router` through hyper-util's `TowerToHyperService`. Everything that
//! touches the runtime is one of corio's adapters in `corio_http::compat`:
//!
//! | hyper needs | corio gives |
//! |---|---|
//! | `rt::Read` + `rt::Write` | `HyperIo::new(corio::net::TcpStream)` |
//! | `rt::Executor` (HTTP/2 streams) | `CorioExecutor` (tasks on the current loop) |
//! | `rt::Timer` (header timeout, keep-alive) | `CorioTimer` (the loop's timer heap) |
//!
//! No tokio runtime is involved. Run it:
//!
//! ```text
//! cargo run -p corio-http --example axum_on_corio -- --port 3000
//! curl http://127.0.0.1:3000/users/7
//! curl --http2-prior-knowledge http://127.0.0.1:3000/
//! ```

use std::future::{poll_fn, Future};
use std::pin::pin;
use std::process::ExitCode;
use std::task::Poll;

use axum::extract::Path;
use axum::routing::{get, post};
use axum::{Json, Router};
use corio::net::TcpListener;
use corio_http::compat::{CorioExecutor, CorioTimer, HyperIo};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use serde_json::{json, Value};

/// The application: plain axum, nothing corio-specific.
pub fn app() -> Router {
    Router::new()
        .route("/", get(|| async { "Hello from axum on corio!" }))
        .route("/users/{id}", get(user))
        .route("/echo", post(|body: String| async move { body }))
}

async fn user(Path(id): Path<u32>) -> Json<Value> {
    Json(json!({ "id": id, "name": format!("user {id}") }))
}

/// Accepts connections on `listener` and serves `app` on each, until `stop` completes.
pub async fn serve(listener: TcpListener, app: Router, stop: impl Future<Output = ()>) {
    let mut stop = pin!(stop);
    loop {
        let accepted = poll_fn(|cx| match listener.poll_accept(cx) {
            Poll::Ready(result) => Poll::Ready(Some(result)),
            Poll::Pending => stop.as_mut().poll(cx).map(|()| None),
        })
        .await;
        let (stream, _peer) = match accepted {
            None => return,
            Some(Ok(accepted)) => accepted,
            Some(Err(e)) => {
                eprintln!("axum_on_corio: accept failed: {e}");
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(app.clone());
        drop(corio::spawn_local(async move {
            let mut builder = auto::Builder::new(CorioExecutor::new());
            builder.http1().timer(CorioTimer::new());
            builder.http2().timer(CorioTimer::new());
            if let Err(e) = builder
                .serve_connection(HyperIo::new(stream), service)
                .await
            {
                eprintln!("axum_on_corio: connection: {e}");
            }
        }));
    }
}

fn main() -> ExitCode {
    let mut port = 3000u16;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match (arg.as_str(), args.next().map(|v| v.parse())) {
            ("--port", Some(Ok(p))) => port = p,
            _ => {
                eprintln!("usage: axum_on_corio [--port PORT]");
                return ExitCode::from(2);
            }
        }
    }
    corio::block_on(async move {
        let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
        let listener = match TcpListener::bind(addr) {
            Ok(listener) => listener,
            Err(e) => {
                eprintln!("axum_on_corio: cannot listen on {addr}: {e}");
                return ExitCode::FAILURE;
            }
        };
        println!("axum on corio: listening on http://{addr}");
        let ctrl_c = async {
            let _ = corio::signal::ctrl_c().await;
        };
        serve(listener, app(), ctrl_c).await;
        ExitCode::SUCCESS
    })
}
