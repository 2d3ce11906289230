//! [`HeadCache`]: a connection's last response head, so that the same head again is framed
//! by one comparison instead of a parse.
//!
//! A load generator reads the same response over and over: nginx's heads differ only when
//! its `Date` changes (once a second), and parsing each head in full was half of
//! `corio bench`'s instructions per request. The cache keeps the bytes of the last head
//! parsed and what [`parse_response_status`] made of them.
//!
//! Invariants:
//! - a hit is exact: the unread bytes start with the cached head, byte for byte. A head's
//!   parse depends only on its own bytes (it ends at its first empty line) and on the request
//!   method, which is the same for the whole run, so a hit gives exactly what parsing would;
//! - anything else is parsed in full, with every check, and replaces the cached head;
//! - heads longer than [`MAX_CACHED_HEAD`] are not kept, which bounds the memory per
//!   connection; the kept bytes reuse one buffer, so nothing is allocated once it is grown.

use corio_http::proto::{parse_response_status, Limits, ProtoError, ResponseStatus};
use http::Method;

/// The longest head kept: 4 KiB holds any ordinary response head, and keeps the cache of
/// 1,024 connections within 4 MiB.
pub const MAX_CACHED_HEAD: usize = 4096;

/// The last response head of a connection and its parse. See the module docs.
#[derive(Debug, Default)]
pub struct HeadCache {
    bytes: Vec<u8>,
    parsed: Option<ResponseStatus>,
}

impl HeadCache {
    /// Parses the head at the start of `buf` as [`parse_response_status`] does (the same
    /// result, the same consumed length), by comparison when it is the cached head.
    #[inline]
    pub fn parse(
        &mut self,
        buf: &[u8],
        limits: &Limits,
        method: &Method,
    ) -> Result<Option<(ResponseStatus, usize)>, ProtoError> {
        if let Some(parsed) = self.parsed {
            if buf.starts_with(&self.bytes) {
                return Ok(Some((parsed, self.bytes.len())));
            }
        }
        let Some((parsed, used)) = parse_response_status(buf, limits, method)? else {
            return Ok(None);
        };
        self.bytes.clear();
        if used <= MAX_CACHED_HEAD {
            self.bytes.extend_from_slice(&buf[..used]);
            self.parsed = Some(parsed);
        } else {
            self.parsed = None;
        }
        Ok(Some((parsed, used)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use corio_http::proto::BodyFraming;

    fn parse(cache: &mut HeadCache, wire: &[u8]) -> Result<Option<(u16, usize)>, ProtoError> {
        let parsed = cache.parse(wire, &Limits::default(), &Method::GET)?;
        Ok(parsed.map(|(head, used)| (head.status.as_u16(), used)))
    }

    #[test]
    fn same_results_as_a_full_parse() {
        let heads: [&[u8]; 6] = [
            b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok",
            b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok",
            b"HTTP/1.1 200 OK\r\ncontent-length: 3\r\n\r\nabc",
            b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\ncontent-length: 3\r\n\r\nxx",
            b"HTTP/1.1 200 OK\r\ncontent-len",
            b"HTTP/1.1 204 No Content\r\n\r\n",
        ];
        let mut cache = HeadCache::default();
        for wire in heads {
            let want = parse_response_status(wire, &Limits::default(), &Method::GET);
            let got = cache.parse(wire, &Limits::default(), &Method::GET);
            assert_eq!(got, want, "{:?}", String::from_utf8_lossy(wire));
        }
    }

    #[test]
    fn a_hit_needs_the_whole_head() {
        let mut cache = HeadCache::default();
        let wire = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n";
        assert_eq!(parse(&mut cache, wire), Ok(Some((200, wire.len()))));
        // A prefix of the cached head is incomplete, not a hit.
        assert_eq!(parse(&mut cache, &wire[..20]), Ok(None));
        // The cached head is still there after the miss.
        assert_eq!(parse(&mut cache, wire), Ok(Some((200, wire.len()))));
        let head = cache.parse(wire, &Limits::default(), &Method::GET);
        assert_eq!(head.unwrap().unwrap().0.body, BodyFraming::Length(2));
    }

    #[test]
    fn long_heads_are_not_kept() {
        let mut cache = HeadCache::default();
        let long = format!(
            "HTTP/1.1 200 OK\r\nx-pad: {}\r\n\r\n",
            "a".repeat(MAX_CACHED_HEAD)
        );
        assert!(parse(&mut cache, long.as_bytes()).unwrap().is_some());
        assert!(cache.parsed.is_none() && cache.bytes.is_empty());
    }
}
