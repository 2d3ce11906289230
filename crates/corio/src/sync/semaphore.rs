//! [`Semaphore`]: a count of permits, handed out in FIFO order.
//!
//! State, under one `std::sync::Mutex`: the permits available, whether it is closed, the queue
//! of waiting acquirers (each with the number of permits it asks for), and the tickets that
//! were granted their permits and whose futures have not taken them yet.
//!
//! **Fairness is strict FIFO**: permits released go to the oldest waiter; while it waits for
//! more than are available, nobody behind it is served, and `acquire`/`try_acquire` do not
//! overtake a queue that is not empty. So a large request is never starved by small ones.

use std::collections::HashSet;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

use futures_core::future::FusedFuture;

use super::wait_queue::{wake_all, Ticket, WaitQueue};

/// A counting semaphore, as tokio's: `acquire().await` a permit, drop it to give it back.
///
/// Works across loops and from plain threads (`try_acquire`, `add_permits` and dropping a
/// permit never block).
///
/// ```
/// use std::sync::Arc;
/// use corio::sync::Semaphore;
///
/// corio::block_on(async {
///     let semaphore = Arc::new(Semaphore::new(2));
///     let first = semaphore.acquire().await.unwrap();
///     let _second = semaphore.clone().acquire_owned().await.unwrap();
///     assert!(semaphore.try_acquire().is_err());
///     drop(first);
///     assert_eq!(semaphore.available_permits(), 1);
/// });
/// ```
pub struct Semaphore {
    state: Mutex<State>,
}

struct State {
    permits: usize,
    closed: bool,
    /// Acquirers waiting, with the permits each asks for.
    waiters: WaitQueue<u32>,
    /// Tickets granted their permits, not yet taken by their futures.
    granted: HashSet<Ticket>,
}

/// [`Semaphore::acquire`] failed: the semaphore was closed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcquireError(());

impl fmt::Display for AcquireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("semaphore closed")
    }
}

impl std::error::Error for AcquireError {}

/// Why [`Semaphore::try_acquire`] failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TryAcquireError {
    /// The semaphore was closed.
    Closed,
    /// Not enough permits are available now (or others are queued first).
    NoPermits,
}

impl fmt::Display for TryAcquireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryAcquireError::Closed => f.write_str("semaphore closed"),
            TryAcquireError::NoPermits => f.write_str("no permits available"),
        }
    }
}

impl std::error::Error for TryAcquireError {}

impl Semaphore {
    /// The most permits a semaphore holds (tokio's bound), so that counts never overflow.
    pub const MAX_PERMITS: usize = usize::MAX >> 3;

    /// A semaphore with `permits` permits.
    ///
    /// # Panics
    ///
    /// If `permits` exceeds [`Semaphore::MAX_PERMITS`].
    pub fn new(permits: usize) -> Semaphore {
        assert!(
            permits <= Semaphore::MAX_PERMITS,
            "a semaphore holds at most {} permits",
            Semaphore::MAX_PERMITS
        );
        Semaphore {
            state: Mutex::new(State {
                permits,
                closed: false,
                waiters: WaitQueue::default(),
                granted: HashSet::new(),
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The permits available now.
    pub fn available_permits(&self) -> usize {
        self.lock().permits
    }

    /// Adds `n` permits, serving waiters in order. Works after `close` too.
    ///
    /// # Panics
    ///
    /// If the total would exceed [`Semaphore::MAX_PERMITS`].
    pub fn add_permits(&self, n: usize) {
        let wakers = {
            let mut state = self.lock();
            assert!(
                state.permits.saturating_add(n) <= Semaphore::MAX_PERMITS,
                "a semaphore holds at most {} permits",
                Semaphore::MAX_PERMITS
            );
            state.permits += n;
            grant(&mut state)
        };
        wake_all(wakers);
    }

    /// Closes the semaphore: waiting and future acquirers fail with [`AcquireError`]; permits
    /// already held stay valid.
    pub fn close(&self) {
        let wakers = {
            let mut state = self.lock();
            state.closed = true;
            state.waiters.take_all()
        };
        wake_all(wakers);
    }

    /// Whether [`Semaphore::close`] was called.
    pub fn is_closed(&self) -> bool {
        self.lock().closed
    }

    /// Waits for one permit.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe, and fair: dropping the future gives up its place in the queue (and any
    /// permit it was just granted goes to the next waiter).
    pub fn acquire(&self) -> Acquire<'_> {
        self.acquire_many(1)
    }

    /// Waits for `n` permits at once (they are granted together, in FIFO order).
    ///
    /// # Cancel safety
    ///
    /// As [`Semaphore::acquire`].
    pub fn acquire_many(&self, n: u32) -> Acquire<'_> {
        Acquire {
            semaphore: self,
            wait: AcquireWait::new(n),
        }
    }

    /// Waits for one permit that holds an `Arc` of the semaphore (for `'static` tasks).
    ///
    /// # Cancel safety
    ///
    /// As [`Semaphore::acquire`].
    pub fn acquire_owned(self: Arc<Self>) -> AcquireOwned {
        self.acquire_many_owned(1)
    }

    /// Waits for `n` permits held with an `Arc` of the semaphore.
    ///
    /// # Cancel safety
    ///
    /// As [`Semaphore::acquire`].
    pub fn acquire_many_owned(self: Arc<Self>, n: u32) -> AcquireOwned {
        AcquireOwned {
            semaphore: self,
            wait: AcquireWait::new(n),
        }
    }

    /// Takes one permit if one is available now and nobody is queued.
    pub fn try_acquire(&self) -> Result<SemaphorePermit<'_>, TryAcquireError> {
        self.try_acquire_many(1)
    }

    /// Takes `n` permits if available now and nobody is queued.
    pub fn try_acquire_many(&self, n: u32) -> Result<SemaphorePermit<'_>, TryAcquireError> {
        self.take_now(n)?;
        Ok(SemaphorePermit {
            semaphore: self,
            permits: n,
        })
    }

