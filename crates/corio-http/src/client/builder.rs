//! [`ClientBuilder`]: the client's settings, with defaults chosen for a general-purpose
//! client (every limit a named constant below, with the reason for its value).

use std::sync::Arc;
use std::time::Duration;

use http::HeaderValue;
use rustls_pki_types::CertificateDer;

use super::pool::PoolConfig;
use super::protocol::Protocol;
use super::Client;
use crate::proto::Limits;
use crate::tls::ClientTlsConfig;

/// Default connect timeout: long enough for a slow network, short enough that a dead host
/// does not stall a crawl.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default TLS handshake timeout: a handshake is two round trips and some signing; a server
/// that takes longer is overloaded or not speaking TLS.
pub const DEFAULT_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Default read timeout (per read): a server silent this long is considered gone.
pub const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(30);
/// Default redirect limit: browsers allow about 20; 10 ends loops sooner.
pub const DEFAULT_MAX_REDIRECTS: usize = 10;
/// Default idle timeout of pooled connections: below common server keep-alive timeouts
/// (nginx: 75 s), so we rarely reuse a connection the server is closing.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// Default idle connections kept per host: enough for bursts of concurrent requests without
/// holding many sockets open on servers.
pub const DEFAULT_MAX_IDLE_PER_HOST: usize = 32;
/// Default limit of open connections in total: well below the usual 1024 file descriptors.
pub const DEFAULT_MAX_CONNECTIONS: usize = 512;
/// Default limit of open connections per host: polite to servers, ample for load tests.
pub const DEFAULT_MAX_CONNECTIONS_PER_HOST: usize = 256;
/// Default largest body of a buffered response: buffers are memory; stream larger bodies.
pub const DEFAULT_MAX_BODY: u64 = 64 * 1024 * 1024;

/// The settings a [`Client`] runs with.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    pub connect_timeout: Option<Duration>,
    pub handshake_timeout: Option<Duration>,
    pub read_timeout: Option<Duration>,
    pub request_timeout: Option<Duration>,
    pub max_redirects: usize,
    pub pool: PoolConfig,
    pub limits: Limits,
    pub max_body: u64,
    pub user_agent: Option<HeaderValue>,
    /// Which HTTP version to speak.
    pub protocol: Protocol,
    /// The rustls configuration of `https` connections (built once, shared by all).
    pub tls: Arc<rustls::ClientConfig>,
}

impl Config {
    /// The defaults, with `tls` for `https` connections.
    fn with_tls(tls: Arc<rustls::ClientConfig>) -> Config {
        Config {
            connect_timeout: Some(DEFAULT_CONNECT_TIMEOUT),
            handshake_timeout: Some(DEFAULT_HANDSHAKE_TIMEOUT),
            read_timeout: Some(DEFAULT_READ_TIMEOUT),
            request_timeout: None,
            max_redirects: DEFAULT_MAX_REDIRECTS,
            pool: PoolConfig {
                idle_timeout: DEFAULT_IDLE_TIMEOUT,
                max_idle_per_host: DEFAULT_MAX_IDLE_PER_HOST,
                max_connections: DEFAULT_MAX_CONNECTIONS,
                max_connections_per_host: DEFAULT_MAX_CONNECTIONS_PER_HOST,
            },
            limits: Limits::default(),
            max_body: DEFAULT_MAX_BODY,
            user_agent: Some(HeaderValue::from_static(concat!(
                "corio/",
                env!("CARGO_PKG_VERSION")
            ))),
            protocol: Protocol::Http1,
            tls,
        }
    }
}

/// Builds a [`Client`].
///
/// ```
/// use std::time::Duration;
/// let client = corio_http::client::Client::builder()
///     .max_idle_per_host(8)
///     .connect_timeout(Some(Duration::from_secs(2)))
///     .max_redirects(0) // return 3xx responses as they are
///     .build();
/// # drop(client);
/// ```
#[derive(Debug, Clone)]
pub struct ClientBuilder {
    config: Config,
    tls: ClientTlsConfig,
    /// A rustls configuration given whole, used instead of `tls`.
    rustls: Option<Arc<rustls::ClientConfig>>,
}

impl Default for ClientBuilder {
    fn default() -> ClientBuilder {
        let tls = ClientTlsConfig::new();
        ClientBuilder {
            // Built once: `build` gets the same configuration back from `tls` unless a TLS
            // setting changed it.
            config: Config::with_tls(tls.build()),
            tls,
            rustls: None,
        }
    }
}

