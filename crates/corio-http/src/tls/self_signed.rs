//! [`SelfSigned`]: a development certificate made at start-up (rcgen), for
//! `corio serve --tls-self-signed`.
//!
//! The certificate is its own issuer, valid for the names given (IP addresses become IP
//! subject alternative names, anything else a DNS name). Clients trust it explicitly, by its
//! file (`curl --cacert`) or by comparing its SHA-256 fingerprint, which is printed.

use super::error::TlsConfigError;
use super::pem::CertSource;

/// The names every development certificate covers; the bind address is added by the caller.
pub const DEV_NAMES: &[&str] = &["localhost", "127.0.0.1", "::1"];

/// A generated certificate and its key.
#[derive(Debug, Clone)]
pub struct SelfSigned {
    /// The certificate, PEM.
    pub cert_pem: String,
    /// The private key (PKCS#8), PEM.
    pub key_pem: String,
    /// SHA-256 of the certificate's DER, as colon-separated upper-case hex (as
    /// `openssl x509 -fingerprint -sha256` prints it).
    pub fingerprint: String,
}

impl SelfSigned {
    /// A certificate for `names` (at least one).
    pub fn generate(names: &[String]) -> Result<SelfSigned, TlsConfigError> {
        let made = rcgen::generate_simple_self_signed(names.to_vec())
            .map_err(|e| TlsConfigError::Generate(e.to_string()))?;
        Ok(SelfSigned {
            cert_pem: made.cert.pem(),
            key_pem: made.key_pair.serialize_pem(),
            fingerprint: sha256_fingerprint(made.cert.der()),
        })
    }

    /// The certificate as a source for [`super::TlsConfig::from_sources`].
    pub fn source(&self) -> CertSource {
        CertSource::pem(self.cert_pem.as_bytes(), self.key_pem.as_bytes())
    }
}

/// SHA-256 of `der` as `AB:CD:...`.
pub fn sha256_fingerprint(der: &[u8]) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, der);
    digest
        .as_ref()
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_certificate_loads_and_has_a_fingerprint() {
        let names: Vec<String> = DEV_NAMES.iter().map(|s| s.to_string()).collect();
        let made = SelfSigned::generate(&names).unwrap();
        assert!(made.source().load().is_ok());
        assert_eq!(made.fingerprint.len(), 32 * 3 - 1);
        let empty = sha256_fingerprint(b"");
        assert!(empty.starts_with("E3:B0:C4:42"));
    }
}
