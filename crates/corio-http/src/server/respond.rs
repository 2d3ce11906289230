//! The write side of a connection: response heads, bodies (in memory, streamed, `sendfile`),
//! and flushing with a stalled-write timeout.
//!
//! Framing is decided here, once, from the body: a body in memory or a file gets
//! `Content-Length`; a stream gets the handler's `Content-Length` if it set one, else chunked
//! coding (HTTP/1.1) or close-delimiting (HTTP/1.0). `1xx`, `204` and `304` responses never
//! carry a body, and a `HEAD` response carries the framing a `GET` would have, without body.

use std::future::poll_fn;
use std::io;
use std::task::Poll;
use std::time::Instant;

use http::header::{HeaderValue, CONNECTION, CONTENT_LENGTH, CONTENT_TYPE};
use http::StatusCode;

use super::buffers;
use super::clock;
use super::config::{DIRECT_WRITE_MIN, WRITE_HIGH_WATER};
use super::conn::deadline_at;
use super::conn::Driver;
use super::handler::Handler;
use crate::message::{Response, ResponseBody};
use crate::proto::{
    encode_fields_and_end, encode_status_line, BodyFraming, ChunkedEncoder, Version,
};

/// The most bytes one `sendfile` call is asked for. A call on a non-blocking socket stops
/// when the socket's send buffer is full anyway (a few MiB on loopback), so this only needs
/// to be larger than that buffer to keep the calls per file at the minimum.
const SENDFILE_CHUNK: usize = 16 * 1024 * 1024;

/// The part of a response body that cannot be written without waiting.
pub(super) struct RestOfBody {
    body: ResponseBody,
    framing: BodyFraming,
}

impl<H: Handler> Driver<H> {
    /// Encodes a response whose body is in memory (or empty), with `Connection: close`.
    pub(super) fn encode_simple(&mut self, response: Response) {
        // Error pages are small: nothing is left to send after the head and body are buffered.
        let _ = self.write_head(response, Version::Http11, false, false);
    }

