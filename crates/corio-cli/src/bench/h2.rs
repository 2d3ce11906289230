//! `corio bench --h2`: one connection's HTTP/2 load, as h2load's: [`run`].
//!
//! HTTP/2's framing, HPACK and flow control are the `h2` crate's (as in corio's server and
//! client), so this loop does not share the HTTP/1.1 loop's hand-made framing
//! (`connection.rs`): each connection is an h2 client over [`TokioIo`] (over TLS with ALPN
//! `h2` for `https://`, h2c with prior knowledge for `http://`), its driver a task of its
//! own, and `--max-concurrent-streams` (h2load's `-m`) stream loops share it. Each stream
//! loop takes a request from the worker's budget, sends it, reads the whole response (its
//! bytes given back to the server's window) and counts it with its own latency, then sends
//! the next: a closed loop per stream.
//!
//! Invariants:
//! - exactly the budget is sent (each request is taken from the worker's counter before it
//!   is sent), and every request sent is counted once: a response or an error;
//! - a request without a complete response within `--timeout` is a timeout error;
//! - when the connection fails (GOAWAY with an error, reset, I/O), every stream loop on it
//!   stops, the request each had in flight is counted as a read error, and a new
//!   connection is opened unless the run is over;
//! - a server whose ALPN does not pick `h2` is a connect error that says so;
//! - the report's `bytes` are response body bytes (h2 hides frame and HPACK bytes), where
//!   the HTTP/1.1 loop counts every byte read.

use std::future::{poll_fn, Future};
use std::io;
use std::rc::Rc;
use std::sync::Arc;
use std::task::Poll;
use std::time::Instant;

use bytes::Bytes;
use corio_http::compat::TokioIo;
use corio_http::tls::futures_rustls::client::TlsStream;
use corio_http::tls::futures_rustls::TlsConnector;
use futures_io::{AsyncRead, AsyncWrite};
use h2::client::SendRequest;
use http::{HeaderMap, Method, Uri};

use super::connection::{connect_tcp, CONNECT_RETRY_DELAY};
use super::stats::ErrorKind;
use super::worker::Worker;

/// The ALPN identifier of HTTP/2.
pub const ALPN_H2: &[u8] = b"h2";
/// Response bytes the server may send per stream before the client reads them (h2load's
/// default: 2^30 - 1 with `-w 30`; a large window keeps flow control out of the measure).
const STREAM_WINDOW: u32 = (1 << 30) - 1;
/// Response bytes in flight per connection (h2load's default, `-W 30`).
const CONNECTION_WINDOW: u32 = (1 << 30) - 1;

/// The request every stream sends, as h2 takes it.
#[derive(Debug)]
pub struct H2Request {
    /// Its method.
    pub method: Method,
    /// The URL (`:scheme`, `:authority`, `:path`).
    pub uri: Uri,
    /// The `-H` fields (those HTTP/2 forbids left out).
    pub headers: HeaderMap,
    /// The body (empty: none).
    pub body: Bytes,
}

impl H2Request {
    fn build(&self) -> http::Request<()> {
        let mut request = http::Request::new(());
        *request.method_mut() = self.method.clone();
        *request.uri_mut() = self.uri.clone();
        *request.version_mut() = http::Version::HTTP_2;
        *request.headers_mut() = self.headers.clone();
        request
    }
}

/// The fields of `-H` that HTTP/2 keeps: `Host` is `:authority`'s, and the connection's own
/// fields (RFC 9113 §8.2.2) are not allowed.
pub fn h2_headers(fields: &[(http::HeaderName, http::HeaderValue)]) -> HeaderMap {
    use http::header::{CONNECTION, HOST, TRANSFER_ENCODING, UPGRADE};
    let mut headers = HeaderMap::new();
    for (name, value) in fields {
        let hop = *name == HOST
            || *name == CONNECTION
            || *name == TRANSFER_ENCODING
            || *name == UPGRADE
            || name == "keep-alive"
            || name == "proxy-connection";
        if !hop {
            headers.append(name.clone(), value.clone());
        }
    }
    headers
}

/// How a stream loop ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ended {
    /// The run is over (its end, or no request left).
    Finished,
    /// The connection failed: open another.
    Reopen,
}

/// Runs connection `index` as HTTP/2 until the run ends.
pub async fn run(worker: Rc<Worker>, request: Arc<H2Request>) {
    let config = &worker.config;
    loop {
        if config.end.is_some_and(|end| Instant::now() >= end) || worker.exhausted() {
            return;
        }
        let send = match connect(&worker).await {
            Ok(send) => send,
            Err(e) => {
                let counted = worker.take(1);
                worker.fail(ErrorKind::Connect, counted as u64);
                worker.stats.borrow_mut().note_connect_error(&e);
                let retry = Instant::now() + CONNECT_RETRY_DELAY;
                let until = config.end.map_or(retry, |end| end.min(retry));
                corio::time::sleep_until(until).await;
                continue;
            }
        };
        let loops: Vec<_> = (0..config.depth)
            .map(|_| {
                let (worker, request, send) = (worker.clone(), request.clone(), send.clone());
                corio::spawn_local(async move { stream_loop(&worker, &request, send).await })
            })
            .collect();
        drop(send);
        let mut reopen = false;
        for handle in loops {
            match handle.await {
                Ok(ended) => reopen |= ended == Ended::Reopen,
                Err(e) => std::panic::resume_unwind(e.into_panic()),
            }
        }
        if !reopen {
            return;
        }
    }
}

