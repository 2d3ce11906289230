//! [`HeaderFields`]: a request's header section, turned into a `HeaderMap` only when asked.
//!
//! Building an `http::HeaderMap` costs allocations and hashing for every field, which is most
//! of the price of parsing a request. The framing decisions (length, chunked, keep-alive,
//! Host, Expect) are made by the parser straight from httparse's borrowed fields; the map is
//! built on first access, from the head bytes the request keeps anyway. A handler that never
//! looks at the headers never pays for the map.
//!
//! Invariant: `raw` is a complete request head that already passed every check of
//! [`parse_request_head`](super::parse_request_head), so re-parsing it cannot fail.

use std::cell::OnceCell;
use std::mem::MaybeUninit;

use bytes::Bytes;
use http::HeaderMap;

use super::fields::to_header_map;
use super::limits::MAX_HEADERS;

/// A request's header fields, as a lazily built [`HeaderMap`].
#[derive(Debug, Clone, Default)]
pub struct HeaderFields {
    raw: Bytes,
    map: OnceCell<Box<HeaderMap>>,
}

impl HeaderFields {
    /// Fields to be parsed from `raw`, a validated request head.
    pub(crate) fn from_head(raw: Bytes) -> HeaderFields {
        HeaderFields {
            raw,
            map: OnceCell::new(),
        }
    }

    /// Fields given as a map.
    pub fn from_map(map: HeaderMap) -> HeaderFields {
        HeaderFields {
            raw: Bytes::new(),
            map: OnceCell::from(Box::new(map)),
        }
    }

    /// The fields as a map (built on first call).
    pub fn map(&self) -> &HeaderMap {
        self.map.get_or_init(|| Box::new(parse_map(&self.raw)))
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

fn parse_map(raw: &Bytes) -> HeaderMap {
    if raw.is_empty() {
        return HeaderMap::new();
    }
    let mut fields = [const { MaybeUninit::<httparse::Header<'_>>::uninit() }; MAX_HEADERS];
    let mut request = httparse::Request::new(&mut []);
    match request.parse_with_uninit_headers(raw, &mut fields) {
        Ok(httparse::Status::Complete(_)) => {
            to_header_map(raw, request.headers).unwrap_or_default()
        }
        _ => HeaderMap::new(),
    }
}
