//! Where `corio serve` listens: a positional port, `-p/--port`, `-b/--bind` with host names,
//! `--addr localhost:PORT`, a directory named like a number, and one URL per interface when
//! bound to every address. Every case serves a real request on 127.0.0.1.

mod serve_child;

use serve_child::{exchange, url_addr, Served, TempDir};

fn get_file(serve: &Served, path: &str) -> String {
    let reply = serve.get(path, "");
    assert_eq!(reply.status, 200, "{path}: {reply:?}");
    reply.text()
}

/// `corio serve 0` (a bare number) is a port, and the current directory is served; a
/// directory named like that number is served when written as a path, and a note says how
/// when a port shadows one.
#[test]
fn a_bare_number_is_a_port_and_dot_slash_is_a_directory() {
    let cwd = TempDir::new("positional");
    cwd.write("here.txt", "current directory");
    cwd.write("0/inside.txt", "the directory named 0");
    let mut serve = Served::start_in(cwd.path(), &["0", "--workers", "1"]);
    assert_eq!(serve.addr.ip().to_string(), "127.0.0.1");
    assert_ne!(serve.addr.port(), 0);
    assert_eq!(get_file(&serve, "/here.txt"), "current directory");
    serve.wait_line(|l| l.contains("0 was read as a port; write ./0"));

    let serve = Served::start_in(cwd.path(), &["./0", "-p", "0", "--workers", "1"]);
    assert_eq!(get_file(&serve, "/inside.txt"), "the directory named 0");

    // Port and directory in either order.
    let serve = Served::start_in(cwd.path(), &["0", "0/", "--workers", "1"]);
    assert_eq!(get_file(&serve, "/inside.txt"), "the directory named 0");
}

/// `-b localhost` and `--addr localhost:0` resolve the name (to 127.0.0.1); `--port` and
/// `--bind` spelled out work too.
#[test]
fn host_names_and_port_flags() {
    let dir = TempDir::new("names");
    dir.write("f.txt", "named");
    for args in [
        vec!["-b", "localhost", "-p", "0"],
        vec!["--bind", "localhost", "--port", "0"],
        vec!["--addr", "localhost:0"],
        vec!["-b", "127.0.0.1", "-p", "0"],
    ] {
        let mut all = vec![dir.arg(), "--workers", "1"];
        all.extend_from_slice(&args);
        let serve = Served::start_in(dir.path(), &all);
        assert_eq!(serve.addr.ip().to_string(), "127.0.0.1", "{args:?}");
        assert_eq!(get_file(&serve, "/f.txt"), "named", "{args:?}");
    }
}

/// Bound to 0.0.0.0 (or ::), the start-up line is followed by one URL per interface, the
/// loopback one first; that URL serves.
#[test]
fn every_interface_gets_a_url() {
    let dir = TempDir::new("any");
    dir.write("f.txt", "anywhere");
    for bind in ["0.0.0.0", "::"] {
        let mut serve = Served::start_in(
            dir.path(),
            &[dir.arg(), "-b", bind, "-p", "0", "--workers", "1"],
        );
        assert!(serve.addr.ip().is_unspecified(), "{bind}: {:?}", serve.seen);
        let port = serve.addr.port();
        let line = serve.wait_line(|l| l.starts_with("corio:   http://"));
        let url = url_addr(&line).unwrap();
        assert_eq!(url.to_string(), format!("127.0.0.1:{port}"), "{bind}");
        let reply = exchange(url, "GET /f.txt HTTP/1.1\r\n");
        assert_eq!((reply.status, reply.text().as_str()), (200, "anywhere"));
    }
}
