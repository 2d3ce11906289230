//! Name resolution and connection establishment.
//!
//! Invariants:
//! - the event loop never blocks: IP literals and `localhost` are answered without a thread,
//!   every other name goes through `std::net::ToSocketAddrs` on
//!   [`corio::task::spawn_blocking`]'s pool;
//! - every resolved address is tried in order, each with the connect timeout; the error
//!   reported is the last one, so "connection refused" stays "connection refused";
//! - connected sockets have `TCP_NODELAY` set (a request is one write; waiting for more
//!   data to coalesce only adds latency);
//! - an `https` connection's TLS handshake sends the URL's host as SNI (names only: IP
//!   addresses are verified against the certificate's IP entries but not sent), is bounded by
//!   the handshake timeout, and its failure is a [`ErrorKind::Tls`] naming the reason.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, ToSocketAddrs};
use std::sync::Arc;
use std::time::Duration;

use corio::net::TcpStream;
use futures_rustls::TlsConnector;
use rustls_pki_types::ServerName;
use url::{Host, Url};

use super::error::{Error, ErrorKind, TimeoutKind};
use super::stream::Stream;
use crate::tls::classify_io;

/// Resolves the host of `url` (which must have one) to socket addresses.
pub(crate) async fn resolve(url: &Url, port: u16) -> Result<Vec<SocketAddr>, Error> {
    let name = match url.host() {
        Some(Host::Ipv4(ip)) => return Ok(vec![SocketAddr::new(IpAddr::V4(ip), port)]),
        Some(Host::Ipv6(ip)) => return Ok(vec![SocketAddr::new(IpAddr::V6(ip), port)]),
        Some(Host::Domain(name)) => name,
        None => return Err(Error::new(ErrorKind::InvalidUrl, url.as_str())),
    };
    if name.eq_ignore_ascii_case("localhost") {
        return Ok(vec![
            SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port),
            SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), port),
        ]);
    }
    let owned = name.to_owned();
    let found = corio::task::spawn_blocking(move || {
        (owned.as_str(), port)
            .to_socket_addrs()
            .map(Iterator::collect::<Vec<_>>)
    })
    .await;
    match found {
        Ok(Ok(addrs)) if !addrs.is_empty() => Ok(addrs),
        Ok(Ok(_)) => Err(Error::new(ErrorKind::Resolve, url.as_str())
            .with_source(format!("no addresses for {name}"))),
        Ok(Err(e)) => Err(Error::new(ErrorKind::Resolve, url.as_str()).with_source(e)),
        Err(e) => Err(Error::new(ErrorKind::Resolve, url.as_str()).with_source(e.to_string())),
    }
}

/// Connects to the first of `addrs` that accepts, each attempt bounded by `timeout`.
pub(crate) async fn connect(
    url: &Url,
    addrs: &[SocketAddr],
    timeout: Option<Duration>,
) -> Result<TcpStream, Error> {
    let mut last = Error::new(ErrorKind::Connect(io::ErrorKind::NotFound), url.as_str());
    for &addr in addrs {
        let attempt = match timeout {
            Some(t) => corio::time::timeout(t, TcpStream::connect(addr)).await,
            None => Ok(TcpStream::connect(addr).await),
        };
        match attempt {
            Ok(Ok(stream)) => {
                // Best effort: a failure only costs latency.
                let _ = stream.set_nodelay(true);
                return Ok(stream);
            }
            Ok(Err(e)) => {
                let msg = format!("{addr}: {e}");
                last = Error::new(ErrorKind::Connect(e.kind()), url.as_str())
                    .with_source(io::Error::new(e.kind(), msg));
            }
            Err(_) => {
                last = Error::new(ErrorKind::Timeout(TimeoutKind::Connect), url.as_str())
                    .with_source(format!("{addr}: no answer"));
            }
        }
    }
    Err(last)
}

/// Runs the TLS handshake on `tcp` for `url`'s host.
pub(crate) async fn handshake(
    url: &Url,
    tcp: TcpStream,
    config: &Arc<rustls::ClientConfig>,
    timeout: Option<Duration>,
) -> Result<Stream, Error> {
    let name = match url.host() {
        Some(Host::Domain(name)) => ServerName::try_from(name.to_owned()).map_err(|e| {
            Error::new(ErrorKind::InvalidUrl, url.as_str()).with_source(e.to_string())
        })?,
        Some(Host::Ipv4(ip)) => ServerName::IpAddress(IpAddr::V4(ip).into()),
        Some(Host::Ipv6(ip)) => ServerName::IpAddress(IpAddr::V6(ip).into()),
        None => return Err(Error::new(ErrorKind::InvalidUrl, url.as_str())),
    };
    let connect = TlsConnector::from(config.clone()).connect(name, tcp);
    let done = match timeout {
        Some(t) => match corio::time::timeout(t, connect).await {
            Ok(done) => done,
            Err(_) => {
                return Err(Error::new(
                    ErrorKind::Timeout(TimeoutKind::Handshake),
                    url.as_str(),
                ))
            }
        },
        None => connect.await,
    };
    match done {
        Ok(tls) => Ok(Stream::Tls(Box::new(tls))),
        Err(e) => Err(match classify_io(&e) {
            Some(kind) => Error::new(ErrorKind::Tls(kind), url.as_str()).with_source(e),
            None => Error::io(url.as_str(), e),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_and_localhost_need_no_thread() {
        corio::block_on(async {
            let u = Url::parse("http://127.0.0.1:81/").unwrap();
            assert_eq!(
                resolve(&u, 81).await.unwrap(),
                vec!["127.0.0.1:81".parse().unwrap()]
            );
            let u = Url::parse("http://[::1]/").unwrap();
            assert_eq!(
                resolve(&u, 80).await.unwrap(),
                vec!["[::1]:80".parse().unwrap()]
            );
            let u = Url::parse("http://LocalHost:5000/").unwrap();
            let addrs = resolve(&u, 5000).await.unwrap();
            assert_eq!(addrs[0], "127.0.0.1:5000".parse().unwrap());
        });
    }
}
