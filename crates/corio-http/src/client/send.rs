//! [`Client`]: the request loop (pool, connect, write, read head, redirects, retry).
//!
//! Invariants:
//! - a request is retried at most once, and only when it went out on a reused (pooled)
//!   connection that the server turned out to have closed (EOF, reset or broken pipe
//!   before any byte of a response) and its method is idempotent; the retry uses a fresh
//!   connection;
//! - `1xx` interim responses (other than `101`) are skipped; a `101` or a `2xx` to
//!   `CONNECT` ends the connection's HTTP life, so it is never pooled;
//! - a connection is reused only if the request and the response both allow it.

use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use bytes::Bytes;
use http::header::{HeaderMap, CONNECTION, LOCATION};
use http::{Method, StatusCode};
use url::Url;

use super::body::{too_large, BodyState, ClientBody};
use super::builder::{ClientBuilder, Config};
use super::conn::{Conn, Fill};
use super::connect::{connect, handshake, resolve};
use super::error::{Error, ErrorKind, TimeoutKind};
use super::http2::{self, Exchange, Failure, Origins};
use super::pool::{Key, Pool, PoolStats};
use super::redirect::{apply, is_redirect, redirect};
use super::request::{is_idempotent, ClientRequest, Parts};
use super::response::{ClientResponse, StreamingResponse};
use super::stream::Stream;
use crate::proto::{
    self, parse_response_status, BodyFraming, ChunkedDecoder, HeaderFields, Limits, ResponseStatus,
};

/// Redirect bodies up to this size are read and dropped to keep the connection; larger
/// ones close it (reading megabytes nobody wants costs more than a new connection).
const REDIRECT_DRAIN_MAX: u64 = 64 * 1024;

/// Client ids, to key each thread's pools (never reused, so a dead client's pool is never
/// taken for a new client's).
static NEXT_ID: AtomicU64 = AtomicU64::new(0);

/// A thread's pools: (client id, the client weakly, its pool on this thread). A list, not a
/// map: a thread meets one client or a few, and a scan of those is cheaper than hashing the
/// id on every request.
type Locals = Vec<(u64, Weak<Shared>, Arc<Local>)>;

thread_local! {
    /// This thread's connection pools, one per client used on it, with a weak reference to
    /// the client's shared half: an entry whose client is gone is dropped (closing its idle
    /// connections) the next time this thread meets a client it has no pool for.
    static LOCALS: RefCell<Locals> = const { RefCell::new(Vec::new()) };
}

/// An HTTP/1.1 and HTTP/2 client with connection pools. `Send + Sync` and cheap to clone
/// (an `Arc`): keep one in server state, move clones into tasks on any worker.
///
/// The handle holds the settings; connections are per thread. Each thread (each event
/// loop) that sends a request through a client gets its own pool for it, made on first use
/// (when the request's future is first polled) and shared by every clone of the client used
/// on that thread: a connection is registered with the loop that opened it, so requests
/// on one worker reuse that worker's connections.
///
/// The futures of a request, [`StreamingResponse`] and [`ClientBody`] are `Send`, as
/// reqwest's are: spawn requests with [`corio::spawn`], `Runtime::spawn` or a `JoinSet`, as
/// with tokio. A response body moved to another thread is read there and still returns its
/// connection to the pool it came from (`tests/client_send.rs`).
///
/// ```
/// fn shareable<T: Send + Sync + Clone>() {}
/// shareable::<corio_http::client::Client>();
/// corio::block_on(async {
///     let client = corio_http::client::Client::new();
///     // A request in a `Send` task, as `tokio::spawn` takes it.
///     let task = corio::spawn(async move { client.get("nonsense").await });
///     assert!(task.await.unwrap().is_err());
/// });
/// ```
#[derive(Clone)]
pub struct Client {
    shared: Arc<Shared>,
}

/// What every thread's clone shares: the id that keys the pools, and the settings.
struct Shared {
    id: u64,
    config: Config,
}

/// A client's state on one thread.
struct Local {
    pool: Pool,
    /// What the client knows of each origin's HTTP/2 (used unless the protocol is HTTP/1.1).
    origins: Origins,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("id", &self.shared.id)
            .field("config", &self.shared.config)
            .finish()
    }
}

