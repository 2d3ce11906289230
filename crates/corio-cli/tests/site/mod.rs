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
