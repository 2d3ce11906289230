//! `corio bench --h2`: one connection's HTTP/2 load, as h2load's: [`run`].
//!
//! HTTP/2's framing, HPACK and flow control are the `h2` crate's (as in corio's server and
//! client), so this loop does not share the HTTP/1.1 loop's hand-made framing
//! (`connection.rs`): each connection is an h2 client over [`TokioIo`] (over TLS with ALPN
//! `h2` for `https://`, h2c with prior knowledge for `http://`), and
//! `--max-concurrent-streams` (h2load's `-m`) streams share it. Each stream takes a request
//! from the worker's budget, sends it, reads the whole response (its bytes given back to the
//! server's window) and counts it with its own latency, then sends the next: a closed loop
//! per stream.
//!
//! Decision: one task per connection drives both h2's connection and its streams, each
//! stream an explicit state machine ([`Stream`]) polled by hand, as h2load's single event
//! loop does. A task per stream (and one for the connection's driver) would cost a task wake
//! and a poll for each hop between them, twice per request; here every waker h2 holds wakes
//! the connection task (a stream's own waker marks it woken first: [`Woken`]), one pass polls
//! the connection (reading), then every stream that can move (woken, or taking a request), and
//! nothing is allocated per request beyond the request head h2 takes (a clone of the one
//! built at start) and what h2 itself allocates. Two polls of the connection per request
//! are inherent to h2's API: only its connection future writes, and a stream's next request
//! exists only once the first poll has read the previous response; the syscalls stay one
//! read and one write. The second poll (writing what the streams queued) is a pass of its
//! own: the task wakes itself and runs again after every other task the loop woke with it,
//! so the loop runs h2's reading code for all the connections ready at once, then its
//! writing code for all of them, instead of alternating the two per connection; h2's code
//! for one request is larger than the instruction cache, and this cut its misses by a fifth
//! (callgrind, `-m 1`: 1,213 to 944 per request) for one more task poll per request (180
//! instructions). Handing h2 the next requests in the writing pass as well did worse (1,077
//! misses): the streams stay in the reading pass. One clock reading per pass serves every
//! stream that finishes or starts in it, and one timer per connection ([`Deadline`],
//! re-armed lazily) watches the oldest request in flight and the run's end.
//!
//! Invariants:
//! - exactly the budget is sent (each request is taken from the worker's counter before it
//!   is sent), and every request sent is counted once: a response or an error;
//! - a request without a complete response within `--timeout` is a timeout error (its
//!   stream is reset; the connection goes on);
//! - when the connection fails (GOAWAY with an error, reset, I/O), every stream on it stops,
//!   the request each had in flight is counted as an error, and a new connection is opened
//!   unless the run is over;
//! - a server whose ALPN does not pick `h2` is a connect error that says so;
//! - the report's `bytes` are response body bytes (h2 hides frame and HPACK bytes), where
//!   the HTTP/1.1 loop counts every byte read.

use std::future::{poll_fn, Future};
use std::io;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Instant;

use bytes::Bytes;
use corio::time::Deadline;
use corio_http::compat::TokioIo;
use corio_http::tls::futures_rustls::client::TlsStream;
use corio_http::tls::futures_rustls::TlsConnector;
use futures_io::{AsyncRead, AsyncWrite};
use h2::client::{ResponseFuture, SendRequest};
use h2::RecvStream;
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
        if !self.headers.is_empty() {
            *request.headers_mut() = self.headers.clone();
        }
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

/// h2's connection driver, whatever the transport under it.
type Driver = Pin<Box<dyn Future<Output = Result<(), h2::Error>>>>;

/// How a connection's run ended.
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
        let (send, driver) = match connect(&worker).await {
            Ok(connected) => connected,
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
        if drive(&worker, &request, send, driver).await == Ended::Finished {
            return;
        }
    }
}

