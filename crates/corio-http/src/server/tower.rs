//! Interop with tower, both ways.
//!
//! - [`HandlerService`]: any corio [`Handler`] (a [`Router`](super::Router) included) as a
//!   `tower::Service<http::Request<B>>`, so that tower middleware, tower-http's layers among
//!   them, can wrap it. Its responses are `http::Response<ResponseBody>`, and
//!   [`ResponseBody`] is an `http_body::Body`. The request body is read into memory first (up
//!   to [`DEFAULT_BODY_LIMIT`](super::DEFAULT_BODY_LIMIT) unless set otherwise; more is
//!   `413`), since a corio [`Request`] is built around a body it owns.
//! - [`TowerHandler`]: any `tower::Service<http::Request<BufferedBody>>` that answers
//!   `http::Response<B>` for an `http_body::Body` `B` (an axum `Router`, a service wrapped
//!   in tower-http's layers...) as a corio [`Handler`], served by corio's own server. The
//!   request body is read into memory first (same limit), because such services ask for a
//!   `Send` body and a corio body lives on its connection's worker; the response body is
//!   streamed.
//!
//! The two compose: `TowerHandler::new(ServiceBuilder::new().layer(..).service(
//! HandlerService::new(router)))` is a corio router with tower-http's layers, on corio's
//! server.

use std::convert::Infallible;
use std::fmt;
use std::future::{poll_fn, Future};
use std::io;
use std::os::unix::fs::FileExt;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::{Buf, Bytes};
use futures_core::Stream;
use http::StatusCode;
use http_body::{Frame, SizeHint};

use super::extract::DEFAULT_BODY_LIMIT;
use super::handler::{BoxResponseFuture, Handler};
use crate::message::{Body, IntoResponse, Request, Response, ResponseBody};

/// How much of a file body [`ResponseBody`] hands out per frame as an `http_body::Body`.
const FILE_FRAME: u64 = 64 * 1024;

/// A corio [`Handler`] as a tower `Service`. See the module docs.
pub struct HandlerService<H> {
    handler: Arc<H>,
    body_limit: usize,
}

impl<H> HandlerService<H> {
    /// Wraps `handler`.
    pub fn new(handler: H) -> HandlerService<H> {
        HandlerService {
            handler: Arc::new(handler),
            body_limit: DEFAULT_BODY_LIMIT,
        }
    }

    /// The largest request body read (more is answered `413`).
    pub fn body_limit(mut self, limit: usize) -> HandlerService<H> {
        self.body_limit = limit;
        self
    }
}

impl<H> Clone for HandlerService<H> {
    fn clone(&self) -> Self {
        HandlerService {
            handler: self.handler.clone(),
            body_limit: self.body_limit,
        }
    }
}

impl<H> fmt::Debug for HandlerService<H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HandlerService")
            .field("body_limit", &self.body_limit)
            .finish()
    }
}

impl<H, B> tower::Service<http::Request<B>> for HandlerService<H>
where
    H: Handler,
    B: http_body::Body + 'static,
    B::Error: fmt::Display,
{
    type Response = http::Response<ResponseBody>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>>>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let (handler, limit) = (self.handler.clone(), self.body_limit);
        Box::pin(async move {
            let (parts, body) = request.into_parts();
            let response = match collect(body, limit).await {
                Ok(bytes) => {
                    let request = http::Request::from_parts(parts, Body::from_bytes(bytes));
                    match Request::from_http(request) {
                        Ok(request) => handler.call(request).await,
                        Err(e) => Response::error(StatusCode::BAD_REQUEST, e.as_str()),
                    }
                }
                Err(response) => response,
            };
            Ok(response.into_http())
        })
    }
}

/// Reads a whole `http_body::Body`, refusing more than `limit` bytes.
async fn collect<B>(body: B, limit: usize) -> Result<Bytes, Response>
where
    B: http_body::Body,
    B::Error: fmt::Display,
{
    let mut body = std::pin::pin!(body);
    let mut out = bytes::BytesMut::new();
    while let Some(frame) = poll_fn(|cx| body.as_mut().poll_frame(cx)).await {
        let frame = frame.map_err(|e| {
            Response::error(StatusCode::BAD_REQUEST, &format!("reading the body: {e}"))
        })?;
        if let Ok(mut data) = frame.into_data() {
            if out.len() + data.remaining() > limit {
                return Err(Response::error(StatusCode::PAYLOAD_TOO_LARGE, ""));
            }
            while data.has_remaining() {
                let chunk = data.chunk();
                out.extend_from_slice(chunk);
                let n = chunk.len();
                data.advance(n);
            }
        }
    }
    Ok(out.freeze())
}

