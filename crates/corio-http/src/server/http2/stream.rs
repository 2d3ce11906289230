//! One request stream: read its body, run the handler, send the response.
//!
//! A stream starts inside the connection driver's task, in the pass after the one in which
//! h2 handed it over (see `connection.rs`): the request is built and the handler called and
//! polled once there. Most handlers answer on that first
//! poll, and a body in memory usually fits the window h2 has already granted, so the whole
//! exchange ends without a task of its own (no allocation of a task, no copy of its future,
//! no trip through the loop's ready queue). Only what has to wait becomes a task, counted
//! by `Streams`: a handler still pending (its boxed future moves into the task, which
//! polls it again with its own waker), or a body that waits for window, comes from a file
//! or a stream.
//!
//! The handler's future is polled in a box, as it may have to move into a task once polled
//! (a pinned future cannot move out of the driver's stack). The box is the connection's:
//! a future that answers on its first poll is dropped in place and the box kept for the
//! next stream, so a connection whose handlers answer at once allocates none per request
//! (the HTTP/1.1 driver gets the same by pinning the future in its own state). Only a
//! pending future takes the box into its task; the next stream makes a new one.
//!
//! The handler is the same [`Handler`] as over HTTP/1.1 and sees the same [`Request`]
//! (version `HTTP/2`). The request body streams to the handler as it reads it (see
//! `recv_body.rs`: flow-control window goes back to the client as the handler takes bytes;
//! 413 past `max_request_body`, also when `Content-Length` announces more before the
//! handler runs; 408 if a read stalls for `body_timeout`). A handler that panics gets a
//! 500, as over HTTP/1.1. If the client resets the stream, the handler's future is dropped
//! at once: a reset request costs no more work.
//!
//! Trailers of a request body are not passed on (corio's `Body` has no trailers, over
//! either protocol). h2 removes any pseudo-header fields from a trailer section before
//! corio sees it, so they can never reach a handler; see SECURITY.md.

use std::cell::Cell;
use std::future::{poll_fn, Future};
use std::net::SocketAddr;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use h2::server::SendResponse;
use h2::{RecvStream, SendStream};
use http::header::CONTENT_LENGTH;
use http::{Method, StatusCode};

use super::config::H2Config;
use super::recv_body::RecvBody;
use super::request::to_request;
use super::response::{status_only, to_h2};
use super::send_body::{send_at_once, send_body};
use super::streams::Streams;
use crate::message::{Body, Request, Response, ResponseBody};
use crate::server::handler::{CatchUnwind, Handler};

/// What every stream of a connection shares.
pub(super) struct StreamContext<H: Handler> {
    handler: Arc<H>,
    peer: Option<SocketAddr>,
    pub(super) config: H2Config,
    /// The box the next stream's handler future is polled in, when the last one answered on
    /// its first poll (see the module docs); `None` before the first stream and after a
    /// future took the box into its task.
    spare: Cell<Option<Handling<H>>>,
}

impl<H: Handler> StreamContext<H> {
    pub(super) fn new(handler: Arc<H>, peer: Option<SocketAddr>, config: H2Config) -> Self {
        StreamContext {
            handler,
            peer,
            config,
            spare: Cell::new(None),
        }
    }
}

/// A handler's future, boxed so that it can move into a task after its first poll. `None`
/// between futures: the box is kept empty for the next one.
type Handling<H> = Pin<Box<Option<CatchUnwind<<H as Handler>::Future>>>>;

/// What answering a request needs besides the handler's response.
struct Exchange {
    respond: SendResponse<Bytes>,
    /// The request body, when there is one: a body that failed (413, 408) decides the status.
    source: Option<Rc<RecvBody>>,
    is_head: bool,
}

/// Serves a stream h2 just accepted: runs it to its end here if it can, or spawns on
/// `streams` the part that has to wait. `cx` is the driver's.
pub(super) fn start_stream<H: Handler>(
    request: http::Request<RecvStream>,
    respond: SendResponse<Bytes>,
    context: &Rc<StreamContext<H>>,
    streams: &Rc<Streams>,
    cx: &mut Context<'_>,
) {
    let Some((request, exchange)) = accept(request, respond, context) else {
        return;
    };
    let handler = &context.handler;
    let future = match catch_unwind(AssertUnwindSafe(|| handler.call(request))) {
        Ok(future) => future,
        Err(_) => {
            exchange.answer(panicked(), context, streams);
            return;
        }
    };
    let mut handling = context.spare.take().unwrap_or_else(|| Box::pin(None));
    handling.as_mut().set(Some(CatchUnwind::new(future)));
    match poll_handling(&mut handling, cx) {
        Poll::Ready(result) => {
            handling.as_mut().set(None);
            context.spare.set(Some(handling));
            exchange.answer(result.unwrap_or_else(|()| panicked()), context, streams)
        }
        Poll::Pending => wait_in_task(handling, exchange, context, streams),
    }
}

