//! Static-file service logic, sans-I/O where possible: backs
//! `corio serve [DIR]`.
//!
//! # How the pieces fit
//!
//! For each request the async driver does:
//!
//! 0. **Method** ([`plan_method`], pure, before any lookup): `OPTIONS` (on a
//!    path or `*`) → [`Plan::Options`] (204 with `Allow: GET, HEAD,
//!    OPTIONS`); any method other than GET, HEAD and OPTIONS →
//!    [`Plan::MethodNotAllowed`] (405 with the same `Allow`), whether the
//!    path exists or not, so a write method learns nothing about the tree.
//! 1. **Resolve** ([`lookup`], filesystem I/O): [`path::SafePath::parse`]
//!    checks the raw path lexically (no `..`, no encoded `/` or `\`, no NUL,
//!    no dotfiles by default), then [`resolve::resolve`] opens it beneath the
//!    [`resolve::Root`] (one `openat2` and one `fstat`; symlinks go through
//!    the canonicalizing fallback) and refuses anything outside. The file is
//!    opened here, once, and carried in the plan as a
//!    [`resolve::OpenFile`]; a file the fast path opened before comes from
//!    the root's [`open_cache`] instead, after a `statx` found it unchanged
//!    (with its bytes when small). For a file (or a directory's index) the
//!    precompressed sibling the client's `Accept-Encoding` prefers is
//!    looked up too ([`encoding::negotiate`], [`precompressed::find`]).
//! 2. **Plan** ([`plan`], pure): given the method, headers and the lookup,
//!    decide the whole response:
//!    * a path or lookup error → [`Plan::Error`] (400/403/404/414/500; 403
//!      when the server may not read the file or directory, as nginx);
//!    * the method step above, again, so `plan` alone is complete;
//!    * a directory without trailing `/` → [`Plan::Redirect`] (301 to the
//!      normalized, percent-encoded path plus `/`, query string kept);
//!    * a directory → its `index.html`, else [`Plan::Listing`] (or 403 when
//!      listings are off);
//!    * **conditional** ([`conditional::evaluate`]): 304
//!      [`Plan::NotModified`] or 412;
//!    * **range** ([`range::evaluate_range`]): 206, 416 or the full 200;
//!    * [`Plan::File`] with every header set, including `Content-Length`;
//!      with a sibling, its bytes, length and per-encoding validators, the
//!      original's `Content-Type` and `Content-Encoding` (ranges count in the
//!      encoded bytes: see [`precompressed`]); `Vary: Accept-Encoding` while
//!      siblings are on (else on files compression applies to), and [`Options::cache_control`] when set;
//!    * without a sibling, a compressible file the client accepts a coding for is
//!      compressed on the fly ([`compress`]: weak per-coding ETag, no `Content-Length`, no
//!      ranges: a GET with `Range` gets the identity bytes) with
//!      [`BodyStrategy::Compress`].
//! 3. **Not found** ([`not_found::fallback`]): a 404 becomes the SPA index
//!    ([`Options::spa`]) or the root's `404.html` with status 404.
//! 4. **Body** (driver): for [`Plan::File`], if [`BodyStrategy::Memory`]
//!    (at most [`SMALL_FILE_MAX`] bytes) read the range of the plan's open
//!    file into memory with a positional read (or slice the bytes the
//!    [`open_cache`] keeps) and write it with the headers,
//!    else use `sendfile` from the range start; for [`BodyStrategy::Compress`]
//!    the compressed bytes from the [`compress_cache`] (small files, with
//!    `Content-Length`) or a [`compress_stream::CompressStream`]. For
//!    [`Plan::Listing`] call [`listing::read_entries`] on the plan's open
//!    directory and render it as the plan's [`listing::ListingView`] asks
//!    ([`listing_html::render`] or [`listing_json::render`]). No body for HEAD
//!    (`send_body == false`).
//!
//! Authentication ([`auth`]) and CORS ([`cors`]) are pure helpers that the
//! handler (`server::StaticFiles`) applies around these steps.
//!
//! # Invariants
//!
//! * [`plan`] does no I/O, so every branch is unit-tested with synthetic
//!   metadata.
//! * Every header value [`plan`] emits is valid; every response that can be
//!   sniffed carries `X-Content-Type-Options: nosniff`.
//! * `Content-Length` of a [`Plan::File`] equals the number of body bytes
//!   for GET (the range length, or the file length); a plan compressed on the
//!   fly has none (the driver adds it when the body is in memory).
//!
//! # Example
//!
//! ```
//! use corio_http::static_files::{serve, Options, Plan, FileRequest};
//! use http::{HeaderMap, Method, StatusCode};
//!
//! let dir = std::env::temp_dir().join(format!("corio-static-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir).unwrap();
//! std::fs::write(dir.join("hello.txt"), "hello, world").unwrap();
//! let root = corio_http::static_files::resolve::Root::open(&dir).unwrap();
//!
//! let mut headers = HeaderMap::new();
//! headers.insert("range", "bytes=0-4".parse().unwrap());
//! let req = FileRequest::new(&Method::GET, "/hello.txt", &headers);
//! match serve(&root, &req, &Options::default()) {
//!     Plan::File { status, headers, range, .. } => {
//!         assert_eq!(status, StatusCode::PARTIAL_CONTENT);
//!         assert_eq!(headers["content-range"], "bytes 0-4/12");
//!         assert_eq!(headers["content-type"], "text/plain; charset=utf-8");
//!         assert_eq!(range.map(|r| r.len()), Some(5));
//!     }
//!     other => panic!("unexpected {other:?}"),
//! }
//!
//! let req = FileRequest::new(&Method::GET, "/../etc/passwd", &headers);
//! assert_eq!(serve(&root, &req, &Options::default()).status(), StatusCode::NOT_FOUND);
//! std::fs::remove_dir_all(&dir).unwrap();
//! ```

