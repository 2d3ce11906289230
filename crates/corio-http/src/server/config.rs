//! Server settings: limits and timeouts, each default a named constant with its reason.

use std::time::Duration;

pub use super::access_log::LogFormat;
use crate::proto::Limits;

/// Time allowed to receive a complete request head, from its first byte (or from the
/// connection's start for the first request). Short enough to shed slowloris clients quickly,
/// long enough for a slow mobile link to send a few KiB.
pub const DEFAULT_HEAD_TIMEOUT: Duration = Duration::from_secs(10);
/// How long an idle keep-alive connection is kept waiting for its next request (nginx: 75 s;
/// shorter frees descriptors sooner under a connection flood).
pub const DEFAULT_KEEP_ALIVE_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a write may make no progress (a client that stopped reading) before the
/// connection is dropped.
pub const DEFAULT_WRITE_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a request body may make no progress before the request fails with 408.
pub const DEFAULT_BODY_TIMEOUT: Duration = Duration::from_secs(30);
/// The most connections one worker serves at once; past it, it stops accepting (the kernel's
/// backlog queues the rest) until one closes.
pub const DEFAULT_MAX_CONNECTIONS_PER_WORKER: usize = 16 * 1024;
/// On graceful shutdown, how long in-flight requests get to finish before the remaining
/// connections are dropped.
pub const DEFAULT_SHUTDOWN_GRACE: Duration = Duration::from_secs(30);
/// When a response's bytes waiting to be written exceed this, the server writes them before
/// parsing more pipelined requests: output per connection stays bounded even if the client
/// pipelines without reading.
pub const WRITE_HIGH_WATER: usize = 64 * 1024;
/// Unread request body the server will read and discard to keep a connection alive after the
/// handler ignored the body; a larger remainder closes the connection instead.
pub const DRAIN_LIMIT: u64 = 256 * 1024;
/// Response bodies at least this large are written straight from their buffer (no copy into
/// the output buffer).
pub const DIRECT_WRITE_MIN: usize = 32 * 1024;
/// How long the accept loop pauses after running out of file descriptors (`EMFILE`), instead
/// of spinning on a listener that stays readable.
pub const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// Limits and timeouts of a server. `ServerConfig::default()` gives the constants above and
/// proto's [`Limits`] defaults.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Parser limits: request line, header section, header count, body size.
    pub limits: Limits,
    /// See [`DEFAULT_HEAD_TIMEOUT`].
    pub head_timeout: Duration,
    /// See [`DEFAULT_KEEP_ALIVE_TIMEOUT`].
    pub keep_alive_timeout: Duration,
    /// See [`DEFAULT_WRITE_TIMEOUT`].
    pub write_timeout: Duration,
    /// See [`DEFAULT_BODY_TIMEOUT`].
    pub body_timeout: Duration,
    /// See [`DEFAULT_MAX_CONNECTIONS_PER_WORKER`].
    pub max_connections_per_worker: usize,
    /// See [`DEFAULT_SHUTDOWN_GRACE`].
    pub shutdown_grace: Duration,
    /// Log each request on stderr.
    pub access_log: bool,
    /// The layout of access-log lines (default: Common Log Format).
    pub access_log_format: LogFormat,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            limits: Limits::default(),
            head_timeout: DEFAULT_HEAD_TIMEOUT,
            keep_alive_timeout: DEFAULT_KEEP_ALIVE_TIMEOUT,
            write_timeout: DEFAULT_WRITE_TIMEOUT,
            body_timeout: DEFAULT_BODY_TIMEOUT,
            max_connections_per_worker: DEFAULT_MAX_CONNECTIONS_PER_WORKER,
            shutdown_grace: DEFAULT_SHUTDOWN_GRACE,
            access_log: false,
            access_log_format: LogFormat::Common,
        }
    }
}
