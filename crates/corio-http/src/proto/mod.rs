//! Sans-I/O HTTP/1.1 protocol layer: pure functions and state machines over
//! byte slices. No sockets, no async, no threads, no `unsafe`.
//!
//! # What it does
//!
//! - [`parse_request_head`] turns the start of a read buffer into a validated
//!   [`RequestHead`] (method, [`RequestTarget`], [`Version`], headers, and the
//!   derived `keep_alive`, `expect_continue` and [`BodyFraming`]) plus the exact
//!   number of bytes it used, or `Ok(None)` when more bytes are needed.
//! - [`ChunkedDecoder`] decodes a chunked body incrementally and zero-copy:
//!   it hands back ranges of the caller's buffer.
//! - [`encode_response_head`], [`ChunkedEncoder`] and [`DateCache`] write
//!   responses; [`parse_response_status`] (status, persistence and framing only, nothing
//!   allocated) serves the client, with [`HeaderFields`] keeping the head for a lazy map, and
//!   the load generator; [`parse_response_head`] (every field in a `HeaderMap`) and
//!   [`response_framing`] are the same rules for callers that want the map at once.
//! - Every failure is a [`ProtoError`] whose [`ProtoError::status`] is the
//!   status code to answer with; after any error the connection must be closed.
//!
//! # Invariants
//!
//! - Parsing is strict per RFC 9112: CRLF only, no obs-fold, no control
//!   bytes, no whitespace before a colon, HTTP/1.0 or 1.1 only, one Host,
//!   unambiguous framing (no CL+TE, no conflicting CLs, TE exactly `chunked`).
//! - All [`Limits`] are enforced on partial input too, so a driver's buffer
//!   never needs to exceed `max_start_line + max_header_section` for a head.
//! - Consumed counts are exact; bytes after a message (pipelining) are never
//!   touched.
//!
//! # How a connection driver uses it
//!
//! 1. Read into a buffer; call [`RequestHeadParser::parse`] on the unread part until
//!    it returns a head (or an error: write `status()` and close). The parser resumes
//!    where the previous call stopped, so a head received in pieces is checked once
//!    ([`parse_request_head`] is the same for a buffer parsed once).
//! 2. Drop the consumed bytes. Per `head.body`: `Empty` → done; `Length(n)` →
//!    the next `n` bytes are the body; `Chunked` → feed bytes to a
//!    [`ChunkedDecoder`] until `done`. If `head.expect_continue`, write
//!    `HTTP/1.1 100 Continue\r\n\r\n` before reading the body.
//! 3. Write the response with [`encode_response_head`]; close afterwards unless
//!    `head.keep_alive`; otherwise loop to 1 with the remaining bytes.
//!
//! ```
//! use corio_http::proto::{parse_request_head, BodyFraming, ChunkedDecoder, Limits};
//!
//! let limits = Limits::default();
//! let wire = b"POST /upload?x=1 HTTP/1.1\r\nHost: example.com\r\n\
//!              Transfer-Encoding: chunked\r\n\r\n\
//!              5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\n\r\n\
//!              GET /next HTTP/1.1\r\n";
//!
//! let (head, used) = parse_request_head(wire, &limits).unwrap().expect("complete head");
//! assert_eq!(head.target.path(), "/upload");
//! assert_eq!(head.target.query(), Some("x=1"));
//! assert_eq!(head.body, BodyFraming::Chunked);
//! assert!(head.keep_alive);
//!
//! let mut rest = &wire[used..];
//! let mut decoder = ChunkedDecoder::new(&limits);
//! let mut body = Vec::new();
//! loop {
//!     let out = decoder.decode(rest).unwrap();
//!     body.extend_from_slice(&rest[out.data.clone()]);
//!     rest = &rest[out.consumed..];
//!     if out.done {
//!         break;
//!     }
//!     assert!(!rest.is_empty(), "would read more from the socket here");
//! }
//! assert_eq!(body, b"hello world");
//! // The next pipelined request is untouched and still incomplete.
//! assert_eq!(rest, b"GET /next HTTP/1.1\r\n");
//! assert!(parse_request_head(rest, &limits).unwrap().is_none());
//! ```

pub mod chunked;
pub mod chunked_encoder;
mod connection;
pub mod date;
pub mod error;
mod field_summary;
pub(crate) mod fields;
pub mod framing;
mod header_fields;
pub mod limits;
mod quick_head;
pub mod request;
pub mod response;
mod response_status;
mod scan;
mod swar;
pub mod target;
mod target_text;
pub mod version;

pub use chunked::{ChunkedDecoder, Decoded};
pub use chunked_encoder::ChunkedEncoder;
pub use connection::keep_alive;
pub use date::DateCache;
pub use error::ProtoError;
pub use framing::{request_framing, response_framing, BodyFraming};
pub use header_fields::HeaderFields;
pub use limits::Limits;
pub use request::{parse_request_head, RequestHead, RequestHeadParser};
pub use response::{
    encode_fields_and_end, encode_response_head, encode_response_head_with, encode_status_line,
    parse_response_head, parse_response_status, ResponseHead, ResponseStatus,
};
pub use target::{RequestTarget, TargetForm};
pub use version::Version;