/// Opens a connection and runs the HTTP/2 handshake (TLS with ALPN `h2` first for
/// `https://`), within the timeout; the connection's driver runs as a task.
async fn connect(worker: &Worker) -> Result<SendRequest<Bytes>, io::Error> {
    let config = &worker.config;
    let tcp = connect_tcp(worker).await?;
    let handshake = async {
        match &config.tls {
            None => h2_handshake(tcp).await,
            Some((tls, name)) => {
                let stream: TlsStream<_> = TlsConnector::from(tls.clone())
                    .connect(name.clone(), tcp)
                    .await
                    .map_err(|e| io::Error::new(e.kind(), format!("TLS handshake: {e}")))?;
                if stream.get_ref().1.alpn_protocol() != Some(ALPN_H2) {
                    return Err(io::Error::other("the server did not negotiate h2 (ALPN)"));
                }
                h2_handshake(stream).await
            }
        }
    };
    match corio::time::timeout(config.timeout, handshake).await {
        Ok(done) => done,
        Err(_) => Err(io::Error::new(
            io::ErrorKind::TimedOut,
            "HTTP/2 handshake not done within the timeout",
        )),
    }
}

async fn h2_handshake<T>(io: T) -> Result<SendRequest<Bytes>, io::Error>
where
    T: AsyncRead + AsyncWrite + Unpin + 'static,
{
    let (send, connection) = h2::client::Builder::new()
        .initial_window_size(STREAM_WINDOW)
        .initial_connection_window_size(CONNECTION_WINDOW)
        .handshake::<_, Bytes>(TokioIo::new(io))
        .await
        .map_err(|e| io::Error::other(format!("HTTP/2 handshake: {e}")))?;
    drop(corio::spawn_local(async move {
        // Its failure shows in every stream on it.
        let _ = connection.await;
    }));
    Ok(send)
}

/// How one exchange ended.
enum Outcome {
    /// A whole response with this status.
    Response(u16),
    /// The request failed; `lost`: with its connection.
    Failed { kind: ErrorKind, lost: bool },
    /// The run ended while it was in flight (not counted, as in the HTTP/1.1 loop).
    RunOver,
}

/// An h2 error as an outcome: the connection is lost when the error is the connection's
/// (I/O, GOAWAY), not the stream's (a reset).
fn failed(kind: ErrorKind, e: &h2::Error) -> Outcome {
    Outcome::Failed {
        kind,
        lost: e.is_io() || e.is_go_away(),
    }
}

/// One stream after another on `send` until the run is over or the connection fails.
async fn stream_loop(worker: &Worker, request: &H2Request, mut send: SendRequest<Bytes>) -> Ended {
    let config = &worker.config;
    loop {
        if config.end.is_some_and(|end| Instant::now() >= end) || worker.take(1) == 0 {
            return Ended::Finished;
        }
        worker.stats.borrow_mut().sent += 1;
        let start = Instant::now();
        let mut exchange = std::pin::pin!(exchange(&mut send, request, worker));
        let mut alarm = corio::time::Deadline::new();
        let timeout = start + config.timeout;
        alarm.set(Some(config.end.map_or(timeout, |end| end.min(timeout))));
        let outcome = poll_fn(|cx| {
            if let Poll::Ready(outcome) = exchange.as_mut().poll(cx) {
                return Poll::Ready(outcome);
            }
            alarm.poll(cx).map(|()| match config.end {
                Some(end) if Instant::now() >= end => Outcome::RunOver,
                // The stream is reset when its future is dropped; the connection goes on.
                _ => Outcome::Failed {
                    kind: ErrorKind::Timeout,
                    lost: false,
                },
            })
        })
        .await;
        match outcome {
            Outcome::Response(status) => {
                let latency = start.elapsed();
                worker.stats.borrow_mut().response(status, latency);
                worker.progress.record(latency);
            }
            Outcome::RunOver => return Ended::Finished,
            Outcome::Failed { kind, lost } => {
                worker.fail(kind, 1);
                if lost {
                    return Ended::Reopen;
                }
            }
        }
    }
}

/// Sends the request and reads the whole response.
async fn exchange(send: &mut SendRequest<Bytes>, request: &H2Request, worker: &Worker) -> Outcome {
    if let Err(e) = poll_fn(|cx| send.poll_ready(cx)).await {
        return failed(ErrorKind::Write, &e);
    }
    let (response, mut body) = match send.send_request(request.build(), request.body.is_empty()) {
        Ok(sent) => sent,
        Err(e) => return failed(ErrorKind::Write, &e),
    };
    if !request.body.is_empty() {
        if let Err(e) = body.send_data(request.body.clone(), true) {
            return failed(ErrorKind::Write, &e);
        }
    }
    let response = match response.await {
        Ok(response) => response,
        Err(e) => return failed(ErrorKind::Read, &e),
    };
    let status = response.status().as_u16();
    let mut recv = response.into_body();
    while let Some(piece) = recv.data().await {
        let piece = match piece {
            Ok(piece) => piece,
            Err(e) => return failed(ErrorKind::Read, &e),
        };
        worker.stats.borrow_mut().bytes += piece.len() as u64;
        let _ = recv.flow_control().release_capacity(piece.len());
    }
    Outcome::Response(status)
}
