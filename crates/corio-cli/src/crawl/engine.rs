//! The crawler: a frontier ([`super::frontier`]) and N worker tasks on one loop ("A Web
//! Crawler With asyncio Coroutines", 500 Lines or Less), with robots.txt, politeness per
//! host, retries and Retry-After.
//!
//! Invariants:
//! - URLs are normalised by [`normalise`] before they are compared or queued;
//! - redirects are not followed by the client: their targets are queued like links (so they
//!   are deduplicated and stay in scope), each carrying its remaining redirect budget, at the
//!   depth of the redirecting URL;
//! - a URL robots.txt disallows is not fetched; it is counted, not reported as a fetch;
//! - transient failures (connection errors, timeouts, 5xx, 429) are retried up to
//!   `max_tries` fetches in total, after a growing pause or, for 429 and 503, after the
//!   `Retry-After` the server asked for (which holds every request to that host);
//! - links are taken only from HTML bodies of 200 responses; other bodies are read (to check
//!   them, and for the WARC) and dropped;
//! - every URL taken from the frontier is completed there after its links were added, then
//!   reported to `on_stat`, once.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;
use std::time::{Duration, Instant, SystemTime};

use corio_http::client::{Client, ClientBody, ClientRequest};
use regex::Regex;
use url::Url;

use super::frontier::{Frontier, Item};
use super::links::Extractor;
use super::polite::{self, Gates};
use super::robots::RobotsCache;
use super::warc::{Exchange, Warc};

/// Largest body read (for links or the WARC): real pages are far smaller; this bounds
/// memory per worker.
pub const MAX_BODY: u64 = 10 * 1024 * 1024;
/// Pause before the first retry, doubled for each later one: gives a briefly overloaded
/// server a moment without slowing the crawl much.
pub const RETRY_PAUSE: Duration = Duration::from_millis(20);
/// Referring pages kept per URL for the broken-link report: enough to find the link.
pub const MAX_REFERRERS: usize = 20;

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
    /// Links followed from a seed (`None`: no limit).
    pub max_depth: Option<u32>,
    /// Only URLs matching this are queued (seeds too).
    pub include: Option<Regex>,
    /// URLs matching this are not queued.
    pub exclude: Option<Regex>,
    /// Treat `www.host` and `host` as the same host.
    pub lenient: bool,
    /// Follow `rel=nofollow` links too.
    pub follow_nofollow: bool,
    /// The User-Agent sent (also for robots.txt).
    pub user_agent: String,
    /// Least time between two requests to one host.
    pub delay: Duration,
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
    /// Links found in the page (after filtering by scope).
    pub links: usize,
    /// Links (or redirect targets) that were queued because they were new.
    pub new_links: usize,
    /// Where a redirect pointed.
    pub redirect: Option<String>,
    /// Fetch attempts made.
    pub tries: u32,
    /// The last error, if no response arrived (or the body failed).
    pub error: Option<String>,
    /// Links followed from a seed to reach it.
    pub depth: u32,
    /// The page that linked here.
    pub referrer: Option<String>,
    /// From the first request to the end of the body.
    pub time: Duration,
}

impl Stat {
    /// Whether this URL is a broken link: no response, or a status of 400 or more.
    pub fn is_broken(&self) -> bool {
        self.status.is_none_or(|s| s >= 400)
    }
}

/// Called as each URL completes, with the crawler for its counters.
pub type OnStat = Box<dyn Fn(&Stat, &Crawler)>;

/// The shared crawl state.
pub struct Crawler {
    config: Config,
    client: Client,
    frontier: Frontier,
    robots: Option<RobotsCache>,
    gates: Gates,
    warc: Option<Warc>,
    referrers: RefCell<HashMap<String, Vec<String>>>,
    busy: Cell<usize>,
    finished: Cell<usize>,
    disallowed: Cell<usize>,
    fatal: RefCell<Option<String>>,
    on_stat: OnStat,
}

