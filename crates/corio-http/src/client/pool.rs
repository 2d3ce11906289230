//! The connection pool: keep-alive connections keyed by (scheme, host, port), with limits.
//!
//! Invariants:
//! - `open` of a host counts its idle and its leased connections and the connects in
//!   progress for it; `total` is the sum over hosts. Neither ever exceeds its limit: a caller
//!   that would exceed one waits in a FIFO queue of [`Waiter`]s;
//! - a [`Lease`] is the only way to hold a slot; dropping it closes its connection (if any)
//!   and frees the slot, [`Lease::release`] returns the connection to the idle list instead;
//! - idle lists are ordered oldest first; the most recently used connection is reused first
//!   (it is the least likely to have been closed by the server), connections idle for longer
//!   than the idle timeout are closed when next looked at, and at most `max_idle_per_host`
//!   stay idle per host (the oldest is closed first);
//! - when the total limit is reached, an idle connection of another host is closed to make
//!   room before anyone waits;
//! - every freed slot or newly idle connection wakes the first waiter that can proceed, and a
//!   woken waiter that goes away without using its chance passes it on: no lost wake-ups.
//!
//! A `Client` keeps one pool per thread (see `send.rs`), so its lock is all but never
//! contended; it is an `Arc<Mutex>` rather than `Rc<RefCell>` so that a [`Lease`] (and the
//! body and futures holding one) is `Send`: a request future may be spawned with
//! `corio::spawn`, and a response moved to another thread still returns its connection to the
//! pool it came from. The fast path takes the lock twice per request (acquire, release); no
//! lock is held while a connection is closed or a waker runs.

use std::collections::VecDeque;
use std::future::poll_fn;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Poll, Waker};
use std::time::{Duration, Instant};

use super::conn::Conn;

/// The identity of an origin: connections are shared only between equal keys.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Key {
    /// `http` or `https`: a TLS and a cleartext connection to one host are never mixed.
    pub scheme: &'static str,
    pub host: String,
    pub port: u16,
}

impl Key {
    fn matches(&self, scheme: &str, host: &str, port: u16) -> bool {
        self.port == port && self.scheme == scheme && self.host == host
    }
}

/// The pool's limits.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PoolConfig {
    pub idle_timeout: Duration,
    pub max_idle_per_host: usize,
    pub max_connections: usize,
    pub max_connections_per_host: usize,
}

struct Idle {
    conn: Box<Conn>,
    since: Instant,
}

struct Host {
    key: Arc<Key>,
    idle: VecDeque<Idle>,
    open: usize,
}

struct Waiter {
    key: Arc<Key>,
    fresh: bool,
    /// Written only under the pool's lock (the inner lock is for the type system).
    waker: Mutex<Waker>,
    notified: AtomicBool,
}

struct State {
    config: PoolConfig,
    hosts: Vec<Host>,
    total: usize,
    waiters: VecDeque<Arc<Waiter>>,
}

/// Pool statistics, for tests and diagnostics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PoolStats {
    /// Connections open (idle, leased or connecting).
    pub open: usize,
    /// Idle connections.
    pub idle: usize,
    /// Tasks waiting for a connection slot.
    pub waiting: usize,
}

/// A shared handle to the pool.
#[derive(Clone)]
pub(crate) struct Pool {
    state: Arc<Mutex<State>>,
}

/// A connection slot, with its connection once connected.
pub(crate) struct Lease {
    pool: Pool,
    key: Arc<Key>,
    /// `None` while connecting. Boxed (once per connection) so that a lease, and the
    /// response body that holds one, is small to move: a request's response moves through
    /// several futures.
    pub conn: Option<Box<Conn>>,
    returned: bool,
}

impl Lease {
    /// Whether the lease came with a connection from the idle list.
    #[cfg(test)]
    pub(crate) fn is_pooled(&self) -> bool {
        self.conn.is_some()
    }

    /// Puts the connection back on the idle list (it must be at a message boundary).
    pub(crate) fn release(mut self) {
        if let Some(conn) = self.conn.take() {
            self.returned = true;
            self.pool.put_idle(&self.key, conn);
        }
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        if !self.returned {
            self.conn = None;
            self.pool.closed(&self.key);
        }
    }
}

impl Pool {
    pub(crate) fn new(config: PoolConfig) -> Pool {
        Pool {
            state: Arc::new(Mutex::new(State {
                config,
                hosts: Vec::new(),
                total: 0,
                waiters: VecDeque::new(),
            })),
        }
    }

    /// The state. Nothing under the lock panics short of a broken invariant (a bug), and a
    /// poisoned lock is taken as it is rather than failing every later request.
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn stats(&self) -> PoolStats {
        let s = self.lock();
        PoolStats {
            open: s.total,
            idle: s.hosts.iter().map(|h| h.idle.len()).sum(),
            waiting: s.waiters.len(),
        }
    }

