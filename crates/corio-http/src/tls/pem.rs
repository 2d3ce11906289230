//! Loading certificates and private keys from PEM, into rustls' types.
//!
//! Keys may be PKCS#8 (`PRIVATE KEY`), RSA/PKCS#1 (`RSA PRIVATE KEY`) or SEC1
//! (`EC PRIVATE KEY`): the first key section of the file is used. A certificate file is a
//! chain, leaf first. A key that does not match its certificate is refused when loaded,
//! not at the first handshake.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::sign::CertifiedKey;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use super::error::TlsConfigError;

/// The name given to in-memory PEM in error messages.
const MEMORY: &str = "<memory>";

/// Where a certificate chain and its key come from.
#[derive(Debug, Clone)]
pub enum CertSource {
    /// Two PEM files, read again on every [`CertStore::reload`](super::CertStore::reload).
    Files {
        /// The certificate chain, leaf first.
        cert: PathBuf,
        /// The private key.
        key: PathBuf,
    },
    /// PEM held in memory (a generated certificate, a test's).
    Pem {
        /// The certificate chain, leaf first.
        cert: Vec<u8>,
        /// The private key.
        key: Vec<u8>,
    },
}

impl CertSource {
    /// A chain and key from two PEM files.
    pub fn files(cert: impl Into<PathBuf>, key: impl Into<PathBuf>) -> CertSource {
        CertSource::Files {
            cert: cert.into(),
            key: key.into(),
        }
    }

    /// A chain and key from PEM text.
    pub fn pem(cert: impl Into<Vec<u8>>, key: impl Into<Vec<u8>>) -> CertSource {
        CertSource::Pem {
            cert: cert.into(),
            key: key.into(),
        }
    }

    /// Reads and checks the chain and key.
    pub fn load(&self) -> Result<Arc<CertifiedKey>, TlsConfigError> {
        let (certs, key, key_path) = match self {
            CertSource::Files { cert, key } => {
                (certs_from_file(cert)?, key_from_file(key)?, key.clone())
            }
            CertSource::Pem { cert, key } => (
                certs_from_pem(cert, Path::new(MEMORY))?,
                key_from_pem(key, Path::new(MEMORY))?,
                PathBuf::from(MEMORY),
            ),
        };
        let provider = super::provider();
        CertifiedKey::from_der(certs, key, &provider)
            .map(Arc::new)
            .map_err(|source| TlsConfigError::Key {
                path: key_path,
                source,
            })
    }
}

/// The certificates of a PEM file (a chain, or extra roots for `--cacert`): at least one.
pub fn certs_from_file(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsConfigError> {
    let bytes = std::fs::read(path).map_err(|source| TlsConfigError::Read {
        path: path.to_owned(),
        source,
    })?;
    certs_from_pem(&bytes, path)
}

/// The certificates of PEM text; `name` is used in errors.
pub fn certs_from_pem(
    pem: &[u8],
    name: &Path,
) -> Result<Vec<CertificateDer<'static>>, TlsConfigError> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TlsConfigError::pem(name, e))?;
    if certs.is_empty() {
        return Err(TlsConfigError::NoCertificates {
            path: name.to_owned(),
        });
    }
    Ok(certs)
}

/// The first private key of a PEM file.
pub fn key_from_file(path: &Path) -> Result<PrivateKeyDer<'static>, TlsConfigError> {
    let bytes = std::fs::read(path).map_err(|source| TlsConfigError::Read {
        path: path.to_owned(),
        source,
    })?;
    key_from_pem(&bytes, path)
}

/// The first private key of PEM text; `name` is used in errors.
pub fn key_from_pem(pem: &[u8], name: &Path) -> Result<PrivateKeyDer<'static>, TlsConfigError> {
    match PrivateKeyDer::from_pem_slice(pem) {
        Ok(key) => Ok(key),
        Err(rustls_pki_types::pem::Error::NoItemsFound) => Err(TlsConfigError::NoPrivateKey {
            path: name.to_owned(),
        }),
        Err(e) => Err(TlsConfigError::pem(name, e)),
    }
}
