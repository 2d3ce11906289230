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

/// `--host H` (default 127.0.0.1) and `--port N` (default 5000).
fn parse_args() -> (String, u16) {
    let (mut host, mut port) = ("127.0.0.1".to_string(), 5000);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match (arg.as_str(), args.next()) {
            ("--host", Some(value)) => host = value,
            ("--port", Some(value)) => port = value.parse().expect("--port takes a number"),
            _ => panic!("usage: seed1_blocking [--host H] [--port N]"),
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

/// The seed's `get(path)`: connect, send the request, read until the server closes.
fn get(host: &str, port: u16, path: &str) -> std::io::Result<String> {
    let mut socket = TcpStream::connect((host, port))?;
    write!(socket, "GET {path} HTTP/1.0\r\nHost: {host}\r\n\r\n")?;
    let mut response = Vec::new();
    socket.read_to_end(&mut response)?; // HTTP/1.0: the server closes after the response
    Ok(body(&response))
}

fn main() -> std::io::Result<()> {
    let (host, port) = parse_args();
    let start = Instant::now();
    for path in ["/1", "/2"] {
        print!("{path}: {}", get(&host, port, path)?);
    }
    println!("took {:.3?}", start.elapsed());
    Ok(())
}