/// Opens a connection and runs the HTTP/2 handshake (TLS with ALPN `h2` first for
/// `https://`), within the timeout.
async fn connect(worker: &Worker) -> Result<(SendRequest<Bytes>, Driver), io::Error> {
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

async fn h2_handshake<T>(io: T) -> Result<(SendRequest<Bytes>, Driver), io::Error>
where
    T: AsyncRead + AsyncWrite + Unpin + 'static,
{
    let (send, connection) = h2::client::Builder::new()
        .initial_window_size(STREAM_WINDOW)
        .initial_connection_window_size(CONNECTION_WINDOW)
        .handshake::<_, Bytes>(TokioIo::new(io))
        .await
        .map_err(|e| io::Error::other(format!("HTTP/2 handshake: {e}")))?;
    Ok((send, Box::pin(connection)))
}

/// Drives one connection and its streams until the run is over or the connection fails.
async fn drive(
    worker: &Worker,
    request: &H2Request,
    send: SendRequest<Bytes>,
    mut driver: Driver,
) -> Ended {
    let config = &worker.config;
    let woken = Arc::new(Woken::new(config.depth));
    let mut streams: Vec<Stream> = (0..config.depth).map(|_| Stream::new(&send)).collect();
    // What h2 wakes when a stream can move: [`StreamWaker`]s.
    let wakers: Vec<Waker> = (0..config.depth)
        .map(|index| {
            Waker::from(Arc::new(StreamWaker {
                woken: woken.clone(),
                index,
            }))
        })
        .collect();
    drop(send);
    let mut driver_done = false;
    // Whether the last pass queued requests that the driver has not written yet.
    let mut unwritten = false;
    let mut alarm = Deadline::new();
    poll_fn(|cx| loop {
        // Its failure shows in every stream on it.
        driver_done = driver_done || driver.as_mut().poll(cx).is_ready();
        if std::mem::take(&mut unwritten) && !driver_done {
            // The writing pass: nothing has been read for the streams since the last pass
            // (h2 wakes the task if this poll read anything for a stream polled before),
            // and the alarm and the socket hold the task's waker from that pass.
            return Poll::Pending;
        }
        woken.set_task(cx.waker());
        let now = Instant::now();
        if config.end.is_some_and(|end| now >= end) {
            // Requests in flight when the run ends are not counted (as in the HTTP/1.1 loop).
            return Poll::Ready(Ended::Finished);
        }
        let mut sent = false;
        let mut oldest: Option<Instant> = None;
        let mut running = false;
        for (index, stream) in streams.iter_mut().enumerate() {
            // A stream waiting for h2 moves only once h2 has woken it.
            if !stream.in_flight() || woken.take(index) {
                let cx = &mut Context::from_waker(&wakers[index]);
                if stream.advance(cx, worker, request, now) {
                    // Its response is polled in the next pass, which gives h2 its waker.
                    woken.streams[index].store(true, Ordering::Relaxed);
                    sent = true;
                }
            }
            match stream.state {
                State::Ended(_) => {}
                State::Idle => running = true,
                _ => {
                    running = true;
                    oldest = Some(oldest.map_or(stream.start, |o| o.min(stream.start)));
                }
            }
        }
        if !running {
            let lost = streams
                .iter()
                .any(|s| matches!(s.state, State::Ended(Ended::Reopen)));
            return Poll::Ready(if lost { Ended::Reopen } else { Ended::Finished });
        }
        if driver_done {
            // Whatever h2 has not failed yet is lost with the connection.
            for stream in &mut streams {
                if stream.in_flight() {
                    worker.fail(ErrorKind::Read, 1);
                }
            }
            return Poll::Ready(Ended::Reopen);
        }
        let timeout = oldest.map(|start| start + config.timeout);
        alarm.set(match (timeout, config.end) {
            (Some(t), Some(end)) => Some(t.min(end)),
            (t, end) => t.or(end),
        });
        if alarm.poll(cx).is_pending() {
            if sent {
                // The driver writes them in a pass of its own, once every connection woken
                // with this one has run its reading pass.
                unwritten = true;
                cx.waker().wake_by_ref();
            }
            return Poll::Pending;
        }
        // The run's end, or the oldest request's timeout: reset each stream past its own
        // (dropping its futures resets it; the connection goes on), then go round again.
        let now = Instant::now();
        for stream in &mut streams {
            if stream.in_flight() && now >= stream.start + config.timeout {
                worker.fail(ErrorKind::Timeout, 1);
                stream.state = State::Idle;
            }
        }
    })
    .await
}

/// Where one stream is in its closed loop.
enum State {
    /// No request taken yet.
    Idle,
    /// A request taken from the budget, waiting for h2 to accept another stream.
    Opening,
    /// Sent; waiting for the response head.
    Head(ResponseFuture),
    /// Reading the response body.
    Body(RecvStream),
    /// No more requests from this stream.
    Ended(Ended),
}

/// Which of a connection's streams h2 has woken since their last poll, so that a pass polls
/// only those of the streams in flight that can move. Each poll of a stream's response
/// takes h2's lock and swaps the waker h2 holds; at `-m 10` against nginx a pass finds a
/// response for one stream in three or four, and polling all of them cost 3.3 % of the
/// generator's CPU (perf: the response polls and the waker clones and drops) where this
/// costs 1.3 %.
struct Woken {
    streams: Vec<AtomicBool>,
    /// The connection's task, which every stream's waker wakes.
    task: Mutex<Option<Waker>>,
}

impl Woken {
    fn new(streams: usize) -> Woken {
        Woken {
            // Each stream is polled in the first pass.
            streams: (0..streams).map(|_| AtomicBool::new(true)).collect(),
            task: Mutex::new(None),
        }
    }

    /// Keeps the task's waker (the same on every poll of a corio task; replaced if not).
    fn set_task(&self, waker: &Waker) {
        let mut task = self.task.lock().unwrap();
        if !task.as_ref().is_some_and(|t| t.will_wake(waker)) {
            *task = Some(waker.clone());
        }
    }

    /// Whether stream `index` was woken since it was last taken; clears it. (A load first:
    /// most streams in a pass were not woken, and a plain load costs less than a swap.)
    fn take(&self, index: usize) -> bool {
        let woken = &self.streams[index];
        woken.load(Ordering::Relaxed) && woken.swap(false, Ordering::Relaxed)
    }
}

/// The waker h2 holds for one stream: marks it woken, then wakes the connection's task.
struct StreamWaker {
    woken: Arc<Woken>,
    index: usize,
}

impl Wake for StreamWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.streams[self.index].store(true, Ordering::Relaxed);
        if let Some(task) = &*self.woken.task.lock().unwrap() {
            task.wake_by_ref();
        }
    }
}

