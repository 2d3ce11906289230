//! The options of `corio serve` people reach for first: `-H`, `--cors`, `--cache-control`,
//! `--spa`, a root `404.html`, `--hidden`, `--no-listing` and `--log-format`, each checked
//! through the real binary over 127.0.0.1.

mod serve_child;

use serve_child::{exchange, Served, TempDir};

/// `-H` headers are on every response, errors included; a repeated name is sent once per
/// value, and a header the server sets itself (`Cache-Control` of a listing) is replaced.
#[test]
fn extra_headers_on_every_response() {
    let dir = TempDir::new("headers");
    dir.write("a.txt", "a");
    let serve = Served::one_worker(
        dir.path(),
        &[
            "-H",
            "X-Frame-Options: DENY",
            "--header",
            "Link: </a.txt>; rel=preload",
            "-H",
            "Link: </b.css>; rel=preload",
            "-H",
            "Cache-Control: no-store",
            "--quiet",
        ],
    );
    for (path, status) in [("/a.txt", 200), ("/", 200), ("/missing", 404)] {
        let reply = serve.get(path, "");
        assert_eq!(reply.status, status, "{path}");
        assert_eq!(reply.header("x-frame-options"), Some("DENY"), "{path}");
        assert_eq!(
            reply.all("link"),
            ["</a.txt>; rel=preload", "</b.css>; rel=preload"],
            "{path}"
        );
        assert_eq!(reply.all("cache-control"), ["no-store"], "{path}");
    }
}

/// `--cors`: a preflight is 204 with the allowed origin, methods, requested headers and a
/// max age; real responses carry `Access-Control-Allow-Origin: *`. Without `--cors`, none of
/// it (a preflight is then the plain OPTIONS answer).
#[test]
fn cors_and_preflight() {
    let dir = TempDir::new("cors");
    dir.write("data.json", "{}");
    let preflight = "OPTIONS /data.json HTTP/1.1\r\nOrigin: https://app.example\r\n\
                     Access-Control-Request-Method: GET\r\n\
                     Access-Control-Request-Headers: range, x-token\r\n";
    let serve = Served::one_worker(dir.path(), &["--cors", "--quiet"]);
    let reply = exchange(serve.addr, preflight);
    assert_eq!(reply.status, 204, "{reply:?}");
    assert_eq!(reply.header("access-control-allow-origin"), Some("*"));
    assert_eq!(
        reply.header("access-control-allow-methods"),
        Some("GET, HEAD, OPTIONS")
    );
    assert_eq!(
        reply.header("access-control-allow-headers"),
        Some("range, x-token")
    );
    assert_eq!(reply.header("access-control-max-age"), Some("86400"));
    let get = serve.get("/data.json", "Origin: https://app.example\r\n");
    assert_eq!(get.status, 200);
    assert_eq!(get.header("access-control-allow-origin"), Some("*"));
    assert!(get
        .header("access-control-expose-headers")
        .is_some_and(|v| v.contains("Content-Range")));
    assert_eq!(
        serve
            .get("/missing", "")
            .header("access-control-allow-origin"),
        Some("*")
    );

    // A preflight carries no credentials: it is answered before authentication.
    let guarded = Served::one_worker(dir.path(), &["--cors", "--auth", "u:p", "--quiet"]);
    assert_eq!(exchange(guarded.addr, preflight).status, 204);
    let denied = guarded.get("/data.json", "");
    assert_eq!(denied.status, 401);
    assert_eq!(denied.header("access-control-allow-origin"), Some("*"));

    let plain = Served::one_worker(dir.path(), &["--quiet"]);
    let reply = exchange(plain.addr, preflight);
    assert_eq!(reply.status, 204);
    assert_eq!(reply.header("access-control-allow-origin"), None);
    assert_eq!(reply.header("allow"), Some("GET, HEAD, OPTIONS"));
    assert_eq!(
        plain
            .get("/data.json", "")
            .header("access-control-allow-origin"),
        None
    );
}

/// `--cache-control` is on file responses (200, 206, 304) but not on listings (`no-cache`)
/// or errors.
#[test]
fn cache_control_on_files() {
    let dir = TempDir::new("cache");
    dir.write("app.css", "body{}");
    dir.write("sub/x", "x");
    let serve = Served::one_worker(
        dir.path(),
        &["--cache-control", "public, max-age=3600", "--quiet"],
    );
    let full = serve.get("/app.css", "");
    assert_eq!(full.header("cache-control"), Some("public, max-age=3600"));
    let etag = full.header("etag").unwrap().to_owned();
    let partial = serve.get("/app.css", "Range: bytes=0-1\r\n");
    assert_eq!(partial.status, 206);
    assert_eq!(
        partial.header("cache-control"),
        Some("public, max-age=3600")
    );
    let not_modified = serve.get("/app.css", &format!("If-None-Match: {etag}\r\n"));
    assert_eq!(not_modified.status, 304);
    assert_eq!(
        not_modified.header("cache-control"),
        Some("public, max-age=3600")
    );
    assert_eq!(
        serve.get("/sub/", "").header("cache-control"),
        Some("no-cache")
    );
    assert_eq!(serve.get("/missing", "").header("cache-control"), None);
}

