//! Content codings of precompressed siblings, and `Accept-Encoding` negotiation.
//!
//! A file `app.js` may have siblings `app.js.br`, `app.js.zst` and `app.js.gz`, compressed
//! ahead of time (by a build step). [`preferences`] reads the client's `Accept-Encoding` and
//! returns the codings it accepts, best first; the service serves the first of them that has a
//! sibling (see [`super::precompressed`]), else the file itself.
//!
//! # Rules
//!
//! * q-values are honoured (RFC 9110 §12.5.3): a coding with `q=0` is refused; among the
//!   accepted ones a higher q wins, and equal q-values are broken by the server's order,
//!   [`Encoding::PREFERENCE`] (brotli, then zstd, then gzip: smallest output first).
//! * `*` gives its q-value to every coding the header does not name; `x-gzip` is `gzip`.
//!   Codings are case-insensitive.
//! * An element that cannot be parsed (a bad q-value) is ignored, as RFC 9110 allows.
//! * No `Accept-Encoding` at all means identity only (no coding is assumed, as RFC 9110
//!   permits, because old clients that omit it may not decode).
//! * Identity is always the fallback, even when the client sent `identity;q=0` and no
//!   sibling exists: the file is sent as it is rather than a 406, as nginx and most servers do.

use http::header::ACCEPT_ENCODING;
use http::HeaderMap;

/// A content coding the service serves from a precompressed sibling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Encoding {
    /// `br`, sibling `FILE.br`.
    Brotli,
    /// `zstd`, sibling `FILE.zst`.
    Zstd,
    /// `gzip`, sibling `FILE.gz`.
    Gzip,
}

impl Encoding {
    /// The server's order when q-values tie: the best compression ratio first.
    pub const PREFERENCE: [Encoding; 3] = [Encoding::Brotli, Encoding::Zstd, Encoding::Gzip];

    /// The token of `Content-Encoding` and `Accept-Encoding`.
    pub fn token(self) -> &'static str {
        match self {
            Encoding::Brotli => "br",
            Encoding::Zstd => "zstd",
            Encoding::Gzip => "gzip",
        }
    }

    /// The suffix of the sibling file, with its dot.
    pub fn extension(self) -> &'static str {
        match self {
            Encoding::Brotli => ".br",
            Encoding::Zstd => ".zst",
            Encoding::Gzip => ".gz",
        }
    }

    fn from_token(token: &str) -> Option<Encoding> {
        let token = token.to_ascii_lowercase();
        match token.as_str() {
            "br" => Some(Encoding::Brotli),
            "zstd" => Some(Encoding::Zstd),
            "gzip" | "x-gzip" => Some(Encoding::Gzip),
            _ => None,
        }
    }
}

/// A q-value in thousandths (`q=0.5` is 500), so it compares exactly.
type Quality = u16;

