//! Layer 4, TCP over 127.0.0.1: echo with many connections, partial writes, reset, EOF.

mod util;

use std::cell::Cell;
use std::future::poll_fn;
use std::io;
use std::net::Shutdown;
use std::rc::Rc;
use std::task::Poll;

use corio::net::{ListenOptions, TcpListener, TcpStream};
use util::{pattern, Event};

async fn echo(mut stream: TcpStream) -> io::Result<()> {
    let mut buf = vec![0u8; 4096];
    loop {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            return Ok(());
        }
        stream.write_all(&buf[..n]).await?;
    }
}

/// 1,000 concurrent connections (about 2,000 descriptors in this process), each sending
/// distinct data and checking its echo.
#[test]
fn echo_with_1000_concurrent_connections() {
    const CONNECTIONS: usize = 1000;
    const LEN: usize = 2000;
    corio::block_on(async {
        let listener = TcpListener::bind(util::any_port()).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = corio::spawn(async move {
            let mut conns = Vec::new();
            for _ in 0..CONNECTIONS {
                let (stream, _) = listener.accept().await.unwrap();
                conns.push(corio::spawn(echo(stream)));
            }
            for conn in conns {
                conn.await.unwrap().unwrap();
            }
        });
        let clients: Vec<_> = (0..CONNECTIONS)
            .map(|i| {
                corio::spawn(async move {
                    let mut stream = TcpStream::connect(addr).await.unwrap();
                    let data = pattern(i, LEN);
                    stream.write_all(&data).await.unwrap();
                    let mut back = vec![0u8; LEN];
                    stream.read_exact(&mut back).await.unwrap();
                    assert!(back == data, "connection {i} got another's data");
                    stream.shutdown(Shutdown::Write).unwrap();
                    let mut rest = Vec::new();
                    assert_eq!(stream.read_to_end(&mut rest).await.unwrap(), 0);
                })
            })
            .collect();
        for client in clients {
            client.await.unwrap();
        }
        server.await.unwrap();
    });
}

/// Writes 8 MiB into a socket whose peer does not read until the writer has seen a write
/// return `Pending` (send buffer full); then the peer drains everything and checks it.
#[test]
fn partial_writes_deliver_everything_in_order() {
    const TOTAL: usize = 8 * 1024 * 1024;
    corio::block_on(async {
        // Small kernel buffers (no autotuning), so the writer blocks early.
        let socket =
            socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
        socket.set_recv_buffer_size(64 * 1024).unwrap();
        socket.bind(&util::any_port().into()).unwrap();
        socket.listen(16).unwrap();
        let listener = TcpListener::from_std(socket.into()).unwrap();
        let addr = listener.local_addr().unwrap();
        let std_client = std::net::TcpStream::connect(addr).unwrap();
        socket2::SockRef::from(&std_client)
            .set_send_buffer_size(64 * 1024)
            .unwrap();
        let writer = TcpStream::from_std(std_client).unwrap();
        let (mut reader, _) = listener.accept().await.unwrap();

        let blocked = Event::default();
        let pendings = Rc::new(Cell::new(0usize));
        let data = Rc::new(pattern(1, TOTAL));
        let write_task = {
            let (blocked, pendings, data) = (blocked.clone(), pendings.clone(), data.clone());
            corio::spawn_local(async move {
                let mut written = 0;
                while written < TOTAL {
                    let n = poll_fn(|cx| match writer.poll_write_buf(cx, &data[written..]) {
                        Poll::Pending => {
                            pendings.set(pendings.get() + 1);
                            blocked.set();
                            Poll::Pending
                        }
                        ready => ready,
                    })
                    .await
                    .unwrap();
                    assert!(n > 0);
                    written += n;
                }
                writer.shutdown(Shutdown::Write).unwrap();
                written
            })
        };
        blocked.wait().await;
        let mut received = Vec::with_capacity(TOTAL);
        reader.read_to_end(&mut received).await.unwrap();
        assert_eq!(write_task.await.unwrap(), TOTAL);
        assert!(pendings.get() >= 1);
        assert_eq!(received.len(), TOTAL);
        assert!(received == *data, "data corrupted");
    });
}

#[test]
fn read_returns_zero_after_peer_shutdown_write() {
    corio::block_on(async {
        let listener = TcpListener::bind(util::any_port()).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let client = corio::spawn(async move {
            let mut stream = TcpStream::connect(addr).await.unwrap();
            stream.write_all(b"last words").await.unwrap();
            stream.shutdown(Shutdown::Write).unwrap();
            // Our read side still works: the server answers after our EOF.
            let mut answer = Vec::new();
            stream.read_to_end(&mut answer).await.unwrap();
            answer
        });
        let (mut conn, peer) = listener.accept().await.unwrap();
        assert_eq!(conn.peer_addr().unwrap(), peer);
        let mut got = Vec::new();
        conn.read_to_end(&mut got).await.unwrap();
        assert_eq!(got, b"last words");
        let mut buf = [0u8; 16];
        assert_eq!(conn.read(&mut buf).await.unwrap(), 0, "EOF again");
        conn.write_all(b"ack").await.unwrap();
        drop(conn);
        assert_eq!(client.await.unwrap(), b"ack");
    });
}

