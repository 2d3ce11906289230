//! `corio crawl` against local sites that exercise what the real web needs: HTML sources
//! beyond `a[href]`, `<base href>`, nofollow, robots.txt, Crawl-delay, `--delay`, Retry-After,
//! sitemaps, deep redirect chains, scope flags, JSON fields, WARC output and the broken-link
//! report. Timing assertions are only the lower bounds the specs give (a delay is at least
//! what was asked).

mod site;

use std::collections::HashSet;
use std::time::{Duration, SystemTime};

use site::{corio, not_found, recorded, redirect, reply, Reply};

fn html(body: &str) -> Reply {
    reply(200, "", "text/html", body)
}

/// The URLs of the `STATUS URL` lines, with their statuses.
fn fetched(out: &str) -> Vec<(String, String)> {
    out.lines()
        .map(|l| {
            let mut p = l.split(' ');
            (
                p.nth(1).unwrap_or("").to_owned(),
                l.split(' ').next().unwrap().to_owned(),
            )
        })
        .collect()
}

fn paths(base: &str, out: &str) -> HashSet<String> {
    fetched(out)
        .into_iter()
        .map(|(u, _)| u.strip_prefix(base).unwrap_or(&u).to_owned())
        .collect()
}

fn set(items: &[&str]) -> HashSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