pub mod auth;
pub mod compress;
pub mod compress_cache;
pub mod compress_stream;
pub mod conditional;
pub mod cors;
pub mod encoding;
pub mod file_headers;
pub mod listing;
pub mod listing_html;
pub mod listing_json;
pub mod mime;
pub mod not_found;
pub mod open_cache;
pub mod path;
pub mod precompressed;
pub mod range;
pub mod resolve;

use std::path::PathBuf;

use http::header::{
    HeaderMap, HeaderName, HeaderValue, ACCEPT, ACCEPT_ENCODING, ACCEPT_RANGES, ALLOW,
    CACHE_CONTROL, CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE, ETAG, IF_MATCH,
    IF_MODIFIED_SINCE, IF_NONE_MATCH, IF_RANGE, IF_UNMODIFIED_SINCE, LAST_MODIFIED, LOCATION,
    RANGE, VARY, X_CONTENT_TYPE_OPTIONS,
};
use http::{Method, StatusCode};

use conditional::{Precondition, Validators};
use encoding::Encoding;
use listing::{ListingFormat, ListingView};
use path::{PathError, SafePath};
use precompressed::Sibling;
use range::{ByteRange, RangeOutcome};
use resolve::{FileMeta, OpenFile, ResolveError, ResolveOptions, Resolved, Root, Target};

/// Largest body read into memory; bigger ones go through `sendfile`, which
/// avoids copying through user space once that copy costs more than the
/// extra syscall bookkeeping (nginx's default output buffer is 32–64 KiB).
pub const SMALL_FILE_MAX: u64 = 64 * 1024;

/// Value of `Allow` on a 405 and on the answer to `OPTIONS`: the only methods a static file
/// supports.
pub const ALLOWED_METHODS: &str = "GET, HEAD, OPTIONS";

