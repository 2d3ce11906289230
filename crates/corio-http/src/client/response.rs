//! [`ClientResponse`] (body in memory) and [`StreamingResponse`] (body read on demand).
//!
//! Invariants: both carry the final URL, after any redirects the client followed, so relative
//! links in the body resolve against the right base; their header fields are a
//! [`HeaderFields`]: the head's bytes, turned into a `HeaderMap` on first use (it dereferences
//! to one), so a caller that only wants the status and the body never pays for the map.
//!
//! A [`StreamingResponse`] is small to move: its fields are boxed (a `HeaderFields` keeps a
//! short head inline, hundreds of bytes) and its body holds its connection boxed, because a
//! response is moved out of every future it passes through on its way to the caller.

use std::borrow::Cow;

use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use serde::de::DeserializeOwned;
use url::Url;

use super::body::ClientBody;
use super::error::{Error, ErrorKind};
use crate::proto::{HeaderFields, Version};

/// A complete response, body included.
#[derive(Debug, Clone)]
pub struct ClientResponse {
    /// The status code.
    pub status: StatusCode,
    /// The server's HTTP version.
    pub version: Version,
    /// The header fields (names lowercased): a `HeaderMap`, built on first use.
    pub headers: HeaderFields,
    /// The trailer fields of a chunked body (empty otherwise).
    pub trailers: HeaderMap,
    /// The body (decoded from its transfer coding; content codings are left as sent).
    pub body: Bytes,
    /// The final URL, after redirects.
    pub url: Url,
}

impl ClientResponse {
    /// The value of header `name` as text, if present and valid UTF-8.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The media type of `Content-Type`, lowercased, without parameters
    /// (e.g. `text/html`).
    pub fn content_type(&self) -> Option<String> {
        media_type(&self.headers)
    }

    /// The body as text (invalid UTF-8 replaced).
    pub fn text(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.body)
    }

    /// The body parsed as JSON into a `T`. Whatever the status and `Content-Type` (check
    /// them first if the server may answer errors in another format); a body that does not
    /// parse as a `T` is an [`ErrorKind::Json`](super::ErrorKind::Json) naming the URL.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, Error> {
        serde_json::from_slice(&self.body)
            .map_err(|e| Error::new(ErrorKind::Json, self.url.as_str()).with_source(e))
    }
}

/// A response whose body is still on the connection: read it with [`ClientBody::chunk`], or
/// buffer it with [`StreamingResponse::bytes`].
#[derive(Debug)]
pub struct StreamingResponse {
    /// The status code.
    pub status: StatusCode,
    /// The server's HTTP version.
    pub version: Version,
    /// The header fields (names lowercased): a `HeaderMap`, built on first use. Boxed, so
    /// that the response is small to move.
    pub headers: Box<HeaderFields>,
    /// The body reader.
    pub body: ClientBody,
}

impl StreamingResponse {
    /// The final URL, after redirects.
    pub fn url(&self) -> &Url {
        self.body.url()
    }

    /// The media type of `Content-Type`, see [`ClientResponse::content_type`].
    pub fn content_type(&self) -> Option<String> {
        media_type(&self.headers)
    }

    /// Reads the whole body into memory.
    pub async fn bytes(self) -> Result<ClientResponse, Error> {
        let StreamingResponse {
            status,
            version,
            headers,
            body: mut reader,
        } = self;
        let mut body = Vec::new();
        reader.read_to_end(&mut body).await?;
        Ok(ClientResponse {
            status,
            version,
            trailers: reader.trailers().cloned().unwrap_or_default(),
            headers: *headers,
            body: Bytes::from(body),
            url: reader.url().clone(),
        })
    }
}

fn media_type(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(http::header::CONTENT_TYPE)?.to_str().ok()?;
    let media = value.split(';').next()?.trim();
    (!media.is_empty()).then(|| media.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_types() {
        let mut h = HeaderMap::new();
        assert_eq!(media_type(&h), None);
        h.insert("content-type", "Text/HTML; charset=utf-8".parse().unwrap());
        assert_eq!(media_type(&h).as_deref(), Some("text/html"));
        h.insert("content-type", "application/json".parse().unwrap());
        assert_eq!(media_type(&h).as_deref(), Some("application/json"));
    }
}
