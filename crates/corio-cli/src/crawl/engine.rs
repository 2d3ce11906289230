//! The crawler: a queue of URLs, a seen-set, and N worker tasks on one loop
//! ("A Web Crawler With asyncio Coroutines", 500 Lines or Less), with retries.
//!
//! Invariants:
//! - a URL (fragment dropped) enters the queue at most once: the seen-set is checked and
//!   updated in the same step, and never grows beyond `max_pages`;
//! - redirects are not followed by the client: their targets are queued like links (so they
//!   are deduplicated and stay on the host), each carrying its remaining redirect budget;
//! - transient failures (connection errors, timeouts, 5xx) are retried up to `max_tries`
//!   fetches in total, with a short growing pause between tries;
//! - links are taken only from `text/html` bodies of 200 responses, and only same-host,
//!   `http://` or `https://` and not excluded links are queued;
//! - the crawl ends when the queue is empty and no worker is fetching; every URL taken from
//!   the queue produces exactly one [`Stat`].

use std::cell::{Cell, RefCell};
use std::collections::{HashSet, VecDeque};
use std::future::poll_fn;
use std::rc::Rc;
use std::task::{Poll, Waker};
use std::time::Duration;

use corio_http::client::{Client, Request};
use regex::Regex;
use url::Url;

use super::links;

/// Largest HTML page read for links: real pages are far smaller; this bounds memory per
/// worker.
pub const MAX_HTML: u64 = 10 * 1024 * 1024;
/// Pause before the first retry, doubled for each later one: gives a briefly overloaded
/// server a moment without slowing the crawl much.
pub const RETRY_PAUSE: Duration = Duration::from_millis(20);

/// What to crawl and how.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where to start; also defines the host to stay on.
    pub root: Url,
    /// Worker tasks (requests in flight).
    pub max_tasks: usize,
    /// Fetch attempts per URL.
    pub max_tries: u32,
    /// Redirects followed from one URL.
    pub max_redirect: u32,
    /// Most URLs fetched (`None`: no limit).
    pub max_pages: Option<usize>,
    /// URLs matching this are not queued.
    pub exclude: Option<Regex>,
    /// Treat `www.host` and `host` as the same host.
    pub lenient: bool,
}

/// The record of one fetched URL.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stat {
    /// The URL.
    pub url: String,
    /// The final status, if a response arrived.
    pub status: Option<u16>,
    /// Body bytes received.
    pub size: u64,
    /// The media type of the response.
    pub content_type: Option<String>,
    /// Links found in the page (after filtering by host and exclusion).
    pub links: usize,
    /// Links (or redirect targets) that were queued because they were new.
    pub new_links: usize,
    /// Where a redirect pointed.
    pub redirect: Option<String>,
    /// Fetch attempts made.
    pub tries: u32,
    /// The last error, if no response arrived.
    pub error: Option<String>,
}

/// Called as each URL completes, with the crawler for its counters.
pub type OnStat = Box<dyn Fn(&Stat, &Crawler)>;

/// The shared crawl state.
pub struct Crawler {
    config: Config,
    client: Client,
    queue: RefCell<VecDeque<(Url, u32)>>,
    seen: RefCell<HashSet<String>>,
    busy: Cell<usize>,
    idle_workers: RefCell<Vec<Waker>>,
    done: RefCell<Vec<Stat>>,
    on_stat: OnStat,
}

impl Crawler {
    /// A crawler; `on_stat` is called as each URL completes (for output and progress).
    pub fn new(config: Config, client: Client, on_stat: OnStat) -> Rc<Crawler> {
        let crawler = Rc::new(Crawler {
            client,
            queue: RefCell::new(VecDeque::new()),
            seen: RefCell::new(HashSet::new()),
            busy: Cell::new(0),
            idle_workers: RefCell::new(Vec::new()),
            done: RefCell::new(Vec::new()),
            on_stat,
            config,
        });
        let root = crawler.config.root.clone();
        crawler.add(root, crawler.config.max_redirect);
        crawler
    }

    /// URLs queued and not yet taken.
    pub fn queued(&self) -> usize {
        self.queue.borrow().len()
    }

    /// URLs being fetched.
    pub fn in_flight(&self) -> usize {
        self.busy.get()
    }

    /// URLs finished.
    pub fn finished(&self) -> usize {
        self.done.borrow().len()
    }

    /// Runs the crawl to its end and returns the stats in completion order.
    pub async fn run(self: &Rc<Crawler>) -> Vec<Stat> {
        let workers: Vec<_> = (0..self.config.max_tasks.max(1))
            .map(|_| corio::spawn_local(worker(self.clone())))
            .collect();
        for w in workers {
            let _ = w.await;
        }
        std::mem::take(&mut *self.done.borrow_mut())
    }

    /// Whether `url` may be crawled: http or https, same host and port, not excluded.
    pub fn allowed(&self, url: &Url) -> bool {
        matches!(url.scheme(), "http" | "https")
            && same_host(url, &self.config.root, self.config.lenient)
            && !self
                .config
                .exclude
                .as_ref()
                .is_some_and(|re| re.is_match(url.as_str()))
    }

