//! The command line as a whole: help, version, usage errors (clap's whole message and
//! status 2) and failures (one line, status 1), the same in every command.

use std::process::{Command, Output};

fn corio(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_corio"))
        .args(args)
        .output()
        .expect("run corio")
}

#[test]
fn version_and_help() {
    let out = corio(&["--version"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("corio "));
    let out = corio(&["--help"]);
    assert_eq!(out.status.code(), Some(0));
    let help = String::from_utf8_lossy(&out.stdout);
    for command in ["serve", "get", "crawl", "bench"] {
        assert!(help.contains(command), "{help}");
    }
    assert!(help.contains("corio <COMMAND> --help"), "{help}");
}

#[test]
fn usage_errors_are_printed_whole_with_status_two() {
    // A missing required argument: clap names it on the lines after the first.
    for command in ["get", "crawl", "bench"] {
        let out = corio(&[command]);
        assert_eq!(out.status.code(), Some(2), "{command}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("the following required arguments were not provided"),
            "{command}: {stderr}"
        );
        assert!(stderr.contains("<URL"), "{command}: {stderr}");
        assert!(stderr.contains("Usage:"), "{command}: {stderr}");
        assert!(stderr.contains("--help"), "{command}: {stderr}");
    }
    // An unknown flag and a bad value, in each command.
    for args in [
        &["serve", "--no-such-flag"][..],
        &["get", "--no-such-flag", "http://127.0.0.1:1/"],
        &["bench", "-c", "lots", "http://127.0.0.1:1/"],
        &["nonsense"],
    ] {
        let out = corio(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.starts_with("error: "), "{args:?}: {stderr}");
        assert!(stderr.contains("--help"), "{args:?}: {stderr}");
    }
}

#[test]
fn failures_exit_with_one_in_every_command() {
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let refused = format!("http://{}/", free.local_addr().unwrap());
    drop(free);
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let busy_addr = busy.local_addr().unwrap().to_string();
    for args in [
        &["get", &refused][..],
        &["get", "--data-binary", "@/nonexistent/file", &refused],
        &["crawl", &refused],
        &["bench", &refused, "-n", "1"],
        &["bench", &refused, "--body", "/nonexistent/file"],
        &[
            "bench",
            "https://127.0.0.1:1/",
            "--cacert",
            "/nonexistent/ca.pem",
        ],
        &[
            "get",
            "--cacert",
            "/nonexistent/ca.pem",
            "https://127.0.0.1:1/",
        ],
        &[
            "crawl",
            "--cacert",
            "/nonexistent/ca.pem",
            "https://127.0.0.1:1/",
        ],
        &[
            "bench",
            "plot",
            "--output",
            "/nonexistent/x.svg",
            "/nonexistent.json",
        ],
        &[
            "bench",
            "merge",
            "/nonexistent/a.json",
            "/nonexistent/b.json",
        ],
        &["serve", "/nonexistent/dir"],
        &["serve", "--addr", &busy_addr],
    ] {
        let out = corio(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(
            !stderr.is_empty() && !stderr.contains("Usage:"),
            "{args:?}: {stderr}"
        );
    }
}
