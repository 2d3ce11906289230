//! robots.txt (RFC 9309), parsed by texting_robots: fetched once per origin and cached.
//!
//! Invariants: one fetch per origin however many workers ask at once (the others wait for
//! it); a 2xx body is parsed for our user-agent token (its first [`MAX_ROBOTS`] bytes, as the
//! RFC allows); 4xx means no rules (RFC 9309 2.3.1.3, "unavailable"); 5xx, 429 or no
//! response means everything is disallowed (2.3.1.4, "unreachable"); up to five redirects
//! are followed (2.3.1.2), by the client given to [`RobotsCache::new`].

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::future::poll_fn;
use std::rc::Rc;
use std::task::{Poll, Waker};
use std::time::Duration;

use corio_http::client::{Client, ClientRequest};
use texting_robots::Robot;
use url::Url;

use super::engine::read_limited;

/// The most of a robots.txt that is parsed: RFC 9309 asks crawlers to parse at least
/// 500 KiB.
pub const MAX_ROBOTS: u64 = 500 * 1024;

/// The rules for one origin.
pub enum Rules {
    /// No robots.txt (4xx) or an empty one.
    AllowAll,
    /// robots.txt unreachable (5xx, network error).
    DisallowAll,
    /// Parsed rules.
    Parsed(Box<Robot>),
}

impl Rules {
    /// Whether `url` may be fetched.
    pub fn allowed(&self, url: &Url) -> bool {
        match self {
            Rules::AllowAll => true,
            Rules::DisallowAll => false,
            Rules::Parsed(r) => url.path() == "/robots.txt" || r.allowed(url.as_str()),
        }
    }

    /// The Crawl-delay for our agent.
    pub fn delay(&self) -> Option<Duration> {
        match self {
            Rules::Parsed(r) => r
                .delay
                .filter(|d| d.is_finite() && *d > 0.0)
                .map(|d| Duration::from_secs_f32(d.min(super::polite::MAX_DELAY_SECS))),
            _ => None,
        }
    }

    /// The Sitemap lines.
    pub fn sitemaps(&self) -> &[String] {
        match self {
            Rules::Parsed(r) => &r.sitemaps,
            _ => &[],
        }
    }
}

enum Entry {
    Fetching(Vec<Waker>),
    Ready(Rc<Rules>),
}

/// robots.txt rules per origin.
pub struct RobotsCache {
    client: Client,
    agent: String,
    origins: RefCell<HashMap<String, Entry>>,
    fetched: Cell<usize>,
}

impl RobotsCache {
    /// A cache fetching with `client` (which should follow redirects), for the user-agent
    /// `agent` (its product token, before any `/`, is matched).
    pub fn new(client: Client, agent: &str) -> RobotsCache {
        let token = agent
            .split(['/', ' '])
            .next()
            .filter(|t| !t.is_empty())
            .unwrap_or("corio");
        RobotsCache {
            client,
            agent: token.to_owned(),
            origins: RefCell::new(HashMap::new()),
            fetched: Cell::new(0),
        }
    }

    /// The rules for `url`'s origin, fetching its robots.txt the first time.
    pub async fn get(&self, url: &Url) -> Rc<Rules> {
        let origin = url.origin().ascii_serialization();
        let first = poll_fn(|cx| {
            let mut origins = self.origins.borrow_mut();
            match origins.get_mut(&origin) {
                None => {
                    origins.insert(origin.clone(), Entry::Fetching(Vec::new()));
                    Poll::Ready(None)
                }
                Some(Entry::Fetching(waiters)) => {
                    waiters.push(cx.waker().clone());
                    Poll::Pending
                }
                Some(Entry::Ready(rules)) => Poll::Ready(Some(rules.clone())),
            }
        })
        .await;
        if let Some(rules) = first {
            return rules;
        }
        let rules = Rc::new(self.fetch(&origin).await);
        self.fetched.set(self.fetched.get() + 1);
        let old = self
            .origins
            .borrow_mut()
            .insert(origin, Entry::Ready(rules.clone()));
        if let Some(Entry::Fetching(waiters)) = old {
            waiters.into_iter().for_each(Waker::wake);
        }
        rules
    }

    async fn fetch(&self, origin: &str) -> Rules {
        let url = format!("{origin}/robots.txt");
        let Ok(mut resp) = self
            .client
            .send_streaming(ClientRequest::get(url.as_str()))
            .await
        else {
            return Rules::DisallowAll;
        };
        let status = resp.status.as_u16();
        match status {
            200..=299 => match read_limited(&mut resp.body, MAX_ROBOTS).await {
                Ok((body, _)) => match Robot::new(&self.agent, &body) {
                    Ok(robot) => Rules::Parsed(Box::new(robot)),
                    Err(_) => Rules::AllowAll,
                },
                Err(_) => Rules::DisallowAll,
            },
            429 | 500.. => Rules::DisallowAll,
            _ => Rules::AllowAll,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules() {
        let robot = Robot::new(
            "corio",
            b"User-agent: *\nDisallow: /\n\nUser-agent: corio\nDisallow: /private\nCrawl-delay: 0.5\nSitemap: http://h.test/s.xml\n",
        )
        .unwrap();
        let rules = Rules::Parsed(Box::new(robot));
        let u = |p: &str| Url::parse(&format!("http://h.test{p}")).unwrap();
        assert!(rules.allowed(&u("/public")));
        assert!(!rules.allowed(&u("/private/x")));
        assert_eq!(rules.delay(), Some(Duration::from_millis(500)));
        assert_eq!(rules.sitemaps(), ["http://h.test/s.xml"]);
        assert!(!Rules::DisallowAll.allowed(&u("/")));
        assert!(Rules::AllowAll.allowed(&u("/")));
    }
}
