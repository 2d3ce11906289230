//! The connection driver: reads requests, calls the handler, writes responses.
//!
//! One task per connection runs [`serve_connection`]. Its loop:
//!
//! 1. parse every complete request already buffered (pipelining), serving each in order; the
//!    responses accumulate in one output buffer, so a burst of pipelined requests is answered
//!    with one write (written early if it passes [`WRITE_HIGH_WATER`], which bounds memory
//!    for a client that pipelines without reading). While each handler answers in its first
//!    poll this is one plain function, [`Driver::serve_buffered`], called with the task's
//!    context; a handler that waits, or an answer that must wait (a body to drain, a large
//!    body to send), continues in the `async` loop;
//! 2. write the output, then
//! 3. read more bytes, waiting at most until the connection's deadline: the head timeout while
//!    a request head is incomplete (or for the first request), the keep-alive timeout between
//!    requests. Idle connections also wake on graceful shutdown and close. Steps 2 and 3 are
//!    one wait ([`Driver::flush_then_fill`]).
//!
//! A request that breaks the protocol gets its 4xx/5xx answer with `Connection: close`, and
//! nothing pipelined after it is read or answered. A handler that panics gets a 500 and the
//! connection closes; the worker goes on.
//!
//! The driver is generic over the byte stream ([`Transport`]), monomorphised per transport.
//! Where an exchange stands (body progress, `100 Continue`, keep-alive) is the state machine's
//! (`state.rs`), kept with the buffers in [`ConnIo`], which the request body shares; the
//! driver moves it at the exchange's start ([`ConnIo::start`]) and end (`finish`). A body
//! the handler left unread is taken in, as far as it arrived, before the answer is written
//! (see [`Driver::respond`]).

use std::cell::{Cell, RefCell};
use std::future::{poll_fn, Future};
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Instant;

use bytes::Bytes;
use corio::time::Deadline;
use futures_util::FutureExt;
use http::{Method, StatusCode};

use super::access_log;
use super::buffers::{self, ReadBuf};
use super::config::{ServerConfig, DRAIN_LIMIT, WRITE_HIGH_WATER};
use super::conn_io::{Arrived, ConnIo};
use super::handler::{CatchUnwind, Handler};
use super::http2::{sniff, Preface};
use super::respond::is_plain_ok;
use super::shutdown::{ConnectionGuard, Tracker};
use super::transport::Transport;
use crate::message::{Body, Request, Response};
use crate::proto::{ProtoError, RequestHead, RequestHeadParser, Version};

/// What every connection of a worker shares.
pub(crate) struct WorkerContext<H: Handler> {
    pub(crate) handler: Arc<H>,
    pub(crate) config: ServerConfig,
    pub(crate) tracker: Rc<Tracker>,
    /// An empty box for a handler future, kept for the next request (see [`HandlerBox`]):
    /// a `Cell`, as in steady state one box goes back and forth.
    spare: Cell<Option<HandlerBox<H>>>,
    /// More empty boxes, given back while `spare` was full (handlers that waited together).
    boxes: RefCell<Vec<HandlerBox<H>>>,
}

/// The box a request's handler future is polled in: taken from the worker's pool when the
/// request starts and given back empty when the handler is done. Kept out of the connection's
/// task, the future's space (the `Request` and whatever the handler holds) is not carried by
/// every idle connection; pooled, it costs no allocation per request (a handler that answers
/// at once gives the box back within the poll that took it, so one box serves them all).
type HandlerBox<H> = Pin<Box<Option<CatchUnwind<<H as Handler>::Future>>>>;

/// The most empty handler boxes a worker keeps besides its spare: enough for the handlers of
/// a burst that wait at the same time, while the boxes a larger burst of slow handlers needed
/// are freed.
const MAX_POOLED_BOXES: usize = 64;

impl<H: Handler> WorkerContext<H> {
    pub(crate) fn new(handler: Arc<H>, config: ServerConfig, tracker: Rc<Tracker>) -> Self {
        WorkerContext {
            handler,
            config,
            tracker,
            spare: Cell::new(None),
            boxes: RefCell::new(Vec::new()),
        }
    }