impl ClientBuilder {
    /// A builder with the default settings.
    pub fn new() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// Time allowed for each TCP connect attempt (`None`: no limit).
    pub fn connect_timeout(mut self, t: Option<Duration>) -> ClientBuilder {
        self.config.connect_timeout = t;
        self
    }

    /// Time allowed for the TLS handshake of each `https` connection (`None`: no limit).
    pub fn handshake_timeout(mut self, t: Option<Duration>) -> ClientBuilder {
        self.config.handshake_timeout = t;
        self
    }

    /// Trusts `roots` (for example a private CA, from
    /// [`crate::tls::certs_from_file`]) in addition to the bundled Mozilla roots.
    pub fn add_root_certificates(
        mut self,
        roots: impl IntoIterator<Item = CertificateDer<'static>>,
    ) -> ClientBuilder {
        self.tls = self.tls.add_roots(roots);
        self
    }

    /// Accepts any server certificate, like curl's `-k`: the connection is encrypted but the
    /// server is not authenticated. For testing only.
    pub fn danger_accept_invalid_certs(mut self, on: bool) -> ClientBuilder {
        self.tls = self.tls.insecure(on);
        self
    }

    /// The TLS settings as a whole (roots, verification, ALPN, session store): share one
    /// [`ClientTlsConfig`]'s session store between clients to resume sessions across them.
    pub fn tls(mut self, tls: ClientTlsConfig) -> ClientBuilder {
        self.tls = tls;
        self
    }

    /// A rustls configuration used as it is, for full control (it replaces every other TLS
    /// setting).
    pub fn rustls_config(mut self, config: Arc<rustls::ClientConfig>) -> ClientBuilder {
        self.rustls = Some(config);
        self
    }

    /// The HTTP version to speak (see [`Protocol`]; default HTTP/1.1 only). HTTP/2 over
    /// TLS is offered by ALPN, so this also sets the ALPN list (unless
    /// [`ClientBuilder::rustls_config`] gave the whole TLS configuration).
    pub fn protocol(mut self, protocol: Protocol) -> ClientBuilder {
        self.config.protocol = protocol;
        self
    }

    /// Time allowed for each read from the server (`None`: no limit).
    pub fn read_timeout(mut self, t: Option<Duration>) -> ClientBuilder {
        self.config.read_timeout = t;
        self
    }

    /// Time allowed for a whole request: redirects and, for [`Client::request`], the body
    /// (for [`Client::send_streaming`]: until the response head). `None`: no limit.
    pub fn request_timeout(mut self, t: Option<Duration>) -> ClientBuilder {
        self.config.request_timeout = t;
        self
    }

    /// Redirects followed per request; 0 returns 3xx responses unfollowed.
    pub fn max_redirects(mut self, n: usize) -> ClientBuilder {
        self.config.max_redirects = n;
        self
    }

    /// How long a connection may stay idle in the pool.
    pub fn idle_timeout(mut self, t: Duration) -> ClientBuilder {
        self.config.pool.idle_timeout = t;
        self
    }

    /// Idle connections kept per host (0 disables keep-alive reuse).
    pub fn max_idle_per_host(mut self, n: usize) -> ClientBuilder {
        self.config.pool.max_idle_per_host = n;
        self
    }

    /// Open connections in total; requests beyond it wait. At least 1.
    pub fn max_connections(mut self, n: usize) -> ClientBuilder {
        self.config.pool.max_connections = n.max(1);
        self
    }

    /// Open connections per host; requests beyond it wait. At least 1.
    pub fn max_connections_per_host(mut self, n: usize) -> ClientBuilder {
        self.config.pool.max_connections_per_host = n.max(1);
        self
    }

    /// Largest body [`Client::request`] buffers ([`super::ErrorKind::BodyTooLarge`] beyond).
    pub fn max_body(mut self, n: u64) -> ClientBuilder {
        self.config.max_body = n;
        self
    }

    /// Parser limits for response heads and chunked framing.
    pub fn limits(mut self, limits: Limits) -> ClientBuilder {
        self.config.limits = limits;
        self
    }

    /// The `User-Agent` sent when the request has none (`None`: send none).
    ///
    /// # Panics
    ///
    /// If `ua` is not a valid header value.
    pub fn user_agent(mut self, ua: Option<&str>) -> ClientBuilder {
        self.config.user_agent = ua.map(|s| HeaderValue::from_str(s).expect("invalid User-Agent"));
        self
    }

    /// The client.
    pub fn build(mut self) -> Client {
        self.config.tls = match self.rustls {
            Some(config) => config,
            None if self.config.protocol == Protocol::Http1 => self.tls.build(),
            None => self.tls.alpn(self.config.protocol.alpn()).build(),
        };
        Client::with_config(self.config)
    }
}
