//! Binding: an address in use is refused with a clear error, whichever of two servers (or a
//! foreign socket with `SO_REUSEPORT`) comes first; the workers of one server share its port,
//! port 0 included, and the port is free again once the server has stopped.

mod util;

use std::io;
use std::net::SocketAddr;

use corio_http::{Request, Response, RunningServer, Server};
use socket2::{Domain, Protocol, Socket, Type};
use util::{get, stop};

fn start(addr: SocketAddr, workers: usize, name: &'static str) -> io::Result<RunningServer> {
    Server::bind(addr)
        .workers(workers)
        .start(move |_req: Request| async move { Response::text(name) })
}

/// A listening socket with `SO_REUSEPORT`, as a program wanting to share a port would open.
fn reuse_port_listener(addr: SocketAddr) -> io::Result<Socket> {
    let socket = Socket::new(Domain::IPV4, Type::STREAM, Some(Protocol::TCP))?;
    socket.set_reuse_address(true)?;
    socket.set_reuse_port(true)?;
    socket.bind(&addr.into())?;
    socket.listen(16)?;
    Ok(socket)
}

fn assert_in_use(result: io::Result<RunningServer>, addr: SocketAddr) {
    let err = result.expect_err("a second server on the same address");
    assert_eq!(err.kind(), io::ErrorKind::AddrInUse, "{err}");
    let message = err.to_string();
    assert!(message.contains("address already in use"), "{message}");
    assert!(message.contains(&addr.to_string()), "{message}");
}

/// Two multi-worker servers on one address used to both bind through `SO_REUSEPORT`, and the
/// kernel split the connections between them at random.
#[test]
fn second_server_on_the_same_address_is_refused() {
    let first = start("127.0.0.1:0".parse().unwrap(), 2, "first").unwrap();
    let addr = first.local_addr();
    for workers in [2, 1, 4] {
        assert_in_use(start(addr, workers, "second"), addr);
    }
    for _ in 0..8 {
        assert_eq!(get(addr, "/", "").text(), "first");
    }
    stop(first);
}

/// A foreign socket asking for `SO_REUSEPORT` cannot join a running server's port.
#[test]
fn reuse_port_socket_cannot_join_later() {
    let server = start("127.0.0.1:0".parse().unwrap(), 2, "server").unwrap();
    let addr = server.local_addr();
    let err = reuse_port_listener(addr).expect_err("joined the server's port");
    assert_eq!(err.kind(), io::ErrorKind::AddrInUse, "{err}");
    assert_eq!(get(addr, "/", "").text(), "server");
    stop(server);
}

/// Nor can a server join a port that a `SO_REUSEPORT` socket already listens on.
#[test]
fn server_cannot_join_a_reuse_port_socket() {
    let other = reuse_port_listener("127.0.0.1:0".parse().unwrap()).unwrap();
    let addr = other.local_addr().unwrap().as_socket().unwrap();
    for workers in [1, 2] {
        assert_in_use(start(addr, workers, "server"), addr);
    }
}

/// Port 0 with several workers: every worker accepts on the port the socket got, every
/// connection is answered; after the server stops, every duplicate is closed and the same
/// port can be bound again.
#[test]
fn workers_share_port_zero_and_release_it() {
    let server = start("127.0.0.1:0".parse().unwrap(), 4, "shared").unwrap();
    let addr = server.local_addr();
    assert_ne!(addr.port(), 0);
    for _ in 0..32 {
        assert_eq!(get(addr, "/", "").text(), "shared");
    }
    stop(server);
    let again = start(addr, 4, "again").expect("the port is free after the server stopped");
    assert_eq!(get(addr, "/", "").text(), "again");
    stop(again);
}