impl Default for Client {
    fn default() -> Client {
        Client::new()
    }
}

impl Client {
    /// A client with the default settings (see [`ClientBuilder`]).
    pub fn new() -> Client {
        ClientBuilder::new().build()
    }

    /// A builder for a client with other settings.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::new()
    }

    pub(crate) fn with_config(config: Config) -> Client {
        Client {
            shared: Arc::new(Shared {
                id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
                config,
            }),
        }
    }

    /// This thread's pool of this client, made on first use.
    fn local(&self) -> Arc<Local> {
        LOCALS.with(|locals| {
            let mut locals = locals.borrow_mut();
            let id = self.shared.id;
            if let Some((_, _, local)) = locals.iter().find(|(i, _, _)| *i == id) {
                return local.clone();
            }
            locals.retain(|(_, shared, _)| shared.strong_count() > 0);
            let local = Arc::new(Local {
                pool: Pool::new(self.shared.config.pool),
                origins: Origins::default(),
            });
            locals.push((id, Arc::downgrade(&self.shared), local.clone()));
            local
        })
    }

    /// The current numbers of open, idle and waiting connections of this thread's pool.
    pub fn pool_stats(&self) -> PoolStats {
        self.local().pool.stats()
    }

    /// `GET url`, body buffered.
    pub async fn get(&self, url: &str) -> Result<ClientResponse, Error> {
        self.request(ClientRequest::get(url)).await
    }

    /// `HEAD url`.
    pub async fn head(&self, url: &str) -> Result<ClientResponse, Error> {
        self.request(ClientRequest::new(Method::HEAD, url)).await
    }

    /// `POST url` with `body`.
    pub async fn post(&self, url: &str, body: impl Into<Bytes>) -> Result<ClientResponse, Error> {
        self.request(ClientRequest::new(Method::POST, url).body(body))
            .await
    }

    /// Sends `req`, follows redirects, and reads the whole body (at most the configured
    /// maximum body size).
    pub async fn request(&self, req: ClientRequest) -> Result<ClientResponse, Error> {
        let max = self.shared.config.max_body;
        let (timeout, url) = self.deadline(&req);
        with_deadline(timeout, url, async move {
            self.execute(req, Some(max)).await?.bytes().await
        })
        .await
    }

    /// Sends `req` and follows redirects; the body is left to read with
    /// [`ClientBody::chunk`](super::ClientBody::chunk), without a size limit.
    pub async fn send_streaming(&self, req: ClientRequest) -> Result<StreamingResponse, Error> {
        let (timeout, url) = self.deadline(&req);
        if timeout.is_none() {
            // Without a deadline, straight on: each wrapper is one more copy of the request's
            // (large) future for every request.
            return self.execute(req, None).await;
        }
        // Boxed, so that this future does not hold a second, timed copy of the request's.
        Box::pin(with_deadline(timeout, url, self.execute(req, None))).await
    }

    /// The request's timeout (its own, else the client's), and the URL to name in a
    /// request-timeout error (copied only if there is a timeout).
    fn deadline(&self, req: &ClientRequest) -> (Option<Duration>, String) {
        let timeout = req.timeout.or(self.shared.config.request_timeout);
        let url = timeout.map(|_| req.url.clone()).unwrap_or_default();
        (timeout, url)
    }

    async fn execute(
        &self,
        req: ClientRequest,
        limit: Option<u64>,
    ) -> Result<StreamingResponse, Error> {
        let ClientRequest {
            mut method,
            url,
            mut headers,
            mut body,
            version,
            max_redirects,
            json_error,
            parsed,
            ..
        } = req;
        let mut url = match parsed {
            Some(parsed) if parsed.as_str() == url => check_url(parsed, &url)?,
            _ => parse_url(&url)?,
        };
        if let Some(e) = json_error {
            return Err(Error::new(ErrorKind::Json, url.as_str()).with_source(e));
        }
        let max = max_redirects.unwrap_or(self.shared.config.max_redirects);
        let local = self.local();
        let mut redirects = 0;
        loop {
            // The URL moves into the response (no copy); a redirect takes it from there.
            let mut resp = self
                .send_once(&local, &method, url, &headers, &body, version, limit)
                .await?;
            if max == 0 || !is_redirect(resp.status) {
                return Ok(resp);
            }
            let Some(location) = resp.headers.get(LOCATION) else {
                return Ok(resp);
            };
            let next = redirect(resp.status, &method, resp.url(), location.as_bytes())?;
            if redirects == max {
                return Err(Error::new(ErrorKind::TooManyRedirects, resp.url().as_str())
                    .with_source(format!("more than {max} redirects")));
            }
            redirects += 1;
            resp.body.drain_if_small(REDIRECT_DRAIN_MAX).await;
            drop(resp);
            apply(&next, &mut method, &mut body, &mut headers);
            url = next.url;
        }
    }

    /// One exchange on one connection (plus the stale-connection retry); the response's body
    /// keeps `url`.
    #[allow(clippy::too_many_arguments)]
    async fn send_once(
        &self,
        local: &Local,
        method: &Method,
        url: Url,
        headers: &HeaderMap,
        body: &Bytes,
        version: proto::Version,
        limit: Option<u64>,
    ) -> Result<StreamingResponse, Error> {
        let config = &self.shared.config;
        let host = url.host_str().unwrap_or_default();
        let scheme = scheme(&url).unwrap_or("http");
        let port = url.port_or_known_default().unwrap_or(80);
        let parts = Parts {
            method,
            url: &url,
            headers,
            body_len: body.len(),
            version,
            user_agent: config.user_agent.as_ref(),
        };
        let mut opened = None;
        // The connect and HTTP/2 futures are boxed: they are large (resolution, TLS, h2) and
        // rare on a keep-alive path, and inline they would make every request's future as
        // large, which is copied each time it moves.
        if config.protocol.tries_h2(scheme) {
            match Box::pin(self.send_h2(
                local, scheme, host, port, method, &url, headers, body, limit,
            ))
            .await?
            {
                Route::Http2(response) => return Ok(response),
                Route::Http1(stream) => opened = stream,
            }
        }
        let mut fresh = opened.is_some();
        loop {
            let mut lease = local.pool.acquire(scheme, host, port, fresh).await;
            let conn = match (&mut lease.conn, opened.take()) {
                (Some(conn), _) => conn,
                (None, Some(stream)) => lease.conn.insert(Box::new(Conn::new(stream))),
                (None, None) => lease.conn.insert(Box::new(Conn::new(
                    Box::pin(self.open(&url, scheme, port)).await?,
                ))),
            };
            let retry_allowed = conn.is_reused() && !fresh && is_idempotent(method);
            conn.encode_head(&parts);
            let head = match conn.send(body).await {
                Ok(()) => {
                    read_head(conn, method, &config.limits, config.read_timeout, &url).await?
                }
                Err(e) if !retry_allowed => return Err(Error::io(url.as_str(), e)),
                Err(_) => None,
            };
            let Some(head) = head else {
                if retry_allowed {
                    fresh = true;
                    continue;
                }
                return Err(Error::new(
                    ErrorKind::Io(std::io::ErrorKind::UnexpectedEof),
                    url.as_str(),
                )
                .with_source("server closed the connection without a response"));
            };
            let Head { status, fields } = head;
            let framing = status.body;
            let upgraded = status.status == StatusCode::SWITCHING_PROTOCOLS
                || (method == Method::CONNECT && status.status.is_success());
            // The request's own say, read from its fields only if it has a `Connection`.
            let request_persists = if headers.contains_key(CONNECTION) {
                proto::keep_alive(version, headers)
            } else {
                version == proto::Version::Http11
            };
            let reusable = status.keep_alive
                && request_persists
                && framing != BodyFraming::CloseDelimited
                && !upgraded;
            let state = match framing {
                BodyFraming::Empty => BodyState::Done,
                BodyFraming::Length(n) if limit.is_some_and(|l| n > l) => {
                    return Err(too_large(&url))
                }
                BodyFraming::Length(n) => BodyState::Length(n),
                BodyFraming::Chunked => {
                    let limits = Limits {
                        max_body: limit.unwrap_or(u64::MAX),
                        ..config.limits
                    };
                    BodyState::Chunked(Box::new(ChunkedDecoder::new(&limits)))
                }
                BodyFraming::CloseDelimited => BodyState::UntilClose,
            };
            return Ok(StreamingResponse {
                status: status.status,
                version: status.version,
                headers: fields,
                body: ClientBody::new(lease, state, reusable, config.read_timeout, url, limit),
            });
        }
    }
}

