//! The access log: one line per request on stderr, in one of three formats ([`LogFormat`]).
//!
//! * Common Log Format (the default):
//!   `127.0.0.1 - - [24/Nov/2026:03:54:12 +0000] "GET /index.html HTTP/1.1" 200 1234`
//! * Combined (Apache's and nginx's default): the same, then `"Referer" "User-Agent"`
//!   (`"-"` when absent).
//! * JSON, one object per line, for log shippers:
//!   `{"time":"2026-11-24T03:54:12Z","remote":"127.0.0.1","method":"GET","target":"/",
//!   "version":"HTTP/1.1","status":200,"bytes":1234,"referer":null,"user_agent":"curl/8.5.0"}`
//!
//! Quoted fields are escaped so that a client cannot forge a line or a field: in the text
//! formats `"` and `\` are written `\"` and `\\`, control and non-ASCII bytes `\xHH` (as
//! nginx does); JSON strings are escaped by serde_json. Only the format chosen costs
//! anything: the Referer and User-Agent are copied only for combined and JSON.
//!
//! The format is per worker thread ([`set_format`], called by the worker when it starts).
//! Lines are appended to a per-worker buffer; the first line of a batch schedules a flush with
//! `call_soon`, which runs after every task ready in this loop iteration. So a busy worker
//! writes its log once per iteration, not once per request, and a quiet one still logs at once.

use std::cell::{Cell, RefCell};
use std::fmt::Write as _;
use std::io::Write as _;
use std::net::SocketAddr;

use http::header::{REFERER, USER_AGENT};
use http::{HeaderMap, Method, StatusCode};

use super::clock;
use crate::proto::{RequestHead, Version};

/// Past this many buffered bytes the log is written at once.
const FLUSH_AT: usize = 16 * 1024;

/// The layout of access-log lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogFormat {
    /// Common Log Format.
    #[default]
    Common,
    /// Combined Log Format: Common plus Referer and User-Agent.
    Combined,
    /// One JSON object per line.
    Json,
}

thread_local! {
    static BUFFER: RefCell<String> = const { RefCell::new(String::new()) };
    static FORMAT: Cell<LogFormat> = const { Cell::new(LogFormat::Common) };
}

/// Sets the format of the lines this thread (worker) logs.
pub(crate) fn set_format(format: LogFormat) {
    FORMAT.with(|f| f.set(format));
}

/// What the log needs of a request, taken before the handler consumes it.
#[derive(Debug)]
pub(crate) struct RequestLine {
    method: Method,
    target: String,
    version: Version,
    /// Referer and User-Agent, kept only when the format shows them.
    referer: Option<String>,
    user_agent: Option<String>,
}

impl RequestLine {
    pub(crate) fn new(head: &RequestHead) -> RequestLine {
        let (referer, user_agent) = match FORMAT.with(Cell::get) {
            LogFormat::Common => (None, None),
            LogFormat::Combined | LogFormat::Json => {
                let headers = head.headers.map();
                (field(headers, REFERER), field(headers, USER_AGENT))
            }
        };
        RequestLine {
            method: head.method.clone(),
            target: head.target.as_str().to_owned(),
            version: head.version,
            referer,
            user_agent,
        }
    }
}

/// A field's value as text (bytes that are not UTF-8 become U+FFFD).
fn field(headers: &HeaderMap, name: http::HeaderName) -> Option<String> {
    headers
        .get(name)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
}

/// Logs one request.
pub(crate) fn record(peer: SocketAddr, line: &RequestLine, status: StatusCode, bytes: u64) {
    let schedule = BUFFER.with(|buffer| {
        let mut buffer = buffer.borrow_mut();
        let was_empty = buffer.is_empty();
        format_line(
            &mut buffer,
            FORMAT.with(Cell::get),
            peer,
            line,
            status,
            bytes,
        );
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

/// Appends the line of one request to `out`.
fn format_line(
    out: &mut String,
    format: LogFormat,
    peer: SocketAddr,
    line: &RequestLine,
    status: StatusCode,
    bytes: u64,
) {
    if format == LogFormat::Json {
        let value = clock::with_iso_time(|time| {
            serde_json::json!({
                "time": time,
                "remote": peer.ip().to_string(),
                "method": line.method.as_str(),
                "target": line.target,
                "version": line.version.as_str(),
                "status": status.as_u16(),
                "bytes": bytes,
                "referer": line.referer,
                "user_agent": line.user_agent,
            })
        });
        let _ = writeln!(out, "{value}");
        return;
    }
    clock::with_log_time(|time| {
        let _ = write!(
            out,
            "{} - - [{time}] \"{} {} {}\" {} {bytes}",
            peer.ip(),
            line.method,
            escape(&line.target),
            line.version.as_str(),
            status.as_u16()
        );
    });
    if format == LogFormat::Combined {
        let quoted = |v: &Option<String>| v.as_deref().map_or("-".into(), escape);
        let _ = write!(
            out,
            " \"{}\" \"{}\"",
            quoted(&line.referer),
            quoted(&line.user_agent)
        );
    }
    out.push('\n');
}

/// Escapes a quoted field of a text line: `"` and `\` with a backslash, control and
/// non-ASCII characters as `\xHH`.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            ' '..='~' => out.push(c),
            c => {
                let mut utf8 = [0; 4];
                for b in c.encode_utf8(&mut utf8).bytes() {
                    let _ = write!(out, "\\x{b:02X}");
                }
            }
        }
    }
    out
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

#[cfg(test)]
mod tests {
    use super::*;

    fn line(referer: Option<&str>, user_agent: Option<&str>) -> RequestLine {
        RequestLine {
            method: Method::GET,
            target: "/a\"b".into(),
            version: Version::Http11,
            referer: referer.map(Into::into),
            user_agent: user_agent.map(Into::into),
        }
    }

    fn formatted(format: LogFormat, line: &RequestLine) -> String {
        let mut out = String::new();
        let peer = "127.0.0.1:9".parse().unwrap();
        format_line(&mut out, format, peer, line, StatusCode::OK, 5);
        out
    }

    #[test]
    fn formats() {
        let time = clock::with_log_time(str::to_owned);
        let plain = line(None, Some("curl/8 \"x\"\n\u{e9}"));
        assert_eq!(
            formatted(LogFormat::Common, &plain),
            format!("127.0.0.1 - - [{time}] \"GET /a\\\"b HTTP/1.1\" 200 5\n")
        );
        assert_eq!(
            formatted(LogFormat::Combined, &plain),
            format!(
                "127.0.0.1 - - [{time}] \"GET /a\\\"b HTTP/1.1\" 200 5 \"-\" \
                 \"curl/8 \\\"x\\\"\\x0A\\xC3\\xA9\"\n"
            )
        );
        let json = formatted(LogFormat::Json, &line(Some("http://r/"), None));
        assert_eq!(json.lines().count(), 1);
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(value["remote"], "127.0.0.1");
        assert_eq!(value["target"], "/a\"b");
        assert_eq!(value["status"], 200);
        assert_eq!(value["bytes"], 5);
        assert_eq!(value["referer"], "http://r/");
        assert!(value["user_agent"].is_null());
        assert!(value["time"].as_str().unwrap().ends_with('Z'));
    }
}
