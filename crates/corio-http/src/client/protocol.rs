//! [`Protocol`]: which HTTP version the client speaks to an origin, as curl's `--http1.1`,
//! `--http2` and `--http2-prior-knowledge` choose it.

/// The HTTP version a [`Client`](super::Client) uses ([`ClientBuilder::protocol`](super::ClientBuilder::protocol)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Protocol {
    /// HTTP/1.1 only: TLS offers ALPN `http/1.1` alone (curl's `--http1.1`). The default.
    #[default]
    Http1,
    /// HTTP/2 where the server agrees: `https://` offers ALPN `h2` then `http/1.1` and uses
    /// what the server picks; `http://` stays HTTP/1.1 (curl's `--http2`, without its
    /// `Upgrade: h2c` attempt, which corio's server does not offer either).
    Http2,
    /// As [`Protocol::Http2`], and HTTP/2 from the first byte on `http://` (h2c with prior
    /// knowledge, curl's `--http2-prior-knowledge`): a server that does not speak it fails
    /// the request.
    Http2PriorKnowledge,
}

impl Protocol {
    /// Whether requests for `scheme` try HTTP/2 first.
    pub(crate) fn tries_h2(self, scheme: &str) -> bool {
        match self {
            Protocol::Http1 => false,
            Protocol::Http2 => scheme == "https",
            Protocol::Http2PriorKnowledge => true,
        }
    }

    /// The ALPN protocols a TLS connection offers.
    pub(crate) fn alpn(self) -> &'static [&'static [u8]] {
        match self {
            Protocol::Http1 => &[crate::tls::ALPN_HTTP11],
            Protocol::Http2 | Protocol::Http2PriorKnowledge => {
                &[super::http2::ALPN_H2, crate::tls::ALPN_HTTP11]
            }
        }
    }
}
