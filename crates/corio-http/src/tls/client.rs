//! [`ClientTlsConfig`]: how the HTTP client verifies servers and resumes sessions.
//!
//! - Roots: the Mozilla root program's certificates bundled with `webpki-roots`, plus any
//!   extra roots given (`--cacert`). Bundled rather than the system store: the same roots on
//!   every machine and in every container (many have no `ca-certificates`), no platform code,
//!   and tests that do not depend on the host; a private CA is one `--cacert` away.
//! - `insecure`: [`AcceptAnyServerCert`] instead of verification (`-k`).
//! - ALPN `http/1.1` (the list is a setting, for `h2` later); SNI is always sent for names.
//! - Resumption: one [`ClientSessionStore`] per configuration, shared by every connection
//!   of the clients built from it and from its clones. rustls resumes a session only with
//!   the very verifier that checked it (a session verified by `-k` must not resume under
//!   strict verification), so [`ClientTlsConfig::build`] builds the rustls configuration
//!   once and every clone returns that same one; a setter starts a new configuration.
//! - TLS 1.2 and 1.3, rustls' default suites, the aws-lc-rs provider.

use std::sync::{Arc, OnceLock};

use rustls::client::{ClientSessionMemoryCache, ClientSessionStore, Resumption};
use rustls::{ClientConfig, RootCertStore};
use rustls_pki_types::CertificateDer;

use super::insecure::AcceptAnyServerCert;
use super::{provider, ALPN_HTTP11, PROTOCOL_VERSIONS};

/// Sessions remembered for resumption: a few per server for a crawl of this many hosts.
pub const CLIENT_SESSION_CACHE_SIZE: usize = 1024;

/// Client TLS settings; [`ClientTlsConfig::build`] makes the rustls configuration.
#[derive(Debug, Clone)]
pub struct ClientTlsConfig {
    extra_roots: Vec<CertificateDer<'static>>,
    insecure: bool,
    alpn: Vec<Vec<u8>>,
    sessions: Arc<dyn ClientSessionStore>,
    /// The rustls configuration, built at the first [`ClientTlsConfig::build`] and shared
    /// by clones; every setter replaces it with an empty cell.
    built: Arc<OnceLock<Arc<ClientConfig>>>,
}

impl Default for ClientTlsConfig {
    fn default() -> ClientTlsConfig {
        ClientTlsConfig {
            extra_roots: Vec::new(),
            insecure: false,
            alpn: vec![ALPN_HTTP11.to_vec()],
            sessions: Arc::new(ClientSessionMemoryCache::new(CLIENT_SESSION_CACHE_SIZE)),
            built: Arc::default(),
        }
    }
}

impl ClientTlsConfig {
    /// Bundled roots, verification on, ALPN `http/1.1`, a fresh session store.
    pub fn new() -> ClientTlsConfig {
        ClientTlsConfig::default()
    }

    /// Trusts `roots` in addition to the bundled ones.
    pub fn add_roots(mut self, roots: impl IntoIterator<Item = CertificateDer<'static>>) -> Self {
        self.extra_roots.extend(roots);
        self.built = Arc::default();
        self
    }

    /// Skips certificate verification (see [`AcceptAnyServerCert`]).
    pub fn insecure(mut self, on: bool) -> Self {
        self.insecure = on;
        self.built = Arc::default();
        self
    }

    /// The ALPN protocols offered, most preferred first.
    pub fn alpn(mut self, protocols: &[&[u8]]) -> Self {
        self.alpn = protocols.iter().map(|p| p.to_vec()).collect();
        self.built = Arc::default();
        self
    }

    /// Uses `store` for session resumption (share one store between configurations to
    /// resume across them).
    pub fn session_store(mut self, store: Arc<dyn ClientSessionStore>) -> Self {
        self.sessions = store;
        self.built = Arc::default();
        self
    }

    /// The session store.
    pub fn sessions(&self) -> &Arc<dyn ClientSessionStore> {
        &self.sessions
    }

    /// The rustls configuration (the same `Arc` for this value and its clones).
    ///
    /// An extra root that webpki cannot parse is skipped (it could never anchor a chain);
    /// load roots with [`super::certs_from_file`], which rejects malformed PEM.
    pub fn build(&self) -> Arc<ClientConfig> {
        self.built.get_or_init(|| self.make()).clone()
    }

    fn make(&self) -> Arc<ClientConfig> {
        let builder = ClientConfig::builder_with_provider(provider())
            .with_protocol_versions(PROTOCOL_VERSIONS)
            .expect("the aws-lc-rs provider supports TLS 1.2 and 1.3");
        let mut config = if self.insecure {
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(AcceptAnyServerCert::new(provider())))
                .with_no_client_auth()
        } else {
            let mut roots = RootCertStore::empty();
            roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
            roots.add_parsable_certificates(self.extra_roots.iter().cloned());
            builder.with_root_certificates(roots).with_no_client_auth()
        };
        config.alpn_protocols = self.alpn.clone();
        config.resumption = Resumption::store(self.sessions.clone());
        Arc::new(config)
    }
}