/// The request fields the file logic reads (conditional requests, ranges, content coding, a
/// listing's format): a request with none of them is planned against an empty map, so the
/// server never builds its header map (see [`crate::server::StaticFiles`]).
pub const REQUEST_FIELDS: [HeaderName; 8] = [
    IF_MATCH,
    IF_NONE_MATCH,
    IF_MODIFIED_SINCE,
    IF_UNMODIFIED_SINCE,
    RANGE,
    IF_RANGE,
    ACCEPT_ENCODING,
    ACCEPT,
];

/// The request parts the planner needs.
#[derive(Debug, Clone, Copy)]
pub struct FileRequest<'a> {
    /// Request method.
    pub method: &'a Method,
    /// Raw path after the mount prefix, without query string (`/a%20b`).
    pub path: &'a str,
    /// Raw query string without `?`, kept on redirects.
    pub query: Option<&'a str>,
    /// Mount prefix as it appears in URLs (`""` or `/static`), prepended to
    /// redirect locations and listing titles.
    pub mount_prefix: &'a str,
    /// Request headers.
    pub headers: &'a HeaderMap,
}

impl<'a> FileRequest<'a> {
    /// A request mounted at `/` with no query string.
    pub fn new(method: &'a Method, path: &'a str, headers: &'a HeaderMap) -> FileRequest<'a> {
        FileRequest {
            method,
            path,
            query: None,
            mount_prefix: "",
            headers,
        }
    }
}

/// The page served, with status 404, for a path that is not found, when it exists in the
/// root (as GitHub Pages and Netlify do).
pub const NOT_FOUND_PAGE: &str = "/404.html";

/// The page an unknown path falls back to in single-page-application mode.
pub const SPA_INDEX: &str = "/index.html";

/// Service configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Symlink and dotfile policy.
    pub resolve: ResolveOptions,
    /// Generate listings for directories without `index.html` (default
    /// `true`, like `python -m http.server`); when off they get 403.
    pub listing: bool,
    /// Serve `FILE.br`, `FILE.zst`, `FILE.gz` for `FILE` when the client accepts the
    /// coding (default `true`; see [`precompressed`]).
    pub precompressed: bool,
    /// Compress compressible files on the fly when they have no sibling the client accepts
    /// (default `true`; see [`compress`]).
    pub compress: bool,
    /// Answer a path that is not found with [`SPA_INDEX`] (status 200), for single-page
    /// applications that route on the client (default `false`).
    pub spa: bool,
    /// Serve the root's [`NOT_FOUND_PAGE`], when it exists, as the body of a 404
    /// (default `true`).
    pub not_found_page: bool,
    /// `Cache-Control` of file responses (200, 206, 304); `None` sends none for files.
    /// Listings always say `no-cache`.
    pub cache_control: Option<HeaderValue>,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            resolve: ResolveOptions::default(),
            listing: true,
            precompressed: true,
            compress: true,
            spa: false,
            not_found_page: true,
            cache_control: None,
        }
    }
}

/// How the driver should send a file body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyStrategy {
    /// Read the bytes into memory (at most [`SMALL_FILE_MAX`]).
    Memory,
    /// Use `sendfile` from the file descriptor.
    Sendfile,
    /// Compress the whole file with this coding on the fly (see [`compress`]).
    Compress(Encoding),
}

/// The outcome of [`lookup`]: input to [`plan`].
#[derive(Debug)]
pub enum Lookup {
    /// The request path was refused lexically.
    BadPath(PathError),
    /// The filesystem step refused or failed.
    Failed(ResolveError),
    /// The path resolved; with the precompressed sibling chosen for it, if any.
    Found(SafePath, Resolved, Option<Sibling>),
}

