//! Files and directories `corio serve` may not read: 403 with the reason logged, as nginx.
//!
//! The server runs unprivileged (as `nobody` when the tests run as root, as in CI), so the
//! permission bits really stop its reads: root would read through them.

mod serve_child;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Duration;

use serve_child::{get, temp_dir, Served};

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// Status code of a raw reply.
fn status(reply: &[u8]) -> String {
    String::from_utf8_lossy(&reply[..reply.len().min(12)]).into_owned()
}

/// Unreadable file (mode 000), directory without search permission (000, its file below it)
/// and directory without read permission (111: no listing): each is 403, leaks nothing, logs
/// why, and does not disturb what may be read.
#[test]
fn unreadable_is_403_with_a_logged_reason() {
    let dir = temp_dir("forbidden");
    chmod(&dir, 0o755);
    std::fs::write(dir.join("open.txt"), "public").unwrap();
    std::fs::write(dir.join("locked.txt"), "SECRET-FILE").unwrap();
    chmod(&dir.join("locked.txt"), 0o000);
    std::fs::create_dir(dir.join("closed")).unwrap();
    std::fs::write(dir.join("closed/inner.txt"), "SECRET-INNER").unwrap();
    chmod(&dir.join("closed"), 0o000);
    std::fs::create_dir(dir.join("blind")).unwrap();
    std::fs::write(dir.join("blind/hidden-name.txt"), "x").unwrap();
    chmod(&dir.join("blind"), 0o111);

    let served = Served::start_unprivileged(&dir, &["--workers", "1"]);
    let open = get(served.addr, "/open.txt").unwrap();
    assert!(
        open.starts_with(b"HTTP/1.1 200 OK\r\n"),
        "{}",
        status(&open)
    );
    assert!(open.ends_with(b"\r\n\r\npublic"));

    for path in ["/locked.txt", "/closed/", "/closed/inner.txt", "/blind/"] {
        let reply = get(served.addr, path).unwrap();
        let text = String::from_utf8_lossy(&reply);
        assert!(text.starts_with("HTTP/1.1 403 "), "{path}: {text}");
        assert!(
            !text.contains("SECRET") && !text.contains("hidden-name"),
            "{text}"
        );
        let logged = loop {
            // A hang guard only: the line is written before the response.
            let line = served
                .log
                .recv_timeout(Duration::from_secs(60))
                .expect("no logged reason");
            if line.contains("cannot read") {
                break line;
            }
        };
        let name = path.trim_matches('/').split('/').next().unwrap();
        assert!(logged.contains(name), "{path}: {logged}");
        assert!(logged.contains("Permission denied"), "{path}: {logged}");
    }
    // The failures were contained: the listing and the readable file are still served.
    let listing = get(served.addr, "/").unwrap();
    assert!(
        listing.starts_with(b"HTTP/1.1 200 OK\r\n"),
        "{}",
        status(&listing)
    );
    assert!(get(served.addr, "/open.txt").unwrap().ends_with(b"public"));
    drop(served);
    chmod(&dir.join("closed"), 0o755);
    chmod(&dir.join("blind"), 0o755);
    std::fs::remove_dir_all(&dir).unwrap();
}
