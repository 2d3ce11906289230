//! TCP: [`TcpListener`] and [`TcpStream`].
//!
//! Cancel safety: `accept`, `read`, `write`, `write_vectored`, `readable` and `writable` are
//! cancel-safe (dropping the future before it completes loses no data: nothing was read or
//! written). `read_exact` and `write_all` are not: bytes already transferred are lost with the
//! future. `connect` is not meaningful to resume: a dropped connect closes the socket.

use std::future::poll_fn;
use std::io::{self, IoSlice};
use std::net::{Shutdown, SocketAddr};
use std::os::fd::{AsRawFd, RawFd};
use std::pin::Pin;
use std::task::{Context, Poll};

use socket2::{Domain, Protocol, Socket, Type};

use super::addr::{first_success, ToSocketAddrs};
use super::io_source::IoSource;
use super::stream_io;
use crate::reactor::Direction;

/// The listen backlog used by [`TcpListener::bind`]: the kernel's usual `somaxconn` ceiling, so
/// that bursts of connections queue instead of being refused.
pub const DEFAULT_BACKLOG: i32 = 4096;

/// Options for a listening socket: backlog, `SO_REUSEADDR`, `SO_REUSEPORT`.
///
/// ```
/// corio::block_on(async {
///     let listener = corio::net::ListenOptions::new()
///         .reuse_port(true)
///         .backlog(128)
///         .bind("127.0.0.1:0".parse().unwrap())
///         .unwrap();
///     assert!(listener.local_addr().unwrap().port() > 0);
/// });
/// ```
#[derive(Debug, Clone)]
pub struct ListenOptions {
    backlog: i32,
    reuse_address: bool,
    reuse_port: bool,
}

impl Default for ListenOptions {
    fn default() -> Self {
        ListenOptions {
            backlog: DEFAULT_BACKLOG,
            reuse_address: true,
            reuse_port: false,
        }
    }
}

impl ListenOptions {
    /// Defaults: backlog [`DEFAULT_BACKLOG`], `SO_REUSEADDR` on, `SO_REUSEPORT` off.
    pub fn new() -> ListenOptions {
        ListenOptions::default()
    }

    /// The listen backlog.
    pub fn backlog(mut self, backlog: i32) -> ListenOptions {
        self.backlog = backlog;
        self
    }

    /// `SO_REUSEADDR`: rebind at once after a restart despite connections in `TIME_WAIT`.
    pub fn reuse_address(mut self, on: bool) -> ListenOptions {
        self.reuse_address = on;
        self
    }

    /// `SO_REUSEPORT`: several sockets (one per worker) bound to the same address; the kernel
    /// spreads incoming connections among them.
    pub fn reuse_port(mut self, on: bool) -> ListenOptions {
        self.reuse_port = on;
        self
    }

    /// Binds a listener on the loop running on this thread. Synchronous: it takes a
    /// [`SocketAddr`], nothing to resolve (see [`TcpListener::bind`] for host names).
    pub fn bind(&self, addr: SocketAddr) -> io::Result<TcpListener> {
        TcpListener::from_std(self.bind_std(addr)?)
    }

    /// The bound, listening, non-blocking socket, not registered with any loop.
    pub(super) fn bind_std(&self, addr: SocketAddr) -> io::Result<std::net::TcpListener> {
        let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
        socket.set_reuse_address(self.reuse_address)?;
        if self.reuse_port {
            socket.set_reuse_port(true)?;
        }
        socket.set_nonblocking(true)?;
        socket.bind(&addr.into())?;
        socket.listen(self.backlog)?;
        Ok(socket.into())
    }
}

/// A TCP listening socket.
///
/// ```
/// use corio::net::{TcpListener, TcpStream};
/// corio::block_on(async {
///     let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
///     let addr = listener.local_addr().unwrap();
///     let client = corio::spawn(async move {
///         let mut stream = TcpStream::connect(addr).await.unwrap();
///         stream.write_all(b"ping").await.unwrap();
///     });
///     let (mut stream, _) = listener.accept().await.unwrap();
///     let mut buf = [0; 4];
///     stream.read_exact(&mut buf).await.unwrap();
///     assert_eq!(&buf, b"ping");
///     client.await.unwrap();
/// });
/// ```
#[derive(Debug)]
pub struct TcpListener {
    source: IoSource<mio::net::TcpListener>,
}

