//! The frontier: the URLs still to fetch and the set of URLs ever queued, in memory (with an
//! optional on-disk log, [`super::state`]) or shared through Redis ([`super::redis_frontier`]).
//!
//! Invariants (both kinds):
//! - a URL enters the frontier at most once: the seen-set is checked and updated in the same
//!   step, and never grows beyond `max_pages`;
//! - a worker calls [`Frontier::add`] for the links of a page before [`Frontier::complete`]
//!   for the page, so a page counted as done has its links in the frontier (on disk, durably);
//! - [`Frontier::take`] returns `None` only when nothing is queued and nothing is being
//!   fetched (by any worker, of any process sharing the frontier), or after [`Frontier::stop`].

use std::cell::{Cell, RefCell};
use std::collections::{HashSet, VecDeque};
use std::future::poll_fn;
use std::task::{Poll, Waker};

use url::Url;

use super::redis_frontier::RedisFrontier;
use super::state::StateLog;

/// A URL to fetch, with what the crawl knows about how it was reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// The URL, normalised (see [`super::engine::normalise`]).
    pub url: Url,
    /// Links followed from a seed (a redirect does not add depth).
    pub depth: u32,
    /// Redirects still allowed from here.
    pub redirects_left: u32,
    /// The page that linked (or redirected) here; `None` for seeds.
    pub referrer: Option<String>,
}

impl Item {
    /// The item as one line of JSON (the on-disk and Redis encoding).
    pub fn to_json(&self) -> String {
        serde_json::json!({
            "url": self.url.as_str(),
            "depth": self.depth,
            "redirects_left": self.redirects_left,
            "referrer": self.referrer,
        })
        .to_string()
    }

    /// Parses [`Item::to_json`]'s output; `None` if it is not one.
    pub fn from_json(text: &str) -> Option<Item> {
        let v: serde_json::Value = serde_json::from_str(text).ok()?;
        Some(Item {
            url: Url::parse(v["url"].as_str()?).ok()?,
            depth: u32::try_from(v["depth"].as_u64()?).ok()?,
            redirects_left: u32::try_from(v["redirects_left"].as_u64()?).ok()?,
            referrer: v["referrer"].as_str().map(str::to_owned),
        })
    }
}

/// Where the frontier lives.
pub enum Frontier {
    /// In this process, optionally logged to a state directory.
    Local(Box<Local>),
    /// In Redis, shared by every process pointed at it.
    Redis(Box<RedisFrontier>),
}

impl Frontier {
    /// Queues the items whose URLs were never seen; returns how many were queued.
    pub async fn add(&self, items: Vec<Item>) -> Result<usize, String> {
        match self {
            Frontier::Local(l) => Ok(l.add(items)),
            Frontier::Redis(r) => r.add(items).await,
        }
    }

    /// The next item to fetch, waiting while others may still add some; `None` at the end.
    pub async fn take(&self) -> Result<Option<Item>, String> {
        match self {
            Frontier::Local(l) => Ok(l.take().await),
            Frontier::Redis(r) => r.take().await,
        }
    }

    /// Marks `item` (taken by this process) done: with a state directory, durably.
    pub async fn complete(&self, item: &Item) -> Result<(), String> {
        match self {
            Frontier::Local(l) => l.complete(item).await,
            Frontier::Redis(r) => r.complete(item).await,
        }
    }

    /// Keeps the leases of a shared frontier alive while the crawl runs (never returns `Ok`
    /// for Redis; returns at once for a local frontier).
    pub async fn keep_leases(&self) -> Result<(), String> {
        match self {
            Frontier::Local(_) => Ok(()),
            Frontier::Redis(r) => r.keep_leases().await,
        }
    }

    /// Ends the crawl early (after a fatal error): every `take` returns `None` from now on.
    pub fn stop(&self) {
        match self {
            Frontier::Local(l) => l.stop(),
            Frontier::Redis(r) => r.stop(),
        }
    }