    /// An empty handler box: a pooled one, or a new one.
    #[inline(always)]
    fn take_box(&self) -> HandlerBox<H> {
        match self.spare.take() {
            Some(spare) => spare,
            None => self
                .boxes
                .borrow_mut()
                .pop()
                .unwrap_or_else(|| Box::pin(None)),
        }
    }

    /// Gives back a box, emptied first (its handler is done, or panicked), unless the pool is
    /// full.
    #[inline(always)]
    fn give_back(&self, mut handler: HandlerBox<H>) {
        handler.set(None);
        if let Some(handler) = self.spare.replace(Some(handler)) {
            let mut boxes = self.boxes.borrow_mut();
            if boxes.len() < MAX_POOLED_BOXES {
                boxes.push(handler);
            }
        }
    }
}

/// Serves one connection until it closes. `guard` is its registration with the worker's
/// tracker, made by the accept loop when it accepted the connection.
pub(crate) fn serve_connection<H: Handler, T: Transport>(
    transport: T,
    peer: SocketAddr,
    context: Rc<WorkerContext<H>>,
    guard: ConnectionGuard,
) -> impl Future<Output = ()> {
    // Without sniffing the driver never hands the connection over. (Not an `async fn`: that
    // would keep its arguments beside the driver made from them.)
    serve(transport, peer, context, guard, Start::Http1).map(drop)
}

/// How a connection's first bytes are taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Start {
    /// As an HTTP/1.1 request (a TLS connection: ALPN chose the protocol).
    Http1,
    /// Checked for the HTTP/2 connection preface first (a cleartext port, see `cleartext.rs`).
    Sniff,
}

/// A cleartext connection whose first bytes were the HTTP/2 preface, handed back by the
/// HTTP/1.1 driver before it served anything: the transport, the bytes read from it, the
/// connection's registration, and what the driver was given. (Handing all of it back lets the
/// caller keep nothing of its own while the driver runs: the connection's task stays small.)
pub(crate) struct Http2Handoff<H: Handler, T> {
    pub(crate) transport: T,
    pub(crate) read: Bytes,
    pub(crate) guard: ConnectionGuard,
    pub(crate) peer: SocketAddr,
    pub(crate) context: Rc<WorkerContext<H>>,
}

/// Serves one connection with the HTTP/1.1 driver; with [`Start::Sniff`], returns it instead
/// if it opens with the HTTP/2 preface.
///
/// Sniffing costs the HTTP/1.1 path nothing per request: the driver's first read (which it
/// makes anyway) fills its read buffer, and while those bytes are a proper prefix of the
/// preface it reads more (under the head timeout) before parsing anything.
pub(crate) fn serve<H: Handler, T: Transport>(
    transport: T,
    peer: SocketAddr,
    context: Rc<WorkerContext<H>>,
    guard: ConnectionGuard,
    start: Start,
) -> impl Future<Output = Option<Http2Handoff<H, T>>> {
    if let Some(tcp) = transport.as_tcp() {
        // Responses are written whole; Nagle would only delay the last segment.
        let _ = tcp.set_nodelay(true);
    }
    let now = corio::time::loop_now();
    let mut driver = Driver {
        io: Rc::new(RefCell::new(ConnIo::new(
            transport,
            context.config.body_timeout,
        ))),
        deadline: deadline_at(now + context.config.head_timeout),
        head_started: true,
        parser: RequestHeadParser::new(),
        context,
        peer,
        guard,
        write_deadline: None,
        polled_with: None,
        tracked: false,
    };
    // Not an `async fn`: its future would keep the arguments beside the driver made of them.
    async move {
        let result = match start {
            Start::Http1 => driver.run().await,
            Start::Sniff => match driver.sniff().await {
                Ok(Some(Preface::Http2)) => return driver.hand_off(),
                Ok(Some(_)) => driver.run().await,
                // The client left or stalled before its first bytes said anything.
                Ok(None) => Ok(()),
                Err(e) => Err(e),
            },
        };
        // Errors end the connection; there is nobody left to tell.
        if result.is_ok() {
            // A TLS transport writes its `close_notify` here: bounded like any write, so that
            // a client that stopped reading cannot hold the connection open.
            let io = &driver.io;
            let close = poll_fn(|cx| io.borrow_mut().transport.poll_close(cx));
            let _ = corio::time::timeout(driver.context.config.write_timeout, close).await;
        }
        driver.io.borrow_mut().release_buffers();
        None
    }
}

