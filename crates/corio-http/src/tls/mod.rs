//! TLS on corio's TCP streams, with rustls: the server's configuration and handshake, the
//! client's verification and resumption, and the pieces both share.
//!
//! The transport is futures-rustls's `TlsStream<corio::net::TcpStream>`: corio's streams
//! implement the `futures-io` traits, which is all futures-rustls needs, so no record layer
//! or glue is written here. The crypto provider is aws-lc-rs, everywhere ([`provider`]).
//!
//! | file | owns |
//! |---|---|
//! | `server.rs` | [`TlsConfig`]: versions, ALPN, resumption, SNI certificates; [`TlsConfig::accept`] |
//! | `sni.rs` | [`SniCerts`]: the certificate for a handshake's SNI, the first by default |
//! | `reload.rs` | [`CertStore`]: certificates swapped atomically on reload (SIGHUP) |
//! | `pem.rs` | [`CertSource`]: chains and keys (PKCS#8, RSA, SEC1) from PEM |
//! | `plaintext.rs` | cleartext HTTP on the TLS port: detected by its first byte, answered `400` |
//! | `self_signed.rs` | [`SelfSigned`]: a development certificate and its fingerprint |
//! | `ticketer.rs` | [`ticketer()`]: session tickets sealed with AES-256-GCM-SIV, keys rotated |
//! | `client.rs` | [`ClientTlsConfig`]: roots, `--insecure`, ALPN, the session store |
//! | `insecure.rs` | [`AcceptAnyServerCert`]: the verifier of `-k` |
//! | `classify.rs` | [`TlsErrorKind`]: a failed handshake's reason from rustls' error |
//! | `error.rs` | [`TlsConfigError`]: why certificates, keys or roots could not be loaded |

mod classify;
mod client;
mod error;
mod insecure;
mod pem;
mod plaintext;
mod reload;
mod self_signed;
mod server;
mod sni;
mod ticketer;

use std::sync::Arc;

use rustls::crypto::CryptoProvider;
use rustls::SupportedProtocolVersion;

pub use classify::{classify, classify_io, rustls_error, TlsErrorKind};
pub use client::{ClientTlsConfig, CLIENT_SESSION_CACHE_SIZE};
pub use error::TlsConfigError;
pub use insecure::AcceptAnyServerCert;
pub use pem::{certs_from_file, certs_from_pem, key_from_file, key_from_pem, CertSource};
pub use plaintext::{
    peek_first_byte, reject_plain_http, FirstByte, PLAIN_HTTP_DRAIN, PLAIN_HTTP_RESPONSE,
};
pub use reload::CertStore;
pub use self_signed::{sha256_fingerprint, SelfSigned, DEV_NAMES};
pub use server::{AcceptError, TlsConfig, SESSION_CACHE_SIZE};
pub use sni::SniCerts;
pub use ticketer::{ticketer, TICKET_KEY_LIFETIME};

/// The rustls and futures-rustls versions this crate uses, for building configurations and
/// naming stream types that match.
pub use {futures_rustls, rustls};

/// The ALPN identifier of HTTP/1.1.
pub const ALPN_HTTP11: &[u8] = b"http/1.1";

/// The ALPN identifier of HTTP/2 over TLS.
pub const ALPN_H2: &[u8] = b"h2";

/// The protocol versions offered and accepted: TLS 1.3 and 1.2 (1.0 and 1.1 are broken and
/// rustls never implemented them).
pub const PROTOCOL_VERSIONS: &[&SupportedProtocolVersion] =
    &[&rustls::version::TLS13, &rustls::version::TLS12];

/// The crypto provider of every configuration built here: aws-lc-rs, with the hybrid
/// post-quantum key exchange X25519MLKEM768 preferred when a peer offers it (see
/// ARCHITECTURE.md).
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}
