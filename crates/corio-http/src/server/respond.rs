//! The write side of a connection: response heads, bodies (in memory, streamed, files),
//! and flushing with a stalled-write timeout.
//!
//! Framing belongs to the server and is decided here, once, from the body: a body in memory
//! or a file gets `Content-Length`; a stream gets the handler's `Content-Length` if it set one
//! (checked against what the stream yields), else chunked coding (HTTP/1.1) or
//! close-delimiting (HTTP/1.0). `1xx`, `204`, `304` and `2xx`-to-`CONNECT` responses carry no
//! body and no framing fields, and a `HEAD` response carries the framing a `GET` would have,
//! without body. A handler's own `Content-Length` and `Transfer-Encoding` never reach the
//! wire: the server writes its own (see [`Response`]).
//!
//! A file goes out with `sendfile(2)` when the transport is plain TCP
//! ([`Transport::as_tcp`]), else through the output buffer in [`FILE_CHUNK`] pieces.

use std::future::{poll_fn, Future};
use std::io::{self, IoSlice};
use std::os::unix::fs::FileExt;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use corio::time::Deadline;

use http::header::{HeaderValue, CONNECTION, CONTENT_LENGTH, CONTENT_TYPE, TRANSFER_ENCODING};
use http::StatusCode;

use super::buffers;
use super::clock;
use super::config::{DIRECT_WRITE_MIN, WRITE_HIGH_WATER};
use super::conn::deadline_at;
use super::conn::Driver;
use super::handler::Handler;
use super::transport::Transport;
use crate::message::{Response, ResponseBody};
use crate::proto::{
    encode_fields_and_end, encode_status_line, BodyFraming, ChunkedEncoder, Version,
};

/// The most bytes one `sendfile` call is asked for. A call on a non-blocking socket stops
/// when the socket's send buffer is full anyway (a few MiB on loopback), so this only needs
/// to be larger than that buffer to keep the calls per file at the minimum.
const SENDFILE_CHUNK: usize = 16 * 1024 * 1024;

/// The piece a file is read in when it cannot be sent with `sendfile` (a transport that is
/// not plain TCP): large enough that a read and a write move a lot, small enough to stay
/// under [`WRITE_HIGH_WATER`] with the head.
const FILE_CHUNK: usize = 32 * 1024;

/// The part of a response body that cannot be written without waiting.
pub(super) struct RestOfBody {
    body: ResponseBody,
    framing: BodyFraming,
}

impl<H: Handler, T: Transport> Driver<H, T> {
    /// Encodes a response whose body is in memory (or empty), with `Connection: close`.
    pub(super) fn encode_simple(&mut self, response: Response) {
        // Error pages are small: nothing is left to send after the head and body are buffered.
        let _ = self.write_head(response, Version::Http11, false, false, false);
    }

    /// Encodes a response's head, and its body when that is in memory and small, into the
    /// output buffer, without waiting. Returns whether the connection stays open (a
    /// close-delimited body ends it), the body bytes written, and the part of the body still to
    /// send (a large buffer, a file or a stream) for [`Driver::write_rest`].
    ///
    /// Small and inlined into its caller: it only tells the commonest response
    /// ([`Driver::write_ok`]) from the others ([`Driver::write_any_head`], out of line, so
    /// that its registers and stack are not set up for every response).
    #[inline]
    pub(super) fn write_head(
        &mut self,
        response: Response,
        version: Version,
        is_head: bool,
        is_connect: bool,
        keep_alive: bool,
    ) -> (bool, u64, Option<RestOfBody>) {
        let plain = is_plain_ok(
            response.status,
            response.content_type.as_ref(),
            response.headers.as_deref(),
            &response.body,
            version,
            is_connect,
            keep_alive,
        );
        if plain {
            let Response {
                content_type,
                headers,
                body,
                ..
            } = response;
            return (
                true,
                self.write_ok(content_type.as_ref(), headers, body, is_head),
                None,
            );
        }
        self.write_any_head(response, version, is_head, is_connect, keep_alive)
    }