/// Moves a handler that did not answer on its first poll into a task of its own, which
/// finishes the exchange. Out of line (as every path the driver takes only for some
/// streams): the code of a stream answered at once stays short, fewer cache lines per
/// request.
#[inline(never)]
fn wait_in_task<H: Handler>(
    handling: Handling<H>,
    mut exchange: Exchange,
    context: &Rc<StreamContext<H>>,
    streams: &Rc<Streams>,
) {
    let context = context.clone();
    streams.spawn(async move {
        let Some(response) = run_handler::<H>(handling, &mut exchange.respond).await else {
            return;
        };
        if let Some((send, body)) = exchange.respond_with(response) {
            send_body(send, body, context.config.send_timeout).await;
        }
    });
}

/// Checks the request head and builds the handler's [`Request`]; `None` when the stream was
/// answered already (413 for a declared body over the limit, 400 for a bad target).
fn accept<H: Handler>(
    request: http::Request<RecvStream>,
    mut respond: SendResponse<Bytes>,
    context: &StreamContext<H>,
) -> Option<(Request, Exchange)> {
    let (head, recv) = request.into_parts();
    let is_head = head.method == Method::HEAD;
    let config = &context.config;
    // A request without a body (END_STREAM on its HEADERS) has no `Content-Length` to
    // check: h2 resets such a stream if it announces a non-zero one (RFC 9113 §8.1.1).
    let (body, source) = if recv.is_end_stream() {
        (Body::empty(), None)
    } else {
        let source = match request_body(&head.headers, recv, config) {
            Ok(source) => source,
            Err(_recv) => {
                refuse(&mut respond, StatusCode::PAYLOAD_TOO_LARGE);
                return None;
            }
        };
        (Body::incoming(source.clone(), 0), Some(source))
    };
    match to_request(head, body, context.peer) {
        Ok(request) => Some((
            request,
            Exchange {
                respond,
                source,
                is_head,
            },
        )),
        Err(status) => {
            refuse(&mut respond, status);
            None
        }
    }
}

/// The request body's source, or `recv` back (kept until the 413 is sent) when
/// `Content-Length` announces more than `max_request_body`.
#[inline(never)]
fn request_body(
    headers: &http::HeaderMap,
    recv: RecvStream,
    config: &H2Config,
) -> Result<Rc<RecvBody>, RecvStream> {
    let declared = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > config.max_request_body) {
        return Err(recv);
    }
    Ok(Rc::new(RecvBody::new(
        recv,
        config.max_request_body,
        config.body_timeout,
    )))
}

/// Answers a request refused before its handler ran with `status`, ending the stream.
#[cold]
#[inline(never)]
fn refuse(respond: &mut SendResponse<Bytes>, status: StatusCode) {
    let _ = respond.send_response(status_only(status), true);
}

impl Exchange {
    /// Sends the head of `response` (or of the status a failed request body owes); returns
    /// the stream and the body still to send, if any.
    fn respond_with(mut self, mut response: Response) -> Option<(SendStream<Bytes>, ResponseBody)> {
        if let Some(status) = self.source.and_then(|source| source.failure()) {
            response = failed_body(status);
        }
        let (head, body) = to_h2(response, self.is_head);
        let send = self.respond.send_response(head, body.is_none()).ok()?;
        Some((send, body?))
    }

    /// Answers with `response` from the driver: the body goes at once if h2 grants its
    /// window now, else from a task.
    fn answer<H: Handler>(
        self,
        response: Response,
        context: &StreamContext<H>,
        streams: &Rc<Streams>,
    ) {
        let Some((mut send, body)) = self.respond_with(response) else {
            return;
        };
        if let Some(body) = send_at_once(&mut send, body) {
            send_in_task(send, body, context, streams);
        }
    }
}

/// Sends a body that has to wait (for window, a file, a stream) from a task of its own.
#[inline(never)]
fn send_in_task<H: Handler>(
    send: SendStream<Bytes>,
    body: ResponseBody,
    context: &StreamContext<H>,
    streams: &Rc<Streams>,
) {
    streams.spawn(send_body(send, body, context.config.send_timeout));
}

/// The answer to a request whose body failed (413, 408), in place of the handler's.
#[cold]
#[inline(never)]
fn failed_body(status: StatusCode) -> Response {
    Response::error(status, "")
}

/// The answer to a handler that panicked, as over HTTP/1.1.
#[cold]
#[inline(never)]
fn panicked() -> Response {
    Response::error(StatusCode::INTERNAL_SERVER_ERROR, "")
}

/// Runs the handler until it answers (a panic answers 500) or the client resets the stream
/// (`None`: the handler's future is dropped).
async fn run_handler<H: Handler>(
    mut handling: Handling<H>,
    respond: &mut SendResponse<Bytes>,
) -> Option<Response> {
    poll_fn(|cx| {
        if let Poll::Ready(result) = poll_handling(&mut handling, cx) {
            return Poll::Ready(Some(result.unwrap_or_else(|()| panicked())));
        }
        respond.poll_reset(cx).map(|_| None)
    })
    .await
}

/// Polls the handler's future in `handling`, which holds one.
fn poll_handling<F: Future<Output = Response>>(
    handling: &mut Pin<Box<Option<CatchUnwind<F>>>>,
    cx: &mut Context<'_>,
) -> Poll<Result<Response, ()>> {
    handling
        .as_mut()
        .as_pin_mut()
        .expect("a stream's box holds its handler's future until it answers")
        .poll(cx)
}
