//! `corio crawl --frontier redis://`: crawls sharing one frontier in a real `redis-server`
//! (Debian package redis-server), started by each test on a free loopback port.
//!
//! Without redis-server these tests fail, naming every test that could not run: they never
//! pass silently.

mod site;

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use site::{not_found, recorded, reply, Reply};

/// Every test in this file, for the message when redis-server is missing.
const TESTS: &str = "two_crawlers_share_one_frontier, dead_workers_lease_is_handed_out_again, \
                     leases_are_renewed_while_fetches_wait";

/// A redis-server child, killed on drop.
struct Redis {
    child: Child,
    url: String,
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts redis-server on a free 127.0.0.1 port and returns once it accepts connections.
fn redis_server() -> Redis {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new("redis-server")
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
        .args(["--save", "", "--appendonly", "no", "--loglevel", "notice"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn();
    let mut child = match child {
        Ok(child) => child,
        Err(e) => panic!(
            "redis-server could not be started ({e}); install the Debian package redis-server. \
             These tests did not run: {TESTS}"
        ),
    };
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    loop {
        let line = lines
            .next()
            .unwrap_or_else(|| panic!("redis-server exited early; tests not run: {TESTS}"))
            .unwrap();
        if line.contains("Ready to accept connections") {
            break;
        }
    }
    // Keep draining its log so it never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
    Redis {
        child,
        url: format!("redis://127.0.0.1:{port}/0"),
    }
}

fn html(body: &str) -> Reply {
    reply(200, "", "text/html", body)
}

/// A site of `pages` pages, each linking to the next three (wrapping), so the frontier grows
/// and shrinks while several crawlers work on it.
fn pages_site(pages: usize) -> (String, site::Hits) {
    recorded(move |req, _, _| {
        let n: usize = match req.path.strip_prefix("/p") {
            Some(n) => match n.parse() {
                Ok(n) if n < pages => n,
                _ => return not_found(),
            },
            None if req.path == "/" => return html(r#"<a href="/p0">start</a>"#),
            None => return not_found(),
        };
        let links: String = (1..=3)
            .map(|k| format!(r#"<a href="/p{}">x</a>"#, (n * 3 + k) % pages))
            .collect();
        html(&links)
    })
}

fn crawl(root: &str, redis: &Redis, extra: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_corio"))
        .args(["crawl", root, "--ignore-robots", "--frontier", &redis.url])
        .args(["--max-tasks", "4"])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn urls(out: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(out)
        .lines()
        .map(|l| l.split(' ').nth(1).unwrap().to_owned())
        .collect()
}

#[test]
fn two_crawlers_share_one_frontier() {
    let redis = redis_server();
    let (base, hits) = pages_site(60);
    let root = format!("{base}/");
    let a = crawl(&root, &redis, &[]);
    let b = crawl(&root, &redis, &[]);
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    assert!(a.status.success(), "{}", String::from_utf8_lossy(&a.stderr));
    assert!(b.status.success(), "{}", String::from_utf8_lossy(&b.stderr));
    let mut all = urls(&a.stdout);
    all.extend(urls(&b.stdout));
    let unique: HashSet<&String> = all.iter().collect();
    assert_eq!(all.len(), unique.len(), "a URL was reported twice: {all:?}");
    assert_eq!(unique.len(), 61, "{all:?}");
    let mut per_path: HashMap<String, usize> = HashMap::new();
    for h in hits.all() {
        *per_path.entry(h.path).or_default() += 1;
    }
    assert_eq!(per_path.len(), 61);
    assert!(
        per_path.values().all(|&n| n == 1),
        "fetched more than once: {per_path:?}"
    );
}

#[test]
fn dead_workers_lease_is_handed_out_again() {
    let redis = redis_server();
    let (base, hits) = recorded(|req, _, n| match req.path.as_str() {
        "/" => html(r#"<a href="/a">a</a> <a href="/block">b</a> <a href="/c">c</a>"#),
        "/a" | "/c" | "/after" => html("leaf"),
        "/block" if n == 0 => Reply::Hang,
        "/block" => html(r#"<a href="/after">after</a>"#),
        _ => not_found(),
    });
    let root = format!("{base}/");
    let mut dead = crawl(&root, &redis, &["--lease", "1"]);
    let mut lines = BufReader::new(dead.stdout.take().unwrap()).lines();
    let mut done = HashSet::new();
    while done.len() < 3 {
        let line = lines
            .next()
            .expect("the first crawler stopped early")
            .unwrap();
        done.insert(line.split(' ').nth(1).unwrap().to_owned());
    }
    assert_eq!(hits.count("/block"), 1);
    dead.kill().unwrap();
    dead.wait().unwrap();
    // The second worker waits for the dead one's lease to run out, then fetches /block.
    let out = crawl(&root, &redis, &["--lease", "1"])
        .wait_with_output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got: HashSet<String> = urls(&out.stdout).into_iter().collect();
    let want: HashSet<String> = ["/block", "/after"]
        .iter()
        .map(|p| format!("{base}{p}"))
        .collect();
    assert_eq!(got, want);
    for p in ["/", "/a", "/c", "/after"] {
        assert_eq!(hits.count(p), 1, "{p}");
    }
    assert_eq!(hits.count("/block"), 2);
}

#[test]
fn leases_are_renewed_while_fetches_wait() {
    // Each crawler claims up to four URLs at once, then waits a 1 s Crawl-delay between
    // them: the last waits 3 s, longer than its 2 s lease. Without renewal the other crawler
    // would take it over and it would be fetched twice.
    let redis = redis_server();
    let (base, hits) = recorded(|req, _, _| match req.path.as_str() {
        "/robots.txt" => reply(200, "", "text/plain", "User-agent: *\nCrawl-delay: 1\n"),
        "/" => html(
            r#"<a href="/a">a</a> <a href="/b">b</a> <a href="/c">c</a>
            <a href="/d">d</a> <a href="/e">e</a> <a href="/f">f</a>"#,
        ),
        _ => html("leaf"),
    });
    let root = format!("{base}/");
    let run = || {
        Command::new(env!("CARGO_BIN_EXE_corio"))
            .args(["crawl", &root, "--frontier", &redis.url, "--lease", "2"])
            .args(["--max-tasks", "4", "--per-host", "4"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (run(), run());
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    assert!(a.status.success(), "{}", String::from_utf8_lossy(&a.stderr));
    assert!(b.status.success(), "{}", String::from_utf8_lossy(&b.stderr));
    for p in ["/", "/a", "/b", "/c", "/d", "/e", "/f"] {
        assert_eq!(hits.count(p), 1, "{p}: {:?}", hits.all());
    }
}