    /// Writes the commonest response, given the parts of a response [`is_plain_ok`] accepted:
    /// the cached head with its `Date` and `Content-Length` in one copy
    /// ([`clock::with_ok_head`]), then the body. Returns the body bytes written. Both places
    /// that answer (the one-call pipelined pass and [`Driver::write_head`]) come here.
    ///
    /// The parts are dropped here, inline: the map is absent and the body is `Bytes` (one
    /// call) or empty, which needs none of the drop glue of `Response` and `ResponseBody`,
    /// which handles every case.
    #[inline(always)]
    pub(super) fn write_ok(
        &mut self,
        content_type: Option<&HeaderValue>,
        headers: Option<Box<http::HeaderMap>>,
        body: ResponseBody,
        is_head: bool,
    ) -> u64 {
        // Checked by `is_plain_ok`: no map to drop, and no call to its drop glue either.
        debug_assert!(headers.is_none());
        std::mem::forget(headers);
        let Some(content_type) = content_type else {
            unreachable!("is_plain_ok checked the content type")
        };
        let bytes = match body {
            ResponseBody::Bytes(bytes) => bytes,
            _ => Bytes::new(),
        };
        let body = if is_head { &[][..] } else { &bytes[..] };
        let mut io = self.io.borrow_mut();
        let out = io.out.get_or_insert_with(buffers::take_out);
        clock::with_ok_head(content_type, bytes.len() as u64, |head| {
            out.extend_from_slice(head);
        });
        out.extend_from_slice(body);
        body.len() as u64
    }

    /// Encodes any response's head (see [`Driver::write_head`]) piece by piece.
    #[inline(never)]
    fn write_any_head(
        &mut self,
        response: Response,
        version: Version,
        is_head: bool,
        is_connect: bool,
        mut keep_alive: bool,
    ) -> (bool, u64, Option<RestOfBody>) {
        let Response {
            status,
            content_type,
            mut headers,
            body,
        } = response;
        // `Connection` is hop-by-hop: the server writes its own, honouring a handler's `close`.
        // The framing fields are the server's too: a handler's `Content-Length` only announces
        // the length of a stream (checked as it is sent), and never reaches the wire itself.
        let mut declared = None;
        if let Some(headers) = headers.as_mut() {
            if headers
                .remove(CONNECTION)
                .is_some_and(|v| has_token(&v, "close"))
            {
                keep_alive = false;
            }
            declared = headers
                .remove(CONTENT_LENGTH)
                .and_then(|v| parse_length(&v));
            headers.remove(TRANSFER_ENCODING);
        }
        // RFC 9112 §6.3: these never have a body; a 2xx to CONNECT would start a tunnel
        // (which this server does not provide: the connection closes after it).
        let bodiless = status.is_informational()
            || status == StatusCode::NO_CONTENT
            || status == StatusCode::NOT_MODIFIED
            || (is_connect && status.is_success());
        let framing = if bodiless {
            BodyFraming::Empty
        } else {
            match &body {
                ResponseBody::Stream(_) => match declared {
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
        let mut io = self.io.borrow_mut();
        let out = io.out.get_or_insert_with(buffers::take_out);
        // Any other head is written piece by piece: status line, the cached `Server` and `Date`
        // lines, the content type and connection lines, then the handler's fields (most
        // responses have none, and then no `HeaderMap` is touched).
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
                self.write_after_out(&bytes).await?;
                Ok(bytes.len() as u64)
            }
            ResponseBody::File {
                file, offset, len, ..
            } => {
                self.flush().await?;
                let sendfile = self.io.borrow().transport.as_tcp().is_some();
                if sendfile {
                    self.send_file(&file, offset, len).await?;
                } else {
                    self.copy_file(&file, offset, len).await?;
                }
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
            let full = {
                let mut io = self.io.borrow_mut();
                let out = io.out.get_or_insert_with(buffers::take_out);
                if framing == BodyFraming::Chunked {
                    ChunkedEncoder::chunk(out, &chunk);
                } else {
                    out.extend_from_slice(&chunk);
                }
                out.len() >= WRITE_HIGH_WATER
            };
            if full {
                self.flush().await?;
            }
        }
        if limit.is_some_and(|limit| sent != limit) {
            return Err(io::Error::other(
                "response body shorter than its Content-Length",
            ));
        }
        if framing == BodyFraming::Chunked {
            let mut io = self.io.borrow_mut();
            ChunkedEncoder::finish(io.out.get_or_insert_with(buffers::take_out), None);
        }
        Ok(sent)
    }

    /// Writes every buffered byte, then returns the buffer to the pool.
    ///
    /// Not an `async fn`: the returned future is a `poll_fn`, which the caller's state
    /// machine polls inline (an `async fn` adds a call and a state of its own on every
    /// request). Its preparation runs when it is called, so it is awaited at once.
    pub(super) fn flush(&mut self) -> impl Future<Output = io::Result<()>> + '_ {
        let pending = self.io.borrow().out.is_some();
        if pending {
            self.restart_stall();
        }
        poll_fn(move |cx| {
            if !pending {
                return Poll::Ready(Ok(()));
            }
            self.poll_flush(cx)
        })
    }

    /// Polls the writing of the buffered output, under the stalled-write timeout (which the
    /// caller restarted, see [`Driver::restart_stall`], when the write began).
    pub(super) fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let timeout = self.context.config.write_timeout;
        let mut conn = self.io.borrow_mut();
        let before = conn.out.as_ref().map_or(0, |out| out.len());
        let poll = conn.poll_write_out(cx);
        if poll.is_pending() {
            let after = conn.out.as_ref().map_or(0, |out| out.len());
            poll_stall(&mut self.write_deadline, cx, timeout, after != before)?;
        }
        poll
    }

