//! HTTP/2 in the client, on the `h2` crate: one shared connection per origin carries every
//! concurrent request to it.
//!
//! [`Origins`] remembers, per (scheme, host, port), what the client knows: a connection
//! being opened (later requests wait for it instead of opening their own), an HTTP/2
//! connection (its [`SendRequest`] handle, cloned by every request; h2 queues requests
//! beyond the server's `SETTINGS_MAX_CONCURRENT_STREAMS` until a stream ends), or that ALPN
//! picked HTTP/1.1 (requests go to the HTTP/1.1 pool from then on). The h2 connection is
//! driven by its own task on the current loop; it ends when the server closes it or when the
//! last handle is gone.
//!
//! HTTP/2 connections are not counted against the HTTP/1.1 pool's connection limits: there
//! is at most one per origin. One that failed (GOAWAY, reset, I/O error) is forgotten and the
//! next request opens a new one; a request that failed before any of it was sent, that the
//! server refused (`REFUSED_STREAM`) or that a graceful GOAWAY did not let through, is sent
//! once more on a new connection (RFC 9113 §8.7: the server did not process it).

use std::collections::HashMap;
use std::future::{poll_fn, Future};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::task::{Poll, Waker};
use std::time::Duration;

use bytes::Bytes;
use h2::client::SendRequest;
use http::header::{CONNECTION, CONTENT_LENGTH, HOST, TRANSFER_ENCODING, UPGRADE, USER_AGENT};
use http::{HeaderMap, HeaderValue, Method};
use url::{Position, Url};

use super::body::{too_large, ClientBody};
use super::error::{Error, ErrorKind, TimeoutKind};
use super::pool::Key;
use super::response::StreamingResponse;
use super::stream::Stream;
use crate::compat::TokioIo;
use crate::proto::Version;

/// The ALPN identifier of HTTP/2 over TLS.
pub(crate) const ALPN_H2: &[u8] = b"h2";
/// Response bytes the server may send on one stream before the client reads them: large
/// enough that a download is not held to a round trip per 64 KiB (h2's default window).
const STREAM_WINDOW: u32 = 1024 * 1024;
/// Response bytes in flight on a connection, across its streams.
const CONNECTION_WINDOW: u32 = 4 * 1024 * 1024;

/// What the client knows about one origin.
enum Origin {
    /// A connection is being opened; these tasks wait for it.
    Connecting(Vec<Waker>),
    /// An HTTP/2 connection every request to the origin shares.
    Ready(SendRequest<Bytes>),
    /// ALPN picked HTTP/1.1: requests go through the HTTP/1.1 pool.
    Http1,
}

/// How a request reaches its origin.
pub(crate) enum Route {
    /// Over this HTTP/2 connection.
    Http2(SendRequest<Bytes>),
    /// Over HTTP/1.1: on this just-opened connection (ALPN picked HTTP/1.1), or (`None`)
    /// through the pool.
    Http1(Option<Stream>),
}

/// The HTTP/2 state of every origin a client talked to (on one thread, beside its HTTP/1.1
/// pool; behind a lock, all but never contended, so that request futures are `Send`). See
/// the module docs.
#[derive(Default)]
pub(crate) struct Origins {
    map: Mutex<HashMap<Key, Origin>>,
}

impl Origins {
    /// The map; nothing under the lock panics, and a poisoned lock is taken as it is.
    fn map(&self) -> MutexGuard<'_, HashMap<Key, Origin>> {
        self.map.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The route to `key`'s origin, opening a connection with `open` if none is known.
    /// `prior_knowledge`: speak HTTP/2 on the new connection whatever ALPN said (h2c).
    pub(crate) async fn route<F, Fut>(
        &self,
        key: &Key,
        prior_knowledge: bool,
        url: &Url,
        open: F,
    ) -> Result<Route, Error>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Stream, Error>>,
    {
        let known = poll_fn(|cx| {
            let mut map = self.map();
            match map.get_mut(key) {
                None => {
                    map.insert(key.clone(), Origin::Connecting(Vec::new()));
                    Poll::Ready(None)
                }
                Some(Origin::Connecting(waiting)) => {
                    if !waiting.iter().any(|w| w.will_wake(cx.waker())) {
                        waiting.push(cx.waker().clone());
                    }
                    Poll::Pending
                }
                Some(Origin::Ready(send)) => Poll::Ready(Some(Route::Http2(send.clone()))),
                Some(Origin::Http1) => Poll::Ready(Some(Route::Http1(None))),
            }
        })
        .await;
        if let Some(route) = known {
            return Ok(route);
        }
        // This task opens the connection; the claim wakes the others however it ends.
        let claim = Claim { origins: self, key };
        let stream = open().await?;
        if !prior_knowledge && !stream.alpn_is_h2() {
            claim.settle(Origin::Http1);
            return Ok(Route::Http1(Some(stream)));
        }
        let (send, connection) = h2::client::Builder::new()
            .initial_window_size(STREAM_WINDOW)
            .initial_connection_window_size(CONNECTION_WINDOW)
            .handshake::<_, Bytes>(TokioIo::new(stream))
            .await
            .map_err(|e| h2_error(url, e))?;
        drop(corio::spawn_local(async move {
            // Its end (the server closed, or no handle is left) shows in the handles.
            let _ = connection.await;
        }));
        claim.settle(Origin::Ready(send.clone()));
        Ok(Route::Http2(send))
    }

