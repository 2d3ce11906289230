//! [`Mutex`]: an async mutex whose guard may be held across `.await`.
//!
//! It is a [`Semaphore`] with one permit (FIFO, so lockers are served in arrival order) and a
//! slot holding the value. Without `unsafe` there is no `UnsafeCell` to lend the value
//! from, so the guard *takes* the value out of the slot and puts it back when dropped; the
//! value lives in a `Box` so that this move is one pointer whatever the size of `T`. The slot
//! is a `std::sync::Mutex` held only for that move, never across an `.await`.
//!
//! Like tokio's, it is not poisoned: a guard dropped by a panic puts the value back and
//! unlocks.

use std::fmt;
use std::future::Future;
use std::ops::{Deref, DerefMut};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_core::future::FusedFuture;

use super::semaphore::{AcquireWait, Semaphore};

/// An async mutual-exclusion lock, as tokio's `Mutex`.
///
/// Prefer `std::sync::Mutex` when the lock is never held across an `.await`; use this one
/// when it is. Works across loops, and from plain threads with [`Mutex::blocking_lock`].
///
/// ```
/// use std::sync::Arc;
/// use corio::sync::Mutex;
///
/// corio::block_on(async {
///     let count = Arc::new(Mutex::new(0));
///     let tasks: Vec<_> = (0..10)
///         .map(|_| {
///             let count = count.clone();
///             corio::spawn(async move {
///                 let mut guard = count.lock().await;
///                 corio::yield_now().await; // held across an await
///                 *guard += 1;
///             })
///         })
///         .collect();
///     for task in tasks {
///         task.await.unwrap();
///     }
///     assert_eq!(*count.lock().await, 10);
/// });
/// ```
pub struct Mutex<T> {
    semaphore: Semaphore,
    /// `Some` while unlocked; the guard holds the value while locked.
    slot: std::sync::Mutex<Option<Box<T>>>,
}

/// [`Mutex::try_lock`] failed: the mutex is locked (or others are queued for it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TryLockError(());

impl fmt::Display for TryLockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("mutex is locked")
    }
}

impl std::error::Error for TryLockError {}

impl<T> Mutex<T> {
    /// An unlocked mutex holding `value`.
    pub fn new(value: T) -> Mutex<T> {
        Mutex {
            semaphore: Semaphore::new(1),
            slot: std::sync::Mutex::new(Some(Box::new(value))),
        }
    }

    /// Waits for the lock.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe, and fair: lockers are served in the order they first polled; dropping the
    /// future gives up its place.
    pub fn lock(&self) -> Lock<'_, T> {
        Lock {
            mutex: self,
            wait: AcquireWait::new(1),
        }
    }

    /// Waits for the lock, returning a guard that holds an `Arc` of the mutex (`'static`).
    ///
    /// # Cancel safety
    ///
    /// As [`Mutex::lock`].
    pub fn lock_owned(self: Arc<Self>) -> LockOwned<T> {
        LockOwned {
            mutex: self,
            wait: AcquireWait::new(1),
        }
    }

    /// Locks from a plain thread, blocking it until the lock is free.
    ///
    /// # Panics
    ///
    /// If called on a corio event loop thread (it would block the loop).
    pub fn blocking_lock(&self) -> MutexGuard<'_, T> {
        super::park::wait("Mutex::blocking_lock", self.lock())
    }

    /// Locks if the lock is free now and nobody is queued for it.
    pub fn try_lock(&self) -> Result<MutexGuard<'_, T>, TryLockError> {
        let permit = self.semaphore.try_acquire().map_err(|_| TryLockError(()))?;
        permit.forget();
        Ok(MutexGuard {
            mutex: self,
            value: Some(self.take()),
        })
    }

    /// [`Mutex::try_lock`] with an owned guard.
    pub fn try_lock_owned(self: Arc<Self>) -> Result<OwnedMutexGuard<T>, TryLockError> {
        let permit = self.semaphore.try_acquire().map_err(|_| TryLockError(()))?;
        permit.forget();
        let value = Some(self.take());
        Ok(OwnedMutexGuard { mutex: self, value })
    }

    /// The value, through a unique borrow (no locking needed).
    pub fn get_mut(&mut self) -> &mut T {
        self.slot
            .get_mut()
            .unwrap_or_else(|e| e.into_inner())
            .as_deref_mut()
            .expect("an exclusively borrowed mutex is unlocked")
    }

    /// The value, consuming the mutex.
    pub fn into_inner(self) -> T {
        *self
            .slot
            .into_inner()
            .unwrap_or_else(|e| e.into_inner())
            .expect("an owned mutex is unlocked")
    }

    /// Takes the value out of the slot; the caller holds the permit.
    fn take(&self) -> Box<T> {
        self.slot
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
            .expect("the holder of the permit finds the value in the slot")
    }

    /// Puts the value back and unlocks.
    fn unlock(&self, value: Box<T>) {
        *self.slot.lock().unwrap_or_else(|e| e.into_inner()) = Some(value);
        self.semaphore.release(1);
    }
}

impl<T: Default> Default for Mutex<T> {
    fn default() -> Self {
        Mutex::new(T::default())
    }
}

impl<T> From<T> for Mutex<T> {
    fn from(value: T) -> Self {
        Mutex::new(value)
    }
}