    /// Writes the buffered output, then `data`: one `writev` while both are pending.
    async fn write_after_out(&mut self, data: &[u8]) -> io::Result<()> {
        self.restart_stall();
        let (conn, timeout) = (&self.io, self.context.config.write_timeout);
        let stall = &mut self.write_deadline;
        let mut written = 0;
        poll_fn(|cx| loop {
            let mut conn = conn.borrow_mut();
            let conn = &mut *conn;
            let rest = &data[written..];
            let pending = conn.out.as_ref().map_or(0, |out| out.len());
            if pending == 0 && rest.is_empty() {
                if let Some(out) = conn.out.take() {
                    buffers::release_out(out);
                }
                return conn.transport.poll_flush(cx);
            }
            let poll = match conn.out.as_ref().filter(|out| !out.is_empty()) {
                Some(out) => conn
                    .transport
                    .poll_write_vectored(cx, &[IoSlice::new(out), IoSlice::new(rest)]),
                None => conn.transport.poll_write(cx, rest),
            };
            match poll {
                Poll::Ready(Ok(0)) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                Poll::Ready(Ok(n)) => {
                    let from_out = n.min(pending);
                    if let Some(out) = conn.out.as_mut() {
                        bytes::Buf::advance(out, from_out);
                    }
                    written += n - from_out;
                    poll_stall(stall, cx, timeout, true)?;
                }
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => {
                    poll_stall(stall, cx, timeout, false)?;
                    return Poll::Pending;
                }
            }
        })
        .await
    }

    /// A new write starts the stalled-write timeout over, if an earlier write made one.
    pub(super) fn restart_stall(&mut self) {
        if let Some(deadline) = self.write_deadline.as_mut() {
            deadline.set(Some(Instant::now() + self.context.config.write_timeout));
        }
    }

