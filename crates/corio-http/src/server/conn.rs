//! The connection driver: reads requests, calls the handler, writes responses.
//!
//! One task per connection runs [`serve_connection`]. Its loop:
//!
//! 1. parse every complete request already buffered (pipelining), serving each in order; the
//!    responses accumulate in one output buffer, so a burst of pipelined requests is answered
//!    with one write (written early if it passes [`WRITE_HIGH_WATER`], which bounds memory
//!    for a client that pipelines without reading);
//! 2. write the output;
//! 3. read more bytes, waiting at most until the connection's deadline: the head timeout while
//!    a request head is incomplete (or for the first request), the keep-alive timeout between
//!    requests. Idle connections also wake on graceful shutdown and close.
//!
//! A request that breaks the protocol gets its 4xx/5xx answer with `Connection: close`, and
//! nothing pipelined after it is read or answered. A handler that panics gets a 500 and the
//! connection closes; the worker goes on.

use std::future::{poll_fn, Future};
use std::io;
use std::net::SocketAddr;
use std::pin::{pin, Pin};
use std::rc::Rc;
use std::sync::Arc;
use std::task::Poll;
use std::time::Instant;

use bytes::BytesMut;
use corio::net::TcpStream;
use corio::time::Deadline;
use http::{Method, StatusCode};

use super::access_log;
use super::buffers::{self, ReadBuf};
use super::config::{ServerConfig, DRAIN_LIMIT, WRITE_HIGH_WATER};
use super::handler::{CatchUnwind, Handler};
use super::shutdown::{ConnectionGuard, Tracker};
use crate::message::{Body, BodyState, Incoming, Request, Response};
use crate::proto::{
    parse_request_head, BodyFraming, ChunkedDecoder, ProtoError, RequestHead, Version,
};

/// What every connection of a worker shares.
pub(crate) struct WorkerContext<H> {
    pub(crate) handler: Arc<H>,
    pub(crate) config: ServerConfig,
    pub(crate) tracker: Rc<Tracker>,
}

/// Serves one connection until it closes. `guard` is its registration with the worker's
/// tracker, made by the accept loop when it accepted the connection.
pub(crate) async fn serve_connection<H: Handler>(
    stream: TcpStream,
    peer: SocketAddr,
    context: Rc<WorkerContext<H>>,
    guard: ConnectionGuard,
) {
    // Responses are written whole; Nagle would only delay the last segment.
    let _ = stream.set_nodelay(true);
    let now = Instant::now();
    let mut driver = Driver {
        conn: Rc::new(Incoming::new(stream, context.config.body_timeout)),
        deadline: deadline_at(now + context.config.head_timeout),
        head_started: Some(now),
        context,
        peer,
        guard,
        out: None,
        write_deadline: None,
    };
    // Errors end the connection; there is nobody left to tell.
    let _ = driver.run().await;
    driver.release_buffers();
}

/// What the driver remembers of a request while its handler runs.
struct Exchange {
    version: Version,
    is_head: bool,
    keep_alive: bool,
    has_body: bool,
    log: Option<access_log::RequestLine>,
}

/// A deadline already set at `at`.
pub(super) fn deadline_at(at: Instant) -> Deadline {
    let mut deadline = Deadline::new();
    deadline.set(Some(at));
    deadline
}

/// What is left to do for a response once its handler is done.
enum Respond {
    /// Written (or fully buffered); whether the connection stays open.
    Done(bool),
    /// The request body must be drained before the response goes out.
    DrainFirst(Box<(Response, Exchange)>),
    /// The head is buffered; a large body, a file or a stream remains.
    RestOfBody(Box<PendingBody>),
}

/// A response whose head is buffered and whose body remains to be sent.
struct PendingBody {
    rest: super::respond::RestOfBody,
    keep_alive: bool,
    status: StatusCode,
    log: Option<access_log::RequestLine>,
}

/// Why the wait for more bytes ended.
enum Wake {
    Readable,
    Shutdown,
    TimedOut,
}

/// The state of one connection.
pub(crate) struct Driver<H> {
    pub(super) conn: Rc<Incoming>,
    pub(super) context: Rc<WorkerContext<H>>,
    pub(super) peer: SocketAddr,
    guard: ConnectionGuard,
    /// When the head being received (or awaited, for the first request) started.
    head_started: Option<Instant>,
    deadline: Deadline,
    /// Encoded responses not written yet (`None`: no buffer held).
    pub(super) out: Option<BytesMut>,
    /// The stalled-write deadline, made on the first write that cannot complete at once.
    pub(super) write_deadline: Option<Deadline>,
}

