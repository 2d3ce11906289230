//! Layer 4: sockets as futures.
//!
//! Each type wraps a mio socket in an `IoSource`, registered once with the loop running on
//! the thread that created it. Besides inherent `async fn`s, the stream types implement the
//! runtime-neutral `futures_io::AsyncRead` / `AsyncWrite` traits. Each type's docs say which
//! of its methods are cancel-safe.
//!
//! `bind` and `connect` take any [`ToSocketAddrs`], as tokio's do: a `SocketAddr`, an
//! `(ip, port)` pair, `"127.0.0.1:8080"`, `"localhost:8080"`. Numeric addresses are parsed in
//! place; host names are resolved on the [`spawn_blocking`](crate::task::spawn_blocking) pool,
//! never on the loop. That makes them `async` (`TcpListener::bind(addr).await`, as in tokio);
//! [`ListenOptions::bind`] is the synchronous way to bind a `SocketAddr`, and
//! [`SharedListener`] binds one port for every worker of a [`Runtime`](crate::Runtime).
//!
//! Several tasks may wait on one socket in the same direction (two accept loops on one
//! listener, `readable()` awaited in two places): a readiness event wakes them all, and those
//! that find nothing to do wait again. If the loop that created a socket shuts down (closed,
//! dropped, its runtime shut down), every operation on the socket fails with an error of kind
//! `Other`, including operations already waiting on another thread.

mod addr;
mod io_source;
pub(crate) use io_source::IoSource;
mod shared_listener;
mod stream_io;
mod tcp;
mod tcp_split;
mod udp;
mod unix;

pub use addr::{lookup_host, ToSocketAddrs};
pub use shared_listener::SharedListener;
pub use tcp::{ListenOptions, TcpListener, TcpStream, DEFAULT_BACKLOG};
pub use tcp_split::{OwnedReadHalf, OwnedWriteHalf, ReadHalf, ReuniteError, WriteHalf};
pub use udp::UdpSocket;
pub use unix::{UnixListener, UnixStream};
