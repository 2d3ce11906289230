//! Extractors: typed pieces of a request as handler arguments.
//!
//! A handler on a [`Router`](super::Router) is an async function whose arguments implement
//! [`FromRequestParts`] (taken from the head: [`State`], [`Path`], [`Query`], [`Method`]),
//! except the last, which may instead consume the request ([`FromRequest`]: the whole
//! [`Request`], [`Json`](super::Json), [`Bytes`], [`String`]). When an extractor fails, its
//! rejection is the response and the handler does not run: a [`Path`] or [`Query`] that does
//! not parse is `400`, a body too large `413`, and so on (see [`Rejection`]).
//!
//! ```
//! use corio_http::server::{Path, Query, State};
//! use corio_http::{Request, Router};
//!
//! #[derive(serde::Deserialize)]
//! struct Page { offset: usize }
//!
//! async fn item(State(prefix): State<String>, Path(id): Path<u32>, Query(page): Query<Page>) -> String {
//!     format!("{prefix}{id} from {}", page.offset)
//! }
//! let router = Router::with_state("item ".to_owned()).get("/items/:id", item);
//! let request = Request::builder(http::Method::GET, "/items/7?offset=2").build();
//! let response = corio::block_on(router.dispatch(request));
//! assert_eq!(response.status(), 200);
//! ```

use std::convert::Infallible;
use std::fmt;
use std::future::{ready, Future, Ready};
use std::pin::Pin;

use bytes::Bytes;
use http::{Method, StatusCode};
use serde::de::DeserializeOwned;

use super::path_params::{from_params, PathError};
use crate::message::{BodyError, IntoResponse, Request, Response};

/// The largest body [`Json`](super::Json), [`Bytes`] and [`String`] read: a bigger one is
/// answered `413`. 2 MiB, as axum's default: API documents are far smaller, and a handler
/// that wants more reads [`Request::body_mut`] itself. The server's own body limit
/// ([`ServerConfig`](super::ServerConfig)) applies as well.
pub const DEFAULT_BODY_LIMIT: usize = 2 * 1024 * 1024;

/// Something a handler argument can be made from without consuming the request.
pub trait FromRequestParts<S>: Sized {
    /// The response when extraction fails.
    type Rejection: IntoResponse + 'static;
    /// Extracts from the request's head and the router's state.
    fn from_request_parts(request: &Request, state: &S) -> Result<Self, Self::Rejection>;
}

/// Something the last handler argument can be made from, consuming the request (its body).
/// `M` tells apart the ways of implementing it; every [`FromRequestParts`] type is one.
pub trait FromRequest<S, M = ViaBody>: Sized {
    /// The response when extraction fails.
    type Rejection: IntoResponse;
    /// The extraction's future (run on the connection's worker).
    type Future: Future<Output = Result<Self, Self::Rejection>> + 'static;
    /// Starts extracting from the request.
    fn from_request(request: Request, state: &S) -> Self::Future;
}

/// Marks a [`FromRequest`] made from a [`FromRequestParts`].
#[derive(Debug)]
pub enum ViaParts {}

/// Marks a [`FromRequest`] that reads the body.
#[derive(Debug)]
pub enum ViaBody {}

/// Marks the whole [`Request`] as the last argument.
#[derive(Debug)]
pub enum ViaRequest {}

impl<S, T: FromRequestParts<S> + 'static> FromRequest<S, ViaParts> for T {
    type Rejection = T::Rejection;
    type Future = Ready<Result<T, T::Rejection>>;

    fn from_request(request: Request, state: &S) -> Self::Future {
        ready(T::from_request_parts(&request, state))
    }
}

impl<S> FromRequest<S, ViaRequest> for Request {
    type Rejection = Infallible;
    type Future = Ready<Result<Request, Infallible>>;

    fn from_request(request: Request, _state: &S) -> Self::Future {
        ready(Ok(request))
    }
}

/// Why an extractor refused a request; answered with [`Rejection::status`] and the reason
/// as plain text.
#[derive(Debug)]
pub enum Rejection {
    /// The path parameters did not fit the type (`400`).
    Path(PathError),
    /// The query string did not fit the type (`400`).
    Query(serde_urlencoded::de::Error),
    /// The body could not be read: too large (`413`), too slow (`408`), malformed (`400`).
    Body(BodyError),
    /// The body is not UTF-8 where text was asked for (`400`).
    NotUtf8,
    /// The body is not JSON by its `Content-Type` (`415`).
    NotJson,
    /// The body is not valid JSON for the type (`400`).
    Json(serde_json::Error),
}

