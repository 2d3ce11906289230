//! The single error type of the protocol layer.
//!
//! Invariants:
//! - Every variant names *what* was wrong with the peer's bytes, never how we
//!   noticed it.
//! - [`ProtoError::status`] is the status a server answers with before closing
//!   the connection. After any `ProtoError` the byte stream is out of sync, so
//!   the connection driver must close the connection once that answer is sent.
//! - On the client side (parsing responses) the status is informational only;
//!   the driver reports the error to the caller instead.

use std::fmt;

/// Everything that can be wrong with an HTTP/1.x message on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ProtoError {
    /// The request line (or status line) exceeds [`Limits::max_start_line`](super::Limits).
    StartLineTooLong,
    /// The header section exceeds [`Limits::max_header_section`](super::Limits).
    HeaderSectionTooLarge,
    /// More header fields than [`Limits::max_headers`](super::Limits).
    TooManyHeaders,
    /// The start line is not `METHOD SP target SP HTTP/x.y` (or a status line).
    BadStartLine,
    /// The method is not a valid token.
    BadMethod,
    /// The request-target is malformed or not valid for the method.
    BadTarget,
    /// Syntactically valid HTTP version other than HTTP/1.0 or HTTP/1.1.
    UnsupportedVersion,
    /// A header field name is invalid (including whitespace before the colon).
    BadHeaderName,
    /// A header field value contains bytes not allowed in a field value.
    BadHeaderValue,
    /// A line starts with whitespace (obsolete line folding, RFC 9112 §5.2).
    ObsFold,
    /// A CR not followed by LF.
    BareCr,
    /// An LF not preceded by CR.
    BareLf,
    /// NUL, DEL or another control byte where it is not allowed.
    ControlByte,
    /// HTTP/1.1 request without a Host header.
    MissingHost,
    /// More than one Host header.
    DuplicateHost,
    /// A Host header whose value is not `uri-host [ ":" port ]` (RFC 9112 §3.2).
    BadHost,
    /// The status code of a response is outside 100..=999 or malformed.
    BadStatus,
    /// Content-Length is malformed (empty, signed, non-decimal, overflowing).
    BadContentLength,
    /// Several Content-Length values that are not all identical.
    ConflictingContentLength,
    /// Both Content-Length and Transfer-Encoding are present.
    ContentLengthWithTransferEncoding,
    /// Transfer-Encoding is malformed or does not end in `chunked`.
    BadTransferEncoding,
    /// Transfer-Encoding in an HTTP/1.0 message.
    TransferEncodingInHttp10,
    /// A transfer coding other than `chunked` precedes `chunked`.
    UnsupportedTransferCoding,
    /// The body exceeds [`Limits::max_body`](super::Limits).
    BodyTooLarge,
    /// An `Expect` value other than `100-continue`.
    UnsupportedExpectation,
    /// A chunk-size line has no digits, bad hex, or too many digits.
    BadChunkSize,
    /// A chunk extension is syntactically invalid.
    BadChunkExtension,
    /// Chunk extensions exceed [`Limits::max_chunk_ext`](super::Limits).
    ChunkExtensionTooLong,
    /// Chunk data is not followed by CRLF.
    MissingChunkCrlf,
    /// The trailer section is malformed.
    BadTrailer,
    /// The trailer section exceeds its size or field-count limit.
    TrailerTooLarge,
}

impl ProtoError {
    /// The HTTP status code a server answers with for this error.
    pub fn status(&self) -> u16 {
        use ProtoError::*;
        match self {
            StartLineTooLong => 414,
            HeaderSectionTooLarge | TooManyHeaders => 431,
            UnsupportedVersion => 505,
            BodyTooLarge => 413,
            UnsupportedExpectation => 417,
            UnsupportedTransferCoding => 501,
            BadStartLine
            | BadMethod
            | BadTarget
            | BadHeaderName
            | BadHeaderValue
            | ObsFold
            | BareCr
            | BareLf
            | ControlByte
            | MissingHost
            | DuplicateHost
            | BadHost
            | BadStatus
            | BadContentLength
            | ConflictingContentLength
            | ContentLengthWithTransferEncoding
            | BadTransferEncoding
            | TransferEncodingInHttp10
            | BadChunkSize
            | BadChunkExtension
            | ChunkExtensionTooLong
            | MissingChunkCrlf
            | BadTrailer
            | TrailerTooLarge => 400,
        }
    }

    /// A short human-readable description.
    pub fn as_str(&self) -> &'static str {
        use ProtoError::*;
        match self {
            StartLineTooLong => "start line too long",
            HeaderSectionTooLarge => "header section too large",
            TooManyHeaders => "too many header fields",
            BadStartLine => "malformed start line",
            BadMethod => "invalid method",
            BadTarget => "invalid request-target",
            UnsupportedVersion => "unsupported HTTP version",
            BadHeaderName => "invalid header field name",
            BadHeaderValue => "invalid header field value",
            ObsFold => "obsolete line folding",
            BareCr => "CR not followed by LF",
            BareLf => "LF not preceded by CR",
            ControlByte => "control byte in message head",
            MissingHost => "missing Host header",
            DuplicateHost => "multiple Host headers",
            BadHost => "invalid Host header",
            BadStatus => "invalid status code",
            BadContentLength => "invalid Content-Length",
            ConflictingContentLength => "conflicting Content-Length values",
            ContentLengthWithTransferEncoding => "both Content-Length and Transfer-Encoding",
            BadTransferEncoding => "invalid Transfer-Encoding",
            TransferEncodingInHttp10 => "Transfer-Encoding in HTTP/1.0 message",
            UnsupportedTransferCoding => "unsupported transfer coding",
            BodyTooLarge => "body too large",
            UnsupportedExpectation => "unsupported expectation",
            BadChunkSize => "invalid chunk size",
            BadChunkExtension => "invalid chunk extension",
            ChunkExtensionTooLong => "chunk extensions too long",
            MissingChunkCrlf => "chunk data not followed by CRLF",
            BadTrailer => "invalid trailer section",
            TrailerTooLarge => "trailer section too large",
        }
    }
}

impl fmt::Display for ProtoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.as_str(), self.status())
    }
}

impl std::error::Error for ProtoError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses() {
        let table = [
            (ProtoError::StartLineTooLong, 414),
            (ProtoError::HeaderSectionTooLarge, 431),
            (ProtoError::TooManyHeaders, 431),
            (ProtoError::UnsupportedVersion, 505),
            (ProtoError::BodyTooLarge, 413),
            (ProtoError::UnsupportedExpectation, 417),
            (ProtoError::UnsupportedTransferCoding, 501),
            (ProtoError::ObsFold, 400),
            (ProtoError::ContentLengthWithTransferEncoding, 400),
        ];
        for (e, s) in table {
            assert_eq!(e.status(), s, "{e:?}");
            assert!(e.to_string().contains(&s.to_string()));
        }
    }
}
