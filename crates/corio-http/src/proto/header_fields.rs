//! [`HeaderFields`]: a message's header section, turned into a `HeaderMap` only when asked.
//!
//! Building an `http::HeaderMap` costs allocations and hashing for every field, which is most
//! of the price of parsing a request (server) or a response head (client). The framing
//! decisions (length, chunked, keep-alive, Host, Expect) are made by the parsers straight from
//! httparse's borrowed fields; the map is built on first access, from the head bytes the
//! message keeps anyway. A handler that never looks at a request's headers, or a client
//! caller that never looks at a response's (a load generator), never pays for the map.
//!
//! It dereferences to the map (built on first use, as a `LazyLock` dereferences to its value),
//! so `fields.get("name")` reads like a `HeaderMap` lookup. The cell is a `OnceLock`, so
//! fields (and a client response holding them) can be shared between threads.
//!
//! The head bytes are kept inline when they fit in [`INLINE_HEAD`] bytes, so that a typical
//! request (which arrives boxed, see [`RequestHeadParser`](super::RequestHeadParser)) costs one
//! allocation in all: the box holds the parsed head and its bytes together. A longer head is
//! copied into a `Bytes`. Building the map from an inline head first copies it into a `Bytes`
//! (one allocation) so that the values share it.
//!
//! Invariant: the raw head is a complete request or response head that already passed every
//! check of [`parse_request_head`](super::parse_request_head) or
//! [`parse_response_status`](super::parse_response_status), so re-parsing its field lines
//! cannot fail.

use std::mem::MaybeUninit;
use std::ops::{Deref, DerefMut};
use std::sync::OnceLock;

use arrayvec::ArrayVec;
use bytes::Bytes;
use http::HeaderMap;

use super::fields::to_header_map;
use super::limits::MAX_HEADERS;

/// Longest request head kept inline. 512 bytes hold the heads of API clients, load
/// generators and curl, and most of a browser's; a longer head costs one more allocation.
pub const INLINE_HEAD: usize = 512;

/// The bytes of a validated request head.
///
/// The large inline variant is the point: the head lives in the parser's one `Box` allocation
/// (see the module docs), so boxing the array again would be the second allocation this type
/// exists to avoid. It is an `ArrayVec`, whose unused part is left uninitialised: the box is
/// made with an empty one and the head's bytes are copied straight into it
/// ([`HeaderFields::fill`]), so a request pays for copying its own bytes, not for zeroing or
/// moving the whole array (those were a tenth of the pipelined plaintext profile).
#[derive(Clone)]
#[allow(clippy::large_enum_variant)]
enum RawHead {
    /// Up to [`INLINE_HEAD`] bytes, in place.
    Inline(ArrayVec<u8, INLINE_HEAD>),
    /// A longer head (or none: empty).
    Shared(Bytes),
}

impl RawHead {
    fn as_slice(&self) -> &[u8] {
        match self {
            RawHead::Inline(bytes) => bytes,
            RawHead::Shared(bytes) => bytes,
        }
    }
}

impl std::fmt::Debug for RawHead {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(self.as_slice()))
    }
}

/// A message's header fields, as a lazily built [`HeaderMap`] (see the module docs).
#[derive(Clone)]
pub struct HeaderFields {
    raw: RawHead,
    map: OnceLock<Box<HeaderMap>>,
}

impl Default for HeaderFields {
    fn default() -> HeaderFields {
        HeaderFields {
            raw: RawHead::Shared(Bytes::new()),
            map: OnceLock::new(),
        }
    }
}

/// Shows the fields as the map they stand for (built if need be), like a `HeaderMap`.
impl std::fmt::Debug for HeaderFields {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.map().fmt(f)
    }
}

impl Deref for HeaderFields {
    type Target = HeaderMap;

    fn deref(&self) -> &HeaderMap {
        self.map()
    }
}

impl DerefMut for HeaderFields {
    fn deref_mut(&mut self) -> &mut HeaderMap {
        self.map_mut()
    }
}

impl From<HeaderMap> for HeaderFields {
    fn from(map: HeaderMap) -> HeaderFields {
        HeaderFields::from_map(map)
    }
}

impl HeaderFields {
    /// No fields yet, with room for a short head in place: made inside the head's box and then
    /// given its bytes with [`HeaderFields::fill`].
    pub(crate) fn unfilled() -> HeaderFields {
        HeaderFields {
            raw: RawHead::Inline(ArrayVec::new()),
            map: OnceLock::new(),
        }
    }

