//! Progress on long work, shown only on a terminal: `corio get -o` draws a bar per file,
//! `corio crawl` a progress line with pages/s and the frontier. The commands run with their
//! stderr on a pseudo-terminal (or a pipe); the test servers hold their answers until the
//! test has seen the progress it waits for, so nothing depends on timing.

mod terminal;

use std::io::Write;

use terminal::{piped, raw_server, respond, Gate, Terminal};

/// Size of the download: 2 MiB, sent in two halves.
const BIG: usize = 2 << 20;

/// A server whose `/big.bin` sends its head and first half, waits at `gate`, then sends the
/// rest; every other path is a small text.
fn download_server(gate: Gate) -> String {
    let addr = raw_server(move |path, s| {
        if path != "/big.bin" {
            return respond(s, "text/plain", b"small");
        }
        let head = format!("HTTP/1.1 200 OK\r\ncontent-length: {BIG}\r\n\r\n");
        let body = vec![b'x'; BIG];
        if s.write_all(head.as_bytes()).is_err() || s.write_all(&body[..BIG / 2]).is_err() {
            return false;
        }
        gate.wait();
        s.write_all(&body[BIG / 2..]).is_ok()
    });
    format!("http://{addr}")
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("corio-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

#[test]
fn get_draws_a_bar_per_file_on_a_terminal() {
    let gate = Gate::default();
    let base = download_server(gate.clone());
    let dir = temp_dir("get-bar");
    let url = format!("{base}/big.bin");
    let t = Terminal::spawn(&["get", "--output-dir", dir.to_str().unwrap(), &url]);
    // Mid-download: the bar names the file and its size.
    assert!(t.wait_for("big.bin"), "{:?}", t.screen_tail());
    assert!(t.wait_for("/ 2.00 MiB"), "{:?}", t.screen_tail());
    gate.open();
    let f = t.finish();
    assert_eq!(f.code, Some(0), "{f:?}");
    assert!(f.stdout.is_empty(), "{f:?}");
    // The finished bar stays: full, with a rate (in whatever unit) and the ETA.
    assert!(f.stderr.contains("2.00 MiB / 2.00 MiB"), "{f:?}");
    assert!(
        f.stderr.contains("B/s") && f.stderr.contains("ETA"),
        "{f:?}"
    );
    // One URL: no summary line.
    assert!(!f.stderr.contains("ok,"), "{f:?}");
    assert_eq!(
        std::fs::metadata(dir.join("big.bin")).unwrap().len(),
        BIG as u64
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn get_draws_nothing_off_a_terminal_or_when_silent() {
    let gate = Gate::default();
    gate.open();
    let base = download_server(gate);
    let dir = temp_dir("get-quiet");
    let url = format!("{base}/big.bin");
    let dir_arg = dir.to_str().unwrap();

    // Piped, even with several URLs: nothing at all.
    let f = piped(&[
        "get",
        "--output-dir",
        dir_arg,
        &url,
        &format!("{base}/small"),
    ]);
    assert_eq!(f.code, Some(0), "{f:?}");
    assert_eq!(f.stderr, "", "{f:?}");

    let f = Terminal::spawn(&["get", "-s", "--output-dir", dir_arg, &url, &url]).finish();
    assert_eq!(f.code, Some(0), "{f:?}");
    assert_eq!(f.stderr, "", "{f:?}");

    // To stdout, not to a file: no bar either; with several URLs on a terminal, the summary.
    let small = format!("{base}/small");
    let f = Terminal::spawn(&["get", &small, &small]).finish();
    assert_eq!(f.stdout, "smallsmall", "{f:?}");
    assert!(
        !f.stderr.contains("MiB") && !f.stderr.contains("\x1b"),
        "{f:?}"
    );
    assert!(f.stderr.starts_with("get: 2 ok, 0 failed"), "{f:?}");

    // Silent, a failure is still reported.
    let refused = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("http://{}/x", refused.local_addr().unwrap());
    drop(refused);
    let f = piped(&["get", "-s", "--output-dir", dir_arg, &dead]);
    assert_ne!(f.code, Some(0), "{f:?}");
    assert!(f.stderr.contains(&dead), "{f:?}");
    assert!(!f.stderr.contains("ok,"), "{f:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A site whose root links to `/a` and `/b`, which wait at `gate`.
fn crawl_site(gate: Gate) -> String {
    let addr = raw_server(move |path, s| match path {
        "/" => respond(s, "text/html", br#"<a href="/a">a</a> <a href="/b">b</a>"#),
        _ => {
            gate.wait();
            respond(s, "text/plain", b"leaf")
        }
    });
    format!("http://{addr}/")
}

#[test]
fn crawl_shows_pages_per_second_and_the_frontier_on_a_terminal() {
    let gate = Gate::default();
    let root = crawl_site(gate.clone());
    let t = Terminal::spawn(&["crawl", &root, "--max-tasks", "1", "--ignore-robots"]);
    // The root is done, and its two links are in the frontier (the line is redrawn as each
    // page finishes; /a is then held by the server).
    assert!(
        t.wait_for("1 done (") && t.wait_for(" pages/s), 0 in flight, frontier 2 — "),
        "{:?}",
        t.screen_tail()
    );
    gate.open();
    let f = t.finish();
    assert_eq!(f.code, Some(0), "{f:?}");
    assert_eq!(f.stdout.lines().count(), 3, "{f:?}");
    assert!(f.stderr.contains("crawl: 3 URLs"), "{f:?}");
}

#[test]
fn crawl_has_no_progress_line_off_a_terminal() {
    let gate = Gate::default();
    gate.open();
    let f = piped(&[
        "crawl",
        &crawl_site(gate),
        "--max-tasks",
        "1",
        "--ignore-robots",
    ]);
    assert_eq!(f.code, Some(0), "{f:?}");
    // The summary and the broken-links report, nothing else.
    assert_eq!(f.stderr.lines().count(), 2, "{f:?}");
    assert!(f.stderr.starts_with("crawl: 3 URLs"), "{f:?}");
    assert!(f.stderr.ends_with("broken links: 0\n"), "{f:?}");
    assert!(
        !f.stderr.contains("frontier") && !f.stderr.contains('\x1b'),
        "{f:?}"
    );
}