impl TcpListener {
    /// Binds with the default [`ListenOptions`], on the loop running on this thread, to the
    /// first address `addr` resolves to that can be bound (see [`ToSocketAddrs`]: host names
    /// are resolved on the blocking pool, numeric addresses in place).
    ///
    /// `async`, as tokio's is, because of name resolution; the synchronous way, for a
    /// [`SocketAddr`] and on any thread with a loop, is [`ListenOptions::bind`]. To accept on
    /// one port from every worker of a [`Runtime`](crate::Runtime), port 0 included, see
    /// [`SharedListener`](super::SharedListener).
    pub async fn bind(addr: impl ToSocketAddrs) -> io::Result<TcpListener> {
        let options = ListenOptions::new();
        first_success(&addr, |addr| std::future::ready(options.bind(addr))).await
    }

    /// Wraps a std listener (made non-blocking here).
    pub fn from_std(listener: std::net::TcpListener) -> io::Result<TcpListener> {
        listener.set_nonblocking(true)?;
        Ok(TcpListener {
            source: IoSource::new(mio::net::TcpListener::from_std(listener))?,
        })
    }

    /// Accepts a connection. Cancel-safe.
    pub async fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        poll_fn(|cx| self.poll_accept(cx)).await
    }

    /// Polls for a connection.
    pub fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(TcpStream, SocketAddr)>> {
        match self
            .source
            .poll_io(cx, Direction::Read, |listener| listener.accept())
        {
            Poll::Ready(Ok((stream, addr))) => {
                Poll::Ready(TcpStream::from_mio(stream).map(|stream| (stream, addr)))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => Poll::Pending,
        }
    }

    /// The bound address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.source.get_ref().local_addr()
    }
}

impl AsRawFd for TcpListener {
    fn as_raw_fd(&self) -> RawFd {
        self.source.get_ref().as_raw_fd()
    }
}

/// A TCP connection. Implements `futures_io::AsyncRead` and `AsyncWrite` as well as the
/// inherent async methods.
#[derive(Debug)]
pub struct TcpStream {
    pub(super) source: IoSource<mio::net::TcpStream>,
}

impl TcpStream {
    /// Connects to `addr`, trying each address it resolves to in turn (see [`ToSocketAddrs`]:
    /// host names are resolved on the blocking pool, numeric addresses in place). Fails with
    /// the last address's error if none accepts.
    pub async fn connect(addr: impl ToSocketAddrs) -> io::Result<TcpStream> {
        first_success(&addr, TcpStream::connect_addr).await
    }

    async fn connect_addr(addr: SocketAddr) -> io::Result<TcpStream> {
        let stream = TcpStream::from_mio(mio::net::TcpStream::connect(addr)?)?;
        // A new source starts optimistic ("writable"), and readiness can be spurious: so
        // "writable" proves nothing by itself. A failed connect leaves its error in SO_ERROR;
        // a connect still in progress has no peer yet (`NotConnected`), which is treated as
        // `WouldBlock`: the readiness is cleared and the task waits for the next event.
        poll_fn(|cx| {
            stream.source.poll_io(cx, Direction::Write, |s| {
                if let Some(e) = s.take_error()? {
                    return Err(e);
                }
                match s.peer_addr() {
                    Ok(_) => Ok(()),
                    Err(e) if e.kind() == io::ErrorKind::NotConnected => {
                        Err(io::ErrorKind::WouldBlock.into())
                    }
                    Err(e) => Err(e),
                }
            })
        })
        .await?;
        Ok(stream)
    }

    /// Wraps a connected std stream (made non-blocking here).
    pub fn from_std(stream: std::net::TcpStream) -> io::Result<TcpStream> {
        stream.set_nonblocking(true)?;
        TcpStream::from_mio(mio::net::TcpStream::from_std(stream))
    }

    fn from_mio(stream: mio::net::TcpStream) -> io::Result<TcpStream> {
        Ok(TcpStream {
            source: IoSource::new(stream)?,
        })
    }