    /// [`Semaphore::try_acquire`] with an owned permit.
    pub fn try_acquire_owned(self: Arc<Self>) -> Result<OwnedSemaphorePermit, TryAcquireError> {
        self.try_acquire_many_owned(1)
    }

    /// [`Semaphore::try_acquire_many`] with an owned permit.
    pub fn try_acquire_many_owned(
        self: Arc<Self>,
        n: u32,
    ) -> Result<OwnedSemaphorePermit, TryAcquireError> {
        self.take_now(n)?;
        Ok(OwnedSemaphorePermit {
            semaphore: self,
            permits: n,
        })
    }

    fn take_now(&self, n: u32) -> Result<(), TryAcquireError> {
        let mut state = self.lock();
        if state.closed {
            Err(TryAcquireError::Closed)
        } else if state.waiters.is_empty() && state.permits >= n as usize {
            state.permits -= n as usize;
            Ok(())
        } else {
            Err(TryAcquireError::NoPermits)
        }
    }

    /// Gives back `n` permits taken by an acquirer.
    pub(crate) fn release(&self, n: u32) {
        let wakers = {
            let mut state = self.lock();
            state.permits += n as usize;
            grant(&mut state)
        };
        wake_all(wakers);
    }
}

/// Grants permits to the waiters at the front of the queue while they fit; returns the wakers
/// of those served.
fn grant(state: &mut State) -> Vec<Waker> {
    let mut wakers = Vec::new();
    while let Some(&wanted) = state.waiters.front() {
        if wanted as usize > state.permits {
            break;
        }
        let (ticket, waker, _) = state.waiters.pop_front().expect("front exists");
        state.permits -= wanted as usize;
        state.granted.insert(ticket);
        wakers.push(waker);
    }
    wakers
}

impl fmt::Debug for Semaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.lock();
        f.debug_struct("Semaphore")
            .field("permits", &state.permits)
            .field("closed", &state.closed)
            .field("waiters", &state.waiters.len())
            .finish()
    }
}

/// Where one acquirer stands; shared by [`Acquire`], [`AcquireOwned`] and the building blocks
/// made of a semaphore (the async `Mutex`, bounded channels).
#[derive(Debug)]
pub(crate) struct AcquireWait {
    wanted: u32,
    stage: Stage,
}

#[derive(Debug, Clone, Copy)]
enum Stage {
    Idle,
    Queued(Ticket),
    Done,
}

impl AcquireWait {
    pub(crate) fn new(wanted: u32) -> AcquireWait {
        AcquireWait {
            wanted,
            stage: Stage::Idle,
        }
    }

    /// Ready with `Ok` once the permits belong to the caller (who must release them).
    pub(crate) fn poll(
        &mut self,
        semaphore: &Semaphore,
        cx: &mut Context<'_>,
    ) -> Poll<Result<(), AcquireError>> {
        let mut state = semaphore.lock();
        let result = match self.stage {
            Stage::Idle => {
                if state.closed {
                    Err(AcquireError(()))
                } else if state.waiters.is_empty() && state.permits >= self.wanted as usize {
                    state.permits -= self.wanted as usize;
                    Ok(())
                } else {
                    let ticket = state.waiters.push(cx.waker(), self.wanted);
                    self.stage = Stage::Queued(ticket);
                    return Poll::Pending;
                }
            }
            Stage::Queued(ticket) => {
                if state.granted.remove(&ticket) {
                    Ok(())
                } else if state.closed {
                    state.waiters.remove(ticket);
                    Err(AcquireError(()))
                } else if state.waiters.refresh(ticket, cx.waker()) {
                    return Poll::Pending;
                } else {
                    unreachable!("a semaphore waiter left the queue without permits or close")
                }
            }
            Stage::Done => panic!("semaphore acquire future polled after it completed"),
        };
        self.stage = Stage::Done;
        Poll::Ready(result)
    }