/// What a crawl did.
pub struct Outcome {
    /// The fetches, in completion order.
    pub stats: Vec<Stat>,
    /// URLs robots.txt did not allow.
    pub disallowed: usize,
    /// For each URL, pages that link to it (up to [`MAX_REFERRERS`]).
    pub referrers: HashMap<String, Vec<String>>,
}

/// The parts a crawler is made of.
pub struct Parts {
    /// Fetches pages (with redirects off).
    pub client: Client,
    /// The frontier.
    pub frontier: Frontier,
    /// robots.txt rules, unless ignored.
    pub robots: Option<RobotsCache>,
    /// Concurrent requests per host.
    pub per_host: usize,
    /// Where to record fetches.
    pub warc: Option<Warc>,
}

/// `url` as the crawl compares it: the url crate's WHATWG normalisation (lowercase scheme
/// and host, default port dropped, dot segments resolved, `/` for an empty path,
/// percent-encoding where required) with the fragment dropped.
pub fn normalise(mut url: Url) -> Url {
    url.set_fragment(None);
    url
}

/// Reads `body` to its end, keeping at most `limit` bytes; returns them and whether more
/// arrived than kept.
pub async fn read_limited(
    body: &mut ClientBody,
    limit: u64,
) -> Result<(Vec<u8>, bool), corio_http::client::Error> {
    let mut out = Vec::new();
    let mut cut = false;
    while let Some(chunk) = body.chunk().await {
        let chunk = chunk?;
        let room = usize::try_from(limit.saturating_sub(out.len() as u64)).unwrap_or(usize::MAX);
        cut |= chunk.len() > room;
        out.extend_from_slice(&chunk[..chunk.len().min(room)]);
    }
    Ok((out, cut))
}

impl Crawler {
    /// A crawler; `on_stat` is called as each URL completes (for output and progress).
    pub fn new(config: Config, parts: Parts, on_stat: OnStat) -> Rc<Crawler> {
        Rc::new(Crawler {
            gates: Gates::new(parts.per_host),
            client: parts.client,
            frontier: parts.frontier,
            robots: parts.robots,
            warc: parts.warc,
            referrers: RefCell::new(HashMap::new()),
            busy: Cell::new(0),
            finished: Cell::new(0),
            disallowed: Cell::new(0),
            fatal: RefCell::new(None),
            on_stat,
            config,
        })
    }

    /// The robots.txt cache, if robots.txt is honoured.
    pub fn robots(&self) -> Option<&RobotsCache> {
        self.robots.as_ref()
    }

    /// URLs queued and not yet taken.
    pub fn queued(&self) -> usize {
        self.frontier.queued()
    }

    /// URLs being fetched.
    pub fn in_flight(&self) -> usize {
        self.busy.get()
    }

    /// URLs finished.
    pub fn finished(&self) -> usize {
        self.finished.get()
    }

    /// Whether the frontier holds earlier work (resumed or shared).
    pub fn is_shared_or_resumed(&self) -> bool {
        self.frontier.is_shared_or_resumed()
    }

    /// Queues seeds (depth 0) that are in scope; returns how many were new.
    pub async fn seed(&self, urls: Vec<Url>) -> Result<usize, String> {
        let items = urls
            .into_iter()
            .map(normalise)
            .filter(|u| self.allowed(u))
            .map(|url| Item {
                url,
                depth: 0,
                redirects_left: self.config.max_redirect,
                referrer: None,
            })
            .collect();
        self.frontier.add(items).await
    }

    /// Runs the crawl to its end.
    pub async fn run(self: &Rc<Crawler>) -> Result<Outcome, String> {
        let workers: Vec<_> = (0..self.config.max_tasks.max(1))
            .map(|_| corio::spawn_local(worker(self.clone())))
            .collect();
        let me = self.clone();
        let leases = corio::spawn_local(async move {
            if let Err(e) = me.frontier.keep_leases().await {
                me.fail(e);
            }
        });
        let mut stats = Vec::new();
        for w in workers {
            if let Ok(mut s) = w.await {
                stats.append(&mut s);
            }
        }
        leases.abort();
        if let Some(warc) = &self.warc {
            if let Err(e) = warc.finish() {
                self.fail(format!("--warc: {e}"));
            }
        }
        if let Some(e) = self.fatal.borrow_mut().take() {
            return Err(e);
        }
        Ok(Outcome {
            stats,
            disallowed: self.disallowed.get(),
            referrers: std::mem::take(&mut *self.referrers.borrow_mut()),
        })
    }

