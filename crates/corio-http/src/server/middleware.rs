//! Router middleware: [`Router::layer`](super::Router::layer),
//! [`Router::map_request`](super::Router::map_request) and
//! [`Router::map_response`](super::Router::map_response).
//!
//! A middleware wraps everything the router answers, its routes, mounts, fallbacks and its
//! own `404`/`405`, whichever order routes and middleware were added in. The middleware
//! added last is the outermost: it sees the request first and the response last, as a tower
//! layer stack does. Each is an async function, run on the connection's worker:
//!
//! - `layer(|request, next| ...)`: around the rest; [`Next::run`] calls it (or not:
//!   answering without calling it short-circuits, as an auth check does);
//! - `map_request(|request| ...)`: returns the request to go on with, or a
//!   `Result<Request, E>` whose `Err` answers at once;
//! - `map_response(|response| ...)`: returns what to send instead.
//!
//! For tower middleware (tower-http's layers), wrap the router as a tower service instead:
//! see [`HandlerService`](super::HandlerService).

use std::future::Future;
use std::sync::Arc;

use super::handler::BoxResponseFuture;
use crate::message::{IntoResponse, Request, Response};

/// What is left to run after a middleware: the inner middleware and the router itself.
pub struct Next {
    chain: Arc<Chain>,
    /// How many middleware are still to run (the innermost `index` of the chain).
    index: usize,
}

/// The middleware of a router and its routing, shared by the requests in flight.
pub(crate) struct Chain {
    pub(crate) middleware: Vec<Arc<dyn Middleware>>,
    pub(crate) endpoint: Arc<dyn Fn(Request) -> BoxResponseFuture + Send + Sync>,
}

impl Chain {
    /// Runs the whole chain on `request`.
    pub(crate) fn run(self: &Arc<Self>, request: Request) -> BoxResponseFuture {
        Next {
            chain: self.clone(),
            index: self.middleware.len(),
        }
        .run(request)
    }
}

impl Next {
    /// Runs the rest of the chain and the router on `request`.
    pub fn run(self, request: Request) -> BoxResponseFuture {
        match self.index.checked_sub(1) {
            None => (self.chain.endpoint)(request),
            Some(inner) => {
                let middleware = self.chain.middleware[inner].clone();
                middleware.call(
                    request,
                    Next {
                        chain: self.chain,
                        index: inner,
                    },
                )
            }
        }
    }
}

impl std::fmt::Debug for Next {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Next").field("left", &self.index).finish()
    }
}

/// One middleware, type-erased.
pub(crate) trait Middleware: Send + Sync {
    fn call(&self, request: Request, next: Next) -> BoxResponseFuture;
}

/// `layer`: an async function of the request and [`Next`].
pub(crate) struct Around<F>(pub(crate) F);

impl<F, Fut> Middleware for Around<F>
where
    F: Fn(Request, Next) -> Fut + Send + Sync,
    Fut: Future + 'static,
    Fut::Output: IntoResponse,
{
    fn call(&self, request: Request, next: Next) -> BoxResponseFuture {
        let future = (self.0)(request, next);
        Box::pin(async move { future.await.into_response() })
    }
}

/// What a `map_request` function returns: the request to go on with, or an answer.
pub trait MapRequestOutput {
    /// The request, or the response that ends the exchange.
    fn into_request(self) -> Result<Request, Response>;
}

impl MapRequestOutput for Request {
    fn into_request(self) -> Result<Request, Response> {
        Ok(self)
    }
}

impl<E: IntoResponse> MapRequestOutput for Result<Request, E> {
    fn into_request(self) -> Result<Request, Response> {
        self.map_err(IntoResponse::into_response)
    }
}

/// `map_request`.
pub(crate) struct MapRequest<F>(pub(crate) F);

impl<F, Fut> Middleware for MapRequest<F>
where
    F: Fn(Request) -> Fut + Send + Sync,
    Fut: Future + 'static,
    Fut::Output: MapRequestOutput,
{
    fn call(&self, request: Request, next: Next) -> BoxResponseFuture {
        let future = (self.0)(request);
        Box::pin(async move {
            match future.await.into_request() {
                Ok(request) => next.run(request).await,
                Err(response) => response,
            }
        })
    }
}

/// `map_response` (the function is shared with the requests in flight).
pub(crate) struct MapResponse<F>(pub(crate) Arc<F>);

impl<F, Fut> Middleware for MapResponse<F>
where
    F: Fn(Response) -> Fut + Send + Sync + 'static,
    Fut: Future + 'static,
    Fut::Output: IntoResponse,
{
    fn call(&self, request: Request, next: Next) -> BoxResponseFuture {
        let map = self.0.clone();
        Box::pin(async move { map(next.run(request).await).await.into_response() })
    }
}
