//! Filesystem half of path resolution: a [`SafePath`] opened beneath the
//! [`Root`] directory and refused unless it stays inside.
//!
//! The I/O here is `openat2` and `fstat` (fast path), or `canonicalize`,
//! `metadata`, `open` and `fstat` (fallback); everything else in the
//! static-file service is pure. The file a request resolves to is opened
//! here, once, and carried to the response as an [`OpenFile`].
//!
//! # Fast path
//!
//! One `openat2(root_fd, rel, O_RDONLY | O_NONBLOCK | O_NOCTTY,
//! RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS)` relative to
//! the root directory opened once by [`Root::open`], then one `fstat`: the
//! kernel resolves every component without leaving the root and without
//! following any symlink, so the result is the lexical path under the
//! canonical root and the lexical dotfile rule of [`SafePath::parse`] is the
//! whole hidden-file check. A directory's [`INDEX_FILE`] is opened the same
//! way relative to the directory's descriptor.
//!
//! A regular file (up to [`super::open_cache::FILE_MAX`]) the fast path opens
//! for a path without a trailing slash is kept in the root's [`OpenCache`]; the next request for that path uses it
//! after one `statx` per component finds it unchanged (see
//! [`super::open_cache`] for why a hit never serves what this path would
//! refuse). Nothing else is cached: directories, index files and anything
//! the fallback opened are resolved afresh every time.
//!
//! # Fallback
//!
//! When `openat2` fails because the path holds a symlink (`ELOOP`), or the
//! kernel lacks it (`ENOSYS`, remembered in the [`Root`]; `EPERM` from a
//! seccomp filter), the path is canonicalized under the canonical root as
//! before, checked by the rules below, and opened with [`open_verified`].
//! Symlinks are rare in served trees, so this keeps every symlink rule of the
//! canonical path without costing the common case anything.
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
//!   socket or device (the fast path opens with `O_NONBLOCK`, so opening a
//!   FIFO cannot block, and refuses it after `fstat`; `O_NOCTTY` keeps a
//!   terminal from becoming the server's controlling terminal).
//! * The [`OpenFile`] of a [`Target`] is the file described by its
//!   [`FileMeta`] (taken with `fstat` on that descriptor).
//! * A directory's [`INDEX_FILE`] is checked by the same rules as the
//!   request path itself.
//!
//! # Known limit
//!
//! On the fallback path, canonicalizing and opening are two steps: a local
//! attacker who can swap a directory for a symlink in between wins the race.
//! [`open_verified`] narrows it by opening with `O_NOFOLLOW` and checking that
//! device and inode still match what `canonicalize` and `metadata` saw. The
//! fast path has no such window.

use std::fmt;
use std::fs;
use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::SystemTime;

use bytes::Bytes;
use http::StatusCode;
use rustix::fs::{Mode, OFlags, ResolveFlags};
use rustix::io::Errno;

use super::file_headers::FileHeaders;
use super::open_cache::OpenCache;
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

/// A file opened by [`resolve`], shared cheaply so [`Target`] and the plan
/// keep their derives (and the [`OpenCache`] can hold it). Two `OpenFile`s
/// are equal when they are the same open file (pointer equality), not when
/// they name the same path.
#[derive(Clone)]
pub struct OpenFile(Arc<Shared>);

/// What the handles of one [`OpenFile`] share.
struct Shared {
    file: fs::File,
    /// The whole file's bytes, once the [`OpenCache`] keeps them (small files).
    content: OnceLock<Bytes>,
    /// Its response header values, built by the first request that serves it.
    headers: OnceLock<Arc<FileHeaders>>,
}

impl OpenFile {
    /// Wraps an open file.
    pub fn new(file: fs::File) -> OpenFile {
        OpenFile(Arc::new(Shared {
            file,
            content: OnceLock::new(),
            headers: OnceLock::new(),
        }))
    }

    /// The same open file, carrying `content` (unless it already carries
    /// bytes), which must be its whole bytes as of the metadata it is served
    /// with; every handle of it sees them.
    pub fn with_content(self, content: Bytes) -> OpenFile {
        let _ = self.0.content.set(content);
        self
    }

