//! [`IntoResponse`]: what a handler may return besides a [`Response`].
//!
//! A handler registered on a [`Router`](crate::Router) returns anything that implements it:
//! a [`Response`], a [`StatusCode`] (an empty response), `&'static str` and [`String`]
//! (`text/plain`), [`Bytes`] and `Vec<u8>` (`application/octet-stream`), `()` (an empty
//! `200`), [`Json`](crate::server::Json), `(StatusCode, R)` to set another status on any of
//! those, and `Result<R, E>` where both sides do, so that `?` works in handlers. Errors such
//! as [`BodyError`] and the extractors' rejections answer with their status and a plain-text
//! reason.

use std::convert::Infallible;

use bytes::Bytes;
use http::header::HeaderValue;
use http::StatusCode;

use super::body::{BodyError, ResponseBody};
use super::response::Response;

/// Turns a handler's output into a [`Response`]. See the module docs.
///
/// ```
/// use corio_http::message::IntoResponse;
/// use http::StatusCode;
///
/// let created = (StatusCode::CREATED, "made").into_response();
/// assert_eq!(created.status(), StatusCode::CREATED);
/// let failed: Result<&str, StatusCode> = Err(StatusCode::NOT_FOUND);
/// assert_eq!(failed.into_response().status(), StatusCode::NOT_FOUND);
/// ```
pub trait IntoResponse {
    /// The response.
    fn into_response(self) -> Response;
}

impl IntoResponse for Response {
    fn into_response(self) -> Response {
        self
    }
}

impl IntoResponse for StatusCode {
    fn into_response(self) -> Response {
        Response::empty(self)
    }
}

impl IntoResponse for () {
    fn into_response(self) -> Response {
        Response::empty(StatusCode::OK)
    }
}

impl IntoResponse for &'static str {
    fn into_response(self) -> Response {
        Response::text(self)
    }
}

impl IntoResponse for String {
    fn into_response(self) -> Response {
        Response::text(self)
    }
}

impl IntoResponse for Bytes {
    fn into_response(self) -> Response {
        Response::new(StatusCode::OK, self)
            .with_content_type(HeaderValue::from_static("application/octet-stream"))
    }
}

impl IntoResponse for Vec<u8> {
    fn into_response(self) -> Response {
        Bytes::from(self).into_response()
    }
}

impl<B: Into<ResponseBody>> IntoResponse for http::Response<B> {
    fn into_response(self) -> Response {
        Response::from(self)
    }
}

impl<R: IntoResponse> IntoResponse for (StatusCode, R) {
    fn into_response(self) -> Response {
        let mut response = self.1.into_response();
        response.set_status(self.0);
        response
    }
}

impl<T: IntoResponse, E: IntoResponse> IntoResponse for Result<T, E> {
    fn into_response(self) -> Response {
        match self {
            Ok(ok) => ok.into_response(),
            Err(err) => err.into_response(),
        }
    }
}

impl IntoResponse for Infallible {
    fn into_response(self) -> Response {
        match self {}
    }
}

/// The body error's status ([`BodyError::status`]: `413` too large, `408` too slow, `400`
/// malformed) with its message.
impl IntoResponse for BodyError {
    fn into_response(self) -> Response {
        Response::error(self.status(), &self.to_string())
    }
}