/// A response body as an `http_body::Body`: bytes in one frame, a stream frame by frame, a
/// file range read in frames of 64 KiB.
impl http_body::Body for ResponseBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        let this = self.get_mut();
        match this {
            ResponseBody::Empty => Poll::Ready(None),
            ResponseBody::Bytes(bytes) => {
                let bytes = std::mem::take(bytes);
                *this = ResponseBody::Empty;
                Poll::Ready((!bytes.is_empty()).then(|| Ok(Frame::data(bytes))))
            }
            ResponseBody::Stream(stream) => stream
                .as_mut()
                .poll_next(cx)
                .map(|item| item.map(|piece| piece.map(Frame::data))),
            ResponseBody::File {
                file, offset, len, ..
            } => {
                if *len == 0 {
                    *this = ResponseBody::Empty;
                    return Poll::Ready(None);
                }
                let mut buf = vec![0; FILE_FRAME.min(*len) as usize];
                let n = match file.read_at(&mut buf, *offset) {
                    Ok(0) => return Poll::Ready(Some(Err(io::ErrorKind::UnexpectedEof.into()))),
                    Ok(n) => n,
                    Err(e) => return Poll::Ready(Some(Err(e))),
                };
                buf.truncate(n);
                *offset += n as u64;
                *len -= n as u64;
                Poll::Ready(Some(Ok(Frame::data(Bytes::from(buf)))))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.is_empty()
    }

    fn size_hint(&self) -> SizeHint {
        self.len()
            .map_or_else(SizeHint::default, SizeHint::with_exact)
    }
}

/// A request body already in memory and `Send`, as [`TowerHandler`] hands it to the service.
#[derive(Debug, Default)]
pub struct BufferedBody(Option<Bytes>);

impl BufferedBody {
    /// A body of `bytes`.
    pub fn new(bytes: Bytes) -> BufferedBody {
        BufferedBody((!bytes.is_empty()).then_some(bytes))
    }
}

impl http_body::Body for BufferedBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        Poll::Ready(self.get_mut().0.take().map(|b| Ok(Frame::data(b))))
    }

    fn is_end_stream(&self) -> bool {
        self.0.is_none()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.0.as_ref().map_or(0, |b| b.len() as u64))
    }
}

/// A tower `Service` as a corio [`Handler`]. See the module docs.
#[derive(Clone)]
pub struct TowerHandler<T> {
    service: T,
    body_limit: usize,
}

impl<T> TowerHandler<T> {
    /// Wraps `service`; it is cloned for each request, as tower services expect.
    pub fn new(service: T) -> TowerHandler<T> {
        TowerHandler {
            service,
            body_limit: DEFAULT_BODY_LIMIT,
        }
    }

    /// The largest request body read (more is answered `413`).
    pub fn body_limit(mut self, limit: usize) -> TowerHandler<T> {
        self.body_limit = limit;
        self
    }
}

impl<T> fmt::Debug for TowerHandler<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TowerHandler")
            .field("body_limit", &self.body_limit)
            .finish()
    }
}

impl<T, B> Handler for TowerHandler<T>
where
    T: tower::Service<http::Request<BufferedBody>, Response = http::Response<B>>
        + Clone
        + Send
        + Sync
        + 'static,
    T::Future: 'static,
    T::Error: fmt::Display,
    B: http_body::Body + 'static,
    B::Error: fmt::Display,
{
    type Future = BoxResponseFuture;

    fn call(&self, mut request: Request) -> BoxResponseFuture {
        let mut service = self.service.clone();
        let limit = self.body_limit;
        Box::pin(async move {
            let bytes = match request.body_mut().to_bytes(limit).await {
                Ok(bytes) => bytes,
                Err(e) => return e.into_response(),
            };
            let request = request.into_http().map(|_| BufferedBody::new(bytes));
            let answer = match poll_fn(|cx| service.poll_ready(cx)).await {
                Ok(()) => service.call(request).await,
                Err(e) => Err(e),
            };
            match answer {
                Ok(response) => Response::from(response.map(|body| {
                    if body.size_hint().exact() == Some(0) {
                        ResponseBody::Empty
                    } else {
                        ResponseBody::Stream(Box::pin(FrameStream(Box::pin(body))))
                    }
                })),
                Err(e) => Response::error(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
            }
        })
    }
}

/// An `http_body::Body`'s data frames as a response stream (trailers are dropped).
struct FrameStream<B>(Pin<Box<B>>);

impl<B> Stream for FrameStream<B>
where
    B: http_body::Body,
    B::Error: fmt::Display,
{
    type Item = io::Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        loop {
            let frame = match self.0.as_mut().poll_frame(cx) {
                Poll::Ready(Some(Ok(frame))) => frame,
                Poll::Ready(Some(Err(e))) => {
                    return Poll::Ready(Some(Err(io::Error::other(e.to_string()))))
                }
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Pending => return Poll::Pending,
            };
            if let Ok(mut data) = frame.into_data() {
                let n = data.remaining();
                if n > 0 {
                    return Poll::Ready(Some(Ok(data.copy_to_bytes(n))));
                }
            }
        }
    }
}
