//! Lexical request-path checks: raw request path → [`SafePath`], a list of
//! decoded segments that cannot leave the directory they are joined to.
//!
//! This is the pure half of path resolution; the filesystem half is
//! [`super::resolve`]. The input is the raw request path with the query
//! string and mount prefix already stripped. Every segment is
//! percent-decoded on its own, so an encoded `/` can never create a new
//! segment.
//!
//! # Invariants
//!
//! * Every segment of a [`SafePath`] is non-empty valid UTF-8 and contains no
//!   `/`, no `\`, no NUL, and is neither `.` nor `..`. Unless hidden files
//!   are allowed, no segment starts with `.`. Joining the segments under a
//!   directory therefore names a path lexically beneath it.
//!
//! # Status codes
//!
//! * **400** for input that is malformed: a path not starting with `/`,
//!   invalid percent-encoding (`%zz`, `%2`), a NUL byte (raw or `%00`),
//!   decoded bytes that are not UTF-8.
//! * **404** for anything that is, or could be, an attempt to leave the
//!   root or to reach something hidden: dot segments (`.`/`..`, raw or
//!   encoded in any mix such as `%2e%2e`, `.%2e`), a backslash (raw or
//!   `%5c`), an encoded slash (`%2f`), hidden dotfiles (by default), and
//!   (in [`super::resolve`]) a symlink leading outside the root. Answering
//!   404 rather than 403 does not tell the client that what it probed for
//!   exists.
//! * **414** for a path longer than [`MAX_PATH_BYTES`].
//!
//! Empty segments (`//`) are merged like nginx's `merge_slashes`, so
//! `//etc/passwd` is simply `etc/passwd` under the root, and URLs rebuilt
//! from a [`SafePath`] never start with `//` (no open redirect). Double
//! encoding is decoded once only: `%252e%252e` is the literal file name
//! `%2e%2e`.
//!
//! # Hidden files
//!
//! Dotfiles (`.git`, `.env`, `.htpasswd`) are refused with 404 by default,
//! because `corio serve .` in a project directory must not publish secrets;
//! `allow_hidden` opts in (`.` and `..` stay refused).

use std::fmt;
use std::path::PathBuf;

use http::StatusCode;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// Longest raw request path accepted; Linux's `PATH_MAX`, so nothing
/// longer could name a file anyway and parsing stays bounded.
pub const MAX_PATH_BYTES: usize = 4096;

/// Bytes percent-encoded in one path segment of a URL we generate
/// (`Location`, listing `href`s): everything except RFC 3986 unreserved
/// characters, so `#`, `?`, `%`, spaces, quotes and non-ASCII never leak.
pub const SEGMENT_ENCODE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Why a request path was refused before touching the filesystem.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathError {
    /// Malformed input (bad percent-encoding, NUL, not UTF-8, no leading
    /// `/`): answer 400.
    BadRequest(&'static str),
    /// Traversal attempt, dot segment, backslash, encoded slash or hidden
    /// file: answer 404 so probing reveals nothing.
    NotFound(&'static str),
    /// Longer than [`MAX_PATH_BYTES`]: answer 414.
    TooLong,
}

impl PathError {
    /// The HTTP status this error maps to.
    pub fn status(&self) -> StatusCode {
        match self {
            PathError::BadRequest(_) => StatusCode::BAD_REQUEST,
            PathError::NotFound(_) => StatusCode::NOT_FOUND,
            PathError::TooLong => StatusCode::URI_TOO_LONG,
        }
    }

    /// A short reason, for logs (never echo the path back to the client).
    pub fn reason(&self) -> &'static str {
        match self {
            PathError::BadRequest(r) | PathError::NotFound(r) => r,
            PathError::TooLong => "path too long",
        }
    }
}

impl fmt::Display for PathError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.reason(), self.status())
    }
}

impl std::error::Error for PathError {}

/// A request path that passed every lexical check; see the module
/// invariants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SafePath {
    segments: Vec<String>,
    trailing_slash: bool,
}

