//! Directory listings through `corio serve`: sorted by name, size or time in either order,
//! breadcrumbs linking every level, and JSON for `?format=json` or `Accept: application/json`.

mod serve_child;

use std::time::{Duration, SystemTime};

use serve_child::{Served, TempDir};

fn set_mtime(path: &std::path::Path, secs_ago: u64) {
    let file = std::fs::File::options().write(true).open(path).unwrap();
    file.set_modified(SystemTime::now() - Duration::from_secs(secs_ago))
        .unwrap();
}

/// Positions of the entry links in an HTML listing (`href="./NAME...`), in page order.
fn order(html: &str, names: &[&str]) -> Vec<usize> {
    names
        .iter()
        .map(|n| {
            html.find(&format!("href=\"./{n}"))
                .unwrap_or_else(|| panic!("{n} not in {html}"))
        })
        .collect()
}

fn sorted(positions: &[usize]) -> bool {
    positions.windows(2).all(|w| w[0] < w[1])
}

#[test]
fn sorted_by_name_size_and_time() {
    let dir = TempDir::new("sort");
    set_mtime(&dir.write("medium.txt", "x".repeat(500)), 100);
    set_mtime(&dir.write("Big.txt", "x".repeat(5000)), 300);
    set_mtime(&dir.write("small.txt", "x"), 200);
    std::fs::create_dir(dir.path().join("zdir")).unwrap();
    let serve = Served::one_worker(dir.path(), &["--quiet"]);
    let cases = [
        ("/", ["zdir/", "Big.txt", "medium.txt", "small.txt"], ""),
        (
            "/?order=desc",
            ["zdir/", "small.txt", "medium.txt", "Big.txt"],
            "?sort=name&amp;order=desc",
        ),
        (
            "/?sort=size",
            ["zdir/", "small.txt", "medium.txt", "Big.txt"],
            "?sort=size&amp;order=asc",
        ),
        (
            "/?sort=size&order=desc",
            ["zdir/", "Big.txt", "medium.txt", "small.txt"],
            "?sort=size&amp;order=desc",
        ),
        (
            "/?sort=time",
            ["zdir/", "Big.txt", "small.txt", "medium.txt"],
            "?sort=time&amp;order=asc",
        ),
        (
            "/?sort=time&order=desc",
            ["zdir/", "medium.txt", "small.txt", "Big.txt"],
            "?sort=time&amp;order=desc",
        ),
    ];
    for (path, names, kept) in cases {
        let reply = serve.get(path, "");
        assert_eq!(reply.status, 200, "{path}");
        let html = reply.text();
        assert!(sorted(&order(&html, &names)), "{path}: {names:?}");
        // Links to subdirectories keep the chosen order.
        assert!(html.contains(&format!("href=\"./zdir/{kept}\"")), "{path}");
    }
}

/// Every level above a nested directory is a link in the title, and `../` leads up.
#[test]
fn breadcrumbs_and_parent_link() {
    let dir = TempDir::new("crumbs");
    dir.write("a/b c/d/file.txt", "f");
    let serve = Served::one_worker(dir.path(), &["--quiet"]);
    let html = serve.get("/a/b%20c/d/", "").text();
    assert!(html.contains("<title>Index of /a/b c/d/</title>"), "{html}");
    for crumb in [
        "<a class=\"root\" href=\"../../../\">/</a>",
        "<a href=\"../../\">a</a><span class=\"sep\">/</span>",
        "<a href=\"../\">b c</a><span class=\"sep\">/</span>d<span class=\"sep\">/</span>",
    ] {
        assert!(html.contains(crumb), "{crumb} in {html}");
    }
    assert!(html.contains("href=\"../\">../</a>"));
    assert!(html.contains("<meta name=\"viewport\""));
    let root = serve.get("/", "").text();
    assert!(!root.contains("href=\"../\""), "{root}");
}

/// JSON for `?format=json` and for `Accept: application/json`; a browser's Accept gets HTML.
#[test]
fn json_listing() {
    let dir = TempDir::new("json");
    dir.write("a b.txt", "12345");
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    let serve = Served::one_worker(dir.path(), &["--quiet"]);
    for (path, headers) in [("/?format=json", ""), ("/", "Accept: application/json\r\n")] {
        let reply = serve.get(path, headers);
        assert_eq!(reply.status, 200);
        assert_eq!(reply.header("content-type"), Some("application/json"));
        assert_eq!(reply.header("vary"), Some("Accept"));
        let value: serde_json::Value = serde_json::from_slice(&reply.body).unwrap();
        assert_eq!(value["path"], "/");
        assert_eq!(value["truncated"], false);
        let entries = value["entries"].as_array().unwrap();
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0]["name"], "sub");
        assert_eq!(entries[0]["type"], "directory");
        assert_eq!(entries[1]["name"], "a b.txt");
        assert_eq!(entries[1]["href"], "./a%20b.txt");
        assert_eq!(entries[1]["size"], 5);
        assert!(entries[1]["modified"].as_str().unwrap().ends_with('Z'));
    }
    let browser = serve.get(
        "/",
        "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n",
    );
    assert_eq!(
        browser.header("content-type"),
        Some("text/html; charset=utf-8")
    );
}