    /// The open file (for positional reads: `FileExt::read_exact_at`).
    pub fn file(&self) -> &fs::File {
        &self.0.file
    }

    /// The file's bytes, when kept in memory by the [`OpenCache`]: read these
    /// instead of the descriptor.
    pub fn content(&self) -> Option<&Bytes> {
        self.0.content.get()
    }

    /// The response header values of this file as served from `path` with `meta` (see
    /// [`super::file_headers`]): built on the first call, shared by every handle after. The
    /// callers keep to what makes that true: an open file is served under one path, with the
    /// metadata it was opened with.
    pub fn headers(&self, path: &Path, meta: &FileMeta) -> Arc<FileHeaders> {
        Arc::clone(
            self.0
                .headers
                .get_or_init(|| Arc::new(FileHeaders::new(path, meta))),
        )
    }

    /// The file itself when this is the only handle (the usual case: the
    /// plan owns it), else a duplicate descriptor (`dup`; a file from the
    /// [`OpenCache`]).
    pub fn into_file(self) -> io::Result<fs::File> {
        match Arc::try_unwrap(self.0) {
            Ok(shared) => Ok(shared.file),
            Err(shared) => shared.file.try_clone(),
        }
    }
}

impl fmt::Debug for OpenFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpenFile")
            .field("fd", &self.0.file.as_raw_fd())
            .field("content", &self.content().map(Bytes::len))
            .finish()
    }
}

