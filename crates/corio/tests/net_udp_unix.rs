//! Layer 4: UDP, Unix-domain streams, and the runtime-neutral futures-io traits.

mod util;

use std::future::poll_fn;
use std::io;
use std::pin::Pin;

use corio::net::{TcpListener, TcpStream, UdpSocket, UnixListener, UnixStream};
use futures_io::{AsyncRead, AsyncWrite};

#[test]
fn udp_send_to_and_recv_from() {
    corio::block_on(async {
        let a = UdpSocket::bind(util::any_port()).await.unwrap();
        let b = UdpSocket::bind(util::any_port()).await.unwrap();
        let (a_addr, b_addr) = (a.local_addr().unwrap(), b.local_addr().unwrap());
        // The receiver waits first: a task parked in recv_from is woken by the datagram.
        let receiver = corio::spawn(async move {
            let mut buf = [0u8; 64];
            let (n, from) = b.recv_from(&mut buf).await.unwrap();
            (buf[..n].to_vec(), from, b)
        });
        corio::yield_now().await;
        assert_eq!(a.send_to(b"datagram", b_addr).await.unwrap(), 8);
        let (got, from, b) = receiver.await.unwrap();
        assert_eq!(got, b"datagram");
        assert_eq!(from, a_addr);

        // Connected sockets: send / recv.
        a.connect(b_addr).await.unwrap();
        b.connect(a_addr).await.unwrap();
        assert_eq!(a.peer_addr().unwrap(), b_addr);
        b.send(b"reply").await.unwrap();
        let mut buf = [0u8; 64];
        let n = a.recv(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"reply");
    });
}

#[test]
fn udp_many_datagrams_keep_their_boundaries() {
    corio::block_on(async {
        let a = UdpSocket::bind(util::any_port()).await.unwrap();
        let b = UdpSocket::bind(util::any_port()).await.unwrap();
        let b_addr = b.local_addr().unwrap();
        for i in 0..50u8 {
            a.send_to(&vec![i; usize::from(i) + 1], b_addr)
                .await
                .unwrap();
        }
        let mut buf = [0u8; 256];
        for i in 0..50u8 {
            let (n, _) = b.recv_from(&mut buf).await.unwrap();
            assert_eq!(n, usize::from(i) + 1);
            assert!(buf[..n].iter().all(|&x| x == i));
        }
    });
}

#[test]
fn unix_stream_pair_both_directions() {
    corio::block_on(async {
        let (mut a, mut b) = UnixStream::pair().unwrap();
        let peer = corio::spawn(async move {
            let mut buf = [0u8; 5];
            let mut got = 0;
            while got < 5 {
                got += b.read(&mut buf[got..]).await.unwrap();
            }
            assert_eq!(&buf, b"hello");
            b.write_all(b"world").await.unwrap();
            b.shutdown(std::net::Shutdown::Write).unwrap();
        });
        a.write_all(b"hello").await.unwrap();
        let mut back = Vec::new();
        a.read_to_end(&mut back).await.unwrap();
        assert_eq!(back, b"world");
        peer.await.unwrap();
    });
}

#[test]
fn unix_listener_accepts() {
    let path = std::env::temp_dir().join(format!("corio-test-{}.sock", std::process::id()));
    let _ = std::fs::remove_file(&path);
    corio::block_on(async {
        let listener = UnixListener::bind(&path).unwrap();
        let p = path.clone();
        let client = corio::spawn(async move {
            let mut stream = UnixStream::connect(&p).await.unwrap();
            stream.write_all(b"over unix").await.unwrap();
        });
        let mut conn = listener.accept().await.unwrap();
        let mut got = Vec::new();
        conn.read_to_end(&mut got).await.unwrap();
        assert_eq!(got, b"over unix");
        client.await.unwrap();
    });
    std::fs::remove_file(&path).unwrap();
}

/// Written against the futures-io traits only: no corio types.
async fn write_all_generic<W: AsyncWrite + Unpin>(w: &mut W, mut buf: &[u8]) -> io::Result<()> {
    while !buf.is_empty() {
        let n = poll_fn(|cx| Pin::new(&mut *w).poll_write(cx, buf)).await?;
        buf = &buf[n..];
    }
    poll_fn(|cx| Pin::new(&mut *w).poll_flush(cx)).await?;
    poll_fn(|cx| Pin::new(&mut *w).poll_close(cx)).await
}

async fn read_to_end_generic<R: AsyncRead + Unpin>(r: &mut R) -> io::Result<Vec<u8>> {
    let mut out = Vec::new();
    let mut buf = [0u8; 1024];
    loop {
        match poll_fn(|cx| Pin::new(&mut *r).poll_read(cx, &mut buf)).await? {
            0 => return Ok(out),
            n => out.extend_from_slice(&buf[..n]),
        }
    }
}

#[test]
fn futures_io_traits_work_generically_over_tcp_and_unix() {
    corio::block_on(async {
        let data = util::pattern(3, 100_000);

        let (mut a, mut b) = UnixStream::pair().unwrap();
        let d = data.clone();
        let writer = corio::spawn(async move { write_all_generic(&mut a, &d).await });
        assert_eq!(read_to_end_generic(&mut b).await.unwrap(), data);
        writer.await.unwrap().unwrap();

        let listener = TcpListener::bind(util::any_port()).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let d = data.clone();
        let writer = corio::spawn(async move {
            let mut stream = TcpStream::connect(addr).await?;
            write_all_generic(&mut stream, &d).await
        });
        let (mut conn, _) = listener.accept().await.unwrap();
        assert_eq!(read_to_end_generic(&mut conn).await.unwrap(), data);
        writer.await.unwrap().unwrap();
    });
}
