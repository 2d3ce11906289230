//! Layer 4: sockets as futures.
//!
//! Each type wraps a mio socket in an `IoSource`, registered once with the loop running on
//! the thread that created it. Besides inherent `async fn`s, the stream types implement the
//! runtime-neutral `futures_io::AsyncRead` / `AsyncWrite` traits. Each type's docs say which
//! of its methods are cancel-safe.
//!
//! Several tasks may wait on one socket in the same direction (two accept loops on one
//! listener, `readable()` awaited in two places): a readiness event wakes them all, and those
//! that find nothing to do wait again. If the loop that created a socket shuts down (closed,
//! dropped, its runtime shut down), every operation on the socket fails with an error of kind
//! `Other`, including operations already waiting on another thread.

mod io_source;
pub(crate) use io_source::IoSource;
mod stream_io;
mod tcp;
mod udp;
mod unix;

pub use tcp::{ListenOptions, TcpListener, TcpStream, DEFAULT_BACKLOG};
pub use udp::UdpSocket;
pub use unix::{UnixListener, UnixStream};