/// One of a connection's `--max-concurrent-streams` closed loops.
struct Stream {
    send: SendRequest<Bytes>,
    state: State,
    /// When the request in flight was taken.
    start: Instant,
    /// The response's status, between its head and the end of its body.
    status: u16,
}

impl Stream {
    fn new(send: &SendRequest<Bytes>) -> Stream {
        Stream {
            send: send.clone(),
            state: State::Idle,
            start: Instant::now(),
            status: 0,
        }
    }

    /// Whether a request is counted as sent and not yet answered.
    fn in_flight(&self) -> bool {
        matches!(self.state, State::Opening | State::Head(_) | State::Body(_))
    }

    /// Moves the stream on as far as it goes without waiting; `now` is the pass's clock.
    /// Returns whether a request was handed to h2 (the driver has frames to write).
    fn advance(
        &mut self,
        cx: &mut Context<'_>,
        worker: &Worker,
        request: &H2Request,
        now: Instant,
    ) -> bool {
        let mut sent = false;
        loop {
            match &mut self.state {
                State::Ended(_) => return sent,
                State::Idle => {
                    if worker.take(1) == 0 {
                        self.state = State::Ended(Ended::Finished);
                        return sent;
                    }
                    worker.stats.borrow_mut().sent += 1;
                    self.start = now;
                    self.state = State::Opening;
                }
                State::Opening => match self.send.poll_ready(cx) {
                    Poll::Pending => return sent,
                    Poll::Ready(Err(e)) => self.fail(worker, ErrorKind::Write, &e),
                    Poll::Ready(Ok(())) => {
                        let end = request.body.is_empty();
                        match self.send.send_request(request.build(), end) {
                            Err(e) => self.fail(worker, ErrorKind::Write, &e),
                            Ok((response, mut body)) => {
                                sent = true;
                                self.state = State::Head(response);
                                if !end {
                                    if let Err(e) = body.send_data(request.body.clone(), true) {
                                        self.fail(worker, ErrorKind::Write, &e);
                                        continue;
                                    }
                                }
                                // Its response is not polled in this pass: the driver writes
                                // the request in the next pass (after its last read), so
                                // nothing can have come before the socket wakes the task,
                                // and that pass polls the driver (which reads) before every
                                // stream.
                                return true;
                            }
                        }
                    }
                },
                State::Head(response) => match Pin::new(response).poll(cx) {
                    Poll::Pending => return sent,
                    Poll::Ready(Err(e)) => self.fail(worker, ErrorKind::Read, &e),
                    Poll::Ready(Ok(response)) => {
                        // The status is counted when the body is whole (a response without
                        // one ends at the body's first poll).
                        self.status = response.status().as_u16();
                        self.state = State::Body(response.into_body());
                    }
                },
                State::Body(body) => match body.poll_data(cx) {
                    Poll::Pending => return sent,
                    Poll::Ready(Some(Err(e))) => self.fail(worker, ErrorKind::Read, &e),
                    Poll::Ready(Some(Ok(piece))) => {
                        worker.stats.borrow_mut().bytes += piece.len() as u64;
                        if body.is_end_stream() {
                            // Dropping the body (in `done`) gives its bytes back to the
                            // connection's window: h2 releases a closed stream's capacity.
                            self.done(worker, self.status, now);
                        } else {
                            let _ = body.flow_control().release_capacity(piece.len());
                        }
                    }
                    Poll::Ready(None) => self.done(worker, self.status, now),
                },
            }
        }
    }

    /// Counts a whole response; the stream takes its next request.
    fn done(&mut self, worker: &Worker, status: u16, now: Instant) {
        let latency = now.saturating_duration_since(self.start);
        worker.stats.borrow_mut().response(status, latency);
        worker.progress.record(latency);
        self.state = State::Idle;
    }

    /// Counts a failed request: the stream goes on after a reset of its own, and stops when
    /// the error is the connection's (I/O, GOAWAY).
    fn fail(&mut self, worker: &Worker, kind: ErrorKind, e: &h2::Error) {
        worker.fail(kind, 1);
        self.state = if e.is_io() || e.is_go_away() {
            State::Ended(Ended::Reopen)
        } else {
            State::Idle
        };
    }
}
