//! Request path → filesystem path resolution, with no path traversal.
//!
//! Two steps, kept apart so the first one is pure:
//!
//! 1. [`SafePath::parse`] (pure) turns the raw request path (query string
//!    and mount prefix already stripped) into a list of decoded segments.
//!    Every segment is percent-decoded on its own, so an encoded `/` can
//!    never create a new segment.
//! 2. [`resolve`] (filesystem I/O) joins the segments under the canonical
//!    root, canonicalizes the result and refuses anything whose canonical
//!    path is not inside the root.
//!
//! # Invariants
//!
//! * Every segment of a [`SafePath`] is non-empty valid UTF-8 and contains no
//!   `/`, no `\`, no NUL, and is neither `.` nor `..`. Unless hidden files
//!   are allowed, no segment starts with `.`. Joining the segments under a
//!   directory therefore names a path lexically beneath it.
//! * A [`Resolved`] path is canonical and (unless
//!   [`ResolveOptions::follow_symlinks_outside`] is set) starts with the
//!   canonical root; it names a regular file or a directory, never a FIFO,
//!   socket or device (opening a FIFO would block the server).
//!
//! # Status codes
//!
//! * **400** for input that is malformed: a path not starting with `/`,
//!   invalid percent-encoding (`%zz`, `%2`), a NUL byte (raw or `%00`),
//!   decoded bytes that are not UTF-8.
//! * **404** for anything that is, or could be, an attempt to leave the
//!   root or to reach something hidden: dot segments (`.`/`..`, raw or
//!   encoded in any mix such as `%2e%2e`, `.%2e`), a backslash (raw or
//!   `%5c`), an encoded slash (`%2f`), hidden dotfiles (by default), a
//!   symlink leading outside the root. Answering 404 rather than 403 does
//!   not tell the client that the thing it probed for exists.
//! * **414** for a path longer than [`MAX_PATH_BYTES`].
//!
//! Empty segments (`//`) are merged like nginx's `merge_slashes`, so
//! `//etc/passwd` is simply `etc/passwd` under the root. Double encoding is
//! decoded once only: `%252e%252e` is the literal file name `%2e%2e`.
//!
//! # Hidden files
//!
//! Dotfiles (`.git`, `.env`, `.htpasswd`) are refused with 404 by default,
//! both in the request path and as the target of a symlink inside the root,
//! because `corio serve .` in a project directory must not publish secrets.
//! [`ResolveOptions::allow_hidden`] opts in.
//!
//! # Known limit
//!
//! Canonicalizing and later opening are two steps: a local attacker who can
//! swap a directory for a symlink in between wins the race. [`open_verified`]
//! narrows it by opening with `O_NOFOLLOW` and checking that device and inode
//! still match what [`resolve`] saw.

use std::fmt;
use std::fs;
use std::io;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Component, Path, PathBuf};
use std::time::SystemTime;

use http::StatusCode;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// Longest raw request path accepted; Linux's `PATH_MAX`, so nothing
/// longer could name a file anyway and parsing stays bounded.
pub const MAX_PATH_BYTES: usize = 4096;

/// File served for a directory request when it exists, as in nginx and
/// `python -m http.server`.
pub const INDEX_FILE: &str = "index.html";

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

/// Value of one hex digit, if it is one.
fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
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
            let hi = bytes.get(i + 1).copied().and_then(hex_val);
            let lo = bytes.get(i + 2).copied().and_then(hex_val);
            match (hi, lo) {
                (Some(hi), Some(lo)) => out.push(hi << 4 | lo),
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

/// Options for [`resolve`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ResolveOptions {
    /// Serve symlinks whose canonical target lies outside the root
    /// (default `false`: refused with 404, like nginx `disable_symlinks`).
    pub follow_symlinks_outside: bool,
    /// Serve and list dotfiles (default `false`).
    pub allow_hidden: bool,
}

