//! [`StaticFiles`]: the async side of [`crate::static_files`].
//!
//! The static-file logic decides the whole response ([`Plan`]) and opens the file (one
//! `openat2` beneath the root directory, opened once, and one `fstat`; or one `statx` when the
//! root's open-file cache has it); this handler only does the I/O the plan asks for: read a
//! small file or range into memory with one `pread` (none when the cache keeps its bytes), or hand
//! the open file to the connection driver for `sendfile`; compress a file on the fly (a small
//! one whole, through the shared [`CompressCache`], a larger one as a
//! [`CompressStream`]); render a directory listing. File-system calls are made on the worker's loop, as nginx does
//! without thread pools: they hit the page cache for the files a server serves repeatedly.
//! The method is checked first, before any lookup: `OPTIONS` (`OPTIONS *` included) is 204
//! with `Allow`, any method other than GET, HEAD and OPTIONS is 405 with `Allow`, on existing
//! and missing paths alike. A file or directory the server may not read is answered with 403
//! (as nginx does), any other I/O error with 500; both log the reason on stderr.
//!
//! Around that, in this order, the handler applies what `corio serve` offers on top of
//! files: a CORS preflight is answered first ([`cors`], when on; browsers send no
//! credentials with it), then HTTP Basic authentication
//! ([`auth`](crate::static_files::auth), when on: 401 with `WWW-Authenticate`; an argon2
//! check runs on the blocking pool, so a flood of wrong passwords never stalls the worker's
//! loop, and 503 past the concurrency bound), then the file logic, then a 404 becomes the SPA index or the
//! root's `404.html` ([`static_files::not_found::fallback`]); last, every response, errors included,
//! gets the CORS headers and the extra headers (`-H`), which replace any the server set under
//! the same names.

use std::future::{ready, Future, Ready};
use std::io;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::header::{HeaderName, HeaderValue, CONTENT_TYPE, RETRY_AFTER, WWW_AUTHENTICATE};
use http::{HeaderMap, StatusCode};

use super::handler::Handler;
use crate::message::{Request, Response, ResponseBody};
use crate::static_files::auth::{BasicAuth, Decision};
use crate::static_files::compress;
use crate::static_files::compress_cache::{self, CompressCache};
use crate::static_files::compress_stream::CompressStream;
use crate::static_files::encoding::Encoding;
use crate::static_files::listing::ListingFormat;
use crate::static_files::listing_html::Page;
use crate::static_files::resolve::{OpenFile, ResolveError};
use crate::static_files::{
    self, cors, listing, listing_html, listing_json, resolve, BodyStrategy, Lookup, Options, Plan,
};

/// Serves the files under a directory. Mount it at `/` (`corio serve`) or under a prefix with
/// [`Router::mount`](super::Router::mount).
///
/// ```
/// use corio_http::server::StaticFiles;
/// let files = StaticFiles::new(".").unwrap();
/// assert!(files.root().is_absolute());
/// ```
#[derive(Debug, Clone)]
pub struct StaticFiles {
    root: Arc<resolve::Root>,
    options: Options,
    /// Credentials every request must carry.
    auth: Option<Arc<BasicAuth>>,
    /// Answer preflights and add CORS headers.
    cors: bool,
    /// Headers set on every response (`-H`), in order; a name may repeat.
    extra_headers: Arc<Vec<(HeaderName, HeaderValue)>>,
    /// Small files compressed on the fly, shared by every worker.
    compressed: Arc<CompressCache>,
}

impl StaticFiles {
    /// Serves `root` (which must be a directory) with the default options: directory
    /// listings on, dotfiles hidden, symlinks leading outside the root refused.
    pub fn new(root: impl AsRef<Path>) -> io::Result<StaticFiles> {
        let root = resolve::Root::open(root.as_ref())
            .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", root.as_ref().display())))?;
        Ok(StaticFiles {
            root: Arc::new(root),
            options: Options::default(),
            auth: None,
            cors: false,
            extra_headers: Arc::new(Vec::new()),
            compressed: Arc::new(CompressCache::default()),
        })
    }

