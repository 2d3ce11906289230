//! [`Router`]: dispatch on method and path, with `:name` parameters and mounted handlers.
//!
//! Routes are tried in the order they were added; a path that matches a route of another
//! method gets `405` with `Allow`, a path that matches nothing gets `404`. A mount hands every
//! request under a prefix (at a segment boundary) to a handler that sees the prefix through
//! [`Request::mount_prefix_len`], as [`StaticFiles`](super::StaticFiles) does.
//!
//! `CONNECT` asks for a tunnel, which only a handler made for it can give: it goes to a route
//! added for `Method::CONNECT` (its target has no path, so the pattern `/` takes every
//! authority), never to a mount or another method's route; without such a route it gets
//! `501 Not Implemented`.

use std::sync::Arc;

use http::header::{HeaderValue, ALLOW};
use http::{Method, StatusCode};

use super::handler::{BoxResponseFuture, Handler};
use crate::message::{Request, Response};

/// A type-erased handler.
trait ErasedHandler: Send + Sync {
    fn call_boxed(&self, request: Request) -> BoxResponseFuture;
}

impl<H: Handler> ErasedHandler for H {
    fn call_boxed(&self, request: Request) -> BoxResponseFuture {
        Box::pin(self.call(request))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Param(String),
}

struct Route {
    method: Method,
    segments: Vec<Segment>,
    handler: Arc<dyn ErasedHandler>,
}

struct Mount {
    prefix: String,
    handler: Arc<dyn ErasedHandler>,
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
#[derive(Default)]
pub struct Router {
    routes: Vec<Route>,
    mounts: Vec<Mount>,
}

impl Router {
    /// An empty router (everything is 404).
    pub fn new() -> Router {
        Router::default()
    }

    /// Adds a route. `pattern` is a path of `/`-separated segments; a segment `:name` matches
    /// any one non-empty segment and is available as `request.param("name")`.
    pub fn route(mut self, method: Method, pattern: &str, handler: impl Handler) -> Router {
        self.routes.push(Route {
            method,
            segments: parse_pattern(pattern),
            handler: Arc::new(handler),
        });
        self
    }

    /// Adds a `GET` route (which also answers `HEAD`).
    pub fn get(self, pattern: &str, handler: impl Handler) -> Router {
        self.route(Method::GET, pattern, handler)
    }

    /// Adds a `POST` route.
    pub fn post(self, pattern: &str, handler: impl Handler) -> Router {
        self.route(Method::POST, pattern, handler)
    }

    /// Hands every request whose path is `prefix` or starts with `prefix/` to `handler`.
    /// Routes are tried before mounts; among mounts, the longest prefix wins.
    pub fn mount(mut self, prefix: &str, handler: impl Handler) -> Router {
        let prefix = prefix.trim_end_matches('/').to_owned();
        self.mounts.push(Mount {
            prefix,
            handler: Arc::new(handler),
        });
        self.mounts
            .sort_by_key(|m| std::cmp::Reverse(m.prefix.len()));
        self
    }

    /// Routes one request.
    pub fn dispatch(&self, mut request: Request) -> BoxResponseFuture {
        match self.choose(request.method(), request.path()) {
            Choice::Route(route, params) => {
                request.params = params;
                route.handler.call_boxed(request)
            }
            Choice::Mount(mount) => {
                request.mount_prefix_len = mount.prefix.len();
                mount.handler.call_boxed(request)
            }
            Choice::NotAllowed(allow) => {
                let response = Response::error(StatusCode::METHOD_NOT_ALLOWED, "").with_header(
                    ALLOW,
                    HeaderValue::from_str(&allow).unwrap_or(HeaderValue::from_static("GET")),
                );
                Box::pin(std::future::ready(response))
            }
            Choice::NotFound => Box::pin(std::future::ready(Response::error(
                StatusCode::NOT_FOUND,
                "",
            ))),
            Choice::NotImplemented => Box::pin(std::future::ready(Response::error(
                StatusCode::NOT_IMPLEMENTED,
                "",
            ))),
        }
    }

    /// Decides where a request goes, from its method and path (borrowed, not copied).
    fn choose(&self, method: &Method, path: &str) -> Choice<'_> {
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

/// Where [`Router::choose`] sends a request.
enum Choice<'r> {
    Route(&'r Route, Vec<(String, String)>),
    Mount(&'r Mount),
    NotAllowed(String),
    NotFound,
    /// A method no route takes and the router cannot serve itself (`CONNECT`).
    NotImplemented,
}

impl Handler for Router {
    type Future = BoxResponseFuture;

    fn call(&self, request: Request) -> BoxResponseFuture {
        self.dispatch(request)
    }
}

impl std::fmt::Debug for Router {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Router")
            .field("routes", &self.routes.len())
            .field("mounts", &self.mounts.len())
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