impl Client {
    /// A new connection to `url`'s origin: resolved, connected, and over TLS for `https`.
    async fn open(&self, url: &Url, scheme: &str, port: u16) -> Result<Stream, Error> {
        let config = &self.shared.config;
        let addrs = resolve(url, port).await?;
        let tcp = connect(url, &addrs, config.connect_timeout).await?;
        match scheme {
            "https" => handshake(url, tcp, &config.tls, config.handshake_timeout).await,
            _ => Ok(Stream::Plain(tcp)),
        }
    }

    /// One exchange over the origin's HTTP/2 connection (opened if need be, and once more
    /// if the first try failed before the server processed anything), or the HTTP/1.1
    /// route if ALPN picked HTTP/1.1.
    #[allow(clippy::too_many_arguments)]
    async fn send_h2(
        &self,
        local: &Local,
        scheme: &'static str,
        host: &str,
        port: u16,
        method: &Method,
        url: &Url,
        headers: &HeaderMap,
        body: &Bytes,
        limit: Option<u64>,
    ) -> Result<Route<StreamingResponse>, Error> {
        let config = &self.shared.config;
        let key = Key {
            scheme,
            host: host.to_owned(),
            port,
        };
        let prior_knowledge = scheme == "http";
        let mut retried = false;
        loop {
            let route = local
                .origins
                .route(&key, prior_knowledge, url, || self.open(url, scheme, port))
                .await?;
            let send = match route {
                http2::Route::Http2(send) => send,
                http2::Route::Http1(stream) => return Ok(Route::Http1(stream)),
            };
            let exchange = Exchange {
                method,
                url,
                headers,
                body,
                user_agent: config.user_agent.as_ref(),
                read_timeout: config.read_timeout,
                limit,
            };
            match http2::exchange(send, exchange).await {
                Ok(response) => return Ok(Route::Http2(response)),
                Err(Failure::Retry(e)) => {
                    local.origins.forget(&key);
                    if retried {
                        return Err(e);
                    }
                    retried = true;
                }
                // A connection that died is found out (and forgotten) by the next request's
                // `ready`, a retry.
                Err(Failure::Fatal(e)) => return Err(e),
            }
        }
    }
}