    /// Queues `url` if allowed and never seen; returns whether it was queued.
    fn add(&self, mut url: Url, redirects_left: u32) -> bool {
        url.set_fragment(None);
        if !self.allowed(&url) {
            return false;
        }
        let mut seen = self.seen.borrow_mut();
        if self.config.max_pages.is_some_and(|max| seen.len() >= max) {
            return false;
        }
        if !seen.insert(url.as_str().to_owned()) {
            return false;
        }
        self.queue.borrow_mut().push_back((url, redirects_left));
        if let Some(w) = self.idle_workers.borrow_mut().pop() {
            w.wake();
        }
        true
    }

    async fn fetch(&self, url: Url, redirects_left: u32) -> Stat {
        let mut stat = Stat {
            url: url.to_string(),
            ..Stat::default()
        };
        let mut pause = RETRY_PAUSE;
        let resp = loop {
            stat.tries += 1;
            let last = stat.tries >= self.config.max_tries;
            match self.client.send_streaming(Request::get(url.as_str())).await {
                Ok(mut resp) if resp.status.is_server_error() && !last => {
                    let _ = resp.body.discard().await;
                }
                Ok(resp) => break resp,
                Err(e) if e.is_transient() && !last => stat.error = Some(e.to_string()),
                Err(e) => {
                    stat.error = Some(e.to_string());
                    return stat;
                }
            }
            corio::time::sleep(pause).await;
            pause *= 2;
        };
        stat.error = None;
        stat.status = Some(resp.status.as_u16());
        stat.content_type = resp.content_type();
        if resp.status.is_redirection() {
            if let Some(next) = resp
                .headers
                .get(http::header::LOCATION)
                .and_then(|l| l.to_str().ok())
                .and_then(|l| url.join(l).ok())
            {
                stat.redirect = Some(next.to_string());
                if redirects_left > 0 && self.add(next, redirects_left - 1) {
                    stat.new_links = 1;
                }
            }
        }
        let html = resp.status == http::StatusCode::OK
            && stat.content_type.as_deref() == Some("text/html");
        let mut body = resp.body;
        if !html {
            match body.discard().await {
                Ok(n) => stat.size = n,
                Err(e) => stat.error = Some(e.to_string()),
            }
            return stat;
        }
        let mut page = Vec::new();
        while let Some(chunk) = body.chunk().await {
            match chunk {
                Ok(c) if page.len() as u64 + (c.len() as u64) <= MAX_HTML => {
                    page.extend_from_slice(&c)
                }
                Ok(_) => {
                    stat.error = Some(format!("{url}: page larger than {MAX_HTML} bytes"));
                    break;
                }
                Err(e) => {
                    stat.error = Some(e.to_string());
                    break;
                }
            }
        }
        stat.size = body.received();
        let text = String::from_utf8_lossy(&page);
        for link in links::extract(&text, &url) {
            if !self.allowed(&link) {
                continue;
            }
            stat.links += 1;
            if self.add(link, self.config.max_redirect) {
                stat.new_links += 1;
            }
        }
        stat
    }

    /// Takes the next URL, waiting while others are still fetching (they may add more).
    /// `None` when the crawl is over.
    async fn next(&self) -> Option<(Url, u32)> {
        poll_fn(|cx| {
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

    fn finish(&self, stat: Stat) {
        self.busy.set(self.busy.get() - 1);
        (self.on_stat)(&stat, self);
        self.done.borrow_mut().push(stat);
        if self.busy.get() == 0 && self.queue.borrow().is_empty() {
            // The end: every waiting worker must see it.
            for w in self.idle_workers.borrow_mut().drain(..) {
                w.wake();
            }
        }
    }
}

async fn worker(crawler: Rc<Crawler>) {
    while let Some((url, redirects_left)) = crawler.next().await {
        let stat = crawler.fetch(url, redirects_left).await;
        crawler.finish(stat);
    }
}

/// Whether `url` is on the root's host and port (ignoring a `www.` prefix if `lenient`).
pub fn same_host(url: &Url, root: &Url, lenient: bool) -> bool {
    let strip = |h: &str| -> String {
        let h = h.to_ascii_lowercase();
        match h.strip_prefix("www.") {
            Some(rest) if lenient => rest.to_owned(),
            _ => h,
        }
    };
    url.port_or_known_default() == root.port_or_known_default()
        && match (url.host_str(), root.host_str()) {
            (Some(a), Some(b)) => strip(a) == strip(b),
            _ => false,
        }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts() {
        let root = Url::parse("http://example.test/").unwrap();
        let www = Url::parse("http://www.example.test/x").unwrap();
        let same = Url::parse("http://EXAMPLE.test:80/y").unwrap();
        let port = Url::parse("http://example.test:8080/").unwrap();
        assert!(same_host(&same, &root, false));
        assert!(!same_host(&www, &root, false));
        assert!(same_host(&www, &root, true));
        assert!(!same_host(&port, &root, true));
    }
}
