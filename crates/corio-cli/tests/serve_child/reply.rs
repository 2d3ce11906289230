//! Raw HTTP/1.1 exchanges with a served directory: a request head written by hand, the reply
//! read to the end and split into status, header fields and body bytes.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};

use super::SAFETY_TIMEOUT;

/// The address of the first `http://HOST:PORT/` word of `line`.
pub fn url_addr(line: &str) -> Option<SocketAddr> {
    let url = line.split_whitespace().find(|w| w.starts_with("http://"))?;
    url.strip_prefix("http://")?.strip_suffix('/')?.parse().ok()
}

/// A reply: status, header fields (names lowercase) and body bytes.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    /// The first value of header `name` (lowercase).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of header `name`.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Sends `head` (request line and header lines, each ending in `\r\n`) plus `Host` and
/// `Connection: close`, reads the reply to the end.
pub fn exchange(addr: SocketAddr, head: &str) -> Reply {
    exchange_body(addr, head, b"")
}

/// [`exchange`] with `body` after the head.
pub fn exchange_body(addr: SocketAddr, head: &str, body: &[u8]) -> Reply {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(SAFETY_TIMEOUT)).unwrap();
    write!(stream, "{head}Host: 127.0.0.1\r\nConnection: close\r\n\r\n").unwrap();
    stream.write_all(body).unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    parse_reply(&raw)
}

fn parse_reply(raw: &[u8]) -> Reply {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no head in {:?}", String::from_utf8_lossy(raw)));
    let head = std::str::from_utf8(&raw[..split]).unwrap();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers = lines
        .map(|l| {
            let (n, v) = l.split_once(':').unwrap();
            (n.to_ascii_lowercase(), v.trim().to_owned())
        })
        .collect();
    Reply {
        status,
        headers,
        body: raw[split + 4..].to_vec(),
    }
}
