//! A scripted HTTP test server on 127.0.0.1, run on the test's own loop: it parses requests
//! with proto, asks a handler what to send, and counts accepted connections.

#![allow(dead_code)]

use std::cell::{Cell, RefCell};
use std::net::SocketAddr;
use std::rc::Rc;

use corio::net::{ListenOptions, TcpStream};
use corio_http::proto::{parse_request_head, BodyFraming, Limits};

/// A request as the server saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// What the server does with a request.
pub enum Reply {
    /// Write these bytes and keep serving the connection.
    Send(Vec<u8>),
    /// Write these bytes and close.
    SendClose(Vec<u8>),
    /// Close without answering.
    Close,
    /// Never answer (the connection stays open).
    Hang,
}

/// A `200 OK` with a Content-Length body and a content type.
pub fn ok(content_type: &str, body: &str) -> Reply {
    Reply::Send(
        format!(
            "HTTP/1.1 200 OK\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        )
        .into_bytes(),
    )
}

/// A redirect with `status` to `location`.
pub fn redirect(status: u16, location: &str) -> Reply {
    Reply::Send(
        format!("HTTP/1.1 {status} Moved\r\nlocation: {location}\r\ncontent-length: 0\r\n\r\n")
            .into_bytes(),
    )
}

pub struct TestServer {
    pub addr: SocketAddr,
    /// Connections accepted so far.
    pub accepted: Rc<Cell<usize>>,
    /// Requests seen so far.
    pub seen: Rc<RefCell<Vec<Seen>>>,
}

impl TestServer {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }
}

/// Starts a server on the current loop (call inside `corio::block_on`).
pub fn serve(handler: impl Fn(&Seen) -> Reply + 'static) -> TestServer {
    let listener = ListenOptions::new()
        .bind("127.0.0.1:0".parse().unwrap())
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let accepted = Rc::new(Cell::new(0));
    let seen = Rc::new(RefCell::new(Vec::new()));
    let handler = Rc::new(handler);
    let (acc, sn) = (accepted.clone(), seen.clone());
    corio::spawn_local(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            acc.set(acc.get() + 1);
            corio::spawn_local(connection(stream, handler.clone(), sn.clone()));
        }
    });
    TestServer {
        addr,
        accepted,
        seen,
    }
}

async fn connection(
    mut stream: TcpStream,
    handler: Rc<dyn Fn(&Seen) -> Reply>,
    seen: Rc<RefCell<Vec<Seen>>>,
) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let (head, used) = loop {
            if let Ok(Some(parsed)) = parse_request_head(&buf, &Limits::default()) {
                break parsed;
            }
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        };
        buf.drain(..used);
        let len = match head.body {
            BodyFraming::Length(n) => n as usize,
            _ => 0,
        };
        while buf.len() < len {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
        let body: Vec<u8> = buf.drain(..len).collect();
        let req = Seen {
            method: head.method.to_string(),
            path: head.target.path().to_string()
                + &head
                    .target
                    .query()
                    .map(|q| format!("?{q}"))
                    .unwrap_or_default(),
            headers: head
                .headers
                .map()
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_str().unwrap_or("").to_string()))
                .collect(),
            body,
        };
        seen.borrow_mut().push(req.clone());
        match handler(&req) {
            Reply::Send(bytes) => {
                if stream.write_all(&bytes).await.is_err() {
                    return;
                }
            }
            Reply::SendClose(bytes) => {
                let _ = stream.write_all(&bytes).await;
                return;
            }
            Reply::Close => return,
            Reply::Hang => {
                // Hold the connection open until the client goes away.
                let _ = stream.read(&mut chunk).await;
                return;
            }
        }
    }
}