    /// Replaces the options (listings, dotfiles, symlinks, precompressed siblings, SPA,
    /// `404.html`, `Cache-Control`).
    pub fn with_options(mut self, options: Options) -> StaticFiles {
        self.options = options;
        self
    }

    /// Requires HTTP Basic credentials on every request (see
    /// [`auth`](crate::static_files::auth)).
    pub fn with_auth(mut self, auth: BasicAuth) -> StaticFiles {
        self.auth = Some(Arc::new(auth));
        self
    }

    /// Lets any origin read the files (see [`cors`]).
    pub fn with_cors(mut self, cors: bool) -> StaticFiles {
        self.cors = cors;
        self
    }

    /// Sets these headers on every response, replacing the server's own under the same
    /// names; a name given several times is sent once per value. The caller keeps framing
    /// headers (`Content-Length`, `Transfer-Encoding`, `Connection`) out: the connection
    /// driver owns them.
    pub fn with_headers(mut self, headers: Vec<(HeaderName, HeaderValue)>) -> StaticFiles {
        self.extra_headers = Arc::new(headers);
        self
    }

    /// The canonical root directory.
    pub fn root(&self) -> &Path {
        self.root.path()
    }

    /// Answers one request (synchronously: see the module docs; an argon2 check of `--auth`
    /// runs inline here, while the [`Handler`] runs it on the blocking pool).
    pub fn respond(&self, request: &Request) -> Response {
        let response = self.answer(request);
        self.finish(response)
    }

    /// Adds the headers every response gets: CORS, then `-H`.
    fn finish(&self, mut response: Response) -> Response {
        if self.cors {
            cors::add_response_headers(response.headers_mut());
        }
        if !self.extra_headers.is_empty() {
            let headers = response.headers_mut();
            for (name, _) in self.extra_headers.iter() {
                headers.remove(name);
            }
            for (name, value) in self.extra_headers.iter() {
                headers.append(name.clone(), value.clone());
            }
        }
        response
    }

    /// The response before the headers every response gets.
    fn answer(&self, request: &Request) -> Response {
        if self.cors && cors::is_preflight(request.method(), request.headers()) {
            let headers = cors::preflight_headers(request.headers());
            return with_headers(StatusCode::NO_CONTENT, headers, ResponseBody::Empty);
        }
        if let Some(auth) = &self.auth {
            if !auth.check(request.headers()) {
                return unauthorized();
            }
        }
        self.serve_files(request)
    }

    /// The file logic proper, once the request may see the files.
    fn serve_files(&self, request: &Request) -> Response {
        if let Some(plan) = static_files::plan_method(request.method()) {
            return self.send(request, plan);
        }
        let target = request.target();
        let full_path = target.path();
        let prefix = &full_path[..request.mount_prefix_len().min(full_path.len())];
        let inner_path = &full_path[prefix.len()..];
        if inner_path.is_empty() && !prefix.is_empty() {
            // `/static` for a mount at `/static`: the directory's URL ends in a slash, or the
            // listing's relative links would resolve against the parent.
            let location = match target.query() {
                Some(query) => format!("{prefix}/?{query}"),
                None => format!("{prefix}/"),
            };
            return Response::redirect(StatusCode::MOVED_PERMANENTLY, &location);
        }
        let inner_path = if inner_path.is_empty() {
            "/"
        } else {
            inner_path
        };
        // A plain GET has none of the fields the file logic reads: plan it against an empty
        // map rather than build the request's.
        let no_fields = HeaderMap::new();
        let headers = if request.has_any_header(&static_files::REQUEST_FIELDS) {
            request.headers()
        } else {
            &no_fields
        };
        let files_request = static_files::FileRequest {
            method: request.method(),
            path: inner_path,
            query: target.query(),
            mount_prefix: prefix,
            headers,
        };
        let found = static_files::lookup(&self.root, &files_request, &self.options);
        if let Lookup::Failed(ResolveError::Io(e) | ResolveError::Forbidden(e)) = &found {
            eprintln!(
                "corio: cannot read {}{inner_path}: {e}",
                self.root.path().display()
            );
        }
        let planned = static_files::plan(&files_request, found, &self.options);
        let planned =
            static_files::not_found::fallback(&self.root, &files_request, planned, &self.options);
        self.send(request, planned)
    }

