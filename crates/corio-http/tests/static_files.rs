//! Every static-file feature of `corio serve`, over real sockets against
//! `StaticFiles::new(tempdir)`: content types, index files, listings (escaped), slash
//! redirects, validators and 304, single ranges and If-Range, HEAD, 405, percent-decoding,
//! path traversal in every spelling, symlinks, a 64 MiB file's integrity, unreadable files.

mod util;

use std::fs;
use std::path::Path;

use corio_http::server::StaticFiles;
use corio_http::RunningServer;
use util::{get, start, stop, Client, Reply, TempDir};

const SECRET: &str = "TOP-SECRET-OUTSIDE-THE-ROOT";
const NOTE: &str = "hello note\n";
const DIGITS: &str = "0123456789abcdefghij";

/// A served directory, and a sibling directory outside it holding a secret.
struct Site {
    root: TempDir,
    outside: TempDir,
    server: Option<RunningServer>,
}

impl Site {
    fn new() -> Site {
        let root = TempDir::new("static");
        let outside = TempDir::new("outside");
        let r = root.path();
        fs::write(outside.path().join("secret.txt"), SECRET).unwrap();
        fs::write(r.join("page.html"), "<h1>hi</h1>").unwrap();
        fs::write(r.join("style.css"), "body{}").unwrap();
        fs::write(r.join("app.js"), "let x;").unwrap();
        fs::write(r.join("img.png"), b"\x89PNG\r\n\x1a\n").unwrap();
        fs::write(r.join("note.txt"), NOTE).unwrap();
        fs::write(r.join("digits.txt"), DIGITS).unwrap();
        fs::write(r.join("a b.txt"), "spaced").unwrap();
        fs::write(r.join("<b>&\"x'.txt"), "weird").unwrap();
        fs::write(r.join(".hidden"), SECRET).unwrap();
        fs::create_dir(r.join("sub")).unwrap();
        fs::write(r.join("sub/index.html"), "sub index").unwrap();
        fs::create_dir_all(r.join("list/inner")).unwrap();
        fs::write(r.join("list/one.txt"), "1").unwrap();
        std::os::unix::fs::symlink(outside.path().join("secret.txt"), r.join("escape.txt"))
            .unwrap();
        std::os::unix::fs::symlink(outside.path(), r.join("escape-dir")).unwrap();
        std::os::unix::fs::symlink("note.txt", r.join("alias.txt")).unwrap();
        std::os::unix::fs::symlink("sub", r.join("sub-alias")).unwrap();
        let server = start(StaticFiles::new(r).unwrap());
        Site {
            root,
            outside,
            server: Some(server),
        }
    }

    fn addr(&self) -> std::net::SocketAddr {
        self.server.as_ref().unwrap().local_addr()
    }

    fn get(&self, path: &str) -> Reply {
        get(self.addr(), path, "")
    }

    fn get_with(&self, path: &str, extra: &str) -> Reply {
        get(self.addr(), path, extra)
    }

    fn root(&self) -> &Path {
        self.root.path()
    }
}

impl Drop for Site {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            stop(server);
        }
        let _ = &self.outside;
    }
}

#[test]
fn content_types() {
    let site = Site::new();
    for (path, content_type, body) in [
        ("/page.html", "text/html; charset=utf-8", "<h1>hi</h1>"),
        ("/style.css", "text/css; charset=utf-8", "body{}"),
        ("/app.js", "text/javascript; charset=utf-8", "let x;"),
        ("/note.txt", "text/plain; charset=utf-8", NOTE),
    ] {
        let reply = site.get(path);
        assert_eq!(reply.status, 200, "{path}");
        assert_eq!(reply.header("content-type"), Some(content_type), "{path}");
        assert_eq!(reply.text(), body, "{path}");
        assert_eq!(reply.header("x-content-type-options"), Some("nosniff"));
    }
    let png = site.get("/img.png");
    assert_eq!(png.header("content-type"), Some("image/png"));
    assert_eq!(png.body, b"\x89PNG\r\n\x1a\n");
}

