//! On-the-fly compression through `corio serve`: gzip, brotli and zstd for compressible files
//! without a precompressed sibling, chosen by `Accept-Encoding` (q-values honoured), decoded
//! with the real decoders (the flate2, brotli and zstd crates, and `curl --compressed`); small
//! files and binary types sent as they are; a weak ETag per coding with `Vary`; a Range
//! answered from the identity bytes; HEAD and 304 like GET; an 8 MiB file streamed chunked;
//! the cache of small files following edits; `--no-compress`.

mod serve_child;

use std::io::Read;
use std::process::Command;

use serve_child::{exchange, Reply, Served, TempDir};

/// Decodes `body` as `coding` with the real decoder.
fn decode(coding: &str, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    match coding {
        "gzip" => {
            flate2::read::GzDecoder::new(body)
                .read_to_end(&mut out)
                .unwrap();
        }
        "br" => {
            brotli::Decompressor::new(body, 4096)
                .read_to_end(&mut out)
                .unwrap();
        }
        "zstd" => out = zstd::stream::decode_all(body).unwrap(),
        other => panic!("unexpected coding {other}"),
    }
    out
}

/// The body of a reply, its chunked coding removed when it has one.
fn payload(reply: &Reply) -> Vec<u8> {
    if reply.header("transfer-encoding") != Some("chunked") {
        return reply.body.clone();
    }
    let mut out = Vec::new();
    let mut rest = &reply.body[..];
    loop {
        let line_end = rest.windows(2).position(|w| w == b"\r\n").unwrap();
        let size_line = std::str::from_utf8(&rest[..line_end]).unwrap();
        let size = usize::from_str_radix(size_line.split(';').next().unwrap(), 16).unwrap();
        rest = &rest[line_end + 2..];
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&rest[..size]);
        assert_eq!(&rest[size..size + 2], b"\r\n");
        rest = &rest[size + 2..];
    }
}

/// A text that compresses well but not trivially.
fn text(lines: usize) -> String {
    (0..lines)
        .map(|i| {
            format!(
                "{i:07} the quick brown fox jumps over the lazy dog {}\n",
                i % 97
            )
        })
        .collect()
}

fn accept(codings: &str) -> String {
    format!("Accept-Encoding: {codings}\r\n")
}

#[test]
fn each_coding_decodes_to_the_file() {
    let dir = TempDir::new("compress-codings");
    let original = text(2_000);
    dir.write("notes.txt", &original);
    dir.write("data.json", format!("[{}0]", "{\"k\": 1},".repeat(500)));
    let serve = Served::one_worker(dir.path(), &["--quiet"]);
    for coding in ["gzip", "br", "zstd"] {
        let reply = serve.get("/notes.txt", &accept(coding));
        assert_eq!(reply.status, 200, "{coding}");
        assert_eq!(reply.header("content-encoding"), Some(coding));
        assert_eq!(
            reply.header("content-type"),
            Some("text/plain; charset=utf-8")
        );
        assert_eq!(reply.header("vary"), Some("Accept-Encoding"));
        assert_eq!(reply.header("accept-ranges"), None, "{coding}");
        let body = payload(&reply);
        assert!(body.len() < original.len() / 3, "{coding}: {}", body.len());
        assert_eq!(decode(coding, &body), original.as_bytes(), "{coding}");
        // A small file is compressed whole: its length is known.
        assert_eq!(
            reply.header("content-length"),
            Some(body.len().to_string().as_str())
        );
        let json = serve.get("/data.json", &accept(coding));
        assert_eq!(json.header("content-encoding"), Some(coding));
        assert!(decode(coding, &payload(&json)).starts_with(b"[{\"k\": 1},"));
    }
}

#[test]
fn curl_compressed_gets_the_file() {
    let dir = TempDir::new("compress-curl");
    let original = text(3_000);
    dir.write("page.html", &original);
    dir.write("big.js", text(200_000));
    let serve = Served::one_worker(dir.path(), &["--quiet"]);
    for (path, want) in [("page.html", original), ("big.js", text(200_000))] {
        for coding in ["gzip", "br", "zstd"] {
            let url = format!("http://{}/{path}", serve.addr);
            let out = Command::new("curl")
                .args(["-sS", "--fail", "--compressed", "-H"])
                .arg(format!("Accept-Encoding: {coding}"))
                .args(["-D", "-", &url])
                .output()
                .expect("curl must be installed (.ci/run installs it)");
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let raw = String::from_utf8(out.stdout).unwrap();
            let (head, body) = raw.split_once("\r\n\r\n").unwrap();
            assert!(
                head.to_ascii_lowercase()
                    .contains(&format!("content-encoding: {coding}")),
                "{head}"
            );
            assert!(
                body == want,
                "{path} {coding}: curl decoded {} bytes",
                body.len()
            );
        }
    }
}