    /// The fields of `head`, a validated response head (copied into a `Bytes`: a client
    /// response moves through several futures, which an inline head would make large).
    pub(crate) fn copied(head: &[u8]) -> HeaderFields {
        HeaderFields {
            raw: RawHead::Shared(Bytes::copy_from_slice(head)),
            map: OnceLock::new(),
        }
    }

    /// Takes the fields from `head`, a validated request head (copied: in place if short).
    /// `self` is [`HeaderFields::unfilled`]: no bytes and no map yet.
    pub(crate) fn fill(&mut self, head: &[u8]) {
        debug_assert!(self.raw.as_slice().is_empty() && self.map.get().is_none());
        let inline = match &mut self.raw {
            RawHead::Inline(bytes) => bytes.try_extend_from_slice(head).is_ok(),
            RawHead::Shared(_) => false,
        };
        if !inline {
            self.raw = RawHead::Shared(Bytes::copy_from_slice(head));
        }
    }

    /// Fields given as a map.
    pub fn from_map(map: HeaderMap) -> HeaderFields {
        HeaderFields {
            raw: RawHead::Shared(Bytes::new()),
            map: OnceLock::from(Box::new(map)),
        }
    }

    /// The fields as a map (built on first call).
    pub fn map(&self) -> &HeaderMap {
        self.map.get_or_init(|| {
            let shared = match &self.raw {
                RawHead::Inline(_) => Bytes::copy_from_slice(self.raw.as_slice()),
                RawHead::Shared(bytes) => bytes.clone(),
            };
            Box::new(parse_map(&shared))
        })
    }

    /// The fields as a mutable map.
    pub fn map_mut(&mut self) -> &mut HeaderMap {
        self.map();
        self.map.get_mut().expect("initialised just above")
    }

    /// The map, by value.
    pub fn into_map(mut self) -> HeaderMap {
        self.map();
        *self.map.take().expect("initialised just above")
    }
}

/// The map of a validated head: a response's if its start line begins with `HTTP/` (a
/// request's method is a token, which has no `/`), a request's otherwise.
fn parse_map(raw: &Bytes) -> HeaderMap {
    let mut fields = [const { MaybeUninit::<httparse::Header<'_>>::uninit() }; MAX_HEADERS];
    let start = raw
        .iter()
        .position(|&b| b != b'\r' && b != b'\n')
        .unwrap_or(raw.len());
    let parsed = if raw[start..].starts_with(b"HTTP/") {
        let mut response = httparse::Response::new(&mut []);
        let done = httparse::ParserConfig::default().parse_response_with_uninit_headers(
            &mut response,
            raw,
            &mut fields,
        );
        matches!(done, Ok(httparse::Status::Complete(_))).then_some(response.headers)
    } else {
        let mut request = httparse::Request::new(&mut []);
        let done = request.parse_with_uninit_headers(raw, &mut fields);
        matches!(done, Ok(httparse::Status::Complete(_))).then_some(request.headers)
    };
    match parsed {
        Some(headers) => to_header_map(raw, headers).unwrap_or_default(),
        None => HeaderMap::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bytes of a head with an `X-Pad` field, apart from the padding itself.
    const FIXED: &str = "GET / HTTP/1.1\r\nHost: a\r\nX-Pad: \r\n\r\n";

    /// A head of `len` bytes whose `X-Pad` value fills it.
    fn head_of(len: usize) -> Vec<u8> {
        let pad = "p".repeat(len - FIXED.len());
        format!("GET / HTTP/1.1\r\nHost: a\r\nX-Pad: {pad}\r\n\r\n").into_bytes()
    }

    #[test]
    fn heads_up_to_the_inline_limit_stay_inline_and_longer_ones_are_shared() {
        for len in [
            INLINE_HEAD - 1,
            INLINE_HEAD,
            INLINE_HEAD + 1,
            4 * INLINE_HEAD,
        ] {
            let head = head_of(len);
            assert_eq!(head.len(), len);
            let mut fields = HeaderFields::unfilled();
            fields.fill(&head);
            assert_eq!(
                matches!(fields.raw, RawHead::Inline(_)),
                len <= INLINE_HEAD,
                "{len}"
            );
            assert_eq!(fields.raw.as_slice(), &head[..]);
            let map = fields.map();
            assert_eq!(map.get("host").unwrap(), "a");
            assert_eq!(map.get("x-pad").unwrap().len(), len - FIXED.len());
        }
    }
}
