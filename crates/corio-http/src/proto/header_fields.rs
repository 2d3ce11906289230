//! [`HeaderFields`]: a message's header section, turned into a `HeaderMap` only when asked.
//!
//! Building an `http::HeaderMap` costs allocations and hashing for every field, which is most
//! of the price of parsing a request (server) or a response head (client). The framing
//! decisions (length, chunked, keep-alive, Host, Expect) are made by the parsers straight from
//! the borrowed fields; the map is built on first access, from the head bytes the
//! message keeps anyway. A handler that never looks at a request's headers, or a client
//! caller that never looks at a response's (a load generator), never pays for the map.
//!
//! It dereferences to the map (built on first use, as a `LazyLock` dereferences to its value),
//! so `fields.get("name")` reads like a `HeaderMap` lookup. The cell is a `OnceLock`, so
//! fields (and a client response holding them) can be shared between threads.
//!
//! The head bytes are kept inline when they fit in [`INLINE_HEAD`] bytes, so that a typical
//! request (which arrives boxed, see [`RequestHeadParser`](super::RequestHeadParser)) costs one
//! allocation at most (none when the box is a reused spare): the box holds the parsed head and
//! its bytes together. A longer head is
//! copied into a `Bytes`. Building the map from an inline head first copies it into a `Bytes`
//! (one allocation) so that the values share it. The map, once built, lives in the same box.
//!
//! An HTTP/2 request arrives with its map already built (by h2); it moves into the head's box
//! as it is. Its `:authority` becomes a `Host` field when the client sent none (so that
//! handlers routing on `Host` work over both protocols), but only when the map is first read:
//! the value is a copy, and a handler that never reads the fields never pays for it.
//!
//! Invariant: the raw head is a complete request or response head that already passed every
//! check of [`parse_request_head`](super::parse_request_head) or
//! [`parse_response_status`](super::parse_response_status), so re-parsing its field lines
//! cannot fail.

use std::mem::MaybeUninit;
use std::ops::{Deref, DerefMut};
use std::sync::{Mutex, MutexGuard, OnceLock};

use arrayvec::ArrayVec;
use bytes::Bytes;
use http::header::{HeaderName, HOST};
use http::uri::Authority;
use http::{HeaderMap, HeaderValue};

use super::fields::to_header_map;
use super::limits::MAX_HEADERS;

/// Longest request head kept inline. 512 bytes hold the heads of API clients, load
/// generators and curl, and most of a browser's; a longer head costs one more allocation.
pub const INLINE_HEAD: usize = 512;

/// Where a request's fields come from until their map is built.
///
/// The large inline variant is the point: the head lives in the parser's one `Box` allocation
/// (see the module docs), so boxing the array again would be the second allocation this type
/// exists to avoid. It is an `ArrayVec`, whose unused part is left uninitialised: the box is
/// made with an empty one and the head's bytes are copied straight into it
/// ([`HeaderFields::fill`]), so a request pays for copying its own bytes, not for zeroing or
/// moving the whole array (those were a tenth of the pipelined plaintext profile).
#[allow(clippy::large_enum_variant)]
enum Source {
    /// Up to [`INLINE_HEAD`] bytes of a validated head, in place.
    Inline(ArrayVec<u8, INLINE_HEAD>),
    /// A longer head (or none: empty).
    Shared(Bytes),
    /// An HTTP/2 request's map, and its `:authority`, which becomes its `Host` when the map
    /// is first read and has none (the read takes them, leaving `None`). A `Mutex`, not a
    /// `Cell`, so that fields stay `Sync` (a client response is shared between threads); it
    /// is locked once, uncontended, when the map is built.
    MapAndAuthority(Mutex<Option<(HeaderMap, Authority)>>),
}

