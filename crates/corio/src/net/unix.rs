//! Unix domain sockets: [`UnixListener`] and [`UnixStream`]. Cancel safety as for TCP.

use std::future::poll_fn;
use std::io;
use std::net::Shutdown;
use std::os::fd::{AsRawFd, RawFd};
use std::path::Path;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::io_source::IoSource;
use super::stream_io;
use crate::reactor::Direction;

/// A Unix-domain listening socket.
///
/// ```
/// use corio::net::{UnixListener, UnixStream};
/// let path = std::env::temp_dir().join(format!("corio-doc-{}.sock", std::process::id()));
/// let _ = std::fs::remove_file(&path);
/// corio::block_on(async {
///     let listener = UnixListener::bind(&path).unwrap();
///     let p = path.clone();
///     let client = corio::spawn(async move {
///         UnixStream::connect(&p).await.unwrap().write_all(b"yo").await.unwrap();
///     });
///     let mut stream = listener.accept().await.unwrap();
///     let mut out = Vec::new();
///     stream.read_to_end(&mut out).await.unwrap();
///     assert_eq!(out, b"yo");
///     client.await.unwrap();
/// });
/// std::fs::remove_file(&path).unwrap();
/// ```
#[derive(Debug)]
pub struct UnixListener {
    source: IoSource<mio::net::UnixListener>,
}

impl UnixListener {
    /// Binds to `path` (which must not exist).
    pub fn bind(path: impl AsRef<Path>) -> io::Result<UnixListener> {
        Ok(UnixListener {
            source: IoSource::new(mio::net::UnixListener::bind(path)?)?,
        })
    }

    /// Accepts a connection. Cancel-safe.
    pub async fn accept(&self) -> io::Result<UnixStream> {
        let (stream, _) =
            poll_fn(|cx| self.source.poll_io(cx, Direction::Read, |l| l.accept())).await?;
        UnixStream::from_mio(stream)
    }
}

impl AsRawFd for UnixListener {
    fn as_raw_fd(&self) -> RawFd {
        self.source.get_ref().as_raw_fd()
    }
}

/// A Unix-domain stream.
#[derive(Debug)]
pub struct UnixStream {
    source: IoSource<mio::net::UnixStream>,
}

impl UnixStream {
    /// Connects to the socket at `path`.
    pub async fn connect(path: impl AsRef<Path>) -> io::Result<UnixStream> {
        let stream = UnixStream::from_mio(mio::net::UnixStream::connect(path)?)?;
        poll_fn(|cx| stream.source.poll_ready(cx, Direction::Write)).await?;
        match stream.source.get_ref().take_error()? {
            Some(e) => Err(e),
            None => Ok(stream),
        }
    }

    /// A connected pair.
    pub fn pair() -> io::Result<(UnixStream, UnixStream)> {
        let (a, b) = mio::net::UnixStream::pair()?;
        Ok((UnixStream::from_mio(a)?, UnixStream::from_mio(b)?))
    }

    fn from_mio(stream: mio::net::UnixStream) -> io::Result<UnixStream> {
        Ok(UnixStream {
            source: IoSource::new(stream)?,
        })
    }

    /// Reads into `buf`; `Ok(0)` is end of stream. Cancel-safe.
    pub async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        poll_fn(|cx| stream_io::poll_read(&self.source, cx, buf)).await
    }

    /// Reads until end of stream.
    pub async fn read_to_end(&mut self, out: &mut Vec<u8>) -> io::Result<usize> {
        stream_io::read_to_end(&self.source, out).await
    }

    /// Writes some of `buf`. Cancel-safe.
    pub async fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        poll_fn(|cx| stream_io::poll_write(&self.source, cx, buf)).await
    }

    /// Writes all of `buf`. Not cancel-safe.
    pub async fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        stream_io::write_all(&self.source, buf).await
    }

    /// Shuts down the read, write or both halves.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.source.get_ref().shutdown(how)
    }
}

impl AsRawFd for UnixStream {
    fn as_raw_fd(&self) -> RawFd {
        self.source.get_ref().as_raw_fd()
    }
}

impl futures_io::AsyncRead for UnixStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        stream_io::poll_read(&self.source, cx, buf)
    }
}

impl futures_io::AsyncWrite for UnixStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        stream_io::poll_write(&self.source, cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(self.shutdown(Shutdown::Write))
    }
}
