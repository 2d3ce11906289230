//! [`CancellationToken`]: a cancellation flag shared by tasks, in a tree (as tokio-util's).
//!
//! Each token is a node: a flag, a [`Notify`] its waiting futures wait on, its parent (held
//! strongly, so a grandparent's cancellation always reaches a grandchild) and its children
//! (held weakly, in a slab, so a dropped child costs nothing). Cancelling a node sets its
//! flag, wakes its waiters with `notify_waiters` and cancels its children, iteratively (no
//! recursion, however deep the tree). A child created from a cancelled token is born
//! cancelled. When the last handle of a node goes, the node leaves its parent's slab.
//!
//! A waiting future holds one waiter entry in the node's `Notify` however often it is polled,
//! and removes it when dropped: polling `cancelled()` in a `select!` loop does not grow.

use std::fmt;
use std::future::{poll_fn, Future};
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::task::{Context, Poll};

use futures_core::future::FusedFuture;
use slab::Slab;

use super::notify::{Notify, Waiting};

/// A token to signal cancellation to any number of tasks, on any loop or thread.
///
/// Clones share one flag; [`CancellationToken::child_token`] makes a token that is cancelled
/// with its parent but can also be cancelled alone.
///
/// ```
/// use corio::sync::CancellationToken;
///
/// corio::block_on(async {
///     let shutdown = CancellationToken::new();
///     let worker = corio::spawn({
///         let token = shutdown.child_token();
///         async move {
///             token.cancelled().await;
///             "stopped"
///         }
///     });
///     shutdown.cancel();
///     assert_eq!(worker.await.unwrap(), "stopped");
/// });
/// ```
#[derive(Clone)]
pub struct CancellationToken {
    node: Arc<Node>,
}

struct Node {
    cancelled: AtomicBool,
    /// The live children, held weakly.
    children: Mutex<Slab<Weak<Node>>>,
    /// Woken (all waiters) on cancellation.
    notify: Notify,
    /// The parent and this node's key in its slab; `None` for a root or a node born
    /// cancelled.
    parent: Option<(Arc<Node>, usize)>,
}

impl Node {
    fn new(cancelled: bool, parent: Option<(Arc<Node>, usize)>) -> Node {
        Node {
            cancelled: AtomicBool::new(cancelled),
            children: Mutex::new(Slab::new()),
            notify: Notify::new(),
            parent,
        }
    }

    fn children(&self) -> MutexGuard<'_, Slab<Weak<Node>>> {
        self.children.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        if let Some((parent, key)) = &self.parent {
            // Absent if the parent was cancelled (which empties its slab, and then never
            // inserts again, so the key cannot have been reused).
            parent.children().try_remove(*key);
        }
    }
}

impl CancellationToken {
    /// A root token, not cancelled.
    pub fn new() -> CancellationToken {
        CancellationToken {
            node: Arc::new(Node::new(false, None)),
        }
    }

    /// A token cancelled when this one is (or on its own `cancel`, which does not reach this
    /// one).
    pub fn child_token(&self) -> CancellationToken {
        let mut children = self.node.children();
        // The flag is set under this lock, so a child is either registered before the parent
        // cancels (and then cancelled with it) or born cancelled.
        if self.node.cancelled.load(Ordering::SeqCst) {
            return CancellationToken {
                node: Arc::new(Node::new(true, None)),
            };
        }
        let entry = children.vacant_entry();
        let child = Arc::new(Node::new(false, Some((self.node.clone(), entry.key()))));
        entry.insert(Arc::downgrade(&child));
        CancellationToken { node: child }
    }

    /// Cancels this token and all its descendants, waking everything waiting on them.
    /// Idempotent.
    pub fn cancel(&self) {
        let mut pending = vec![self.node.clone()];
        while let Some(node) = pending.pop() {
            let children: Vec<Arc<Node>> = {
                let mut children = node.children();
                if node.cancelled.swap(true, Ordering::SeqCst) {
                    continue;
                }
                children
                    .drain()
                    .filter_map(|child| child.upgrade())
                    .collect()
            };
            node.notify.notify_waiters();
            pending.extend(children);
        }
    }

    /// Whether this token was cancelled (directly or through an ancestor).
    pub fn is_cancelled(&self) -> bool {
        self.node.cancelled.load(Ordering::SeqCst)
    }

