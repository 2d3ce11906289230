//! # corio-http: HTTP/1.1 on the corio runtime
//!
//! The layers, bottom up:
//!
//! - [`proto`]: sans-I/O HTTP/1.1: request and response heads (httparse plus the strict
//!   checks of RFC 9112), body framing, the chunked codec, limits. Pure functions over bytes.
//! - [`static_files`]: the static-file service's logic (safe path resolution, conditional
//!   requests, ranges, listings), deciding a whole response without doing it.
//! - [`message`]: [`Request`] and [`Response`], interoperable with the `http` crate.
//! - [`server`]: the connection driver on corio tasks, one loop per core: keep-alive,
//!   pipelining, timeouts, limits, graceful shutdown; [`Router`] and [`server::StaticFiles`].
//!   Route handlers are async functions of extractors ([`server::State`], [`server::Path`],
//!   [`server::Query`], [`Json`]...) returning anything [`IntoResponse`]; middleware
//!   ([`Router::layer`], [`Router::map_request`], [`Router::map_response`]); tower interop
//!   both ways ([`server::HandlerService`], [`server::TowerHandler`]); an async lifecycle
//!   ([`RunningServer::with_graceful_shutdown`], `server.await`). The example
//!   `examples/json_api.rs` is a stateful JSON API built from them.
//! - [`compat`]: adapters from corio's streams, tasks and timers to the tokio I/O traits
//!   (for the `h2` crate) and to hyper 1.x's `rt` traits (to run hyper and axum on corio).
//! - [`client`]: the HTTP/1.1 client (connection pool, timeouts, redirects, streaming bodies),
//!   parsing responses with the same [`proto`] rules.
//!
//! ```
//! use corio_http::{Request, Response, Server};
//! use std::io::{Read, Write};
//!
//! let server = Server::bind("127.0.0.1:0".parse().unwrap())
//!     .workers(1)
//!     .start(|_req: Request| async { Response::text("Hello, World!") })
//!     .unwrap();
//! let mut client = std::net::TcpStream::connect(server.local_addr()).unwrap();
//! client.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").unwrap();
//! let mut reply = String::new();
//! client.read_to_string(&mut reply).unwrap();
//! assert!(reply.starts_with("HTTP/1.1 200 OK\r\n"));
//! assert!(reply.ends_with("\r\n\r\nHello, World!"));
//! server.shutdown();
//! server.wait().unwrap();
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod client;
pub mod compat;
pub mod message;
pub mod proto;
pub mod server;
pub mod static_files;
pub mod tls;

pub use message::{Body, IntoResponse, Request, Response, ResponseBody};
pub use server::{Handler, Json, Router, RunningServer, Server, ServerConfig};
