//! The open-file cache of `StaticFiles` seen from a client: every change on disk shows in the
//! very next response (rewritten with the same or another size, renamed over, deleted,
//! replaced by a symlink or under a directory replaced by one leading outside the root), and
//! ranges, `If-None-Match` and HEAD answer as before from cached files, also from their bytes
//! kept in memory. One worker, so every request meets the entries the previous ones left.

mod util;

use std::fs;
use std::os::unix::fs::symlink;
use std::path::Path;

use corio_http::server::StaticFiles;
use corio_http::RunningServer;
use util::{get, start, stop, Client, TempDir};

const SECRET: &str = "TOP-SECRET-OUTSIDE-THE-ROOT";

/// A served directory, a directory outside it holding a secret, and the server.
struct Site {
    root: TempDir,
    outside: TempDir,
    server: Option<RunningServer>,
}

impl Site {
    fn new() -> Site {
        let root = TempDir::new("cache");
        let outside = TempDir::new("cache-outside");
        fs::write(outside.path().join("f.txt"), SECRET).unwrap();
        let server = start(StaticFiles::new(root.path()).unwrap());
        Site {
            root,
            outside,
            server: Some(server),
        }
    }

    fn write(&self, rel: &str, data: &str) {
        fs::write(self.root.path().join(rel), data).unwrap();
    }

    /// Status and body of `GET path`, asked twice so the second answer is a cache hit when
    /// nothing changed in between; both answers must agree.
    fn twice(&self, path: &str) -> (u16, String) {
        let addr = self.server.as_ref().unwrap().local_addr();
        let first = get(addr, path, "");
        let second = get(addr, path, "");
        assert_eq!(
            (first.status, &first.body),
            (second.status, &second.body),
            "{path}"
        );
        (second.status, second.text())
    }
}

impl Drop for Site {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            stop(server);
        }
        let _ = (&self.root, &self.outside);
    }
}

#[test]
fn a_rewritten_file_is_served_fresh() {
    let site = Site::new();
    site.write("a.txt", "one");
    assert_eq!(site.twice("/a.txt"), (200, "one".into()));
    site.write("a.txt", "two");
    assert_eq!(site.twice("/a.txt"), (200, "two".into()), "same size");
    site.write("a.txt", "three, longer");
    assert_eq!(site.twice("/a.txt"), (200, "three, longer".into()));
    site.write("a.txt", "4");
    assert_eq!(site.twice("/a.txt"), (200, "4".into()), "shorter");
}

#[test]
fn a_file_renamed_over_is_served_fresh() {
    let site = Site::new();
    site.write("a.txt", "old inode");
    assert_eq!(site.twice("/a.txt"), (200, "old inode".into()));
    site.write("next.txt", "new inode");
    let r = site.root.path();
    fs::rename(r.join("next.txt"), r.join("a.txt")).unwrap();
    assert_eq!(site.twice("/a.txt"), (200, "new inode".into()));
}

#[test]
fn a_deleted_file_is_404() {
    let site = Site::new();
    site.write("a.txt", "here");
    assert_eq!(site.twice("/a.txt").0, 200);
    fs::remove_file(site.root.path().join("a.txt")).unwrap();
    assert_eq!(site.twice("/a.txt").0, 404);
}

#[test]
fn a_file_replaced_by_a_symlink_outside_is_refused() {
    let site = Site::new();
    site.write("f.txt", "inside");
    assert_eq!(site.twice("/f.txt"), (200, "inside".into()));
    let r = site.root.path();
    fs::remove_file(r.join("f.txt")).unwrap();
    symlink(site.outside.path().join("f.txt"), r.join("f.txt")).unwrap();
    let (status, body) = site.twice("/f.txt");
    assert_eq!(status, 404);
    assert!(!body.contains(SECRET));
}

#[test]
fn a_directory_replaced_by_a_symlink_outside_is_refused() {
    let site = Site::new();
    let r = site.root.path();
    fs::create_dir(r.join("d")).unwrap();
    site.write("d/f.txt", "inside");
    assert_eq!(site.twice("/d/f.txt"), (200, "inside".into()));
    // The directory moved out of the root (its file keeps its inode) and linked back in.
    let moved = site.outside.path().join("d");
    fs::rename(r.join("d"), &moved).unwrap();
    symlink(&moved, r.join("d")).unwrap();
    assert_eq!(site.twice("/d/f.txt").0, 404);
}

/// Ranges, `If-None-Match` and HEAD on one keep-alive connection, each asked twice.
fn check_validators_and_ranges(site_root: &Path, file: &str) {
    let server = start(StaticFiles::new(site_root).unwrap());
    let body = fs::read(site_root.join(file)).unwrap();
    let mut client = Client::connect(server.local_addr());
    let mut ask = |extra: &str| {
        client.send(format!("GET /{file} HTTP/1.1\r\nHost: t\r\n{extra}\r\n"));
        client.read_response()
    };
    let whole = ask("");
    assert_eq!((whole.status, &whole.body), (200, &body));
    let etag = whole.header("etag").unwrap().to_owned();
    for _ in 0..2 {
        let again = ask("");
        assert_eq!(again.header("etag"), Some(etag.as_str()));
        assert_eq!(again.body, body);
        let range = ask("Range: bytes=2-5\r\n");
        assert_eq!(range.status, 206);
        let total = body.len();
        let content_range = format!("bytes 2-5/{total}");
        assert_eq!(range.header("content-range"), Some(content_range.as_str()));
        assert_eq!(range.body, &body[2..6]);
        let tail = ask("Range: bytes=-3\r\n");
        assert_eq!(tail.body, &body[total - 3..]);
        let beyond = ask(&format!("Range: bytes={total}-\r\n"));
        assert_eq!(beyond.status, 416);
        let not_modified = ask(&format!("If-None-Match: {etag}\r\n"));
        assert_eq!((not_modified.status, not_modified.body.len()), (304, 0));
        let modified = ask("If-None-Match: \"other\"\r\n");
        assert_eq!((modified.status, &modified.body), (200, &body));
    }
    client.send(format!("HEAD /{file} HTTP/1.1\r\nHost: t\r\n\r\n"));
    let head = client.read_head_response();
    let length = body.len().to_string();
    assert_eq!(
        (head.status, head.header("content-length")),
        (200, Some(length.as_str()))
    );
    assert!(head.body.is_empty());
    stop(server);
}

#[test]
fn ranges_and_validators_on_cached_descriptors() {
    let site = Site::new();
    site.write("digits.txt", "0123456789abcdefghij");
    check_validators_and_ranges(site.root.path(), "digits.txt");
}

/// The committed fixtures changed long before the tests run, so their bytes are kept in
/// memory from the first request: ranges slice them.
#[test]
fn ranges_and_validators_on_cached_bytes() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tls");
    check_validators_and_ranges(&fixtures, "rsa-cert.pem");
}