    /// A slot for the origin (`scheme`, `host`, `port`): with an idle connection (unless
    /// `fresh`), or empty for the caller to connect. Waits while the limits are reached.
    ///
    /// Each poll looks and, if it must wait, queues its waiter under one lock, so a slot
    /// freed from another thread in between cannot be missed.
    pub(crate) async fn acquire(
        &self,
        scheme: &'static str,
        host: &str,
        port: u16,
        fresh: bool,
    ) -> Lease {
        let mut waiter: Option<WaiterGuard> = None;
        poll_fn(|cx| {
            let mut closing = Vec::new();
            let mut s = self.lock();
            let key = match &waiter {
                Some(w) => w.waiter.key.clone(),
                None => s.key(scheme, host, port),
            };
            if let Some(conn) = s.take(&key, fresh, &mut closing) {
                drop(s);
                drop(closing);
                if let Some(w) = waiter.as_mut() {
                    w.used = true;
                }
                return Poll::Ready(Lease {
                    pool: self.clone(),
                    key,
                    conn,
                    returned: false,
                });
            }
            match &waiter {
                Some(w) if !w.waiter.notified.load(Ordering::Relaxed) => {
                    w.waiter.set_waker(cx.waker());
                }
                Some(w) => {
                    // Woken but beaten to it: back to the front of the queue.
                    w.waiter.notified.store(false, Ordering::Relaxed);
                    w.waiter.set_waker(cx.waker());
                    s.waiters.push_front(w.waiter.clone());
                }
                None => {
                    let w = Arc::new(Waiter {
                        key,
                        fresh,
                        waker: Mutex::new(cx.waker().clone()),
                        notified: AtomicBool::new(false),
                    });
                    s.waiters.push_back(w.clone());
                    waiter = Some(WaiterGuard {
                        pool: self.clone(),
                        waiter: w,
                        used: false,
                    });
                }
            }
            drop(s);
            drop(closing);
            Poll::Pending
        })
        .await
    }

    fn put_idle(&self, key: &Arc<Key>, conn: Box<Conn>) {
        let mut closing = Vec::new();
        let wake = {
            let mut s = self.lock();
            let max_idle = s.config.max_idle_per_host;
            let timeout = s.config.idle_timeout;
            let now = Instant::now();
            let i = s.host_index(key);
            let host = &mut s.hosts[i];
            host.idle.push_back(Idle { conn, since: now });
            let mut dropped = 0;
            while host.idle.len() > max_idle
                || host.idle.front().is_some_and(|c| now - c.since >= timeout)
            {
                let Some(old) = host.idle.pop_front() else {
                    break;
                };
                closing.push(old.conn);
                dropped += 1;
            }
            host.open -= dropped;
            s.total -= dropped;
            s.wake_next()
        };
        drop(closing);
        if let Some(waker) = wake {
            waker.wake();
        }
    }

    fn closed(&self, key: &Arc<Key>) {
        let wake = {
            let mut s = self.lock();
            let i = s.host_index(key);
            s.hosts[i].open -= 1;
            s.total -= 1;
            let wake = s.wake_next();
            s.forget_unused(i);
            wake
        };
        if let Some(waker) = wake {
            waker.wake();
        }
    }
}

impl Waiter {
    /// Stores the waker of the latest poll (called under the pool's lock).
    fn set_waker(&self, waker: &Waker) {
        self.waker
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone_from(waker);
    }
}

impl State {
    /// The key of the origin's entry, made on first use.
    fn key(&mut self, scheme: &'static str, host: &str, port: u16) -> Arc<Key> {
        if let Some(h) = self
            .hosts
            .iter()
            .find(|h| h.key.matches(scheme, host, port))
        {
            return h.key.clone();
        }
        let key = Arc::new(Key {
            scheme,
            host: host.to_owned(),
            port,
        });
        self.hosts.push(Host {
            key: key.clone(),
            idle: VecDeque::new(),
            open: 0,
        });
        key
    }

    fn host_index(&self, key: &Arc<Key>) -> usize {
        self.hosts
            .iter()
            .position(|h| Arc::ptr_eq(&h.key, key))
            .expect("host entry lives while a lease or waiter holds its key")
    }

    /// Removes the entry of host `i` if nothing but the entry itself and the lease being
    /// dropped refers to it (waiters and other leases hold the key too).
    fn forget_unused(&mut self, i: usize) {
        let h = &self.hosts[i];
        if h.open == 0 && Arc::strong_count(&h.key) <= 2 {
            self.hosts.swap_remove(i);
        }
    }