    /// Items queued and not yet taken (for Redis, as of the last claim).
    pub fn queued(&self) -> usize {
        match self {
            Frontier::Local(l) => l.queue.borrow().len(),
            Frontier::Redis(r) => r.queued(),
        }
    }

    /// Whether this frontier started from earlier work (a resumed state or a shared Redis).
    pub fn is_shared_or_resumed(&self) -> bool {
        match self {
            Frontier::Local(l) => l.resumed,
            Frontier::Redis(_) => true,
        }
    }
}

/// The in-process frontier.
pub struct Local {
    queue: RefCell<VecDeque<Item>>,
    seen: RefCell<HashSet<String>>,
    max_pages: Option<usize>,
    busy: Cell<usize>,
    stopped: Cell<bool>,
    idle_workers: RefCell<Vec<Waker>>,
    log: Option<StateLog>,
    resumed: bool,
}

impl Local {
    /// An empty frontier, or one restored from `log`'s directory.
    pub fn new(max_pages: Option<usize>, log: Option<(StateLog, super::state::Restored)>) -> Local {
        let (log, restored) = match log {
            Some((log, restored)) => (Some(log), restored),
            None => (None, super::state::Restored::default()),
        };
        let resumed = !restored.seen.is_empty();
        Local {
            queue: RefCell::new(restored.queue),
            seen: RefCell::new(restored.seen),
            max_pages,
            busy: Cell::new(0),
            stopped: Cell::new(false),
            idle_workers: RefCell::new(Vec::new()),
            log,
            resumed,
        }
    }

    fn add(&self, items: Vec<Item>) -> usize {
        let mut added = 0;
        let mut seen = self.seen.borrow_mut();
        for item in items {
            if self.max_pages.is_some_and(|max| seen.len() >= max) {
                break;
            }
            if !seen.insert(item.url.as_str().to_owned()) {
                continue;
            }
            if let Some(log) = &self.log {
                log.queued(&item);
            }
            self.queue.borrow_mut().push_back(item);
            added += 1;
            if let Some(w) = self.idle_workers.borrow_mut().pop() {
                w.wake();
            }
        }
        added
    }

    async fn take(&self) -> Option<Item> {
        poll_fn(|cx| {
            if self.stopped.get() {
                return Poll::Ready(None);
            }
            if let Some(item) = self.queue.borrow_mut().pop_front() {
                self.busy.set(self.busy.get() + 1);
                return Poll::Ready(Some(item));
            }
            if self.busy.get() == 0 {
                return Poll::Ready(None);
            }
            self.idle_workers.borrow_mut().push(cx.waker().clone());
            Poll::Pending
        })
        .await
    }

    async fn complete(&self, item: &Item) -> Result<(), String> {
        let result = match &self.log {
            Some(log) => {
                log.done(item);
                log.commit().await
            }
            None => Ok(()),
        };
        self.busy.set(self.busy.get() - 1);
        if self.busy.get() == 0 && self.queue.borrow().is_empty() {
            self.wake_all();
        }
        result
    }

    fn stop(&self) {
        self.stopped.set(true);
        self.wake_all();
    }

    fn wake_all(&self) {
        for w in self.idle_workers.borrow_mut().drain(..) {
            w.wake();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn item_json_round_trip() {
        let item = Item {
            url: Url::parse("http://h.test/a?b").unwrap(),
            depth: 3,
            redirects_left: 7,
            referrer: Some("http://h.test/".into()),
        };
        assert_eq!(Item::from_json(&item.to_json()), Some(item.clone()));
        let seed = Item {
            referrer: None,
            ..item
        };
        assert_eq!(Item::from_json(&seed.to_json()), Some(seed));
        assert_eq!(Item::from_json("{\"url\":\"http://h.test/\""), None);
        assert_eq!(Item::from_json("{}"), None);
    }
}
