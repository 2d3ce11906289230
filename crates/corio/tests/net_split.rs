//! `TcpStream::split` and `into_split` over 127.0.0.1: full-duplex transfers that deadlock
//! unless both halves run at once (in one task, in two tasks, on two workers), `reunite`, and
//! the write half's shutdown on drop.

mod util;

use std::future::{poll_fn, Future};
use std::net::SocketAddr;
use std::pin::pin;
use std::task::Poll;

use corio::net::{TcpListener, TcpStream};
use util::pattern;

/// Larger than both socket buffers together: writing it all before reading deadlocks when the
/// peer does the same.
const LEN: usize = 8 * 1024 * 1024;

/// Runs two futures to completion, polling both on each wake-up (a minimal `join!`).
async fn join<A: Future, B: Future>(a: A, b: B) -> (A::Output, B::Output) {
    let (mut a, mut b) = (pin!(a), pin!(b));
    let (mut out_a, mut out_b) = (None, None);
    poll_fn(|cx| {
        if out_a.is_none() {
            if let Poll::Ready(v) = a.as_mut().poll(cx) {
                out_a = Some(v);
            }
        }
        if out_b.is_none() {
            if let Poll::Ready(v) = b.as_mut().poll(cx) {
                out_b = Some(v);
            }
        }
        if out_a.is_some() && out_b.is_some() {
            Poll::Ready((out_a.take().unwrap(), out_b.take().unwrap()))
        } else {
            Poll::Pending
        }
    })
    .await
}

/// A connected pair over 127.0.0.1.
async fn pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (client, accepted) = join(TcpStream::connect(addr), listener.accept()).await;
    (client.unwrap(), accepted.unwrap().0)
}

/// The peer side: sends `pattern(seed, LEN)` while reading `LEN` bytes, with borrowed halves
/// in one task; returns what it read.
async fn duplex_peer(mut stream: TcpStream, seed: usize) -> Vec<u8> {
    let (mut rd, mut wr) = stream.split();
    let data = pattern(seed, LEN);
    let mut got = vec![0; LEN];
    let (wrote, read) = join(wr.write_all(&data), rd.read_exact(&mut got)).await;
    wrote.unwrap();
    read.unwrap();
    got
}

#[test]
fn borrowed_halves_read_and_write_at_once_in_one_task() {
    corio::block_on(async {
        let (a, b) = pair().await;
        let (from_b, from_a) = join(duplex_peer(a, 1), duplex_peer(b, 2)).await;
        assert!(from_b == pattern(2, LEN), "a read b's data intact");
        assert!(from_a == pattern(1, LEN), "b read a's data intact");
    });
}

#[test]
fn owned_halves_in_two_tasks_on_one_loop() {
    corio::block_on(async {
        let (a, b) = pair().await;
        let (mut rd, mut wr) = a.into_split();
        let writer = corio::spawn(async move {
            wr.write_all(&pattern(3, LEN)).await.unwrap();
            wr
        });
        let reader = corio::spawn(async move {
            let mut got = vec![0; LEN];
            rd.read_exact(&mut got).await.unwrap();
            (rd, got)
        });
        let from_a = duplex_peer(b, 4).await;
        let wr = writer.await.unwrap();
        let (rd, from_b) = reader.await.unwrap();
        assert!(from_a == pattern(3, LEN));
        assert!(from_b == pattern(4, LEN));
        let stream = rd.reunite(wr).expect("halves of one stream");
        assert!(stream.peer_addr().is_ok());
    });
}

#[test]
fn owned_halves_on_two_workers_of_a_runtime() {
    let runtime = corio::Runtime::builder().workers(2).build().unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<SocketAddr>();
    let server = runtime.spawn_on(0, async move {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        tx.send(listener.local_addr().unwrap()).unwrap();
        let (stream, _) = listener.accept().await.unwrap();
        stream.into_split()
    });
    let addr = rx.recv().unwrap();
    let peer = std::thread::spawn(move || {
        corio::block_on(
            async move { duplex_peer(TcpStream::connect(addr).await.unwrap(), 5).await },
        )
    });
    let (mut rd, mut wr) = corio::block_on(server).unwrap();
    let reader = runtime.spawn_on(0, async move {
        let mut got = vec![0; LEN];
        rd.read_exact(&mut got).await.unwrap();
        got
    });
    let writer = runtime.spawn_on(1, async move {
        wr.write_all(&pattern(6, LEN)).await.unwrap();
    });
    corio::block_on(writer).unwrap();
    let from_peer = corio::block_on(reader).unwrap();
    let from_worker = peer.join().unwrap();
    assert!(from_peer == pattern(5, LEN));
    assert!(from_worker == pattern(6, LEN));
    runtime.shutdown();
}

#[test]
fn halves_of_different_streams_do_not_reunite() {
    corio::block_on(async {
        let (a, b) = pair().await;
        let (a_rd, a_wr) = a.into_split();
        let (b_rd, b_wr) = b.into_split();
        let err = a_rd.reunite(b_wr).unwrap_err();
        assert!(err.to_string().contains("not from the same socket"));
        let (a_rd, b_wr) = (err.0, err.1);
        assert!(a_rd.reunite(a_wr).is_ok());
        assert!(b_rd.reunite(b_wr).is_ok());
    });
}

#[test]
fn dropping_the_owned_write_half_sends_end_of_stream() {
    corio::block_on(async {
        let (a, mut b) = pair().await;
        let (_rd, mut wr) = a.into_split();
        wr.write_all(b"last").await.unwrap();
        drop(wr);
        let mut rest = Vec::new();
        b.read_to_end(&mut rest).await.unwrap();
        assert_eq!(rest, b"last");
    });
}

#[test]
fn a_forgotten_write_half_leaves_the_stream_open() {
    corio::block_on(async {
        let (a, mut b) = pair().await;
        let (rd, wr) = a.into_split();
        wr.forget();
        // Still writable through the read half's stream: no shutdown happened.
        let stream: &TcpStream = rd.as_ref();
        stream.writable().await.unwrap();
        assert_eq!(stream.try_write(b"open").unwrap(), 4);
        let mut buf = [0; 4];
        b.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"open");
    });
}
