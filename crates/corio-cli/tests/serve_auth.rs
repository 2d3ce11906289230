//! `corio serve --auth`: HTTP Basic with a plain password or an argon2 hash made by
//! `corio serve --hash-password`, over real sockets.

mod serve_child;

use serve_child::{corio, Served, TempDir};

/// Without credentials, or with wrong ones, every path is 401 with a Basic challenge and no
/// content; the right ones get the file.
#[test]
fn plain_password() {
    let dir = TempDir::new("auth");
    dir.write("secret.txt", "the secret");
    let mut serve = Served::one_worker(dir.path(), &["--auth", "alice:s3cret"]);
    serve.wait_line(|l| l.contains("HTTP Basic sends the password"));
    for (headers, want) in [
        ("", 401),
        ("Authorization: Basic YWxpY2U6d3Jvbmc=\r\n", 401),
        ("Authorization: Basic Ym9iOnMzY3JldA==\r\n", 401),
        ("Authorization: Bearer YWxpY2U6czNjcmV0\r\n", 401),
        ("Authorization: Basic YWxpY2U6czNjcmV0\r\n", 200),
    ] {
        for path in ["/secret.txt", "/", "/missing"] {
            let reply = serve.get(path, headers);
            let want = if want == 200 && path == "/missing" {
                404
            } else {
                want
            };
            assert_eq!(reply.status, want, "{path} {headers:?}");
            if want == 401 {
                assert_eq!(
                    reply.header("www-authenticate"),
                    Some("Basic realm=\"corio\", charset=\"UTF-8\"")
                );
                assert!(!reply.text().contains("secret"), "{}", reply.text());
            }
        }
    }
    let ok = serve.get("/secret.txt", "Authorization: Basic YWxpY2U6czNjcmV0\r\n");
    assert_eq!(ok.text(), "the secret");
}

/// `--hash-password` reads the password from stdin and prints an argon2id hash; `--auth
/// USER:HASH` then accepts that password (also on later requests, which reuse the verified
/// credentials) and refuses others.
#[test]
fn hashed_password() {
    let (code, hash, stderr) = corio(&["serve", "--hash-password"], "hunter2\n");
    assert_eq!(code, Some(0), "{stderr}");
    let hash = hash.trim();
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    let (code, _, stderr) = corio(&["serve", "--hash-password"], "");
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("empty"), "{stderr}");

    let dir = TempDir::new("auth-hash");
    dir.write("f.txt", "behind a hash");
    let spec = format!("carol:{hash}");
    let serve = Served::one_worker(dir.path(), &["--auth", &spec, "--quiet"]);
    let right = "Authorization: Basic Y2Fyb2w6aHVudGVyMg==\r\n";
    let wrong = "Authorization: Basic Y2Fyb2w6aHVudGVyMw==\r\n";
    assert_eq!(serve.get("/f.txt", "").status, 401);
    assert_eq!(serve.get("/f.txt", wrong).status, 401);
    for _ in 0..2 {
        let reply = serve.get("/f.txt", right);
        assert_eq!(
            (reply.status, reply.text().as_str()),
            (200, "behind a hash")
        );
    }
    assert_eq!(serve.get("/f.txt", wrong).status, 401);
}
