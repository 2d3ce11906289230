//! The messages handlers see: [`Request`], [`Response`], and their bodies.
//!
//! They wrap the `http` crate's types (`Method`, `StatusCode`, `HeaderMap`, `Version`) rather
//! than re-inventing them, and convert to and from `http::Request` / `http::Response`. The
//! request head is the one the parser produced, moved, not copied; a request body is read from
//! the connection only when the handler asks for it (backpressure).

mod body;
mod into_response;
mod request;
mod response;

pub(crate) use body::BodySource;
pub use body::{Body, BodyError, BodyStream, ResponseBody};
pub use into_response::IntoResponse;
pub use request::Request;
pub use response::Response;
