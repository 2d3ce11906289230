//! Precompressed siblings through `corio serve`: `FILE.br`, `FILE.zst`, `FILE.gz` served in
//! place of FILE to clients that accept the coding (q-values honoured), with the original
//! content type, `Content-Encoding`, `Vary: Accept-Encoding`, an ETag per encoding, ranges
//! counted in the encoded bytes; decoded with the system's `gzip` and `zstd` to check that
//! what a client decodes is the file.

mod serve_child;

use std::io::Write;
use std::process::{Command, Stdio};

use serve_child::{Served, TempDir};

/// Compresses `data` with `program -c` (gzip, zstd).
fn compress(program: &str, data: &[u8]) -> Vec<u8> {
    let mut child = Command::new(program)
        .arg("-c")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{program}: {e}"));
    child.stdin.take().unwrap().write_all(data).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    out.stdout
}

/// Decompresses with `program -d -c`.
fn decompress(program: &str, data: &[u8]) -> Vec<u8> {
    let mut child = Command::new(program)
        .args(["-d", "-c"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{program}: {e}"));
    child.stdin.take().unwrap().write_all(data).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    out.stdout
}

#[test]
fn siblings_by_accept_encoding() {
    let dir = TempDir::new("precompressed");
    let original = "console.log('hello, corio');\n".repeat(200);
    dir.write("app.js", &original);
    let gz = compress("gzip", original.as_bytes());
    let zst = compress("zstd", original.as_bytes());
    dir.write("app.js.gz", &gz);
    dir.write("app.js.zst", &zst);
    dir.write("app.js.br", b"pretend brotli");
    let serve = Served::one_worker(dir.path(), &["--quiet"]);

    let identity = serve.get("/app.js", "");
    assert_eq!(identity.text(), original);
    assert_eq!(identity.header("content-encoding"), None);
    assert_eq!(identity.header("vary"), Some("Accept-Encoding"));
    let identity_etag = identity.header("etag").unwrap().to_owned();

    let cases = [
        ("gzip", Some("gzip")),
        ("gzip, deflate", Some("gzip")),
        ("br;q=0.5, gzip", Some("gzip")),
        ("gzip;q=0.5, zstd", Some("zstd")),
        ("gzip, zstd, br", Some("br")),
        ("*", Some("br")),
        ("br;q=0, zstd;q=0, *;q=0.1", Some("gzip")),
        ("gzip;q=0, identity", None),
        ("deflate", None),
    ];
    for (accept, coding) in cases {
        let reply = serve.get("/app.js", &format!("Accept-Encoding: {accept}\r\n"));
        assert_eq!(reply.status, 200, "{accept}");
        assert_eq!(reply.header("content-encoding"), coding, "{accept}");
        assert_eq!(
            reply.header("content-type"),
            Some("text/javascript; charset=utf-8"),
            "{accept}"
        );
        assert_eq!(reply.header("vary"), Some("Accept-Encoding"), "{accept}");
        let etag = reply.header("etag").unwrap();
        match coding {
            Some(c) => {
                assert!(etag.ends_with(&format!("-{c}\"")), "{accept}: {etag}");
                assert_ne!(etag, identity_etag);
            }
            None => assert_eq!(etag, identity_etag),
        }
        let body = match coding {
            Some("gzip") => decompress("gzip", &reply.body),
            Some("zstd") => decompress("zstd", &reply.body),
            Some(_) => {
                assert_eq!(reply.body, b"pretend brotli");
                continue;
            }
            None => reply.body.clone(),
        };
        assert_eq!(body, original.as_bytes(), "{accept}");
    }

    // Validators are per encoding: the gzip ETag revalidates the gzip response only.
    let gzip = serve.get("/app.js", "Accept-Encoding: gzip\r\n");
    let gzip_etag = gzip.header("etag").unwrap().to_owned();
    let revalidated = serve.get(
        "/app.js",
        &format!("Accept-Encoding: gzip\r\nIf-None-Match: {gzip_etag}\r\n"),
    );
    assert_eq!(revalidated.status, 304);
    let other = serve.get(
        "/app.js",
        &format!("Accept-Encoding: zstd\r\nIf-None-Match: {gzip_etag}\r\n"),
    );
    assert_eq!(other.status, 200);

    // A range counts in the encoded bytes; If-Range with the same encoding's ETag holds.
    let ranged = serve.get(
        "/app.js",
        &format!("Accept-Encoding: gzip\r\nRange: bytes=10-19\r\nIf-Range: {gzip_etag}\r\n"),
    );
    assert_eq!(ranged.status, 206);
    assert_eq!(ranged.header("content-encoding"), Some("gzip"));
    assert_eq!(
        ranged.header("content-range"),
        Some(format!("bytes 10-19/{}", gz.len()).as_str())
    );
    assert_eq!(ranged.body, &gz[10..20]);

    // A directory's index.html has siblings too.
    dir.write("docs/index.html", "<p>docs</p>");
    dir.write("docs/index.html.gz", compress("gzip", b"<p>docs</p>"));
    let index = serve.get("/docs/", "Accept-Encoding: gzip\r\n");
    assert_eq!(index.header("content-encoding"), Some("gzip"));
    assert_eq!(decompress("gzip", &index.body), b"<p>docs</p>");
}

/// A sibling older than its file is stale and not served; `--no-precompressed` serves the
/// file itself and drops `Vary`.
#[test]
fn stale_siblings_and_no_precompressed() {
    let dir = TempDir::new("stale");
    let gz = dir.write("page.html.gz", compress("gzip", b"old"));
    let old = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    std::fs::File::options()
        .write(true)
        .open(&gz)
        .unwrap()
        .set_modified(old)
        .unwrap();
    dir.write("page.html", "new");
    dir.write("fresh.txt", "fresh");
    dir.write("fresh.txt.gz", compress("gzip", b"fresh"));
    let serve = Served::one_worker(dir.path(), &["--quiet"]);
    let reply = serve.get("/page.html", "Accept-Encoding: gzip\r\n");
    assert_eq!(reply.header("content-encoding"), None);
    assert_eq!(reply.text(), "new");
    assert_eq!(
        serve
            .get("/fresh.txt", "Accept-Encoding: gzip\r\n")
            .header("content-encoding"),
        Some("gzip")
    );

    let off = Served::one_worker(dir.path(), &["--no-precompressed", "--quiet"]);
    let reply = off.get("/fresh.txt", "Accept-Encoding: gzip\r\n");
    assert_eq!(reply.header("content-encoding"), None);
    assert_eq!(reply.header("vary"), None);
    assert_eq!(reply.text(), "fresh");
}
