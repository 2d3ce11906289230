//! [`Router`]: dispatch on method and path, with `:name` parameters, mounted handlers,
//! shared state, fallbacks and middleware.
//!
//! Routes are tried in the order they were added; a path that matches a route of another
//! method gets `405` with `Allow`, a path that matches nothing gets `404` (both can be
//! replaced: [`Router::method_not_allowed`], [`Router::fallback`]). A mount hands every
//! request under a prefix (at a segment boundary) to a handler that sees the prefix through
//! [`Request::mount_prefix_len`], as [`StaticFiles`](super::StaticFiles) does.
//!
//! Route handlers are async functions with extractor arguments ([`IntoHandler`]), which
//! includes the plain `async fn(Request) -> Response`. State shared by every handler is given
//! once, to [`Router::with_state`], and reaches handlers through the
//! [`State`](super::State) extractor: the router is generic over its state type `S`, so a
//! handler asking for a state of another type does not compile. Middleware
//! ([`Router::layer`], [`Router::map_request`], [`Router::map_response`]) wraps everything
//! the router answers; see [`middleware`](super::middleware).
//!
//! `CONNECT` asks for a tunnel, which only a handler made for it can give: it goes to a route
//! added for `Method::CONNECT` (its target has no path, so the pattern `/` takes every
//! authority), never to a mount or another method's route; without such a route it gets
//! `501 Not Implemented`.

use std::sync::{Arc, OnceLock};

use http::header::{HeaderValue, ALLOW};
use http::{Method, StatusCode};

use super::handler::{BoxResponseFuture, Handler};
use super::handler_fn::{Erased, ErasedHandler, IntoHandler, PlainHandler};
use super::middleware::{
    Around, Chain, MapRequest, MapRequestOutput, MapResponse, Middleware, Next,
};
use crate::message::{IntoResponse, Request, Response};

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Param(String),
}

struct Route<S> {
    method: Method,
    segments: Vec<Segment>,
    handler: Arc<dyn ErasedHandler<S>>,
}

impl<S> Clone for Route<S> {
    fn clone(&self) -> Self {
        Route {
            method: self.method.clone(),
            segments: self.segments.clone(),
            handler: self.handler.clone(),
        }
    }
}

struct Mount<S> {
    prefix: String,
    handler: Arc<dyn ErasedHandler<S>>,
}

impl<S> Clone for Mount<S> {
    fn clone(&self) -> Self {
        Mount {
            prefix: self.prefix.clone(),
            handler: self.handler.clone(),
        }
    }
}

/// What the router dispatches over; shared with the requests in flight when there is
/// middleware (whose [`Next`] calls back into it).
struct Table<S> {
    routes: Vec<Route<S>>,
    mounts: Vec<Mount<S>>,
    not_found: Option<Arc<dyn ErasedHandler<S>>>,
    not_allowed: Option<Arc<dyn ErasedHandler<S>>>,
    state: S,
}

impl<S: Clone> Clone for Table<S> {
    fn clone(&self) -> Self {
        Table {
            routes: self.routes.clone(),
            mounts: self.mounts.clone(),
            not_found: self.not_found.clone(),
            not_allowed: self.not_allowed.clone(),
            state: self.state.clone(),
        }
    }
}

/// Routes requests to handlers. See the module docs.
///
/// ```
/// use corio_http::{Request, Response, Router};
/// use http::Method;
///
/// let router = Router::new()
///     .route(Method::GET, "/hello/:name", |req: Request| async move {
///         Response::text(format!("hello {}", req.param("name").unwrap_or("?")))
///     });
/// let response = corio::block_on(router.dispatch(Request::builder(Method::GET, "/hello/ada").build()));
/// assert_eq!(response.status(), 200);
/// let missing = corio::block_on(router.dispatch(Request::builder(Method::GET, "/nope").build()));
/// assert_eq!(missing.status(), 404);
/// let wrong = corio::block_on(router.dispatch(Request::builder(Method::POST, "/hello/ada").build()));
/// assert_eq!(wrong.status(), 405);
/// ```
pub struct Router<S = ()> {
    table: Arc<Table<S>>,
    middleware: Vec<Arc<dyn Middleware>>,
    /// The middleware chain around the table, made at the first dispatch (none without
    /// middleware) and dropped by every builder method.
    chain: OnceLock<Arc<Chain>>,
}

