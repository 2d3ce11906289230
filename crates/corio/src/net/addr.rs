//! [`ToSocketAddrs`]: what `bind` and `connect` accept, and [`lookup_host`].
//!
//! As in tokio, the socket constructors take anything that names one or more socket addresses:
//! a [`SocketAddr`], an `(IpAddr, u16)` pair, a `"host:port"` string, a `(host, port)` pair, a
//! slice of addresses. A numeric address (`"127.0.0.1:8080"`, `"[::1]:80"`, an `IpAddr`) is
//! parsed in place, with no thread hop. A host name (`"localhost:8080"`) is resolved by the
//! system resolver (`getaddrinfo`, through `std::net::ToSocketAddrs`), which blocks: it runs
//! on corio's [`spawn_blocking`](crate::task::spawn_blocking) pool, never on the loop.
//!
//! A name can resolve to several addresses: `connect` tries them in order and returns the
//! first connection, `bind` the first socket bound; if all fail, the error of the last one.
//!
//! The trait is sealed (its method is private), as tokio's is: the resolution strategy is
//! corio's to change.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

use crate::event_loop::EventLoop;

/// Anything `bind`, `connect` and [`lookup_host`] accept: see the module docs of `corio::net`
/// for the list. Implemented for [`SocketAddr`], [`SocketAddrV4`], [`SocketAddrV6`],
/// `(IpAddr, u16)`, `(Ipv4Addr, u16)`, `(Ipv6Addr, u16)`, `&str` and `String`
/// (`"host:port"`), `(&str, u16)` and `(String, u16)`, `&[SocketAddr]`, `Vec<SocketAddr>`,
/// and `&T` for any of these.
pub trait ToSocketAddrs: sealed::ToSocketAddrsPriv {}

pub(crate) mod sealed {
    use super::Target;

    /// The hidden half of [`ToSocketAddrs`](super::ToSocketAddrs).
    pub trait ToSocketAddrsPriv {
        /// The addresses, or the name to resolve.
        fn to_target(&self) -> Target;
    }
}

/// What an address argument turned into without resolving anything.
#[derive(Debug)]
pub enum Target {
    /// Numeric addresses, ready to use (or the parse error).
    Ready(io::Result<Vec<SocketAddr>>),
    /// A host name and port to resolve on the blocking pool.
    Lookup(String, u16),
}

/// Resolves `addr` to its socket addresses; host names are resolved on the blocking pool.
///
/// ```
/// corio::block_on(async {
///     let addrs: Vec<_> = corio::net::lookup_host("localhost:8080").await.unwrap().collect();
///     assert!(addrs.iter().all(|a| a.ip().is_loopback() && a.port() == 8080));
///     let numeric: Vec<_> = corio::net::lookup_host("127.0.0.1:1").await.unwrap().collect();
///     assert_eq!(numeric, ["127.0.0.1:1".parse().unwrap()]);
/// });
/// ```
///
/// Fails with `InvalidInput` for a string that is not `host:port`, and with the resolver's
/// error for a name it does not know. Resolving a host name needs a corio loop on this thread
/// (an error of kind `Other` otherwise); numeric addresses do not.
pub async fn lookup_host(addr: impl ToSocketAddrs) -> io::Result<impl Iterator<Item = SocketAddr>> {
    resolve(&addr).await.map(Vec::into_iter)
}

/// Resolves to a non-empty list of addresses.
pub(crate) async fn resolve(addr: &impl ToSocketAddrs) -> io::Result<Vec<SocketAddr>> {
    let addrs = match addr.to_target() {
        Target::Ready(addrs) => addrs?,
        Target::Lookup(host, port) => {
            if !EventLoop::with_current(|lp| lp.is_some()) {
                return Err(io::Error::other(
                    "corio: resolving a host name needs a corio event loop on this thread",
                ));
            }
            crate::task::spawn_blocking(move || {
                std::net::ToSocketAddrs::to_socket_addrs(&(host.as_str(), port))
                    .map(Iterator::collect)
            })
            .await
            .map_err(|e| io::Error::other(format!("corio: name resolution failed: {e}")))??
        }
    };
    if addrs.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "could not resolve to any address",
        ));
    }
    Ok(addrs)
}

