//! UDP: [`UdpSocket`]. Every method is cancel-safe (a datagram is sent or received whole).

use std::future::poll_fn;
use std::io;
use std::net::SocketAddr;
use std::os::fd::{AsRawFd, RawFd};

use super::addr::{first_success, ToSocketAddrs};
use super::io_source::IoSource;
use crate::reactor::Direction;

/// A UDP socket.
///
/// ```
/// use corio::net::UdpSocket;
/// corio::block_on(async {
///     let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
///     let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
///     a.send_to(b"hi", b.local_addr().unwrap()).await.unwrap();
///     let mut buf = [0; 8];
///     let (n, from) = b.recv_from(&mut buf).await.unwrap();
///     assert_eq!((&buf[..n], from), (&b"hi"[..], a.local_addr().unwrap()));
/// });
/// ```
#[derive(Debug)]
pub struct UdpSocket {
    source: IoSource<mio::net::UdpSocket>,
}

impl UdpSocket {
    /// Binds a socket on the loop running on this thread, to the first address `addr`
    /// resolves to that can be bound (see [`ToSocketAddrs`]). `async` because of name
    /// resolution, as tokio's is; the synchronous way for a [`SocketAddr`] is
    /// [`UdpSocket::from_std`] over `std::net::UdpSocket::bind`.
    pub async fn bind(addr: impl ToSocketAddrs) -> io::Result<UdpSocket> {
        first_success(&addr, |addr| {
            std::future::ready(mio::net::UdpSocket::bind(addr).and_then(|socket| {
                Ok(UdpSocket {
                    source: IoSource::new(socket)?,
                })
            }))
        })
        .await
    }

    /// Wraps a std socket (made non-blocking here).
    pub fn from_std(socket: std::net::UdpSocket) -> io::Result<UdpSocket> {
        socket.set_nonblocking(true)?;
        Ok(UdpSocket {
            source: IoSource::new(mio::net::UdpSocket::from_std(socket))?,
        })
    }

    /// Sets the default peer for [`UdpSocket::send`] and [`UdpSocket::recv`]: the first
    /// address `addr` resolves to that the socket can connect to (see [`ToSocketAddrs`]).
    pub async fn connect(&self, addr: impl ToSocketAddrs) -> io::Result<()> {
        first_success(&addr, |addr| {
            std::future::ready(self.source.get_ref().connect(addr))
        })
        .await
    }

    /// Sends a datagram to `target`.
    pub async fn send_to(&self, buf: &[u8], target: SocketAddr) -> io::Result<usize> {
        poll_fn(|cx| {
            self.source
                .poll_io(cx, Direction::Write, |s| s.send_to(buf, target))
        })
        .await
    }

    /// Receives a datagram and its sender.
    pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        poll_fn(|cx| {
            self.source
                .poll_io(cx, Direction::Read, |s| s.recv_from(buf))
        })
        .await
    }

    /// Sends a datagram to the connected peer.
    pub async fn send(&self, buf: &[u8]) -> io::Result<usize> {
        poll_fn(|cx| self.source.poll_io(cx, Direction::Write, |s| s.send(buf))).await
    }

    /// Receives a datagram from the connected peer.
    pub async fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        poll_fn(|cx| self.source.poll_io(cx, Direction::Read, |s| s.recv(buf))).await
    }

    /// The bound address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.source.get_ref().local_addr()
    }

    /// The connected peer's address.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.source.get_ref().peer_addr()
    }
}

impl AsRawFd for UdpSocket {
    fn as_raw_fd(&self) -> RawFd {
        self.source.get_ref().as_raw_fd()
    }
}