#[test]
fn index_html_served_for_a_directory() {
    let site = Site::new();
    let reply = site.get("/sub/");
    assert_eq!(reply.status, 200);
    assert_eq!(reply.text(), "sub index");
    assert_eq!(
        reply.header("content-type"),
        Some("text/html; charset=utf-8")
    );
}

#[test]
fn directory_listing_escapes_names() {
    let site = Site::new();
    let reply = site.get("/");
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    let html = reply.text();
    assert!(
        html.contains("&lt;b&gt;&amp;&quot;x&#39;.txt"),
        "escaped name in {html}"
    );
    assert!(!html.contains("<b>&\"x'"), "raw name leaked into the HTML");
    assert!(html.contains("href=\"./%3Cb%3E%26%22x%27.txt\""), "{html}");
    assert!(html.contains("href=\"./a%20b.txt\""));
    assert!(html.contains("href=\"./sub/\""));
    assert!(!html.contains(".hidden"), "dotfiles are not listed");
    assert!(!html.contains("href=\"../\""), "no parent link at the root");
    // The escaped name really names the file.
    assert_eq!(site.get("/%3Cb%3E%26%22x%27.txt").text(), "weird");

    let nested = site.get("/list/");
    assert_eq!(nested.status, 200);
    let html = nested.text();
    assert!(html.contains("Index of /list/"));
    assert!(html.contains("href=\"../\""));
    assert!(html.contains("href=\"./one.txt\""));
    assert!(html.contains("href=\"./inner/\""));
}

#[test]
fn directory_without_slash_redirects() {
    let site = Site::new();
    let reply = site.get("/sub");
    assert_eq!(reply.status, 301);
    assert_eq!(reply.header("location"), Some("/sub/"));
    let with_query = site.get("/list?x=1&y=%20");
    assert_eq!(with_query.status, 301);
    assert_eq!(with_query.header("location"), Some("/list/?x=1&y=%20"));
    let spaced = {
        fs::create_dir(site.root().join("my dir")).unwrap();
        site.get("/my%20dir")
    };
    assert_eq!(spaced.status, 301);
    assert_eq!(spaced.header("location"), Some("/my%20dir/"));
}

#[test]
fn validators_and_304() {
    let site = Site::new();
    let first = site.get("/note.txt");
    let etag = first.header("etag").expect("ETag").to_owned();
    let modified = first
        .header("last-modified")
        .expect("Last-Modified")
        .to_owned();
    assert!(httpdate::parse_http_date(&modified).is_ok());

    let inm = site.get_with("/note.txt", &format!("If-None-Match: {etag}\r\n"));
    assert_eq!(inm.status, 304);
    assert!(inm.body.is_empty());
    assert_eq!(inm.header("etag"), Some(etag.as_str()));

    let weak = site.get_with("/note.txt", &format!("If-None-Match: W/{etag}\r\n"));
    assert_eq!(weak.status, 304, "If-None-Match uses the weak comparison");
    let list = site.get_with("/note.txt", &format!("If-None-Match: \"x\", {etag}\r\n"));
    assert_eq!(list.status, 304);
    let star = site.get_with("/note.txt", "If-None-Match: *\r\n");
    assert_eq!(star.status, 304);
    let other = site.get_with("/note.txt", "If-None-Match: \"other\"\r\n");
    assert_eq!(other.status, 200);
    assert_eq!(other.text(), NOTE);

    let ims = site.get_with("/note.txt", &format!("If-Modified-Since: {modified}\r\n"));
    assert_eq!(ims.status, 304);
    let old = site.get_with(
        "/note.txt",
        "If-Modified-Since: Thu, 01 Jan 1998 00:00:00 GMT\r\n",
    );
    assert_eq!(old.status, 200);
    // If-None-Match takes precedence over If-Modified-Since.
    let both = site.get_with(
        "/note.txt",
        &format!("If-None-Match: \"other\"\r\nIf-Modified-Since: {modified}\r\n"),
    );
    assert_eq!(both.status, 200);
}

