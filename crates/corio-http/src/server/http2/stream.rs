//! One request stream: read its body, run the handler, send the response.
//!
//! A stream starts inside the connection driver's poll, as h2 hands it over: the request is
//! built and the handler called and polled once there. Most handlers answer on that first
//! poll, and a body in memory usually fits the window h2 has already granted, so the whole
//! exchange ends without a task of its own (no allocation of a task, no copy of its future,
//! no trip through the loop's ready queue). Only what has to wait becomes a task, counted
//! by `Streams`: a handler still pending (its boxed future moves into the task, which
//! polls it again with its own waker), or a body that waits for window, comes from a file
//! or a stream.
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
pub(super) struct StreamContext<H> {
    pub(super) handler: Arc<H>,
    pub(super) peer: Option<SocketAddr>,
    pub(super) config: H2Config,
}

/// A handler's future, boxed so that it can move into a task after its first poll.
type Handling<H> = Pin<Box<CatchUnwind<<H as Handler>::Future>>>;

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
    let mut handling: Handling<H> = match catch_unwind(AssertUnwindSafe(|| handler.call(request))) {
        Ok(future) => Box::pin(CatchUnwind::new(future)),
        Err(_) => {
            exchange.answer(panicked(), context, streams);
            return;
        }
    };
    match handling.as_mut().poll(cx) {
        Poll::Ready(result) => {
            exchange.answer(result.unwrap_or_else(|()| panicked()), context, streams)
        }
        Poll::Pending => {
            let context = context.clone();
            streams.spawn(async move {
                let mut exchange = exchange;
                let Some(response) = run_handler::<H>(handling, &mut exchange.respond).await else {
                    return;
                };
                if let Some((send, body)) = exchange.respond_with(response) {
                    send_body(send, body, context.config.send_timeout).await;
                }
            });
        }
    }
}

/// Checks the request head and builds the handler's [`Request`]; `None` when the stream was
/// answered already (413 for a declared body over the limit, 400 for a bad target).
fn accept<H>(
    request: http::Request<RecvStream>,
    mut respond: SendResponse<Bytes>,
    context: &StreamContext<H>,
) -> Option<(Request, Exchange)> {
    let (head, recv) = request.into_parts();
    let is_head = head.method == Method::HEAD;
    let config = &context.config;
    let declared = head
        .headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > config.max_request_body) {
        let _ = respond.send_response(status_only(StatusCode::PAYLOAD_TOO_LARGE), true);
        return None;
    }
    let (body, source) = if recv.is_end_stream() {
        (Body::empty(), None)
    } else {
        let source = Rc::new(RecvBody::new(
            recv,
            config.max_request_body,
            config.body_timeout,
        ));
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
            let _ = respond.send_response(status_only(status), true);
            None
        }
    }
}

impl Exchange {
    /// Sends the head of `response` (or of the status a failed request body owes); returns
    /// the stream and the body still to send, if any.
    fn respond_with(mut self, mut response: Response) -> Option<(SendStream<Bytes>, ResponseBody)> {
        if let Some(status) = self.source.and_then(|source| source.failure()) {
            response = Response::error(status, "");
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
            streams.spawn(send_body(send, body, context.config.send_timeout));
        }
    }
}

/// The answer to a handler that panicked, as over HTTP/1.1.
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
        if let Poll::Ready(result) = handling.as_mut().poll(cx) {
            return Poll::Ready(Some(result.unwrap_or_else(|()| panicked())));
        }
        respond.poll_reset(cx).map(|_| None)
    })
    .await
}
