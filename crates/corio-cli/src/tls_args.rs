//! `--cacert FILE` and `-k/--insecure`: the TLS options shared by the client commands.

use std::path::PathBuf;

use corio_http::client::ClientBuilder;
use corio_http::tls::{certs_from_file, ClientTlsConfig};

/// TLS options of `get`, `crawl` and `bench`.
#[derive(Debug, Clone, clap::Args)]
pub struct TlsArgs {
    /// Trust the certificates in FILE (PEM) besides the bundled Mozilla roots.
    #[arg(long, value_name = "FILE")]
    pub cacert: Option<PathBuf>,
    /// Do not verify servers' certificates (https:// is then encrypted but not
    /// authenticated); a warning is printed.
    #[arg(short = 'k', long)]
    pub insecure: bool,
}

impl TlsArgs {
    /// The client TLS settings: a `--cacert` that cannot be read or holds no certificate is
    /// an error naming the file; `--insecure` warns on stderr.
    pub fn tls_config(&self) -> Result<ClientTlsConfig, String> {
        let mut tls = ClientTlsConfig::new();
        if let Some(path) = &self.cacert {
            let roots = certs_from_file(path).map_err(|e| format!("--cacert: {e}"))?;
            tls = tls.add_roots(roots);
        }
        if self.insecure {
            eprintln!("warning: --insecure: server certificates are not verified");
            tls = tls.insecure(true);
        }
        Ok(tls)
    }

    /// Applies the options to `builder` (see [`TlsArgs::tls_config`]).
    pub fn apply(&self, builder: ClientBuilder) -> Result<ClientBuilder, String> {
        Ok(builder.tls(self.tls_config()?))
    }
}