/// `--spa`: a path not found is answered with /index.html (200); files and directories that
/// exist are served as usual. Without it the same path is 404.
#[test]
fn spa_falls_back_to_index() {
    let dir = TempDir::new("spa");
    dir.write("index.html", "<app>");
    dir.write("assets/app.js", "js");
    let serve = Served::one_worker(dir.path(), &["--spa", "--quiet"]);
    for path in ["/users/42", "/deep/route/", "/missing.js"] {
        let reply = serve.get(path, "");
        assert_eq!(
            (reply.status, reply.text().as_str()),
            (200, "<app>"),
            "{path}"
        );
        assert_eq!(
            reply.header("content-type"),
            Some("text/html; charset=utf-8")
        );
    }
    assert_eq!(serve.get("/assets/app.js", "").text(), "js");
    assert_eq!(serve.get("/assets/", "").status, 200);
    let plain = Served::one_worker(dir.path(), &["--quiet"]);
    assert_eq!(plain.get("/users/42", "").status, 404);
}

/// A `404.html` in the root is the body of every 404 (status kept), without validators;
/// without one, the plain 404.
#[test]
fn not_found_page() {
    let dir = TempDir::new("404");
    dir.write("a/b.txt", "b");
    let serve = Served::one_worker(dir.path(), &["--quiet"]);
    let bare = serve.get("/missing", "");
    assert_eq!(bare.status, 404);
    assert!(!bare.text().contains("Oops"));
    dir.write("404.html", "<h1>Oops</h1>");
    for path in ["/missing", "/a/missing.txt", "/.env"] {
        let reply = serve.get(path, "");
        assert_eq!(reply.status, 404, "{path}");
        assert_eq!(reply.text(), "<h1>Oops</h1>", "{path}");
        assert_eq!(
            reply.header("content-type"),
            Some("text/html; charset=utf-8")
        );
        assert_eq!(reply.header("etag"), None);
    }
    let head = exchange(serve.addr, "HEAD /missing HTTP/1.1\r\n");
    assert_eq!(head.status, 404);
    assert!(head.body.is_empty());
}

/// Dotfiles are 404 and unlisted by default; `--hidden` serves and lists them.
#[test]
fn hidden_files() {
    let dir = TempDir::new("hidden");
    dir.write(".env", "TOKEN=1");
    dir.write(".config/app.toml", "x=1");
    dir.write("visible.txt", "v");
    let serve = Served::one_worker(dir.path(), &["--quiet"]);
    assert_eq!(serve.get("/.env", "").status, 404);
    assert_eq!(serve.get("/.config/app.toml", "").status, 404);
    let listing = serve.get("/", "").text();
    assert!(listing.contains("visible.txt") && !listing.contains(".env"));

    let serve = Served::one_worker(dir.path(), &["--hidden", "--quiet"]);
    assert_eq!(serve.get("/.env", "").text(), "TOKEN=1");
    assert_eq!(serve.get("/.config/app.toml", "").text(), "x=1");
    let listing = serve.get("/", "").text();
    assert!(listing.contains("./.env\"") && listing.contains("./.config/\""));
}

/// `--no-listing`: a directory without index.html is 403; one with an index still serves it.
#[test]
fn no_listing() {
    let dir = TempDir::new("nolist");
    dir.write("plain/a.txt", "a");
    dir.write("site/index.html", "index");
    let serve = Served::one_worker(dir.path(), &["--no-listing", "--quiet"]);
    let reply = serve.get("/plain/", "");
    assert_eq!(reply.status, 403);
    assert!(!reply.text().contains("a.txt"));
    assert_eq!(serve.get("/site/", "").text(), "index");
    assert_eq!(serve.get("/plain/a.txt", "").text(), "a");
    let listed = Served::one_worker(dir.path(), &["--quiet"]);
    assert!(listed.get("/plain/", "").text().contains("a.txt"));
}

/// `--log-format combined` adds the quoted Referer and User-Agent (escaped); `json` writes
/// one JSON object per request.
#[test]
fn log_formats() {
    let dir = TempDir::new("logs");
    dir.write("f.txt", "12345");
    let mut serve = Served::one_worker(dir.path(), &["--log-format", "combined"]);
    serve.get(
        "/f.txt",
        "Referer: http://ref.example/\r\nUser-Agent: tester \"quoted\"\r\n",
    );
    let line = serve.wait_line(|l| l.contains("\"GET /f.txt HTTP/1.1\""));
    assert!(line.starts_with("127.0.0.1 - - ["), "{line}");
    assert!(
        line.ends_with(
            "\"GET /f.txt HTTP/1.1\" 200 5 \"http://ref.example/\" \"tester \\\"quoted\\\"\""
        ),
        "{line}"
    );
    serve.get("/f.txt", "");
    let line = serve.wait_line(|l| l.contains("\"GET /f.txt HTTP/1.1\""));
    assert!(line.ends_with("200 5 \"-\" \"-\""), "{line}");

    let mut serve = Served::one_worker(dir.path(), &["--log-format", "json"]);
    serve.get("/f.txt?q=1", "User-Agent: json-test\r\n");
    let line = serve.wait_line(|l| l.starts_with('{'));
    let value: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(value["remote"], "127.0.0.1");
    assert_eq!(value["method"], "GET");
    assert_eq!(value["target"], "/f.txt?q=1");
    assert_eq!(value["version"], "HTTP/1.1");
    assert_eq!(value["status"], 200);
    assert_eq!(value["bytes"], 5);
    assert_eq!(value["user_agent"], "json-test");
    assert!(value["referer"].is_null());
    let time = value["time"].as_str().unwrap();
    assert!(time.len() == 20 && time.ends_with('Z'), "{time}");
}
