//! `corio crawl --state DIR`: a crawl killed with SIGKILL midway and started again with the
//! same DIR fetches only what was not done. The site holds one page unanswered on its first
//! request, so the test knows the crawl is midway; the crawler reports a URL only once its
//! state is on disk, so every reported URL must not be fetched again.

mod site;

use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use site::{not_found, recorded, reply, Reply};

fn html(body: &str) -> Reply {
    reply(200, "", "text/html", body)
}

#[test]
fn killed_crawl_resumes_without_refetching() {
    let (base, hits) = recorded(|req, _, n| match req.path.as_str() {
        "/" => html(
            r#"<a href="/p1">1</a> <a href="/block">b</a> <a href="/p2">2</a> <a href="/p3">3</a>"#,
        ),
        "/p1" => html(r#"<a href="/p4">4</a> <a href="/p5">5</a>"#),
        "/p2" | "/p3" | "/p4" | "/p5" | "/after" => html("leaf"),
        // Held unanswered the first time: the crawl is then midway.
        "/block" if n == 0 => Reply::Hang,
        "/block" => html(r#"<a href="/after">after</a> <a href="/p1">1</a>"#),
        _ => not_found(),
    });
    let dir = std::env::temp_dir().join(format!("corio-crawl-state-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let root = format!("{base}/");
    let args = [
        "crawl",
        root.as_str(),
        "--ignore-robots",
        "--max-tasks",
        "2",
        "--state",
        dir.to_str().unwrap(),
    ];
    let mut child = Command::new(env!("CARGO_BIN_EXE_corio"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut first_run = HashSet::new();
    // Everything but /block is reported (and so on disk) while /block hangs.
    while first_run.len() < 6 {
        let line = lines
            .next()
            .expect("the crawl reported fewer pages")
            .unwrap();
        first_run.insert(line.split(' ').nth(1).unwrap().to_owned());
    }
    assert_eq!(hits.count("/block"), 1, "/block is being fetched");
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let paths = ["/", "/p1", "/p2", "/p3", "/p4", "/p5"];
    let want: HashSet<String> = paths.iter().map(|p| format!("{base}{p}")).collect();
    assert_eq!(first_run, want);

    let out = Command::new(env!("CARGO_BIN_EXE_corio"))
        .args(args)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let second_run: HashSet<String> = stdout
        .lines()
        .map(|l| l.split(' ').nth(1).unwrap().to_owned())
        .collect();
    let want: HashSet<String> = ["/block", "/after"]
        .iter()
        .map(|p| format!("{base}{p}"))
        .collect();
    assert_eq!(second_run, want, "{stdout}");
    for p in paths.iter().chain(&["/after"]) {
        assert_eq!(hits.count(p), 1, "{p} fetched again");
    }
    assert_eq!(hits.count("/block"), 2);

    // A third run has nothing left to do.
    let out = Command::new(env!("CARGO_BIN_EXE_corio"))
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(
        out.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(hits.all().len(), 9);
    std::fs::remove_dir_all(&dir).unwrap();
}
