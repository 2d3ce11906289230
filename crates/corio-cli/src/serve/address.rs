//! Where `corio serve` listens: positional words, `-p/--port`, `-b/--bind`, `--addr`, and
//! the URLs printed at start-up.
//!
//! # Rules
//!
//! * A positional word made only of ASCII digits is a **port** (`corio serve 8000`, as
//!   `python -m http.server 8000`); any other word is the **directory**. To serve a directory
//!   whose name is a number, write it as a path: `corio serve ./8000`. At most one port and
//!   one directory, in either order (`corio serve 8000 site` = `corio serve site 8000`).
//! * The port is the positional port or `-p`, not both; default [`DEFAULT_PORT`].
//! * The host is `-b` (an IP address, `[v6]` or a host name such as `localhost`); default
//!   [`DEFAULT_HOST`], so a server is private unless asked (`-b 0.0.0.0`).
//! * `--addr HOST:PORT` says both at once and excludes `-p`, `-b` and a positional port.
//! * A host name is resolved once at start-up; of its addresses the first IPv4 one is
//!   bound (else the first): `localhost` is `127.0.0.1`, which every client tries.
//! * Bound to `0.0.0.0` or `::`, the server prints one URL per interface address that a
//!   client could use (IPv4 only for `0.0.0.0`; IPv6 link-local addresses are left out, their
//!   URLs would need a zone).

use std::io;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::path::PathBuf;

/// The port when none is given: the seed's.
pub const DEFAULT_PORT: u16 = 5000;

/// The host when none is given: loopback, so nothing is exposed by accident.
pub const DEFAULT_HOST: &str = "127.0.0.1";

/// What the positional words said.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Positional {
    /// The port word, if one was given.
    pub port: Option<u16>,
    /// The directory word, if one was given.
    pub dir: Option<PathBuf>,
}

/// Sorts the positional words into a port and a directory (see the module rules).
pub fn classify(words: &[PathBuf]) -> Result<Positional, String> {
    let mut out = Positional::default();
    for word in words {
        match word.to_str().filter(|w| is_number(w)) {
            Some(digits) => {
                let port = digits.parse::<u16>().map_err(|_| {
                    format!(
                        "{digits} is not a port (0-65535); to serve a directory with that \
                         name, write ./{digits}"
                    )
                })?;
                if out.port.replace(port).is_some() {
                    return Err("more than one port given".into());
                }
            }
            None => {
                if out.dir.replace(word.clone()).is_some() {
                    return Err(format!(
                        "more than one directory given ({} and {})",
                        out.dir
                            .as_ref()
                            .map_or("".into(), |d| d.display().to_string()),
                        word.display()
                    ));
                }
            }
        }
    }
    Ok(out)
}

fn is_number(word: &str) -> bool {
    !word.is_empty() && word.bytes().all(|b| b.is_ascii_digit())
}

/// Checks the syntax of `--addr HOST:PORT` (resolution comes later, in [`resolve`]).
pub fn parse_addr(value: &str) -> Result<(String, u16), String> {
    let (host, port) = value
        .rsplit_once(':')
        .ok_or_else(|| format!("{value}: expected HOST:PORT, e.g. localhost:5000"))?;
    let port = port
        .parse::<u16>()
        .map_err(|_| format!("{value}: {port:?} is not a port (0-65535)"))?;
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    if host.is_empty() {
        return Err(format!("{value}: the host is empty"));
    }
    Ok((host.to_owned(), port))
}

/// Resolves `host` (an address, `[v6]` or a name) with `port` to the address to bind.
pub fn resolve(host: &str, port: u16) -> io::Result<SocketAddr> {
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(SocketAddr::new(ip, port));
    }
    let addrs: Vec<SocketAddr> = (host, port)
        .to_socket_addrs()
        .map_err(|e| io::Error::new(e.kind(), format!("cannot resolve {host}: {e}")))?
        .collect();
    addrs
        .iter()
        .find(|a| a.is_ipv4())
        .or_else(|| addrs.first())
        .copied()
        .ok_or_else(|| io::Error::other(format!("cannot resolve {host}: no address")))
}