/// What the driver remembers of a request while its handler runs.
struct Exchange {
    version: Version,
    is_head: bool,
    is_connect: bool,
    has_body: bool,
    /// Boxed: kept only when access logging is on, and inline it would take a hundred bytes
    /// of every connection's task.
    log: Option<Box<access_log::RequestLine>>,
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
    /// More of the request body must arrive (and be discarded) before the response goes out.
    DrainFirst(Box<(Response, Exchange, u64)>),
    /// The head is buffered; a large body, a file or a stream remains.
    RestOfBody(Box<PendingBody>),
}

/// Where [`Driver::serve_buffered`] stopped.
enum Served<H: Handler> {
    /// Every complete request buffered was answered: write the output, then read more.
    NeedInput,
    /// The output reached [`WRITE_HIGH_WATER`]: write it before serving more.
    Full,
    /// The connection closes once the output is written (a protocol error, a response
    /// without keep-alive).
    Close,
    /// A handler did not answer in its first poll: its future, in its box from the worker's
    /// pool, is polled until it does.
    Waiting(HandlerBox<H>, Exchange),
    /// The answer needs waiting to finish (a body to drain first, a large body to send).
    Later(Respond),
}

/// Polls a request's handler (in its box, filled before).
#[inline(always)]
fn poll_handler<F: Future<Output = Response>>(
    future: &mut Pin<Box<Option<CatchUnwind<F>>>>,
    cx: &mut Context<'_>,
) -> Poll<Result<Response, ()>> {
    let Some(handler) = future.as_mut().as_pin_mut() else {
        unreachable!("a handler box is filled before it is polled")
    };
    handler.poll(cx)
}

/// A response whose head is buffered and whose body remains to be sent.
struct PendingBody {
    rest: super::respond::RestOfBody,
    keep_alive: bool,
    status: StatusCode,
    log: Option<Box<access_log::RequestLine>>,
}

/// Why the wait for more bytes ended.
enum Wake {
    Read(usize),
    Failed(io::Error),
    Shutdown,
    TimedOut,
}

/// The state of one connection: the driver side. The exchange's state machine and buffers
/// are in [`ConnIo`], shared with the request body.
pub(crate) struct Driver<H: Handler, T> {
    pub(super) io: Rc<RefCell<ConnIo<T>>>,
    pub(super) context: Rc<WorkerContext<H>>,
    pub(super) peer: SocketAddr,
    guard: ConnectionGuard,
    /// Whether a head is being received (or awaited, for the first request): `deadline` is
    /// then its head timeout's, set when it started.
    head_started: bool,
    /// Where the scan of a head received in pieces stopped, so that each byte is checked once.
    parser: RequestHeadParser,
    deadline: Deadline,
    /// The stalled-write deadline, made on the first write that cannot complete at once.
    /// Boxed: few connections ever need one.
    pub(super) write_deadline: Option<Box<Deadline>>,
    /// The waker that `deadline`'s timer (and the tracker, if `tracked`) hold: the one the
    /// last wait registered. A wait polled with the same waker (always, for the connection's
    /// own task) need not store it again: see [`Driver::poll_wake`].
    polled_with: Option<Waker>,
    /// Whether the tracker holds `polled_with`, to wake the connection on shutdown.
    tracked: bool,
}

impl<H: Handler, T: Transport> Driver<H, T> {
    async fn run(&mut self) -> io::Result<()> {
        loop {
            let keep_alive = match poll_fn(|cx| Poll::Ready(self.serve_buffered(cx))).await {
                Served::NeedInput => {
                    if !self.flush_then_fill().await? {
                        return self.flush().await;
                    }
                    continue;
                }
                Served::Full => {
                    self.flush().await?;
                    continue;
                }
                Served::Close => false,
                Served::Waiting(mut future, exchange) => {
                    let outcome = poll_fn(|cx| poll_handler(&mut future, cx)).await;
                    self.context.give_back(future);
                    match self.respond(outcome, exchange) {
                        Respond::Done(keep_alive) => keep_alive,
                        later => Box::pin(self.respond_later(later)).await?,
                    }
                }
                Served::Later(later) => Box::pin(self.respond_later(later)).await?,
            };
            if !keep_alive {
                return self.flush().await;
            }
            if self.output_full() {
                self.flush().await?;
            }
        }
    }

