//! [`Watched`]: the connection's socket, noting whether bytes arrived and since when a
//! write has been blocked, for the keep-alive ping and the send timeout, and counting the
//! client's HEADERS frames, for the driver to know when no new stream can be waiting.
//!
//! h2 owns the socket once the handshake starts and says nothing about its progress; the
//! connection driver learns it from this wrapper, at the cost of a clock read per blocked
//! write and a look at the frame heads read. A read only raises a flag: h2 reads the socket
//! only while the driver polls it, and the driver, which reads the clock once per pass
//! anyway, takes that time as the read's (see `connection.rs`).

use std::cell::Cell;
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Instant;

use futures_io::{AsyncRead, AsyncWrite};

use super::frames::HeadersCount;

/// What the driver reads: shared between the wrapper (inside h2) and the driver.
#[derive(Debug)]
pub(super) struct Activity {
    /// Bytes arrived since the driver last asked ([`Activity::take_read`]).
    read: Cell<bool>,
    write_blocked_since: Cell<Option<Instant>>,
    frames: Cell<HeadersCount>,
}

impl Activity {
    pub(super) fn new() -> Rc<Activity> {
        Rc::new(Activity {
            read: Cell::new(false),
            write_blocked_since: Cell::new(None),
            frames: Cell::new(HeadersCount::new()),
        })
    }

    /// Whether bytes arrived from the client since the last call.
    pub(super) fn take_read(&self) -> bool {
        self.read.replace(false)
    }

    /// Since when the socket has refused to take bytes (`None`: it is taking them).
    pub(super) fn write_blocked_since(&self) -> Option<Instant> {
        self.write_blocked_since.get()
    }

    /// How many HEADERS frames the client has sent so far (see `frames.rs`).
    pub(super) fn headers_received(&self) -> u64 {
        self.frames.get().headers()
    }

    fn note_read(&self, bytes: &[u8]) {
        self.read.set(true);
        let mut frames = self.frames.get();
        frames.feed(bytes);
        self.frames.set(frames);
    }

    fn note_write<T>(&self, result: &Poll<io::Result<T>>) {
        match result {
            Poll::Pending => {
                if self.write_blocked_since.get().is_none() {
                    self.write_blocked_since.set(Some(Instant::now()));
                }
            }
            Poll::Ready(_) => self.write_blocked_since.set(None),
        }
    }
}

/// A socket reporting to an [`Activity`].
#[derive(Debug)]
pub(super) struct Watched<T> {
    inner: T,
    activity: Rc<Activity>,
}

impl<T> Watched<T> {
    pub(super) fn new(inner: T, activity: Rc<Activity>) -> Watched<T> {
        Watched { inner, activity }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Watched<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let result = Pin::new(&mut self.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(n)) = result {
            if n > 0 {
                self.activity.note_read(&buf[..n]);
            }
        }
        result
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Watched<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let result = Pin::new(&mut self.inner).poll_write(cx, buf);
        self.activity.note_write(&result);
        result
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let result = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        self.activity.note_write(&result);
        result
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let result = Pin::new(&mut self.inner).poll_flush(cx);
        self.activity.note_write(&result);
        result
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_close(cx)
    }
}