impl<H: Handler> Driver<H> {
    async fn run(&mut self) -> io::Result<()> {
        loop {
            while let Some(parsed) = self.parse_next() {
                match parsed {
                    Err(error) => {
                        self.write_error(error);
                        return self.flush().await;
                    }
                    Ok(head) => {
                        let (request, exchange) = self.begin(head);
                        let future = pin!(CatchUnwind::new(self.context.handler.call(request)));
                        if !self.serve(future, exchange).await? {
                            return self.flush().await;
                        }
                        if self
                            .out
                            .as_ref()
                            .is_some_and(|out| out.len() >= WRITE_HIGH_WATER)
                        {
                            self.flush().await?;
                        }
                    }
                }
            }
            self.flush().await?;
            if self.guard.shutting_down() && self.head_started.is_none() {
                return Ok(());
            }
            if !self.fill().await? {
                return Ok(());
            }
        }
    }

    /// The next complete request head in the buffer, if any.
    fn parse_next(&mut self) -> Option<Result<Box<RequestHead>, ProtoError>> {
        let mut read = self.conn.read.borrow_mut();
        let buf = read.as_mut().filter(|buf| !buf.is_empty())?;
        match parse_request_head(buf.filled(), &self.context.config.limits) {
            Ok(Some((head, consumed))) => {
                buf.consume(consumed);
                self.head_started = None;
                // Boxed once here, the head moves through the driver and into the handler's
                // future as a pointer: the connection task stays small and no copies are made.
                Some(Ok(Box::new(head)))
            }
            Ok(None) => {
                self.head_started.get_or_insert_with(Instant::now);
                None
            }
            Err(error) => Some(Err(error)),
        }
    }

    /// Reads more bytes. `Ok(false)`: the connection should close (EOF, timeout, shutdown).
    async fn fill(&mut self) -> io::Result<bool> {
        let config = &self.context.config;
        let deadline = match self.head_started {
            Some(started) => started + config.head_timeout,
            None => Instant::now() + config.keep_alive_timeout,
        };
        self.deadline.set(Some(deadline));
        loop {
            match self.try_read() {
                Ok(0) => return Ok(false),
                Ok(_) => return Ok(true),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => return Err(e),
            }
            self.release_read_if_empty();
            let idle = self.head_started.is_none() || self.conn.read.borrow().is_none();
            let wake = poll_fn(|cx| {
                if self.conn.stream.poll_read_ready(cx).is_ready() {
                    return Poll::Ready(Wake::Readable);
                }
                if idle && self.guard.poll_shutdown(cx).is_ready() {
                    return Poll::Ready(Wake::Shutdown);
                }
                if self.deadline.poll(cx).is_ready() {
                    return Poll::Ready(Wake::TimedOut);
                }
                Poll::Pending
            })
            .await;
            match wake {
                Wake::Readable => {}
                Wake::Shutdown => return Ok(false),
                Wake::TimedOut => {
                    let partial = self
                        .conn
                        .read
                        .borrow()
                        .as_ref()
                        .is_some_and(|b| !b.is_empty());
                    if partial {
                        self.encode_simple(Response::error(StatusCode::REQUEST_TIMEOUT, ""));
                        self.flush().await?;
                    }
                    return Ok(false);
                }
            }
        }
    }

    fn try_read(&mut self) -> io::Result<usize> {
        let max = self.context.config.limits.max_start_line
            + self.context.config.limits.max_header_section
            + 4;
        let mut read = self.conn.read.borrow_mut();
        let buf = read.get_or_insert_with(ReadBuf::take);
        let spare = buf.spare(max.max(buffers::READ_BUF_SIZE));
        if spare.is_empty() {
            // Cannot happen: the parser rejects heads over the limits before the buffer fills.
            return Err(io::Error::other("request head larger than the read buffer"));
        }
        let n = self.conn.stream.try_read(spare)?;
        buf.advance_end(n);
        Ok(n)
    }

    fn release_read_if_empty(&mut self) {
        let mut read = self.conn.read.borrow_mut();
        if read.as_ref().is_some_and(ReadBuf::is_empty) {
            if let Some(buf) = read.take() {
                buf.release();
            }
        }
    }

    pub(super) fn release_buffers(&mut self) {
        if let Some(buf) = self.conn.read.borrow_mut().take() {
            buf.release();
        }
        if let Some(out) = self.out.take() {
            buffers::release_out(out);
        }
    }

    /// Prepares the connection for a request's body and builds the handler's [`Request`].
    fn begin(&mut self, head: Box<RequestHead>) -> (Request, Exchange) {
        let exchange = Exchange {
            version: head.version,
            is_head: head.method == Method::HEAD,
            keep_alive: head.keep_alive && !self.guard.shutting_down(),
            has_body: !head.body.is_empty(),
            log: self
                .context
                .config
                .access_log
                .then(|| access_log::RequestLine::new(&head)),
        };
        let body = if exchange.has_body {
            *self.conn.state.borrow_mut() = match head.body {
                BodyFraming::Length(n) => BodyState::Length(n),
                BodyFraming::Chunked => {
                    BodyState::Chunked(Box::new(ChunkedDecoder::new(&self.context.config.limits)))
                }
                BodyFraming::Empty | BodyFraming::CloseDelimited => BodyState::Done,
            };
            if head.expect_continue {
                self.conn.continue_sent.set(Some(0));
            }
            Body::incoming(self.conn.clone())
        } else {
            Body::empty()
        };
        (Request::new(head, body, Some(self.peer)), exchange)
    }

