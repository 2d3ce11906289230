//! [`StaticFiles`]: the async side of [`crate::static_files`].
//!
//! The static-file logic decides the whole response ([`Plan`]); this handler only does the
//! I/O the plan asks for: open the file (checking it is still the one resolved), read a small
//! file or range into memory, or hand a large one to the connection driver for `sendfile`;
//! render a directory listing. File-system calls are made on the worker's loop, as nginx does
//! without thread pools: they hit the page cache for the files a server serves repeatedly.
//! A file that cannot be read is answered with 500 and the reason is logged on stderr.

use std::fs::File;
use std::future::{ready, Ready};
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use bytes::Bytes;
use http::header::{HeaderValue, CONTENT_TYPE};
use http::{HeaderMap, StatusCode};

use super::handler::Handler;
use crate::message::{Request, Response, ResponseBody};
use crate::static_files::{self, listing, resolve, BodyStrategy, Options, Plan};

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
    root: PathBuf,
    options: Options,
}

impl StaticFiles {
    /// Serves `root` (which must be a directory) with the default options: directory
    /// listings on, dotfiles hidden, symlinks leading outside the root refused.
    pub fn new(root: impl AsRef<Path>) -> io::Result<StaticFiles> {
        let root = resolve::canonical_root(root.as_ref())
            .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", root.as_ref().display())))?;
        Ok(StaticFiles {
            root,
            options: Options::default(),
        })
    }

    /// Replaces the options (listings, dotfiles, symlinks).
    pub fn with_options(mut self, options: Options) -> StaticFiles {
        self.options = options;
        self
    }

    /// The canonical root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Answers one request (synchronously: see the module docs).
    pub fn respond(&self, request: &Request) -> Response {
        let target = request.target();
        let full_path = target.path();
        let prefix = &full_path[..request.mount_prefix_len().min(full_path.len())];
        let inner_path = &full_path[prefix.len()..];
        let inner_path = if inner_path.is_empty() {
            "/"
        } else {
            inner_path
        };
        let planned = static_files::serve(
            &self.root,
            &static_files::Request {
                method: request.method(),
                path: inner_path,
                query: target.query(),
                mount_prefix: prefix,
                headers: request.headers(),
            },
            &self.options,
        );
        match planned {
            Plan::Redirect { headers, .. } => {
                with_headers(StatusCode::MOVED_PERMANENTLY, headers, ResponseBody::Empty)
            }
            Plan::NotModified { headers } => {
                with_headers(StatusCode::NOT_MODIFIED, headers, ResponseBody::Empty)
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
                display_path,
                is_root,
                allow_hidden,
                headers,
                ..
            } => match listing::read_entries(&dir, allow_hidden) {
                Ok(entries) => {
                    let html = listing::render(&display_path, is_root, &entries);
                    let mut response = with_headers(
                        StatusCode::OK,
                        headers,
                        ResponseBody::Bytes(Bytes::from(html)),
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
                range,
                status,
                headers,
                body,
                ..
            } => {
                let (offset, len) = range.map_or((0, meta.len), |r| (r.start, r.len()));
                let opened = resolve::open_verified(&path, &meta);
                let file = match opened {
                    Ok((file, _)) => file,
                    Err(e) if e.kind() == io::ErrorKind::NotFound => {
                        return Response::error(StatusCode::NOT_FOUND, "")
                    }
                    Err(e) => return unreadable(&path, &e),
                };
                let body = match body {
                    BodyStrategy::Sendfile => Ok(ResponseBody::File {
                        file,
                        offset,
                        len,
                        path: path.clone(),
                    }),
                    BodyStrategy::Memory if request.method() == http::Method::HEAD => {
                        Ok(ResponseBody::File {
                            file,
                            offset,
                            len,
                            path: path.clone(),
                        })
                    }
                    BodyStrategy::Memory => read_range(file, offset, len).map(ResponseBody::Bytes),
                };
                match body {
                    Ok(body) => with_headers(status, headers, body),
                    Err(e) => unreadable(&path, &e),
                }
            }
        }
    }
}

impl Handler for StaticFiles {
    type Future = Ready<Response>;

    fn call(&self, request: Request) -> Ready<Response> {
        ready(self.respond(&request))
    }
}

fn with_headers(status: StatusCode, headers: HeaderMap, body: ResponseBody) -> Response {
    let mut response = Response::new(status, body);
    *response.headers_mut() = headers;
    response
}

fn read_range(mut file: File, offset: u64, len: u64) -> io::Result<Bytes> {
    let len = usize::try_from(len).map_err(|_| io::Error::other("range too large"))?;
    file.seek(SeekFrom::Start(offset))?;
    let mut data = vec![0; len];
    file.read_exact(&mut data)?;
    Ok(Bytes::from(data))
}

fn unreadable(path: &Path, error: &io::Error) -> Response {
    eprintln!("corio: cannot read {}: {error}", path.display());
    Response::error(StatusCode::INTERNAL_SERVER_ERROR, "")
}