    /// Does the I/O `planned` asks for and builds the response.
    fn send(&self, request: &Request, planned: Plan) -> Response {
        match planned {
            Plan::Redirect { headers, .. } => {
                with_headers(StatusCode::MOVED_PERMANENTLY, headers, ResponseBody::Empty)
            }
            Plan::NotModified { headers } => {
                with_headers(StatusCode::NOT_MODIFIED, headers, ResponseBody::Empty)
            }
            Plan::Options { headers } => {
                with_headers(StatusCode::NO_CONTENT, headers, ResponseBody::Empty)
            }
            Plan::MethodNotAllowed { headers } => {
                let mut response = Response::error(StatusCode::METHOD_NOT_ALLOWED, "");
                response.headers_mut().extend(headers);
                response
            }
            Plan::Error {
                status,
                reason,
                headers,
            } => {
                let mut response = Response::error(status, reason);
                response.headers_mut().extend(headers);
                response
            }
            Plan::Listing {
                dir,
                open,
                prefix,
                segments,
                view,
                options,
                headers,
                ..
            } => match listing::read_entries(&self.root, open.file(), &dir, options) {
                Ok(entries) => {
                    let page = Page {
                        prefix: &prefix,
                        segments: &segments,
                        view,
                    };
                    let body = match view.format {
                        ListingFormat::Html => listing_html::render(&page, &entries),
                        ListingFormat::Json => listing_json::render(&page, &entries),
                    };
                    let mut response = with_headers(
                        StatusCode::OK,
                        headers,
                        ResponseBody::Bytes(Bytes::from(body)),
                    );
                    response
                        .headers_mut()
                        .entry(CONTENT_TYPE)
                        .or_insert(HeaderValue::from_static("text/html; charset=utf-8"));
                    response
                }
                Err(e) => unreadable(&dir, &e),
            },
            Plan::File {
                path,
                meta,
                file,
                range,
                status,
                headers,
                body,
                ..
            } => {
                let (offset, len) = range.map_or((0, meta.len), |r| (r.start, r.len()));
                let body = match body {
                    // HEAD too: its headers must be the GET's (`Content-Length` or not).
                    BodyStrategy::Compress(encoding) => {
                        self.compressed_body(&path, &headers, file, meta.len, encoding)
                    }
                    BodyStrategy::Memory if request.method() != http::Method::HEAD => {
                        read_range(&file, offset, len).map(ResponseBody::Bytes)
                    }
                    // sendfile, or HEAD: the driver sends the headers only.
                    _ => file.into_file().map(|file| ResponseBody::File {
                        file,
                        offset,
                        len,
                        path: path.clone(),
                    }),
                };
                match body {
                    Ok(body) => with_headers(status, headers, body),
                    Err(e) => unreadable(&path, &e),
                }
            }
        }
    }
}

impl StaticFiles {
    /// The body of a file compressed on the fly: a small file whole, from the cache or
    /// compressed now and cached (the response then has a `Content-Length`); a larger one as
    /// a stream.
    fn compressed_body(
        &self,
        path: &Path,
        headers: &HeaderMap,
        file: resolve::OpenFile,
        len: u64,
        encoding: Encoding,
    ) -> io::Result<ResponseBody> {
        if len > compress_cache::CACHED_FILE_MAX {
            return CompressStream::new(file.into_file()?, len, encoding)
                .map(|stream| ResponseBody::Stream(Box::pin(stream)));
        }
        // The ETag (mtime, length, coding) keys the entry: it changes when the file is
        // rewritten.
        let etag = headers
            .get(http::header::ETAG)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let key = compress_cache::Key {
            path: path.to_path_buf(),
            etag,
            encoding,
        };
        if let Some(bytes) = self.compressed.get(&key) {
            return Ok(ResponseBody::Bytes(bytes));
        }
        let data = read_range(&file, 0, len)?;
        let bytes = Bytes::from(compress::compress_all(encoding, &data)?);
        self.compressed.insert(key, bytes.clone());
        Ok(ResponseBody::Bytes(bytes))
    }
}