/// The metadata the rest of the service needs, taken from
/// [`std::fs::Metadata`] so the pure code never touches the filesystem.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileMeta {
    /// Size in bytes.
    pub len: u64,
    /// Modification time, if the platform reports one.
    pub modified: Option<SystemTime>,
    /// Inode number.
    pub ino: u64,
    /// Device number.
    pub dev: u64,
}

impl From<&fs::Metadata> for FileMeta {
    fn from(m: &fs::Metadata) -> FileMeta {
        FileMeta {
            len: m.len(),
            modified: m.modified().ok(),
            ino: m.ino(),
            dev: m.dev(),
        }
    }
}

/// What a request path resolved to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A regular file.
    File {
        /// Canonical path.
        path: PathBuf,
        /// Its metadata.
        meta: FileMeta,
    },
    /// A directory.
    Directory {
        /// Canonical path of the directory.
        path: PathBuf,
        /// Its [`INDEX_FILE`] when that is a regular file inside the root.
        index: Option<(PathBuf, FileMeta)>,
    },
}

/// Result of a successful [`resolve`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// The file or directory found.
    pub target: Target,
    /// The request named a directory without a trailing `/`: the server
    /// should redirect to [`SafePath::to_url_path`]`(true)`.
    pub needs_slash_redirect: bool,
}

/// Why [`resolve`] refused or failed.
#[derive(Debug)]
pub enum ResolveError {
    /// Nothing there, or something that must look like nothing (outside the
    /// root, hidden, not a regular file or directory): 404.
    NotFound,
    /// The OS denied access: 403.
    Forbidden,
    /// Any other I/O error: 500.
    Io(io::Error),
}

impl ResolveError {
    /// The HTTP status this error maps to.
    pub fn status(&self) -> StatusCode {
        match self {
            ResolveError::NotFound => StatusCode::NOT_FOUND,
            ResolveError::Forbidden => StatusCode::FORBIDDEN,
            ResolveError::Io(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn from_io(e: io::Error) -> ResolveError {
        match e.kind() {
            io::ErrorKind::NotFound => ResolveError::NotFound,
            io::ErrorKind::PermissionDenied => ResolveError::Forbidden,
            // ENOTDIR (`/file.txt/x`), ENAMETOOLONG, ELOOP: nothing there.
            _ => match e.raw_os_error() {
                Some(code)
                    if code == rustix::io::Errno::NOTDIR.raw_os_error()
                        || code == rustix::io::Errno::NAMETOOLONG.raw_os_error()
                        || code == rustix::io::Errno::LOOP.raw_os_error() =>
                {
                    ResolveError::NotFound
                }
                _ => ResolveError::Io(e),
            },
        }
    }
}

impl fmt::Display for ResolveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ResolveError::NotFound => f.write_str("not found"),
            ResolveError::Forbidden => f.write_str("forbidden"),
            ResolveError::Io(e) => write!(f, "i/o error: {e}"),
        }
    }
}

impl std::error::Error for ResolveError {}

/// Canonicalizes the configured root; call once at startup and pass the
/// result to [`resolve`].
pub fn canonical_root(root: &Path) -> io::Result<PathBuf> {
    let root = fs::canonicalize(root)?;
    if !fs::metadata(&root)?.is_dir() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "root is not a directory",
        ));
    }
    Ok(root)
}

/// Whether a canonical path may be served from the canonical root.
fn allowed(root: &Path, canonical: &Path, opts: ResolveOptions) -> bool {
    match canonical.strip_prefix(root) {
        Ok(rel) => {
            opts.allow_hidden
                || rel.components().all(|c| match c {
                    Component::Normal(s) => !s.as_encoded_bytes().starts_with(b"."),
                    _ => false,
                })
        }
        Err(_) => opts.follow_symlinks_outside,
    }
}

/// Canonicalizes `path` and returns it with its metadata if allowed.
fn lookup(
    root: &Path,
    path: &Path,
    opts: ResolveOptions,
) -> Result<(PathBuf, fs::Metadata), ResolveError> {
    let canonical = fs::canonicalize(path).map_err(ResolveError::from_io)?;
    if !allowed(root, &canonical, opts) {
        return Err(ResolveError::NotFound);
    }
    let meta = fs::metadata(&canonical).map_err(ResolveError::from_io)?;
    Ok((canonical, meta))
}

