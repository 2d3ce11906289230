//! Layer 4: several tasks waiting on one socket in the same direction are all woken (two
//! accept loops on one listener, `readable()` awaited in several places).

mod util;

use std::io;
use std::sync::Arc;
use std::time::Duration;

use corio::net::{TcpListener, TcpStream};
use corio::time::timeout;
use util::any_port;

/// Turns a hang into a failure; never reached when the code is right.
const WATCHDOG: Duration = Duration::from_secs(20);

#[test]
fn two_accept_tasks_on_one_listener_both_accept() {
    corio::block_on(async {
        let listener = Arc::new(TcpListener::bind(any_port()).await.unwrap());
        let addr = listener.local_addr().unwrap();
        let accepts: Vec<_> = (0..2)
            .map(|_| {
                let listener = listener.clone();
                corio::spawn(async move { listener.accept().await.map(|(stream, _)| stream) })
            })
            .collect();
        // Both tasks poll (and wait) before any client connects.
        corio::yield_now().await;
        let _first = TcpStream::connect(addr).await.unwrap();
        let _second = TcpStream::connect(addr).await.unwrap();
        let accepted = timeout(WATCHDOG, async {
            for accept in accepts {
                accept.await.unwrap().unwrap();
            }
        })
        .await;
        assert!(
            accepted.is_ok(),
            "one of the two accept tasks was never woken"
        );
    });
}

#[test]
fn every_task_awaiting_readable_on_one_stream_is_woken() {
    const WAITERS: usize = 4;
    corio::block_on(async {
        let listener = TcpListener::bind(any_port()).await.unwrap();
        let mut client = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (server, _) = listener.accept().await.unwrap();
        // Nothing buffered yet: this clears the optimistic initial readiness.
        let error = server.try_read(&mut [0; 8]).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::WouldBlock);
        let server = Arc::new(server);
        let waiters: Vec<_> = (0..WAITERS)
            .map(|_| {
                let server = server.clone();
                corio::spawn(async move { server.readable().await })
            })
            .collect();
        corio::yield_now().await;
        client.write_all(b"x").await.unwrap();
        let woken = timeout(WATCHDOG, async {
            for waiter in waiters {
                waiter.await.unwrap().unwrap();
            }
        })
        .await;
        assert!(woken.is_ok(), "a task awaiting readable() was never woken");
        let mut byte = [0; 1];
        assert_eq!(server.try_read(&mut byte).unwrap(), 1);
    });
}