/// The response to send, fully decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// 301 to `location` (already in `headers`).
    Redirect {
        /// The `Location` value.
        location: String,
        /// Headers including `Location`.
        headers: HeaderMap,
    },
    /// 304 with validators.
    NotModified {
        /// `ETag`, `Last-Modified`.
        headers: HeaderMap,
    },
    /// 200 or 206 with a file body.
    File {
        /// Canonical path of the file sent (the sibling's when encoded; error messages).
        path: PathBuf,
        /// Metadata of `file`.
        meta: FileMeta,
        /// The file, opened by [`resolve::resolve`].
        file: OpenFile,
        /// The part to send; `None` means the whole file.
        range: Option<ByteRange>,
        /// 200 or 206.
        status: StatusCode,
        /// All response headers, `Content-Length` included.
        headers: HeaderMap,
        /// Memory or sendfile.
        body: BodyStrategy,
        /// `false` for HEAD.
        send_body: bool,
    },
    /// 200 with a generated directory listing.
    Listing {
        /// Canonical path of the directory (symlink checks of entries, error messages).
        dir: PathBuf,
        /// The directory opened by [`resolve::resolve`]: read it with
        /// [`listing::read_entries`].
        open: OpenFile,
        /// Mount prefix as in URLs, for [`listing_html::Page`].
        prefix: String,
        /// Decoded segments of the directory below the mount.
        segments: Vec<String>,
        /// Sort and format asked for.
        view: ListingView,
        /// Pass to [`listing::read_entries`] (dotfiles, symlinks).
        options: ResolveOptions,
        /// Headers without `Content-Length` (known after rendering).
        headers: HeaderMap,
        /// `false` for HEAD.
        send_body: bool,
    },
    /// An error status with a short plain-text reason as body.
    Error {
        /// The status.
        status: StatusCode,
        /// Short reason, safe to send (never echoes the request).
        reason: &'static str,
        /// Extra headers (`Content-Range` on 416).
        headers: HeaderMap,
    },
    /// 405; `headers` carries `Allow` ([`ALLOWED_METHODS`]).
    MethodNotAllowed {
        /// `Allow`.
        headers: HeaderMap,
    },
    /// 204 answering `OPTIONS`; `headers` carries `Allow` ([`ALLOWED_METHODS`]).
    Options {
        /// `Allow`.
        headers: HeaderMap,
    },
}

impl Plan {
    /// The status line code of this plan.
    pub fn status(&self) -> StatusCode {
        match self {
            Plan::Redirect { .. } => StatusCode::MOVED_PERMANENTLY,
            Plan::NotModified { .. } => StatusCode::NOT_MODIFIED,
            Plan::File { status, .. } | Plan::Error { status, .. } => *status,
            Plan::Listing { .. } => StatusCode::OK,
            Plan::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            Plan::Options { .. } => StatusCode::NO_CONTENT,
        }
    }

    fn error(status: StatusCode, reason: &'static str) -> Plan {
        Plan::Error {
            status,
            reason,
            headers: HeaderMap::new(),
        }
    }
}

/// Filesystem step: parses the request's path and resolves it beneath `root`; for a file
/// (or a directory's index) also looks for the precompressed sibling the request's
/// `Accept-Encoding` prefers, when `opts.precompressed` is on.
pub fn lookup(root: &Root, req: &FileRequest<'_>, opts: &Options) -> Lookup {
    let safe = match SafePath::parse(req.path, opts.resolve.allow_hidden) {
        Ok(s) => s,
        Err(e) => return Lookup::BadPath(e),
    };
    let resolved = match resolve::resolve(root, &safe, opts.resolve) {
        Ok(r) => r,
        Err(e) => return Lookup::Failed(e),
    };
    let sibling = if opts.precompressed && !resolved.needs_slash_redirect {
        let served = match &resolved.target {
            Target::File { meta, .. } => Some((safe.clone(), meta)),
            Target::Directory {
                index: Some((_, meta, _)),
                ..
            } => Some((safe.join(resolve::INDEX_FILE), meta)),
            Target::Directory { index: None, .. } => None,
        };
        served.and_then(|(served, meta)| {
            let encodings = encoding::negotiate(req.headers);
            precompressed::find(root, &served, meta, &encodings, opts.resolve)
        })
    } else {
        None
    };
    Lookup::Found(safe, resolved, sibling)
}

