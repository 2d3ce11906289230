//! Adapters that let the tokio-I/O ecosystem run on corio without a tokio runtime.
//!
//! corio's streams implement the runtime-neutral `futures-io` traits. Two families of crates
//! expect other traits:
//!
//! - the `h2` crate (and everything built on tokio's I/O traits) wants
//!   `tokio::io::AsyncRead`/`AsyncWrite`: [`TokioIo`] provides them;
//! - hyper 1.x wants its own `rt` traits: [`HyperIo`] (`rt::Read`/`rt::Write`),
//!   [`CorioExecutor`] (`rt::Executor`, tasks on the current loop) and [`CorioTimer`]
//!   (`rt::Timer` on the loop's timer heap, with a `Send + Sync` [`CorioSleep`]).
//!
//! `read.rs` holds the read path all of them share: tokio's and hyper's buffers may be
//! uninitialized, so bytes are copied in from a per-thread scratch buffer.
//!
//! Only the traits are used: no tokio runtime is linked or started (tokio is a dependency with
//! no features, for `tokio::io`'s traits alone). Each adapter lives in its own file.
//!
//! Bringing an axum or hyper application to corio takes these four pieces; see
//! `examples/axum_on_corio.rs` and the README.

mod executor;
mod hyper_io;
mod read;
mod timer;
mod tokio_io;

pub use executor::CorioExecutor;
pub use hyper_io::HyperIo;
pub(crate) use read::take_prefix;
pub use timer::{CorioSleep, CorioTimer};
pub use tokio_io::TokioIo;
