//! Connection persistence (RFC 9112 §9.3) computed from `Connection` headers.
//!
//! Invariants: `Connection` is a comma-separated list of case-insensitive
//! tokens, possibly spread over several header lines; `close` always wins over
//! `keep-alive`; HTTP/1.1 persists unless told `close`, HTTP/1.0 only when told
//! `keep-alive`.

use http::header::HeaderMap;

use super::fields::Fields;

use super::version::Version;

/// Whether any `name` header's comma list contains `token` (ASCII case-insensitive).
pub(crate) fn list_contains<F: Fields + ?Sized>(
    fields: &F,
    name: &'static str,
    token: &str,
) -> bool {
    fields.values(name).any(|v| {
        v.split(|&b| b == b',')
            .any(|t| t.trim_ascii().eq_ignore_ascii_case(token.as_bytes()))
    })
}

/// Whether the connection persists after a message with these headers.
pub fn keep_alive(version: Version, headers: &HeaderMap) -> bool {
    keep_alive_of(version, headers)
}

/// [`keep_alive`] over any field source.
pub(crate) fn keep_alive_of<F: Fields + ?Sized>(version: Version, fields: &F) -> bool {
    if !fields.contains("connection") {
        return version == Version::Http11;
    }
    if list_contains(fields, "connection", "close") {
        return false;
    }
    version == Version::Http11 || list_contains(fields, "connection", "keep-alive")
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::header::CONNECTION;
    use http::HeaderValue;

    #[test]
    fn table() {
        use Version::*;
        let cases: &[(Version, &[&str], bool)] = &[
            (Http11, &[], true),
            (Http10, &[], false),
            (Http11, &["close"], false),
            (Http11, &["Close"], false),
            (Http11, &["keep-alive, CLOSE"], false),
            (Http11, &["upgrade", "close"], false),
            (Http11, &["keep-alive"], true),
            (Http11, &["upgrade"], true),
            (Http10, &["keep-alive"], true),
            (Http10, &["Keep-Alive"], true),
            (Http10, &["foo,  keep-alive "], true),
            (Http10, &["keep-alive", "close"], false),
            (Http10, &["keep-alivex"], false),
        ];
        for (v, values, want) in cases {
            let mut h = HeaderMap::new();
            for val in *values {
                h.append(CONNECTION, HeaderValue::from_str(val).unwrap());
            }
            assert_eq!(keep_alive(*v, &h), *want, "{v:?} {values:?}");
        }
    }
}
