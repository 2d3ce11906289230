//! A test site for the CLI tests: the corio-http tests' scripted server, run on its own
//! thread so the test can run the `corio` binary meanwhile.

#![allow(dead_code)]

#[path = "../../../corio-http/tests/common/mod.rs"]
mod common;

use std::net::SocketAddr;
use std::sync::mpsc;

#[allow(unused_imports)]
pub use common::{ok, redirect, Reply, Seen};

/// Starts a server made by `make` (called on the server's thread) and returns its address.
pub fn start<H>(make: impl FnOnce() -> H + Send + 'static) -> SocketAddr
where
    H: Fn(&Seen) -> Reply + 'static,
{
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        corio::block_on(async move {
            let server = common::serve(make());
            tx.send(server.addr).unwrap();
            std::future::pending::<()>().await;
        })
    });
    rx.recv().unwrap()
}

/// Runs `corio ARGS...` and returns (success, stdout, stderr).
pub fn corio(args: &[&str]) -> (bool, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_corio"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A fresh, empty directory for one test.
pub fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("corio-get-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs `corio ARGS...` in `dir` with `stdin` as its input; returns (status, stdout, stderr).
pub fn corio_in(
    dir: &std::path::Path,
    stdin: &[u8],
    args: &[&str],
) -> (Option<i32>, String, String) {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_corio"))
        .args(args)
        .current_dir(dir)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), stdin).unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A refused address (a port that was just free).
pub fn refused_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/gone", listener.local_addr().unwrap());
    drop(listener);
    url
}