impl Rejection {
    /// The status the rejection answers with.
    pub fn status(&self) -> StatusCode {
        match self {
            Rejection::Body(e) => e.status(),
            Rejection::NotJson => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Rejection::Path(_) | Rejection::Query(_) | Rejection::NotUtf8 | Rejection::Json(_) => {
                StatusCode::BAD_REQUEST
            }
        }
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rejection::Path(e) => write!(f, "invalid path: {e}"),
            Rejection::Query(e) => write!(f, "invalid query string: {e}"),
            Rejection::Body(e) => write!(f, "{e}"),
            Rejection::NotUtf8 => f.write_str("the body is not UTF-8"),
            Rejection::NotJson => f.write_str("expected Content-Type: application/json"),
            Rejection::Json(e) => write!(f, "invalid JSON: {e}"),
        }
    }
}

impl std::error::Error for Rejection {}

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        Response::error(self.status(), &self.to_string())
    }
}

/// The router's shared state, a clone of what [`Router::with_state`](super::Router::with_state)
/// was given (wrap it in an `Arc` if cloning it costs). The state is shared by every worker,
/// so it is `Send + Sync`: use `std::sync` or `corio::sync` types inside.
#[derive(Debug, Clone, Copy, Default)]
pub struct State<S>(pub S);

impl<S: Clone> FromRequestParts<S> for State<S> {
    type Rejection = Infallible;

    fn from_request_parts(_request: &Request, state: &S) -> Result<Self, Infallible> {
        Ok(State(state.clone()))
    }
}

/// The route's `:name` parameters, percent-decoded and parsed with serde: `Path<u64>` for
/// one, `Path<(String, u32)>` in pattern order, or a struct with the parameters' names.
/// A mismatch is `400`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Path<T>(pub T);

impl<S, T: DeserializeOwned> FromRequestParts<S> for Path<T> {
    type Rejection = Rejection;

    fn from_request_parts(request: &Request, _state: &S) -> Result<Self, Rejection> {
        from_params(&request.params)
            .map(Path)
            .map_err(Rejection::Path)
    }
}

/// The query string parsed with serde (`application/x-www-form-urlencoded` rules, through
/// `serde_urlencoded`); no query is an empty one. A mismatch is `400`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Query<T>(pub T);

impl<S, T: DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = Rejection;

    fn from_request_parts(request: &Request, _state: &S) -> Result<Self, Rejection> {
        serde_urlencoded::from_str(request.query().unwrap_or(""))
            .map(Query)
            .map_err(Rejection::Query)
    }
}

impl<S> FromRequestParts<S> for Method {
    type Rejection = Infallible;

    fn from_request_parts(request: &Request, _state: &S) -> Result<Self, Infallible> {
        Ok(request.method().clone())
    }
}

/// A boxed extraction future, for extractors that read the body.
pub type ExtractFuture<T> = Pin<Box<dyn Future<Output = Result<T, Rejection>>>>;

/// Reads the whole body, up to `limit` bytes.
pub(crate) async fn read_body(mut request: Request, limit: usize) -> Result<Bytes, Rejection> {
    request
        .body_mut()
        .to_bytes(limit)
        .await
        .map_err(Rejection::Body)
}

/// The whole body, up to [`DEFAULT_BODY_LIMIT`].
impl<S> FromRequest<S, ViaBody> for Bytes {
    type Rejection = Rejection;
    type Future = ExtractFuture<Bytes>;

    fn from_request(request: Request, _state: &S) -> Self::Future {
        Box::pin(read_body(request, DEFAULT_BODY_LIMIT))
    }
}

/// The whole body as UTF-8 text, up to [`DEFAULT_BODY_LIMIT`].
impl<S> FromRequest<S, ViaBody> for String {
    type Rejection = Rejection;
    type Future = ExtractFuture<String>;

    fn from_request(request: Request, _state: &S) -> Self::Future {
        Box::pin(async move {
            let bytes = read_body(request, DEFAULT_BODY_LIMIT).await?;
            String::from_utf8(bytes.into()).map_err(|_| Rejection::NotUtf8)
        })
    }
}
