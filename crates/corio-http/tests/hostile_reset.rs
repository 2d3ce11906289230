//! Peers that reset the connection (`SO_LINGER` 0, then close) in the middle of a request head,
//! in the middle of a request body, or in the middle of a large response (memory body and
//! `sendfile`): the server goes on serving everyone else.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use corio_http::server::StaticFiles;
use corio_http::{Response, RunningServer, Server};
use socket2::SockRef;

const BIG: usize = 8 << 20;

fn reset(stream: TcpStream) {
    SockRef::from(&stream)
        .set_linger(Some(Duration::ZERO))
        .unwrap();
    drop(stream);
}

fn get(addr: SocketAddr, path: &str) -> Vec<u8> {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut reply = Vec::new();
    s.read_to_end(&mut reply).unwrap();
    assert!(reply.starts_with(b"HTTP/1.1 200 OK\r\n"), "{path}");
    reply
}

/// Requests `path`, reads a little of the (large) response, then resets.
fn reset_mid_response(addr: SocketAddr, path: &str) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    write!(s, "GET {path} HTTP/1.1\r\nHost: a\r\n\r\n").unwrap();
    let mut some = [0u8; 4096];
    let n = s.read(&mut some).unwrap();
    assert!(some[..n].starts_with(b"HTTP/1.1 200 OK\r\n"));
    reset(s);
}

fn hostile_round(server: &RunningServer, big_path: &str) {
    let addr = server.local_addr();
    for i in 0..20 {
        // Half a head, then RST.
        let mut s = TcpStream::connect(addr).unwrap();
        s.write_all(b"GET /small HTTP/1.1\r\nHost: a\r\nX-Half")
            .unwrap();
        reset(s);
        // Half a body, then RST.
        let mut s = TcpStream::connect(addr).unwrap();
        s.write_all(b"POST /small HTTP/1.1\r\nHost: a\r\nContent-Length: 100000\r\n\r\nabc")
            .unwrap();
        reset(s);
        reset_mid_response(addr, big_path);
        if matches!(i, 0 | 5 | 10 | 15) {
            let reply = get(addr, big_path);
            assert!(reply.len() > BIG, "short big response");
        }
        get(addr, "/small");
    }
    // A keep-alive client that was connected throughout is still served.
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    for _ in 0..3 {
        s.write_all(b"GET /small HTTP/1.1\r\nHost: a\r\n\r\n")
            .unwrap();
        let mut buf = [0u8; 1024];
        let n = s.read(&mut buf).unwrap();
        assert!(buf[..n].starts_with(b"HTTP/1.1 200 OK\r\n"));
    }
}

#[test]
fn resets_mid_request_and_mid_response_in_memory() {
    let big = bytes::Bytes::from(vec![b'z'; BIG]);
    let server = Server::bind("127.0.0.1:0".parse().unwrap())
        .workers(1)
        .start(move |req: corio_http::Request| {
            let big = big.clone();
            async move {
                match req.path() {
                    "/big" => Response::new(http::StatusCode::OK, big),
                    _ => Response::text("small"),
                }
            }
        })
        .unwrap();
    hostile_round(&server, "/big");
    server.shutdown();
    server.wait().unwrap();
}

#[test]
fn resets_mid_request_and_mid_response_sendfile() {
    let dir = std::env::temp_dir().join(format!("corio-hostile-reset-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("big"), vec![b'z'; BIG]).unwrap();
    std::fs::write(dir.join("small"), "small").unwrap();
    let server = Server::bind("127.0.0.1:0".parse().unwrap())
        .workers(1)
        .start(StaticFiles::new(&dir).unwrap())
        .unwrap();
    hostile_round(&server, "/big");
    server.shutdown();
    server.wait().unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}