    /// Sends a byte range of a file with `sendfile(2)` (the transport is plain TCP).
    async fn send_file(
        &mut self,
        file: &std::fs::File,
        mut offset: u64,
        len: u64,
    ) -> io::Result<()> {
        let end = offset + len;
        self.restart_stall();
        let (conn, timeout) = (&self.io, self.context.config.write_timeout);
        let stall = &mut self.write_deadline;
        poll_fn(|cx| {
            let conn = conn.borrow();
            let Some(tcp) = conn.transport.as_tcp() else {
                return Poll::Ready(Err(io::Error::other("sendfile needs a TCP transport")));
            };
            while offset < end {
                let count = usize::try_from(end - offset)
                    .unwrap_or(usize::MAX)
                    .min(SENDFILE_CHUNK);
                let result = tcp.poll_io(cx, true, |socket| {
                    rustix::fs::sendfile(socket, file, Some(&mut offset), count)
                        .map_err(io::Error::from)
                });
                match result {
                    Poll::Ready(Ok(0)) => {
                        return Poll::Ready(Err(io::Error::other("file shrank while being sent")))
                    }
                    Poll::Ready(Ok(_)) => poll_stall(stall, cx, timeout, true)?,
                    Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                    Poll::Pending => {
                        poll_stall(stall, cx, timeout, false)?;
                        return Poll::Pending;
                    }
                }
            }
            Poll::Ready(Ok(()))
        })
        .await
    }

    /// Sends a byte range of a file through the output buffer, for a transport that is not
    /// plain TCP (TLS encrypts what it writes: no `sendfile`).
    async fn copy_file(
        &mut self,
        file: &std::fs::File,
        mut offset: u64,
        len: u64,
    ) -> io::Result<()> {
        let end = offset + len;
        while offset < end {
            let read = {
                let mut conn = self.io.borrow_mut();
                let out = conn.out.get_or_insert_with(buffers::take_out);
                let want = usize::try_from(end - offset)
                    .unwrap_or(usize::MAX)
                    .min(FILE_CHUNK);
                let start = out.len();
                out.resize(start + want, 0);
                let read = file.read_at(&mut out[start..], offset);
                out.truncate(start + *read.as_ref().unwrap_or(&0));
                read
            };
            match read? {
                0 => return Err(io::Error::other("file shrank while being sent")),
                n => offset += n as u64,
            }
            self.flush().await?;
        }
        Ok(())
    }
}

/// Whether a response is the commonest one, written by [`Driver::write_ok`]: HTTP/1.1
/// `200 OK` kept alive (not to CONNECT, where it would have no body), with a content type,
/// no field of its own and a small body in memory. Decided before the general rules, which
/// would only confirm its `Content-Length` framing.
#[inline(always)]
pub(super) fn is_plain_ok(
    status: StatusCode,
    content_type: Option<&HeaderValue>,
    headers: Option<&http::HeaderMap>,
    body: &ResponseBody,
    version: Version,
    is_connect: bool,
    keep_alive: bool,
) -> bool {
    let small = match body {
        ResponseBody::Empty => true,
        ResponseBody::Bytes(bytes) => bytes.len() < DIRECT_WRITE_MIN,
        _ => false,
    };
    small
        && status == StatusCode::OK
        && !is_connect
        && keep_alive
        && version == Version::Http11
        && headers.is_none()
        && content_type.is_some()
}

/// The stalled-write timeout, in a write's poll: `progress` (bytes moved) starts it over; a
/// write that waits starts it if it is not running, and fails with `TimedOut` once it passed.
fn poll_stall(
    stall: &mut Option<Box<Deadline>>,
    cx: &mut Context<'_>,
    timeout: Duration,
    progress: bool,
) -> io::Result<()> {
    match stall {
        None if progress => return Ok(()),
        None => *stall = Some(Box::new(deadline_at(Instant::now() + timeout))),
        Some(deadline) if progress => deadline.set(Some(Instant::now() + timeout)),
        Some(_) => {}
    }
    // Polled every time, so that a waiting write also wakes up when the timeout passes.
    if stall
        .as_mut()
        .is_some_and(|deadline| deadline.poll(cx).is_ready())
    {
        return Err(io::Error::new(io::ErrorKind::TimedOut, "write stalled"));
    }
    Ok(())
}

fn has_token(value: &HeaderValue, token: &str) -> bool {
    value
        .to_str()
        .is_ok_and(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case(token)))
}

fn parse_length(value: &HeaderValue) -> Option<u64> {
    value.to_str().ok()?.trim().parse().ok()
}
