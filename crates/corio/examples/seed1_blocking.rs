//! Stage 1 of the seed: a blocking HTTP/1.0 GET, twice, one after the other.
//!
//! Each request waits for the previous one to finish, so the elapsed time is the sum of both.
//!
//! ```text
//! mkdir /tmp/www && cd /tmp/www && echo one > 1 && echo two > 2 && python3 -m http.server 5000
//! cargo run -p corio --example seed1_blocking -- --port 5000
//! ```

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Instant;

#[path = "common/seed.rs"]
mod seed;

/// The seed's `get(path)`: connect, send the request, read until the server closes.
fn get(host: &str, port: u16, path: &str) -> std::io::Result<String> {
    let mut socket = TcpStream::connect((host, port))?;
    write!(socket, "GET {path} HTTP/1.0\r\nHost: {host}\r\n\r\n")?;
    let mut response = Vec::new();
    socket.read_to_end(&mut response)?; // HTTP/1.0: the server closes after the response
    Ok(seed::body(&response))
}

fn main() -> std::io::Result<()> {
    let (host, port) = seed::parse_args("seed1_blocking");
    let start = Instant::now();
    let mut failed = 0;
    for path in ["/1", "/2"] {
        match get(&host, port, path) {
            Ok(body) => print!("{path}: {body}"),
            Err(e) => {
                eprintln!("{path}: error: {e}");
                failed += 1;
            }
        }
    }
    println!("took {:.3?}", start.elapsed());
    seed::outcome(failed)
}
