//! Stage 3 of the seed: a `Future` as "a pending result", resolved by callbacks.
//!
//! The callbacks of stage 2 stay (connect → send → read until EOF), but instead of calling a
//! `done` function at the end, the last callback *resolves a future*: it stores the response
//! and wakes whoever waits for it. [`ResponseFuture`] is that future, written by hand: a
//! struct implementing `std::future::Future` with no async machinery in it. The main program
//! then waits for both futures with `run_until_complete`, which runs the loop until the
//! awaited future is ready.
//!
//! Both requests start when `fetch` is called (the callbacks are registered at once), so
//! awaiting them one after the other still runs them concurrently.
//!
//! ```text
//! cargo run -p corio --example seed3_future -- --port 5000
//! ```

use std::cell::RefCell;
use std::future::Future;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, ToSocketAddrs};
use std::os::fd::AsRawFd;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};
use std::time::Instant;

use corio::EventLoop;

#[path = "common/seed.rs"]
mod seed;

/// What a [`ResponseFuture`] and the callbacks resolving it share.
#[derive(Default)]
struct Slot {
    /// Set once, by [`Slot::resolve`].
    result: Option<io::Result<String>>,
    /// The waker of the last poll that found no result.
    waker: Option<Waker>,
}

impl Slot {
    /// The seed's `Future.resolve()`: store the result, then run the waiting "callback" (wake
    /// the waker).
    fn resolve(slot: &RefCell<Slot>, result: io::Result<String>) {
        let waker = {
            let mut slot = slot.borrow_mut();
            if slot.result.is_some() {
                return; // resolved already
            }
            slot.result = Some(result);
            slot.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

/// A hand-written future: ready once the callbacks resolved its [`Slot`].
struct ResponseFuture {
    slot: Rc<RefCell<Slot>>,
}

impl Future for ResponseFuture {
    type Output = io::Result<String>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut slot = self.slot.borrow_mut();
        match slot.result.take() {
            Some(result) => Poll::Ready(result),
            None => {
                // Not yet: remember who to wake. `resolve` will call it.
                slot.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

/// One request's state, shared by its callbacks.
struct Request {
    socket: mio::net::TcpStream,
    request: Vec<u8>,
    response: Vec<u8>,
    slot: Rc<RefCell<Slot>>,
}

/// Starts `GET path` and returns a future of its body.
fn fetch(lp: &EventLoop, addr: SocketAddr, host: &str, path: &str) -> ResponseFuture {
    let slot = Rc::new(RefCell::new(Slot::default()));
    let future = ResponseFuture { slot: slot.clone() };
    let socket = match mio::net::TcpStream::connect(addr) {
        Ok(socket) => socket,
        Err(e) => {
            Slot::resolve(&slot, Err(e));
            return future;
        }
    };
    let fd = socket.as_raw_fd();
    let request = Rc::new(RefCell::new(Request {
        socket,
        request: format!("GET {path} HTTP/1.0\r\nHost: {host}\r\n\r\n").into_bytes(),
        response: Vec::new(),
        slot: slot.clone(),
    }));
    let lp2 = lp.clone();
    if let Err(e) = lp.add_writer(fd, move || on_writable(&lp2, &request)) {
        Slot::resolve(&slot, Err(e));
    }
    future
}

/// Writer callback: connected; send the request, then watch for the response.
fn on_writable(lp: &EventLoop, request: &Rc<RefCell<Request>>) {
    let mut req = request.borrow_mut();
    let fd = req.socket.as_raw_fd();
    let fail = |req: &Request, e| {
        let _ = lp.remove_writer(fd);
        Slot::resolve(&req.slot, Err(e));
    };
    if let Ok(Some(e)) | Err(e) = req.socket.take_error() {
        return fail(&req, e);
    }
    while !req.request.is_empty() {
        let Request {
            socket, request: r, ..
        } = &mut *req;
        match socket.write(r) {
            Ok(n) => {
                r.drain(..n);
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
            Err(e) if e.kind() == io::ErrorKind::NotConnected => return,
            Err(e) => return fail(&req, e),
        }
    }
    let _ = lp.remove_writer(fd);
    let (lp2, request2) = (lp.clone(), request.clone());
    if let Err(e) = lp.add_reader(fd, move || on_readable(&lp2, &request2)) {
        Slot::resolve(&req.slot, Err(e));
    }
}

/// Reader callback: read until `WouldBlock`; at EOF resolve the future with the body.
fn on_readable(lp: &EventLoop, request: &Rc<RefCell<Request>>) {
    let mut req = request.borrow_mut();
    let fd = req.socket.as_raw_fd();
    let mut chunk = [0u8; 4096];
    loop {
        match req.socket.read(&mut chunk) {
            Ok(0) => {
                let _ = lp.remove_reader(fd);
                let result = Ok(seed::body(&req.response));
                return Slot::resolve(&req.slot, result);
            }
            Ok(n) => req.response.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                let _ = lp.remove_reader(fd);
                return Slot::resolve(&req.slot, Err(e));
            }
        }
    }
}

fn main() -> io::Result<()> {
    let (host, port) = seed::parse_args("seed3_future");
    let addr = (host.as_str(), port)
        .to_socket_addrs()?
        .next()
        .ok_or_else(|| io::Error::other("host has no address"))?;
    let lp = EventLoop::new()?;
    let start = Instant::now();

    // Both requests are under way as soon as `fetch` returns.
    let first = fetch(&lp, addr, &host, "/1");
    let second = fetch(&lp, addr, &host, "/2");
    // Run the loop until both futures are resolved.
    let (first, second) = lp.run_until_complete(async { (first.await, second.await) });

    let mut failed = 0;
    for (path, result) in [("/1", first), ("/2", second)] {
        match result {
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