    /// Serves the requests already buffered, in order, as far as that goes without waiting
    /// (see [`Served`]). Each handler's future is polled in a box from the worker's pool,
    /// given back emptied once the handler is done (or panicked).
    ///
    /// A plain function called with the task's context, not a loop of `.await`s: in the
    /// common case (each handler ready at once, no body left to drain, a small response
    /// encoded straight into the output buffer) a pipelined burst is served in one call, a
    /// request costing no state-machine transition and no move of its response through a
    /// future's state. The rare paths continue in [`Driver::run`] (the ones that wait for
    /// the client are boxed futures, so that their state does not enlarge the task of every
    /// connection: memory per idle connection is a measured goal).
    fn serve_buffered(&mut self, cx: &mut Context<'_>) -> Served<H> {
        loop {
            let head = match self.parse_next() {
                None => return Served::NeedInput,
                Some(Err(error)) => {
                    self.write_error(error);
                    return Served::Close;
                }
                Some(Ok(head)) => head,
            };
            let mut future = self.context.take_box();
            let (request, exchange) = self.begin(head);
            future.set(Some(CatchUnwind::new(self.context.handler.call(request))));
            // The handler's response is left in `output`, and a response to a request without
            // body (nearly all) written from there, inline: not moved out of the handler's
            // poll, nor into a call.
            let mut output = Poll::Pending;
            let polled = match future.as_mut().as_pin_mut() {
                Some(handler) => handler.poll_into(cx, &mut output),
                None => unreachable!("a handler box is filled before it is polled"),
            };
            let respond = match polled {
                Err(()) => {
                    self.context.give_back(future);
                    self.respond(Err(()), exchange)
                }
                Ok(()) => match output {
                    Poll::Pending => {
                        // A slow handler: send what earlier pipelined requests produced
                        // meanwhile, as far as the socket takes it without waiting.
                        let _ = self.io.borrow_mut().poll_write_out(cx);
                        return Served::Waiting(future, exchange);
                    }
                    // Taken apart where the handler's poll left it: its fields are read
                    // there, and dropped one by one (no `Response` drop glue).
                    Poll::Ready(Response {
                        status,
                        content_type,
                        headers,
                        body,
                    }) if !exchange.has_body => {
                        self.context.give_back(future);
                        let keep_alive = self.finish_exchange();
                        let plain = is_plain_ok(
                            status,
                            content_type.as_ref(),
                            headers.as_deref(),
                            &body,
                            exchange.version,
                            exchange.is_connect,
                            keep_alive,
                        );
                        if plain {
                            let sent = self.write_ok(
                                content_type.as_ref(),
                                headers,
                                body,
                                exchange.is_head,
                            );
                            self.log(exchange.log, StatusCode::OK, sent);
                            Respond::Done(true)
                        } else {
                            let response = Response {
                                status,
                                content_type,
                                headers,
                                body,
                            };
                            self.respond_finished(response, exchange, keep_alive)
                        }
                    }
                    Poll::Ready(response) => {
                        self.context.give_back(future);
                        self.respond(Ok(response), exchange)
                    }
                },
            };
            match respond {
                Respond::Done(true) => {}
                Respond::Done(false) => return Served::Close,
                later => return Served::Later(later),
            }
            if self.output_full() {
                return Served::Full;
            }
        }
    }

    /// Whether the output reached [`WRITE_HIGH_WATER`]: it is written before more requests
    /// are served.
    fn output_full(&self) -> bool {
        self.io
            .borrow()
            .out
            .as_ref()
            .is_some_and(|out| out.len() >= WRITE_HIGH_WATER)
    }

