//! [`IoSource`]: a mio socket registered with the loop, turned into poll functions.
//!
//! Every layer-4 type wraps one. It registers the socket once, edge-triggered for both reading
//! and writing, in the slab of the loop running on this thread. An operation is tried first;
//! only when it returns `WouldBlock` is the readiness of that direction cleared (unless a newer
//! event arrived meanwhile) and the task's waker stored, so a ready socket costs one syscall
//! per operation and no trip through the loop.
//!
//! The source is `Send`: it may be used, and dropped, on another thread. Its events are still
//! dispatched by its own loop, which then wakes the task wherever it runs; dropping it off its
//! loop deregisters it at once and frees its slab slot through the loop's remote queue.
//!
//! Once its loop has shut down (closed, or dropped) nothing will report its events any more:
//! every poll then fails at once with an error of kind `Other` (see `reactor::loop_closed`),
//! and tasks already waiting are woken to that error.

use std::io;
use std::sync::Arc;
use std::task::{Context, Poll};

use mio::{Interest, Token};

use crate::event_loop::{EventLoop, Remote, Shared};
use crate::reactor::{loop_closed, Direction, IoState, Source};

/// A registered mio source.
pub(crate) struct IoSource<T: mio::event::Source> {
    io: Option<T>,
    state: Arc<IoState>,
    /// The slab key, as `u32`: it packs with a socket's descriptor into one word. A loop
    /// cannot hold 2^32 sources (descriptors are `i32`).
    token: u32,
    owner: Arc<Shared>,
}

impl<T: mio::event::Source> IoSource<T> {
    /// Registers `io` with the loop running on this thread.
    pub(crate) fn new(mut io: T) -> io::Result<IoSource<T>> {
        EventLoop::with_current(|lp| {
            let lp = lp.ok_or_else(|| {
                io::Error::other("corio: I/O objects must be created inside a corio event loop")
            })?;
            if lp.is_closed() {
                return Err(loop_closed());
            }
            let state = Arc::new(IoState::new());
            let key = lp
                .inner
                .reactor
                .borrow_mut()
                .sources
                .insert(Source::Io(state.clone()));
            let Ok(token) = u32::try_from(key) else {
                lp.release(key);
                return Err(io::Error::other("corio: too many sources on one loop"));
            };
            let registered = lp.inner.shared.registry.register(
                &mut io,
                Token(key),
                Interest::READABLE | Interest::WRITABLE,
            );
            if let Err(e) = registered {
                lp.release(key);
                return Err(e);
            }
            Ok(IoSource {
                io: Some(io),
                state,
                token,
                owner: lp.inner.shared.clone(),
            })
        })
    }

    /// The wrapped source.
    pub(crate) fn get_ref(&self) -> &T {
        self.io.as_ref().expect("source present until drop")
    }

    /// Polls `op` until it succeeds or fails with anything but `WouldBlock`.
    pub(crate) fn poll_io<R>(
        &self,
        cx: &mut Context<'_>,
        direction: Direction,
        op: impl FnMut(&T) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        self.poll_until(cx, direction, op, |_| false)
    }

    /// Like [`IoSource::poll_io`] for a stream read or write of `len` bytes: a transfer that
    /// moved fewer than `len` bytes (but some) drained the socket buffer (or filled it, for a
    /// write), so the readiness is cleared at once instead of learning it from one more
    /// syscall failing with `WouldBlock`. Edge-triggered epoll reports any later arrival as a
    /// new event, and the tick check keeps an event that raced with the transfer. Only for
    /// byte streams: a short datagram says nothing about the next one.
    pub(crate) fn poll_transfer(
        &self,
        cx: &mut Context<'_>,
        direction: Direction,
        len: usize,
        op: impl FnMut(&T) -> io::Result<usize>,
    ) -> Poll<io::Result<usize>> {
        self.poll_until(cx, direction, op, |&n| n > 0 && n < len)
    }

