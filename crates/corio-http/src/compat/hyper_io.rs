//! [`HyperIo`]: a `futures-io` stream seen through hyper 1.x's `rt::Read`/`rt::Write`.
//!
//! hyper reads into a buffer that may be uninitialized, and its cursor can be advanced only
//! with `unsafe` code or by copying a slice in (`put_slice`). corio forbids `unsafe`, so a
//! read goes through a per-thread scratch buffer (`read.rs`): one `memcpy` of what the
//! socket returned, no per-connection memory.

use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_io::{AsyncRead, AsyncWrite};

use super::read::poll_read_into;

/// Wraps a `futures-io` stream (a corio `TcpStream`, a TLS stream...) so that hyper can serve
/// or call over it. See the module docs for how reads are copied.
///
/// ```
/// use corio_http::compat::HyperIo;
/// fn assert_hyper_io<T: hyper::rt::Read + hyper::rt::Write + Unpin>(_: &T) {}
/// corio::block_on(async {
///     let listener = corio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
///     let stream = corio::net::TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
///     assert_hyper_io(&HyperIo::new(stream));
/// });
/// ```
#[derive(Debug)]
pub struct HyperIo<T> {
    inner: T,
}

impl<T> HyperIo<T> {
    /// Wraps `inner`.
    pub fn new(inner: T) -> HyperIo<T> {
        HyperIo { inner }
    }

    /// The wrapped stream.
    pub fn get_ref(&self) -> &T {
        &self.inner
    }

    /// Unwraps the stream.
    pub fn into_inner(self) -> T {
        self.inner
    }
}

impl<T: AsyncRead + Unpin> hyper::rt::Read for HyperIo<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        mut buf: hyper::rt::ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        poll_read_into(Pin::new(&mut self.inner), cx, &mut buf).map_ok(|_| ())
    }
}

impl<T: AsyncWrite + Unpin> hyper::rt::Write for HyperIo<T> {
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
