//! [`ClientBody`]: a response body read incrementally from its connection.
//!
//! Invariants:
//! - the body is framed exactly as proto says (`Content-Length`, chunked with trailers, or
//!   until close); not a byte past its end is consumed;
//! - the connection goes back to the pool only when the body was read to its end, the
//!   response and request allowed reuse, the body was not close-delimited, and no unread
//!   byte follows the body (extra bytes would desynchronise the next response); in every
//!   other case (error, early drop) the connection is closed;
//! - after an error the body is finished: further reads return `None`;
//! - an HTTP/2 body ([`ClientBody::http2`]) is a stream of its origin's shared connection: each
//!   piece read gives its bytes back to the server's window; dropping the body early
//!   resets the stream (`CANCEL`), never the connection.

use std::ops::Range;
use std::time::Duration;

use bytes::Bytes;
use h2::RecvStream;
use http::HeaderMap;
use url::Url;

use super::conn::Fill;
use super::error::{Error, ErrorKind, TimeoutKind};
use super::http2::h2_error;
use super::pool::Lease;
use crate::proto::{ChunkedDecoder, ProtoError};

/// Where the reader is in the body.
#[derive(Debug)]
pub(crate) enum BodyState {
    /// This many bytes remain.
    Length(u64),
    /// A chunked body.
    Chunked(Box<ChunkedDecoder>),
    /// Everything until the server closes the connection.
    UntilClose,
    /// The body is complete; the connection can be released.
    Done,
    /// Failed or given up: the connection is closed.
    Closed,
}

/// A response body, read with [`ClientBody::chunk`] (or all at once with
/// [`StreamingResponse::bytes`](super::StreamingResponse::bytes)).
///
/// Dropping a body before its end closes the connection rather than returning it to the pool.
pub struct ClientBody {
    lease: Option<Lease>,
    /// The stream of an HTTP/2 response (`lease` is `None` then).
    http2: Option<RecvStream>,
    state: BodyState,
    reusable: bool,
    read_timeout: Option<Duration>,
    url: Url,
    /// Largest accepted body, for buffered responses.
    limit: Option<u64>,
    received: u64,
    /// Boxed: rare, and the body moves with every response.
    trailers: Option<Box<HeaderMap>>,
}

impl std::fmt::Debug for ClientBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientBody")
            .field("state", &self.state)
            .field("received", &self.received)
            .field("url", &self.url.as_str())
            .finish()
    }
}

impl ClientBody {
    pub(crate) fn new(
        lease: Lease,
        state: BodyState,
        reusable: bool,
        read_timeout: Option<Duration>,
        url: Url,
        limit: Option<u64>,
    ) -> ClientBody {
        ClientBody {
            lease: Some(lease),
            http2: None,
            state,
            reusable,
            read_timeout,
            url,
            limit,
            received: 0,
            trailers: None,
        }
    }

    /// The body of an HTTP/2 response, arriving on `recv`.
    pub(crate) fn http2(
        recv: RecvStream,
        read_timeout: Option<Duration>,
        url: Url,
        limit: Option<u64>,
    ) -> ClientBody {
        ClientBody {
            lease: None,
            http2: Some(recv),
            state: BodyState::Done,
            reusable: false,
            read_timeout,
            url,
            limit,
            received: 0,
            trailers: None,
        }
    }

    /// The URL this body comes from.
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// Body bytes received so far.
    pub fn received(&self) -> u64 {
        self.received
    }

    /// The trailer fields of a chunked body, once it has been read to its end.
    pub fn trailers(&self) -> Option<&HeaderMap> {
        self.trailers.as_deref()
    }

    /// The next piece of the body, `None` at its end (or after an error).
    pub async fn chunk(&mut self) -> Option<Result<Bytes, Error>> {
        if self.http2.is_some() {
            return self.next_http2().await.transpose();
        }
        match self.next_range().await {
            Ok(Some(range)) => Some(Ok(Bytes::copy_from_slice(self.data(range)))),
            Ok(None) => None,
            Err(e) => Some(Err(e)),
        }
    }

    /// Reads the rest of the body and throws it away; returns the number of bytes skipped.
    /// Copies nothing: this is the cheap way to finish a body and keep the connection.
    pub async fn discard(&mut self) -> Result<u64, Error> {
        let mut n = 0;
        if self.http2.is_some() {
            while let Some(piece) = self.next_http2().await? {
                n += piece.len() as u64;
            }
            return Ok(n);
        }
        while let Some(range) = self.next_range().await? {
            n += range.len() as u64;
            if matches!(self.state, BodyState::Done) {
                // That was the last piece: release the connection now rather than after one
                // more read that can only find the end.
                self.finish();
                break;
            }
        }
        Ok(n)
    }

    /// Appends the rest of the body to `out`.
    pub async fn read_to_end(&mut self, out: &mut Vec<u8>) -> Result<(), Error> {
        if self.http2.is_some() {
            while let Some(piece) = self.next_http2().await? {
                out.extend_from_slice(&piece);
            }
            return Ok(());
        }
        if let BodyState::Length(n) = self.state {
            out.reserve(usize::try_from(n).unwrap_or(0));
        }
        while let Some(range) = self.next_range().await? {
            let data = self.data(range);
            out.extend_from_slice(data);
        }
        Ok(())
    }