#[test]
fn q_values_choose_the_coding() {
    let dir = TempDir::new("compress-q");
    dir.write("app.js", text(500));
    let serve = Served::one_worker(dir.path(), &["--quiet"]);
    let cases = [
        ("gzip", Some("gzip")),
        ("gzip, deflate, br, zstd", Some("br")),
        ("gzip;q=1.0, br;q=0.5", Some("gzip")),
        ("br;q=0.1, gzip;q=0.9, zstd;q=0.5", Some("gzip")),
        ("gzip;q=0.5, zstd", Some("zstd")),
        ("*;q=0.5, gzip", Some("gzip")),
        ("*, br;q=0", Some("zstd")),
        ("br;q=0, zstd;q=0, gzip;q=0", None),
        ("identity", None),
        ("deflate", None),
    ];
    for (header, want) in cases {
        let reply = serve.get("/app.js", &accept(header));
        assert_eq!(reply.header("content-encoding"), want, "{header}");
        let body = payload(&reply);
        let decoded = match want {
            Some(coding) => decode(coding, &body),
            None => body,
        };
        assert_eq!(decoded, text(500).as_bytes(), "{header}");
    }
    let none = serve.get("/app.js", "");
    assert_eq!(none.header("content-encoding"), None);
    assert_eq!(none.header("vary"), Some("Accept-Encoding"));
}

#[test]
fn small_and_binary_files_are_left_alone() {
    let dir = TempDir::new("compress-alone");
    let small = "x".repeat(1023);
    dir.write("small.txt", &small);
    dir.write("edge.txt", "y".repeat(1024));
    let png = vec![7u8; 10_000];
    dir.write("image.png", &png);
    dir.write("archive.gz", &png);
    let serve = Served::one_worker(dir.path(), &["--quiet"]);
    let gz = accept("gzip, br, zstd");
    let reply = serve.get("/small.txt", &gz);
    assert_eq!(reply.header("content-encoding"), None);
    assert_eq!(reply.header("content-length"), Some("1023"));
    assert_eq!(reply.text(), small);
    assert_eq!(
        serve.get("/edge.txt", &gz).header("content-encoding"),
        Some("br")
    );
    for path in ["/image.png", "/archive.gz"] {
        let reply = serve.get(path, &gz);
        assert_eq!(reply.header("content-encoding"), None, "{path}");
        assert_eq!(reply.body, png, "{path}");
        assert_eq!(reply.header("accept-ranges"), Some("bytes"), "{path}");
    }
}

#[test]
fn etags_per_coding_and_not_modified() {
    let dir = TempDir::new("compress-etag");
    dir.write("style.css", text(400));
    let serve = Served::one_worker(dir.path(), &["--quiet"]);
    let identity = serve.get("/style.css", "");
    let identity_etag = identity.header("etag").unwrap().to_owned();
    assert!(identity_etag.starts_with('"'), "{identity_etag}");
    let mut etags = vec![identity_etag.clone()];
    for coding in ["gzip", "br", "zstd"] {
        let reply = serve.get("/style.css", &accept(coding));
        let etag = reply.header("etag").unwrap().to_owned();
        assert_eq!(
            etag,
            format!("W/{}-{coding}\"", identity_etag.trim_end_matches('"'))
        );
        assert!(!etags.contains(&etag));
        etags.push(etag.clone());

        // 304 with the coding's own ETag, with the headers of the GET.
        let not_modified = serve.get(
            "/style.css",
            &format!("{}If-None-Match: {etag}\r\n", accept(coding)),
        );
        assert_eq!(not_modified.status, 304, "{coding}");
        assert_eq!(not_modified.header("etag"), Some(etag.as_str()));
        assert_eq!(not_modified.header("vary"), Some("Accept-Encoding"));
        assert!(not_modified.body.is_empty());
        // The identity ETag names another representation: the full compressed 200.
        let other = serve.get(
            "/style.css",
            &format!("{}If-None-Match: {identity_etag}\r\n", accept(coding)),
        );
        assert_eq!(other.status, 200, "{coding}");
        assert_eq!(other.header("content-encoding"), Some(coding));
    }
}

#[test]
fn a_range_gets_the_identity_bytes() {
    let dir = TempDir::new("compress-range");
    let original = text(1_000);
    dir.write("log.txt", &original);
    let serve = Served::one_worker(dir.path(), &["--quiet"]);
    let gz = accept("gzip");
    let reply = serve.get("/log.txt", &format!("{gz}Range: bytes=100-199\r\n"));
    assert_eq!(reply.status, 206);
    assert_eq!(reply.header("content-encoding"), None);
    assert_eq!(reply.body, &original.as_bytes()[100..200]);
    assert_eq!(
        reply.header("content-range"),
        Some(format!("bytes 100-199/{}", original.len()).as_str())
    );
    let identity_etag = reply.header("etag").unwrap().to_owned();
    assert!(identity_etag.starts_with('"'));

    // If-Range with the (weak) compressed ETag never matches: the whole identity file.
    let compressed_etag = serve
        .get("/log.txt", &gz)
        .header("etag")
        .unwrap()
        .to_owned();
    let full = serve.get(
        "/log.txt",
        &format!("{gz}Range: bytes=100-199\r\nIf-Range: {compressed_etag}\r\n"),
    );
    assert_eq!(full.status, 200);
    assert_eq!(full.header("content-encoding"), None);
    assert_eq!(full.text(), original);
    // If-Range with the identity ETag: the range.
    let partial = serve.get(
        "/log.txt",
        &format!("{gz}Range: bytes=-10\r\nIf-Range: {identity_etag}\r\n"),
    );
    assert_eq!(partial.status, 206);
    assert_eq!(partial.body, &original.as_bytes()[original.len() - 10..]);
}

