//! Content type from a file name's extension.
//!
//! # Invariants
//!
//! * [`content_type`] always returns a valid `Content-Type` header value;
//!   unknown or missing extensions give [`DEFAULT_CONTENT_TYPE`], never a
//!   guess from the content (the service also sends
//!   `X-Content-Type-Options: nosniff`, so browsers will not sniff either).
//! * Textual types (`text/*`, JavaScript, JSON) carry `; charset=utf-8`, so
//!   browsers do not fall back to a legacy encoding; files served are
//!   assumed UTF-8 (or ASCII), as `python -m http.server` assumes.

use std::path::Path;

use http::HeaderValue;

/// Type for files whose extension is unknown: browsers download rather
/// than render them, the safe choice for arbitrary bytes.
pub const DEFAULT_CONTENT_TYPE: &str = "application/octet-stream";

/// Type of the generated directory listing.
pub const HTML_UTF8: &str = "text/html; charset=utf-8";

/// Type of a listing in JSON (JSON is UTF-8 by definition: RFC 8259 defines no charset).
pub const JSON_UTF8: &str = "application/json";

/// Non-`text/*` types that are text and get a charset parameter.
const TEXTUAL_APPLICATION_TYPES: &[&str] = &[
    "application/javascript",
    "application/json",
    "application/xml",
    "application/manifest+json",
    "image/svg+xml",
];

/// The type `mime_guess` knows for `path`'s extension, without parsing it (a static
/// string: no allocation), and whether it is text that gets a charset.
fn guess(path: &Path) -> Option<(&'static str, bool)> {
    let ext = path.extension()?.to_str()?;
    let essence = mime_guess::from_ext(ext).first_raw()?;
    let textual = essence.starts_with("text/") || TEXTUAL_APPLICATION_TYPES.contains(&essence);
    Some((essence, textual))
}

/// The content type string for `path` (only its extension is looked at).
pub fn content_type_str(path: &Path) -> String {
    match guess(path) {
        None => DEFAULT_CONTENT_TYPE.to_string(),
        Some((essence, true)) => format!("{essence}; charset=utf-8"),
        Some((essence, false)) => essence.to_string(),
    }
}

/// The `Content-Type` header value for `path` (a static value, not copied, for types
/// without a charset).
pub fn content_type(path: &Path) -> HeaderValue {
    match guess(path) {
        None => HeaderValue::from_static(DEFAULT_CONTENT_TYPE),
        Some((essence, false)) => HeaderValue::from_static(essence),
        Some((essence, true)) => HeaderValue::from_str(&format!("{essence}; charset=utf-8"))
            .unwrap_or(HeaderValue::from_static(DEFAULT_CONTENT_TYPE)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        let cases = [
            ("index.html", "text/html; charset=utf-8"),
            ("INDEX.HTM", "text/html; charset=utf-8"),
            ("style.css", "text/css; charset=utf-8"),
            ("notes.txt", "text/plain; charset=utf-8"),
            ("app.js", "text/javascript; charset=utf-8"),
            ("mod.mjs", "application/javascript; charset=utf-8"),
            ("data.json", "application/json; charset=utf-8"),
            ("logo.svg", "image/svg+xml; charset=utf-8"),
            ("photo.jpg", "image/jpeg"),
            ("pic.png", "image/png"),
            ("doc.pdf", "application/pdf"),
            ("module.wasm", "application/wasm"),
            ("archive.tar.gz", "application/gzip"),
            ("Makefile", DEFAULT_CONTENT_TYPE),
            ("blob.unknownext", DEFAULT_CONTENT_TYPE),
            ("dir/", DEFAULT_CONTENT_TYPE),
        ];
        for (name, want) in cases {
            assert_eq!(content_type_str(Path::new(name)), want, "{name}");
            assert_eq!(content_type(Path::new(name)), want, "{name}");
        }
    }
}