impl Default for Router<()> {
    fn default() -> Self {
        Router::with_state(())
    }
}

impl Router<()> {
    /// An empty router without state (everything is 404).
    pub fn new() -> Router<()> {
        Router::default()
    }
}

impl<S: Clone + Send + Sync + 'static> Router<S> {
    /// An empty router whose handlers can take `state` (cloned for each request that asks)
    /// with the [`State`](super::State) extractor.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicU64, Ordering};
    /// use std::sync::Arc;
    /// use corio_http::server::State;
    /// use corio_http::{Request, Router};
    ///
    /// async fn hit(State(hits): State<Arc<AtomicU64>>) -> String {
    ///     (hits.fetch_add(1, Ordering::Relaxed) + 1).to_string()
    /// }
    /// let router = Router::with_state(Arc::new(AtomicU64::new(0))).post("/hit", hit);
    /// let hit = || corio::block_on(router.dispatch(Request::builder(http::Method::POST, "/hit").build()));
    /// hit();
    /// assert_eq!(hit().body().len(), Some(1));
    /// ```
    pub fn with_state(state: S) -> Router<S> {
        Router {
            table: Arc::new(Table {
                routes: Vec::new(),
                mounts: Vec::new(),
                not_found: None,
                not_allowed: None,
                state,
            }),
            middleware: Vec::new(),
            chain: OnceLock::new(),
        }
    }

    /// The table, to change (copied first if requests in flight still hold it).
    fn table_mut(&mut self) -> &mut Table<S> {
        self.chain = OnceLock::new();
        Arc::make_mut(&mut self.table)
    }

    /// Adds a route. `pattern` is a path of `/`-separated segments; a segment `:name` matches
    /// any one non-empty segment and is available as `request.param("name")` and through the
    /// [`Path`](super::Path) extractor. The handler is an async function of extractors
    /// ([`IntoHandler`]).
    pub fn route<T: 'static>(
        mut self,
        method: Method,
        pattern: &str,
        handler: impl IntoHandler<T, S>,
    ) -> Router<S> {
        self.table_mut().routes.push(Route {
            method,
            segments: parse_pattern(pattern),
            handler: Arc::new(Erased::new(handler)),
        });
        self
    }

    /// Adds a route to a plain [`Handler`] value (a struct, a nested router, a
    /// [`TowerHandler`](super::TowerHandler)...).
    pub fn route_service(
        mut self,
        method: Method,
        pattern: &str,
        handler: impl Handler,
    ) -> Router<S> {
        self.table_mut().routes.push(Route {
            method,
            segments: parse_pattern(pattern),
            handler: Arc::new(PlainHandler(handler)),
        });
        self
    }

    /// Adds a `GET` route (which also answers `HEAD`).
    pub fn get<T: 'static>(self, pattern: &str, handler: impl IntoHandler<T, S>) -> Router<S> {
        self.route(Method::GET, pattern, handler)
    }

    /// Adds a `POST` route.
    pub fn post<T: 'static>(self, pattern: &str, handler: impl IntoHandler<T, S>) -> Router<S> {
        self.route(Method::POST, pattern, handler)
    }

    /// Adds a `PUT` route.
    pub fn put<T: 'static>(self, pattern: &str, handler: impl IntoHandler<T, S>) -> Router<S> {
        self.route(Method::PUT, pattern, handler)
    }

    /// Adds a `DELETE` route.
    pub fn delete<T: 'static>(self, pattern: &str, handler: impl IntoHandler<T, S>) -> Router<S> {
        self.route(Method::DELETE, pattern, handler)
    }

    /// Adds a `PATCH` route.
    pub fn patch<T: 'static>(self, pattern: &str, handler: impl IntoHandler<T, S>) -> Router<S> {
        self.route(Method::PATCH, pattern, handler)
    }

    /// Hands every request whose path is `prefix` or starts with `prefix/` to `handler`.
    /// Routes are tried before mounts; among mounts, the longest prefix wins.
    pub fn mount(mut self, prefix: &str, handler: impl Handler) -> Router<S> {
        let prefix = prefix.trim_end_matches('/').to_owned();
        let table = self.table_mut();
        table.mounts.push(Mount {
            prefix,
            handler: Arc::new(PlainHandler(handler)),
        });
        table
            .mounts
            .sort_by_key(|m| std::cmp::Reverse(m.prefix.len()));
        self
    }

    /// Answers the requests that match no route and no mount (instead of a plain `404`);
    /// its response is sent as it is, status included.
    pub fn fallback<T: 'static>(mut self, handler: impl IntoHandler<T, S>) -> Router<S> {
        self.table_mut().not_found = Some(Arc::new(Erased::new(handler)));
        self
    }

    /// Answers the requests whose path matches routes of other methods only (instead of a
    /// plain `405`): its response is sent with status `405` and the `Allow` header the router
    /// computed, whatever status it had, so it only chooses the body and other headers.
    pub fn method_not_allowed<T: 'static>(mut self, handler: impl IntoHandler<T, S>) -> Router<S> {
        self.table_mut().not_allowed = Some(Arc::new(Erased::new(handler)));
        self
    }

    /// Wraps the router in `middleware(request, next)`, an async function that calls
    /// `next.run(request).await` for the router's answer (or answers itself). See
    /// [`middleware`](super::middleware) for the order.
    ///
    /// ```
    /// use corio_http::server::Next;
    /// use corio_http::{Request, Response, Router};
    ///
    /// let router = Router::new()
    ///     .get("/", || async { "hi" })
    ///     .layer(|req: Request, next: Next| async move {
    ///         if req.headers().contains_key("x-key") {
    ///             next.run(req).await
    ///         } else {
    ///             Response::empty(http::StatusCode::UNAUTHORIZED)
    ///         }
    ///     });
    /// let response = corio::block_on(router.dispatch(Request::builder(http::Method::GET, "/").build()));
    /// assert_eq!(response.status(), 401);
    /// ```
    pub fn layer<F, Fut>(self, middleware: F) -> Router<S>
    where
        F: Fn(Request, Next) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future + 'static,
        Fut::Output: IntoResponse,
    {
        self.push(Around(middleware))
    }

    /// Rewrites each request before routing; the function returns the request, or a
    /// `Result<Request, E>` whose `Err` is answered at once.
    pub fn map_request<F, Fut>(self, map: F) -> Router<S>
    where
        F: Fn(Request) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future + 'static,
        Fut::Output: MapRequestOutput,
    {
        self.push(MapRequest(map))
    }

    /// Rewrites each response (the router's own `404`/`405` too).
    pub fn map_response<F, Fut>(self, map: F) -> Router<S>
    where
        F: Fn(Response) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future + 'static,
        Fut::Output: IntoResponse,
    {
        self.push(MapResponse(Arc::new(map)))
    }

    fn push(mut self, middleware: impl Middleware + 'static) -> Router<S> {
        self.chain = OnceLock::new();
        self.middleware.push(Arc::new(middleware));
        self
    }

    /// Routes one request (through the middleware, if any).
    pub fn dispatch(&self, request: Request) -> BoxResponseFuture {
        if self.middleware.is_empty() {
            return self.table.dispatch(request);
        }
        self.chain
            .get_or_init(|| {
                let table = self.table.clone();
                Arc::new(Chain {
                    middleware: self.middleware.clone(),
                    endpoint: Arc::new(move |request| table.dispatch(request)),
                })
            })
            .run(request)
    }
}