/// The URLs a client can use to reach a server bound to `bound`: the address itself, or
/// for `0.0.0.0`/`::` one per interface address (loopback first).
pub fn urls(bound: SocketAddr) -> Vec<String> {
    if !bound.ip().is_unspecified() {
        return vec![url(bound)];
    }
    let mut ips: Vec<IpAddr> = if_addrs::get_if_addrs()
        .unwrap_or_default()
        .into_iter()
        .map(|interface| interface.ip())
        .filter(|ip| match ip {
            IpAddr::V4(_) => true,
            IpAddr::V6(v6) => bound.is_ipv6() && (v6.segments()[0] & 0xffc0) != 0xfe80,
        })
        .collect();
    ips.sort_by_key(|ip| (!ip.is_loopback(), ip.is_ipv6(), *ip));
    ips.dedup();
    ips.into_iter()
        .map(|ip| url(SocketAddr::new(ip, bound.port())))
        .collect()
}

/// `http://ADDR/`, with brackets around an IPv6 address.
pub fn url(addr: SocketAddr) -> String {
    format!("http://{addr}/")
}

/// Whether a word read as a port also names a directory here (for a hint).
pub fn port_shadows_directory(port: u16) -> bool {
    std::path::Path::new(&port.to_string()).is_dir()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classify_table() {
        let words = |ws: &[&str]| ws.iter().map(PathBuf::from).collect::<Vec<_>>();
        let ok = |port: Option<u16>, dir: Option<&str>| {
            Ok(Positional {
                port,
                dir: dir.map(PathBuf::from),
            })
        };
        assert_eq!(classify(&words(&[])), ok(None, None));
        assert_eq!(classify(&words(&["8000"])), ok(Some(8000), None));
        assert_eq!(classify(&words(&["./8000"])), ok(None, Some("./8000")));
        assert_eq!(classify(&words(&["site", "0"])), ok(Some(0), Some("site")));
        assert_eq!(classify(&words(&["80", "s"])), ok(Some(80), Some("s")));
        assert_eq!(classify(&words(&["8k"])), ok(None, Some("8k")));
        for bad in [&["70000"][..], &["1", "2"], &["a", "b"]] {
            assert!(classify(&words(bad)).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn addr_syntax_and_resolution() {
        assert_eq!(parse_addr("localhost:5000"), Ok(("localhost".into(), 5000)));
        assert_eq!(parse_addr("[::1]:80"), Ok(("::1".into(), 80)));
        assert_eq!(parse_addr("0.0.0.0:0"), Ok(("0.0.0.0".into(), 0)));
        for bad in ["nonsense", "host:", "host:99999", ":80", "[]:80"] {
            assert!(parse_addr(bad).is_err(), "{bad}");
        }
        assert_eq!(
            resolve("localhost", 7).unwrap(),
            "127.0.0.1:7".parse().unwrap()
        );
        assert_eq!(resolve("[::1]", 7).unwrap(), "[::1]:7".parse().unwrap());
        assert_eq!(resolve("::", 7).unwrap(), "[::]:7".parse().unwrap());
        assert!(resolve("no-such-host.invalid", 7).is_err());
    }

    #[test]
    fn urls_per_interface() {
        let one = urls("127.0.0.1:8000".parse().unwrap());
        assert_eq!(one, ["http://127.0.0.1:8000/"]);
        let any = urls("0.0.0.0:8000".parse().unwrap());
        assert_eq!(
            any.first().map(String::as_str),
            Some("http://127.0.0.1:8000/")
        );
        assert!(any.iter().all(|u| !u.contains('[')), "{any:?}");
        let any6 = urls("[::]:8000".parse().unwrap());
        assert!(
            any6.iter().any(|u| u == "http://127.0.0.1:8000/"),
            "{any6:?}"
        );
    }
}