impl PartialEq for OpenFile {
    fn eq(&self, other: &OpenFile) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for OpenFile {}

/// What a request path resolved to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A regular file.
    File {
        /// Canonical path (for the content type and error messages).
        path: PathBuf,
        /// Its metadata, from `fstat` on `file`.
        meta: FileMeta,
        /// The file, open for reading.
        file: OpenFile,
    },
    /// A directory.
    Directory {
        /// Canonical path of the directory (for error messages and links).
        path: PathBuf,
        /// The directory, open for reading: a listing reads its entries
        /// from this descriptor, never from `path` again.
        dir: OpenFile,
        /// Its [`INDEX_FILE`] when that is a regular file inside the root,
        /// with its metadata and the open file. Only looked up when no
        /// slash redirect is needed.
        index: Option<(PathBuf, FileMeta, OpenFile)>,
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
    /// The server may not read it (`EACCES`, `EPERM`): 403, as nginx
    /// answers; the handler logs the reason.
    Forbidden(io::Error),
    /// Any other I/O error: 500.
    Io(io::Error),
}

impl ResolveError {
    /// The HTTP status this error maps to.
    pub fn status(&self) -> StatusCode {
        match self {
            ResolveError::NotFound => StatusCode::NOT_FOUND,
            ResolveError::Forbidden(_) => StatusCode::FORBIDDEN,
            ResolveError::Io(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The error for a failed system call: missing → 404, not permitted → 403, the rest 500.
    pub(crate) fn from_io(e: io::Error) -> ResolveError {
        match e.kind() {
            io::ErrorKind::NotFound => ResolveError::NotFound,
            // A file or directory the server may not read: 403 as in nginx (the handler logs
            // the reason, so the operator sees the misconfiguration).
            io::ErrorKind::PermissionDenied => ResolveError::Forbidden(e),
            // ENOTDIR (`/file.txt/x`), ENAMETOOLONG, ELOOP: nothing there.
            _ => match e.raw_os_error() {
                Some(code)
                    if code == Errno::NOTDIR.raw_os_error()
                        || code == Errno::NAMETOOLONG.raw_os_error()
                        || code == Errno::LOOP.raw_os_error() =>
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
            ResolveError::Forbidden(e) => write!(f, "forbidden: {e}"),
            ResolveError::Io(e) => write!(f, "i/o error: {e}"),
        }
    }
}

impl std::error::Error for ResolveError {}

/// Canonicalizes the configured root (and checks it is a directory).
/// [`Root::open`] calls it.
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

/// The served directory: its canonical path and a descriptor opened once,
/// which every request resolves beneath. Open it at startup and share it.
#[derive(Debug)]
pub struct Root {
    path: PathBuf,
    dir: fs::File,
    /// Cleared when `openat2` turns out to be missing, so an old kernel
    /// pays for the failed call once, not per request.
    openat2: AtomicBool,
    /// Files the fast path opened, revalidated on every hit.
    cache: OpenCache,
}

impl Root {
    /// Canonicalizes `root` and opens it.
    pub fn open(root: &Path) -> io::Result<Root> {
        let path = canonical_root(root)?;
        let dir = fs::OpenOptions::new()
            .read(true)
            .custom_flags((OFlags::DIRECTORY | OFlags::NOFOLLOW).bits() as i32)
            .open(&path)?;
        Ok(Root {
            path,
            dir,
            openat2: AtomicBool::new(true),
            cache: OpenCache::default(),
        })
    }

    /// The canonical root path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The open-file cache: descriptors held and bytes kept.
    pub fn cache_usage(&self) -> (usize, usize) {
        self.cache.usage()
    }
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

/// Fallback lookup: canonicalizes `path` and returns it with its metadata
/// if allowed.
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

/// Fallback lookup of a regular file, opened and verified.
fn lookup_file(
    root: &Path,
    path: &Path,
    opts: ResolveOptions,
) -> Result<(PathBuf, FileMeta, OpenFile), ResolveError> {
    let (canonical, meta) = lookup(root, path, opts)?;
    if !meta.is_file() {
        return Err(ResolveError::NotFound);
    }
    let (file, meta) =
        open_verified(&canonical, &FileMeta::from(&meta)).map_err(ResolveError::from_io)?;
    Ok((canonical, meta, OpenFile::new(file)))
}

/// Outcome of one `openat2` attempt.
enum Fast {
    /// Opened, with the descriptor's metadata.
    Opened(fs::File, fs::Metadata),
    /// Answer from the error (missing, forbidden...).
    Failed(ResolveError),
    /// Take the canonicalizing path (a symlink on the way, or no `openat2`).
    Fallback,
}

/// `openat2` of `rel` beneath `dir` without following any symlink, then
/// `fstat`.
fn open_beneath(root: &Root, dir: &fs::File, rel: &Path) -> Fast {
    if !root.openat2.load(Ordering::Relaxed) {
        return Fast::Fallback;
    }
    let opened = rustix::fs::openat2(
        dir,
        rel,
        OFlags::RDONLY | OFlags::CLOEXEC | OFlags::NONBLOCK | OFlags::NOCTTY,
        Mode::empty(),
        ResolveFlags::BENEATH | ResolveFlags::NO_SYMLINKS | ResolveFlags::NO_MAGICLINKS,
    );
    let fd = match opened {
        Ok(fd) => fd,
        Err(Errno::NOSYS) => {
            root.openat2.store(false, Ordering::Relaxed);
            return Fast::Fallback;
        }
        // ELOOP: a symlink (NO_SYMLINKS); EXDEV, EAGAIN: BENEATH could not
        // vouch for the walk; EPERM: a seccomp filter refusing openat2.
        Err(Errno::LOOP | Errno::XDEV | Errno::AGAIN | Errno::PERM) => return Fast::Fallback,
        Err(e) => return Fast::Failed(ResolveError::from_io(e.into())),
    };
    let file = fs::File::from(fd);
    match file.metadata() {
        Ok(meta) => Fast::Opened(file, meta),
        Err(e) => Fast::Failed(ResolveError::from_io(e)),
    }
}

/// Filesystem step: finds `rel` beneath `root`, opens it and checks the
/// result stays inside (see the module docs for the fast path and the
/// fallback).
pub fn resolve(
    root: &Root,
    rel: &SafePath,
    opts: ResolveOptions,
) -> Result<Resolved, ResolveError> {
    let rel_path = rel.to_relative_path();
    // Only files requested without a trailing slash are cached, and only by the fast path.
    let cacheable =
        !rel.is_root() && !rel.has_trailing_slash() && root.openat2.load(Ordering::Relaxed);
    if cacheable {
        if let Some((meta, file)) = root.cache.get(&root.dir, &rel_path) {
            return Ok(Resolved {
                target: Target::File {
                    path: root.path.join(&rel_path),
                    meta,
                    file,
                },
                needs_slash_redirect: false,
            });
        }
    }
    let lexical = if rel.is_root() {
        Path::new(".")
    } else {
        rel_path.as_path()
    };
    match open_beneath(root, &root.dir, lexical) {
        Fast::Opened(file, meta) => {
            // No symlink on the way: the lexical path is the canonical one.
            let path = root.path.join(&rel_path);
            if cacheable && meta.is_file() {
                let (meta, file) = root.cache.insert(&rel_path, file, &meta);
                return Ok(Resolved {
                    target: Target::File { path, meta, file },
                    needs_slash_redirect: false,
                });
            }
            finish(root, rel, opts, path, file, &meta)
        }
        Fast::Failed(e) => Err(e),
        Fast::Fallback => {
            let (path, meta) = lookup(&root.path, &root.path.join(&rel_path), opts)?;
            if meta.is_file() {
                if rel.has_trailing_slash() && !rel.is_root() {
                    return Err(ResolveError::NotFound);
                }
                let (file, meta) =
                    open_verified(&path, &FileMeta::from(&meta)).map_err(ResolveError::from_io)?;
                return Ok(Resolved {
                    target: Target::File {
                        path,
                        meta,
                        file: OpenFile::new(file),
                    },
                    needs_slash_redirect: false,
                });
            }
            if !meta.is_dir() {
                return Err(ResolveError::NotFound);
            }
            let dir =
                open_dir_verified(&path, &FileMeta::from(&meta)).map_err(ResolveError::from_io)?;
            let needs_slash_redirect = !rel.has_trailing_slash();
            let index = if needs_slash_redirect {
                None
            } else {
                fallback_index(&root.path, &path, opts)?
            };
            Ok(Resolved {
                target: Target::Directory {
                    path,
                    dir: OpenFile::new(dir),
                    index,
                },
                needs_slash_redirect,
            })
        }
    }
}

/// The fast path's result: a file, or a directory and its index.
fn finish(
    root: &Root,
    rel: &SafePath,
    opts: ResolveOptions,
    path: PathBuf,
    file: fs::File,
    meta: &fs::Metadata,
) -> Result<Resolved, ResolveError> {
    if meta.is_file() {
        if rel.has_trailing_slash() && !rel.is_root() {
            // `/file.txt/` names a directory that does not exist.
            return Err(ResolveError::NotFound);
        }
        return Ok(Resolved {
            target: Target::File {
                path,
                meta: FileMeta::from(meta),
                file: OpenFile::new(file),
            },
            needs_slash_redirect: false,
        });
    }
    if !meta.is_dir() {
        return Err(ResolveError::NotFound);
    }
    let needs_slash_redirect = !rel.has_trailing_slash();
    if needs_slash_redirect {
        return Ok(Resolved {
            target: Target::Directory {
                path,
                dir: OpenFile::new(file),
                index: None,
            },
            needs_slash_redirect,
        });
    }
    let index = match open_beneath(root, &file, Path::new(INDEX_FILE)) {
        Fast::Opened(index, m) if m.is_file() => Some((
            path.join(INDEX_FILE),
            FileMeta::from(&m),
            OpenFile::new(index),
        )),
        Fast::Opened(..) | Fast::Failed(ResolveError::NotFound) => None,
        Fast::Failed(e) => return Err(e),
        Fast::Fallback => fallback_index(&root.path, &path, opts)?,
    };
    Ok(Resolved {
        target: Target::Directory {
            path,
            dir: OpenFile::new(file),
            index,
        },
        needs_slash_redirect,
    })
}

/// A directory's [`INDEX_FILE`] by the canonicalizing path: `None` unless
/// it is an allowed regular file.
fn fallback_index(
    root: &Path,
    dir: &Path,
    opts: ResolveOptions,
) -> Result<Option<(PathBuf, FileMeta, OpenFile)>, ResolveError> {
    match lookup_file(root, &dir.join(INDEX_FILE), opts) {
        Ok(found) => Ok(Some(found)),
        Err(ResolveError::NotFound) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Opens a directory the fallback path resolved, without following a final
/// symlink, and checks it is still the one `canonicalize` saw.
fn open_dir_verified(path: &Path, expected: &FileMeta) -> io::Result<fs::File> {
    let flags = OFlags::NOFOLLOW | OFlags::DIRECTORY | OFlags::NONBLOCK;
    let dir = fs::OpenOptions::new()
        .read(true)
        .custom_flags(flags.bits() as i32)
        .open(path)?;
    let meta = dir.metadata()?;
    if meta.ino() != expected.ino || meta.dev() != expected.dev {
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            "directory changed between resolve and open",
        ));
    }
    Ok(dir)
}

/// What a directory entry that is a symlink leads to, by the rules a request
/// for it would meet: `Some` with the target's metadata when it resolves to
/// a regular file or directory that may be served (inside the root unless
/// [`ResolveOptions::follow_symlinks_outside`], no hidden component unless
/// [`ResolveOptions::allow_hidden`]), else `None`. `link` is the entry's path
/// under the canonical directory being listed.
pub fn servable_link(root: &Root, link: &Path, opts: ResolveOptions) -> Option<fs::Metadata> {
    let (_, meta) = lookup(&root.path, link, opts).ok()?;
    (meta.is_file() || meta.is_dir()).then_some(meta)
}

/// Opens a resolved file without following a final symlink and checks it
/// is still the file the fallback path saw (same device and inode),
/// narrowing the race between canonicalizing and opening.
pub fn open_verified(path: &Path, expected: &FileMeta) -> io::Result<(fs::File, FileMeta)> {
    let flags = OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::NOCTTY;
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
    /// hid_link -> .secret, in_dir -> sub, idx_link/index.html -> ../a.txt,
    /// idx_dir/index.html/, fifo}` and `base/outside.txt`.
    fn fixture(tag: &str) -> (TempDir, Root) {
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
        symlink("sub", root.join("in_dir")).unwrap();
        fs::create_dir_all(root.join("idx_link")).unwrap();
        symlink("../a.txt", root.join("idx_link/index.html")).unwrap();
        fs::create_dir_all(root.join("idx_dir/index.html")).unwrap();
        let _ = rustix::fs::mknodat(
            rustix::fs::CWD,
            root.join("fifo"),
            rustix::fs::FileType::Fifo,
            rustix::fs::Mode::from_raw_mode(0o600),
            0,
        );
        let root = Root::open(&root).unwrap();
        (t, root)
    }

    /// Compact outcome for table rows: "file:<name>", "dir", "dir+index",
    /// "redirect", or the status code.
    fn outcome(root: &Root, raw: &str, opts: ResolveOptions) -> String {
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
                assert!(path.starts_with(root.path()) || opts.follow_symlinks_outside);
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
        resolve_table_on(&root);
    }

    /// The same answers without `openat2`, as on an old kernel.
    #[test]
    fn resolve_table_fallback_only() {
        let (_t, root) = fixture("fallback");
        root.openat2.store(false, Ordering::Relaxed);
        resolve_table_on(&root);
    }

    fn resolve_table_on(root: &Root) {
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
            ("/sub/index.html", strict, "file:index.html"),
            ("/in_dir/", strict, "dir+index"),
            ("/in_dir/index.html", strict, "file:index.html"),
            ("/idx_link/", strict, "dir+index"),
            ("/idx_dir/", strict, "dir"),
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
            assert_eq!(outcome(root, raw, opts), want, "{raw} {opts:?}");
        }
    }

    #[test]
    fn double_encoded_is_literal_name() {
        let (_t, root) = fixture("literal");
        fs::write(root.path().join("%2e%2e"), b"x").unwrap();
        let got = outcome(&root, "/%252e%252e", ResolveOptions::default());
        assert_eq!(got, "file:%2e%2e");
    }

    #[test]
    fn index_symlink_outside_is_ignored() {
        let (t, root) = fixture("index");
        fs::create_dir(root.path().join("d")).unwrap();
        fs::write(t.0.join("evil.html"), b"x").unwrap();
        symlink("../../evil.html", root.path().join("d/index.html")).unwrap();
        let got = outcome(&root, "/d/", ResolveOptions::default());
        assert_eq!(got, "dir");
    }

    #[test]
    fn carries_the_file_it_described() {
        use std::os::unix::fs::FileExt;
        for fast in [true, false] {
            let (_t, root) = fixture("carry");
            root.openat2.store(fast, Ordering::Relaxed);
            for raw in ["/a.txt", "/in_link"] {
                let safe = SafePath::parse(raw, false).unwrap();
                let Target::File { meta, file, .. } =
                    resolve(&root, &safe, Default::default()).unwrap().target
                else {
                    panic!("not a file");
                };
                let m = file.file().metadata().unwrap();
                assert_eq!((m.ino(), m.dev(), m.len()), (meta.ino, meta.dev, 5));
                let mut buf = [0; 5];
                file.file().read_exact_at(&mut buf, 0).unwrap();
                assert_eq!(&buf, b"hello");
                assert_eq!(file.clone(), file);
                assert!(file.into_file().is_ok());
            }
        }
    }

    /// The fast path fills the open-file cache for files only: the same open file again
    /// for `/a.txt`, a new one each time for a symlink (fallback) or a directory's index.
    #[test]
    fn only_fast_path_files_are_cached() {
        let (_t, root) = fixture("cached");
        let open = |raw: &str| {
            let safe = SafePath::parse(raw, false).unwrap();
            match resolve(&root, &safe, Default::default()).unwrap().target {
                Target::File { file, .. } => file,
                Target::Directory { index, .. } => index.unwrap().2,
            }
        };
        assert!(open("/a.txt") == open("/a.txt"));
        assert!(open("/in_link") != open("/in_link"));
        assert!(open("/sub/") != open("/sub/"));
        assert_eq!(root.cache_usage().0, 1);
    }

    /// A cached file's header values are built once and shared by every hit; once the file
    /// changes on disk, the next request opens it again and gets values for its new times.
    #[test]
    fn cached_header_values_follow_the_file() {
        let (_t, root) = fixture("headers");
        let headers = || {
            let safe = SafePath::parse("/a.txt", false).unwrap();
            let Target::File { path, meta, file } =
                resolve(&root, &safe, Default::default()).unwrap().target
            else {
                panic!("not a file");
            };
            (file.headers(&path, &meta), FileHeaders::new(&path, &meta))
        };
        let (first, fresh) = headers();
        let (again, _) = headers();
        assert!(Arc::ptr_eq(&first, &again), "a hit reuses the values");
        assert_eq!(first.etag, fresh.etag);
        assert_eq!(first.last_modified, fresh.last_modified);
        assert_eq!(first.content_type, "text/plain; charset=utf-8");

        fs::File::options()
            .write(true)
            .open(root.path().join("a.txt"))
            .unwrap()
            .set_modified(SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000))
            .unwrap();
        let (changed, fresh) = headers();
        assert!(!Arc::ptr_eq(&first, &changed));
        assert_ne!(changed.etag, first.etag);
        assert_eq!(changed.etag, fresh.etag);
        assert_eq!(
            changed.last_modified.as_ref().unwrap(),
            "Thu, 01 Jan 1970 00:16:40 GMT"
        );
    }

    #[test]
    fn open_verified_checks_identity() {
        let (_t, root) = fixture("open");
        let safe = SafePath::parse("/a.txt", false).unwrap();
        let Target::File { path, meta, .. } =
            resolve(&root, &safe, Default::default()).unwrap().target
        else {
            panic!("not a file");
        };
        assert!(open_verified(&path, &meta).is_ok());
        let other = FileMeta {
            ino: meta.ino.wrapping_add(1),
            ..meta
        };
        assert!(open_verified(&path, &other).is_err());
        assert!(open_verified(&root.path().join("in_link"), &meta).is_err());
    }
}
