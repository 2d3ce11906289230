//! [`TcpStream::split`] and [`TcpStream::into_split`]: a read half and a write half that can be
//! used at the same time, as tokio's are.
//!
//! A stream's reads and writes wait on separate readiness (one waiter list per direction, and
//! every waiter of a direction is woken by its event), and every operation takes `&TcpStream`:
//! so a half is only a view of the stream that exposes one direction. The borrowed halves
//! ([`ReadHalf`], [`WriteHalf`]) hold `&TcpStream`, for `join!`/`select!` inside one task; the
//! owned halves ([`OwnedReadHalf`], [`OwnedWriteHalf`]) share an `Arc<TcpStream>`, are `Send`,
//! and go to two tasks (on one loop or two). [`OwnedReadHalf::reunite`] puts them back together.
//!
//! As in tokio, dropping an [`OwnedWriteHalf`] shuts down the write direction (the peer reads
//! end of stream) unless [`OwnedWriteHalf::forget`] was called; the borrowed [`WriteHalf`]
//! shuts down only when asked. Cancel safety is the stream's: `read`, `write`, `readable`,
//! `writable` are cancel-safe, `read_exact` and `write_all` are not.

use std::future::poll_fn;
use std::io::{self, IoSlice};
use std::net::{Shutdown, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use super::stream_io;
use super::tcp::TcpStream;

/// The read half of a [`TcpStream`], borrowed: see [`TcpStream::split`].
#[derive(Debug)]
pub struct ReadHalf<'a>(&'a TcpStream);

/// The write half of a [`TcpStream`], borrowed: see [`TcpStream::split`].
#[derive(Debug)]
pub struct WriteHalf<'a>(&'a TcpStream);

/// The read half of a [`TcpStream`], owned: see [`TcpStream::into_split`].
#[derive(Debug)]
pub struct OwnedReadHalf {
    stream: Arc<TcpStream>,
}

/// The write half of a [`TcpStream`], owned: see [`TcpStream::into_split`]. Dropping it shuts
/// down the write direction, unless [`OwnedWriteHalf::forget`] was called.
#[derive(Debug)]
pub struct OwnedWriteHalf {
    stream: Arc<TcpStream>,
    shutdown_on_drop: bool,
}

/// The error of [`OwnedReadHalf::reunite`]: the two halves came from different streams. Both
/// are given back.
#[derive(Debug)]
pub struct ReuniteError(pub OwnedReadHalf, pub OwnedWriteHalf);

impl std::fmt::Display for ReuniteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("tried to reunite halves that are not from the same socket")
    }
}

impl std::error::Error for ReuniteError {}

impl TcpStream {
    /// Splits the stream into a read half and a write half borrowed from it, to read and
    /// write at once within one task (`join!`, `select!`).
    ///
    /// ```
    /// use corio::net::{TcpListener, TcpStream};
    /// corio::block_on(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    ///     let addr = listener.local_addr().unwrap();
    ///     let peer = corio::spawn(async move {
    ///         let (mut conn, _) = listener.accept().await.unwrap();
    ///         let (mut rd, mut wr) = conn.split();
    ///         let mut buf = [0; 4];
    ///         rd.read_exact(&mut buf).await.unwrap();
    ///         wr.write_all(&buf).await.unwrap();
    ///     });
    ///     let mut stream = TcpStream::connect(addr).await.unwrap();
    ///     stream.write_all(b"ping").await.unwrap();
    ///     let mut buf = [0; 4];
    ///     stream.read_exact(&mut buf).await.unwrap();
    ///     assert_eq!(&buf, b"ping");
    ///     peer.await.unwrap();
    /// });
    /// ```
    pub fn split(&mut self) -> (ReadHalf<'_>, WriteHalf<'_>) {
        (ReadHalf(self), WriteHalf(self))
    }

    /// Splits the stream into owned halves, which can move to two tasks.
    /// [`OwnedReadHalf::reunite`] gives the stream back.
    pub fn into_split(self) -> (OwnedReadHalf, OwnedWriteHalf) {
        let stream = Arc::new(self);
        (
            OwnedReadHalf {
                stream: stream.clone(),
            },
            OwnedWriteHalf {
                stream,
                shutdown_on_drop: true,
            },
        )
    }
}

impl OwnedReadHalf {
    /// Puts the stream back together from its two halves; fails if they came from different
    /// streams.
    pub fn reunite(self, other: OwnedWriteHalf) -> Result<TcpStream, ReuniteError> {
        if !Arc::ptr_eq(&self.stream, &other.stream) {
            return Err(ReuniteError(self, other));
        }
        other.forget();
        Ok(Arc::try_unwrap(self.stream).expect("both halves of one stream were given"))
    }
}

impl OwnedWriteHalf {
    /// Drops the half without shutting down the write direction.
    pub fn forget(mut self) {
        self.shutdown_on_drop = false;
    }

    /// Puts the stream back together; see [`OwnedReadHalf::reunite`].
    pub fn reunite(self, other: OwnedReadHalf) -> Result<TcpStream, ReuniteError> {
        other.reunite(self)
    }
}