impl Handler for StaticFiles {
    type Future = FilesFuture;

    fn call(&self, request: Request) -> FilesFuture {
        let preflight = self.cors && cors::is_preflight(request.method(), request.headers());
        let Some(auth) = self.auth.as_ref().filter(|_| !preflight) else {
            return FilesFuture::Ready(ready(self.respond(&request)));
        };
        let response = match auth.decide(request.headers()) {
            Decision::Allowed => self.serve_files(&request),
            Decision::Denied => unauthorized(),
            Decision::Busy => busy(),
            Decision::Verify(pending) => {
                let files = self.clone();
                let auth = auth.clone();
                return FilesFuture::Verifying(Box::pin(async move {
                    let ok = corio::task::spawn_blocking(move || auth.verify(pending)).await;
                    let response = if ok.unwrap_or(false) {
                        files.serve_files(&request)
                    } else {
                        unauthorized()
                    };
                    files.finish(response)
                }));
            }
        };
        FilesFuture::Ready(ready(self.finish(response)))
    }
}

/// The future of a [`StaticFiles`] response: ready at once, except while an argon2 check of
/// `--auth` runs on the blocking pool (the event loop goes on meanwhile).
pub enum FilesFuture {
    /// The response, decided synchronously.
    Ready(Ready<Response>),
    /// Waiting for a password verification.
    Verifying(Pin<Box<dyn Future<Output = Response>>>),
}

impl Future for FilesFuture {
    type Output = Response;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Response> {
        match self.get_mut() {
            FilesFuture::Ready(ready) => Pin::new(ready).poll(cx),
            FilesFuture::Verifying(future) => future.as_mut().poll(cx),
        }
    }
}

impl std::fmt::Debug for FilesFuture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            FilesFuture::Ready(_) => "FilesFuture::Ready",
            FilesFuture::Verifying(_) => "FilesFuture::Verifying",
        })
    }
}

/// 401 with the Basic challenge.
fn unauthorized() -> Response {
    let mut response = Response::error(StatusCode::UNAUTHORIZED, "authentication required");
    response
        .headers_mut()
        .insert(WWW_AUTHENTICATE, BasicAuth::challenge());
    response
}

/// 503 when too many password verifications are running: retry in a second.
fn busy() -> Response {
    let mut response = Response::error(StatusCode::SERVICE_UNAVAILABLE, "busy, retry");
    response
        .headers_mut()
        .insert(RETRY_AFTER, HeaderValue::from_static("1"));
    response
}

fn with_headers(status: StatusCode, headers: HeaderMap, body: ResponseBody) -> Response {
    let mut response = Response::new(status, body);
    *response.headers_mut() = headers;
    response
}

/// The range from the bytes the open-file cache keeps (no system call), else with one `pread`
/// (no `lseek`); the file is closed when the plan is dropped (unless cached).
fn read_range(file: &OpenFile, offset: u64, len: u64) -> io::Result<Bytes> {
    let start = usize::try_from(offset).map_err(|_| io::Error::other("range too large"))?;
    let len = usize::try_from(len).map_err(|_| io::Error::other("range too large"))?;
    if let Some(content) = file.content() {
        let end = start
            .checked_add(len)
            .filter(|&end| end <= content.len())
            .ok_or_else(|| io::Error::from(io::ErrorKind::UnexpectedEof))?;
        return Ok(content.slice(start..end));
    }
    let mut data = vec![0; len];
    file.file().read_exact_at(&mut data, offset)?;
    Ok(Bytes::from(data))
}

/// 403 for a file or directory the server may not read (as nginx), else 500; the reason is
/// logged either way.
fn unreadable(path: &Path, error: &io::Error) -> Response {
    eprintln!("corio: cannot read {}: {error}", path.display());
    let status = match error.kind() {
        io::ErrorKind::PermissionDenied => StatusCode::FORBIDDEN,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    Response::error(status, "")
}