    /// A future that completes once the token is cancelled.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: dropping it removes its waiter; nothing is consumed.
    pub fn cancelled(&self) -> WaitForCancellation<'_> {
        WaitForCancellation {
            waiting: Waiting::new(&self.node.notify),
            token: self,
            done: false,
        }
    }

    /// Like [`CancellationToken::cancelled`], owning a clone of the token (`'static`).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe.
    pub fn cancelled_owned(self) -> WaitForCancellationOwned {
        WaitForCancellationOwned {
            waiting: Waiting::new(&self.node.notify),
            token: self,
            done: false,
        }
    }

    /// A guard that cancels the token when dropped (unless disarmed): to cancel on every
    /// exit path of a scope, panics included.
    pub fn drop_guard(self) -> DropGuard {
        DropGuard { token: Some(self) }
    }

    /// Runs `future` until it completes (`Some(output)`) or the token is cancelled (`None`,
    /// and `future` is dropped). Cancellation is checked first.
    ///
    /// # Cancel safety
    ///
    /// As cancel safe as `future` is.
    pub async fn run_until_cancelled<F: Future>(&self, future: F) -> Option<F::Output> {
        let mut future = pin!(future);
        let mut cancelled = self.cancelled();
        poll_fn(|cx| {
            if Pin::new(&mut cancelled).poll(cx).is_ready() {
                return Poll::Ready(None);
            }
            future.as_mut().poll(cx).map(Some)
        })
        .await
    }
}

impl Default for CancellationToken {
    fn default() -> Self {
        CancellationToken::new()
    }
}

impl fmt::Debug for CancellationToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CancellationToken")
            .field("is_cancelled", &self.is_cancelled())
            .finish()
    }
}

/// Polls for cancellation of `node`, waiting with `waiting`.
fn poll_cancelled(node: &Node, waiting: &mut Waiting, cx: &mut Context<'_>) -> Poll<()> {
    loop {
        if node.cancelled.load(Ordering::SeqCst) {
            waiting.cancel(&node.notify);
            return Poll::Ready(());
        }
        match waiting.poll(&node.notify, cx) {
            // Woken: look at the flag again, waiting afresh if needed.
            Poll::Ready(()) => *waiting = Waiting::new(&node.notify),
            Poll::Pending => return Poll::Pending,
        }
    }
}

/// The future of [`CancellationToken::cancelled`]. Implements `FusedFuture`.
#[must_use = "futures do nothing unless polled"]
pub struct WaitForCancellation<'a> {
    token: &'a CancellationToken,
    waiting: Waiting,
    done: bool,
}

impl Future for WaitForCancellation<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        let poll = poll_cancelled(&this.token.node, &mut this.waiting, cx);
        this.done = poll.is_ready();
        poll
    }
}

impl FusedFuture for WaitForCancellation<'_> {
    fn is_terminated(&self) -> bool {
        self.done
    }
}

impl Drop for WaitForCancellation<'_> {
    fn drop(&mut self) {
        self.waiting.cancel(&self.token.node.notify);
    }
}

impl fmt::Debug for WaitForCancellation<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaitForCancellation")
            .field("done", &self.done)
            .finish()
    }
}

/// The future of [`CancellationToken::cancelled_owned`]. Implements `FusedFuture`.
///
/// ```
/// use corio::sync::CancellationToken;
///
/// corio::block_on(async {
///     let token = CancellationToken::new();
///     let task = corio::spawn(token.clone().cancelled_owned()); // 'static
///     token.cancel();
///     task.await.unwrap();
/// });
/// ```
#[must_use = "futures do nothing unless polled"]
pub struct WaitForCancellationOwned {
    token: CancellationToken,
    waiting: Waiting,
    done: bool,
}

impl Future for WaitForCancellationOwned {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        let poll = poll_cancelled(&this.token.node, &mut this.waiting, cx);
        this.done = poll.is_ready();
        poll
    }
}

impl FusedFuture for WaitForCancellationOwned {
    fn is_terminated(&self) -> bool {
        self.done
    }
}

impl Drop for WaitForCancellationOwned {
    fn drop(&mut self) {
        self.waiting.cancel(&self.token.node.notify);
    }
}

impl fmt::Debug for WaitForCancellationOwned {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaitForCancellationOwned")
            .field("done", &self.done)
            .finish()
    }
}

/// Cancels its token when dropped, unless [`DropGuard::disarm`]ed.
///
/// ```
/// use corio::sync::CancellationToken;
///
/// let token = CancellationToken::new();
/// {
///     let _guard = token.clone().drop_guard();
/// }
/// assert!(token.is_cancelled());
/// ```
#[must_use = "the token is cancelled at once if the guard is not kept"]
#[derive(Debug)]
pub struct DropGuard {
    /// `None` once disarmed.
    token: Option<CancellationToken>,
}

impl DropGuard {
    /// Gives the token back without cancelling it.
    pub fn disarm(mut self) -> CancellationToken {
        self.token
            .take()
            .expect("a guard holds its token until disarmed")
    }
}

impl Drop for DropGuard {
    fn drop(&mut self) {
        if let Some(token) = &self.token {
            token.cancel();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dropped_child_leaves_its_parent() {
        let root = CancellationToken::new();
        for _ in 0..1000 {
            let child = root.child_token();
            let grandchild = child.child_token();
            drop(child);
            assert_eq!(
                root.node.children().len(),
                1,
                "the grandchild keeps its parent"
            );
            drop(grandchild);
        }
        assert_eq!(root.node.children().len(), 0);
        let kept = root.child_token();
        root.cancel();
        assert!(kept.is_cancelled());
        assert_eq!(root.node.children().len(), 0);
    }
}
