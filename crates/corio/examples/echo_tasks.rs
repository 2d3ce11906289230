//! A TCP echo server written with tasks: one task per connection, each a plain loop.
//!
//! Compare with `echo_callbacks.rs`: the same server, where the state machine the callbacks
//! spell out by hand (read, write what fits, wait for writability, resume) is what the
//! compiler builds from the `async fn` below. `write_all` waits while the socket's send buffer
//! is full, so a client that sends without reading is throttled by TCP itself.
//!
//! ```text
//! cargo run --release -p corio --example echo_tasks -- --port 5001
//! ```
//!
//! The benches include this file as a module and call [`serve`].

use std::io;

use corio::net::{TcpListener, TcpStream};

/// Echoes one connection until the client closes it.
pub async fn echo(mut stream: TcpStream) -> io::Result<()> {
    stream.set_nodelay(true)?;
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            return Ok(()); // the client closed its side
        }
        stream.write_all(&buf[..n]).await?;
    }
}

/// Accepts connections forever, spawning an [`echo`] task for each.
pub async fn serve(listener: TcpListener) -> io::Result<()> {
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                // Detached: the task runs on its own; its errors (a reset) end only it.
                drop(corio::spawn(echo(stream)));
            }
            // Out of descriptors, say: report and keep serving.
            Err(e) => eprintln!("echo: accept: {e}"),
        }
    }
}

/// `--port N` (default 5001).
#[allow(dead_code)] // unused when the benches include this file
fn parse_port() -> u16 {
    let mut args = std::env::args().skip(1);
    match (args.next().as_deref(), args.next()) {
        (Some("--port"), Some(port)) => port.parse().expect("--port takes a number"),
        (None, _) => 5001,
        _ => panic!("usage: echo_tasks [--port N]"),
    }
}

#[allow(dead_code)] // unused when the benches include this file
fn main() -> io::Result<()> {
    let port = parse_port();
    corio::block_on(async move {
        let listener = TcpListener::bind(("127.0.0.1", port)).await?;
        println!("echo (tasks) on {}", listener.local_addr()?);
        serve(listener).await
    })
}
