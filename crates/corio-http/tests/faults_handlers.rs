//! Handlers that fail: one panics, one never finishes. Neither takes the others down, and a
//! graceful shutdown with a short grace period ends despite the never-finishing one.

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use corio_http::{Response, Server, ServerConfig};

fn exchange(addr: SocketAddr, path: &str) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    write!(s, "GET {path} HTTP/1.1\r\nHost: a\r\n\r\n").unwrap();
    let mut reply = Vec::new();
    let mut buf = [0u8; 4096];
    // Read until the head and the short body are in, or the server closes.
    loop {
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => reply.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::ConnectionReset => break,
            Err(e) => panic!("{path}: {e}"),
        }
        let text = String::from_utf8_lossy(&reply);
        if text.contains("\r\n\r\n") && (text.ends_with("ok") || text.contains("close")) {
            break;
        }
    }
    String::from_utf8(reply).unwrap()
}

#[test]
fn panicking_and_hanging_handlers_do_not_take_others_down() {
    let config = ServerConfig {
        shutdown_grace: Duration::from_millis(300),
        ..ServerConfig::default()
    };
    let server = Server::bind("127.0.0.1:0".parse().unwrap())
        .workers(1)
        .config(config)
        .start(|req: corio_http::Request| async move {
            match req.path() {
                "/panic" => panic!("handler panics on purpose"),
                "/hang" => std::future::pending::<Response>().await,
                _ => Response::text("ok"),
            }
        })
        .unwrap();
    let addr = server.local_addr();

    // Several requests that never finish, on their own connections, held open.
    let hanging: Vec<TcpStream> = (0..5)
        .map(|_| {
            let mut s = TcpStream::connect(addr).unwrap();
            s.write_all(b"GET /hang HTTP/1.1\r\nHost: a\r\n\r\n")
                .unwrap();
            s
        })
        .collect();
    for i in 0..20 {
        let reply = exchange(addr, "/panic");
        assert!(reply.starts_with("HTTP/1.1 500 "), "{reply}");
        assert!(
            reply.to_ascii_lowercase().contains("connection: close"),
            "{reply}"
        );
        let reply = exchange(addr, "/ok");
        assert!(
            reply.starts_with("HTTP/1.1 200 OK\r\n"),
            "round {i}: {reply}"
        );
        assert!(reply.ends_with("ok"));
    }

    // A keep-alive connection: a panic closes only that connection.
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    s.write_all(b"GET /ok HTTP/1.1\r\nHost: a\r\n\r\nGET /panic HTTP/1.1\r\nHost: a\r\n\r\nGET /ok HTTP/1.1\r\nHost: a\r\n\r\n")
        .unwrap();
    let mut reply = String::new();
    let _ = s.read_to_string(&mut reply);
    assert!(reply.starts_with("HTTP/1.1 200 OK\r\n"), "{reply}");
    assert_eq!(reply.matches("HTTP/1.1 ").count(), 2, "{reply}");
    assert!(reply.contains("HTTP/1.1 500 "), "{reply}");

    // Shutdown ends within the grace period although /hang never completes.
    server.shutdown();
    let (done_tx, done_rx) = mpsc::channel();
    thread::spawn(move || done_tx.send(server.wait()).unwrap());
    // A hang guard only: a working server returns right after its 300 ms grace.
    let waited = done_rx
        .recv_timeout(Duration::from_secs(120))
        .expect("shutdown did not end despite the grace period");
    waited.unwrap();
    // The hanging connections were dropped: EOF or reset, never an answer.
    for mut s in hanging {
        s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
        let mut buf = [0u8; 64];
        match s.read(&mut buf) {
            Ok(n) => assert_eq!(n, 0, "{}", String::from_utf8_lossy(&buf[..n])),
            Err(e) => assert_eq!(e.kind(), ErrorKind::ConnectionReset),
        }
    }
}
