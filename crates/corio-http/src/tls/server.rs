//! [`TlsConfig`]: a server's TLS settings, and [`TlsConfig::accept`], one connection's
//! handshake.
//!
//! Built from PEM files ([`TlsConfig::from_sources`]) the configuration is:
//! - TLS 1.2 and 1.3 only, with rustls' default cipher suites (aws-lc-rs provider);
//! - ALPN `h2`, then `http/1.1` ([`TlsConfig::alpn`] sets the list): a client offering both
//!   gets HTTP/2;
//! - session resumption both ways: stateless tickets (AES-256-GCM-SIV under keys rotated
//!   every six hours, see `ticketer.rs`; shared by every worker since the configuration is
//!   one `Arc`) and a session-ID cache of [`SESSION_CACHE_SIZE`] entries for TLS 1.2
//!   clients without ticket support; TLS 1.3 handshakes send rustls' default two tickets;
//! - no 0-RTT early data (replayable requests are not worth the round trip);
//! - certificates chosen by SNI from a [`CertStore`] that can be reloaded while serving.
//!
//! [`TlsConfig::from_rustls`] takes a `rustls::ServerConfig` as it is, for full control.

use std::sync::Arc;

use corio::net::TcpStream;
use futures_rustls::server::TlsStream;
use futures_rustls::TlsAcceptor;
use rustls::server::ServerSessionMemoryCache;
use rustls::ServerConfig;

use super::error::TlsConfigError;
use super::pem::CertSource;
use super::plaintext::{peek_first_byte, reject_plain_http, FirstByte};
use super::reload::CertStore;
use super::ticketer::ticketer;
use super::{provider, ALPN_H2, ALPN_HTTP11, PROTOCOL_VERSIONS};

/// Sessions kept for TLS 1.2 session-ID resumption: each entry is a few hundred bytes, so
/// this is about a megabyte at most, and covers the clients of a busy minute.
pub const SESSION_CACHE_SIZE: usize = 4096;

/// A server's TLS configuration. Cheap to clone (an `Arc`), shared by every worker.
#[derive(Debug, Clone)]
pub struct TlsConfig {
    server: Arc<ServerConfig>,
    store: Option<Arc<CertStore>>,
}

/// Why [`TlsConfig::accept`] gave up on a connection.
#[derive(Debug)]
pub enum AcceptError {
    /// The peer closed before sending a byte.
    Closed,
    /// The peer spoke cleartext HTTP; it was answered `400` and the connection shut down.
    PlainHttp,
    /// The handshake failed (a rustls error inside an `io::Error`, or the socket's).
    Handshake(std::io::Error),
}

impl std::fmt::Display for AcceptError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AcceptError::Closed => f.write_str("closed before the TLS handshake"),
            AcceptError::PlainHttp => f.write_str("plain HTTP request sent to the TLS port"),
            AcceptError::Handshake(e) => write!(f, "TLS handshake failed: {e}"),
        }
    }
}

impl std::error::Error for AcceptError {}

impl TlsConfig {
    /// Certificates and keys from `sources` (the first is the default for clients that send
    /// no SNI or a name none covers), with the settings of the module docs.
    pub fn from_sources(sources: Vec<CertSource>) -> Result<TlsConfig, TlsConfigError> {
        let store = Arc::new(CertStore::load(sources)?);
        let mut server = ServerConfig::builder_with_provider(provider())
            .with_protocol_versions(PROTOCOL_VERSIONS)
            .map_err(TlsConfigError::Rustls)?
            .with_no_client_auth()
            .with_cert_resolver(store.clone());
        server.alpn_protocols = vec![ALPN_H2.to_vec(), ALPN_HTTP11.to_vec()];
        server.session_storage = ServerSessionMemoryCache::new(SESSION_CACHE_SIZE);
        server.ticketer = ticketer().map_err(TlsConfigError::Rustls)?;
        Ok(TlsConfig {
            server: Arc::new(server),
            store: Some(store),
        })
    }

    /// One certificate chain and key from two PEM files.
    pub fn from_pem_files(
        cert: impl Into<std::path::PathBuf>,
        key: impl Into<std::path::PathBuf>,
    ) -> Result<TlsConfig, TlsConfigError> {
        TlsConfig::from_sources(vec![CertSource::files(cert, key)])
    }

    /// A rustls configuration used as it is (its ALPN list, resumption, resolver...).
    /// There is no [`CertStore`] to reload.
    pub fn from_rustls(server: Arc<ServerConfig>) -> TlsConfig {
        TlsConfig {
            server,
            store: None,
        }
    }

    /// Replaces the ALPN protocols offered, most preferred first.
    pub fn alpn(mut self, protocols: &[&[u8]]) -> TlsConfig {
        Arc::make_mut(&mut self.server).alpn_protocols =
            protocols.iter().map(|p| p.to_vec()).collect();
        self
    }

    /// The rustls configuration.
    pub fn rustls_config(&self) -> &Arc<ServerConfig> {
        &self.server
    }

    /// The reloadable certificates (`None` for [`TlsConfig::from_rustls`]); hand it to
    /// [`CertStore::reload_on_sighup`].
    pub fn cert_store(&self) -> Option<&Arc<CertStore>> {
        self.store.as_ref()
    }

    /// Serves a new connection's TLS handshake. Cleartext HTTP (see
    /// [`super::FirstByte`]) is answered `400` and refused. The caller bounds the whole
    /// call with its head timeout, so a client stalling mid-handshake is closed like one
    /// stalling mid-head.
    pub async fn accept(&self, mut stream: TcpStream) -> Result<TlsStream<TcpStream>, AcceptError> {
        match peek_first_byte(&stream).await {
            Ok(None) => return Err(AcceptError::Closed),
            Err(e) => return Err(AcceptError::Handshake(e)),
            Ok(Some(FirstByte::PlainHttp)) => {
                // Best effort: the connection is refused whether the answer arrives or not.
                let _ = reject_plain_http(&mut stream).await;
                return Err(AcceptError::PlainHttp);
            }
            Ok(Some(FirstByte::Tls | FirstByte::Other)) => {}
        }
        TlsAcceptor::from(self.server.clone())
            .accept(stream)
            .await
            .map_err(AcceptError::Handshake)
    }
}