    /// Forgets `key`'s HTTP/2 connection after it failed: the next request opens another.
    pub(crate) fn forget(&self, key: &Key) {
        let mut map = self.map();
        if matches!(map.get(key), Some(Origin::Ready(_))) {
            map.remove(key);
        }
    }
}

/// The right to open the connection of an origin; settles its entry (or, dropped unsettled
/// after a failure or a cancellation, removes it) and wakes the tasks waiting for it.
struct Claim<'a> {
    origins: &'a Origins,
    key: &'a Key,
}

impl Claim<'_> {
    fn settle(self, origin: Origin) {
        let old = self.origins.map().insert(self.key.clone(), origin);
        std::mem::forget(self);
        wake(old);
    }
}

impl Drop for Claim<'_> {
    fn drop(&mut self) {
        let old = self.origins.map().remove(self.key);
        wake(old);
    }
}

fn wake(old: Option<Origin>) {
    if let Some(Origin::Connecting(waiting)) = old {
        waiting.into_iter().for_each(Waker::wake);
    }
}

/// Why an exchange failed.
pub(crate) enum Failure {
    /// Nothing of the request was processed: it may go again on a new connection.
    Retry(Error),
    /// The request failed.
    Fatal(Error),
}

/// What one exchange sends.
pub(crate) struct Exchange<'a> {
    pub method: &'a Method,
    pub url: &'a Url,
    pub headers: &'a HeaderMap,
    pub body: &'a Bytes,
    pub user_agent: Option<&'a HeaderValue>,
    pub read_timeout: Option<Duration>,
    pub limit: Option<u64>,
}

/// Sends one request on `send` and reads the response head.
pub(crate) async fn exchange(
    send: SendRequest<Bytes>,
    ex: Exchange<'_>,
) -> Result<StreamingResponse, Failure> {
    let url = ex.url;
    let mut send = send
        .ready()
        .await
        .map_err(|e| Failure::Retry(h2_error(url, e)))?;
    let request = to_h2(&ex).map_err(Failure::Fatal)?;
    let (response, mut body) = send
        .send_request(request, ex.body.is_empty())
        .map_err(|e| Failure::Retry(h2_error(url, e)))?;
    if !ex.body.is_empty() {
        // h2 sends it as the server's window allows.
        body.send_data(ex.body.clone(), true)
            .map_err(|e| Failure::Fatal(h2_error(url, e)))?;
    }
    let response = match ex.read_timeout {
        Some(t) => corio::time::timeout(t, response).await.map_err(|_| {
            Failure::Fatal(Error::new(
                ErrorKind::Timeout(TimeoutKind::Read),
                url.as_str(),
            ))
        })?,
        None => response.await,
    };
    let response = response.map_err(|e| {
        // Refused, or above the last stream a graceful GOAWAY let through: the server did
        // not process it (RFC 9113 §8.7).
        let unprocessed = e.reason() == Some(h2::Reason::REFUSED_STREAM)
            || (e.is_go_away() && e.reason() == Some(h2::Reason::NO_ERROR));
        if unprocessed {
            Failure::Retry(h2_error(url, e))
        } else {
            Failure::Fatal(h2_error(url, e))
        }
    })?;
    let (head, recv) = response.into_parts();
    let declared = head
        .headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if let (Some(len), Some(limit)) = (declared, ex.limit) {
        if len > limit {
            return Err(Failure::Fatal(too_large(url)));
        }
    }
    Ok(StreamingResponse {
        status: head.status,
        version: Version::Http2,
        headers: Box::new(head.headers.into()),
        body: ClientBody::http2(recv, ex.read_timeout, url.clone(), ex.limit),
    })
}

/// The h2 request: the URL gives `:scheme`, `:authority` and `:path`; the fields that are
/// HTTP/1.1's own (RFC 9113 §8.2.2) and `Host` (said by `:authority`) are left out;
/// `content-length` is the body's, as over HTTP/1.1 (for a body, or a method that usually
/// has one).
fn to_h2(ex: &Exchange<'_>) -> Result<http::Request<()>, Error> {
    let target = &ex.url[..Position::AfterQuery];
    let mut request = http::Request::builder()
        .method(ex.method.clone())
        .uri(target)
        .version(http::Version::HTTP_2)
        .body(())
        .map_err(|e| Error::new(ErrorKind::InvalidUrl, ex.url.as_str()).with_source(e))?;
    let headers = request.headers_mut();
    for (name, value) in ex.headers {
        let hop = name == HOST
            || name == CONTENT_LENGTH
            || name == CONNECTION
            || name == TRANSFER_ENCODING
            || name == UPGRADE
            || name == "keep-alive"
            || name == "proxy-connection"
            || (name == http::header::TE && value != "trailers");
        if !hop {
            headers.append(name.clone(), value.clone());
        }
    }
    if !ex.body.is_empty() || matches!(*ex.method, Method::POST | Method::PUT | Method::PATCH) {
        headers.insert(CONTENT_LENGTH, HeaderValue::from(ex.body.len()));
    }
    if let Some(ua) = ex.user_agent {
        if !headers.contains_key(USER_AGENT) {
            headers.insert(USER_AGENT, ua.clone());
        }
    }
    Ok(request)
}

/// An h2 error as the client's error: I/O errors keep their kind.
pub(crate) fn h2_error(url: &Url, e: h2::Error) -> Error {
    let kind = match e.get_io() {
        Some(io) => ErrorKind::Io(io.kind()),
        None => ErrorKind::Io(std::io::ErrorKind::ConnectionAborted),
    };
    Error::new(kind, url.as_str()).with_source(e)
}
