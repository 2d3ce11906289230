//! `corio get` against local test sites on 127.0.0.1: output, requests, verbosity and
//! redirects (failures, time limits, retries and resumption: `get_failures.rs`; streaming:
//! `get_stream.rs`).

mod site;

use std::process::Command;

use site::{corio, corio_in, ok, redirect, refused_url, start, temp_dir, Reply, Seen};

/// The body every other path answers with.
fn body_of(path: &str) -> String {
    format!("body of {path}\n")
}

fn site() -> String {
    let addr = start(|| {
        |req: &Seen| match req.path.as_str() {
            "/missing" => {
                Reply::Send(b"HTTP/1.1 404 Not Found\r\ncontent-length: 4\r\n\r\nnope".to_vec())
            }
            "/" => ok("text/html", "<h1>home</h1>"),
            "/old" => redirect(302, "/new"),
            path => ok("text/plain", &body_of(path)),
        }
    });
    format!("http://{addr}")
}

/// A site that answers each request with what it saw: request line, fields, empty line, body.
fn echo_site() -> String {
    let addr = start(|| {
        |req: &Seen| {
            let mut text = format!("{} {}\n", req.method, req.path);
            for (name, value) in &req.headers {
                text.push_str(&format!("{name}: {value}\n"));
            }
            text.push('\n');
            text.push_str(&String::from_utf8_lossy(&req.body));
            ok("text/plain", &text)
        }
    });
    format!("http://{addr}")
}

#[test]
fn prints_bodies_in_argument_order() {
    let base = site();
    let urls: Vec<String> = (1..=20).map(|i| format!("{base}/{i}")).collect();
    let mut args = vec!["get", "-c", "4"];
    args.extend(urls.iter().map(String::as_str));
    let (ok, out, err) = corio(&args);
    assert!(ok, "{err}");
    let want: String = (1..=20).map(|i| body_of(&format!("/{i}"))).collect();
    assert_eq!(out, want);
    // Off a terminal and without -v: no summary line.
    assert_eq!(err, "");
    args.push("-v");
    let (ok, _, err) = corio(&args);
    assert!(ok, "{err}");
    assert!(err.contains("get: 20 ok, 0 failed"), "{err}");
}

#[test]
fn the_seeds_program() {
    let base = site();
    let (ok, out, _) = corio(&["get", &format!("{base}/1"), &format!("{base}/2")]);
    assert!(ok);
    assert_eq!(out, "body of /1\nbody of /2\n");
}

#[test]
fn a_url_without_a_scheme_is_http() {
    let base = site();
    let bare = base.strip_prefix("http://").unwrap();
    let (ok, out, err) = corio(&["get", &format!("{bare}/plain")]);
    assert!(ok, "{err}");
    assert_eq!(out, body_of("/plain"));
}

#[test]
fn saves_several_urls_in_a_directory_with_deduplicated_names() {
    let base = site();
    let dir = temp_dir("dir").join("made");
    let (a, b, root) = (
        format!("{base}/x/a.txt"),
        format!("{base}/y/a.txt"),
        format!("{base}/"),
    );
    let (ok, out, err) = corio(&["get", "-o", dir.to_str().unwrap(), &a, &b, &root]);
    assert!(ok, "{err}");
    assert!(out.is_empty());
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap();
    assert_eq!(read("a.txt"), "body of /x/a.txt\n");
    assert_eq!(read("a.txt.1"), "body of /y/a.txt\n");
    assert_eq!(read("index.html"), "<h1>home</h1>");
    std::fs::remove_dir_all(dir.parent().unwrap()).unwrap();
}

