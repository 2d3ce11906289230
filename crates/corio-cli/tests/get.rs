//! `corio get` against a local test site.

mod site;

use site::{corio, ok, start, Reply};

fn site() -> String {
    let addr = start(|| {
        |req: &site::Seen| match req.path.as_str() {
            "/missing" => {
                Reply::Send(b"HTTP/1.1 404 Not Found\r\ncontent-length: 4\r\n\r\nnope".to_vec())
            }
            "/" => ok("text/html", "<h1>home</h1>"),
            path => ok("text/plain", &format!("body of {path}\n")),
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
    let want: String = (1..=20).map(|i| format!("body of /{i}\n")).collect();
    assert_eq!(out, want);
    assert!(err.contains("20 ok, 0 failed"), "{err}");
}

#[test]
fn the_seeds_program() {
    let base = site();
    let (ok, out, _) = corio(&["get", &format!("{base}/1"), &format!("{base}/2")]);
    assert!(ok);
    assert_eq!(out, "body of /1\nbody of /2\n");
}

#[test]
fn saves_files_with_deduplicated_names() {
    let base = site();
    let dir = std::env::temp_dir().join(format!("corio-get-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
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
fn failures_are_reported_per_url() {
    let base = site();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let refused = format!("http://{}/gone", listener.local_addr().unwrap());
    drop(listener);
    let missing = format!("{base}/missing");
    let good = format!("{base}/fine");
    let (ok, out, err) = corio(&["get", &refused, &missing, &good]);
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
        &format!("{base}/r"),
    ]);
    assert!(ok, "{err}");
    assert!(out.is_empty());
    assert!(err.contains("50 ok, 0 failed"), "{err}");
}
