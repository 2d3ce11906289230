//! One request stream: read its body, run the handler, send the response.
//!
//! The handler is the same [`Handler`] as over HTTP/1.1 and sees the same [`Request`]
//! (version `HTTP/2`). The request body is read whole first (up to `max_request_body`,
//! 413 beyond; 408 if it stalls for `body_timeout`), returning flow-control window as it
//! arrives. A handler that panics gets a 500, as over HTTP/1.1. If the client resets the
//! stream, the handler's future is dropped at once: a reset request costs no more work.
//!
//! Trailers of a request body are not passed on (corio's `Body` has no trailers, over
//! either protocol). h2 removes any pseudo-header fields from a trailer section before
//! corio sees it, so they can never reach a handler; see SECURITY.md.

use std::future::{poll_fn, Future};
use std::net::SocketAddr;
use std::pin::pin;
use std::rc::Rc;
use std::sync::Arc;
use std::task::Poll;
use std::time::Instant;

use bytes::{Bytes, BytesMut};
use corio::time::Deadline;
use h2::server::SendResponse;
use h2::RecvStream;
use http::header::CONTENT_LENGTH;
use http::{Method, StatusCode};

use super::config::H2Config;
use super::request::to_request;
use super::response::{status_only, to_h2};
use super::send_body::send_body;
use crate::message::{Request, Response};
use crate::server::handler::{CatchUnwind, Handler};

/// What every stream of a connection shares.
pub(super) struct StreamContext<H> {
    pub(super) handler: Arc<H>,
    pub(super) peer: Option<SocketAddr>,
    pub(super) config: H2Config,
}

/// Why a request body was not read to its end.
enum BodyFailure {
    /// Answer with this status.
    Answer(StatusCode),
    /// The client reset the stream or the connection went away: nothing to answer.
    Gone,
}

/// Serves one stream, start to end.
pub(super) async fn serve_stream<H: Handler>(
    request: http::Request<RecvStream>,
    mut respond: SendResponse<Bytes>,
    context: Rc<StreamContext<H>>,
) {
    let (head, mut recv) = request.into_parts();
    let is_head = head.method == Method::HEAD;
    let body = if recv.is_end_stream() {
        Bytes::new()
    } else {
        match read_body(&head, &mut recv, &mut respond, &context.config).await {
            Ok(body) => body,
            Err(BodyFailure::Answer(status)) => {
                let _ = respond.send_response(status_only(status), true);
                return;
            }
            Err(BodyFailure::Gone) => return,
        }
    };
    let request = match to_request(head, body, context.peer) {
        Ok(request) => request,
        Err(status) => {
            let _ = respond.send_response(status_only(status), true);
            return;
        }
    };
    let Some(response) = run_handler(&*context.handler, request, &mut respond).await else {
        return;
    };
    let (head, body) = to_h2(response, is_head);
    let Ok(mut send) = respond.send_response(head, body.is_none()) else {
        return;
    };
    if let Some(body) = body {
        send_body(&mut send, body, context.config.send_timeout).await;
    }
}

/// Runs the handler until it answers (a panic answers 500) or the client resets the stream
/// (`None`: the handler's future is dropped).
async fn run_handler<H: Handler>(
    handler: &H,
    request: Request,
    respond: &mut SendResponse<Bytes>,
) -> Option<Response> {
    let mut future = pin!(CatchUnwind::new(handler.call(request)));
    poll_fn(|cx| {
        if let Poll::Ready(result) = future.as_mut().poll(cx) {
            return Poll::Ready(Some(result.unwrap_or_else(|()| {
                Response::error(StatusCode::INTERNAL_SERVER_ERROR, "")
            })));
        }
        respond.poll_reset(cx).map(|_| None)
    })
    .await
}

/// Reads the whole request body, releasing window as it goes.
async fn read_body(
    head: &http::request::Parts,
    recv: &mut RecvStream,
    respond: &mut SendResponse<Bytes>,
    config: &H2Config,
) -> Result<Bytes, BodyFailure> {
    let limit = config.max_request_body;
    let declared = head
        .headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > limit) {
        return Err(BodyFailure::Answer(StatusCode::PAYLOAD_TOO_LARGE));
    }
    let mut body = BytesMut::new();
    let mut deadline = Deadline::new();
    loop {
        deadline.set(Some(Instant::now() + config.body_timeout));
        let next = poll_fn(|cx| {
            if let Poll::Ready(data) = recv.poll_data(cx) {
                return Poll::Ready(Ok(data));
            }
            if respond.poll_reset(cx).is_ready() {
                return Poll::Ready(Err(BodyFailure::Gone));
            }
            deadline
                .poll(cx)
                .map(|()| Err(BodyFailure::Answer(StatusCode::REQUEST_TIMEOUT)))
        })
        .await?;
        match next {
            None => return Ok(body.freeze()),
            Some(Ok(data)) => {
                let _ = recv.flow_control().release_capacity(data.len());
                if (body.len() + data.len()) as u64 > limit {
                    return Err(BodyFailure::Answer(StatusCode::PAYLOAD_TOO_LARGE));
                }
                body.extend_from_slice(&data);
            }
            Some(Err(_)) => return Err(BodyFailure::Gone),
        }
    }
}
