//! # corio: an async I/O runtime you can read end to end
//!
//! corio builds, in Rust, the system of the tutorial it started from: non-blocking sockets on a
//! selector, an event loop that runs callbacks, futures, and tasks that drive coroutines. Each
//! stage of that tutorial is a layer here, built on the one below it:
//!
//! | layer | module | the seed's stage |
//! |---|---|---|
//! | 1. selector | `reactor` (private; mio) | `selectors.DefaultSelector` |
//! | 2. callbacks | [`EventLoop`]: `call_soon`, `call_later`, `add_reader`... | the callback event loop |
//! | 3. futures and tasks | [`task`]: [`spawn`], [`JoinHandle`], [`block_on`]; [`time`] | `Future`, `Task.step` |
//! | 4. I/O | [`net`], [`signal`] | the non-blocking `get()` |
//! | one loop per core | [`Runtime`] | |
//!
//! The callback layer is public and usable on its own, as asyncio's is:
//!
//! ```
//! let lp = corio::EventLoop::new().unwrap();
//! let stopper = lp.clone();
//! lp.call_soon(move || { println!("hello from a callback"); stopper.stop() });
//! lp.run_forever().unwrap();
//! ```
//!
//! And tasks are that same loop's callbacks, resumed by wakers:
//!
//! ```
//! use corio::net::{TcpListener, TcpStream};
//!
//! corio::block_on(async {
//!     let listener = TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
//!     let addr = listener.local_addr().unwrap();
//!     let server = corio::spawn(async move {
//!         let (mut conn, _) = listener.accept().await.unwrap();
//!         let mut buf = [0; 5];
//!         conn.read_exact(&mut buf).await.unwrap();
//!         conn.write_all(&buf).await.unwrap();
//!     });
//!     let mut client = TcpStream::connect(addr).await.unwrap();
//!     client.write_all(b"hello").await.unwrap();
//!     let mut echo = [0; 5];
//!     client.read_exact(&mut echo).await.unwrap();
//!     assert_eq!(&echo, b"hello");
//!     server.await.unwrap();
//! });
//! ```
//!
//! The callback layer's public API is complete on its own, but the layers above it do not go
//! through that API alone: for speed, they share three parts of the loop inside the crate.
//!
//! - **Tasks** are queued on the loop's ready queue as themselves (the `Arc` of their waker),
//!   not as a boxed `call_soon` closure per wake-up, and their futures live in the loop's task
//!   slab, so that a future need not be `Send` while its waker is.
//! - **Timers** (`sleep`, `timeout`, `interval`) put an entry on the loop's timer heap, the
//!   heap behind `call_later`, holding shared state (fired, cancelled, waker) rather than a
//!   callback, so that a `Sleep` can be polled, moved and dropped from any thread.
//! - **I/O** sources register in the reactor's slab with shared readiness (`IoState`) rather
//!   than as `add_reader`/`add_writer` callbacks: waiting costs a stored waker, not a closure
//!   per operation and a re-registration.
//!
//! What crosses threads (remote spawns and wake-ups, sockets dropped elsewhere, the shutdown
//! of a loop) goes through the loop's remote queue, as `LoopHandle::call_soon_threadsafe`
//! does. See `ARCHITECTURE.md` at the repository root for which file owns what.
//!
//! ## Entry points and combinators
//!
//! `#[corio::main]` and `#[corio::test]` run an `async fn` on a loop of the calling thread (as
//! [`block_on`]); `#[corio::main(workers = 4)]` runs it on worker 0 of a four-worker
//! [`Runtime`], whose workers [`Spawner::current`] reaches ([`Runtime::spawn`] is
//! round-robin). [`select!`], [`join!`] and [`FutureExt`] are the futures crate's, re-exported;
//! [`JoinHandle`], [`time::Sleep`] and the [`sync`] futures are `FusedFuture`s, so they go
//! into `select!` without `.fuse()`:
//!
//! ```
//! use std::time::Duration;
//!
//! #[corio::main]
//! async fn main() {
//!     let mut task = corio::spawn(async { 42 });
//!     let mut timeout = corio::time::sleep(Duration::from_secs(60));
//!     corio::select! {
//!         answer = task => assert_eq!(answer.unwrap(), 42),
//!         () = timeout => panic!("too slow"),
//!     }
//! }
//! ```
//!
//! See `ARCHITECTURE.md` at the repository root for which file owns what.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

#[doc(hidden)]
pub mod __private {
    //! Used by the expansion of `#[corio::main]` and `#[corio::test]`; not a public API.
    pub use crate::entry::run_on_runtime;
}

mod entry;
mod event_loop;
pub mod net;
mod reactor;
mod runtime;
pub mod signal;
pub mod sync;
pub mod task;
pub mod time;

pub use event_loop::{EventLoop, Handle, LoopHandle, TimerHandle, EVENT_INTERVAL};
pub use runtime::{Builder, Runtime, Spawner};

pub use corio_macros::{main, test};

pub use futures_util::{join, pin_mut, select, select_biased, try_join, FutureExt};
pub use task::{block_on, spawn, spawn_local, yield_now, JoinError, JoinHandle};
