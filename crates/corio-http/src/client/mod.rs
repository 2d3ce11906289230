//! An HTTP/1.1 (and 1.0) and HTTP/2 client on the corio runtime, parsing with [`crate::proto`].
//!
//! # What it does
//!
//! - any method and body ([`ClientRequest`]); responses framed by `Content-Length`, chunked (with
//!   trailers) or connection close, parsed by the same strict, smuggling-safe rules as the
//!   server ([`crate::proto`]): a response with both `Content-Length` and
//!   `Transfer-Encoding`, a bad chunk size or a malformed head is an
//!   [`ErrorKind::InvalidResponse`];
//! - a connection pool keyed by (scheme, host, port): keep-alive, an idle timeout, a maximum
//!   of idle connections per host, total and per-host connection limits (requests beyond a
//!   limit wait in a queue);
//! - connect, read and whole-request timeouts; redirects (301/302/303 become `GET` without
//!   a body, 307/308 keep method and body; a limit; credentials dropped across origins);
//! - name resolution that never blocks the loop, trying each address in turn;
//! - buffered responses ([`Client::request`], [`ClientResponse`]) and streamed ones
//!   ([`Client::send_streaming`], [`ClientBody::chunk`]).
//!
//! - `https://` over TLS (rustls, see [`crate::tls`]): SNI, ALPN `http/1.1`, certificates
//!   verified against the bundled Mozilla roots plus any added
//!   ([`ClientBuilder::add_root_certificates`]), sessions resumed across connections, a
//!   handshake timeout; failures are [`ErrorKind::Tls`] with a [`crate::tls::TlsErrorKind`]
//!   (unknown issuer, name mismatch, expired, bad certificate, protocol). A close without
//!   `close_notify` that ends a close-delimited body is an error, not the end of the body.
//!
//! - HTTP/2 when asked ([`ClientBuilder::protocol`], [`Protocol`]): over TLS where ALPN picks
//!   `h2`, or in cleartext with prior knowledge (h2c); one connection per origin carries
//!   every concurrent request to it (see `http2.rs`).
//!
//! Other schemes are an [`ErrorKind::UnsupportedScheme`].
//!
//! # Invariants
//!
//! - A [`Client`] is a `Send + Sync` handle (an `Arc` of its settings): keep it in server
//!   state, move clones into tasks on any worker. Each thread gets its own pool of each
//!   client on first use, shared by every clone used on that thread, so the connections a
//!   worker reuses are registered with its own loop. Request futures, [`StreamingResponse`]
//!   and [`ClientBody`] are `Send` (a pool is an `Arc<Mutex>`, uncontended: one thread uses
//!   it but for a body moved elsewhere): spawn requests with [`corio::spawn`], a `Runtime`
//!   or a `JoinSet`; a lease returns its connection to its own pool from any thread.
//! - Per request ([`ClientRequest::timeout`], [`ClientRequest::redirects`]) settings replace
//!   the client's; [`ClientRequest::json`] and [`ClientResponse::json`] speak JSON (serde).
//! - A connection returns to the pool only when its response body was read to the end, both
//!   sides allowed keep-alive and nothing follows the body; otherwise it is closed.
//! - A request that went out on a pooled connection the server had already closed is sent
//!   again once, on a new connection, if its method is idempotent.
//! - Each request is one `write` (head and small body together); each connection reuses its
//!   read and write buffers.
//! - What a request to one URL costs again and again is paid once: a request made with
//!   [`ClientRequest::from_url`] is not parsed again, and a response's header fields are kept
//!   as the head's bytes ([`crate::proto::HeaderFields`]) until first looked at, so a caller
//!   that reads only the status and the body never builds a `HeaderMap`.
//!
//! # Example
//!
//! A one-response server on a local port, and a client fetching from it:
//!
//! ```
//! use corio::net::TcpListener;
//! use corio_http::client::Client;
//!
//! corio::block_on(async {
//!     let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
//!     let url = format!("http://{}/hello", listener.local_addr().unwrap());
//!     corio::spawn(async move {
//!         let (mut conn, _) = listener.accept().await.unwrap();
//!         let mut buf = [0; 1024];
//!         let _ = conn.read(&mut buf).await.unwrap();
//!         conn.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello").await.unwrap();
//!     });
//!     let client = Client::builder().max_idle_per_host(4).build();
//!     let resp = client.get(&url).await.unwrap();
//!     assert_eq!(resp.status, 200);
//!     assert_eq!(&resp.body[..], b"hello");
//!     assert_eq!(resp.url.as_str(), url);
//! });
//! ```

mod body;
mod builder;
mod conn;
mod connect;
mod deadline;
mod error;
mod http2;
mod pool;
mod protocol;
mod redirect;
mod request;
mod response;
mod send;
mod stream;

pub use body::ClientBody;
pub use builder::{
    ClientBuilder, DEFAULT_CONNECT_TIMEOUT, DEFAULT_HANDSHAKE_TIMEOUT, DEFAULT_IDLE_TIMEOUT,
    DEFAULT_MAX_BODY, DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_CONNECTIONS_PER_HOST,
    DEFAULT_MAX_IDLE_PER_HOST, DEFAULT_MAX_REDIRECTS, DEFAULT_READ_TIMEOUT,
};
pub use error::{Error, ErrorKind, TimeoutKind};
pub use pool::PoolStats;
pub use protocol::Protocol;
pub use request::ClientRequest;
pub use response::{ClientResponse, StreamingResponse};
pub use send::{parse_url, Client};