#[test]
fn output_file_remote_name_and_output_dir() {
    let base = site();
    let dir = temp_dir("names");
    let d = dir.to_str().unwrap();
    // -o FILE with one URL: that file.
    let file = dir.join("chosen.txt");
    let (code, out, err) = corio_in(
        &dir,
        b"",
        &["get", "-o", file.to_str().unwrap(), &format!("{base}/f")],
    );
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(out, "");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), body_of("/f"));
    // -o an existing directory with one URL: the remote name inside it.
    let (code, _, err) = corio_in(&dir, b"", &["get", "-o", d, &format!("{base}/in-dir")]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(
        std::fs::read_to_string(dir.join("in-dir")).unwrap(),
        body_of("/in-dir")
    );
    // -O: the remote name, percent-decoded, in the current directory; made safe.
    let (code, _, err) = corio_in(
        &dir,
        b"",
        &[
            "get",
            "-O",
            &format!("{base}/dl/my%20file.txt?v=2"),
            &format!("{base}/dl/..%2F..%2Fescape"),
            &format!("{base}/dl/.hidden"),
        ],
    );
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(
        std::fs::read_to_string(dir.join("my file.txt")).unwrap(),
        body_of("/dl/my%20file.txt?v=2")
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("_.._escape")).unwrap(),
        body_of("/dl/..%2F..%2Fescape")
    );
    assert!(dir.join("hidden").is_file());
    assert!(!dir.parent().unwrap().join("escape").exists());
    // --output-dir (with or without -O): the remote name in that directory.
    let sub = dir.join("sub");
    let (code, _, err) = corio_in(
        &dir,
        b"",
        &[
            "get",
            "-O",
            "--output-dir",
            sub.to_str().unwrap(),
            &format!("{base}/"),
        ],
    );
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(
        std::fs::read_to_string(sub.join("index.html")).unwrap(),
        "<h1>home</h1>"
    );
    // -o and -O together make no sense: a usage error.
    let (code, _, err) = corio_in(&dir, b"", &["get", "-o", "x", "-O", &base]);
    assert_eq!(code, Some(2), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn head_and_include() {
    let base = site();
    let (ok, out, _) = corio(&["get", "-I", &format!("{base}/h")]);
    assert!(ok);
    assert!(out.starts_with("HTTP/1.1 200 OK\r\n"), "{out}");
    assert!(out.contains("content-type: text/plain\r\n"));
    assert!(!out.contains("body of"));
    let (ok, out, _) = corio(&["get", "-i", &format!("{base}/h")]);
    assert!(ok);
    assert!(out.starts_with("HTTP/1.1 200 OK\r\n"));
    assert!(out.ends_with("\r\n\r\nbody of /h\n"), "{out}");
}

#[test]
fn headers_and_methods() {
    let base = echo_site();
    let url = format!("{base}/e");
    let (ok, out, err) = corio(&["get", "-H", "X-One: 1", "-H", "x-one: 2", &url]);
    assert!(ok, "{err}");
    assert!(out.starts_with("GET /e\n"), "{out}");
    assert!(out.contains("x-one: 1\nx-one: 2\n"), "{out}");
    assert!(out.contains("user-agent: corio/"), "{out}");
    // -H replaces corio's own User-Agent.
    let (_, out, _) = corio(&["get", "-H", "User-Agent: mine/1", &url]);
    assert!(out.contains("user-agent: mine/1\n"), "{out}");
    assert_eq!(out.matches("user-agent").count(), 1, "{out}");
    let (ok, out, _) = corio(&["get", "-X", "PURGE", &url]);
    assert!(ok);
    assert!(out.starts_with("PURGE /e\n"), "{out}");
    // A bad header or method is a usage error.
    for bad in [
        &["-H", "no colon"][..],
        &["-H", "bad name: x"],
        &["-X", "BAD METHOD"],
    ] {
        let mut args = vec!["get"];
        args.extend_from_slice(bad);
        args.push(&url);
        let out = Command::new(env!("CARGO_BIN_EXE_corio"))
            .args(&args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{bad:?}");
    }
}

#[test]
fn data_is_posted_as_a_form_or_as_bytes() {
    let base = echo_site();
    let url = format!("{base}/post");
    let dir = temp_dir("data");
    let (code, out, err) = corio_in(&dir, b"", &["get", "-d", "a=1", "-d", "b=2", &url]);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.starts_with("POST /post\n"), "{out}");
    assert!(
        out.contains("content-type: application/x-www-form-urlencoded\n"),
        "{out}"
    );
    assert!(out.contains("content-length: 7\n"), "{out}");
    assert!(out.ends_with("\n\na=1&b=2"), "{out}");
    // -X and -H win over -d's defaults.
    let (_, out, _) = corio_in(
        &dir,
        b"",
        &[
            "get",
            "-X",
            "PUT",
            "-H",
            "Content-Type: application/json",
            "-d",
            "{}",
            &url,
        ],
    );
    assert!(out.starts_with("PUT /post\n"), "{out}");
    assert!(out.contains("content-type: application/json\n"), "{out}");
    assert!(!out.contains("urlencoded"), "{out}");
    // -d @file drops line breaks; --data-binary @file keeps every byte.
    std::fs::write(dir.join("form.txt"), "x=1\r\n&y=2\n").unwrap();
    let (_, out, _) = corio_in(&dir, b"", &["get", "-d", "@form.txt", &url]);
    assert!(out.ends_with("\n\nx=1&y=2"), "{out}");
    let (_, out, _) = corio_in(&dir, b"", &["get", "--data-binary", "@form.txt", &url]);
    assert!(out.starts_with("POST /post\n"), "{out}");
    assert!(!out.contains("urlencoded"), "{out}");
    assert!(out.ends_with("\n\nx=1\r\n&y=2\n"), "{out}");
    // @- reads stdin.
    let (code, out, err) = corio_in(&dir, b"from stdin\n", &["get", "--data-binary", "@-", &url]);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.ends_with("\n\nfrom stdin\n"), "{out}");
    // A file that cannot be read is a failure (1), not a usage error.
    let (code, out, err) = corio_in(&dir, b"", &["get", "--data-binary", "@nope", &url]);
    assert_eq!(code, Some(1), "{err}");
    assert_eq!(out, "");
    assert!(err.contains("nope"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn verbose_shows_both_heads_and_silent_shows_nothing() {
    let base = site();
    let url = format!("{base}/v");
    let (ok, out, err) = corio(&["get", "-v", &url]);
    assert!(ok, "{err}");
    assert_eq!(out, body_of("/v"));
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines[0], "> GET /v HTTP/1.1", "{err}");
    assert_eq!(lines[1], format!("> host: {}", &base[7..]), "{err}");
    assert!(lines.contains(&"> user-agent: corio/0.1.0"), "{err}");
    assert!(lines.contains(&">"), "{err}");
    assert!(lines.contains(&"< HTTP/1.1 200 OK"), "{err}");
    assert!(lines.contains(&"< content-type: text/plain"), "{err}");
    assert!(lines.contains(&"<"), "{err}");
    assert!(err.contains("get: 1 ok, 0 failed"), "{err}");
    // -v with a body: its length is in the request head.
    let (_, _, err) = corio(&["get", "-v", "-d", "abc", &url]);
    assert!(err.contains("> POST /v HTTP/1.1\n"), "{err}");
    assert!(err.contains("> content-length: 3\n"), "{err}");
    // -s: nothing on stderr.
    let (ok, out, err) = corio(&["get", "-s", &url]);
    assert!(ok);
    assert_eq!((out.as_str(), err.as_str()), (body_of("/v").as_str(), ""));
    let out = Command::new(env!("CARGO_BIN_EXE_corio"))
        .args(["get", "-s", "-v", &url])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn redirects_are_followed_unless_no_location() {
    let base = site();
    let old = format!("{base}/old");
    for args in [&["get"][..], &["get", "-L"]] {
        let mut args = args.to_vec();
        args.push(&old);
        let (ok, out, err) = corio(&args);
        assert!(ok, "{err}");
        assert_eq!(out, body_of("/new"));
    }
    let (ok, _, err) = corio(&["get", "-v", &old]);
    assert!(ok);
    assert!(
        err.contains(&format!("* followed redirects to {base}/new")),
        "{err}"
    );
    let (ok, out, err) = corio(&["get", "--no-location", "-i", &old]);
    assert!(ok, "{err}");
    assert!(out.starts_with("HTTP/1.1 302 Found\r\n"), "{out}");
    assert!(out.contains("location: /new\r\n"), "{out}");
    let out = Command::new(env!("CARGO_BIN_EXE_corio"))
        .args(["get", "-L", "--no-location", &old])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn failures_are_reported_per_url() {
    let base = site();
    let refused = refused_url();
    let missing = format!("{base}/missing");
    let good = format!("{base}/fine");
    let (ok, out, err) = corio(&["get", "-v", &refused, &missing, &good]);
    assert!(!ok);
    assert_eq!(out, "nopebody of /fine\n");
    assert!(
        err.lines()
            .any(|l| l.contains(&refused) && l.contains("refused")),
        "{err}"
    );
    assert!(
        err.lines()
            .any(|l| l.contains(&missing) && l.contains("404")),
        "{err}"
    );
    assert!(err.contains("1 ok, 2 failed"), "{err}");
}

#[test]
fn bad_arguments() {
    let (ok, _, err) = corio(&["get"]);
    assert!(!ok);
    assert!(!err.is_empty());
    let (ok, _, err) = corio(&["get", "-c", "0", "http://127.0.0.1/"]);
    assert!(!ok, "{err}");
    let (ok, _, err) = corio(&["get", "ftp://127.0.0.1/"]);
    assert!(!ok);
    assert!(
        err.contains("ftp://127.0.0.1/") && err.contains("scheme"),
        "{err}"
    );
}

#[test]
fn discard_and_repeat() {
    let base = site();
    let (ok, out, err) = corio(&[
        "get",
        "--discard",
        "--repeat",
        "50",
        "-c",
        "5",
        "-v",
        &format!("{base}/r"),
    ]);
    assert!(ok, "{err}");
    assert!(out.is_empty());
    assert!(err.contains("50 ok, 0 failed"), "{err}");
}
