//! Finding a precompressed sibling (`FILE.br`, `FILE.zst`, `FILE.gz`) of a file to serve.
//!
//! The codings the client accepts ([`super::encoding::negotiate`]) are tried best first; each
//! sibling is resolved exactly as a request for it would be ([`resolve`]: beneath the root,
//! symlink and dotfile rules, opened once), so a sibling never serves what a direct request
//! could not. The first that is a regular file and not older than the original is chosen; a
//! sibling older than its original is stale (the original was edited after the build step
//! compressed it) and is skipped, so an edit is never hidden behind an old compressed copy.
//! Any error on a sibling (missing, unreadable) just means "no sibling": the original is
//! served.
//!
//! # Decisions
//!
//! * The response describes the sibling: its length, its validators, with the coding
//!   appended to the ETag (`"5f3a-1c-br"`, see
//!   [`Validators::for_encoding`](super::conditional::Validators::for_encoding)) so caches
//!   never mix two encodings of one URL; the `Content-Type` is the original file's.
//! * **A Range applies to the encoded representation** (as nginx's `gzip_static` does):
//!   `bytes=0-99` of a gzip response is the first 100 bytes of `FILE.gz`, and
//!   `Content-Range` counts the sibling's length. Resuming a download therefore works as long
//!   as the client keeps sending the same `Accept-Encoding` (its `If-Range` carries the
//!   encoding's ETag, which another encoding does not match: it gets the whole response).
//! * Every file response carries `Vary: Accept-Encoding` while precompressed serving is on,
//!   whether a sibling exists or not: knowing that none exists would cost three extra lookups
//!   on every request, and a `Vary` too many only costs a shared cache a little hit rate.

use std::path::PathBuf;

use super::encoding::Encoding;
use super::path::SafePath;
use super::resolve::{self, FileMeta, OpenFile, ResolveOptions, Root, Target};

/// A precompressed sibling chosen for a response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sibling {
    /// Its coding (`Content-Encoding`).
    pub encoding: Encoding,
    /// Canonical path of the sibling file.
    pub path: PathBuf,
    /// Its metadata (length, time).
    pub meta: FileMeta,
    /// The sibling, open for reading.
    pub file: OpenFile,
}

/// The best sibling of the file at `served` (whose metadata is `original`) among
/// `encodings` (best first), if any.
pub fn find(
    root: &Root,
    served: &SafePath,
    original: &FileMeta,
    encodings: &[Encoding],
    opts: ResolveOptions,
) -> Option<Sibling> {
    encodings.iter().find_map(|&encoding| {
        let path = served.with_suffix(encoding.extension())?;
        let resolved = resolve::resolve(root, &path, opts).ok()?;
        let Target::File { path, meta, file } = resolved.target else {
            return None;
        };
        let fresh = match (meta.modified, original.modified) {
            (Some(sibling), Some(original)) => sibling >= original,
            _ => true,
        };
        fresh.then_some(Sibling {
            encoding,
            path,
            meta,
            file,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::time::{Duration, SystemTime, UNIX_EPOCH};

    fn set_mtime(path: &std::path::Path, secs: u64) {
        let file = fs::File::options().write(true).open(path).unwrap();
        file.set_modified(UNIX_EPOCH + Duration::from_secs(secs))
            .unwrap();
    }

    #[test]
    fn finds_the_best_fresh_sibling() {
        let dir = std::env::temp_dir().join(format!(
            "corio-precompressed-{}-{:?}",
            std::process::id(),
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default()
        ));
        fs::create_dir_all(dir.join("a.js.zst")).unwrap();
        fs::write(dir.join("a.js"), "original").unwrap();
        fs::write(dir.join("a.js.gz"), "gz").unwrap();
        fs::write(dir.join("a.js.br"), "br").unwrap();
        set_mtime(&dir.join("a.js"), 2_000);
        set_mtime(&dir.join("a.js.gz"), 2_000);
        set_mtime(&dir.join("a.js.br"), 1_000);
        let root = Root::open(&dir).unwrap();
        let served = SafePath::parse("/a.js", false).unwrap();
        let Target::File { meta, .. } = resolve::resolve(&root, &served, ResolveOptions::default())
            .unwrap()
            .target
        else {
            panic!("a.js is a file");
        };
        let pick = |encodings: &[Encoding]| {
            find(&root, &served, &meta, encodings, ResolveOptions::default())
                .map(|s| (s.encoding, s.meta.len))
        };
        // br is stale (older than a.js) and a.js.zst is a directory: gzip is chosen.
        assert_eq!(
            pick(&[Encoding::Brotli, Encoding::Zstd, Encoding::Gzip]),
            Some((Encoding::Gzip, 2))
        );
        assert_eq!(pick(&[Encoding::Brotli, Encoding::Zstd]), None);
        assert_eq!(pick(&[]), None);
        set_mtime(&dir.join("a.js.br"), 3_000);
        assert_eq!(
            pick(&[Encoding::Brotli, Encoding::Gzip]),
            Some((Encoding::Brotli, 2))
        );
        let _ = fs::remove_dir_all(&dir);
    }
}
