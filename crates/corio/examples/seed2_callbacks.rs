//! Stage 2 of the seed: non-blocking sockets and callbacks on the event loop (layer 2 only).
//!
//! `connect` returns at once; a *writer* callback runs when the connection is established and
//! sends the request; a *reader* callback then runs each time data arrives, until EOF. Both
//! GETs are in flight at the same time, so the elapsed time is about that of the slower one.
//! The price is visible below: the logic of one request is cut into three callbacks that share
//! state through `Rc<RefCell<_>>` ("callback hell", as the seed puts it).
//!
//! Readiness is edge-triggered: a callback runs when its socket *becomes* ready, so the reader
//! must read until `WouldBlock` each time it runs.
//!
//! ```text
//! cargo run -p corio --example seed2_callbacks -- --port 5000
//! ```

use std::cell::{Cell, RefCell};
use std::io::{self, Read, Write};
use std::net::{SocketAddr, ToSocketAddrs};
use std::os::fd::AsRawFd;
use std::rc::Rc;
use std::time::Instant;

use corio::EventLoop;

#[path = "common/seed.rs"]
mod seed;

/// The state one request's callbacks share.
struct Request {
    path: &'static str,
    socket: mio::net::TcpStream,
    /// What is left to send.
    request: Vec<u8>,
    response: Vec<u8>,
}

/// Called once per finished request, with its path and its result.
type Done = Rc<dyn Fn(&str, io::Result<String>)>;

/// The seed's `get(path)`: starts a non-blocking connect and registers `connected` to run when
/// the socket becomes writable. Returns at once.
fn get(lp: &EventLoop, addr: SocketAddr, host: &str, path: &'static str, done: Done) {
    let socket = match mio::net::TcpStream::connect(addr) {
        Ok(socket) => socket,
        Err(e) => return done(path, Err(e)),
    };
    let fd = socket.as_raw_fd();
    let request = Rc::new(RefCell::new(Request {
        path,
        socket,
        request: format!("GET {path} HTTP/1.0\r\nHost: {host}\r\n\r\n").into_bytes(),
        response: Vec::new(),
    }));
    let (lp2, done2) = (lp.clone(), done.clone());
    let registered = lp.add_writer(fd, move || connected(&lp2, &request, &done2));
    if let Err(e) = registered {
        done(path, Err(e));
    }
}

/// Writer callback: the connection is up (or failed). Sends the request, then switches to
/// reading.
fn connected(lp: &EventLoop, request: &Rc<RefCell<Request>>, done: &Done) {
    let mut req = request.borrow_mut();
    let fd = req.socket.as_raw_fd();
    let finish = |lp: &EventLoop, path, result| {
        let _ = lp.remove_writer(fd);
        let _ = lp.remove_reader(fd);
        done(path, result);
    };
    // A failed connect also reports "writable"; the error is waiting in SO_ERROR.
    if let Ok(Some(e)) | Err(e) = req.socket.take_error() {
        return finish(lp, req.path, Err(e));
    }
    // Send what we can; if the send buffer fills up (it will not, for a request this small),
    // the writer stays registered and we continue on the next writable event.
    while !req.request.is_empty() {
        let Request {
            socket, request: r, ..
        } = &mut *req;
        match socket.write(r) {
            Ok(n) => {
                r.drain(..n);
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
            // Not connected yet (a spurious wake-up): wait for the next writable event.
            Err(e) if e.kind() == io::ErrorKind::NotConnected => return,
            Err(e) => return finish(lp, req.path, Err(e)),
        }
    }
    // The whole request is sent: stop watching for writability, start watching for data.
    let _ = lp.remove_writer(fd);
    let (lp2, request2, done2) = (lp.clone(), request.clone(), done.clone());
    if let Err(e) = lp.add_reader(fd, move || readable(&lp2, &request2, &done2)) {
        finish(lp, req.path, Err(e));
    }
}

/// Reader callback: reads everything available; on EOF the response is complete.
fn readable(lp: &EventLoop, request: &Rc<RefCell<Request>>, done: &Done) {
    let mut req = request.borrow_mut();
    let fd = req.socket.as_raw_fd();
    let mut chunk = [0u8; 4096];
    loop {
        match req.socket.read(&mut chunk) {
            // EOF: HTTP/1.0 servers close the connection after the response.
            Ok(0) => {
                let _ = lp.remove_reader(fd);
                return done(req.path, Ok(seed::body(&req.response)));
            }
            Ok(n) => req.response.extend_from_slice(&chunk[..n]),
            // Drained: wait for the next readable event (edge-triggered).
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                let _ = lp.remove_reader(fd);
                return done(req.path, Err(e));
            }
        }
    }
}

fn main() -> io::Result<()> {
    let (host, port) = seed::parse_args("seed2_callbacks");
    let addr = (host.as_str(), port)
        .to_socket_addrs()?
        .next()
        .ok_or_else(|| io::Error::other("host has no address"))?;
    let lp = EventLoop::new()?;
    let start = Instant::now();

    // The seed's `n_jobs`: when it reaches zero, stop the loop.
    let jobs = Rc::new(Cell::new(2));
    let failed = Rc::new(Cell::new(0));
    let done: Done = {
        let (lp, jobs, failed) = (lp.clone(), jobs.clone(), failed.clone());
        Rc::new(move |path, result| {
            match result {
                Ok(body) => print!("{path}: {body}"),
                Err(e) => {
                    eprintln!("{path}: error: {e}");
                    failed.set(failed.get() + 1);
                }
            }
            jobs.set(jobs.get() - 1);
            if jobs.get() == 0 {
                lp.stop();
            }
        })
    };
    get(&lp, addr, &host, "/1", done.clone());
    get(&lp, addr, &host, "/2", done);
    if jobs.get() > 0 {
        lp.run_forever()?;
    }
    println!("took {:.3?}", start.elapsed());
    seed::outcome(failed.get())
}
