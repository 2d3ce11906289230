//! `corio crawl` against a local test site (127.0.0.1; `localhost` plays another host).

mod site;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use site::{corio, ok, redirect, start, Reply};

/// The test site; returns its base URL and the count of requests to /flaky.
fn site() -> (String, Arc<AtomicUsize>) {
    let flaky = Arc::new(AtomicUsize::new(0));
    let counter = flaky.clone();
    let addr = start(move || {
        move |req: &site::Seen| {
            let port = req
                .header("host")
                .unwrap_or("")
                .rsplit(':')
                .next()
                .unwrap_or("")
                .to_string();
            match req.path.as_str() {
                "/" => ok(
                    "text/html; charset=utf-8",
                    &format!(
                        r#"<a href="/a">a</a> <A HREF='b'>b</A> <a href = "/redirect">r</a>
                        <a href="/data.json">d</a> <a href="http://localhost:{port}/offhost">o</a>
                        <a href="/flaky">f</a> <a href="/missing">m</a> <a href="/a#frag">a</a>
                        <a href="/private/secret">p</a> <a href="/chunked">c</a>"#
                    ),
                ),
                "/a" => ok("text/html", r#"<a href="/">home</a> <a href="/b">b</a>"#),
                "/b" => ok("text/html", "no links"),
                "/redirect" => redirect(302, "/c"),
                "/c" => ok("text/html", "<a href=/>home</a>"),
                "/data.json" => ok("application/json", r#"{"href": "/never", "x": " href='/never'"}"#),
                "/flaky" => {
                    if counter.fetch_add(1, Ordering::SeqCst) < 2 {
                        Reply::Send(b"HTTP/1.1 500 Oops\r\ncontent-length: 0\r\n\r\n".to_vec())
                    } else {
                        ok("text/html", "recovered")
                    }
                }
                "/chunked" => Reply::Send(
                    b"HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ntransfer-encoding: chunked\r\n\r\n\
                      e\r\n<a href='/b'>\r\n4\r\nb</a\r\n1\r\n>\r\n0\r\n\r\n"
                        .to_vec(),
                ),
                "/loop1" => redirect(301, "/loop2"),
                "/loop2" => redirect(301, "/loop3"),
                "/loop3" => redirect(301, "/loop4"),
                "/loop4" => redirect(301, "/loop1"),
                _ => Reply::Send(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n".to_vec()),
            }
        }
    });
    (format!("http://{addr}"), flaky)
}

fn lines(out: &str) -> HashMap<String, String> {
    out.lines()
        .map(|l| {
            let mut parts = l.splitn(2, ' ');
            let status = parts.next().unwrap().to_string();
            let rest = parts.next().unwrap_or("").to_string();
            let url = rest.split(' ').next().unwrap().to_string();
            (url, status)
        })
        .collect()
}

#[test]
fn crawls_the_site() {
    let (base, flaky) = site();
    let root = format!("{base}/");
    let (ok, out, err) = corio(&["crawl", &root, "--exclude", "/private/", "--max-tasks", "3"]);
    assert!(ok, "{err}");
    let got = lines(&out);
    let want: HashMap<String, String> = [
        ("/", "200"),
        ("/a", "200"),
        ("/b", "200"),
        ("/redirect", "302"),
        ("/c", "200"),
        ("/data.json", "200"),
        ("/flaky", "200"),
        ("/missing", "404"),
        ("/chunked", "200"),
    ]
    .iter()
    .map(|(p, s)| (format!("{base}{p}"), s.to_string()))
    .collect();
    assert_eq!(got, want, "{out}");
    assert_eq!(flaky.load(Ordering::SeqCst), 3, "two 500s, then success");
    assert!(out.contains(&format!("302 {base}/redirect -> {base}/c")));
    assert!(err.contains("9 URLs"), "{err}");
    assert!(err.contains("200: 7"), "{err}");
}

#[test]
fn json_output_and_output_file() {
    let (base, _) = site();
    let file = std::env::temp_dir().join(format!("corio-crawl-{}.jsonl", std::process::id()));
    let (ok, out, err) = corio(&[
        "crawl",
        &format!("{base}/"),
        "--json",
        "--output",
        file.to_str().unwrap(),
        "--max-tries",
        "2",
    ]);
    assert!(ok, "{err}");
    assert!(out.is_empty());
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::remove_file(&file).unwrap();
    let records: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let find = |path: &str| {
        records
            .iter()
            .find(|r| r["url"] == format!("{base}{path}"))
            .unwrap_or_else(|| panic!("{path} missing in {text}"))
    };
    // Two tries were not enough for /flaky this time.
    assert_eq!(find("/flaky")["status"], 500);
    assert_eq!(find("/flaky")["tries"], 2);
    let root = find("/");
    assert_eq!(root["content_type"], "text/html");
    assert_eq!(root["links"], 8, "{root}");
    assert_eq!(find("/data.json")["links"], 0);
    assert!(records
        .iter()
        .all(|r| !r["url"].as_str().unwrap().contains("never")));
    assert!(records
        .iter()
        .any(|r| r["url"].as_str().unwrap().contains("private")));
}

#[test]
fn redirect_loops_are_cut() {
    let (base, _) = site();
    let (ok, out, _) = corio(&["crawl", &format!("{base}/loop1"), "--max-redirect", "2"]);
    assert!(ok);
    let got = lines(&out);
    assert_eq!(got.len(), 3, "{out}");
    assert!(!got.contains_key(&format!("{base}/loop4")));
    // With a larger budget the loop ends because every URL is seen once.
    let (ok, out, _) = corio(&["crawl", &format!("{base}/loop1")]);
    assert!(ok);
    assert_eq!(lines(&out).len(), 4, "{out}");
}

#[test]
fn max_pages_limits_the_crawl() {
    let (base, _) = site();
    let (ok, out, _) = corio(&["crawl", &format!("{base}/"), "--max-pages", "2"]);
    assert!(ok);
    assert_eq!(out.lines().count(), 2, "{out}");
}

#[test]
fn failing_root_and_bad_arguments() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let refused = format!("http://{}/", listener.local_addr().unwrap());
    drop(listener);
    let (ok, out, err) = corio(&["crawl", &refused, "--max-tries", "1", "--ignore-robots"]);
    assert!(!ok);
    assert!(out.starts_with("ERR "), "{out}");
    assert!(err.contains("root URL failed"), "{err}");
    // An unreachable robots.txt disallows everything (RFC 9309 2.3.1.4).
    let (ok, out, err) = corio(&["crawl", &refused, "--max-tries", "1"]);
    assert!(!ok);
    assert!(out.is_empty(), "{out}");
    assert!(err.contains("disallowed by robots.txt"), "{err}");
    let (base, _) = site();
    let (ok, _, err) = corio(&["crawl", &format!("{base}/missing")]);
    assert!(!ok, "{err}");
    for bad in [
        vec!["crawl", "http://127.0.0.1/", "--exclude", "("],
        vec!["crawl", "not a url"],
        vec!["crawl", "ftp://127.0.0.1/"],
        vec!["crawl", "http://127.0.0.1/", "--max-tasks", "0"],
    ] {
        // A usage error: clap's whole message and status 2.
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_corio"))
            .args(&bad)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{bad:?}: {err}");
        assert!(out.stdout.is_empty());
        assert!(
            err.starts_with("error: ") && err.contains("--help"),
            "{bad:?}: {err}"
        );
    }
}