/// Filesystem step: finds `rel` under the canonical `root` (from
/// [`canonical_root`]) and checks the canonical result stays inside it.
pub fn resolve(
    root: &Path,
    rel: &SafePath,
    opts: ResolveOptions,
) -> Result<Resolved, ResolveError> {
    let (path, meta) = lookup(root, &root.join(rel.to_relative_path()), opts)?;
    if meta.is_file() {
        if rel.has_trailing_slash() && !rel.is_root() {
            // `/file.txt/` names a directory that does not exist.
            return Err(ResolveError::NotFound);
        }
        return Ok(Resolved {
            target: Target::File {
                path,
                meta: FileMeta::from(&meta),
            },
            needs_slash_redirect: false,
        });
    }
    if !meta.is_dir() {
        return Err(ResolveError::NotFound);
    }
    let index = match lookup(root, &path.join(INDEX_FILE), opts) {
        Ok((p, m)) if m.is_file() => Some((p, FileMeta::from(&m))),
        Ok(_) | Err(ResolveError::NotFound) | Err(ResolveError::Forbidden) => None,
        Err(e) => return Err(e),
    };
    Ok(Resolved {
        target: Target::Directory { path, index },
        needs_slash_redirect: !rel.has_trailing_slash(),
    })
}

/// Opens a resolved file without following a final symlink and checks it
/// is still the file [`resolve`] saw (same device and inode), narrowing the
/// race between resolving and opening.
pub fn open_verified(path: &Path, expected: &FileMeta) -> io::Result<(fs::File, FileMeta)> {
    let flags = rustix::fs::OFlags::NOFOLLOW | rustix::fs::OFlags::NONBLOCK;
    let file = fs::OpenOptions::new()
        .read(true)
        .custom_flags(flags.bits() as i32)
        .open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() || meta.ino() != expected.ino || meta.dev() != expected.dev {
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            "file changed between resolve and open",
        ));
    }
    Ok((file, FileMeta::from(&meta)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;
    use std::sync::atomic::{AtomicU32, Ordering};

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

    /// A fresh directory under the system temp dir, removed on drop.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new(tag: &str) -> TempDir {
            static N: AtomicU32 = AtomicU32::new(0);
            let n = N.fetch_add(1, Ordering::Relaxed);
            let nanos = SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0);
            let dir = std::env::temp_dir().join(format!(
                "corio-static-{tag}-{}-{n}-{nanos}",
                std::process::id()
            ));
            fs::create_dir_all(&dir).unwrap();
            TempDir(dir)
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    /// Layout: `base/root/{a.txt, sub/index.html, empty/, .secret,
    /// in_link -> a.txt, out_link -> ../outside.txt, out_dir -> ..,
    /// hid_link -> .secret, fifo}` and `base/outside.txt`.
    fn fixture(tag: &str) -> (TempDir, PathBuf) {
        let t = TempDir::new(tag);
        let root = t.0.join("root");
        fs::create_dir_all(root.join("sub")).unwrap();
        fs::create_dir_all(root.join("empty")).unwrap();
        fs::write(root.join("a.txt"), b"hello").unwrap();
        fs::write(root.join("sub/index.html"), b"<p>hi</p>").unwrap();
        fs::write(root.join(".secret"), b"s").unwrap();
        fs::write(t.0.join("outside.txt"), b"outside").unwrap();
        symlink("a.txt", root.join("in_link")).unwrap();
        symlink("../outside.txt", root.join("out_link")).unwrap();
        symlink("..", root.join("out_dir")).unwrap();
        symlink(".secret", root.join("hid_link")).unwrap();
        let _ = rustix::fs::mknodat(
            rustix::fs::CWD,
            root.join("fifo"),
            rustix::fs::FileType::Fifo,
            rustix::fs::Mode::from_raw_mode(0o600),
            0,
        );
        let root = canonical_root(&root).unwrap();
        (t, root)
    }

    /// Compact outcome for table rows: "file:<name>", "dir", "dir+index",
    /// "redirect", or the status code.
    fn outcome(root: &Path, raw: &str, opts: ResolveOptions) -> String {
        let safe = match SafePath::parse(raw, opts.allow_hidden) {
            Ok(p) => p,
            Err(e) => return e.status().as_u16().to_string(),
        };
        match resolve(root, &safe, opts) {
            Ok(r) if r.needs_slash_redirect => "redirect".into(),
            Ok(Resolved {
                target: Target::File { path, .. },
                ..
            }) => {
                assert!(path.starts_with(root) || opts.follow_symlinks_outside);
                format!("file:{}", path.file_name().unwrap().to_string_lossy())
            }
            Ok(Resolved {
                target: Target::Directory { index, .. },
                ..
            }) => if index.is_some() { "dir+index" } else { "dir" }.into(),
            Err(e) => e.status().as_u16().to_string(),
        }
    }

    #[test]
    fn resolve_table() {
        let (_t, root) = fixture("resolve");
        let strict = ResolveOptions::default();
        let loose = ResolveOptions {
            follow_symlinks_outside: true,
            allow_hidden: true,
        };
        let cases = [
            ("/a.txt", strict, "file:a.txt"),
            ("/a.txt/", strict, "404"),
            ("/a.txt/x", strict, "404"),
            ("/missing", strict, "404"),
            ("/", strict, "dir"),
            ("/sub", strict, "redirect"),
            ("/sub/", strict, "dir+index"),
            ("/empty/", strict, "dir"),
            ("/in_link", strict, "file:a.txt"),
            ("/out_link", strict, "404"),
            ("/out_link", loose, "file:outside.txt"),
            ("/out_dir/", strict, "404"),
            ("/out_dir/outside.txt", strict, "404"),
            ("/out_dir/root/a.txt", strict, "file:a.txt"),
            ("/.secret", strict, "404"),
            ("/.secret", loose, "file:.secret"),
            ("/hid_link", strict, "404"),
            ("/hid_link", loose, "file:.secret"),
            ("/fifo", strict, "404"),
            ("/../outside.txt", strict, "404"),
            ("/%2e%2e/outside.txt", loose, "404"),
            ("/%252e%252e", strict, "404"),
            ("//etc/passwd", strict, "404"),
        ];
        for (raw, opts, want) in cases {
            assert_eq!(outcome(&root, raw, opts), want, "{raw} {opts:?}");
        }
    }

    #[test]
    fn double_encoded_is_literal_name() {
        let (_t, root) = fixture("literal");
        fs::write(root.join("%2e%2e"), b"x").unwrap();
        let got = outcome(&root, "/%252e%252e", ResolveOptions::default());
        assert_eq!(got, "file:%2e%2e");
    }

    #[test]
    fn index_symlink_outside_is_ignored() {
        let (t, root) = fixture("index");
        fs::create_dir(root.join("d")).unwrap();
        fs::write(t.0.join("evil.html"), b"x").unwrap();
        symlink("../../evil.html", root.join("d/index.html")).unwrap();
        let got = outcome(&root, "/d/", ResolveOptions::default());
        assert_eq!(got, "dir");
    }

    #[test]
    fn open_verified_checks_identity() {
        let (_t, root) = fixture("open");
        let safe = SafePath::parse("/a.txt", false).unwrap();
        let Target::File { path, meta } = resolve(&root, &safe, Default::default()).unwrap().target
        else {
            panic!("not a file");
        };
        assert!(open_verified(&path, &meta).is_ok());
        let other = FileMeta {
            ino: meta.ino.wrapping_add(1),
            ..meta
        };
        assert!(open_verified(&path, &other).is_err());
        assert!(open_verified(&root.join("in_link"), &meta).is_err());
    }
}