#[test]
fn head_has_the_get_headers() {
    let dir = TempDir::new("compress-head");
    dir.write("small.svg", text(300));
    dir.write("large.xml", text(20_000));
    let serve = Served::one_worker(dir.path(), &["--quiet"]);
    for path in ["/small.svg", "/large.xml"] {
        for coding in ["gzip", "br", "zstd"] {
            let get = serve.get(path, &accept(coding));
            let head = exchange(
                serve.addr,
                &format!("HEAD {path} HTTP/1.1\r\n{}", accept(coding)),
            );
            assert_eq!(head.status, 200);
            assert!(head.body.is_empty(), "{path} {coding}");
            for name in [
                "content-encoding",
                "content-type",
                "content-length",
                "transfer-encoding",
                "etag",
                "vary",
                "last-modified",
            ] {
                assert_eq!(
                    head.header(name),
                    get.header(name),
                    "{path} {coding} {name}"
                );
            }
        }
    }
    // The large one streams: chunked, no length.
    let get = serve.get("/large.xml", &accept("gzip"));
    assert_eq!(get.header("transfer-encoding"), Some("chunked"));
    assert_eq!(get.header("content-length"), None);
}

#[test]
fn an_8_mib_file_streams() {
    let dir = TempDir::new("compress-large");
    let original = text(8 * 1024 * 1024 / 50);
    assert!(original.len() >= 8 * 1024 * 1024);
    dir.write("big.txt", &original);
    let serve = Served::one_worker(dir.path(), &["--quiet"]);
    for coding in ["gzip", "br", "zstd"] {
        let reply = serve.get("/big.txt", &accept(coding));
        assert_eq!(reply.status, 200);
        assert_eq!(reply.header("content-encoding"), Some(coding));
        assert_eq!(reply.header("transfer-encoding"), Some("chunked"));
        assert_eq!(reply.header("content-length"), None);
        let decoded = decode(coding, &payload(&reply));
        assert!(
            decoded == original.as_bytes(),
            "{coding}: {} bytes",
            decoded.len()
        );
    }
}

#[test]
fn cached_small_files_follow_edits() {
    let dir = TempDir::new("compress-cache");
    let first = text(100);
    let path = dir.write("page.html", &first);
    let serve = Served::one_worker(dir.path(), &["--quiet"]);
    let gz = accept("gzip");
    let a = serve.get("/page.html", &gz);
    let b = serve.get("/page.html", &gz);
    assert_eq!(a.body, b.body);
    assert_eq!(decode("gzip", &b.body), first.as_bytes());
    // A rewrite of another length (a new ETag) is never answered from the old entry.
    let second = text(150);
    std::fs::write(&path, &second).unwrap();
    let c = serve.get("/page.html", &gz);
    assert_ne!(c.header("etag"), a.header("etag"));
    assert_eq!(decode("gzip", &c.body), second.as_bytes());
}

#[test]
fn no_compress_sends_files_as_they_are() {
    let dir = TempDir::new("compress-off");
    let original = text(500);
    dir.write("app.js", &original);
    dir.write("pre.js", &original);
    dir.write("pre.js.gz", b"pretend gzip");
    let serve = Served::one_worker(dir.path(), &["--quiet", "--no-compress"]);
    let reply = serve.get("/app.js", &accept("gzip, br, zstd"));
    assert_eq!(reply.header("content-encoding"), None);
    assert_eq!(reply.text(), original);
    assert_eq!(reply.header("vary"), Some("Accept-Encoding"));
    // Siblings are still served.
    let sibling = serve.get("/pre.js", &accept("gzip"));
    assert_eq!(sibling.header("content-encoding"), Some("gzip"));
    assert_eq!(sibling.body, b"pretend gzip");
    // Nothing varies any more with siblings off too.
    let none = Served::one_worker(
        dir.path(),
        &["--quiet", "--no-compress", "--no-precompressed"],
    );
    assert_eq!(none.get("/app.js", &accept("gzip")).header("vary"), None);
    // The last of --compress / --no-compress wins.
    let serve = Served::one_worker(dir.path(), &["--quiet", "--no-compress", "--compress"]);
    let reply = serve.get("/app.js", &accept("gzip"));
    assert_eq!(reply.header("content-encoding"), Some("gzip"));
}
