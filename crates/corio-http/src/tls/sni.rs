//! [`SniCerts`]: a server's certificates, one chosen per handshake by the client's SNI.
//!
//! The certificate chosen is the first whose leaf is valid for the requested name (exact or
//! wildcard, as a client would check it); a handshake without SNI, or for a name no
//! certificate covers, gets the first certificate (the default), as nginx's default server
//! does. Candidates are tried in the order given, so a specific certificate listed before a
//! wildcard one wins.

use std::sync::Arc;

use rustls::server::ClientHello;
use rustls::sign::CertifiedKey;
use rustls_pki_types::ServerName;

use super::error::TlsConfigError;

/// A non-empty, ordered set of certified keys.
#[derive(Debug, Clone)]
pub struct SniCerts {
    keys: Vec<Arc<CertifiedKey>>,
}

impl SniCerts {
    /// The set; the first key is the default. Fails if `keys` is empty.
    pub fn new(keys: Vec<Arc<CertifiedKey>>) -> Result<SniCerts, TlsConfigError> {
        if keys.is_empty() {
            return Err(TlsConfigError::NoCertifiedKeys);
        }
        Ok(SniCerts { keys })
    }

    /// How many certificates the set holds.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Always false: a set holds at least one certificate.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The certificate for a handshake that asked for `sni` (`None`: no SNI).
    pub fn select(&self, sni: Option<&str>) -> &Arc<CertifiedKey> {
        let default = &self.keys[0];
        let (Some(name), true) = (sni, self.keys.len() > 1) else {
            return default;
        };
        let Ok(name) = ServerName::try_from(name) else {
            return default;
        };
        self.keys
            .iter()
            .find(|key| covers(key, &name))
            .unwrap_or(default)
    }

    /// The certificate for `hello`.
    pub fn resolve(&self, hello: &ClientHello<'_>) -> Arc<CertifiedKey> {
        self.select(hello.server_name()).clone()
    }
}

/// Whether the leaf of `key` is valid for `name`.
fn covers(key: &CertifiedKey, name: &ServerName<'_>) -> bool {
    let Ok(leaf) = key.end_entity_cert() else {
        return false;
    };
    webpki::EndEntityCert::try_from(leaf)
        .is_ok_and(|cert| cert.verify_is_valid_for_subject_name(name).is_ok())
}
