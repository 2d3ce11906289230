//! [`Stream`]: a client connection's byte stream, cleartext TCP or TLS over TCP.
//!
//! An enum rather than a generic parameter: the pool holds connections of both schemes in one
//! list, and the TLS arm is boxed so a cleartext connection stays small.
//!
//! Invariants:
//! - a TLS write returns once rustls has sealed every byte and flushed its records to the
//!   socket, so a request is on the wire when [`Stream::write_all`] returns;
//! - a TLS read that ends without the server's `close_notify` is an
//!   [`io::ErrorKind::UnexpectedEof`] error (rustls reports it), never a clean end: a
//!   truncation attack cannot pass a cut close-delimited body off as complete;
//! - dropping a TLS stream sends `close_notify` if the socket takes it at once (best effort:
//!   a drop cannot wait).

use std::future::poll_fn;
use std::io::{self, IoSlice, Write};
use std::pin::Pin;
use std::task::{Context, Poll};

use corio::net::TcpStream;
use futures_io::{AsyncRead, AsyncWrite};
use futures_rustls::client::TlsStream;

/// A connection's stream.
pub(crate) enum Stream {
    /// `http://`.
    Plain(TcpStream),
    /// `https://`.
    Tls(Box<TlsStream<TcpStream>>),
}

impl std::fmt::Debug for Stream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Stream::Plain(_) => f.write_str("Stream::Plain"),
            Stream::Tls(tls) => f
                .debug_struct("Stream::Tls")
                .field("handshake", &tls.get_ref().1.handshake_kind())
                .finish(),
        }
    }
}

impl Stream {
    /// Whether this is a TLS stream.
    pub(crate) fn is_tls(&self) -> bool {
        matches!(self, Stream::Tls(_))
    }

    /// Whether TLS negotiated HTTP/2 by ALPN.
    pub(crate) fn alpn_is_h2(&self) -> bool {
        match self {
            Stream::Plain(_) => false,
            Stream::Tls(tls) => tls.get_ref().1.alpn_protocol() == Some(super::http2::ALPN_H2),
        }
    }

    /// Reads some bytes; `Ok(0)` is the end of the stream.
    pub(crate) async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(tcp) => tcp.read(buf).await,
            Stream::Tls(tls) => poll_fn(|cx| Pin::new(&mut **tls).poll_read(cx, buf)).await,
        }
    }

    /// Writes all of `buf`.
    pub(crate) async fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match self {
            Stream::Plain(tcp) => tcp.write_all(buf).await,
            Stream::Tls(tls) => {
                tls_write_all(tls, buf).await?;
                poll_fn(|cx| Pin::new(&mut **tls).poll_flush(cx)).await
            }
        }
    }

    /// Writes all of `head` then all of `body`: one vectored write at a time in cleartext,
    /// both sealed into records and flushed together over TLS.
    pub(crate) async fn write_all_pair(&mut self, head: &[u8], body: &[u8]) -> io::Result<()> {
        match self {
            Stream::Plain(tcp) => {
                let (mut head, mut body) = (head, body);
                while !head.is_empty() {
                    let n = tcp
                        .write_vectored(&[IoSlice::new(head), IoSlice::new(body)])
                        .await?;
                    if n == 0 {
                        return Err(io::ErrorKind::WriteZero.into());
                    }
                    let from_head = n.min(head.len());
                    head = &head[from_head..];
                    body = &body[n - from_head..];
                }
                tcp.write_all(body).await
            }
            Stream::Tls(tls) => {
                tls_write_all(tls, head).await?;
                tls_write_all(tls, body).await?;
                poll_fn(|cx| Pin::new(&mut **tls).poll_flush(cx)).await
            }
        }
    }
}

/// The `futures-io` traits, for h2 (through [`crate::compat::TokioIo`]).
impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(tcp) => Pin::new(tcp).poll_read(cx, buf),
            Stream::Tls(tls) => Pin::new(&mut **tls).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(tcp) => Pin::new(tcp).poll_write(cx, buf),
            Stream::Tls(tls) => Pin::new(&mut **tls).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(tcp) => Pin::new(tcp).poll_write_vectored(cx, bufs),
            Stream::Tls(tls) => Pin::new(&mut **tls).poll_write_vectored(cx, bufs),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(tcp) => Pin::new(tcp).poll_flush(cx),
            Stream::Tls(tls) => Pin::new(&mut **tls).poll_flush(cx),
        }
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(tcp) => Pin::new(tcp).poll_close(cx),
            Stream::Tls(tls) => Pin::new(&mut **tls).poll_close(cx),
        }
    }
}

async fn tls_write_all(tls: &mut TlsStream<TcpStream>, mut buf: &[u8]) -> io::Result<()> {
    while !buf.is_empty() {
        let n = poll_fn(|cx| Pin::new(&mut *tls).poll_write(cx, buf)).await?;
        if n == 0 {
            return Err(io::ErrorKind::WriteZero.into());
        }
        buf = &buf[n..];
    }
    Ok(())
}

impl Drop for Stream {
    fn drop(&mut self) {
        if let Stream::Tls(tls) = self {
            let (tcp, conn) = tls.get_mut();
            conn.send_close_notify();
            // Best effort: whatever the socket does not take now is dropped with it.
            let _ = conn.write_tls(&mut NonBlocking(tcp));
        }
    }
}

/// `std::io::Write` over a corio socket's non-blocking `try_write`.
struct NonBlocking<'a>(&'a TcpStream);

impl Write for NonBlocking<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.try_write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