    fn fail(&self, e: String) {
        self.fatal.borrow_mut().get_or_insert(e);
        self.frontier.stop();
    }

    /// Whether `url` is in scope: the root's scheme and host, included, not excluded.
    pub fn allowed(&self, url: &Url) -> bool {
        url.scheme() == self.config.root.scheme()
            && same_host(url, &self.config.root, self.config.lenient)
            && self
                .config
                .include
                .as_ref()
                .is_none_or(|re| re.is_match(url.as_str()))
            && !self
                .config
                .exclude
                .as_ref()
                .is_some_and(|re| re.is_match(url.as_str()))
    }

    /// Records that `from` links to `to`.
    fn referred(&self, to: &Url, from: &Url) {
        let mut map = self.referrers.borrow_mut();
        let list = map.entry(to.as_str().to_owned()).or_default();
        if list.len() < MAX_REFERRERS && list.last().is_none_or(|l| l != from.as_str()) {
            list.push(from.as_str().to_owned());
        }
    }

    /// Fetches `item` (unless robots.txt forbids it); returns its stat (`None` if
    /// disallowed) and the items it leads to.
    async fn visit(&self, item: &Item) -> (Option<Stat>, Vec<Item>) {
        let url = &item.url;
        let mut delay = self.config.delay;
        if let Some(robots) = &self.robots {
            let rules = robots.get(url).await;
            if !rules.allowed(url) {
                self.disallowed.set(self.disallowed.get() + 1);
                return (None, Vec::new());
            }
            delay = delay.max(rules.delay().unwrap_or_default());
        }
        let host = url.origin().ascii_serialization();
        let mut stat = Stat {
            url: url.to_string(),
            depth: item.depth,
            referrer: item.referrer.clone(),
            ..Stat::default()
        };
        let start = Instant::now();
        let mut pause = RETRY_PAUSE;
        let (resp, permit) = loop {
            stat.tries += 1;
            let last = stat.tries >= self.config.max_tries;
            let permit = self.gates.acquire(&host, delay).await;
            let wait = match self
                .client
                .send_streaming(ClientRequest::get(url.as_str()))
                .await
            {
                Ok(mut resp) if !last && matches!(resp.status.as_u16(), 429 | 503) => {
                    let asked = resp
                        .headers
                        .get(http::header::RETRY_AFTER)
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| polite::retry_after(v, SystemTime::now()));
                    let _ = resp.body.discard().await;
                    match asked {
                        Some(wait) => {
                            self.gates.hold(&host, Instant::now() + wait);
                            None
                        }
                        None => Some(pause),
                    }
                }
                Ok(mut resp) if !last && resp.status.is_server_error() => {
                    let _ = resp.body.discard().await;
                    Some(pause)
                }
                Ok(resp) => break (resp, permit),
                Err(e) if e.is_transient() && !last => {
                    stat.error = Some(e.to_string());
                    Some(pause)
                }
                Err(e) => {
                    stat.error = Some(e.to_string());
                    stat.time = start.elapsed();
                    return (Some(stat), Vec::new());
                }
            };
            drop(permit);
            if let Some(p) = wait {
                corio::time::sleep(p).await;
                pause *= 2;
            }
        };
        stat.error = None;
        stat.status = Some(resp.status.as_u16());
        stat.content_type = resp.content_type();
        let mut next = Vec::new();
        if resp.status.is_redirection() {
            if let Some(to) = resp
                .headers
                .get(http::header::LOCATION)
                .and_then(|l| l.to_str().ok())
                .and_then(|l| url.join(l).ok())
                .map(normalise)
            {
                stat.redirect = Some(to.to_string());
                if item.redirects_left > 0 && self.allowed(&to) {
                    self.referred(&to, url);
                    next.push(Item {
                        url: to,
                        depth: item.depth,
                        redirects_left: item.redirects_left - 1,
                        referrer: Some(url.to_string()),
                    });
                }
            }
        }
        let html = resp.status == http::StatusCode::OK
            && matches!(
                stat.content_type.as_deref(),
                Some("text/html" | "application/xhtml+xml")
            );
        let (status, version, headers, mut body) = (
            resp.status,
            resp.version,
            resp.headers.into_map(),
            resp.body,
        );
        let mut extractor = html.then(|| Extractor::new(url));
        let mut kept = Vec::new();
        let mut cut = false;
        if extractor.is_none() && self.warc.is_none() {
            if let Err(e) = body.discard().await {
                stat.error = Some(e.to_string());
            }
        } else {
            while let Some(chunk) = body.chunk().await {
                let chunk = match chunk {
                    Ok(c) => c,
                    Err(e) => {
                        stat.error = Some(e.to_string());
                        break;
                    }
                };
                if kept.len() as u64 + chunk.len() as u64 > MAX_BODY {
                    cut = true;
                    stat.error = Some(format!("body larger than {MAX_BODY} bytes"));
                    break;
                }
                if let Some(x) = &mut extractor {
                    if let Err(e) = x.write(&chunk) {
                        stat.error = Some(format!("HTML: {e}"));
                        extractor = None;
                    }
                }
                if self.warc.is_some() {
                    kept.extend_from_slice(&chunk);
                }
            }
        }
        drop(permit);
        stat.size = body.received();
        stat.time = start.elapsed();
        if let Some(warc) = &self.warc {
            let x = Exchange {
                url,
                user_agent: &self.config.user_agent,
                status,
                version: version.into(),
                headers: &headers,
                body: &kept,
                truncated: cut,
            };
            if let Err(e) = warc.write(&x) {
                self.fail(format!("--warc: {e}"));
            }
        }
        let links = match extractor.map(Extractor::finish) {
            Some(Ok(links)) => links,
            Some(Err(e)) => {
                stat.error = Some(format!("HTML: {e}"));
                Vec::new()
            }
            None => Vec::new(),
        };
        let depth = item.depth + 1;
        let deep_enough = self.config.max_depth.is_some_and(|max| depth > max);
        for link in links {
            if (link.nofollow && !self.config.follow_nofollow) || !self.allowed(&link.url) {
                continue;
            }
            stat.links += 1;
            self.referred(&link.url, url);
            if !deep_enough {
                next.push(Item {
                    url: normalise(link.url),
                    depth,
                    redirects_left: self.config.max_redirect,
                    referrer: Some(url.to_string()),
                });
            }
        }
        (Some(stat), next)
    }
}

