//! Stage 4 of the seed: coroutines driven by tasks.
//!
//! `get` reads top to bottom like the blocking version of stage 1, yet each `.await` is a
//! point where the task gives the loop back, exactly where the seed's generator `yield`s a
//! future. `corio::spawn` wraps each call in a task (the seed's `Task`), whose waker schedules
//! its next step when the socket is ready. Both requests run concurrently.
//!
//! ```text
//! cargo run -p corio --example seed4_tasks -- --port 5000
//! ```

use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::time::Instant;

use corio::net::TcpStream;

/// `--host H` (default 127.0.0.1) and `--port N` (default 5000).
fn parse_args() -> (String, u16) {
    let (mut host, mut port) = ("127.0.0.1".to_string(), 5000);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match (arg.as_str(), args.next()) {
            ("--host", Some(value)) => host = value,
            ("--port", Some(value)) => port = value.parse().expect("--port takes a number"),
            _ => panic!("usage: seed4_tasks [--host H] [--port N]"),
        }
    }
    (host, port)
}

/// The body of an HTTP response: everything after the blank line ending the headers.
fn body(response: &[u8]) -> String {
    let text = String::from_utf8_lossy(response);
    match text.split_once("\r\n\r\n") {
        Some((_, body)) => body.to_string(),
        None => text.into_owned(),
    }
}

/// The seed's coroutine `get(path)`, as an `async fn`.
async fn get(addr: SocketAddr, host: String, path: &str) -> io::Result<String> {
    let mut socket = TcpStream::connect(addr).await?; // waits for "writable"
    let request = format!("GET {path} HTTP/1.0\r\nHost: {host}\r\n\r\n");
    socket.write_all(request.as_bytes()).await?;
    let mut response = Vec::new();
    socket.read_to_end(&mut response).await?; // waits for "readable", until EOF
    Ok(body(&response))
}

fn main() -> io::Result<()> {
    let (host, port) = parse_args();
    let addr = (host.as_str(), port)
        .to_socket_addrs()?
        .next()
        .ok_or_else(|| io::Error::other("host has no address"))?;
    let start = Instant::now();

    corio::block_on(async {
        // Two tasks, started at once; then wait for both.
        let first = corio::spawn(get(addr, host.clone(), "/1"));
        let second = corio::spawn(get(addr, host.clone(), "/2"));
        for (path, task) in [("/1", first), ("/2", second)] {
            match task.await.expect("the task panicked") {
                Ok(body) => print!("{path}: {body}"),
                Err(e) => println!("{path}: error: {e}"),
            }
        }
    });
    println!("took {:.3?}", start.elapsed());
    Ok(())
}
