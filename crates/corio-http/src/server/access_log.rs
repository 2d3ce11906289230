//! The access log: one Common Log Format line per request on stderr.
//!
//! `127.0.0.1 - - [24/Nov/2026:03:54:12 +0000] "GET /index.html HTTP/1.1" 200 1234`
//!
//! Lines are appended to a per-worker buffer; the first line of a batch schedules a flush with
//! `call_soon`, which runs after every task ready in this loop iteration. So a busy worker
//! writes its log once per iteration, not once per request, and a quiet one still logs at once.

use std::cell::RefCell;
use std::fmt::Write as _;
use std::io::Write as _;
use std::net::SocketAddr;

use http::{Method, StatusCode};

use super::clock;
use crate::proto::{RequestHead, Version};

/// Past this many buffered bytes the log is written at once.
const FLUSH_AT: usize = 16 * 1024;

thread_local! {
    static BUFFER: RefCell<String> = const { RefCell::new(String::new()) };
}

/// What the log needs of a request, taken before the handler consumes it.
#[derive(Debug)]
pub(crate) struct RequestLine {
    method: Method,
    target: String,
    version: Version,
}

impl RequestLine {
    pub(crate) fn new(head: &RequestHead) -> RequestLine {
        RequestLine {
            method: head.method.clone(),
            target: head.target.as_str().to_owned(),
            version: head.version,
        }
    }
}

/// Logs one request.
pub(crate) fn record(peer: SocketAddr, line: &RequestLine, status: StatusCode, bytes: u64) {
    let schedule = BUFFER.with(|buffer| {
        let mut buffer = buffer.borrow_mut();
        let was_empty = buffer.is_empty();
        let target = line.target.replace('"', "%22");
        clock::with_log_time(|time| {
            let _ = writeln!(
                buffer,
                "{} - - [{time}] \"{} {target} {}\" {} {bytes}",
                peer.ip(),
                line.method,
                line.version.as_str(),
                status.as_u16()
            );
        });
        if buffer.len() >= FLUSH_AT {
            write_out(&mut buffer);
            false
        } else {
            was_empty
        }
    });
    if schedule {
        if let Some(lp) = corio::EventLoop::current() {
            lp.call_soon(flush);
        } else {
            flush();
        }
    }
}

/// Writes the buffered lines.
pub(crate) fn flush() {
    BUFFER.with(|buffer| write_out(&mut buffer.borrow_mut()));
}

fn write_out(buffer: &mut String) {
    if !buffer.is_empty() {
        // A failing stderr must not take the server down: the line is dropped.
        let _ = std::io::stderr().lock().write_all(buffer.as_bytes());
        buffer.clear();
    }
}