    /// Reads until the first bytes tell HTTP/2 from HTTP/1.1 (see [`sniff`]). `None`: the
    /// connection ended (EOF, head timeout, shutdown) before they did.
    async fn sniff(&mut self) -> io::Result<Option<Preface>> {
        loop {
            let preface = match self.io.borrow().read.as_ref() {
                Some(buf) => sniff(buf.filled()),
                None => Preface::Undecided,
            };
            if preface != Preface::Undecided {
                return Ok(Some(preface));
            }
            if !self.fill().await? {
                self.flush().await?;
                return Ok(None);
            }
        }
    }

    /// Gives the connection up to HTTP/2, with the bytes read so far. Nothing was served, so
    /// no request body shares the I/O.
    fn hand_off(self) -> Option<Http2Handoff<H, T>> {
        let Driver {
            io,
            guard,
            peer,
            context,
            ..
        } = self;
        let mut io = Rc::try_unwrap(io).ok()?.into_inner();
        let read = io
            .read
            .as_ref()
            .map(|buf| Bytes::copy_from_slice(buf.filled()))
            .unwrap_or_default();
        io.release_buffers();
        Some(Http2Handoff {
            transport: io.transport,
            read,
            guard,
            peer,
            context,
        })
    }

    /// The next complete request head in the buffer, if any.
    fn parse_next(&mut self) -> Option<Result<Box<RequestHead>, ProtoError>> {
        let mut io = self.io.borrow_mut();
        let buf = io.read.as_mut().filter(|buf| !buf.is_empty())?;
        match self.parser.parse(buf.filled(), &self.context.config.limits) {
            Ok(Some((head, consumed))) => {
                buf.consume(consumed);
                self.head_started = false;
                // Boxed by the parser (with its bytes), the head moves through the driver and
                // into the handler's future as a pointer: the connection task stays small.
                Some(Ok(head))
            }
            Ok(None) => {
                if !self.head_started {
                    self.head_started = true;
                    let timeout = self.context.config.head_timeout;
                    self.deadline.set(Some(corio::time::loop_now() + timeout));
                }
                None
            }
            Err(error) => Some(Err(error)),
        }
    }

