//! Unit tests of the pure planner ([`super::plan`]) with synthetic metadata.

use super::*;
use std::time::{Duration, UNIX_EPOCH};

fn meta(len: u64) -> FileMeta {
    FileMeta {
        len,
        modified: Some(UNIX_EPOCH + Duration::from_secs(1_000_000_000)),
        ino: 9,
        dev: 1,
    }
}

/// Stands in for the file `resolve` would have opened; `plan` never
/// reads it.
fn open_file() -> OpenFile {
    OpenFile::new(std::fs::File::open("/dev/null").unwrap())
}

fn file(path: &str, len: u64) -> Lookup {
    Lookup::Found(
        SafePath::parse(path, false).unwrap(),
        Resolved {
            target: Target::File {
                path: PathBuf::from("/srv").join(path.trim_start_matches('/')),
                meta: meta(len),
                file: open_file(),
            },
            needs_slash_redirect: false,
        },
        None,
    )
}

fn dir(path: &str, index: bool) -> Lookup {
    let safe = SafePath::parse(path, false).unwrap();
    let fs_path = PathBuf::from("/srv").join(safe.to_relative_path());
    let index = index.then(|| (fs_path.join("index.html"), meta(20), open_file()));
    Lookup::Found(
        safe.clone(),
        Resolved {
            target: Target::Directory {
                path: fs_path,
                dir: open_file(),
                index,
            },
            needs_slash_redirect: !safe.has_trailing_slash(),
        },
        None,
    )
}

/// Summary of a plan: status plus the headers a test row checks.
fn summary(p: &Plan, keys: &[&str]) -> String {
    let headers = match p {
        Plan::Redirect { headers, .. }
        | Plan::NotModified { headers }
        | Plan::File { headers, .. }
        | Plan::Listing { headers, .. }
        | Plan::Error { headers, .. }
        | Plan::MethodNotAllowed { headers }
        | Plan::Options { headers } => headers,
    };
    let mut out = p.status().as_u16().to_string();
    for k in keys {
        if let Some(v) = headers.get(*k) {
            out.push_str(&format!(" {k}={}", v.to_str().unwrap()));
        }
    }
    out
}

