//! `corio serve`'s HTTPS options: `--tls-cert FILE --tls-key FILE` (repeatable, one
//! certificate per pair, chosen by SNI; the first is the default) and `--tls-self-signed`.
//!
//! `--tls-self-signed` makes a certificate at start-up (rcgen) for localhost, 127.0.0.1, ::1
//! and the bind address (unless it is unspecified, `0.0.0.0` or `::`), writes it (the
//! certificate only, never the key) to a PEM file in the temporary directory named after the
//! port, and the start-up line shows its SHA-256 fingerprint and that file, so that
//! `curl --cacert FILE https://localhost:PORT/` trusts it. The file is removed when the
//! server stops. With files, `SIGHUP` reloads them (new connections get the new certificate).

use std::net::SocketAddr;
use std::path::PathBuf;

use corio_http::tls::{SelfSigned, TlsConfig, DEV_NAMES};

/// The HTTPS options of `corio serve`.
#[derive(Debug, Clone, clap::Args)]
pub struct ServeTlsArgs {
    /// Serve HTTPS with this certificate chain (PEM, leaf first); repeat with --tls-key for
    /// more certificates, chosen by SNI (the first is the default). SIGHUP reloads them.
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Vec<PathBuf>,
    /// The private key (PEM: PKCS#8, RSA or EC) of the --tls-cert given at the same position.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Vec<PathBuf>,
    /// Serve HTTPS with a certificate made at start-up for localhost, 127.0.0.1, ::1 and the
    /// address (for development; its fingerprint and a PEM file for `curl --cacert` are shown).
    #[arg(long, conflicts_with_all = ["tls_cert", "tls_key"])]
    pub tls_self_signed: bool,
}

/// What the options give: the configuration, and for a self-signed certificate what to show.
pub struct ServeTls {
    /// The server's TLS configuration.
    pub config: TlsConfig,
    /// The generated certificate, with `--tls-self-signed`.
    pub self_signed: Option<SelfSigned>,
}

impl ServeTlsArgs {
    /// The TLS configuration, or `None` for cleartext. Errors name the offending option or
    /// file.
    pub fn load(&self, addr: SocketAddr) -> Result<Option<ServeTls>, String> {
        if self.tls_self_signed {
            let mut names: Vec<String> = DEV_NAMES.iter().map(|n| n.to_string()).collect();
            let ip = addr.ip().to_string();
            if !addr.ip().is_unspecified() && !names.contains(&ip) {
                names.push(ip);
            }
            let made = SelfSigned::generate(&names).map_err(|e| e.to_string())?;
            let config = TlsConfig::from_sources(vec![made.source()]).map_err(|e| e.to_string())?;
            return Ok(Some(ServeTls {
                config,
                self_signed: Some(made),
            }));
        }
        if self.tls_cert.is_empty() {
            return Ok(None);
        }
        if self.tls_cert.len() != self.tls_key.len() {
            return Err(format!(
                "--tls-cert and --tls-key go in pairs: {} certificate(s) but {} key(s)",
                self.tls_cert.len(),
                self.tls_key.len()
            ));
        }
        let sources = self
            .tls_cert
            .iter()
            .zip(&self.tls_key)
            .map(|(cert, key)| corio_http::tls::CertSource::files(cert, key))
            .collect();
        let config = TlsConfig::from_sources(sources).map_err(|e| e.to_string())?;
        Ok(Some(ServeTls {
            config,
            self_signed: None,
        }))
    }
}

impl ServeTls {
    /// Writes a self-signed certificate's PEM for `curl --cacert`; returns the note for the
    /// start-up line and the file to remove at exit (`None` when serving given files).
    pub fn announce(&self, addr: SocketAddr) -> Result<(String, Option<PathBuf>), String> {
        let Some(made) = &self.self_signed else {
            return Ok(("; HTTPS, SIGHUP reloads the certificates".to_owned(), None));
        };
        let path = std::env::temp_dir().join(format!("corio-self-signed-{}.pem", addr.port()));
        std::fs::write(&path, &made.cert_pem)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        let note = format!(
            "; self-signed certificate SHA-256 {}, trust it with curl --cacert {}",
            made.fingerprint,
            path.display()
        );
        Ok((note, Some(path)))
    }
}