    /// Reads more bytes. `Ok(false)`: the connection should close (EOF, timeout, shutdown);
    /// a head cut short by its timeout leaves a 408 in the output, for the caller's flush.
    ///
    /// The keep-alive and head deadlines count from the loop's clock
    /// ([`corio::time::loop_now`]), read once per loop iteration rather than once per
    /// request: they may fire early by as long as the iteration had run (milliseconds, for
    /// timeouts of seconds), which closing an idle connection allows.
    ///
    /// Not an `async fn`, for the reason [`Driver::flush`] is not: the deadline is set when
    /// it is called, and it is awaited at once. One pointer is held while the connection
    /// waits: its task stays small.
    fn fill(&mut self) -> impl Future<Output = io::Result<bool>> + '_ {
        self.start_keep_alive();
        poll_fn(move |cx| self.poll_fill(cx))
    }

    /// Between requests, the wait for the next one is bounded by the keep-alive timeout.
    fn start_keep_alive(&mut self) {
        if !self.head_started {
            let timeout = self.context.config.keep_alive_timeout;
            self.deadline.set(Some(corio::time::loop_now() + timeout));
        }
    }

    /// Writes the output, then reads more: [`Driver::flush`] and [`Driver::fill`] as one
    /// wait, as the driver does after answering what was buffered. `Ok(false)`: the
    /// connection should close (see [`Driver::fill`]), or shutdown began while no request
    /// was under way; the caller flushes what is left (a `408`, for one).
    ///
    /// One future instead of two in turn: a response written at once (the usual case) and
    /// the wait for the next request cost one state of the connection's state machine, not
    /// two.
    fn flush_then_fill(&mut self) -> impl Future<Output = io::Result<bool>> + '_ {
        let mut writing = self.io.borrow().out.is_some();
        if writing {
            self.restart_stall();
        }
        let mut reading = false;
        poll_fn(move |cx| {
            if writing {
                match self.poll_flush(cx) {
                    Poll::Ready(Ok(())) => writing = false,
                    Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                    Poll::Pending => return Poll::Pending,
                }
            }
            if !reading {
                if self.guard.shutting_down() && !self.head_started {
                    return Poll::Ready(Ok(false));
                }
                self.start_keep_alive();
                reading = true;
            }
            self.poll_fill(cx)
        })
    }

    /// Polls [`Driver::fill`].
    fn poll_fill(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<bool>> {
        let wake = match self.poll_wake(cx) {
            Poll::Ready(wake) => wake,
            Poll::Pending => return Poll::Pending,
        };
        Poll::Ready(match wake {
            Wake::Read(n) => Ok(n > 0),
            Wake::Failed(e) => Err(e),
            Wake::Shutdown => Ok(false),
            Wake::TimedOut => {
                let partial = self
                    .io
                    .borrow()
                    .read
                    .as_ref()
                    .is_some_and(|b| !b.is_empty());
                if partial {
                    self.encode_simple(Response::error(StatusCode::REQUEST_TIMEOUT, ""));
                }
                Ok(false)
            }
        })
    }

    /// Polls for more bytes, shutdown (while idle) and the deadline.
    ///
    /// A wait registers the task's waker three times: with the socket, with the tracker
    /// (while idle) and with the deadline's timer. The last two keep it until they fire, so
    /// a wait polled with the waker they already hold (`polled_with`) only checks them: no
    /// tracker slot to look up, no timer lock to take.
    fn poll_wake(&mut self, cx: &mut Context<'_>) -> Poll<Wake> {
        let same = self
            .polled_with
            .as_ref()
            .is_some_and(|waker| waker.will_wake(cx.waker()));
        let mut io = self.io.borrow_mut();
        // Nothing buffered and nothing to read (the usual case once a response is written):
        // wait without going through a read.
        let drained = io.read.as_ref().is_none_or(ReadBuf::is_empty);
        if !drained || io.transport.poll_read_ready(cx).is_ready() {
            let limits = &self.context.config.limits;
            let max =
                (limits.max_start_line + limits.max_header_section + 4).max(buffers::READ_BUF_SIZE);
            match io.poll_read_more(cx, max) {
                Poll::Ready(Ok(n)) => return Poll::Ready(Wake::Read(n)),
                Poll::Ready(Err(e)) => return Poll::Ready(Wake::Failed(e)),
                Poll::Pending => {}
            }
        }
        io.release_read_if_empty();
        // Idle: no request under way, or only its first byte awaited.
        let idle = !self.head_started || io.read.is_none();
        drop(io);
        let mut tracked = same && self.tracked;
        if idle {
            let shutdown = if tracked {
                self.guard.shutting_down()
            } else {
                tracked = true;
                self.guard.poll_shutdown(cx).is_ready()
            };
            if shutdown {
                return Poll::Ready(Wake::Shutdown);
            }
        }
        let deadline = if same {
            self.deadline.poll_same_waker(cx)
        } else {
            self.deadline.poll(cx)
        };
        if deadline.is_ready() {
            return Poll::Ready(Wake::TimedOut);
        }
        if !same {
            self.polled_with = Some(cx.waker().clone());
        }
        self.tracked = tracked;
        Poll::Pending
    }

    /// Starts the exchange in the state machine and builds the handler's [`Request`].
    fn begin(&mut self, head: Box<RequestHead>) -> (Request, Exchange) {
        let exchange = Exchange {
            version: head.version,
            is_head: head.method == Method::HEAD,
            is_connect: head.method == Method::CONNECT,
            has_body: !head.body.is_empty(),
            log: self
                .context
                .config
                .access_log
                .then(|| Box::new(access_log::RequestLine::new(&head))),
        };
        let number = self.io.borrow_mut().start(
            &head,
            &self.context.config.limits,
            self.guard.shutting_down(),
        );
        let body = if exchange.has_body {
            Body::incoming(self.io.clone(), number)
        } else {
            Body::empty()
        };
        (Request::new(head, body, Some(self.peer)), exchange)
    }

    /// Answers with the handler's outcome as far as possible without waiting.
    ///
    /// A body the handler did not read to its end is taken in first, as far as it already
    /// arrived: a framing error found there is answered with its 4xx instead of the handler's
    /// response, a complete body keeps the connection open, and a body still on its way is
    /// drained before the response (see [`Driver::respond_later`]).
    #[inline(never)]
    fn respond(&mut self, outcome: Result<Response, ()>, exchange: Exchange) -> Respond {
        let mut response = outcome.unwrap_or_else(|()| {
            self.io.borrow_mut().state.must_close();
            Response::error(StatusCode::INTERNAL_SERVER_ERROR, "")
        });
        if exchange.has_body {
            let mut io = self.io.borrow_mut();
            let mut drained = 0;
            if let Arrived::Partial = io.take_arrived(&mut drained, DRAIN_LIMIT) {
                if io.state.continue_owed() {
                    // The client still waits for `100 Continue`: it sent no body byte and
                    // will send none. Answer and close (RFC 9110 §10.1.1).
                    io.state.must_close();
                } else {
                    drop(io);
                    return Respond::DrainFirst(Box::new((response, exchange, drained)));
                }
            }
            if let Some(error) = io.state.framing_error() {
                response = framing_error_response(error);
            }
        }
        self.respond_with(response, exchange)
    }

    /// Buffers the response's head (and small body): done, or a body left to send. Ends the
    /// exchange in the state machine.
    fn respond_with(&mut self, response: Response, exchange: Exchange) -> Respond {
        let keep_alive = self.finish_exchange();
        self.respond_finished(response, exchange, keep_alive)
    }

    /// Ends the exchange in the state machine: whether the connection stays open after the
    /// response.
    #[inline(always)]
    fn finish_exchange(&mut self) -> bool {
        let mut io = self.io.borrow_mut();
        // Shutdown may have begun while the handler ran: the in-flight request still gets
        // its response, with `Connection: close`, and nothing pipelined after it is served.
        if self.guard.shutting_down() {
            io.state.must_close();
        }
        io.state.finish();
        io.state.keep_alive()
    }

    /// [`Driver::respond_with`] once the exchange is finished.
    fn respond_finished(
        &mut self,
        response: Response,
        exchange: Exchange,
        keep_alive: bool,
    ) -> Respond {
        let status = response.status();
        let (keep_alive, sent, rest) = self.write_head(
            response,
            exchange.version,
            exchange.is_head,
            exchange.is_connect,
            keep_alive,
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
                let (mut response, exchange, drained) = *parts;
                self.drain_body(drained).await;
                if let Some(error) = self.io.borrow().state.framing_error() {
                    response = framing_error_response(error);
                }
                match self.respond_with(response, exchange) {
                    Respond::RestOfBody(pending) => *pending,
                    Respond::Done(keep_alive) => return Ok(keep_alive),
                    Respond::DrainFirst(_) => unreachable!("respond_with never drains"),
                }
            }
        };
        let sent = self.write_rest(pending.rest).await?;
        self.log(pending.log, pending.status, sent);
        Ok(pending.keep_alive)
    }

    fn log(&self, line: Option<Box<access_log::RequestLine>>, status: StatusCode, sent: u64) {
        if let Some(line) = line {
            access_log::record(self.peer, &line, status, sent);
        }
    }

    /// Reads and discards what the handler left of the body, up to [`DRAIN_LIMIT`] bytes in
    /// all (`drained` were already); past it, or on any error, the state machine ends up
    /// closing the connection.
    async fn drain_body(&mut self, mut drained: u64) {
        let mut body = Body::incoming(self.io.clone(), self.io.borrow().state.exchange());
        while let Some(chunk) = body.chunk().await {
            match chunk {
                Ok(chunk) => {
                    drained += chunk.len() as u64;
                    if drained > DRAIN_LIMIT {
                        self.io.borrow_mut().state.must_close();
                        return;
                    }
                }
                Err(_) => return,
            }
        }
    }

    /// Answers a protocol error; the caller closes the connection.
    fn write_error(&mut self, error: ProtoError) {
        self.encode_simple(framing_error_response(error));
    }
}

/// The response to a request that broke the framing rules (of its head or its body).
fn framing_error_response(error: ProtoError) -> Response {
    let status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::BAD_REQUEST);
    Response::error(status, error.as_str())
}

#[cfg(test)]
#[path = "conn_tests.rs"]
mod tests;