/// [`plan_method`], else [`lookup`] then [`plan`], then [`not_found::fallback`] for a 404: the whole
/// decision for one request.
pub fn serve(root: &Root, req: &FileRequest<'_>, opts: &Options) -> Plan {
    match plan_method(req.method) {
        Some(plan) => plan,
        None => {
            let planned = plan(req, lookup(root, req, opts), opts);
            not_found::fallback(root, req, planned, opts)
        }
    }
}

/// The answer the method alone decides, before any lookup: [`Plan::Options`] for `OPTIONS`,
/// [`Plan::MethodNotAllowed`] for anything but GET and HEAD, `None` for GET and HEAD (look
/// the path up).
pub fn plan_method(method: &Method) -> Option<Plan> {
    if *method == Method::GET || *method == Method::HEAD {
        return None;
    }
    let mut headers = HeaderMap::new();
    headers.insert(ALLOW, HeaderValue::from_static(ALLOWED_METHODS));
    Some(if *method == Method::OPTIONS {
        Plan::Options { headers }
    } else {
        Plan::MethodNotAllowed { headers }
    })
}

/// Pure step: decides the response from the request and the lookup.
pub fn plan(req: &FileRequest<'_>, lookup: Lookup, opts: &Options) -> Plan {
    if let Some(plan) = plan_method(req.method) {
        return plan;
    }
    let (safe, resolved, sibling) = match lookup {
        Lookup::BadPath(e) => return Plan::error(e.status(), e.reason()),
        Lookup::Failed(e) => {
            let reason = match e {
                ResolveError::NotFound => "not found",
                ResolveError::Forbidden(_) => "forbidden",
                ResolveError::Io(_) => "internal error",
            };
            return Plan::error(e.status(), reason);
        }
        Lookup::Found(s, r, sibling) => (s, r, sibling),
    };
    let send_body = req.method == Method::GET;
    if resolved.needs_slash_redirect {
        return redirect(req, &safe);
    }
    match resolved.target {
        Target::File { path, meta, file } => plan_file(req, (path, meta, file), sibling, opts),
        Target::Directory {
            index: Some(index), ..
        } => plan_file(req, index, sibling, opts),
        Target::Directory {
            path,
            dir,
            index: None,
        } => {
            if !opts.listing {
                return Plan::error(StatusCode::FORBIDDEN, "directory listing disabled");
            }
            let view = ListingView::from_request(req.query, req.headers);
            let content_type = match view.format {
                ListingFormat::Html => mime::HTML_UTF8,
                ListingFormat::Json => mime::JSON_UTF8,
            };
            let mut headers = HeaderMap::new();
            headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
            headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
            headers.insert(VARY, HeaderValue::from_static("Accept"));
            headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
            Plan::Listing {
                dir: path,
                open: dir,
                prefix: req.mount_prefix.to_owned(),
                segments: safe.segments().to_vec(),
                view,
                options: opts.resolve,
                headers,
                send_body,
            }
        }
    }
}

/// 301 from `/dir` to `/dir/`, query string preserved.
fn redirect(req: &FileRequest<'_>, safe: &SafePath) -> Plan {
    let mut location = format!("{}{}", req.mount_prefix, safe.to_url_path(true));
    if let Some(q) = req.query {
        location.push('?');
        location.push_str(q);
    }
    match HeaderValue::from_str(&location) {
        Ok(v) => {
            let mut headers = HeaderMap::new();
            headers.insert(LOCATION, v);
            Plan::Redirect { location, headers }
        }
        Err(_) => Plan::error(StatusCode::BAD_REQUEST, "invalid query string"),
    }
}