#[test]
fn plan_table() {
    let etag = Validators::from_meta(&meta(100)).etag;
    let keys = [
        "location",
        "allow",
        "content-length",
        "content-range",
        "content-type",
    ];
    type Row<'a> = (
        Method,
        &'a str,
        Option<&'a str>,
        Vec<(&'a str, &'a str)>,
        Lookup,
        &'a str,
    );
    let rows: Vec<Row> = vec![
        (Method::GET, "/a.txt", None, vec![], file("/a.txt", 100),
         "200 content-length=100 content-type=text/plain; charset=utf-8"),
        (Method::HEAD, "/a.txt", None, vec![], file("/a.txt", 100),
         "200 content-length=100 content-type=text/plain; charset=utf-8"),
        (Method::POST, "/a.txt", None, vec![], file("/a.txt", 100), "405 allow=GET, HEAD, OPTIONS"),
        (Method::DELETE, "/d/", None, vec![], dir("/d/", false), "405 allow=GET, HEAD, OPTIONS"),
        (Method::PUT, "/new.txt", None, vec![], Lookup::Failed(ResolveError::NotFound), "405 allow=GET, HEAD, OPTIONS"),
        (Method::POST, "/..", None, vec![], Lookup::BadPath(PathError::NotFound("dot segment")), "405 allow=GET, HEAD, OPTIONS"),
        (Method::OPTIONS, "*", None, vec![], Lookup::BadPath(PathError::BadRequest("no leading slash")), "204 allow=GET, HEAD, OPTIONS"),
        (Method::OPTIONS, "/a.txt", None, vec![], file("/a.txt", 100), "204 allow=GET, HEAD, OPTIONS"),
        (Method::GET, "/..", None, vec![], Lookup::BadPath(PathError::NotFound("dot segment")), "404"),
        (Method::GET, "/%00", None, vec![], Lookup::BadPath(PathError::BadRequest("NUL in path")), "400"),
        (Method::GET, "/x", None, vec![], Lookup::Failed(ResolveError::NotFound), "404"),
        (Method::GET, "/x", None, vec![], Lookup::Failed(ResolveError::from_io(std::io::ErrorKind::PermissionDenied.into())), "403"),
        (Method::GET, "/x", None, vec![], Lookup::Failed(ResolveError::from_io(rustix::io::Errno::IO.into())), "500"),
        (Method::GET, "/a.txt", None, vec![("if-none-match", &etag)], file("/a.txt", 100), "304"),
        (Method::GET, "/a.txt", None, vec![("if-match", "\"nope\"")], file("/a.txt", 100), "412"),
        (Method::GET, "/a.txt", None, vec![("range", "bytes=10-19")], file("/a.txt", 100),
         "206 content-length=10 content-range=bytes 10-19/100 content-type=text/plain; charset=utf-8"),
        (Method::HEAD, "/a.txt", None, vec![("range", "bytes=10-19")], file("/a.txt", 100),
         "200 content-length=100 content-type=text/plain; charset=utf-8"),
        (Method::GET, "/a.txt", None, vec![("range", "bytes=100-")], file("/a.txt", 100),
         "416 content-range=bytes */100"),
        (Method::GET, "/a.txt", None, vec![("range", "bytes=0-1,3-4")], file("/a.txt", 100),
         "200 content-length=100 content-type=text/plain; charset=utf-8"),
        (Method::GET, "/a.txt", None, vec![("range", "bytes=-5"), ("if-range", &etag)], file("/a.txt", 100),
         "206 content-length=5 content-range=bytes 95-99/100 content-type=text/plain; charset=utf-8"),
        (Method::GET, "/a.txt", None, vec![("range", "bytes=-5"), ("if-range", "\"old\"")], file("/a.txt", 100),
         "200 content-length=100 content-type=text/plain; charset=utf-8"),
        (Method::GET, "/d", Some("x=1&y=%20"), vec![], dir("/d", false), "301 location=/d/?x=1&y=%20"),
        (Method::HEAD, "/my dir", None, vec![], dir("/my%20dir", true), "301 location=/my%20dir/"),
        (Method::GET, "//evil.example", None, vec![], dir("//evil.example", false), "301 location=/evil.example/"),
        (Method::GET, "/d/", None, vec![], dir("/d/", true),
         "200 content-length=20 content-type=text/html; charset=utf-8"),
        (Method::GET, "/d/", None, vec![], dir("/d/", false), "200 content-type=text/html; charset=utf-8"),
    ];
    for (method, path, query, hs, lookup, want) in rows {
        let mut headers = HeaderMap::new();
        for (k, v) in &hs {
            headers.append(
                http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        let req = FileRequest {
            query,
            ..FileRequest::new(&method, path, &headers)
        };
        let got = plan(&req, lookup, &Options::default());
        assert_eq!(summary(&got, &keys), want, "{method} {path} {hs:?}");
    }
}

/// A sibling is served with its own length, ranges and ETag (with the coding), the
/// original's content type, and `Content-Encoding`.
#[test]
fn plan_encoded_sibling() {
    let Lookup::Found(safe, resolved, None) = file("/app.js", 1000) else {
        panic!("a file lookup");
    };
    let sibling = |len| Sibling {
        encoding: encoding::Encoding::Brotli,
        path: PathBuf::from("/srv/app.js.br"),
        meta: meta(len),
        file: open_file(),
    };
    let etag = Validators::for_encoding(&meta(300), encoding::Encoding::Brotli).etag;
    let keys = [
        "content-length",
        "content-range",
        "content-type",
        "content-encoding",
        "etag",
        "vary",
    ];
    let rows: [(Vec<(&str, &str)>, String); 4] = [
        (vec![], format!("200 content-length=300 content-type=text/javascript; charset=utf-8 content-encoding=br etag={etag} vary=Accept-Encoding")),
        (vec![("range", "bytes=0-9")], format!("206 content-length=10 content-range=bytes 0-9/300 content-type=text/javascript; charset=utf-8 content-encoding=br etag={etag} vary=Accept-Encoding")),
        (vec![("if-none-match", &etag)], format!("304 etag={etag} vary=Accept-Encoding")),
        (vec![("range", "bytes=0-9"), ("if-range", "\"3b9aca00-3e8\"")], format!("200 content-length=300 content-type=text/javascript; charset=utf-8 content-encoding=br etag={etag} vary=Accept-Encoding")),
    ];
    for (hs, want) in rows {
        let mut headers = HeaderMap::new();
        for (k, v) in &hs {
            headers.insert(
                http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        let req = FileRequest::new(&Method::GET, "/app.js", &headers);
        let lookup = Lookup::Found(safe.clone(), resolved.clone(), Some(sibling(300)));
        let got = plan(&req, lookup, &Options::default());
        assert_eq!(summary(&got, &keys), want, "{hs:?}");
    }
}

#[test]
fn plan_details() {
    let h = HeaderMap::new();
    let req = FileRequest {
        mount_prefix: "/static",
        ..FileRequest::new(&Method::GET, "", &h)
    };
    let p = plan(&req, dir("", false), &Options::default());
    assert_eq!(summary(&p, &["location"]), "301 location=/static/");

    let req = FileRequest::new(&Method::GET, "/d/", &h);
    let no_listing = Options {
        listing: false,
        ..Options::default()
    };
    assert_eq!(plan(&req, dir("/d/", false), &no_listing).status(), 403);
    match plan(&req, dir("/d/", false), &Options::default()) {
        Plan::Listing {
            segments,
            send_body,
            headers,
            ..
        } => {
            assert_eq!(segments, ["d"]);
            assert!(send_body);
            assert_eq!(headers["content-type"], "text/html; charset=utf-8");
            assert_eq!(headers["vary"], "Accept");
        }
        other => panic!("{other:?}"),
    }

    let req = FileRequest::new(&Method::GET, "/big.bin", &h);
    let cached = Options {
        cache_control: Some(HeaderValue::from_static("max-age=60")),
        ..Options::default()
    };
    match plan(&req, file("/big.bin", 10), &cached) {
        Plan::File { headers, .. } => {
            assert_eq!(headers["cache-control"], "max-age=60");
            assert_eq!(headers["vary"], "Accept-Encoding");
        }
        other => panic!("{other:?}"),
    }
    let cases = [
        (SMALL_FILE_MAX, BodyStrategy::Memory),
        (SMALL_FILE_MAX + 1, BodyStrategy::Sendfile),
    ];
    for (len, want) in cases {
        match plan(&req, file("/big.bin", len), &Options::default()) {
            Plan::File {
                body,
                send_body,
                headers,
                ..
            } => {
                assert_eq!(body, want);
                assert!(send_body);
                assert_eq!(headers["x-content-type-options"], "nosniff");
                assert_eq!(headers["accept-ranges"], "bytes");
                assert!(headers.contains_key("etag"));
                assert!(headers.contains_key("last-modified"));
            }
            other => panic!("{other:?}"),
        }
    }
    let json_req = FileRequest {
        query: Some("format=json&sort=size"),
        ..FileRequest::new(&Method::GET, "/d/", &h)
    };
    match plan(&json_req, dir("/d/", false), &Options::default()) {
        Plan::Listing { headers, view, .. } => {
            assert_eq!(headers["content-type"], "application/json");
            assert_eq!(view.sort, listing::SortKey::Size);
        }
        other => panic!("{other:?}"),
    }
    let mut bad_query = FileRequest::new(&Method::GET, "/d", &h);
    bad_query.query = Some("a\nb");
    assert_eq!(
        plan(&bad_query, dir("/d", false), &Options::default()).status(),
        400
    );
}

/// method, path, Accept-Encoding, other headers, options, expected summary.
type CompressCase<'a> = (
    Method,
    &'a str,
    &'a str,
    Vec<(&'static str, String)>,
    &'a Options,
    String,
);

#[test]
fn plan_compression() {
    let keys = [
        "content-encoding",
        "content-length",
        "accept-ranges",
        "etag",
        "vary",
        "content-range",
    ];
    let etag = Validators::from_meta(&meta(5000)).etag;
    let weak = |coding: &str| format!("W/{}-{coding}\"", etag.trim_end_matches('"'));
    let on = Options::default();
    let off = Options {
        compress: false,
        ..Options::default()
    };
    let no_siblings = Options {
        precompressed: false,
        ..Options::default()
    };
    let cases: Vec<CompressCase<'_>> = vec![
        // Without siblings, only what could be compressed varies.
        (
            Method::GET,
            "/a.png",
            "gzip",
            vec![],
            &no_siblings,
            format!("200 content-length=5000 accept-ranges=bytes etag={etag}"),
        ),
        (
            Method::GET,
            "/a.txt",
            "identity",
            vec![],
            &no_siblings,
            format!("200 content-length=5000 accept-ranges=bytes etag={etag} vary=Accept-Encoding"),
        ),
        (
            Method::GET,
            "/a.txt",
            "gzip",
            vec![],
            &on,
            format!(
                "200 content-encoding=gzip etag={} vary=Accept-Encoding",
                weak("gzip")
            ),
        ),
        (
            Method::HEAD,
            "/a.js",
            "gzip, zstd",
            vec![("range", "bytes=0-1".into())],
            &on,
            format!(
                "200 content-encoding=zstd etag={} vary=Accept-Encoding",
                weak("zstd")
            ),
        ),
        (
            Method::GET,
            "/a.txt",
            "br",
            vec![("if-none-match", weak("br"))],
            &on,
            format!("304 etag={} vary=Accept-Encoding", weak("br")),
        ),
        // A GET with a Range gets identity bytes.
        (
            Method::GET,
            "/a.txt",
            "gzip",
            vec![("range", "bytes=0-9".into())],
            &on,
            format!(
                "206 content-length=10 accept-ranges=bytes etag={etag} vary=Accept-Encoding \
                 content-range=bytes 0-9/5000"
            ),
        ),
        (
            Method::GET,
            "/a.png",
            "gzip",
            vec![],
            &on,
            format!("200 content-length=5000 accept-ranges=bytes etag={etag} vary=Accept-Encoding"),
        ),
        (
            Method::GET,
            "/a.txt",
            "identity",
            vec![],
            &on,
            format!("200 content-length=5000 accept-ranges=bytes etag={etag} vary=Accept-Encoding"),
        ),
        (
            Method::GET,
            "/a.txt",
            "gzip",
            vec![],
            &off,
            format!("200 content-length=5000 accept-ranges=bytes etag={etag} vary=Accept-Encoding"),
        ),
    ];
    for (method, path, accept, extra, opts, want) in cases {
        let mut h = HeaderMap::new();
        h.insert("accept-encoding", HeaderValue::from_str(accept).unwrap());
        for (name, value) in &extra {
            h.insert(*name, HeaderValue::from_str(value).unwrap());
        }
        let req = FileRequest::new(&method, path, &h);
        let p = plan(&req, file(path, 5000), opts);
        assert_eq!(
            summary(&p, &keys),
            want,
            "{method} {path} {accept} {extra:?}"
        );
        if let Plan::File { body, .. } = p {
            let compressed = want.contains("content-encoding");
            assert_eq!(matches!(body, BodyStrategy::Compress(_)), compressed);
        }
    }
    // Below the threshold: as it is.
    let mut h = HeaderMap::new();
    h.insert("accept-encoding", HeaderValue::from_static("gzip"));
    let req = FileRequest::new(&Method::GET, "/a.txt", &h);
    let p = plan(
        &req,
        file("/a.txt", compress::MIN_LEN - 1),
        &Options::default(),
    );
    assert!(matches!(
        p,
        Plan::File {
            body: BodyStrategy::Memory,
            ..
        }
    ));
}
