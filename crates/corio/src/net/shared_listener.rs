//! [`SharedListener`]: one listening socket, accepted on by every worker of a
//! [`Runtime`](crate::Runtime).
//!
//! A listener is registered with the loop of the thread that creates it, so each worker needs
//! its own. Binding one per worker to `127.0.0.1:0` gives each a different port; a
//! `SharedListener` binds once (port 0 picks one port for all) and hands each worker a
//! duplicate of the descriptor (`dup`), registered with that worker's loop. The workers share
//! one accept queue: a connection wakes every idle worker, one accepts it, the others find the
//! queue empty and wait again. This is what `corio_http::Server` does, and for the same
//! reason it does not use `SO_REUSEPORT`: a port-sharing group stays open to sockets of other
//! processes of the same user. (Per-worker `SO_REUSEPORT` listeners remain available through
//! [`ListenOptions::reuse_port`](super::ListenOptions::reuse_port), for a fixed port.)
//!
//! ```
//! use corio::net::{SharedListener, TcpStream};
//!
//! let runtime = corio::Runtime::builder().workers(2).build().unwrap();
//! let shared = SharedListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
//! let addr = shared.local_addr().unwrap();
//! let servers = runtime.run_on_each(move |worker| {
//!     let listener = shared.listener();
//!     async move {
//!         let (mut conn, _) = listener?.accept().await?;
//!         conn.write_all(&[worker as u8]).await
//!     }
//! });
//! corio::block_on(async {
//!     for _ in 0..2 {
//!         let mut conn = TcpStream::connect(addr).await.unwrap();
//!         let mut worker = [0; 1];
//!         conn.read_exact(&mut worker).await.unwrap();
//!     }
//! });
//! for server in servers {
//!     corio::block_on(server).unwrap().unwrap();
//! }
//! ```

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use super::tcp::{ListenOptions, TcpListener};

/// A listening socket bound once, cheap to clone, from which each worker takes a
/// [`TcpListener`] on its own loop. See the module docs.
#[derive(Debug, Clone)]
pub struct SharedListener {
    socket: Arc<std::net::TcpListener>,
}

impl SharedListener {
    /// Binds `addr` with the default [`ListenOptions`]. Synchronous and callable on any
    /// thread (no loop needed), such as `main` before the runtime starts; it takes a numeric
    /// address: resolve a host name first with [`lookup_host`](super::lookup_host).
    pub fn bind(addr: SocketAddr) -> io::Result<SharedListener> {
        ListenOptions::new().bind_shared(addr)
    }

    /// The bound address (with the port the kernel chose for port 0).
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.socket.local_addr()
    }

    /// A listener on the loop running on this thread, accepting from the shared socket.
    /// Fails outside a corio loop, or if the process is out of descriptors.
    pub fn listener(&self) -> io::Result<TcpListener> {
        TcpListener::from_std(self.socket.try_clone()?)
    }
}

impl ListenOptions {
    /// Binds a [`SharedListener`] with these options. `reuse_port` is honoured but not needed:
    /// the workers share the one socket.
    pub fn bind_shared(&self, addr: SocketAddr) -> io::Result<SharedListener> {
        Ok(SharedListener {
            socket: Arc::new(self.bind_std(addr)?),
        })
    }
}