/// Conditional and range handling for one regular file, or for its precompressed
/// `sibling` when there is one: then the sibling's bytes, length and validators (ETag with
/// the coding) are served, ranges count in its bytes, and only the content type is the
/// original's.
fn plan_file(
    req: &FileRequest<'_>,
    (original, meta, file): (PathBuf, FileMeta, OpenFile),
    sibling: Option<Sibling>,
    opts: &Options,
) -> Plan {
    // Built once per open file (a cache hit reuses them): see `file_headers`.
    let own = file.headers(&original, &meta);
    let on_the_fly = match &sibling {
        Some(_) => None,
        None if !opts.compress
            || !compress::applies(own.compressible, meta.len)
            || (req.method == Method::GET && req.headers.contains_key(RANGE)) =>
        {
            None
        }
        None => compress::choose(
            &encoding::negotiate(req.headers),
            own.compressible,
            meta.len,
        ),
    };
    let coded;
    let (path, meta, file, validators, coding) = match (sibling, on_the_fly) {
        (Some(s), _) => {
            coded = Validators::for_encoding(&s.meta, s.encoding);
            (s.path, s.meta, s.file, &coded, Some(s.encoding))
        }
        (None, Some(encoding)) => {
            coded = Validators::weak_for_encoding(&meta, encoding);
            (original, meta, file, &coded, Some(encoding))
        }
        (None, None) => (original, meta, file, &own.validators, None),
    };
    let mut headers = HeaderMap::new();
    if coding.is_some() {
        validators.write_headers(&mut headers);
    } else {
        if let Some(etag) = &own.etag {
            headers.insert(ETAG, etag.clone());
        }
        if let Some(last_modified) = &own.last_modified {
            headers.insert(LAST_MODIFIED, last_modified.clone());
        }
    }
    if opts.precompressed || (opts.compress && compress::applies(own.compressible, meta.len)) {
        headers.insert(VARY, HeaderValue::from_static("Accept-Encoding"));
    }
    if let Some(value) = &opts.cache_control {
        headers.insert(CACHE_CONTROL, value.clone());
    }
    match conditional::evaluate(req.method, req.headers, validators) {
        Precondition::Proceed => {}
        Precondition::NotModified => return Plan::NotModified { headers },
        Precondition::Failed => {
            return Plan::error(StatusCode::PRECONDITION_FAILED, "precondition failed")
        }
    }
    let (status, range) = match range::evaluate_range(req.method, req.headers, meta.len, validators)
    {
        RangeOutcome::Full => (StatusCode::OK, None),
        RangeOutcome::Partial(r) => (StatusCode::PARTIAL_CONTENT, Some(r)),
        RangeOutcome::Unsatisfiable => {
            let mut headers = HeaderMap::new();
            if let Ok(v) = HeaderValue::from_str(&range::unsatisfied_content_range(meta.len)) {
                headers.insert(CONTENT_RANGE, v);
            }
            return Plan::Error {
                status: StatusCode::RANGE_NOT_SATISFIABLE,
                reason: "range not satisfiable",
                headers,
            };
        }
    };
    let body_len = range.map_or(meta.len, |r| r.len());
    headers.insert(CONTENT_TYPE, own.content_type.clone());
    if let Some(coding) = coding {
        headers.insert(CONTENT_ENCODING, HeaderValue::from_static(coding.token()));
    }
    if on_the_fly.is_none() {
        headers.insert(CONTENT_LENGTH, HeaderValue::from(body_len));
        headers.insert(ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    }
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    if let Some(r) = range {
        if let Ok(v) = HeaderValue::from_str(&r.content_range(meta.len)) {
            headers.insert(CONTENT_RANGE, v);
        }
    }
    Plan::File {
        path,
        meta,
        file,
        range,
        status,
        headers,
        body: if let Some(encoding) = on_the_fly {
            BodyStrategy::Compress(encoding)
        } else if body_len <= SMALL_FILE_MAX {
            BodyStrategy::Memory
        } else {
            BodyStrategy::Sendfile
        },
        send_body: req.method == Method::GET,
    }
}

#[cfg(test)]
mod tests;
