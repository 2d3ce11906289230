//! `--frontier redis://HOST:PORT/DB`: the frontier and the seen-set in Redis, shared by every
//! `corio crawl` pointed at the same database (the scrapy-redis design).
//!
//! Keys: `corio:crawl:seen` (a SET of URLs ever queued), `corio:crawl:queue` (a LIST of
//! queued items as JSON) and `corio:crawl:leases` (a ZSET of items being fetched, scored by
//! the time their lease ends, in milliseconds of the Redis server's clock).
//!
//! Every step is one Lua script, so it is atomic on the server:
//! - add: `SADD` to the seen-set and, only if the URL is new (and the set is below
//!   `--max-pages`), `RPUSH` the item: each URL is queued once across all workers;
//! - claim: take an item whose lease has run out (its worker died), else `LPOP` one, and
//!   `ZADD` it to the leases with a new deadline;
//! - complete: `ZREM` the lease (after the page's links were added).
//!
//! A worker whose claim finds nothing waits [`POLL`] and asks again while any lease is held
//! (the holders may add links); it stops when the queue and the leases are both empty.
//! While a process runs, [`RedisFrontier::keep_leases`] renews the leases it holds every
//! [`RENEWALS`]th of `--lease` (`ZADD XX`), so a fetch waiting for a Crawl-delay or a slow
//! server keeps its URL; only a process that stops renewing (it died, or hung longer than a
//! lease) loses its URLs to others. Politeness (`--per-host`, delays) is per process.
//!
//! The client is the `redis` crate's synchronous connection, used from corio's blocking pool
//! (one connection per process, behind a mutex): Redis round trips on loopback or a LAN are
//! short next to page fetches, and this needs no second async runtime.

use std::cell::{Cell, RefCell};
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::frontier::Item;

/// How long a worker that found nothing to claim waits before asking again.
pub const POLL: Duration = Duration::from_millis(100);
/// Lease renewals per lease period: three leaves two renewals' worth of slack for a busy
/// process before its leases run out.
pub const RENEWALS: u32 = 3;
/// How long connecting to Redis may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long one Redis command may take before the crawl fails.
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(30);

const SEEN: &str = "corio:crawl:seen";
const QUEUE: &str = "corio:crawl:queue";
const LEASES: &str = "corio:crawl:leases";

const ADD: &str = r"
local max = tonumber(ARGV[1])
local added = 0
for i = 2, #ARGV, 2 do
  if max >= 0 and redis.call('SCARD', KEYS[1]) >= max then break end
  if redis.call('SADD', KEYS[1], ARGV[i]) == 1 then
    redis.call('RPUSH', KEYS[2], ARGV[i + 1])
    added = added + 1
  end
end
return added
";

const CLAIM: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local item = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, 1)[1]
if not item then item = redis.call('LPOP', KEYS[1]) end
if item then
  redis.call('ZADD', KEYS[2], now + tonumber(ARGV[1]), item)
  return {1, item, redis.call('LLEN', KEYS[1])}
end
return {0, '', redis.call('ZCARD', KEYS[2])}
";

const RENEW: &str = r"
local t = redis.call('TIME')
local deadline = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + tonumber(ARGV[1])
for i = 2, #ARGV do redis.call('ZADD', KEYS[1], 'XX', deadline, ARGV[i]) end
return 0
";

/// The Redis-backed frontier of one process.
pub struct RedisFrontier {
    conn: Arc<Mutex<redis::Connection>>,
    lease: Duration,
    max_pages: Option<usize>,
    queued: Cell<usize>,
    stopped: Cell<bool>,
    /// The leased items (as stored) this process holds.
    held: RefCell<HashSet<String>>,
}

fn redis_err(e: redis::RedisError) -> String {
    format!("redis: {e}")
}

