//! Layer 4: sockets as futures.
//!
//! Each type wraps a mio socket in an `IoSource`, registered once with the loop running on
//! the thread that created it. Besides inherent `async fn`s, the stream types implement the
//! runtime-neutral `futures_io::AsyncRead` / `AsyncWrite` traits. Each type's docs say which
//! of its methods are cancel-safe.

mod io_source;
pub(crate) use io_source::IoSource;
mod stream_io;
mod tcp;
mod udp;
mod unix;

pub use tcp::{ListenOptions, TcpListener, TcpStream, DEFAULT_BACKLOG};
pub use udp::UdpSocket;
pub use unix::{UnixListener, UnixStream};