    /// Takes a slot: `Some(Some(conn))` reuses an idle connection, `Some(None)` permits a
    /// connect, `None` means wait. Connections to close are pushed on `closing` (dropped
    /// by the caller once the lock is released), in the boxes they live in (taking them out
    /// would copy each for nothing).
    #[allow(clippy::vec_box)]
    fn take(
        &mut self,
        key: &Arc<Key>,
        fresh: bool,
        closing: &mut Vec<Box<Conn>>,
    ) -> Option<Option<Box<Conn>>> {
        let now = Instant::now();
        let (timeout, per_host, max_total) = (
            self.config.idle_timeout,
            self.config.max_connections_per_host,
            self.config.max_connections,
        );
        let i = self.host_index(key);
        let host = &mut self.hosts[i];
        // Expired idle connections are closed, oldest first.
        let mut expired = 0;
        while host.idle.front().is_some_and(|c| now - c.since >= timeout) {
            if let Some(old) = host.idle.pop_front() {
                closing.push(old.conn);
                expired += 1;
            }
        }
        host.open -= expired;
        self.total -= expired;
        let host = &mut self.hosts[i];
        if !fresh {
            if let Some(idle) = host.idle.pop_back() {
                return Some(Some(idle.conn));
            }
        } else if host.open >= per_host {
            // A fresh connection is wanted: make room by closing an idle one of this host.
            let old = host.idle.pop_front()?;
            closing.push(old.conn);
            host.open -= 1;
            self.total -= 1;
        }
        let host = &mut self.hosts[i];
        if host.open >= per_host {
            return None;
        }
        if self.total >= max_total {
            // Close the oldest idle connection of any host to make room.
            let victim = self
                .hosts
                .iter()
                .enumerate()
                .filter_map(|(j, h)| h.idle.front().map(|c| (c.since, j)))
                .min()?;
            let old = self.hosts[victim.1].idle.pop_front()?;
            closing.push(old.conn);
            self.hosts[victim.1].open -= 1;
            self.total -= 1;
        }
        self.hosts[i].open += 1;
        self.total += 1;
        Some(None)
    }

    /// Whether a waiter for `key` could get a slot now.
    fn can_proceed(&self, key: &Arc<Key>, fresh: bool) -> bool {
        let Some(host) = self.hosts.iter().find(|h| Arc::ptr_eq(&h.key, key)) else {
            return false;
        };
        if !fresh && !host.idle.is_empty() {
            return true;
        }
        let per_host_room =
            host.open < self.config.max_connections_per_host || (fresh && !host.idle.is_empty());
        let total_room = self.total < self.config.max_connections
            || self.hosts.iter().any(|h| !h.idle.is_empty());
        per_host_room && total_room
    }

    /// Takes the first waiter that can proceed off the queue, marked notified; returns its
    /// waker, for the caller to wake once the lock is released.
    fn wake_next(&mut self) -> Option<Waker> {
        let pos = self
            .waiters
            .iter()
            .position(|w| self.can_proceed(&w.key, w.fresh))?;
        let w = self.waiters.remove(pos)?;
        w.notified.store(true, Ordering::Relaxed);
        let waker = w.waker.lock().unwrap_or_else(PoisonError::into_inner);
        Some(waker.clone())
    }
}

/// A registered waiter; on drop it leaves the queue, or passes on a wake-up it did not use.
struct WaiterGuard {
    pool: Pool,
    waiter: Arc<Waiter>,
    used: bool,
}

impl Drop for WaiterGuard {
    fn drop(&mut self) {
        let wake = {
            let mut s = self.pool.lock();
            if let Some(pos) = s.waiters.iter().position(|w| Arc::ptr_eq(w, &self.waiter)) {
                s.waiters.remove(pos);
                None
            } else if self.waiter.notified.load(Ordering::Relaxed) && !self.used {
                s.wake_next()
            } else {
                None
            }
        };
        if let Some(waker) = wake {
            waker.wake();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(max_idle: usize, total: usize, per_host: usize) -> PoolConfig {
        PoolConfig {
            idle_timeout: Duration::from_secs(60),
            max_idle_per_host: max_idle,
            max_connections: total,
            max_connections_per_host: per_host,
        }
    }

    #[test]
    fn limits_and_waiters() {
        corio::block_on(async {
            let pool = Pool::new(config(1, 2, 1));
            let a = pool.acquire("http", "a", 80, false).await;
            assert!(!a.is_pooled());
            assert_eq!(pool.stats().open, 1);
            // Per-host limit: a second lease for "a" waits until the first is dropped.
            let p2 = pool.clone();
            let waiting = corio::spawn_local(async move {
                let l = p2.acquire("http", "a", 80, false).await;
                l.is_pooled()
            });
            corio::yield_now().await;
            assert_eq!(pool.stats().waiting, 1);
            let b = pool.acquire("http", "b", 80, false).await;
            assert_eq!(pool.stats().open, 2);
            drop(a);
            assert!(!waiting.await.unwrap());
            drop(b);
            assert_eq!(pool.stats(), PoolStats::default());
        });
    }
}
