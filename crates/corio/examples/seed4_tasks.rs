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

#[path = "common/seed.rs"]
mod seed;

/// The seed's coroutine `get(path)`, as an `async fn`.
async fn get(addr: SocketAddr, host: String, path: &str) -> io::Result<String> {
    let mut socket = TcpStream::connect(addr).await?; // waits for "writable"
    let request = format!("GET {path} HTTP/1.0\r\nHost: {host}\r\n\r\n");
    socket.write_all(request.as_bytes()).await?;
    let mut response = Vec::new();
    socket.read_to_end(&mut response).await?; // waits for "readable", until EOF
    Ok(seed::body(&response))
}

fn main() -> io::Result<()> {
    let (host, port) = seed::parse_args("seed4_tasks");
    let addr = (host.as_str(), port)
        .to_socket_addrs()?
        .next()
        .ok_or_else(|| io::Error::other("host has no address"))?;
    let start = Instant::now();

    let failed = corio::block_on(async {
        // Two tasks, started at once; then wait for both.
        let first = corio::spawn(get(addr, host.clone(), "/1"));
        let second = corio::spawn(get(addr, host.clone(), "/2"));
        let mut failed = 0;
        for (path, task) in [("/1", first), ("/2", second)] {
            match task.await.expect("the task panicked") {
                Ok(body) => print!("{path}: {body}"),
                Err(e) => {
                    eprintln!("{path}: error: {e}");
                    failed += 1;
                }
            }
        }
        failed
    });
    println!("took {:.3?}", start.elapsed());
    seed::outcome(failed)
}