    pub(crate) fn is_done(&self) -> bool {
        matches!(self.stage, Stage::Done)
    }

    /// Leaves the queue (the future is dropped), handing on permits granted but not taken.
    pub(crate) fn cancel(&mut self, semaphore: &Semaphore) {
        if let Stage::Queued(ticket) = self.stage {
            self.stage = Stage::Done;
            let wakers = {
                let mut state = semaphore.lock();
                if state.waiters.remove(ticket).is_none() && state.granted.remove(&ticket) {
                    state.permits += self.wanted as usize;
                }
                // Leaving the front may let those behind be served.
                grant(&mut state)
            };
            wake_all(wakers);
        }
    }
}

/// The future of [`Semaphore::acquire`]. Implements `FusedFuture`.
#[must_use = "futures do nothing unless polled"]
#[derive(Debug)]
pub struct Acquire<'a> {
    semaphore: &'a Semaphore,
    wait: AcquireWait,
}

impl<'a> Future for Acquire<'a> {
    type Output = Result<SemaphorePermit<'a>, AcquireError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        this.wait
            .poll(this.semaphore, cx)
            .map_ok(|()| SemaphorePermit {
                semaphore: this.semaphore,
                permits: this.wait.wanted,
            })
    }
}

impl FusedFuture for Acquire<'_> {
    fn is_terminated(&self) -> bool {
        self.wait.is_done()
    }
}

impl Drop for Acquire<'_> {
    fn drop(&mut self) {
        self.wait.cancel(self.semaphore);
    }
}

/// The future of [`Semaphore::acquire_owned`]. Implements `FusedFuture`.
#[must_use = "futures do nothing unless polled"]
#[derive(Debug)]
pub struct AcquireOwned {
    semaphore: Arc<Semaphore>,
    wait: AcquireWait,
}

impl Future for AcquireOwned {
    type Output = Result<OwnedSemaphorePermit, AcquireError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        this.wait
            .poll(&this.semaphore, cx)
            .map_ok(|()| OwnedSemaphorePermit {
                semaphore: this.semaphore.clone(),
                permits: this.wait.wanted,
            })
    }
}

impl FusedFuture for AcquireOwned {
    fn is_terminated(&self) -> bool {
        self.wait.is_done()
    }
}

impl Drop for AcquireOwned {
    fn drop(&mut self) {
        self.wait.cancel(&self.semaphore);
    }
}

/// Permits borrowed from a [`Semaphore`]; dropping it gives them back.
///
/// ```
/// use corio::sync::Semaphore;
///
/// let semaphore = Semaphore::new(3);
/// let permit = semaphore.try_acquire_many(2).unwrap();
/// assert_eq!(permit.num_permits(), 2);
/// permit.forget(); // kept for good
/// assert_eq!(semaphore.available_permits(), 1);
/// ```
#[must_use = "the permit is released at once if not kept"]
#[derive(Debug)]
pub struct SemaphorePermit<'a> {
    semaphore: &'a Semaphore,
    permits: u32,
}

impl SemaphorePermit<'_> {
    /// Keeps the permits taken for good (the semaphore has that many fewer).
    pub fn forget(mut self) {
        self.permits = 0;
    }

    /// How many permits it holds.
    pub fn num_permits(&self) -> usize {
        self.permits as usize
    }
}

impl Drop for SemaphorePermit<'_> {
    fn drop(&mut self) {
        if self.permits > 0 {
            self.semaphore.release(self.permits);
        }
    }
}

/// Permits held with an `Arc` of their [`Semaphore`]; dropping it gives them back.
///
/// Moved into a task, it bounds how many such tasks run at once:
///
/// ```
/// use std::sync::Arc;
/// use corio::sync::{JoinSet, Semaphore};
///
/// corio::block_on(async {
///     let limit = Arc::new(Semaphore::new(2));
///     let mut tasks = JoinSet::new();
///     for i in 0..5 {
///         let permit = limit.clone().acquire_owned().await.unwrap();
///         tasks.spawn(async move {
///             let _permit = permit; // released when the task ends
///             i
///         });
///     }
///     assert_eq!(tasks.join_all().await.len(), 5);
/// });
/// ```
#[must_use = "the permit is released at once if not kept"]
#[derive(Debug)]
pub struct OwnedSemaphorePermit {
    semaphore: Arc<Semaphore>,
    permits: u32,
}

impl OwnedSemaphorePermit {
    /// Keeps the permits taken for good (the semaphore has that many fewer).
    pub fn forget(mut self) {
        self.permits = 0;
    }

    /// How many permits it holds.
    pub fn num_permits(&self) -> usize {
        self.permits as usize
    }

    /// The semaphore it came from.
    pub fn semaphore(&self) -> &Arc<Semaphore> {
        &self.semaphore
    }
}

impl Drop for OwnedSemaphorePermit {
    fn drop(&mut self) {
        if self.permits > 0 {
            self.semaphore.release(self.permits);
        }
    }
}
