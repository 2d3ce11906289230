//! [`Transport`]: the byte stream a connection is served over.
//!
//! The connection driver and the request body reach the socket only through this trait, so
//! the same driver serves any byte stream: plain TCP today, TLS
//! (`futures_rustls::server::TlsStream<TcpStream>`, whose `futures-io` `AsyncRead` and
//! `AsyncWrite` map one to one onto these methods) later. The driver is generic over it:
//! every call is monomorphised, the plaintext path pays no dynamic dispatch.
//!
//! The methods are `futures-io`'s, on `&mut self` (a transport is `Unpin`) so that a TLS
//! session, which mutates its state on every read and write, fits. One thing is extra:
//! [`Transport::as_tcp`], the raw socket behind the stream when bytes written to it reach the
//! peer unchanged, so that files go out with `sendfile(2)`. An encrypting transport returns
//! `None` and file bodies are streamed through a buffer instead.

use std::io::{self, IoSlice};
use std::net::SocketAddr;
use std::task::{Context, Poll};

use corio::net::TcpStream;

/// A byte stream between the server and one client. See the module docs.
pub trait Transport: Unpin + 'static {
    /// Reads into `buf`: `Ready(Ok(0))` is the end of the stream.
    fn poll_read(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>>;

    /// Writes from `buf`, returning how much was taken.
    fn poll_write(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>>;

    /// Writes from several buffers in order (one `writev` where the transport can).
    fn poll_write_vectored(
        &mut self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>>;

    /// Pushes out anything the transport itself buffers (a TLS record).
    fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>>;

    /// Ends the write side (a TLS `close_notify`, then the TCP FIN).
    fn poll_close(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>>;

    /// The client's address.
    fn peer_addr(&self) -> io::Result<SocketAddr>;

    /// The TCP socket that carries the bytes unchanged, for `sendfile(2)`; `None` for a
    /// transport that transforms them (TLS).
    fn as_tcp(&self) -> Option<&TcpStream>;
}

impl Transport for TcpStream {
    #[inline]
    fn poll_read(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        self.poll_read_buf(cx, buf)
    }

    #[inline]
    fn poll_write(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.poll_write_buf(cx, buf)
    }

    #[inline]
    fn poll_write_vectored(
        &mut self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.poll_write_bufs(cx, bufs)
    }

    #[inline]
    fn poll_flush(&mut self, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // A TCP socket buffers nothing in user space; `TCP_NODELAY` is set.
        Poll::Ready(Ok(()))
    }

    #[inline]
    fn poll_close(&mut self, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // Dropping the socket closes it, which sends the FIN: no syscall needed here.
        Poll::Ready(Ok(()))
    }

    fn peer_addr(&self) -> io::Result<SocketAddr> {
        TcpStream::peer_addr(self)
    }

    #[inline]
    fn as_tcp(&self) -> Option<&TcpStream> {
        Some(self)
    }
}
