//! [`TokioIo`]: a `futures-io` stream seen through tokio's `AsyncRead`/`AsyncWrite`.
//!
//! tokio-util's `compat` module does the same, but its writer does not forward vectored
//! writes, and h2 chains every DATA payload over 256 bytes behind its 9-byte frame head
//! (one `writev` with vectored I/O, two `write`s without). The glue is a few delegating
//! lines, so corio keeps its own (see ARCHITECTURE.md). Reads copy through a per-thread
//! scratch buffer (`read.rs`: zeroing tokio's uninitialized buffer instead cost more).

use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_io::{AsyncRead, AsyncWrite};

use super::read::poll_read_into;

/// Wraps a `futures-io` stream (a corio `TcpStream`, a TLS stream...) so that it implements
/// `tokio::io::AsyncRead` and `AsyncWrite`, as the `h2` crate requires.
///
/// ```
/// use corio_http::compat::TokioIo;
/// fn assert_tokio_io<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin>(_: &T) {}
/// corio::block_on(async {
///     let listener = corio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
///     let stream = corio::net::TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
///     assert_tokio_io(&TokioIo::new(stream));
/// });
/// ```
#[derive(Debug)]
pub struct TokioIo<T> {
    inner: T,
}

impl<T> TokioIo<T> {
    /// Wraps `inner`.
    pub fn new(inner: T) -> TokioIo<T> {
        TokioIo { inner }
    }

    /// The wrapped stream.
    pub fn get_ref(&self) -> &T {
        &self.inner
    }

    /// The wrapped stream, mutable.
    pub fn get_mut(&mut self) -> &mut T {
        &mut self.inner
    }

    /// Unwraps the stream.
    pub fn into_inner(self) -> T {
        self.inner
    }
}

impl<T: AsyncRead + Unpin> tokio::io::AsyncRead for TokioIo<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        poll_read_into(Pin::new(&mut self.inner), cx, buf).map_ok(|_| ())
    }
}

impl<T: AsyncWrite + Unpin> tokio::io::AsyncWrite for TokioIo<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_close(cx)
    }
}
