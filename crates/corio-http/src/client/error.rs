//! The client's single error type: [`Error`], with an [`ErrorKind`] saying what went wrong and
//! the URL it went wrong with.
//!
//! Invariants: every error carries the URL of the request that failed (after redirects, the
//! URL being fetched at the time), so a message printed alone still says which request it was;
//! `kind` is `Copy` and comparable, so callers (and tests) match on it rather than on text.

use std::fmt;
use std::io;

use crate::proto::ProtoError;
use crate::tls::TlsErrorKind;

/// Which deadline expired.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimeoutKind {
    /// Establishing the TCP connection (per address tried).
    Connect,
    /// The TLS handshake of an `https` connection.
    Handshake,
    /// Waiting for bytes from the server (per read).
    Read,
    /// The whole request, redirects and (for buffered responses) body included.
    Request,
}

/// What went wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The URL does not parse, or has no host.
    InvalidUrl,
    /// A scheme other than `http` and `https`.
    UnsupportedScheme,
    /// The host name did not resolve to any address.
    Resolve,
    /// No resolved address accepted a connection; the kind of the last failure
    /// (e.g. [`io::ErrorKind::ConnectionRefused`]).
    Connect(io::ErrorKind),
    /// A deadline expired.
    Timeout(TimeoutKind),
    /// The TLS handshake failed: the certificate was not trusted, or the protocol failed.
    Tls(TlsErrorKind),
    /// The server's bytes are not a valid HTTP/1.x response.
    InvalidResponse(ProtoError),
    /// More redirects than the configured maximum.
    TooManyRedirects,
    /// The buffered body exceeds the configured maximum.
    BodyTooLarge,
    /// A read or write on an established connection failed, or the server closed it early.
    Io(io::ErrorKind),
    /// A request's value did not serialize to JSON
    /// ([`ClientRequest::json`](super::ClientRequest::json)), or a response's body did not
    /// parse as the JSON asked for ([`ClientResponse::json`](super::ClientResponse::json)).
    Json,
}

impl ErrorKind {
    /// A short description.
    pub fn as_str(&self) -> &'static str {
        match self {
            ErrorKind::InvalidUrl => "invalid URL",
            ErrorKind::UnsupportedScheme => {
                "unsupported URL scheme (only http:// and https:// are supported)"
            }
            ErrorKind::Resolve => "could not resolve host",
            ErrorKind::Connect(io::ErrorKind::ConnectionRefused) => "connection refused",
            ErrorKind::Connect(_) => "could not connect",
            ErrorKind::Timeout(TimeoutKind::Connect) => "connect timed out",
            ErrorKind::Timeout(TimeoutKind::Handshake) => "TLS handshake timed out",
            ErrorKind::Timeout(TimeoutKind::Read) => "read timed out",
            ErrorKind::Timeout(TimeoutKind::Request) => "request timed out",
            ErrorKind::Tls(kind) => kind.as_str(),
            ErrorKind::InvalidResponse(_) => "invalid response",
            ErrorKind::TooManyRedirects => "too many redirects",
            ErrorKind::BodyTooLarge => "response body too large",
            ErrorKind::Io(io::ErrorKind::UnexpectedEof) => "connection closed early",
            ErrorKind::Io(_) => "I/O error",
            ErrorKind::Json => "invalid JSON",
        }
    }
}

/// The source error, boxed.
type Source = Box<dyn std::error::Error + Send + Sync + 'static>;

/// An HTTP client error: what ([`Error::kind`]), with which URL ([`Error::url`]) and why
/// (the optional [`std::error::Error::source`]).
///
/// ```
/// use corio_http::client::{Client, ErrorKind};
/// corio::block_on(async {
///     let err = Client::new().get("ftp://example.com/").await.unwrap_err();
///     assert_eq!(err.kind(), ErrorKind::UnsupportedScheme);
///     assert!(err.to_string().contains("ftp://example.com/"));
/// });
/// ```
#[derive(Debug)]
pub struct Error {
    kind: ErrorKind,
    url: String,
    source: Option<Source>,
}

impl Error {
    /// An error of `kind` for `url`, without a source.
    pub fn new(kind: ErrorKind, url: impl Into<String>) -> Error {
        Error {
            kind,
            url: url.into(),
            source: None,
        }
    }

    /// Attaches the underlying error.
    pub fn with_source(mut self, source: impl Into<Source>) -> Error {
        self.source = Some(source.into());
        self
    }

    /// An [`ErrorKind::Io`] error from `e`.
    pub(crate) fn io(url: &str, e: io::Error) -> Error {
        Error::new(ErrorKind::Io(e.kind()), url).with_source(e)
    }

    /// An [`ErrorKind::InvalidResponse`] error, or [`ErrorKind::BodyTooLarge`] for that
    /// protocol error.
    pub(crate) fn proto(url: &str, e: ProtoError) -> Error {
        let kind = match e {
            ProtoError::BodyTooLarge => ErrorKind::BodyTooLarge,
            e => ErrorKind::InvalidResponse(e),
        };
        Error::new(kind, url).with_source(e)
    }

    /// What went wrong.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The URL of the failed request.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Whether a deadline expired.
    pub fn is_timeout(&self) -> bool {
        matches!(self.kind, ErrorKind::Timeout(_))
    }

    /// Whether trying again later may succeed: connection, resolution, timeout and I/O
    /// errors; not TLS verification failures, which fail the same way every time. (Statuses such as 503 are responses, not errors; the caller decides.)
    pub fn is_transient(&self) -> bool {
        matches!(
            self.kind,
            ErrorKind::Connect(_) | ErrorKind::Resolve | ErrorKind::Timeout(_) | ErrorKind::Io(_)
        )
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.url, self.kind.as_str())?;
        if let Some(source) = &self.source {
            write!(f, ": {source}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|s| s as &(dyn std::error::Error + 'static))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_url_kind_and_source() {
        let e = Error::io(
            "http://a/",
            io::Error::new(io::ErrorKind::ConnectionReset, "reset by peer"),
        );
        assert_eq!(e.kind(), ErrorKind::Io(io::ErrorKind::ConnectionReset));
        assert_eq!(e.to_string(), "http://a/: I/O error: reset by peer");
        assert!(e.is_transient());
        let p = Error::proto("http://b/", ProtoError::BadChunkSize);
        assert_eq!(
            p.kind(),
            ErrorKind::InvalidResponse(ProtoError::BadChunkSize)
        );
        assert!(!p.is_transient());
        assert!(std::error::Error::source(&p).is_some());
        let big = Error::proto("http://b/", ProtoError::BodyTooLarge);
        assert_eq!(big.kind(), ErrorKind::BodyTooLarge);
        let t = Error::new(ErrorKind::Timeout(TimeoutKind::Read), "http://c/");
        assert!(t.is_timeout());
        assert_eq!(t.to_string(), "http://c/: read timed out");
    }
}
