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
//! The pool lives on one event loop (`Rc`/`RefCell`); it is not `Send`: a `Client` keeps one
//! per thread (see `send.rs`).

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::future::poll_fn;
use std::rc::Rc;
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
    conn: Conn,
    since: Instant,
}

struct Host {
    key: Rc<Key>,
    idle: VecDeque<Idle>,
    open: usize,
}

struct Waiter {
    key: Rc<Key>,
    fresh: bool,
    waker: RefCell<Waker>,
    notified: Cell<bool>,
}

struct State {
    config: PoolConfig,
    hosts: Vec<Host>,
    total: usize,
    waiters: VecDeque<Rc<Waiter>>,
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
    state: Rc<RefCell<State>>,
}

/// A connection slot, with its connection once connected.
pub(crate) struct Lease {
    pool: Pool,
    key: Rc<Key>,
    /// `None` while connecting.
    pub conn: Option<Conn>,
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
            state: Rc::new(RefCell::new(State {
                config,
                hosts: Vec::new(),
                total: 0,
                waiters: VecDeque::new(),
            })),
        }
    }

    pub(crate) fn stats(&self) -> PoolStats {
        let s = self.state.borrow();
        PoolStats {
            open: s.total,
            idle: s.hosts.iter().map(|h| h.idle.len()).sum(),
            waiting: s.waiters.len(),
        }
    }

    /// A slot for `key`'s origin: with an idle connection (unless `fresh`), or empty for the
    /// caller to connect. Waits while the limits are reached.
    pub(crate) async fn acquire(
        &self,
        scheme: &'static str,
        host: &str,
        port: u16,
        fresh: bool,
    ) -> Lease {
        let key = self.key(scheme, host, port);
        let mut waiter: Option<WaiterGuard> = None;
        poll_fn(|cx| {
            if let Some(lease) = self.try_acquire(&key, fresh) {
                if let Some(w) = waiter.as_mut() {
                    w.used = true;
                }
                return Poll::Ready(lease);
            }
            let mut s = self.state.borrow_mut();
            match &waiter {
                Some(w) if !w.waiter.notified.get() => {
                    w.waiter.waker.borrow_mut().clone_from(cx.waker());
                }
                Some(w) => {
                    // Woken but beaten to it: back to the front of the queue.
                    w.waiter.notified.set(false);
                    w.waiter.waker.borrow_mut().clone_from(cx.waker());
                    s.waiters.push_front(w.waiter.clone());
                }
                None => {
                    let w = Rc::new(Waiter {
                        key: key.clone(),
                        fresh,
                        waker: RefCell::new(cx.waker().clone()),
                        notified: Cell::new(false),
                    });
                    s.waiters.push_back(w.clone());
                    waiter = Some(WaiterGuard {
                        pool: self.clone(),
                        waiter: w,
                        used: false,
                    });
                }
            }
            Poll::Pending
        })
        .await
    }

    fn key(&self, scheme: &'static str, host: &str, port: u16) -> Rc<Key> {
        let mut s = self.state.borrow_mut();
        if let Some(h) = s.hosts.iter().find(|h| h.key.matches(scheme, host, port)) {
            return h.key.clone();
        }
        let key = Rc::new(Key {
            scheme,
            host: host.to_owned(),
            port,
        });
        s.hosts.push(Host {
            key: key.clone(),
            idle: VecDeque::new(),
            open: 0,
        });
        key
    }

    fn try_acquire(&self, key: &Rc<Key>, fresh: bool) -> Option<Lease> {
        let mut closing = Vec::new();
        let lease = self.state.borrow_mut().take(key, fresh, &mut closing);
        drop(closing);
        lease.map(|conn| Lease {
            pool: self.clone(),
            key: key.clone(),
            conn,
            returned: false,
        })
    }

    fn put_idle(&self, key: &Rc<Key>, conn: Conn) {
        let mut closing = Vec::new();
        {
            let mut s = self.state.borrow_mut();
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
            s.wake_next();
        }
        drop(closing);
    }

    fn closed(&self, key: &Rc<Key>) {
        let mut s = self.state.borrow_mut();
        let i = s.host_index(key);
        s.hosts[i].open -= 1;
        s.total -= 1;
        s.wake_next();
        s.forget_unused(i);
    }
}

impl State {
    fn host_index(&self, key: &Rc<Key>) -> usize {
        self.hosts
            .iter()
            .position(|h| Rc::ptr_eq(&h.key, key))
            .expect("host entry lives while a lease or waiter holds its key")
    }

    /// Removes the entry of host `i` if nothing but the entry itself and the lease being
    /// dropped refers to it (waiters and other leases hold the key too).
    fn forget_unused(&mut self, i: usize) {
        let h = &self.hosts[i];
        if h.open == 0 && Rc::strong_count(&h.key) <= 2 {
            self.hosts.swap_remove(i);
        }
    }

    /// Takes a slot: `Some(Some(conn))` reuses an idle connection, `Some(None)` permits a
    /// connect, `None` means wait. Connections to close are pushed on `closing` (dropped
    /// by the caller once the state is no longer borrowed).
    fn take(
        &mut self,
        key: &Rc<Key>,
        fresh: bool,
        closing: &mut Vec<Conn>,
    ) -> Option<Option<Conn>> {
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
    fn can_proceed(&self, key: &Rc<Key>, fresh: bool) -> bool {
        let Some(host) = self.hosts.iter().find(|h| Rc::ptr_eq(&h.key, key)) else {
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

    /// Wakes the first waiter that can proceed.
    fn wake_next(&mut self) {
        let Some(pos) = self
            .waiters
            .iter()
            .position(|w| self.can_proceed(&w.key, w.fresh))
        else {
            return;
        };
        if let Some(w) = self.waiters.remove(pos) {
            w.notified.set(true);
            w.waker.borrow().wake_by_ref();
        }
    }
}

/// A registered waiter; on drop it leaves the queue, or passes on a wake-up it did not use.
struct WaiterGuard {
    pool: Pool,
    waiter: Rc<Waiter>,
    used: bool,
}

impl Drop for WaiterGuard {
    fn drop(&mut self) {
        let mut s = self.pool.state.borrow_mut();
        if let Some(pos) = s.waiters.iter().position(|w| Rc::ptr_eq(w, &self.waiter)) {
            s.waiters.remove(pos);
        } else if self.waiter.notified.get() && !self.used {
            s.wake_next();
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
