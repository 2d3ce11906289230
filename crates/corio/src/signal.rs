//! Unix signals as futures: [`ctrl_c`], [`terminate`], and [`Signals`] for any set.
//!
//! Built on `signal-hook`'s self-pipe (async-signal-safe handlers that write to a pipe) with
//! `signal-hook-mio` registering that pipe on the loop's selector. Several `Signals` may watch
//! the same signal (one per worker, say); each receives every delivery.

use std::future::poll_fn;
use std::io;
use std::task::{Context, Poll};

use signal_hook_mio::v1_0::Signals as MioSignals;

use crate::net::IoSource;
use crate::reactor::Direction;

pub use signal_hook::consts::signal::{SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2};

/// A stream of the signals of a set, delivered to the loop that created it.
///
/// ```no_run
/// corio::block_on(async {
///     let mut signals = corio::signal::Signals::new(&[corio::signal::SIGINT]).unwrap();
///     let signal = signals.recv().await.unwrap();
///     println!("got signal {signal}");
/// });
/// ```
pub struct Signals {
    source: IoSource<MioSignals>,
    /// Signals read from the pipe but not returned yet.
    pending: Vec<i32>,
}

impl Signals {
    /// Starts watching `signals` (installing their handlers) on the loop running on this thread.
    pub fn new(signals: &[i32]) -> io::Result<Signals> {
        let signals = MioSignals::new(signals.iter().copied())?;
        Ok(Signals {
            source: IoSource::new(signals)?,
            pending: Vec::new(),
        })
    }

    /// Waits for the next signal of the set and returns its number.
    pub async fn recv(&mut self) -> io::Result<i32> {
        poll_fn(|cx| self.poll_recv(cx)).await
    }

    /// Polls for the next signal.
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<i32>> {
        loop {
            if let Some(signal) = self.pending.pop() {
                return Poll::Ready(Ok(signal));
            }
            let pending = &mut self.pending;
            let read = self.source.poll_io_mut(cx, Direction::Read, |signals| {
                // `pending()` drains the pipe without blocking; none means "not ready".
                let before = pending.len();
                pending.extend(signals.pending());
                if pending.len() == before {
                    Err(io::ErrorKind::WouldBlock.into())
                } else {
                    Ok(())
                }
            });
            match read {
                Poll::Ready(Ok(())) => pending.reverse(),
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}

impl std::fmt::Debug for Signals {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signals")
            .field("pending", &self.pending)
            .finish()
    }
}

/// Completes on the next SIGINT (Ctrl-C).
pub async fn ctrl_c() -> io::Result<()> {
    Signals::new(&[SIGINT])?.recv().await.map(|_| ())
}

/// Completes on the next SIGTERM.
pub async fn terminate() -> io::Result<()> {
    Signals::new(&[SIGTERM])?.recv().await.map(|_| ())
}

/// Completes on the next SIGINT or SIGTERM, returning which: the usual "shut down" request.
pub async fn shutdown_requested() -> io::Result<i32> {
    Signals::new(&[SIGINT, SIGTERM])?.recv().await
}