impl Drop for OwnedWriteHalf {
    fn drop(&mut self) {
        if self.shutdown_on_drop {
            // A peer already gone (`NotConnected`) has nothing left to be told.
            let _ = self.stream.shutdown(Shutdown::Write);
        }
    }
}

/// The reading methods, for both read halves (`$half` has `fn stream(&self) -> &TcpStream`).
macro_rules! read_methods {
    ($half:ty) => {
        impl $half {
            /// Reads into `buf`; `Ok(0)` is end of stream. Cancel-safe.
            pub async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                let stream = self.stream();
                poll_fn(|cx| stream.poll_read_buf(cx, buf)).await
            }

            /// Reads exactly `buf.len()` bytes, or fails with `UnexpectedEof`. Not cancel-safe.
            pub async fn read_exact(&mut self, buf: &mut [u8]) -> io::Result<()> {
                stream_io::read_exact(&self.stream().source, buf).await
            }

            /// Reads until end of stream, appending to `out`; returns the number of bytes read.
            pub async fn read_to_end(&mut self, out: &mut Vec<u8>) -> io::Result<usize> {
                stream_io::read_to_end(&self.stream().source, out).await
            }

            /// Waits until the stream is readable. Cancel-safe.
            pub async fn readable(&self) -> io::Result<()> {
                self.stream().readable().await
            }

            /// Tries a read without waiting: `WouldBlock` if no data is buffered.
            pub fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
                self.stream().try_read(buf)
            }

            /// Polls read readiness.
            pub fn poll_read_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                self.stream().poll_read_ready(cx)
            }

            /// The local address.
            pub fn local_addr(&self) -> io::Result<SocketAddr> {
                self.stream().local_addr()
            }

            /// The peer's address.
            pub fn peer_addr(&self) -> io::Result<SocketAddr> {
                self.stream().peer_addr()
            }
        }

        impl futures_io::AsyncRead for $half {
            fn poll_read(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &mut [u8],
            ) -> Poll<io::Result<usize>> {
                self.stream().poll_read_buf(cx, buf)
            }
        }

        impl AsRef<TcpStream> for $half {
            fn as_ref(&self) -> &TcpStream {
                self.stream()
            }
        }
    };
}

/// The writing methods, for both write halves.
macro_rules! write_methods {
    ($half:ty) => {
        impl $half {
            /// Writes some of `buf`, returning how much. Cancel-safe.
            pub async fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
                let stream = self.stream();
                poll_fn(|cx| stream.poll_write_buf(cx, buf)).await
            }

            /// Writes all of `buf`. Not cancel-safe.
            pub async fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
                stream_io::write_all(&self.stream().source, buf).await
            }

            /// Writes from several buffers with one `writev`. Cancel-safe.
            pub async fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
                let stream = self.stream();
                poll_fn(|cx| stream.poll_write_bufs(cx, bufs)).await
            }

            /// Waits until the stream is writable. Cancel-safe.
            pub async fn writable(&self) -> io::Result<()> {
                self.stream().writable().await
            }

            /// Tries a write without waiting: `WouldBlock` if the send buffer is full.
            pub fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
                self.stream().try_write(buf)
            }

            /// Polls write readiness.
            pub fn poll_write_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                self.stream().poll_write_ready(cx)
            }

            /// Shuts down the write direction: the peer reads end of stream.
            pub fn shutdown(&self) -> io::Result<()> {
                self.stream().shutdown(Shutdown::Write)
            }

            /// The local address.
            pub fn local_addr(&self) -> io::Result<SocketAddr> {
                self.stream().local_addr()
            }

            /// The peer's address.
            pub fn peer_addr(&self) -> io::Result<SocketAddr> {
                self.stream().peer_addr()
            }
        }

        impl futures_io::AsyncWrite for $half {
            fn poll_write(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &[u8],
            ) -> Poll<io::Result<usize>> {
                self.stream().poll_write_buf(cx, buf)
            }

            fn poll_write_vectored(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                bufs: &[IoSlice<'_>],
            ) -> Poll<io::Result<usize>> {
                self.stream().poll_write_bufs(cx, bufs)
            }

            fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                Poll::Ready(Ok(()))
            }

            fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                Poll::Ready(self.stream().shutdown(Shutdown::Write))
            }
        }

        impl AsRef<TcpStream> for $half {
            fn as_ref(&self) -> &TcpStream {
                self.stream()
            }
        }
    };
}

impl ReadHalf<'_> {
    fn stream(&self) -> &TcpStream {
        self.0
    }
}

impl WriteHalf<'_> {
    fn stream(&self) -> &TcpStream {
        self.0
    }
}

impl OwnedReadHalf {
    fn stream(&self) -> &TcpStream {
        &self.stream
    }
}

impl OwnedWriteHalf {
    fn stream(&self) -> &TcpStream {
        &self.stream
    }
}

read_methods!(ReadHalf<'_>);
write_methods!(WriteHalf<'_>);
read_methods!(OwnedReadHalf);
write_methods!(OwnedWriteHalf);
