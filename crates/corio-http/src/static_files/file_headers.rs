//! The response header values of one open file, built once per [`OpenFile`](super::resolve::OpenFile): its
//! `Content-Type` (from the path's extension), its validators and their `ETag` and
//! `Last-Modified` values. An open file is always served with the metadata it was opened
//! with (a file from the [`OpenCache`](super::open_cache::OpenCache) with the entry's, which
//! a hit checks against the file's current stamp), so these values stay true for as long as
//! the open file is served; a file that changes is opened again, into a new [`OpenFile`](super::resolve::OpenFile)
//! with its own values. A cache hit clones them (`HeaderValue` clones share their bytes)
//! instead of looking the type up and formatting the ETag and the date again.

use std::path::Path;

use http::HeaderValue;

use super::compress;
use super::conditional::Validators;
use super::mime;
use super::resolve::FileMeta;

/// What [`OpenFile::headers`](super::resolve::OpenFile::headers) keeps for a file served
/// as it is (no precompressed sibling, no compression on the fly).
#[derive(Debug)]
pub struct FileHeaders {
    /// `Content-Type`, from the path's extension.
    pub content_type: HeaderValue,
    /// Whether the content type is one compressed on the fly ([`compress::is_compressible`]).
    pub compressible: bool,
    /// The validators, for conditional requests and `If-Range`.
    pub validators: Validators,
    /// `ETag`: [`Validators::etag`] as a header value (`None` only if it could not be one).
    pub etag: Option<HeaderValue>,
    /// `Last-Modified`, when the modification time is known.
    pub last_modified: Option<HeaderValue>,
}

impl FileHeaders {
    /// The values for the file at `path` with metadata `meta`.
    pub fn new(path: &Path, meta: &FileMeta) -> FileHeaders {
        let content_type = mime::content_type(path);
        let validators = Validators::from_meta(meta);
        FileHeaders {
            compressible: compress::is_compressible(&content_type),
            content_type,
            etag: HeaderValue::from_str(&validators.etag).ok(),
            last_modified: validators
                .last_modified
                .and_then(|lm| HeaderValue::from_str(&lm.to_string()).ok()),
            validators,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;

    fn meta(len: u64, secs: u64) -> FileMeta {
        FileMeta {
            len,
            modified: Some(UNIX_EPOCH + Duration::from_secs(secs)),
            ino: 7,
            dev: 1,
        }
    }

    #[test]
    fn values_match_what_is_computed_per_request() {
        let m = meta(4096, 1_700_000_000);
        let h = FileHeaders::new(Path::new("a/style.css"), &m);
        assert_eq!(h.content_type, mime::content_type(Path::new("style.css")));
        assert!(h.compressible);
        assert_eq!(h.validators, Validators::from_meta(&m));
        assert_eq!(h.etag.unwrap(), Validators::from_meta(&m).etag.as_str());
        assert_eq!(h.last_modified.unwrap(), "Tue, 14 Nov 2023 22:13:20 GMT");
        let h = FileHeaders::new(Path::new("4k.bin"), &meta(4096, 1));
        assert_eq!(h.content_type, mime::DEFAULT_CONTENT_TYPE);
        assert!(!h.compressible);
        let unknown = FileMeta {
            modified: None,
            ..meta(1, 1)
        };
        assert_eq!(
            FileHeaders::new(Path::new("x"), &unknown).last_modified,
            None
        );
    }
}
