//! `--http1.1`, `--http2` and `--http2-prior-knowledge`: the HTTP version options shared by
//! `get` and `crawl`, as curl spells them.
//!
//! The default is HTTP/1.1 (curl's default for `http://`; for `https://` curl offers `h2`
//! by ALPN unless told `--http1.1`). corio keeps HTTP/1.1 the default everywhere for now so
//! that a command's output (`-i`, `-v`) and connection counts do not change under a user's
//! feet; `--http2` opts in.

use corio_http::client::{ClientBuilder, Protocol};

/// HTTP version options of `get` and `crawl`.
#[derive(Debug, Clone, clap::Args)]
pub struct HttpArgs {
    /// Speak HTTP/1.1 only (the default).
    #[arg(long = "http1.1", conflicts_with_all = ["http2", "http2_prior_knowledge"])]
    pub http1_1: bool,
    /// Use HTTP/2 where the server agrees: offered by ALPN on https:// (one connection per
    /// host carries every request); http:// stays HTTP/1.1.
    #[arg(long, conflicts_with = "http2_prior_knowledge")]
    pub http2: bool,
    /// Speak HTTP/2 from the first byte on http:// (h2c, for servers known to speak it);
    /// https:// negotiates it by ALPN.
    #[arg(long)]
    pub http2_prior_knowledge: bool,
}

impl HttpArgs {
    /// The protocol the options choose.
    pub fn protocol(&self) -> Protocol {
        if self.http2_prior_knowledge {
            Protocol::Http2PriorKnowledge
        } else if self.http2 {
            Protocol::Http2
        } else {
            Protocol::Http1
        }
    }

    /// Applies the options to `builder`.
    pub fn apply(&self, builder: ClientBuilder) -> ClientBuilder {
        builder.protocol(self.protocol())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        http: HttpArgs,
    }

    fn parse(args: &[&str]) -> Result<Protocol, clap::Error> {
        let mut argv = vec!["x"];
        argv.extend_from_slice(args);
        Cli::try_parse_from(argv).map(|cli| cli.http.protocol())
    }

    #[test]
    fn flags_choose_the_protocol_and_exclude_each_other() {
        assert_eq!(parse(&[]).unwrap(), Protocol::Http1);
        assert_eq!(parse(&["--http1.1"]).unwrap(), Protocol::Http1);
        assert_eq!(parse(&["--http2"]).unwrap(), Protocol::Http2);
        assert_eq!(
            parse(&["--http2-prior-knowledge"]).unwrap(),
            Protocol::Http2PriorKnowledge
        );
        assert!(parse(&["--http1.1", "--http2"]).is_err());
        assert!(parse(&["--http2", "--http2-prior-knowledge"]).is_err());
    }
}