#[test]
fn peer_reset_fails_reads_and_writes() {
    corio::block_on(async {
        let listener = TcpListener::bind(util::any_port()).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mut client = TcpStream::connect(addr).await.unwrap();
        let (server, _) = listener.accept().await.unwrap();
        // SO_LINGER 0: close sends RST.
        server.set_linger(Some(std::time::Duration::ZERO)).unwrap();
        drop(server);
        client.readable().await.unwrap();
        let mut buf = [0u8; 16];
        let read = client.read(&mut buf).await;
        match read {
            Err(e) => assert_eq!(e.kind(), io::ErrorKind::ConnectionReset),
            Ok(n) => assert_eq!(n, 0, "no data was sent"),
        }
        // Writing to a reset connection fails (at the latest on the second write).
        let mut error = None;
        for _ in 0..2 {
            if let Err(e) = client.write(b"anyone?").await {
                error = Some(e);
                break;
            }
        }
        let kind = error
            .expect("writes to a reset connection must fail")
            .kind();
        assert!(
            matches!(
                kind,
                io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset
            ),
            "unexpected error kind {kind:?}"
        );
    });
}

#[test]
fn connect_to_a_closed_port_is_refused() {
    corio::block_on(async {
        // Bind then drop, to get a port nobody listens on.
        let addr = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        let error = TcpStream::connect(addr).await.unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::ConnectionRefused);
    });
}

#[test]
fn try_read_and_try_write_do_not_wait() {
    corio::block_on(async {
        let listener = TcpListener::bind(util::any_port()).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let client = TcpStream::connect(addr).await.unwrap();
        let (server, _) = listener.accept().await.unwrap();
        let mut buf = [0u8; 8];
        assert_eq!(
            server.try_read(&mut buf).unwrap_err().kind(),
            io::ErrorKind::WouldBlock
        );
        assert_eq!(client.try_write(b"hi").unwrap(), 2);
        client.set_nodelay(true).unwrap();
        assert!(client.nodelay().unwrap());
        server.readable().await.unwrap();
        assert_eq!(server.try_read(&mut buf).unwrap(), 2);
        assert_eq!(&buf[..2], b"hi");
    });
}

#[test]
fn listen_options_reuse_port_allows_two_listeners() {
    corio::block_on(async {
        let options = ListenOptions::new().reuse_port(true).backlog(64);
        let first = options.bind(util::any_port()).unwrap();
        let addr = first.local_addr().unwrap();
        let second = options.bind(addr).unwrap();
        assert_eq!(second.local_addr().unwrap(), addr);
        // Without SO_REUSEPORT, the address is taken.
        assert!(ListenOptions::new().bind(addr).is_err());
    });
}

#[test]
fn streams_can_move_to_another_loop_thread() {
    corio::block_on(async {
        let listener = TcpListener::bind(util::any_port()).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let client = TcpStream::connect(addr).await.unwrap();
        let (server, _) = listener.accept().await.unwrap();
        // Use the client on another thread's loop; its events are still dispatched by ours.
        let (tx, rx) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || {
            let mut client = client;
            let lp = corio::EventLoop::new().unwrap();
            lp.run_until_complete(async { client.write_all(b"moved").await.unwrap() });
            tx.send(()).unwrap();
            drop(client);
        });
        let mut server = server;
        let mut got = Vec::new();
        server.read_to_end(&mut got).await.unwrap();
        assert_eq!(got, b"moved");
        rx.recv().unwrap();
        thread.join().unwrap();
    });
}

/// Regression: `connect` took the optimistic initial "writable" state for a completed
/// connection, so a connect still in progress failed at once with `ConnectionRefused`. Here the
/// listener's accept queue is full, so the kernel drops our SYN and the connection completes
/// only after a SYN retransmission (about a second), once the queue has room again.
#[test]
fn connect_waits_for_a_connection_in_progress() {
    corio::block_on(async {
        let socket =
            socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
        socket.bind(&util::any_port().into()).unwrap();
        socket.listen(0).unwrap();
        let listener = TcpListener::from_std(socket.into()).unwrap();
        let addr = listener.local_addr().unwrap();
        // Fills the accept queue (a backlog of 0 holds one connection).
        let filler = std::net::TcpStream::connect(addr).unwrap();
        let client = corio::spawn(async move { TcpStream::connect(addr).await });
        // Let the connect get under way, then make room: the retransmitted SYN completes it.
        corio::yield_now().await;
        let (_first, _) = listener.accept().await.unwrap();
        let stream = client.await.unwrap().expect("connect must wait, not fail");
        let (_second, _) = listener.accept().await.unwrap();
        assert_eq!(stream.peer_addr().unwrap(), addr);
        drop(filler);
    });
}
