//! Filesystem half of path resolution: a [`SafePath`] joined under the
//! canonical root, canonicalized, and refused unless it stays inside.
//!
//! The only I/O here is `canonicalize`, `metadata` and (in
//! [`open_verified`]) `open`; everything else in the static-file service
//! is pure.
//!
//! # Invariants
//!
//! * A [`Resolved`] path is canonical and (unless
//!   [`ResolveOptions::follow_symlinks_outside`] is set) starts with the
//!   canonical root, so a symlink inside the root that leads outside is
//!   refused with 404 (one leading back inside is fine).
//! * Unless [`ResolveOptions::allow_hidden`] is set, no component of the
//!   canonical path below the root starts with `.`, so a symlink cannot
//!   expose `.git` either.
//! * A [`Resolved`] target is a regular file or a directory, never a FIFO,
//!   socket or device (opening a FIFO would block the server).
//! * A directory's [`INDEX_FILE`] is checked by the same rules as the
//!   request path itself.
//!
//! # Known limit
//!
//! Canonicalizing and later opening are two steps: a local attacker who can
//! swap a directory for a symlink in between wins the race. [`open_verified`]
//! narrows it by opening with `O_NOFOLLOW` and checking that device and inode
//! still match what [`resolve`] saw; `openat2(RESOLVE_BENEATH)` would close
//! it.

use std::fmt;
use std::fs;
use std::io;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Component, Path, PathBuf};
use std::time::SystemTime;

use http::StatusCode;

use super::path::SafePath;

/// File served for a directory request when it exists, as in nginx and
/// `python -m http.server`.
pub const INDEX_FILE: &str = "index.html";

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