impl Source {
    /// What `pending` holds (a panic while it was locked left it as it was).
    fn pending(
        pending: &Mutex<Option<(HeaderMap, Authority)>>,
    ) -> MutexGuard<'_, Option<(HeaderMap, Authority)>> {
        pending.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Clone for Source {
    fn clone(&self) -> Source {
        match self {
            Source::Inline(bytes) => Source::Inline(bytes.clone()),
            Source::Shared(bytes) => Source::Shared(bytes.clone()),
            Source::MapAndAuthority(pending) => {
                Source::MapAndAuthority(Mutex::new(Source::pending(pending).clone()))
            }
        }
    }
}

/// A message's header fields, as a lazily built [`HeaderMap`] (see the module docs).
#[derive(Clone)]
pub struct HeaderFields {
    source: Source,
    map: OnceLock<HeaderMap>,
}

impl Default for HeaderFields {
    fn default() -> HeaderFields {
        HeaderFields {
            source: Source::Shared(Bytes::new()),
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
    /// No fields yet, with room for a short head in place: made inside the head's box (a
    /// client response's fields' own box) and then given its bytes with
    /// [`HeaderFields::fill`].
    pub(crate) fn unfilled() -> HeaderFields {
        HeaderFields {
            source: Source::Inline(ArrayVec::new()),
            map: OnceLock::new(),
        }
    }

    /// Drops the fields (and the map, if built), leaving them as [`HeaderFields::unfilled`]
    /// made them: for a head box used again. Inlined: usually two compares and a store.
    #[inline]
    pub(crate) fn clear(&mut self) {
        self.map = OnceLock::new();
        match &mut self.source {
            Source::Inline(bytes) => bytes.clear(),
            Source::Shared(_) | Source::MapAndAuthority(_) => {
                self.source = Source::Inline(ArrayVec::new());
            }
        }
    }

    /// Takes the fields from `head`, a validated request or response head (copied: in place
    /// if short), in place of any it held (and their map, if built): the fields of a reused
    /// head box need no [`HeaderFields::clear`] first, which would store the same state twice.
    ///
    /// Inlined, its usual case (inline fields, no map built, a head that fits) is a copy;
    /// the rest is [`HeaderFields::refill`], out of line.
    #[inline(always)]
    pub(crate) fn fill(&mut self, head: &[u8]) {
        if let (Source::Inline(bytes), None) = (&mut self.source, self.map.get()) {
            if head.len() <= INLINE_HEAD {
                bytes.clear();
                bytes
                    .try_extend_from_slice(head)
                    .expect("the head fits, checked above");
                return;
            }
        }
        self.refill(head);
    }

    /// [`HeaderFields::fill`] in every case.
    #[inline(never)]
    fn refill(&mut self, head: &[u8]) {
        if self.map.get().is_some() {
            self.map = OnceLock::new();
        }
        if let Source::Inline(bytes) = &mut self.source {
            bytes.clear();
            if bytes.try_extend_from_slice(head).is_ok() {
                return;
            }
        } else if let Ok(bytes) = ArrayVec::try_from(head) {
            self.source = Source::Inline(bytes);
            return;
        }
        self.source = Source::Shared(Bytes::copy_from_slice(head));
    }

    /// Fields given as a map.
    pub fn from_map(map: HeaderMap) -> HeaderFields {
        HeaderFields {
            source: Source::Shared(Bytes::new()),
            map: OnceLock::from(map),
        }
    }

    /// Sets [`HeaderFields::unfilled`] fields, in place, to `map`, and an HTTP/2 request's
    /// `:authority` if it has one, which becomes the `Host` field when the map is first read
    /// and has none (RFC 9113 §8.3.1). For a head filled in its box: fields built apart and
    /// moved in would copy their inline room too.
    pub(crate) fn set_map(&mut self, map: HeaderMap, authority: Option<Authority>) {
        debug_assert!(self.map.get().is_none());
        match authority {
            Some(authority) => {
                self.source = Source::MapAndAuthority(Mutex::new(Some((map, authority))));
            }
            None => {
                self.source = Source::Shared(Bytes::new());
                self.map = OnceLock::from(map);
            }
        }
    }

    /// The fields as a map (built on first call).
    pub fn map(&self) -> &HeaderMap {
        self.map.get_or_init(|| match &self.source {
            Source::Inline(bytes) => parse_map(&Bytes::copy_from_slice(bytes)),
            Source::Shared(bytes) => parse_map(bytes),
            Source::MapAndAuthority(pending) => with_host(Source::pending(pending).take()),
        })
    }

    /// Whether a field is named one of `names`, found without building the map when it is not
    /// built yet: a scan of the head's field lines, so that a caller reading a few rare fields
    /// (the static files' conditional, range and encoding fields) does not pay for the map
    /// of a request that has none of them. It may only say yes wrongly (a start line is no
    /// field name: it holds a space), never no.
    pub fn contains_any(&self, names: &[HeaderName]) -> bool {
        let raw: &[u8] = match (self.map.get(), &self.source) {
            (Some(map), _) => return names.iter().any(|name| map.contains_key(name)),
            (None, Source::MapAndAuthority(_)) => {
                return names.iter().any(|name| self.map().contains_key(name))
            }
            (None, Source::Inline(bytes)) => &bytes[..],
            (None, Source::Shared(bytes)) => &bytes[..],
        };
        raw.split(|&b| b == b'\n').any(|line| {
            let field = line.split(|&b| b == b':').next().unwrap_or_default();
            names
                .iter()
                .any(|name| field.eq_ignore_ascii_case(name.as_str().as_bytes()))
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
        self.map.take().expect("initialised just above")
    }
}

/// The map of [`Source::MapAndAuthority`], its `:authority` added as `Host` if it has none.
/// (`None` only after a first build that panicked part way, which left the map unbuilt.)
fn with_host(pending: Option<(HeaderMap, Authority)>) -> HeaderMap {
    let Some((mut map, authority)) = pending else {
        return HeaderMap::new();
    };
    if !map.contains_key(HOST) {
        // An `Authority` holds URI characters only (visible ASCII), all valid in a field
        // value: the conversion cannot fail.
        if let Ok(host) = HeaderValue::from_str(authority.as_str()) {
            map.insert(HOST, host);
        }
    }
    map
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

    /// Fields given as a map and an HTTP/2 request's `:authority`.
    fn with_authority(map: HeaderMap, authority: Authority) -> HeaderFields {
        let mut fields = HeaderFields::unfilled();
        fields.set_map(map, Some(authority));
        fields
    }

    /// The bytes of a head with an `X-Pad` field, apart from the padding itself.
    const FIXED: &str = "GET / HTTP/1.1\r\nHost: a\r\nX-Pad: \r\n\r\n";

    /// A head of `len` bytes whose `X-Pad` value fills it.
    fn head_of(len: usize) -> Vec<u8> {
        let pad = "p".repeat(len - FIXED.len());
        format!("GET / HTTP/1.1\r\nHost: a\r\nX-Pad: {pad}\r\n\r\n").into_bytes()
    }

    #[test]
    fn contains_any_finds_fields_without_building_the_map() {
        use http::header::{IF_NONE_MATCH, RANGE};
        let names = [RANGE, IF_NONE_MATCH];
        let mut plain = HeaderFields::unfilled();
        plain.fill(b"GET /range:if-none-match HTTP/1.1\r\nHost: a\r\nX-Range: 1\r\n\r\n");
        assert!(!plain.contains_any(&names));
        assert!(plain.map.get().is_none(), "the map is not built");
        let mut ranged = HeaderFields::unfilled();
        ranged.fill(b"GET / HTTP/1.1\r\nHost: a\r\nif-None-MATCH: \"x\"\r\n\r\n");
        assert!(ranged.contains_any(&names));
        let mut long = HeaderFields::unfilled();
        long.fill(&head_of(INLINE_HEAD + 1));
        assert!(!long.contains_any(&names));
        let mut map = HeaderMap::new();
        map.insert(RANGE, HeaderValue::from_static("bytes=0-1"));
        assert!(HeaderFields::from_map(map).contains_any(&names));
        assert!(!HeaderFields::default().contains_any(&names));
    }

    #[test]
    fn cleared_fields_keep_nothing_of_the_last_head() {
        let sources = [
            {
                let mut long = HeaderFields::unfilled();
                long.fill(&head_of(INLINE_HEAD + 1));
                long
            },
            {
                let mut short = HeaderFields::unfilled();
                short.fill(b"GET / HTTP/1.1\r\nHost: a\r\nX-Old: 1\r\n\r\n");
                short
            },
            with_authority(HeaderMap::new(), Authority::from_static("old.example")),
        ];
        for mut fields in sources {
            assert!(!fields.map().is_empty(), "the map was built");
            fields.clear();
            assert!(matches!(&fields.source, Source::Inline(bytes) if bytes.is_empty()));
            assert!(fields.map.get().is_none());
            fields.fill(b"GET / HTTP/1.1\r\nHost: new\r\n\r\n");
            assert_eq!(fields.map().len(), 1);
            assert_eq!(fields.map()[HOST], "new");
        }
    }

    /// Fields filled again (a reused head box's, without a `clear`) hold the new head only,
    /// inline if it fits, whatever they held before and whether their map was built or not.
    #[test]
    fn refilled_fields_keep_nothing_of_the_last_head() {
        let long = head_of(INLINE_HEAD + 1);
        let olds: [&dyn Fn() -> HeaderFields; 3] = [
            &|| {
                let mut fields = HeaderFields::unfilled();
                fields.fill(&long);
                fields
            },
            &|| {
                let mut fields = HeaderFields::unfilled();
                fields.fill(b"GET / HTTP/1.1\r\nHost: a\r\nX-Old: 1\r\n\r\n");
                fields
            },
            &|| with_authority(HeaderMap::new(), Authority::from_static("old.example")),
        ];
        let news: [&[u8]; 2] = [
            b"GET / HTTP/1.1\r\nHost: new\r\n\r\n",
            &head_of(INLINE_HEAD + 2),
        ];
        for old in olds {
            for new in news {
                for built in [false, true] {
                    let mut fields = old();
                    if built {
                        assert!(!fields.map().is_empty());
                    }
                    fields.fill(new);
                    let inline =
                        matches!(&fields.source, Source::Inline(bytes) if bytes[..] == *new);
                    let shared =
                        matches!(&fields.source, Source::Shared(bytes) if bytes[..] == *new);
                    assert!(if new.len() <= INLINE_HEAD {
                        inline
                    } else {
                        shared
                    });
                    assert!(fields.map.get().is_none());
                    assert!(fields.get("x-old").is_none());
                    assert_eq!(fields.get_all(HOST).iter().count(), 1);
                }
            }
        }
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
            match &fields.source {
                Source::Inline(bytes) => assert!(len <= INLINE_HEAD && bytes[..] == head[..]),
                Source::Shared(bytes) => assert!(len > INLINE_HEAD && bytes[..] == head[..]),
                Source::MapAndAuthority(_) => panic!("a head's bytes became a map"),
            }
            let map = fields.map();
            assert_eq!(map.get("host").unwrap(), "a");
            assert_eq!(map.get("x-pad").unwrap().len(), len - FIXED.len());
        }
    }

    #[test]
    fn an_authority_becomes_host_when_the_map_is_first_read() {
        let mut map = HeaderMap::new();
        map.insert("x-a", HeaderValue::from_static("1"));
        let fields = with_authority(map, Authority::from_static("a.example:8080"));
        let copy = fields.clone();
        assert!(format!("{fields:?}").contains("a.example:8080"));
        assert_eq!(fields.map()[HOST], "a.example:8080");
        assert_eq!(fields.map()["x-a"], "1");
        assert_eq!(fields.map().len(), 2);
        // A copy made before the first read has the same fields, and so does one made after.
        assert_eq!(copy.into_map(), *fields.map());
        assert_eq!(fields.clone().into_map()[HOST], "a.example:8080");
    }

    #[test]
    fn a_host_field_is_kept_over_the_authority() {
        let mut map = HeaderMap::new();
        map.insert(HOST, HeaderValue::from_static("b.example"));
        let fields = with_authority(map, Authority::from_static("a.example"));
        assert_eq!(
            fields.map().get_all(HOST).iter().collect::<Vec<_>>(),
            ["b.example"]
        );
    }
}
