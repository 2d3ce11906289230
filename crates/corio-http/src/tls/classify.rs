//! [`TlsErrorKind`]: what a failed client handshake means, from rustls' error.
//!
//! futures-rustls reports a handshake failure as an `io::Error` carrying the
//! `rustls::Error`; [`classify_io`] digs it out. The kinds are the ones a user can act on:
//! a certificate from an unknown issuer (add `--cacert`), for another name, expired (or not
//! yet valid), another certificate problem, or a protocol failure (an alert, a peer that does
//! not speak TLS, no common version or cipher suite).

use std::io;

use rustls::CertificateError;

/// The reason a TLS handshake failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TlsErrorKind {
    /// The chain does not lead to a trusted root.
    UnknownIssuer,
    /// The certificate is not valid for the host name asked for.
    NameMismatch,
    /// The certificate is expired or not valid yet.
    Expired,
    /// Another certificate problem (bad encoding, bad signature, revoked, wrong usage).
    BadCertificate,
    /// Any other handshake failure: an alert, bytes that are not TLS, nothing in common.
    Protocol,
}

impl TlsErrorKind {
    /// A short description.
    pub fn as_str(&self) -> &'static str {
        match self {
            TlsErrorKind::UnknownIssuer => "TLS certificate from an unknown issuer",
            TlsErrorKind::NameMismatch => "TLS certificate not valid for this host name",
            TlsErrorKind::Expired => "TLS certificate expired or not yet valid",
            TlsErrorKind::BadCertificate => "invalid TLS certificate",
            TlsErrorKind::Protocol => "TLS handshake failed",
        }
    }
}

/// The kind of a rustls error.
pub fn classify(e: &rustls::Error) -> TlsErrorKind {
    match e {
        rustls::Error::InvalidCertificate(cert) => match cert {
            CertificateError::UnknownIssuer => TlsErrorKind::UnknownIssuer,
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
                TlsErrorKind::NameMismatch
            }
            CertificateError::Expired
            | CertificateError::ExpiredContext { .. }
            | CertificateError::NotValidYet
            | CertificateError::NotValidYetContext { .. } => TlsErrorKind::Expired,
            _ => TlsErrorKind::BadCertificate,
        },
        _ => TlsErrorKind::Protocol,
    }
}

/// The rustls error inside an I/O error from futures-rustls, if there is one.
pub fn rustls_error(e: &io::Error) -> Option<&rustls::Error> {
    e.get_ref()?.downcast_ref::<rustls::Error>()
}

/// The kind of a failed handshake's I/O error: `None` if it carries no rustls error (the
/// socket itself failed, or the peer closed it).
pub fn classify_io(e: &io::Error) -> Option<TlsErrorKind> {
    rustls_error(e).map(classify)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds() {
        let cert = |c| rustls::Error::InvalidCertificate(c);
        assert_eq!(
            classify(&cert(CertificateError::UnknownIssuer)),
            TlsErrorKind::UnknownIssuer
        );
        assert_eq!(
            classify(&cert(CertificateError::NotValidForName)),
            TlsErrorKind::NameMismatch
        );
        assert_eq!(
            classify(&cert(CertificateError::Expired)),
            TlsErrorKind::Expired
        );
        assert_eq!(
            classify(&cert(CertificateError::BadSignature)),
            TlsErrorKind::BadCertificate
        );
        assert_eq!(
            classify(&rustls::Error::AlertReceived(
                rustls::AlertDescription::HandshakeFailure
            )),
            TlsErrorKind::Protocol
        );
        let io = io::Error::new(
            io::ErrorKind::InvalidData,
            cert(CertificateError::UnknownIssuer),
        );
        assert_eq!(classify_io(&io), Some(TlsErrorKind::UnknownIssuer));
        assert_eq!(classify_io(&io::ErrorKind::ConnectionReset.into()), None);
    }
}