/// Runs `op` on each address in turn until one succeeds; else the last error.
pub(crate) async fn first_success<T, F, Fut>(addr: &impl ToSocketAddrs, mut op: F) -> io::Result<T>
where
    F: FnMut(SocketAddr) -> Fut,
    Fut: std::future::Future<Output = io::Result<T>>,
{
    let mut last = None;
    for addr in resolve(addr).await? {
        match op(addr).await {
            Ok(value) => return Ok(value),
            Err(e) => last = Some(e),
        }
    }
    Err(last.expect("resolve returns at least one address"))
}

fn ready(addr: SocketAddr) -> Target {
    Target::Ready(Ok(vec![addr]))
}

/// `"host:port"`: numeric if it parses as a socket address, else a name to look up.
fn parse_host_port(s: &str) -> Target {
    if let Ok(addr) = s.parse::<SocketAddr>() {
        return ready(addr);
    }
    let Some((host, port)) = s.rsplit_once(':') else {
        return Target::Ready(Err(invalid("invalid socket address: missing port")));
    };
    match port.parse::<u16>() {
        Ok(port) => host_port(host, port),
        Err(_) => Target::Ready(Err(invalid("invalid socket address: bad port"))),
    }
}

/// `(host, port)`: numeric if `host` parses as an IP address, else a name to look up.
fn host_port(host: &str, port: u16) -> Target {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return ready(SocketAddr::new(ip, port));
    }
    if host.is_empty() {
        return Target::Ready(Err(invalid("invalid socket address: empty host")));
    }
    Target::Lookup(host.to_owned(), port)
}

fn invalid(message: &'static str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, message)
}

macro_rules! numeric {
    ($($ty:ty => |$this:ident| $addr:expr;)*) => {$(
        impl ToSocketAddrs for $ty {}
        impl sealed::ToSocketAddrsPriv for $ty {
            fn to_target(&self) -> Target {
                let $this = self;
                ready($addr)
            }
        }
    )*};
}

numeric! {
    SocketAddr => |a| *a;
    SocketAddrV4 => |a| SocketAddr::V4(*a);
    SocketAddrV6 => |a| SocketAddr::V6(*a);
    (IpAddr, u16) => |a| SocketAddr::new(a.0, a.1);
    (Ipv4Addr, u16) => |a| SocketAddr::new(IpAddr::V4(a.0), a.1);
    (Ipv6Addr, u16) => |a| SocketAddr::new(IpAddr::V6(a.0), a.1);
}

impl ToSocketAddrs for str {}
impl sealed::ToSocketAddrsPriv for str {
    fn to_target(&self) -> Target {
        parse_host_port(self)
    }
}

impl ToSocketAddrs for String {}
impl sealed::ToSocketAddrsPriv for String {
    fn to_target(&self) -> Target {
        parse_host_port(self)
    }
}

impl ToSocketAddrs for (&str, u16) {}
impl sealed::ToSocketAddrsPriv for (&str, u16) {
    fn to_target(&self) -> Target {
        host_port(self.0, self.1)
    }
}

impl ToSocketAddrs for (String, u16) {}
impl sealed::ToSocketAddrsPriv for (String, u16) {
    fn to_target(&self) -> Target {
        host_port(&self.0, self.1)
    }
}

impl ToSocketAddrs for [SocketAddr] {}
impl sealed::ToSocketAddrsPriv for [SocketAddr] {
    fn to_target(&self) -> Target {
        Target::Ready(Ok(self.to_vec()))
    }
}

impl ToSocketAddrs for Vec<SocketAddr> {}
impl sealed::ToSocketAddrsPriv for Vec<SocketAddr> {
    fn to_target(&self) -> Target {
        Target::Ready(Ok(self.clone()))
    }
}

impl<T: ToSocketAddrs + ?Sized> ToSocketAddrs for &T {}
impl<T: ToSocketAddrs + ?Sized> sealed::ToSocketAddrsPriv for &T {
    fn to_target(&self) -> Target {
        (**self).to_target()
    }
}