    /// Encodes a response's head, and its body when that is in memory and small, into the
    /// output buffer, without waiting. Returns whether the connection stays open (a
    /// close-delimited body ends it), the body bytes written, and the part of the body still to
    /// send (a large buffer, a file or a stream) for [`Driver::write_rest`].
    pub(super) fn write_head(
        &mut self,
        response: Response,
        version: Version,
        is_head: bool,
        mut keep_alive: bool,
    ) -> (bool, u64, Option<RestOfBody>) {
        let Response {
            status,
            content_type,
            mut headers,
            body,
        } = response;
        // `Connection` is hop-by-hop: the server writes its own, honouring a handler's `close`.
        if let Some(value) = headers.as_mut().and_then(|h| h.remove(CONNECTION)) {
            if has_token(&value, "close") {
                keep_alive = false;
            }
        }
        let bodiless = status.is_informational()
            || status == StatusCode::NO_CONTENT
            || status == StatusCode::NOT_MODIFIED;
        let framing = if bodiless {
            BodyFraming::Empty
        } else {
            match &body {
                ResponseBody::Stream(_) => match headers.as_deref().and_then(declared_length) {
                    Some(len) => BodyFraming::Length(len),
                    None if version == Version::Http11 => BodyFraming::Chunked,
                    None => {
                        keep_alive = false;
                        BodyFraming::CloseDelimited
                    }
                },
                other => BodyFraming::Length(other.len().unwrap_or(0)),
            }
        };
        // The head is written piece by piece: status line, the cached `Server` and `Date`
        // lines, the content type and connection lines, then the handler's fields (most
        // responses have none, and then no `HeaderMap` is touched).
        let out = self.out.get_or_insert_with(buffers::take_out);
        encode_status_line(out, Version::Http11, status);
        clock::with_fixed_fields(|fixed| out.extend_from_slice(fixed));
        let headers = headers.as_deref();
        let own_type = headers.is_some_and(|h| h.contains_key(CONTENT_TYPE));
        if let Some(value) = content_type.filter(|_| !own_type) {
            out.extend_from_slice(b"content-type: ");
            out.extend_from_slice(value.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        if !keep_alive {
            out.extend_from_slice(b"connection: close\r\n");
        } else if version == Version::Http10 {
            out.extend_from_slice(b"connection: keep-alive\r\n");
        }
        encode_fields_and_end(out, headers, framing);
        if bodiless || is_head {
            return (keep_alive, 0, None);
        }
        match body {
            ResponseBody::Empty => (keep_alive, 0, None),
            ResponseBody::Bytes(bytes) if bytes.len() < DIRECT_WRITE_MIN => {
                out.extend_from_slice(&bytes);
                (keep_alive, bytes.len() as u64, None)
            }
            body => (keep_alive, 0, Some(RestOfBody { body, framing })),
        }
    }

    /// Sends what [`Driver::write_head`] left: returns the body bytes sent.
    pub(super) async fn write_rest(&mut self, rest: RestOfBody) -> io::Result<u64> {
        match rest.body {
            ResponseBody::Empty => Ok(0),
            ResponseBody::Bytes(bytes) => {
                self.flush().await?;
                self.write_all(&bytes).await?;
                Ok(bytes.len() as u64)
            }
            ResponseBody::File {
                file, offset, len, ..
            } => {
                self.flush().await?;
                self.send_file(&file, offset, len).await?;
                Ok(len)
            }
            ResponseBody::Stream(stream) => self.write_stream(stream, rest.framing).await,
        }
    }

    async fn write_stream(
        &mut self,
        mut stream: crate::message::BodyStream,
        framing: BodyFraming,
    ) -> io::Result<u64> {
        let mut sent = 0u64;
        let limit = match framing {
            BodyFraming::Length(len) => Some(len),
            _ => None,
        };
        while let Some(chunk) = poll_fn(|cx| stream.as_mut().poll_next(cx)).await {
            let chunk = chunk?;
            if chunk.is_empty() {
                continue;
            }
            if limit.is_some_and(|limit| sent + chunk.len() as u64 > limit) {
                return Err(io::Error::other(
                    "response body longer than its Content-Length",
                ));
            }
            sent += chunk.len() as u64;
            let out = self.out.get_or_insert_with(buffers::take_out);
            if framing == BodyFraming::Chunked {
                ChunkedEncoder::chunk(out, &chunk);
            } else {
                out.extend_from_slice(&chunk);
            }
            if out.len() >= WRITE_HIGH_WATER {
                self.flush().await?;
            }
        }
        if limit.is_some_and(|limit| sent != limit) {
            return Err(io::Error::other(
                "response body shorter than its Content-Length",
            ));
        }
        if framing == BodyFraming::Chunked {
            ChunkedEncoder::finish(self.out.get_or_insert_with(buffers::take_out), None);
        }
        Ok(sent)
    }

    /// Writes as much of the buffered output as the socket takes without waiting.
    pub(super) fn try_flush(&mut self) {
        let Some(out) = self.out.as_mut() else { return };
        while !out.is_empty() {
            match self.conn.stream.try_write(out) {
                Ok(n) if n > 0 => bytes::Buf::advance(out, n),
                _ => return,
            }
        }
        if let Some(out) = self.out.take() {
            buffers::release_out(out);
        }
    }

    /// Writes every buffered byte, then returns the buffer to the pool.
    pub(super) async fn flush(&mut self) -> io::Result<()> {
        let Some(out) = self.out.take() else {
            return Ok(());
        };
        let result = self.write_all(&out).await;
        buffers::release_out(out);
        result
    }

    async fn write_all(&mut self, mut data: &[u8]) -> io::Result<()> {
        self.progress();
        while !data.is_empty() {
            match self.conn.stream.try_write(data) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => {
                    data = &data[n..];
                    self.progress();
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => self.wait_writable().await?,
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    async fn send_file(
        &mut self,
        file: &std::fs::File,
        mut offset: u64,
        len: u64,
    ) -> io::Result<()> {
        let end = offset + len;
        self.progress();
        while offset < end {
            let count = usize::try_from(end - offset)
                .unwrap_or(usize::MAX)
                .min(SENDFILE_CHUNK);
            let result = self.conn.stream.try_io(true, |socket| {
                rustix::fs::sendfile(socket, file, Some(&mut offset), count)
                    .map_err(io::Error::from)
            });
            match result {
                Ok(0) => return Err(io::Error::other("file shrank while being sent")),
                Ok(_) => self.progress(),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => self.wait_writable().await?,
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Records write progress: the stalled-write deadline starts over.
    fn progress(&mut self) {
        if let Some(deadline) = self.write_deadline.as_mut() {
            deadline.set(Some(Instant::now() + self.context.config.write_timeout));
        }
    }

    async fn wait_writable(&mut self) -> io::Result<()> {
        let timeout = self.context.config.write_timeout;
        let deadline = self
            .write_deadline
            .get_or_insert_with(|| deadline_at(Instant::now() + timeout));
        let conn = &self.conn;
        poll_fn(|cx| {
            if conn.stream.poll_write_ready(cx).is_ready() {
                return Poll::Ready(Ok(()));
            }
            if deadline.poll(cx).is_ready() {
                return Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "write stalled",
                )));
            }
            Poll::Pending
        })
        .await
    }
}

fn has_token(value: &HeaderValue, token: &str) -> bool {
    value
        .to_str()
        .is_ok_and(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case(token)))
}

fn declared_length(headers: &http::HeaderMap) -> Option<u64> {
    headers
        .get(CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}