    /// Serves one request, given its handler's future; returns whether the connection stays
    /// open.
    ///
    /// The common case (a handler ready at once, no body left to drain, a small response)
    /// completes in the first poll: the response is encoded straight into the output buffer.
    /// The rare paths are boxed futures, so that their state does not enlarge the task of
    /// every connection (memory per idle connection is a measured goal).
    async fn serve(
        &mut self,
        mut future: Pin<&mut CatchUnwind<H::Future>>,
        exchange: Exchange,
    ) -> io::Result<bool> {
        let mut flushed = false;
        let outcome = poll_fn(|cx| {
            let poll = future.as_mut().poll(cx);
            if poll.is_pending() && !flushed {
                // A slow handler: send what earlier pipelined requests produced meanwhile,
                // as far as the socket takes it without waiting.
                flushed = true;
                self.try_flush();
            }
            poll
        })
        .await;
        match self.respond(outcome, exchange) {
            Respond::Done(keep_alive) => Ok(keep_alive),
            later => Box::pin(self.respond_later(later)).await,
        }
    }

    /// Answers with the handler's outcome as far as possible without waiting.
    fn respond(&mut self, outcome: Result<Response, ()>, mut exchange: Exchange) -> Respond {
        let response = outcome.unwrap_or_else(|()| {
            exchange.keep_alive = false;
            Response::error(StatusCode::INTERNAL_SERVER_ERROR, "")
        });
        // Shutdown may have begun while the handler ran: the in-flight request still gets its
        // response, with `Connection: close`, and nothing pipelined after it is served.
        exchange.keep_alive = exchange.keep_alive && !self.guard.shutting_down();
        if exchange.has_body && !self.conn.body_done() {
            return Respond::DrainFirst(Box::new((response, exchange)));
        }
        self.respond_with(response, exchange)
    }

    /// Buffers the response's head (and small body): done, or a body left to send.
    fn respond_with(&mut self, response: Response, exchange: Exchange) -> Respond {
        let status = response.status();
        let (keep_alive, sent, rest) = self.write_head(
            response,
            exchange.version,
            exchange.is_head,
            exchange.keep_alive,
        );
        match rest {
            None => {
                self.log(exchange.log, status, sent);
                Respond::Done(keep_alive)
            }
            Some(rest) => Respond::RestOfBody(Box::new(PendingBody {
                rest,
                keep_alive,
                status,
                log: exchange.log,
            })),
        }
    }

    /// The parts of [`Driver::respond`] that wait: draining the request body, sending a large
    /// body.
    async fn respond_later(&mut self, respond: Respond) -> io::Result<bool> {
        let pending = match respond {
            Respond::Done(keep_alive) => return Ok(keep_alive),
            Respond::RestOfBody(pending) => *pending,
            Respond::DrainFirst(parts) => {
                let (response, mut exchange) = *parts;
                exchange.keep_alive = exchange.keep_alive && self.drain_body().await;
                match self.respond_with(response, exchange) {
                    Respond::RestOfBody(pending) => *pending,
                    Respond::Done(keep_alive) => return Ok(keep_alive),
                    Respond::DrainFirst(_) => unreachable!("the body was drained just above"),
                }
            }
        };
        let sent = self.write_rest(pending.rest).await?;
        self.log(pending.log, pending.status, sent);
        Ok(pending.keep_alive)
    }

    fn log(&self, line: Option<access_log::RequestLine>, status: StatusCode, sent: u64) {
        if let Some(line) = line {
            access_log::record(self.peer, &line, status, sent);
        }
    }

    /// Reads and discards what the handler left of the body, if small enough. Returns whether
    /// the connection can be reused.
    async fn drain_body(&mut self) -> bool {
        if self.conn.continue_sent.get().is_some() {
            // The client still waits for `100 Continue`: it never sent the body. Close.
            self.conn.continue_sent.set(None);
            return false;
        }
        if matches!(*self.conn.state.borrow(), BodyState::Failed) {
            return false;
        }
        let mut body = Body::incoming(self.conn.clone());
        let mut drained = 0u64;
        while let Some(chunk) = body.chunk().await {
            match chunk {
                Ok(chunk) => {
                    drained += chunk.len() as u64;
                    if drained > DRAIN_LIMIT {
                        return false;
                    }
                }
                Err(_) => return false,
            }
        }
        true
    }

    /// Answers a protocol error; the caller closes the connection.
    fn write_error(&mut self, error: ProtoError) {
        let status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::BAD_REQUEST);
        let response = Response::error(status, error.as_str());
        self.encode_simple(response);
    }
}
