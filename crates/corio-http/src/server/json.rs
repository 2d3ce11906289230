//! [`Json<T>`]: a JSON body in (an extractor) and out (a response), with serde.
//!
//! In: the request must say `Content-Type: application/json` (or `application/<x>+json`),
//! else `415`; the body is read up to [`DEFAULT_BODY_LIMIT`](super::DEFAULT_BODY_LIMIT)
//! (more is `413`, and [`Json::from_request_with_limit`] sets another limit); a body that is
//! not JSON, or not JSON of the type, is `400` with serde's reason. Out: `200` with
//! `Content-Type: application/json`; a value that cannot be serialized (a map with non-string
//! keys...) is `500`.

use bytes::Bytes;
use http::header::{HeaderValue, CONTENT_TYPE};
use http::StatusCode;
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::extract::{read_body, ExtractFuture, FromRequest, Rejection, ViaBody};
use super::DEFAULT_BODY_LIMIT;
use crate::message::{IntoResponse, Request, Response};

/// A JSON request or response body. See the module docs.
///
/// ```
/// use corio_http::server::Json;
/// use corio_http::{Request, Router};
/// use http::StatusCode;
///
/// #[derive(serde::Deserialize, serde::Serialize)]
/// struct Point { x: i32, y: i32 }
///
/// async fn mirror(Json(p): Json<Point>) -> (StatusCode, Json<Point>) {
///     (StatusCode::CREATED, Json(Point { x: p.y, y: p.x }))
/// }
/// let router = Router::new().post("/mirror", mirror);
/// let request = Request::builder(http::Method::POST, "/mirror")
///     .header("content-type", "application/json")
///     .body(r#"{"x":1,"y":2}"#)
///     .build();
/// let response = corio::block_on(router.dispatch(request));
/// assert_eq!(response.status(), StatusCode::CREATED);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Json<T>(pub T);

impl<T: DeserializeOwned> Json<T> {
    /// Reads and parses the body, allowing at most `limit` bytes.
    ///
    /// # Errors
    ///
    /// [`Rejection::NotJson`] (`415`), [`Rejection::Body`] (`413` past the limit, or the
    /// body's own read error), [`Rejection::Json`] (`400`).
    pub async fn from_request_with_limit(
        request: Request,
        limit: usize,
    ) -> Result<Self, Rejection> {
        if !is_json(request.headers().get(CONTENT_TYPE)) {
            return Err(Rejection::NotJson);
        }
        let bytes: Bytes = read_body(request, limit).await?;
        serde_json::from_slice(&bytes)
            .map(Json)
            .map_err(Rejection::Json)
    }
}

/// Whether the media type is `application/json` or `application/<anything>+json`, whatever
/// its parameters (`; charset=utf-8`).
fn is_json(content_type: Option<&HeaderValue>) -> bool {
    let Some(essence) = content_type
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
    else {
        return false;
    };
    let essence = essence.trim().to_ascii_lowercase();
    essence
        .strip_prefix("application/")
        .is_some_and(|sub| sub == "json" || sub.ends_with("+json"))
}

impl<S, T: DeserializeOwned + 'static> FromRequest<S, ViaBody> for Json<T> {
    type Rejection = Rejection;
    type Future = ExtractFuture<Json<T>>;

    fn from_request(request: Request, _state: &S) -> Self::Future {
        Box::pin(Json::from_request_with_limit(request, DEFAULT_BODY_LIMIT))
    }
}

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        match serde_json::to_vec(&self.0) {
            Ok(body) => Response::new(StatusCode::OK, body)
                .with_content_type(HeaderValue::from_static("application/json")),
            Err(e) => Response::error(
                StatusCode::INTERNAL_SERVER_ERROR,
                &format!("cannot serialize the response: {e}"),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_media_types() {
        let is = |v: &str| is_json(Some(&HeaderValue::from_str(v).unwrap()));
        assert!(is("application/json"));
        assert!(is("Application/JSON; charset=utf-8"));
        assert!(is("application/problem+json"));
        assert!(!is("text/json"));
        assert!(!is("application/jsonx"));
        assert!(!is_json(None));
    }
}