#[test]
fn single_ranges() {
    let site = Site::new();
    let whole = site.get("/digits.txt");
    assert_eq!(whole.header("accept-ranges"), Some("bytes"));
    let etag = whole.header("etag").unwrap().to_owned();

    for (range, content_range, body) in [
        ("bytes=2-5", "bytes 2-5/20", "2345"),
        ("bytes=15-", "bytes 15-19/20", "fghij"),
        ("bytes=-3", "bytes 17-19/20", "hij"),
        ("bytes=0-0", "bytes 0-0/20", "0"),
        ("bytes=10-999", "bytes 10-19/20", "abcdefghij"),
    ] {
        let reply = site.get_with("/digits.txt", &format!("Range: {range}\r\n"));
        assert_eq!(reply.status, 206, "{range}");
        assert_eq!(
            reply.header("content-range"),
            Some(content_range),
            "{range}"
        );
        assert_eq!(reply.text(), body, "{range}");
        assert_eq!(
            reply.header("content-length"),
            Some(body.len().to_string().as_str())
        );
    }

    for range in ["bytes=20-30", "bytes=20-"] {
        let reply = site.get_with("/digits.txt", &format!("Range: {range}\r\n"));
        assert_eq!(reply.status, 416, "{range}");
        assert_eq!(reply.header("content-range"), Some("bytes */20"), "{range}");
    }

    let matching = site.get_with(
        "/digits.txt",
        &format!("Range: bytes=0-1\r\nIf-Range: {etag}\r\n"),
    );
    assert_eq!(matching.status, 206);
    assert_eq!(matching.text(), "01");
    let stale = site.get_with(
        "/digits.txt",
        "Range: bytes=0-1\r\nIf-Range: \"not-the-etag\"\r\n",
    );
    assert_eq!(stale.status, 200, "If-Range not matching: the whole file");
    assert_eq!(stale.text(), DIGITS);
    assert_eq!(stale.header("content-range"), None);
    let old_date = site.get_with(
        "/digits.txt",
        "Range: bytes=0-1\r\nIf-Range: Thu, 01 Jan 1998 00:00:00 GMT\r\n",
    );
    assert_eq!(old_date.status, 200);
}