/// Runs `run` within `timeout` (if any); a timeout is an [`ErrorKind::Timeout`] of
/// [`TimeoutKind::Request`] naming `url`.
async fn with_deadline<T>(
    timeout: Option<Duration>,
    url: String,
    run: impl std::future::Future<Output = Result<T, Error>>,
) -> Result<T, Error> {
    match timeout {
        None => run.await,
        Some(t) => corio::time::timeout(t, run)
            .await
            .unwrap_or_else(|_| Err(Error::new(ErrorKind::Timeout(TimeoutKind::Request), url))),
    }
}

/// Where [`Client::send_h2`] left a request.
enum Route<T> {
    /// Answered over HTTP/2.
    Http2(T),
    /// To send over HTTP/1.1, on this new connection if any.
    Http1(Option<Stream>),
}

/// Parses `s` as a URL this client can fetch: absolute, `http://` or `https://`, with a host.
/// The one URL check of the client, `corio get`, `crawl` and `bench`.
///
/// ```
/// use corio_http::client::{parse_url, ErrorKind};
/// assert!(parse_url("https://example.com/a").is_ok());
/// assert_eq!(parse_url("ftp://example.com/").unwrap_err().kind(), ErrorKind::UnsupportedScheme);
/// assert_eq!(parse_url("nonsense").unwrap_err().kind(), ErrorKind::InvalidUrl);
/// ```
pub fn parse_url(s: &str) -> Result<Url, Error> {
    let url = Url::parse(s).map_err(|e| Error::new(ErrorKind::InvalidUrl, s).with_source(e))?;
    check_url(url, s)
}