    /// Reads the rest of the body if it is at most `max` bytes (for skipping a redirect's
    /// body while keeping the connection); otherwise leaves it for drop to close.
    pub(crate) async fn drain_if_small(&mut self, max: u64) {
        if self.http2.is_some() {
            // Dropping the stream resets it and keeps the connection: nothing to drain.
            return;
        }
        let small = match &self.state {
            BodyState::Length(n) => *n <= max,
            BodyState::Chunked(_) => true,
            BodyState::UntilClose | BodyState::Closed => false,
            BodyState::Done => true,
        };
        if small {
            let saved = self.limit.replace(self.received + max);
            let _ = self.discard().await;
            self.limit = saved;
        }
    }

    /// The next piece of an HTTP/2 body; its window goes back to the server. At the end the
    /// trailers (if any) are read; after an error the stream is dropped (reset).
    async fn next_http2(&mut self) -> Result<Option<Bytes>, Error> {
        let Some(recv) = self.http2.as_mut() else {
            return Ok(None);
        };
        let next = match self.read_timeout {
            Some(t) => corio::time::timeout(t, recv.data())
                .await
                .map_err(|_| Error::new(ErrorKind::Timeout(TimeoutKind::Read), self.url.as_str())),
            None => Ok(recv.data().await),
        };
        let result = match next {
            Ok(Some(Ok(piece))) => {
                let _ = recv.flow_control().release_capacity(piece.len());
                self.received += piece.len() as u64;
                if self.limit.is_some_and(|l| self.received > l) {
                    Err(Error::new(ErrorKind::BodyTooLarge, self.url.as_str()))
                } else {
                    return Ok(Some(piece));
                }
            }
            Ok(Some(Err(e))) => Err(h2_error(&self.url, e)),
            Ok(None) => match recv.trailers().await {
                Ok(trailers) => {
                    self.trailers = trailers.map(Box::new);
                    Ok(None)
                }
                Err(e) => Err(h2_error(&self.url, e)),
            },
            Err(e) => Err(e),
        };
        self.http2 = None;
        result
    }

    fn data(&self, range: Range<usize>) -> &[u8] {
        match self.lease.as_ref().and_then(|l| l.conn.as_ref()) {
            Some(conn) => conn.slice(range),
            None => &[],
        }
    }

    /// Advances to the next data range in the connection's buffer (valid until the next
    /// call), releasing or closing the connection at the end.
    async fn next_range(&mut self) -> Result<Option<Range<usize>>, Error> {
        let result = self.advance().await;
        match &result {
            Err(_) => self.close(),
            Ok(None) => self.finish(),
            Ok(Some(range)) => {
                self.received += range.len() as u64;
                if self.limit.is_some_and(|l| self.received > l) {
                    self.close();
                    return Err(Error::new(ErrorKind::BodyTooLarge, self.url.as_str()));
                }
            }
        }
        result
    }

    async fn advance(&mut self) -> Result<Option<Range<usize>>, Error> {
        // Set when the decoder used nothing of what is buffered: it needs more bytes.
        let mut starved = false;
        loop {
            let Some(conn) = self.lease.as_mut().and_then(|l| l.conn.as_mut()) else {
                return Ok(None);
            };
            let avail = conn.unread().len();
            let needs_data = !matches!(self.state, BodyState::Done | BodyState::Closed);
            if (avail == 0 || starved) && needs_data {
                starved = false;
                match conn.fill(self.read_timeout, self.url.as_str()).await? {
                    Fill::Data => continue,
                    Fill::Eof if matches!(self.state, BodyState::UntilClose) => {
                        self.reusable = false;
                        self.state = BodyState::Done;
                        return Ok(None);
                    }
                    Fill::Eof => {
                        return Err(Error::new(
                            ErrorKind::Io(std::io::ErrorKind::UnexpectedEof),
                            self.url.as_str(),
                        )
                        .with_source("connection closed before the end of the body"))
                    }
                }
            }
            match &mut self.state {
                BodyState::Done | BodyState::Closed => return Ok(None),
                BodyState::Length(remaining) => {
                    let n = (*remaining).min(avail as u64) as usize;
                    *remaining -= n as u64;
                    if *remaining == 0 {
                        self.state = BodyState::Done;
                    }
                    return Ok(Some(conn.consume(n)));
                }
                BodyState::UntilClose => return Ok(Some(conn.consume(avail))),
                BodyState::Chunked(decoder) => {
                    let out = decoder
                        .decode(conn.unread())
                        .map_err(|e| Error::proto(self.url.as_str(), e))?;
                    starved = out.consumed == 0 && !out.done;
                    let base = conn.consume(out.consumed).start;
                    if out.done {
                        self.trailers = decoder.take_trailers().map(Box::new);
                        self.state = BodyState::Done;
                    }
                    if !out.data.is_empty() {
                        return Ok(Some(base + out.data.start..base + out.data.end));
                    }
                }
            }
        }
    }

    /// At the end: back to the pool if allowed, else close.
    fn finish(&mut self) {
        if !matches!(self.state, BodyState::Done) {
            return;
        }
        if let Some(mut lease) = self.lease.take() {
            let clean = lease.conn.as_ref().is_some_and(|c| c.unread().is_empty());
            if self.reusable && clean {
                if let Some(conn) = lease.conn.as_mut() {
                    conn.responses += 1;
                }
                lease.release();
            }
        }
    }

    fn close(&mut self) {
        self.state = BodyState::Closed;
        self.lease = None;
    }
}

impl Drop for ClientBody {
    fn drop(&mut self) {
        // A body read to its last byte but not polled once more still frees its connection.
        self.finish();
    }
}

/// Maps proto's body-size error for a known `Content-Length` over the limit.
pub(crate) fn too_large(url: &Url) -> Error {
    Error::proto(url.as_str(), ProtoError::BodyTooLarge)
}