impl RedisFrontier {
    /// Connects to the frontier at `url` (`redis://HOST:PORT/DB`).
    pub fn connect(url: &str, lease: Duration, max_pages: Option<usize>) -> Result<Self, String> {
        let client = redis::Client::open(url).map_err(|e| format!("--frontier {url}: {e}"))?;
        let conn = client
            .get_connection_with_timeout(CONNECT_TIMEOUT)
            .map_err(|e| format!("--frontier {url}: {e}"))?;
        conn.set_read_timeout(Some(COMMAND_TIMEOUT))
            .map_err(redis_err)?;
        conn.set_write_timeout(Some(COMMAND_TIMEOUT))
            .map_err(redis_err)?;
        Ok(RedisFrontier {
            conn: Arc::new(Mutex::new(conn)),
            lease,
            max_pages,
            queued: Cell::new(0),
            stopped: Cell::new(false),
            held: RefCell::new(HashSet::new()),
        })
    }

    /// Runs `f` with the connection on the blocking pool.
    async fn with<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut redis::Connection) -> redis::RedisResult<T> + Send + 'static,
    ) -> Result<T, String> {
        let conn = self.conn.clone();
        corio::task::spawn_blocking(move || {
            let mut c = conn.lock().unwrap_or_else(|p| p.into_inner());
            f(&mut c)
        })
        .await
        .map_err(|e| format!("redis: {e}"))?
        .map_err(redis_err)
    }

    pub(super) async fn add(&self, items: Vec<Item>) -> Result<usize, String> {
        if items.is_empty() {
            return Ok(0);
        }
        let max = self
            .max_pages
            .map_or(-1, |m| i64::try_from(m).unwrap_or(i64::MAX));
        self.with(move |c| {
            let script = redis::Script::new(ADD);
            let mut call = script.key(SEEN);
            call.key(QUEUE).arg(max);
            for item in &items {
                call.arg(item.url.as_str()).arg(item.to_json());
            }
            call.invoke::<usize>(c)
        })
        .await
    }

    pub(super) async fn take(&self) -> Result<Option<Item>, String> {
        let lease_ms = u64::try_from(self.lease.as_millis()).unwrap_or(u64::MAX);
        loop {
            if self.stopped.get() {
                return Ok(None);
            }
            let (got, item, count): (i64, String, usize) = self
                .with(move |c| {
                    redis::Script::new(CLAIM)
                        .key(QUEUE)
                        .key(LEASES)
                        .arg(lease_ms)
                        .invoke(c)
                })
                .await?;
            if got == 1 {
                self.queued.set(count);
                let parsed = Item::from_json(&item)
                    .ok_or_else(|| format!("redis: {QUEUE} holds something not an item: {item}"))?;
                self.held.borrow_mut().insert(item);
                return Ok(Some(parsed));
            }
            self.queued.set(0);
            if count == 0 {
                return Ok(None);
            }
            corio::time::sleep(POLL).await;
        }
    }

    pub(super) async fn complete(&self, item: &Item) -> Result<(), String> {
        let member = item.to_json();
        self.held.borrow_mut().remove(&member);
        self.with(move |c| redis::cmd("ZREM").arg(LEASES).arg(member).query::<i64>(c))
            .await
            .map(|_| ())
    }

    /// Renews the leases this process holds, forever (the caller aborts it at the end).
    pub(super) async fn keep_leases(&self) -> Result<(), String> {
        let lease_ms = u64::try_from(self.lease.as_millis()).unwrap_or(u64::MAX);
        loop {
            corio::time::sleep(self.lease / RENEWALS).await;
            let held: Vec<String> = self.held.borrow().iter().cloned().collect();
            if held.is_empty() {
                continue;
            }
            self.with(move |c| {
                let script = redis::Script::new(RENEW);
                let mut call = script.key(LEASES);
                call.arg(lease_ms);
                for m in &held {
                    call.arg(m);
                }
                call.invoke::<i64>(c)
            })
            .await?;
        }
    }

    pub(super) fn stop(&self) {
        self.stopped.set(true);
    }

    pub(super) fn queued(&self) -> usize {
        self.queued.get()
    }
}