impl<S> Table<S> {
    /// Routes one request past the middleware.
    fn dispatch(&self, mut request: Request) -> BoxResponseFuture {
        match self.choose(request.method(), request.path()) {
            Choice::Route(route, params) => {
                request.params = params;
                route.handler.call(request, &self.state)
            }
            Choice::Mount(mount) => {
                request.mount_prefix_len = mount.prefix.len();
                mount.handler.call(request, &self.state)
            }
            Choice::NotAllowed(allow) => {
                let allow =
                    HeaderValue::from_str(&allow).unwrap_or(HeaderValue::from_static("GET"));
                let Some(handler) = &self.not_allowed else {
                    let response = Response::error(StatusCode::METHOD_NOT_ALLOWED, "")
                        .with_header(ALLOW, allow);
                    return Box::pin(std::future::ready(response));
                };
                let answer = handler.call(request, &self.state);
                Box::pin(async move {
                    let mut response = answer.await;
                    response.set_status(StatusCode::METHOD_NOT_ALLOWED);
                    response.headers_mut().insert(ALLOW, allow);
                    response
                })
            }
            Choice::NotFound => match &self.not_found {
                Some(handler) => handler.call(request, &self.state),
                None => Box::pin(std::future::ready(Response::error(
                    StatusCode::NOT_FOUND,
                    "",
                ))),
            },
            Choice::NotImplemented => Box::pin(std::future::ready(Response::error(
                StatusCode::NOT_IMPLEMENTED,
                "",
            ))),
        }
    }