impl<T> fmt::Debug for Mutex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mutex")
            .field("locked", &(self.semaphore.available_permits() == 0))
            .finish()
    }
}

/// The future of [`Mutex::lock`]. Implements `FusedFuture`.
#[must_use = "futures do nothing unless polled"]
pub struct Lock<'a, T> {
    mutex: &'a Mutex<T>,
    wait: AcquireWait,
}

impl<'a, T> Future for Lock<'a, T> {
    type Output = MutexGuard<'a, T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<MutexGuard<'a, T>> {
        let this = self.get_mut();
        match this.wait.poll(&this.mutex.semaphore, cx) {
            Poll::Ready(result) => {
                result.expect("a mutex's semaphore is never closed");
                Poll::Ready(MutexGuard {
                    mutex: this.mutex,
                    value: Some(this.mutex.take()),
                })
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<T> FusedFuture for Lock<'_, T> {
    fn is_terminated(&self) -> bool {
        self.wait.is_done()
    }
}

impl<T> Drop for Lock<'_, T> {
    fn drop(&mut self) {
        self.wait.cancel(&self.mutex.semaphore);
    }
}

impl<T> fmt::Debug for Lock<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Lock").field("wait", &self.wait).finish()
    }
}

/// The future of [`Mutex::lock_owned`]. Implements `FusedFuture`.
#[must_use = "futures do nothing unless polled"]
pub struct LockOwned<T> {
    mutex: Arc<Mutex<T>>,
    wait: AcquireWait,
}

impl<T> Future for LockOwned<T> {
    type Output = OwnedMutexGuard<T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<OwnedMutexGuard<T>> {
        let this = self.get_mut();
        match this.wait.poll(&this.mutex.semaphore, cx) {
            Poll::Ready(result) => {
                result.expect("a mutex's semaphore is never closed");
                Poll::Ready(OwnedMutexGuard {
                    value: Some(this.mutex.take()),
                    mutex: this.mutex.clone(),
                })
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<T> FusedFuture for LockOwned<T> {
    fn is_terminated(&self) -> bool {
        self.wait.is_done()
    }
}

impl<T> Drop for LockOwned<T> {
    fn drop(&mut self) {
        self.wait.cancel(&self.mutex.semaphore);
    }
}

impl<T> fmt::Debug for LockOwned<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LockOwned")
            .field("wait", &self.wait)
            .finish()
    }
}

/// The lock of a [`Mutex`], held; dropping it unlocks. May be held across `.await`.
///
/// ```
/// use corio::sync::Mutex;
///
/// let mutex = Mutex::new(String::from("a"));
/// let mut guard = mutex.try_lock().unwrap();
/// guard.push('b');
/// assert!(mutex.try_lock().is_err());
/// drop(guard);
/// assert_eq!(*mutex.try_lock().unwrap(), "ab");
/// ```
#[must_use = "the mutex unlocks at once if the guard is not kept"]
pub struct MutexGuard<'a, T> {
    mutex: &'a Mutex<T>,
    /// `Some` until dropped.
    value: Option<Box<T>>,
}

impl<T> Deref for MutexGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        self.value.as_deref().expect("a live guard holds the value")
    }
}

impl<T> DerefMut for MutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        self.value
            .as_deref_mut()
            .expect("a live guard holds the value")
    }
}

impl<T> Drop for MutexGuard<'_, T> {
    fn drop(&mut self) {
        if let Some(value) = self.value.take() {
            self.mutex.unlock(value);
        }
    }
}

impl<T: fmt::Debug> fmt::Debug for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

/// The lock of a [`Mutex`] held with an `Arc` of it (`'static`); dropping it unlocks.
///
/// ```
/// use std::sync::Arc;
/// use corio::sync::Mutex;
///
/// corio::block_on(async {
///     let mutex = Arc::new(Mutex::new(0));
///     let guard = mutex.clone().lock_owned().await;
///     let task = corio::spawn(async move {
///         let mut guard = guard; // the lock travels with the task
///         *guard += 1;
///     });
///     task.await.unwrap();
///     assert_eq!(*mutex.lock().await, 1);
/// });
/// ```
#[must_use = "the mutex unlocks at once if the guard is not kept"]
pub struct OwnedMutexGuard<T> {
    mutex: Arc<Mutex<T>>,
    /// `Some` until dropped.
    value: Option<Box<T>>,
}

impl<T> OwnedMutexGuard<T> {
    /// The mutex it locks.
    pub fn mutex(&self) -> &Arc<Mutex<T>> {
        &self.mutex
    }
}

impl<T> Deref for OwnedMutexGuard<T> {
    type Target = T;

    fn deref(&self) -> &T {
        self.value.as_deref().expect("a live guard holds the value")
    }
}

impl<T> DerefMut for OwnedMutexGuard<T> {
    fn deref_mut(&mut self) -> &mut T {
        self.value
            .as_deref_mut()
            .expect("a live guard holds the value")
    }
}

impl<T> Drop for OwnedMutexGuard<T> {
    fn drop(&mut self) {
        if let Some(value) = self.value.take() {
            self.mutex.unlock(value);
        }
    }
}

impl<T: fmt::Debug> fmt::Debug for OwnedMutexGuard<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}