/// The codings accepted by the `Accept-Encoding` fields of `headers`, best first.
pub fn negotiate(headers: &HeaderMap) -> Vec<Encoding> {
    let values: Vec<&str> = headers
        .get_all(ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    if values.is_empty() {
        return Vec::new();
    }
    preferences(&values.join(","))
}

/// The codings an `Accept-Encoding` value accepts, best first (see the module rules).
///
/// ```
/// use corio_http::static_files::encoding::{preferences, Encoding};
/// assert_eq!(preferences("gzip, br;q=0.8"), [Encoding::Gzip, Encoding::Brotli]);
/// assert_eq!(preferences("*;q=0.5, gzip;q=0"), [Encoding::Brotli, Encoding::Zstd]);
/// assert!(preferences("identity").is_empty());
/// ```
pub fn preferences(accept_encoding: &str) -> Vec<Encoding> {
    let mut named: [Option<Quality>; 3] = [None; 3];
    let mut star: Option<Quality> = None;
    for element in accept_encoding.split(',') {
        let mut parts = element.split(';');
        let token = parts.next().unwrap_or("").trim();
        if token.is_empty() {
            continue;
        }
        let Some(q) = parse_params(parts) else {
            continue;
        };
        if token == "*" {
            star = Some(q);
        } else if let Some(encoding) = Encoding::from_token(token) {
            let slot = &mut named[index(encoding)];
            // The same coding named twice: the larger q counts.
            *slot = Some(slot.map_or(q, |old| old.max(q)));
        }
    }
    let mut accepted: Vec<(Encoding, Quality)> = Encoding::PREFERENCE
        .iter()
        .filter_map(|&e| {
            let q = named[index(e)].or(star)?;
            (q > 0).then_some((e, q))
        })
        .collect();
    // Stable: equal q-values keep the server's order.
    accepted.sort_by_key(|&(_, q)| std::cmp::Reverse(q));
    accepted.into_iter().map(|(e, _)| e).collect()
}

fn index(encoding: Encoding) -> usize {
    match encoding {
        Encoding::Brotli => 0,
        Encoding::Zstd => 1,
        Encoding::Gzip => 2,
    }
}

/// The q-value of an element's parameters (1 when absent), `None` when it is malformed.
fn parse_params<'a>(params: impl Iterator<Item = &'a str>) -> Option<Quality> {
    let mut q = 1000;
    for param in params {
        let (name, value) = param.split_once('=')?;
        if name.trim().eq_ignore_ascii_case("q") {
            q = parse_quality(value.trim())?;
        }
    }
    Some(q)
}

/// `qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )` in thousandths.
fn parse_quality(value: &str) -> Option<Quality> {
    let (int, frac) = value.split_once('.').unwrap_or((value, ""));
    if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let frac_value = frac
        .bytes()
        .chain(std::iter::repeat(b'0'))
        .take(3)
        .fold(0u16, |acc, b| acc * 10 + u16::from(b - b'0'));
    match int {
        "0" => Some(frac_value),
        "1" if frac_value == 0 => Some(1000),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Encoding::{Brotli as Br, Gzip as Gz, Zstd as Zs};

    #[test]
    fn preference_table() {
        let cases: &[(&str, &[Encoding])] = &[
            ("", &[]),
            ("identity", &[]),
            ("gzip", &[Gz]),
            ("x-gzip", &[Gz]),
            ("GZIP, BR", &[Br, Gz]),
            ("gzip, deflate, br, zstd", &[Br, Zs, Gz]),
            ("gzip;q=1.0, br;q=0.5", &[Gz, Br]),
            ("br;q=0.1, gzip;q=0.9, zstd;q=0.5", &[Gz, Zs, Br]),
            ("br;q=0, gzip", &[Gz]),
            ("br;q=0.000, gzip", &[Gz]),
            ("*", &[Br, Zs, Gz]),
            ("*;q=0.5, gzip", &[Gz, Br, Zs]),
            ("*;q=0", &[]),
            ("*, br;q=0", &[Zs, Gz]),
            ("gzip;q=2", &[]),
            ("gzip;q=0.5000, br", &[Br]),
            ("gzip;q=abc, br", &[Br]),
            ("gzip;q=1.001", &[]),
            ("gzip ; q=0.7 , br ; Q=0.8", &[Br, Gz]),
            ("gzip;level=9", &[Gz]),
            ("gzip;q", &[]),
            ("br;q=0, br;q=0.3", &[Br]),
            (",,, ,gzip", &[Gz]),
            ("compress, deflate", &[]),
        ];
        for (header, want) in cases {
            assert_eq!(preferences(header), *want, "{header:?}");
        }
    }

    #[test]
    fn negotiate_joins_fields() {
        let mut headers = HeaderMap::new();
        assert!(negotiate(&headers).is_empty());
        headers.append(ACCEPT_ENCODING, "gzip;q=0.5".parse().unwrap());
        headers.append(ACCEPT_ENCODING, "zstd".parse().unwrap());
        assert_eq!(negotiate(&headers), [Zs, Gz]);
    }

    #[test]
    fn tokens_and_extensions() {
        for e in Encoding::PREFERENCE {
            assert_eq!(Encoding::from_token(e.token()), Some(e));
            assert!(e.extension().starts_with('.'));
        }
    }
}