#[test]
fn html_sources_base_href_srcset_and_nofollow() {
    let (base, hits) = recorded(|req, _, _| match req.path.as_str() {
        "/" => html(
            r#"<html><head><base href="/sub/"><link rel="stylesheet" href="style.css">
            <script src="app.js"></script></head><body>
            <img src="logo.png" srcset="small.png 480w, large.png 1080w">
            <picture><source srcset="pic.webp 1x, pic2.webp 2x"><source src="movie.mp4"></picture>
            <iframe src="frame.html"></iframe> <a href="page.html">p</a>
            <a href="/nofollow" rel="nofollow">n</a> <!-- <a href="/comment"> -->
            <a href='/unterminated>x</a> <a href="/after">a</a></body></html>"#,
        ),
        "/sub/style.css" => reply(
            200,
            "",
            "text/css",
            r#"a { background: url("/never.png") } <a href="/never">"#,
        ),
        "/sub/app.js" => reply(
            200,
            "",
            "application/javascript",
            r#"document.write('<a href="/never2">')"#,
        ),
        "/sub/frame.html" => html(r#"<a href="deep.html">d</a>"#),
        "/robots.txt" => not_found(),
        p if p.starts_with("/sub/") || p == "/nofollow" => html("ok"),
        _ => not_found(),
    });
    let (ok, out, err) = corio(&["crawl", &format!("{base}/")]);
    assert!(ok, "{err}");
    let want = set(&[
        "/",
        "/sub/style.css",
        "/sub/app.js",
        "/sub/logo.png",
        "/sub/small.png",
        "/sub/large.png",
        "/sub/pic.webp",
        "/sub/pic2.webp",
        "/sub/movie.mp4",
        "/sub/frame.html",
        "/sub/deep.html",
        "/sub/page.html",
    ]);
    // The unterminated quote swallows the rest of the page, as a browser's tokenizer does.
    assert_eq!(paths(&base, &out), want, "{out}");
    assert_eq!(hits.count("/never"), 0);
    assert_eq!(hits.count("/never2"), 0);
    assert_eq!(hits.count("/nofollow"), 0);
    assert_eq!(hits.count("/comment"), 0);
    let (ok, out, err) = corio(&["crawl", &format!("{base}/"), "--follow-nofollow"]);
    assert!(ok, "{err}");
    assert!(paths(&base, &out).contains("/nofollow"), "{out}");
}

#[test]
fn help_says_what_is_followed() {
    let (ok, out, _) = corio(&["crawl", "--help"]);
    assert!(ok);
    for needle in [
        "img[srcset]",
        "source[src]",
        "<base href>",
        "rel=nofollow",
        "robots.txt",
    ] {
        assert!(out.contains(needle), "{needle} missing in {out}");
    }
}

#[test]
fn robots_rules_agents_and_one_fetch() {
    let (base, hits) = recorded(|req, _, _| match req.path.as_str() {
        "/robots.txt" => reply(
            200,
            "",
            "text/plain",
            "User-agent: *\nDisallow: /private\nAllow: /private/ok\n\n\
             User-agent: special\nDisallow: /special-only\n",
        ),
        "/" => html(
            r#"<a href="/private/a">a</a> <a href="/private/ok">ok</a> <a href="/special-only">s</a>
            <a href="/p1">1</a> <a href="/p2">2</a> <a href="/p3">3</a>"#,
        ),
        _ => html("leaf"),
    });
    let root = format!("{base}/");
    let (ok, out, err) = corio(&["crawl", &root, "--max-tasks", "8"]);
    assert!(ok, "{err}");
    assert_eq!(
        paths(&base, &out),
        set(&["/", "/private/ok", "/special-only", "/p1", "/p2", "/p3"]),
        "{out}"
    );
    assert_eq!(hits.count("/private/a"), 0);
    assert_eq!(hits.count("/robots.txt"), 1, "fetched once per host");
    assert!(err.contains("robots.txt disallowed: 1"), "{err}");
    // The special agent's group replaces the * group.
    let (ok, out, err) = corio(&["crawl", &root, "--user-agent", "special/2.0"]);
    assert!(ok, "{err}");
    let got = paths(&base, &out);
    assert!(
        !got.contains("/special-only") && got.contains("/private/a"),
        "{out}"
    );
    assert!(hits.all().iter().any(|h| h.path == "/private/a"));
    // --ignore-robots: robots.txt is not even fetched.
    let before = hits.count("/robots.txt");
    let (ok, out, err) = corio(&["crawl", &root, "--ignore-robots"]);
    assert!(ok, "{err}");
    assert_eq!(paths(&base, &out).len(), 7, "{out}");
    assert_eq!(hits.count("/robots.txt"), before);
}

/// Asserts that consecutive page requests (robots.txt aside) are at least `gap` apart.
fn assert_spaced(hits: &site::Hits, gap: Duration, expected: usize) {
    let pages: Vec<_> = hits
        .all()
        .into_iter()
        .filter(|h| h.path != "/robots.txt")
        .collect();
    assert_eq!(pages.len(), expected, "{pages:?}");
    for pair in pages.windows(2) {
        let apart = pair[1].at.duration_since(pair[0].at);
        assert!(
            apart >= gap,
            "{} then {} only {apart:?} apart",
            pair[0].path,
            pair[1].path
        );
    }
}

#[test]
fn crawl_delay_spaces_requests() {
    let (base, hits) = recorded(|req, _, _| match req.path.as_str() {
        "/robots.txt" => reply(200, "", "text/plain", "User-agent: *\nCrawl-delay: 0.2\n"),
        "/" => html(r#"<a href="/a">a</a> <a href="/b">b</a> <a href="/c">c</a>"#),
        _ => html("leaf"),
    });
    let (ok, _, err) = corio(&["crawl", &format!("{base}/"), "--per-host", "4"]);
    assert!(ok, "{err}");
    assert_spaced(&hits, Duration::from_millis(200), 4);
}

#[test]
fn delay_flag_spaces_requests() {
    let (base, hits) = recorded(|req, _, _| match req.path.as_str() {
        "/" => html(r#"<a href="/a">a</a> <a href="/b">b</a>"#),
        _ => html("leaf"),
    });
    let (ok, _, err) = corio(&[
        "crawl",
        &format!("{base}/"),
        "--ignore-robots",
        "--delay",
        "0.15",
    ]);
    assert!(ok, "{err}");
    assert_spaced(&hits, Duration::from_millis(150), 3);
}

#[test]
fn retry_after_seconds_and_http_date() {
    let (base, hits) = recorded(|req, _, n| match (req.path.as_str(), n) {
        ("/", _) => html(r#"<a href="/busy">b</a> <a href="/limited">l</a>"#),
        ("/busy", 0) => reply(503, "retry-after: 1\r\n", "text/plain", "busy"),
        ("/limited", 0) => {
            let at = SystemTime::now() + Duration::from_secs(2);
            let date = httpdate::fmt_http_date(at);
            reply(
                429,
                &format!("retry-after: {date}\r\n"),
                "text/plain",
                "slow down",
            )
        }
        _ => html("fine"),
    });
    let (ok, out, err) = corio(&["crawl", &format!("{base}/"), "--ignore-robots", "--json"]);
    assert!(ok, "{err}");
    for path in ["/busy", "/limited"] {
        let rec: serde_json::Value = out
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .find(|r| r["url"] == format!("{base}{path}"))
            .unwrap_or_else(|| panic!("{path} missing: {out}"));
        assert_eq!(rec["status"], 200, "{rec}");
        assert_eq!(rec["tries"], 2, "{rec}");
    }
    let busy = hits.of("/busy");
    assert!(busy[1].at.duration_since(busy[0].at) >= Duration::from_secs(1));
    // The HTTP-date form: the retry comes no earlier than the date (whole seconds).
    let limited = hits.of("/limited");
    let first = limited[0]
        .wall
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let retry = limited[1]
        .wall
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(retry >= first + 2, "{first} then {retry}");
}

#[test]
fn sitemaps_from_robots_and_flag() {
    let (base, hits) = recorded(|req, base, _| match req.path.as_str() {
        "/robots.txt" => reply(
            200,
            "",
            "text/plain",
            &format!("Sitemap: {base}/index.xml\n"),
        ),
        "/index.xml" => reply(
            200,
            "",
            "application/xml",
            &format!(
                r#"<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
                <sitemap><loc>{base}/one.xml</loc></sitemap><sitemap><loc>{base}/broken.xml</loc></sitemap>
                </sitemapindex>"#
            ),
        ),
        "/one.xml" => reply(
            200,
            "",
            "application/xml",
            &format!(
                r#"<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
                <url><loc>{base}/orphan1</loc></url><url><loc>{base}/orphan2?a=1&amp;b=2</loc></url>
                <url><loc>http://elsewhere.invalid/x</loc></url></urlset>"#
            ),
        ),
        "/broken.xml" => reply(200, "", "application/xml", "<html>not a sitemap</html>"),
        "/extra.xml" => reply(
            200,
            "",
            "application/xml",
            &format!(r#"<urlset><url><loc>{base}/orphan3</loc></url></urlset>"#),
        ),
        "/" => html("no links"),
        _ => html("orphan"),
    });
    let (ok, out, err) = corio(&[
        "crawl",
        &format!("{base}/"),
        "--sitemap",
        &format!("{base}/extra.xml"),
    ]);
    assert!(ok, "{err}");
    assert_eq!(
        paths(&base, &out),
        set(&["/", "/orphan1", "/orphan2?a=1&b=2", "/orphan3"]),
        "{out}"
    );
    assert!(err.contains("broken.xml: not a sitemap"), "{err}");
    assert_eq!(hits.count("/index.xml"), 1);
}

#[test]
fn deep_redirect_chains() {
    let (base, _) = recorded(|req, _, _| {
        let path = req.path.as_str();
        match path.strip_prefix("/r").and_then(|n| n.parse::<u32>().ok()) {
            Some(n) if n < 15 => redirect(301, &format!("/r{}", n + 1)),
            Some(_) => redirect(302, "/final"),
            None if path == "/final" => html("the end"),
            None => not_found(),
        }
    });
    let root = format!("{base}/r0");
    let (ok, out, err) = corio(&["crawl", &root, "--ignore-robots", "--max-redirect", "20"]);
    assert!(ok, "{err}");
    let got = fetched(&out);
    assert_eq!(got.len(), 17, "{out}");
    assert!(
        got.contains(&(format!("{base}/final"), "200".into())),
        "{out}"
    );
    // The default budget of 10 redirects ends the chain early.
    let (ok, out, err) = corio(&["crawl", &root, "--ignore-robots"]);
    assert!(ok, "{err}");
    let got = paths(&base, &out);
    assert_eq!(got.len(), 11, "{out}");
    assert!(got.contains("/r10") && !got.contains("/r11"), "{out}");
}

#[test]
fn depth_include_json_and_broken_links() {
    let (base, _) = recorded(|req, _, _| match req.path.as_str() {
        "/" => {
            html(r#"<a href="/docs/a">a</a> <a href="/blog/b">b</a> <a href="/docs/missing">m</a>"#)
        }
        "/docs/a" => html(r#"<a href="/docs/deeper">d</a> <a href="/docs/missing">m</a>"#),
        "/docs/deeper" => html(r#"<a href="/docs/deepest">d</a>"#),
        "/docs/missing" => not_found(),
        _ => html("leaf"),
    });
    let root = format!("{base}/");
    let (ok, out, err) = corio(&["crawl", &root, "--ignore-robots", "--max-depth", "1"]);
    assert!(ok, "{err}");
    assert_eq!(
        paths(&base, &out),
        set(&["/", "/docs/a", "/blog/b", "/docs/missing"]),
        "{out}"
    );
    // The broken-link report names the pages that link to the broken URL.
    let report = err.split("broken links: 1\n").nth(1).expect(&err);
    assert!(
        report.starts_with(&format!("404 {base}/docs/missing\n")),
        "{err}"
    );
    assert!(
        report.contains(&format!("    linked from {base}/\n")),
        "{err}"
    );
    assert!(
        report.contains(&format!("    linked from {base}/docs/a\n")),
        "{err}"
    );
    let (ok, out, err) = corio(&[
        "crawl",
        &root,
        "--ignore-robots",
        "--include",
        "/docs/|/$",
        "--exclude",
        "missing",
        "--json",
    ]);
    assert!(ok, "{err}");
    let recs: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let find = |p: &str| {
        recs.iter()
            .find(|r| r["url"] == format!("{base}{p}"))
            .unwrap_or_else(|| panic!("{p} missing in {out}"))
    };
    assert_eq!(recs.len(), 4, "{out}");
    let deepest = find("/docs/deepest");
    assert_eq!(deepest["depth"], 3);
    assert_eq!(deepest["referrer"], format!("{base}/docs/deeper"));
    assert_eq!(deepest["status"], 200);
    assert_eq!(deepest["size"], 4);
    assert!(deepest["time_ms"].as_f64().unwrap() > 0.0);
    assert_eq!(find("/")["depth"], 0);
    assert_eq!(find("/")["referrer"], serde_json::Value::Null);
}

#[test]
fn warc_records() {
    let (base, _) = recorded(|req, _, _| match req.path.as_str() {
        "/" => html(r#"<a href="/data.bin">d</a> <a href="/chunked">c</a>"#),
        "/data.bin" => reply(200, "", "application/octet-stream", "\x01\x02binary"),
        "/chunked" => Reply::Send(
            b"HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ntransfer-encoding: chunked\r\n\r\n\
              5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
                .to_vec(),
        ),
        _ => not_found(),
    });
    let file = std::env::temp_dir().join(format!("corio-crawl-{}.warc", std::process::id()));
    let (ok, _, err) = corio(&[
        "crawl",
        &format!("{base}/"),
        "--ignore-robots",
        "--warc",
        file.to_str().unwrap(),
    ]);
    assert!(ok, "{err}");
    let bytes = std::fs::read(&file).unwrap();
    std::fs::remove_file(&file).unwrap();
    let records: Vec<_> = warc::WarcReader::new(std::io::BufReader::new(&bytes[..]))
        .iter_records()
        .map(|r| r.expect("a valid WARC record"))
        .collect();
    assert_eq!(records.len(), 7, "warcinfo + 3 request/response pairs");
    assert!(records.iter().all(|r| r.warc_version() == "1.1"));
    assert_eq!(records[0].warc_type(), &warc::RecordType::WarcInfo);
    let text = String::from_utf8_lossy(&bytes);
    assert!(text.starts_with("WARC/1.1\r\n"), "{text}");
    let response = |path: &str| {
        records
            .iter()
            .find(|r| {
                r.warc_type() == &warc::RecordType::Response
                    && r.header(warc::WarcHeader::TargetURI).as_deref()
                        == Some(&format!("{base}{path}"))
            })
            .unwrap_or_else(|| panic!("no response record for {path}"))
    };
    let chunked = String::from_utf8_lossy(response("/chunked").body()).into_owned();
    assert!(chunked.starts_with("HTTP/1.1 200 OK\r\n"), "{chunked}");
    assert!(!chunked.contains("transfer-encoding"), "{chunked}");
    assert!(
        chunked.ends_with("content-length: 11\r\n\r\nhello world"),
        "{chunked}"
    );
    assert!(response("/data.bin").body().ends_with(b"\x01\x02binary"));
    let resp_id = response("/").warc_id().to_owned();
    let request = records
        .iter()
        .find(|r| {
            r.warc_type() == &warc::RecordType::Request
                && r.header(warc::WarcHeader::TargetURI).as_deref() == Some(&format!("{base}/"))
        })
        .unwrap();
    assert_eq!(
        request.header(warc::WarcHeader::ConcurrentTo).as_deref(),
        Some(resp_id.as_str())
    );
    assert!(request.body().starts_with(b"GET / HTTP/1.1\r\n"));
}
