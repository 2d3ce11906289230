//! `--cacert FILE` and `-k/--insecure`: the TLS options shared by the client commands.

use std::path::PathBuf;

use corio_http::client::ClientBuilder;
use corio_http::tls::certs_from_file;

/// TLS options of `get` and `crawl`.
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
    /// Applies the options to `builder`: a `--cacert` that cannot be read or holds no
    /// certificate is an error naming the file; `--insecure` warns on stderr.
    pub fn apply(&self, mut builder: ClientBuilder) -> Result<ClientBuilder, String> {
        if let Some(path) = &self.cacert {
            let roots = certs_from_file(path).map_err(|e| format!("--cacert: {e}"))?;
            builder = builder.add_root_certificates(roots);
        }
        if self.insecure {
            eprintln!("warning: --insecure: server certificates are not verified");
            builder = builder.danger_accept_invalid_certs(true);
        }
        Ok(builder)
    }
}