impl SafePath {
    /// Parses and checks a raw request path such as `/a/b%20c/`.
    ///
    /// The empty string (a request for exactly the mount prefix) is the
    /// root without a trailing slash. `allow_hidden` lets segments start
    /// with `.` (but never be `.` or `..`).
    pub fn parse(raw: &str, allow_hidden: bool) -> Result<SafePath, PathError> {
        if raw.len() > MAX_PATH_BYTES {
            return Err(PathError::TooLong);
        }
        if raw.is_empty() {
            return Ok(SafePath {
                segments: Vec::new(),
                trailing_slash: false,
            });
        }
        let Some(rest) = raw.strip_prefix('/') else {
            return Err(PathError::BadRequest("path does not start with /"));
        };
        if raw.contains('\\') {
            return Err(PathError::NotFound("backslash in path"));
        }
        let mut segments = Vec::new();
        for raw_seg in rest.split('/') {
            if raw_seg.is_empty() {
                continue;
            }
            segments.push(decode_segment(raw_seg, allow_hidden)?);
        }
        Ok(SafePath {
            segments,
            trailing_slash: raw.ends_with('/'),
        })
    }

    /// The decoded segments, root first.
    pub fn segments(&self) -> &[String] {
        &self.segments
    }

    /// Whether this is the root (no segments).
    pub fn is_root(&self) -> bool {
        self.segments.is_empty()
    }

    /// Whether the raw path ended in `/` (or was `/`).
    pub fn has_trailing_slash(&self) -> bool {
        self.trailing_slash
    }

    /// The path of `name` inside this directory (no trailing slash). `name` must be one
    /// segment that passed the same checks (the service only joins constant names such as
    /// `index.html`).
    pub fn join(&self, name: &str) -> SafePath {
        let mut segments = self.segments.clone();
        segments.push(name.to_owned());
        SafePath {
            segments,
            trailing_slash: false,
        }
    }

    /// The path with `suffix` appended to its last segment (`/a/b.js` → `/a/b.js.br`), for a
    /// precompressed sibling; `None` for the root. `suffix` must not contain `/`.
    pub fn with_suffix(&self, suffix: &str) -> Option<SafePath> {
        let mut segments = self.segments.clone();
        segments.last_mut()?.push_str(suffix);
        Some(SafePath {
            segments,
            trailing_slash: false,
        })
    }

    /// The segments joined as a relative filesystem path.
    pub fn to_relative_path(&self) -> PathBuf {
        self.segments.iter().collect()
    }

    /// The normalized, percent-encoded URL path (`/a/b%20c`), with a
    /// trailing `/` when `dir` is set. Built from the decoded segments, so
    /// it never starts with `//` (no open redirect via `//evil.example`).
    pub fn to_url_path(&self, dir: bool) -> String {
        let mut out = String::with_capacity(16 * self.segments.len() + 1);
        for seg in &self.segments {
            out.push('/');
            out.extend(utf8_percent_encode(seg, SEGMENT_ENCODE));
        }
        if dir || self.segments.is_empty() {
            out.push('/');
        }
        out
    }

    /// The decoded path for display (`/a/b c/`), not encoded: HTML-escape
    /// it before putting it in markup.
    pub fn to_display_path(&self) -> String {
        let mut out = String::new();
        for seg in &self.segments {
            out.push('/');
            out.push_str(seg);
        }
        out.push('/');
        out
    }
}