/// `url` (spelt `s`) if this client can fetch it: `http://` or `https://`, with a host.
fn check_url(url: Url, s: &str) -> Result<Url, Error> {
    if scheme(&url).is_none() {
        return Err(Error::new(ErrorKind::UnsupportedScheme, s));
    }
    match url.host_str() {
        Some(h) if !h.is_empty() => Ok(url),
        _ => Err(Error::new(ErrorKind::InvalidUrl, s).with_source("no host")),
    }
}

/// The pool's name for `url`'s scheme, `None` if the client does not speak it.
fn scheme(url: &Url) -> Option<&'static str> {
    match url.scheme() {
        "http" => Some("http"),
        "https" => Some("https"),
        _ => None,
    }
}

/// A final response head: what it says about the exchange (status, persistence, framing of
/// the body), and its fields, whose map is built only if the caller looks at them.
struct Head {
    status: ResponseStatus,
    fields: Box<HeaderFields>,
}

/// Reads the final response head to a `method` request. `Ok(None)`: the connection was
/// closed (EOF, reset, broken pipe) before any byte arrived.
///
/// The head is checked and its body framing decided by [`parse_response_status`] on the
/// fields in place (the same strict rules as [`proto::parse_response_head`]); the fields are
/// kept as the head's bytes, one copy into their box, and no `HeaderMap` is built here.
async fn read_head(
    conn: &mut Conn,
    method: &Method,
    limits: &Limits,
    timeout: Option<std::time::Duration>,
    url: &Url,
) -> Result<Option<Head>, Error> {
    let mut got_any = !conn.unread().is_empty();
    loop {
        if !conn.unread().is_empty() {
            match parse_response_status(conn.unread(), limits, method) {
                Ok(Some((status, n))) => {
                    let interim = status.status.is_informational()
                        && status.status != StatusCode::SWITCHING_PROTOCOLS;
                    if !interim {
                        // Made in its box and filled there: the head's bytes are copied
                        // once, and the response stays small to move.
                        let mut fields = Box::new(HeaderFields::unfilled());
                        fields.fill(&conn.unread()[..n]);
                        conn.consume(n);
                        return Ok(Some(Head { status, fields }));
                    }
                    conn.consume(n);
                    continue;
                }
                Ok(None) => {}
                Err(e) => return Err(Error::proto(url.as_str(), e)),
            }
        }
        match conn.fill(timeout, url.as_str()).await {
            Ok(Fill::Data) => got_any = true,
            Ok(Fill::Eof) if !got_any => return Ok(None),
            Ok(Fill::Eof) => {
                return Err(Error::new(
                    ErrorKind::Io(std::io::ErrorKind::UnexpectedEof),
                    url.as_str(),
                )
                .with_source("connection closed in the middle of the response head"))
            }
            Err(e) if !got_any && is_reset(e.kind()) => return Ok(None),
            Err(e) => return Err(e),
        }
    }
}

/// Whether `kind` says the server closed the connection: a reset, a broken pipe, or (over
/// TLS) a close without `close_notify`.
fn is_reset(kind: ErrorKind) -> bool {
    use std::io::ErrorKind as Io;
    matches!(
        kind,
        ErrorKind::Io(
            Io::ConnectionReset | Io::BrokenPipe | Io::ConnectionAborted | Io::UnexpectedEof
        )
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert!(parse_url("http://a.test/x").is_ok());
        assert!(parse_url("https://a.test/x").is_ok());
        assert_eq!(
            parse_url("ftp://a.test/").unwrap_err().kind(),
            ErrorKind::UnsupportedScheme
        );
        assert_eq!(parse_url("nope").unwrap_err().kind(), ErrorKind::InvalidUrl);
        assert_eq!(
            parse_url("http://").unwrap_err().kind(),
            ErrorKind::InvalidUrl
        );
    }
}
