//! `bind` and `connect` with `ToSocketAddrs` arguments over 127.0.0.1: numeric strings, host
//! names resolved on the blocking pool ("localhost"), pairs, several addresses tried in turn,
//! and clear errors for bad input.

use std::future::Future;
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use corio::net::{lookup_host, TcpListener, TcpStream, UdpSocket};

/// A port nothing listens on: bound, read, closed.
fn closed_port() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap()
}

/// Accepts one connection and echoes one byte back.
async fn echo_one(listener: &TcpListener) {
    let (mut conn, _) = listener.accept().await.unwrap();
    let mut byte = [0; 1];
    conn.read_exact(&mut byte).await.unwrap();
    conn.write_all(&byte).await.unwrap();
}

async fn ping(mut stream: TcpStream, byte: u8) {
    stream.write_all(&[byte]).await.unwrap();
    let mut back = [0; 1];
    stream.read_exact(&mut back).await.unwrap();
    assert_eq!(back[0], byte);
}

#[test]
fn every_address_form_connects_to_a_listener_bound_by_string() {
    corio::block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let port = addr.port();
        let listener = Arc::new(listener);
        let server = corio::spawn({
            let listener = listener.clone();
            async move {
                for _ in 0..7 {
                    echo_one(&listener).await;
                }
            }
        });
        let localhost = format!("localhost:{port}");
        let loopback = IpAddr::V4(Ipv4Addr::LOCALHOST);
        ping(TcpStream::connect(addr).await.unwrap(), 1).await;
        ping(TcpStream::connect(&addr).await.unwrap(), 2).await;
        ping(TcpStream::connect(localhost.as_str()).await.unwrap(), 3).await;
        ping(TcpStream::connect(localhost).await.unwrap(), 4).await;
        ping(TcpStream::connect(("localhost", port)).await.unwrap(), 5).await;
        ping(TcpStream::connect((loopback, port)).await.unwrap(), 6).await;
        ping(
            TcpStream::connect(format!("127.0.0.1:{port}"))
                .await
                .unwrap(),
            7,
        )
        .await;
        server.await.unwrap();
    });
}

#[test]
fn a_listener_binds_to_a_host_name() {
    corio::block_on(async {
        let listener = TcpListener::bind("localhost:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        assert!(addr.ip().is_loopback(), "{addr}");
        assert_ne!(addr.port(), 0);
        let server = corio::spawn(async move { echo_one(&listener).await });
        ping(TcpStream::connect(addr).await.unwrap(), 9).await;
        server.await.unwrap();
    });
}

#[test]
fn connect_tries_each_address_in_turn() {
    corio::block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let open = listener.local_addr().unwrap();
        let server = corio::spawn(async move { echo_one(&listener).await });
        let addrs = [closed_port(), open];
        let stream = TcpStream::connect(&addrs[..]).await.unwrap();
        assert_eq!(stream.peer_addr().unwrap(), open);
        ping(stream, 3).await;
        server.await.unwrap();
    });
}

#[test]
fn when_every_address_fails_connect_returns_the_last_error() {
    corio::block_on(async {
        let addrs = vec![closed_port(), closed_port()];
        let err = TcpStream::connect(addrs).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused, "{err}");
    });
}

#[test]
fn malformed_addresses_are_invalid_input() {
    corio::block_on(async {
        for bad in [
            "127.0.0.1",
            "localhost",
            "localhost:http",
            ":80",
            "host:99999",
            "",
        ] {
            let err = TcpStream::connect(bad).await.unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{bad:?}: {err}");
            let err = TcpListener::bind(bad).await.unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{bad:?}: {err}");
        }
        let empty: &[SocketAddr] = &[];
        let err = TcpStream::connect(empty).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{err}");
    });
}

#[test]
fn lookup_host_resolves_localhost_and_passes_numbers_through() {
    corio::block_on(async {
        let addrs: Vec<_> = lookup_host("localhost:8080").await.unwrap().collect();
        assert!(!addrs.is_empty());
        assert!(
            addrs
                .iter()
                .all(|a| a.ip().is_loopback() && a.port() == 8080),
            "{addrs:?}"
        );
        let addrs: Vec<_> = lookup_host("[::1]:443").await.unwrap().collect();
        assert_eq!(addrs, ["[::1]:443".parse::<SocketAddr>().unwrap()]);
    });
}

struct NoopWake;

impl Wake for NoopWake {
    fn wake(self: Arc<Self>) {}
}

/// Polls `future` once on a plain thread (no corio loop).
fn poll_once<F: Future>(future: F) -> Poll<F::Output> {
    let waker = Waker::from(Arc::new(NoopWake));
    pin!(future).poll(&mut Context::from_waker(&waker))
}

#[test]
fn resolving_a_name_without_a_loop_is_an_error_not_a_panic() {
    let Poll::Ready(result) = poll_once(lookup_host("localhost:80")) else {
        panic!("a name outside a loop must fail at once");
    };
    let err = result.err().expect("no loop to resolve on");
    assert_eq!(err.kind(), io::ErrorKind::Other, "{err}");
    // Numeric addresses need no loop.
    let Poll::Ready(result) = poll_once(lookup_host("127.0.0.1:80")) else {
        panic!("a numeric address resolves at once");
    };
    assert_eq!(result.unwrap().count(), 1);
}

#[test]
fn udp_binds_and_connects_by_name() {
    corio::block_on(async {
        let a = UdpSocket::bind("localhost:0").await.unwrap();
        let b = UdpSocket::bind(("127.0.0.1", 0)).await.unwrap();
        let a_port = a.local_addr().unwrap().port();
        let b_port = b.local_addr().unwrap().port();
        a.connect(format!("localhost:{b_port}")).await.unwrap();
        b.connect(("localhost", a_port)).await.unwrap();
        a.send(b"over a name").await.unwrap();
        let mut buf = [0; 32];
        let n = b.recv(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"over a name");
        let err = a.connect("nowhere").await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{err}");
    });
}