/// Strictly percent-decodes one raw segment and applies the segment rules.
fn decode_segment(raw: &str, allow_hidden: bool) -> Result<String, PathError> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%' {
            let digit = |at: usize| bytes.get(at).and_then(|&b| (b as char).to_digit(16));
            match (digit(i + 1), digit(i + 2)) {
                (Some(hi), Some(lo)) => out.push((hi << 4 | lo) as u8),
                _ => return Err(PathError::BadRequest("invalid percent-encoding")),
            }
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    if out.contains(&0) {
        return Err(PathError::BadRequest("NUL in path"));
    }
    if out.contains(&b'/') {
        return Err(PathError::NotFound("encoded slash in segment"));
    }
    if out.contains(&b'\\') {
        return Err(PathError::NotFound("encoded backslash in segment"));
    }
    let seg = String::from_utf8(out).map_err(|_| PathError::BadRequest("path is not UTF-8"))?;
    if seg == "." || seg == ".." {
        return Err(PathError::NotFound("dot segment"));
    }
    if !allow_hidden && seg.starts_with('.') {
        return Err(PathError::NotFound("hidden file"));
    }
    Ok(seg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_table() {
        use PathError::*;
        let cases: &[(&str, Result<&[&str], PathError>)] = &[
            ("/", Ok(&[])),
            ("", Ok(&[])),
            ("/a/b.txt", Ok(&["a", "b.txt"])),
            ("/a%20b/c", Ok(&["a b", "c"])),
            ("/caf%C3%A9", Ok(&["café"])),
            ("/café", Ok(&["café"])),
            ("//etc/passwd", Ok(&["etc", "passwd"])),
            ("/a//b/", Ok(&["a", "b"])),
            ("/%252e%252e", Ok(&["%2e%2e"])),
            ("/a..b/x...", Ok(&["a..b", "x..."])),
            ("/../etc/passwd", Err(NotFound("dot segment"))),
            ("/a/..", Err(NotFound("dot segment"))),
            ("/%2e%2e/", Err(NotFound("dot segment"))),
            ("/.%2e/x", Err(NotFound("dot segment"))),
            ("/%2E./x", Err(NotFound("dot segment"))),
            ("/./x", Err(NotFound("dot segment"))),
            ("/%2e/x", Err(NotFound("dot segment"))),
            ("/..%2f", Err(NotFound("encoded slash in segment"))),
            ("/%2e%2e%2fetc", Err(NotFound("encoded slash in segment"))),
            ("/a%2Fb", Err(NotFound("encoded slash in segment"))),
            ("/a/..%5c..", Err(NotFound("encoded backslash in segment"))),
            ("/a%5Cb", Err(NotFound("encoded backslash in segment"))),
            ("/a\\..\\b", Err(NotFound("backslash in path"))),
            ("/%00", Err(BadRequest("NUL in path"))),
            ("/a%00b", Err(BadRequest("NUL in path"))),
            ("/a\0b", Err(BadRequest("NUL in path"))),
            ("/%zz", Err(BadRequest("invalid percent-encoding"))),
            ("/a%2", Err(BadRequest("invalid percent-encoding"))),
            ("/a%", Err(BadRequest("invalid percent-encoding"))),
            ("/%ff%fe", Err(BadRequest("path is not UTF-8"))),
            ("a/b", Err(BadRequest("path does not start with /"))),
            ("/.git/config", Err(NotFound("hidden file"))),
            ("/%2egit", Err(NotFound("hidden file"))),
        ];
        for (raw, want) in cases {
            let got = SafePath::parse(raw, false);
            match (got, want) {
                (Ok(p), Ok(segs)) => assert_eq!(p.segments(), *segs, "{raw:?}"),
                (Err(e), Err(w)) => assert_eq!(e, *w, "{raw:?}"),
                (got, want) => panic!("{raw:?}: got {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn parse_hidden_allowed_and_status() {
        let p = SafePath::parse("/.well-known/x", true).unwrap();
        assert_eq!(p.segments(), [".well-known", "x"]);
        assert!(SafePath::parse("/..", true).is_err());
        assert_eq!(
            SafePath::parse("/%00", false).unwrap_err().status(),
            StatusCode::BAD_REQUEST
        );
        assert_eq!(
            SafePath::parse("/..", false).unwrap_err().status(),
            StatusCode::NOT_FOUND
        );
        let long = format!("/{}", "a".repeat(MAX_PATH_BYTES));
        assert_eq!(SafePath::parse(&long, false), Err(PathError::TooLong));
    }

    #[test]
    fn url_and_display_paths() {
        let cases = [
            ("/", false, "/", "/"),
            ("", false, "/", "/"),
            ("//evil.example", true, "/evil.example/", "/evil.example/"),
            ("/a%20b/c", true, "/a%20b/c/", "/a b/c/"),
            ("/x%23y%3Fz%25", false, "/x%23y%3Fz%25", "/x#y?z%/"),
            ("/caf%c3%a9", false, "/caf%C3%A9", "/café/"),
        ];
        for (raw, dir, url, display) in cases {
            let p = SafePath::parse(raw, false).unwrap();
            assert_eq!(p.to_url_path(dir), url, "{raw}");
            assert_eq!(p.to_display_path(), display, "{raw}");
        }
    }
}
