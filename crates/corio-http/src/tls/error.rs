//! [`TlsConfigError`]: why a TLS configuration (certificates, keys, roots) could not be built.
//!
//! Every variant that comes from a file names the file, so the one-line message a command
//! prints says which of several `--tls-cert`/`--tls-key`/`--cacert` arguments was wrong.

use std::fmt;
use std::io;
use std::path::PathBuf;

/// A TLS configuration error.
#[derive(Debug)]
#[non_exhaustive]
pub enum TlsConfigError {
    /// A file could not be read.
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// A PEM file (or in-memory PEM, named `<memory>`) is malformed.
    Pem {
        /// The file.
        path: PathBuf,
        /// The parser's reason.
        reason: String,
    },
    /// A certificate file holds no `CERTIFICATE` section.
    NoCertificates {
        /// The file.
        path: PathBuf,
    },
    /// A key file holds no private key (PKCS#8, RSA/PKCS#1 or SEC1).
    NoPrivateKey {
        /// The file.
        path: PathBuf,
    },
    /// rustls refused the key, or the key does not match the certificate's public key.
    Key {
        /// The key file.
        path: PathBuf,
        /// rustls' reason.
        source: rustls::Error,
    },
    /// A server configuration needs at least one certificate and key.
    NoCertifiedKeys,
    /// A self-signed certificate could not be generated.
    Generate(String),
    /// rustls refused the configuration.
    Rustls(rustls::Error),
}

impl TlsConfigError {
    pub(crate) fn pem(path: impl Into<PathBuf>, e: rustls_pki_types::pem::Error) -> TlsConfigError {
        let path = path.into();
        match e {
            rustls_pki_types::pem::Error::Io(source) => TlsConfigError::Read { path, source },
            e => TlsConfigError::Pem {
                path,
                reason: e.to_string(),
            },
        }
    }
}

impl fmt::Display for TlsConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TlsConfigError::Read { path, source } => {
                write!(f, "{}: cannot read: {source}", path.display())
            }
            TlsConfigError::Pem { path, reason } => {
                write!(f, "{}: invalid PEM: {reason}", path.display())
            }
            TlsConfigError::NoCertificates { path } => {
                write!(f, "{}: no CERTIFICATE in the file", path.display())
            }
            TlsConfigError::NoPrivateKey { path } => write!(
                f,
                "{}: no private key (PKCS#8, RSA or EC) in the file",
                path.display()
            ),
            TlsConfigError::Key { path, source } => {
                write!(f, "{}: unusable key: {source}", path.display())
            }
            TlsConfigError::NoCertifiedKeys => {
                f.write_str("a TLS server needs at least one certificate and key")
            }
            TlsConfigError::Generate(reason) => {
                write!(f, "cannot generate a self-signed certificate: {reason}")
            }
            TlsConfigError::Rustls(e) => write!(f, "TLS configuration refused: {e}"),
        }
    }
}

impl std::error::Error for TlsConfigError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            TlsConfigError::Read { source, .. } => Some(source),
            TlsConfigError::Key { source, .. } | TlsConfigError::Rustls(source) => Some(source),
            _ => None,
        }
    }
}
