//! A TCP echo server written with callbacks only (layer 2): no futures, no tasks.
//!
//! - A reader callback on the listening socket accepts every pending connection.
//! - Each connection gets a reader callback, which reads what arrived and echoes it. What the
//!   socket does not take at once (a partial write) waits in the connection's write buffer,
//!   and a writer callback is registered to flush it when the socket becomes writable again;
//!   it unregisters itself once the buffer is empty. While the buffer is over
//!   [`HIGH_WATER`], the connection stops reading, so a client that sends without reading
//!   cannot make the server buffer without bound.
//!
//! Readiness is edge-triggered, so every callback reads (or writes, or accepts) until
//! `WouldBlock`.
//!
//! ```text
//! cargo run --release -p corio --example echo_callbacks -- --port 5001
//! ```
//!
//! The benches include this file as a module and call [`serve`].

use std::cell::RefCell;
use std::io::{self, Read, Write};
use std::net::TcpListener;
use std::os::fd::{AsRawFd, RawFd};
use std::rc::Rc;

use corio::EventLoop;

/// Stop reading from a connection while this many bytes wait to be written to it.
pub const HIGH_WATER: usize = 256 * 1024;

/// One connection: its socket and the bytes not yet echoed.
struct Conn {
    stream: std::net::TcpStream,
    out: Vec<u8>,
    /// Whether the writer callback is registered.
    writing: bool,
    /// Whether the reader callback is registered.
    reading: bool,
}

/// Registers the echo server's callbacks for `listener` on `lp` and returns at once; the
/// server runs while the loop runs.
pub fn serve(lp: &EventLoop, listener: TcpListener) -> io::Result<()> {
    listener.set_nonblocking(true)?;
    let fd = listener.as_raw_fd();
    let lp2 = lp.clone();
    // The callback owns the listener: it lives as long as the reader stays registered.
    lp.add_reader(fd, move || accept_all(&lp2, &listener))
}

/// Listener callback: accept until `WouldBlock`, registering a reader for each connection.
fn accept_all(lp: &EventLoop, listener: &TcpListener) {
    loop {
        match listener.accept() {
            Ok((stream, _)) => {
                if let Err(e) = start(lp, stream) {
                    eprintln!("echo: cannot watch a connection: {e}");
                }
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            // Out of descriptors, or a connection reset before accept: drop it, keep serving.
            Err(e) => {
                eprintln!("echo: accept: {e}");
                return;
            }
        }
    }
}

fn start(lp: &EventLoop, stream: std::net::TcpStream) -> io::Result<()> {
    stream.set_nonblocking(true)?;
    stream.set_nodelay(true)?;
    let fd = stream.as_raw_fd();
    let conn = Rc::new(RefCell::new(Conn {
        stream,
        out: Vec::new(),
        writing: false,
        reading: true,
    }));
    watch_reads(lp, fd, conn)
}

fn watch_reads(lp: &EventLoop, fd: RawFd, conn: Rc<RefCell<Conn>>) -> io::Result<()> {
    let lp2 = lp.clone();
    lp.add_reader(fd, move || on_readable(&lp2, fd, &conn))
}

/// Connection reader callback: read all that arrived, echo it, buffer what does not fit.
fn on_readable(lp: &EventLoop, fd: RawFd, conn: &Rc<RefCell<Conn>>) {
    let mut buf = [0u8; 16 * 1024];
    let mut c = conn.borrow_mut();
    loop {
        if c.out.len() >= HIGH_WATER {
            // Back-pressure: stop reading until the writer callback drains the buffer.
            let _ = lp.remove_reader(fd);
            c.reading = false;
            break;
        }
        match c.stream.read(&mut buf) {
            Ok(0) => return close(lp, fd, &mut c),
            Ok(n) => {
                c.out.extend_from_slice(&buf[..n]);
                if flush(&mut c).is_err() {
                    return close(lp, fd, &mut c);
                }
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => return close(lp, fd, &mut c),
        }
    }
    // Bytes left over: flush them when the socket becomes writable.
    if !c.out.is_empty() && !c.writing {
        c.writing = true;
        let (lp2, conn2) = (lp.clone(), conn.clone());
        if lp
            .add_writer(fd, move || on_writable(&lp2, fd, &conn2))
            .is_err()
        {
            close(lp, fd, &mut c);
        }
    }
}

/// Connection writer callback: flush the buffer; once empty, stop watching writability and
/// resume reading if back-pressure had paused it.
fn on_writable(lp: &EventLoop, fd: RawFd, conn: &Rc<RefCell<Conn>>) {
    let mut c = conn.borrow_mut();
    if flush(&mut c).is_err() {
        return close(lp, fd, &mut c);
    }
    if c.out.is_empty() {
        let _ = lp.remove_writer(fd);
        c.writing = false;
    }
    if !c.reading && c.out.len() < HIGH_WATER {
        c.reading = true;
        drop(c);
        // Re-registering reports data that arrived meanwhile, so nothing is missed.
        if watch_reads(lp, fd, conn.clone()).is_err() {
            close(lp, fd, &mut conn.borrow_mut());
        }
    }
}

/// Writes as much of the buffer as the socket takes. `Ok` on `WouldBlock` too.
fn flush(c: &mut Conn) -> io::Result<()> {
    let mut written = 0;
    let result = loop {
        if written == c.out.len() {
            break Ok(());
        }
        match c.stream.write(&c.out[written..]) {
            Ok(n) => written += n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break Ok(()),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => break Err(e),
        }
    };
    c.out.drain(..written);
    result
}

/// Unregisters both callbacks. The socket closes when the last of them is dropped.
fn close(lp: &EventLoop, fd: RawFd, c: &mut Conn) {
    let _ = lp.remove_reader(fd);
    let _ = lp.remove_writer(fd);
    c.out.clear();
    c.reading = false;
    c.writing = false;
}

/// `--port N` (default 5001).
#[allow(dead_code)] // unused when the benches include this file
fn parse_port() -> u16 {
    let mut args = std::env::args().skip(1);
    match (args.next().as_deref(), args.next()) {
        (Some("--port"), Some(port)) => port.parse().expect("--port takes a number"),
        (None, _) => 5001,
        _ => panic!("usage: echo_callbacks [--port N]"),
    }
}

#[allow(dead_code)] // unused when the benches include this file
fn main() -> io::Result<()> {
    let port = parse_port();
    let listener = TcpListener::bind(("127.0.0.1", port))?;
    println!("echo (callbacks) on {}", listener.local_addr()?);
    let lp = EventLoop::new()?;
    serve(&lp, listener)?;
    lp.run_forever()
}
