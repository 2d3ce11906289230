//! One request stream: read its body, run the handler, send the response.
//!
//! The handler is the same [`Handler`] as over HTTP/1.1 and sees the same [`Request`]
//! (version `HTTP/2`). The request body streams to the handler as it reads it (see
//! `recv_body.rs`: flow-control window goes back to the client as the handler takes bytes;
//! 413 past `max_request_body`, also when `Content-Length` announces more before the
//! handler runs; 408 if a read stalls for `body_timeout`). A handler that panics gets a 500, as over HTTP/1.1. If the client resets the
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

use bytes::Bytes;
use h2::server::SendResponse;
use h2::RecvStream;
use http::header::CONTENT_LENGTH;
use http::{Method, StatusCode};

use super::config::H2Config;
use super::recv_body::RecvBody;
use super::request::to_request;
use super::response::{status_only, to_h2};
use super::send_body::send_body;
use crate::message::{Body, Request, Response};
use crate::server::handler::{CatchUnwind, Handler};

/// What every stream of a connection shares.
pub(super) struct StreamContext<H> {
    pub(super) handler: Arc<H>,
    pub(super) peer: Option<SocketAddr>,
    pub(super) config: H2Config,
}

/// Serves one stream, start to end.
pub(super) async fn serve_stream<H: Handler>(
    request: http::Request<RecvStream>,
    mut respond: SendResponse<Bytes>,
    context: Rc<StreamContext<H>>,
) {
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
        return;
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
    let request = match to_request(head, body, context.peer) {
        Ok(request) => request,
        Err(status) => {
            let _ = respond.send_response(status_only(status), true);
            return;
        }
    };
    let Some(mut response) = run_handler(&*context.handler, request, &mut respond).await else {
        return;
    };
    if let Some(status) = source.and_then(|source| source.failure()) {
        response = Response::error(status, "");
    }
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