#[test]
fn head_requests() {
    let site = Site::new();
    let mut client = Client::connect(site.addr());
    client.send("HEAD /note.txt HTTP/1.1\r\nHost: t\r\n\r\n");
    let head = client.read_head_response();
    assert_eq!(head.status, 200);
    assert_eq!(
        head.header("content-length"),
        Some(NOTE.len().to_string().as_str())
    );
    assert_eq!(
        head.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    client.send("HEAD / HTTP/1.1\r\nHost: t\r\n\r\n");
    let listing = client.read_head_response();
    assert_eq!(listing.status, 200);
    // No body bytes were sent for either: the next response parses.
    client.send("GET /note.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    assert_eq!(client.read_response().text(), NOTE);
    assert!(client.is_closed());
}

#[test]
fn other_methods_are_405() {
    let site = Site::new();
    for method in ["POST", "DELETE", "PUT"] {
        let reply = util::exchange(
            site.addr(),
            format!("{method} /note.txt HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n"),
        );
        assert_eq!(reply.status, 405, "{method}");
        assert_eq!(reply.header("allow"), Some("GET, HEAD"), "{method}");
    }
    assert_eq!(site.get("/note.txt").text(), NOTE, "the file is untouched");
}

#[test]
fn percent_decoding() {
    let site = Site::new();
    assert_eq!(site.get("/a%20b.txt").text(), "spaced");
    assert_eq!(
        site.get("/%6eote.txt").text(),
        NOTE,
        "unreserved bytes decoded"
    );
    assert_eq!(site.get("/a%2520b.txt").status, 404, "decoded only once");
    assert_eq!(site.get("/note.txt?download=1").text(), NOTE);
    assert_eq!(site.get("//note.txt").text(), NOTE, "empty segments merged");
    assert_eq!(site.get("/missing.txt").status, 404);
    assert_eq!(site.get("/%zz").status, 400);
}

#[test]
fn no_path_traversal() {
    let site = Site::new();
    let outside = site.outside.path().file_name().unwrap().to_str().unwrap();
    let cases: Vec<(String, u16)> = [
        ("/../{o}/secret.txt", 404),
        ("/sub/../../{o}/secret.txt", 404),
        ("/%2e%2e/{o}/secret.txt", 404),
        ("/%2E%2E/{o}/secret.txt", 404),
        ("/.%2e/{o}/secret.txt", 404),
        ("/..%2f{o}/secret.txt", 404),
        ("/%2e%2e%2f{o}/secret.txt", 404),
        ("/sub%2f..%2f..%2f{o}/secret.txt", 404),
        ("/..\\{o}\\secret.txt", 404),
        ("/..%5c{o}%5csecret.txt", 404),
        ("/%2e%2e%5c{o}%5csecret.txt", 404),
        ("/sub%2findex.html", 404),
        ("/note.txt%00.html", 400),
        ("/%00", 400),
        ("/./note.txt", 404),
        ("/.hidden", 404),
        ("/%2ehidden", 404),
        ("/escape.txt", 404),
        ("/escape-dir/secret.txt", 404),
        ("/escape-dir/", 404),
        ("/escape-dir", 404),
    ]
    .iter()
    .map(|(p, s)| (p.replace("{o}", outside), *s))
    .collect();
    for (path, status) in &cases {
        let reply = site.get(path);
        assert_eq!(reply.status, *status, "{path}");
        assert!(!reply.text().contains(SECRET), "{path} leaked the secret");
    }
}

#[test]
fn symlinks_inside_the_root_are_served() {
    let site = Site::new();
    assert_eq!(site.get("/alias.txt").text(), NOTE);
    assert_eq!(site.get("/sub-alias/").text(), "sub index");
}

/// Deterministic pseudo-random bytes (xorshift64*).
fn pseudo_random(len: usize) -> Vec<u8> {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        out.extend_from_slice(&state.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes());
    }
    out.truncate(len);
    out
}

#[test]
fn large_file_integrity_and_range() {
    let site = Site::new();
    let len = 64 * 1024 * 1024;
    let data = pseudo_random(len);
    fs::write(site.root().join("big.bin"), &data).unwrap();

    let mut client = Client::connect(site.addr());
    client.send("GET /big.bin HTTP/1.1\r\nHost: t\r\n\r\n");
    let reply = client.read_response();
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.header("content-length"),
        Some(len.to_string().as_str())
    );
    assert_eq!(
        reply.header("content-type"),
        Some("application/octet-stream")
    );
    assert!(reply.body == data, "64 MiB body differs from the file");

    let (start, end) = (len / 2 - 1000, len / 2 + 999_999);
    client.send(format!(
        "GET /big.bin HTTP/1.1\r\nHost: t\r\nRange: bytes={start}-{end}\r\n\r\n"
    ));
    let part = client.read_response();
    assert_eq!(part.status, 206);
    assert_eq!(
        part.header("content-range"),
        Some(format!("bytes {start}-{end}/{len}").as_str())
    );
    assert!(part.body == data[start..=end], "range body differs");

    // A small range (read into memory) and HEAD of the big file on the same connection.
    client.send("GET /big.bin HTTP/1.1\r\nHost: t\r\nRange: bytes=-16\r\n\r\n");
    assert!(client.read_response().body == data[len - 16..]);
    client.send("HEAD /big.bin HTTP/1.1\r\nHost: t\r\n\r\n");
    let head = client.read_head_response();
    assert_eq!(
        head.header("content-length"),
        Some(len.to_string().as_str())
    );
    client.send("GET /note.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    assert_eq!(client.read_response().text(), NOTE);
    assert!(client.is_closed());
}

#[test]
fn unreadable_file_is_500() {
    use std::os::unix::fs::PermissionsExt;
    if util::is_root() {
        // Root reads through mode 000: the same check runs as nobody, in a child process.
        util::run_as_nobody("unreadable_file_is_500");
        return;
    }
    let site = Site::new();
    let path = site.root().join("locked.txt");
    fs::write(&path, "locked").unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o000)).unwrap();
    assert!(
        fs::File::open(&path).is_err(),
        "mode 000 must stop this user's reads (no CAP_DAC_OVERRIDE)"
    );
    let reply = site.get("/locked.txt");
    assert_eq!(reply.status, 500);
    assert!(!reply.text().contains("locked"));
    fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
}