    /// Decides where a request goes, from its method and path (borrowed, not copied).
    fn choose(&self, method: &Method, path: &str) -> Choice<'_, S> {
        if method == Method::CONNECT {
            return self
                .routes
                .iter()
                .filter(|route| route.method == Method::CONNECT)
                .find_map(|route| {
                    match_segments(&route.segments, path).map(|params| Choice::Route(route, params))
                })
                .unwrap_or(Choice::NotImplemented);
        }
        let mut allowed: Vec<&str> = Vec::new();
        for route in &self.routes {
            let Some(params) = match_segments(&route.segments, path) else {
                continue;
            };
            if route.method == method || (route.method == Method::GET && method == Method::HEAD) {
                return Choice::Route(route, params);
            }
            allowed.push(route.method.as_str());
        }
        if !allowed.is_empty() {
            return Choice::NotAllowed(allowed.join(", "));
        }
        self.mounts
            .iter()
            .find(|mount| {
                path.strip_prefix(mount.prefix.as_str())
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
            })
            .map_or(Choice::NotFound, Choice::Mount)
    }
}

/// Where [`Table::choose`] sends a request.
enum Choice<'r, S> {
    Route(&'r Route<S>, Vec<(String, String)>),
    Mount(&'r Mount<S>),
    NotAllowed(String),
    NotFound,
    /// A method no route takes and the router cannot serve itself (`CONNECT`).
    NotImplemented,
}

impl<S: Clone + Send + Sync + 'static> Handler for Router<S> {
    type Future = BoxResponseFuture;

    fn call(&self, request: Request) -> BoxResponseFuture {
        self.dispatch(request)
    }
}

impl<S> std::fmt::Debug for Router<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Router")
            .field("routes", &self.table.routes.len())
            .field("mounts", &self.table.mounts.len())
            .field("middleware", &self.middleware.len())
            .finish()
    }
}

fn parse_pattern(pattern: &str) -> Vec<Segment> {
    pattern
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| match s.strip_prefix(':') {
            Some(name) => Segment::Param(name.to_owned()),
            None => Segment::Literal(s.to_owned()),
        })
        .collect()
}

fn match_segments(pattern: &[Segment], path: &str) -> Option<Vec<(String, String)>> {
    let mut params = Vec::new();
    let mut parts = path.split('/').filter(|s| !s.is_empty());
    for segment in pattern {
        let part = parts.next()?;
        match segment {
            Segment::Literal(literal) if literal == part => {}
            Segment::Literal(_) => return None,
            Segment::Param(name) => {
                let value = percent_encoding::percent_decode_str(part)
                    .decode_utf8()
                    .ok()?;
                params.push((name.clone(), value.into_owned()));
            }
        }
    }
    parts.next().is_none().then_some(params)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_literals_and_params() {
        let pattern = parse_pattern("/users/:id/posts");
        assert_eq!(
            match_segments(&pattern, "/users/7/posts"),
            Some(vec![("id".into(), "7".into())])
        );
        assert_eq!(match_segments(&pattern, "/users/7"), None);
        assert_eq!(match_segments(&pattern, "/users/7/posts/x"), None);
        assert_eq!(
            match_segments(&pattern, "/users/a%20b/posts"),
            Some(vec![("id".into(), "a b".into())])
        );
        assert_eq!(match_segments(&parse_pattern("/"), "/"), Some(vec![]));
    }
}