async fn worker(crawler: Rc<Crawler>) -> Vec<Stat> {
    let mut stats = Vec::new();
    loop {
        let item = match crawler.frontier.take().await {
            Ok(Some(item)) => item,
            Ok(None) => break,
            Err(e) => {
                crawler.fail(e);
                break;
            }
        };
        crawler.busy.set(crawler.busy.get() + 1);
        let (stat, next) = crawler.visit(&item).await;
        let added = crawler.frontier.add(next).await;
        let completed = crawler.frontier.complete(&item).await;
        crawler.busy.set(crawler.busy.get() - 1);
        match (added, completed) {
            (Ok(added), Ok(())) => {
                if let Some(mut stat) = stat {
                    stat.new_links = added;
                    crawler.finished.set(crawler.finished.get() + 1);
                    (crawler.on_stat)(&stat, &crawler);
                    stats.push(stat);
                }
            }
            (Err(e), _) | (_, Err(e)) => {
                crawler.fail(e);
                break;
            }
        }
    }
    stats
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

    #[test]
    fn normalisation() {
        let n = |s: &str| normalise(Url::parse(s).unwrap()).to_string();
        assert_eq!(
            n("HTTP://Example.TEST:80/a/./b/../c#frag"),
            "http://example.test/a/c"
        );
        assert_eq!(n("http://h.test"), "http://h.test/");
        assert_eq!(n("http://h.test/a b?q=1 2"), "http://h.test/a%20b?q=1%202");
    }
}
