//! [`CertStore`]: the server's certificates, replaceable while it runs.
//!
//! Invariants:
//! - a handshake reads the current [`SniCerts`] under a read lock held only to clone an
//!   `Arc`; a reload builds the whole new set first and swaps it in one write, so a handshake
//!   sees either the old set or the new one, never a mix;
//! - a reload that fails for any certificate (unreadable file, bad PEM, key not matching)
//!   changes nothing: the old certificates stay in use and the error is returned;
//! - connections already established are not touched by a reload (their keys are theirs).

use std::io;
use std::sync::{Arc, PoisonError, RwLock};

use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;

use super::error::TlsConfigError;
use super::pem::CertSource;
use super::sni::SniCerts;

/// Certificates chosen by SNI, reloadable from their sources.
#[derive(Debug)]
pub struct CertStore {
    sources: Vec<CertSource>,
    current: RwLock<Arc<SniCerts>>,
}

impl CertStore {
    /// Loads every source (the first is the default certificate).
    pub fn load(sources: Vec<CertSource>) -> Result<CertStore, TlsConfigError> {
        let certs = load_all(&sources)?;
        Ok(CertStore {
            sources,
            current: RwLock::new(Arc::new(certs)),
        })
    }

    /// The certificates in use.
    pub fn current(&self) -> Arc<SniCerts> {
        self.current
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Reads every source again and swaps the new set in; returns how many certificates it
    /// holds. On error the old set stays in use.
    pub fn reload(&self) -> Result<usize, TlsConfigError> {
        let certs = load_all(&self.sources)?;
        let n = certs.len();
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(certs);
        Ok(n)
    }

    /// Starts watching `SIGHUP` on the loop of the calling thread (the handler is installed
    /// when this returns) and gives the task to spawn there: it reloads on every `SIGHUP`,
    /// logging each outcome on stderr (a failed reload keeps the old certificates and says
    /// why), until the signal stream fails. One task for the whole server: the store is
    /// shared by all workers.
    pub fn reload_on_sighup(
        self: Arc<Self>,
    ) -> io::Result<impl std::future::Future<Output = io::Error>> {
        let mut signals = corio::signal::Signals::new(&[corio::signal::SIGHUP])?;
        Ok(async move {
            loop {
                if let Err(e) = signals.recv().await {
                    return e;
                }
                match self.reload() {
                    Ok(n) => eprintln!("corio: SIGHUP: reloaded {n} TLS certificate(s)"),
                    Err(e) => eprintln!(
                        "corio: SIGHUP: TLS reload failed, keeping the old certificates: {e}"
                    ),
                }
            }
        })
    }
}

impl ResolvesServerCert for CertStore {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.current().resolve(&hello))
    }
}

fn load_all(sources: &[CertSource]) -> Result<SniCerts, TlsConfigError> {
    let keys = sources
        .iter()
        .map(CertSource::load)
        .collect::<Result<Vec<_>, _>>()?;
    SniCerts::new(keys)
}
