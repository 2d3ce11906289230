//! Politeness per host: at most `--per-host` requests at once, and at least the delay
//! (`--delay`, or a larger robots.txt Crawl-delay) between the end of one request to a host
//! and the start of the next, and between two starts. A 429 or 503 with `Retry-After` holds
//! the host until then.
//!
//! Invariant: a [`Permit`] is held for the whole request, body included; dropping it records
//! the end time and wakes the tasks waiting for that host.

use std::cell::RefCell;
use std::collections::HashMap;
use std::future::poll_fn;
use std::task::{Poll, Waker};
use std::time::{Duration, Instant, SystemTime};

/// The longest delay taken from robots.txt or Retry-After: a larger one would stall the
/// crawl for good; one hour is what large crawlers cap Retry-After at.
pub const MAX_DELAY_SECS: f32 = 3600.0;

#[derive(Default)]
struct Gate {
    active: usize,
    next_start: Option<Instant>,
    delay: Duration,
    waiters: Vec<Waker>,
}

/// The gates of every host.
pub struct Gates {
    per_host: usize,
    hosts: RefCell<HashMap<String, Gate>>,
}

/// Leave to send one request to a host.
pub struct Permit<'a> {
    gates: &'a Gates,
    host: String,
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        let mut hosts = self.gates.hosts.borrow_mut();
        if let Some(g) = hosts.get_mut(&self.host) {
            g.active -= 1;
            let after = Instant::now() + g.delay;
            g.next_start = Some(g.next_start.map_or(after, |n| n.max(after)));
            g.waiters.drain(..).for_each(Waker::wake);
        }
    }
}

enum Wait {
    Slot,
    Until(Instant),
}

impl Gates {
    /// Gates allowing `per_host` concurrent requests per host.
    pub fn new(per_host: usize) -> Gates {
        Gates {
            per_host: per_host.max(1),
            hosts: RefCell::new(HashMap::new()),
        }
    }

    /// Waits for leave to send a request to `host`, `delay` after the previous one.
    pub async fn acquire(&self, host: &str, delay: Duration) -> Permit<'_> {
        loop {
            let wait = {
                let mut hosts = self.hosts.borrow_mut();
                let g = hosts.entry(host.to_owned()).or_default();
                g.delay = delay;
                let now = Instant::now();
                if g.active >= self.per_host {
                    Wait::Slot
                } else if let Some(at) = g.next_start.filter(|&at| at > now) {
                    Wait::Until(at)
                } else {
                    g.active += 1;
                    g.next_start = Some(now + delay);
                    return Permit {
                        gates: self,
                        host: host.to_owned(),
                    };
                }
            };
            match wait {
                Wait::Until(at) => corio::time::sleep_until(at).await,
                Wait::Slot => {
                    let mut registered = false;
                    poll_fn(|cx| {
                        if registered {
                            return Poll::Ready(());
                        }
                        registered = true;
                        let mut hosts = self.hosts.borrow_mut();
                        let g = hosts.entry(host.to_owned()).or_default();
                        if g.active < self.per_host {
                            return Poll::Ready(());
                        }
                        g.waiters.push(cx.waker().clone());
                        Poll::Pending
                    })
                    .await
                }
            }
        }
    }

    /// Holds `host` until `until` (a Retry-After).
    pub fn hold(&self, host: &str, until: Instant) {
        let mut hosts = self.hosts.borrow_mut();
        let g = hosts.entry(host.to_owned()).or_default();
        g.next_start = Some(g.next_start.map_or(until, |n| n.max(until)));
    }
}

/// The wait a `Retry-After` value asks for (RFC 9110 10.2.3: delay-seconds or an
/// HTTP-date), measured from `now`; `None` if it is neither, or more than
/// [`MAX_DELAY_SECS`] away.
pub fn retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    let wait = if value.bytes().all(|b| b.is_ascii_digit()) && !value.is_empty() {
        Duration::from_secs(value.parse().unwrap_or(u64::MAX))
    } else {
        let at = httpdate::parse_http_date(value).ok()?;
        at.duration_since(now).unwrap_or(Duration::ZERO)
    };
    (wait.as_secs_f32() <= MAX_DELAY_SECS).then_some(wait)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_forms() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777);
        assert_eq!(retry_after("120", now), Some(Duration::from_secs(120)));
        assert_eq!(retry_after(" 0 ", now), Some(Duration::ZERO));
        // RFC 9110's example date is 784111777 seconds after the epoch.
        assert_eq!(
            retry_after("Sun, 06 Nov 1994 08:49:47 GMT", now),
            Some(Duration::from_secs(10))
        );
        assert_eq!(
            retry_after("Sun, 06 Nov 1994 08:49:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(retry_after("soon", now), None);
        assert_eq!(retry_after("-1", now), None);
        assert_eq!(retry_after("99999999999999999999", now), None);
    }
}