    /// [`IoSource::poll_transfer`] tried once, without waiting.
    pub(crate) fn try_transfer(
        &self,
        direction: Direction,
        len: usize,
        op: impl FnOnce(&T) -> io::Result<usize>,
    ) -> io::Result<usize> {
        self.try_once(direction, op, |&n| n > 0 && n < len)
    }

    /// Tries `op` once; on `WouldBlock` clears the readiness so the next poll waits.
    pub(crate) fn try_io<R>(
        &self,
        direction: Direction,
        op: impl FnOnce(&T) -> io::Result<R>,
    ) -> io::Result<R> {
        self.try_once(direction, op, |_| false)
    }

    /// The loop behind the poll functions: wait for readiness, try `op`; `WouldBlock` clears
    /// the readiness and waits again; a success for which `drained` holds clears it too.
    fn poll_until<R>(
        &self,
        cx: &mut Context<'_>,
        direction: Direction,
        mut op: impl FnMut(&T) -> io::Result<R>,
        drained: impl Fn(&R) -> bool,
    ) -> Poll<io::Result<R>> {
        loop {
            let event = match self.state.poll_ready(cx, direction) {
                Poll::Ready(Ok(event)) => event,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            };
            match op(self.get_ref()) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.state.clear_ready(direction, event);
                }
                result => {
                    if result.as_ref().is_ok_and(&drained) {
                        self.state.clear_ready(direction, event);
                    }
                    return Poll::Ready(result);
                }
            }
        }
    }

    /// One attempt of `op` without waiting (`WouldBlock` if not ready), clearing the
    /// readiness as [`IoSource::poll_until`] does.
    fn try_once<R>(
        &self,
        direction: Direction,
        op: impl FnOnce(&T) -> io::Result<R>,
        drained: impl Fn(&R) -> bool,
    ) -> io::Result<R> {
        let Poll::Ready(event) = self.state.peek_ready(direction) else {
            return Err(io::ErrorKind::WouldBlock.into());
        };
        let event = event?;
        let result = op(self.get_ref());
        let clear = match &result {
            Err(e) => e.kind() == io::ErrorKind::WouldBlock,
            Ok(value) => drained(value),
        };
        if clear {
            self.state.clear_ready(direction, event);
        }
        result
    }

    /// Like [`IoSource::poll_io`], for operations that need `&mut T`.
    pub(crate) fn poll_io_mut<R>(
        &mut self,
        cx: &mut Context<'_>,
        direction: Direction,
        mut op: impl FnMut(&mut T) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        loop {
            let event = match self.state.poll_ready(cx, direction) {
                Poll::Ready(Ok(event)) => event,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            };
            match op(self.io.as_mut().expect("source present until drop")) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.state.clear_ready(direction, event);
                }
                result => return Poll::Ready(result),
            }
        }
    }

    /// Waits until `direction` is ready (without doing any I/O).
    pub(crate) fn poll_ready(
        &self,
        cx: &mut Context<'_>,
        direction: Direction,
    ) -> Poll<io::Result<()>> {
        self.state.poll_ready(cx, direction).map_ok(|_| ())
    }
}

impl<T: mio::event::Source> Drop for IoSource<T> {
    fn drop(&mut self) {
        if let Some(mut io) = self.io.take() {
            // Deregistering can only fail if the fd is already closed, which we own: ignore.
            let _ = self.owner.registry.deregister(&mut io);
            drop(io);
        }
        let token = self.token as usize;
        let local = EventLoop::with_current(|lp| match lp {
            Some(lp) if lp.owns(&self.owner) => match lp.inner.reactor.try_borrow_mut() {
                Ok(mut reactor) => {
                    if reactor.sources.contains(token) {
                        reactor.sources.remove(token);
                    }
                    true
                }
                Err(_) => false,
            },
            _ => false,
        });
        if !local {
            self.owner.push(Remote::Release(token));
        }
    }
}

impl<T: mio::event::Source + std::fmt::Debug> std::fmt::Debug for IoSource<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IoSource")
            .field("io", &self.io)
            .field("token", &self.token)
            .finish()
    }
}