    /// Reads into `buf`; `Ok(0)` is end of stream. Cancel-safe.
    pub async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        poll_fn(|cx| stream_io::poll_read(&self.source, cx, buf)).await
    }

    /// Reads exactly `buf.len()` bytes, or fails with `UnexpectedEof`. Not cancel-safe.
    pub async fn read_exact(&mut self, buf: &mut [u8]) -> io::Result<()> {
        stream_io::read_exact(&self.source, buf).await
    }

    /// Reads until end of stream, appending to `out`. Returns the number of bytes read.
    pub async fn read_to_end(&mut self, out: &mut Vec<u8>) -> io::Result<usize> {
        stream_io::read_to_end(&self.source, out).await
    }

    /// Writes some of `buf`, returning how much. Cancel-safe.
    pub async fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        poll_fn(|cx| stream_io::poll_write(&self.source, cx, buf)).await
    }

    /// Writes all of `buf`. Not cancel-safe.
    pub async fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        stream_io::write_all(&self.source, buf).await
    }

    /// Writes from several buffers with one `writev`. Cancel-safe.
    pub async fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        poll_fn(|cx| stream_io::poll_write_vectored(&self.source, cx, bufs)).await
    }

    /// Polls a read into `buf`. Inlined into its caller (a connection driver calls it once
    /// per request), which saves the call's register saves and restores.
    #[inline]
    pub fn poll_read_buf(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        stream_io::poll_read(&self.source, cx, buf)
    }

    /// Polls a write of `buf`. Inlined, as [`TcpStream::poll_read_buf`].
    #[inline]
    pub fn poll_write_buf(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        stream_io::poll_write(&self.source, cx, buf)
    }

    /// Polls a vectored write.
    pub fn poll_write_bufs(
        &self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        stream_io::poll_write_vectored(&self.source, cx, bufs)
    }

    /// Polls read readiness (without reading).
    #[inline]
    pub fn poll_read_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.source.poll_ready(cx, Direction::Read)
    }

    /// Polls write readiness (without writing).
    pub fn poll_write_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.source.poll_ready(cx, Direction::Write)
    }

    /// Waits until the stream is readable (or at EOF, or in error). Cancel-safe.
    pub async fn readable(&self) -> io::Result<()> {
        poll_fn(|cx| self.source.poll_ready(cx, Direction::Read)).await
    }

    /// Waits until the stream is writable. Cancel-safe.
    pub async fn writable(&self) -> io::Result<()> {
        poll_fn(|cx| self.source.poll_ready(cx, Direction::Write)).await
    }

    /// Tries a read without waiting: `WouldBlock` if no data is buffered.
    pub fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        let len = buf.len();
        self.source
            .try_transfer(Direction::Read, len, |s| stream_io::recv(s, buf))
    }

    /// Tries a write without waiting: `WouldBlock` if the send buffer is full.
    pub fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        self.source
            .try_transfer(Direction::Write, buf.len(), |s| stream_io::send(s, buf))
    }

    /// Tries a custom operation on the raw socket once (for `sendfile`...): `op` must return
    /// `WouldBlock` when the socket is not ready, which clears the readiness so that
    /// [`TcpStream::writable`] / [`TcpStream::readable`] then wait for the next event.
    pub fn try_io<R>(
        &self,
        writing: bool,
        op: impl FnOnce(&mio::net::TcpStream) -> io::Result<R>,
    ) -> io::Result<R> {
        let direction = if writing {
            Direction::Write
        } else {
            Direction::Read
        };
        self.source.try_io(direction, op)
    }

    /// Polls a custom operation on the raw socket (for `sendfile`, `splice`...): `op` must
    /// return `WouldBlock` when the socket is not ready. `writing` picks the readiness used.
    pub fn poll_io<R>(
        &self,
        cx: &mut Context<'_>,
        writing: bool,
        op: impl FnMut(&mio::net::TcpStream) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        let direction = if writing {
            Direction::Write
        } else {
            Direction::Read
        };
        self.source.poll_io(cx, direction, op)
    }

    /// Shuts down the read, write or both halves.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.source.get_ref().shutdown(how)
    }

    /// Sets `TCP_NODELAY` (disable Nagle's algorithm).
    pub fn set_nodelay(&self, on: bool) -> io::Result<()> {
        self.source.get_ref().set_nodelay(on)
    }

    /// Whether `TCP_NODELAY` is set.
    pub fn nodelay(&self) -> io::Result<bool> {
        self.source.get_ref().nodelay()
    }

    /// Sets `SO_LINGER` (`Some(0)`: close with a reset).
    pub fn set_linger(&self, linger: Option<std::time::Duration>) -> io::Result<()> {
        socket2::SockRef::from(self.source.get_ref()).set_linger(linger)
    }

    /// The local address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.source.get_ref().local_addr()
    }

    /// The peer's address.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.source.get_ref().peer_addr()
    }
}

impl std::os::fd::AsFd for TcpStream {
    fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.source.get_ref().as_fd()
    }
}

impl AsRawFd for TcpStream {
    fn as_raw_fd(&self) -> RawFd {
        self.source.get_ref().as_raw_fd()
    }
}

impl futures_io::AsyncRead for TcpStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.poll_read_buf(cx, buf)
    }
}

impl futures_io::AsyncWrite for TcpStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.poll_write_buf(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.poll_write_bufs(cx, bufs)
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(self.shutdown(Shutdown::Write))
    }
}
