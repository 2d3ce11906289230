//! Loops that shut down (closed, dropped, a runtime shut down): what belongs to them fails
//! instead of waiting forever. Spawns give a cancelled `JoinError`; I/O fails with an error of
//! kind `Other`.

use std::future::{pending, poll_fn, Future};
use std::io;
use std::pin::Pin;
use std::task::Poll;
use std::time::{Duration, Instant};

use corio::net::TcpStream;
use corio::time::{sleep, timeout};
use corio::{EventLoop, Runtime};

/// Turns a hang into a failure; never reached when the code is right.
const WATCHDOG: Duration = Duration::from_secs(20);

fn is_cancelled<T>(result: Result<T, corio::JoinError>) -> bool {
    result.is_err_and(|e| e.is_cancelled())
}

#[test]
fn spawn_through_the_handle_of_a_closed_loop_is_cancelled() {
    let lp = EventLoop::new().unwrap();
    let handle = lp.handle();
    lp.close();
    let joined = corio::block_on(timeout(WATCHDOG, handle.spawn(async { 1 })));
    assert!(is_cancelled(joined.expect("the handle never completed")));
}

#[test]
fn spawn_through_the_handle_of_a_dropped_loop_is_cancelled() {
    let lp = EventLoop::new().unwrap();
    let handle = lp.handle();
    drop(lp);
    let joined = corio::block_on(timeout(WATCHDOG, handle.spawn(async { 1 })));
    assert!(is_cancelled(joined.expect("the handle never completed")));
}

#[test]
fn a_spawn_queued_when_the_loop_closes_is_cancelled() {
    let lp = EventLoop::new().unwrap();
    let queued = lp.handle().spawn(async { 1 });
    lp.close();
    let joined = corio::block_on(timeout(WATCHDOG, queued));
    assert!(is_cancelled(joined.expect("the handle never completed")));
}

#[test]
fn spawn_on_a_shut_down_runtime_worker_is_cancelled() {
    let runtime = Runtime::builder().workers(1).build().unwrap();
    let handle = runtime.handle(0).clone();
    runtime.shutdown();
    let joined = corio::block_on(timeout(WATCHDOG, handle.spawn(async { 1 })));
    assert!(is_cancelled(joined.expect("the handle never completed")));
}

/// A stream connected on worker 0 of a one-worker runtime, and its peer.
fn stream_from_a_worker(runtime: &Runtime) -> (TcpStream, std::net::TcpStream) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let stream = corio::block_on(
        runtime.spawn_on(0, async move { TcpStream::connect(addr).await.unwrap() }),
    )
    .unwrap();
    let (peer, _) = listener.accept().unwrap();
    (stream, peer)
}

#[test]
fn io_on_a_socket_of_a_shut_down_loop_fails() {
    let runtime = Runtime::builder().workers(1).build().unwrap();
    let (mut stream, _peer) = stream_from_a_worker(&runtime);
    runtime.shutdown();
    corio::block_on(async {
        let read = timeout(WATCHDOG, stream.read(&mut [0; 8])).await;
        let error = read.expect("the read never completed").unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::Other);
        let error = stream.readable().await.unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::Other);
        let error = stream.try_read(&mut [0; 8]).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::Other);
    });
}

#[test]
fn a_read_waiting_when_its_loop_shuts_down_fails() {
    let runtime = Runtime::builder().workers(1).build().unwrap();
    let (mut stream, _peer) = stream_from_a_worker(&runtime);
    corio::block_on(async move {
        let reader = corio::spawn(async move { stream.read(&mut [0; 8]).await });
        // The reader polls and waits before the worker shuts down.
        corio::yield_now().await;
        runtime.shutdown();
        let read = timeout(WATCHDOG, reader).await;
        let error = read
            .expect("the reader was never woken")
            .unwrap()
            .unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::Other);
    });
}

#[test]
fn a_task_that_closes_its_own_loop_is_cancelled() {
    let lp = EventLoop::new().unwrap();
    let joined = lp.run_until_complete(async {
        let closer = corio::spawn(async {
            EventLoop::current().unwrap().close();
            pending::<()>().await
        });
        timeout(WATCHDOG, closer).await
    });
    assert!(is_cancelled(joined.expect("the handle never completed")));
}

#[test]
fn a_closed_loop_does_not_run_again() {
    let lp = EventLoop::new().unwrap();
    lp.close();
    let stopper = lp.clone();
    lp.call_soon(move || stopper.stop());
    assert!(lp.run_forever().is_err());
    assert!(!lp.call_soon(|| {}).is_pending());
    assert!(!lp.call_later(Duration::from_secs(1), || {}).is_pending());
    assert!(lp.add_reader(0, || {}).is_err());
}

/// A sleep already polled once, carried out of the task that polled it.
struct Armed(corio::time::Sleep);

#[test]
fn a_sleep_whose_loop_shut_down_completes_on_the_loop_awaiting_it() {
    // Long enough for the worker to shut down first, short enough to wait for.
    const DELAY: Duration = Duration::from_millis(500);
    let runtime = Runtime::builder().workers(1).build().unwrap();
    // The timer is set on the worker's loop by a first poll there.
    let start = Instant::now();
    let armed = corio::block_on(runtime.spawn_on(0, async {
        let mut armed = sleep(DELAY);
        poll_fn(|cx| {
            assert!(Pin::new(&mut armed).poll(cx).is_pending());
            Poll::Ready(())
        })
        .await;
        Armed(armed)
    }))
    .unwrap();
    corio::block_on(async move {
        let waiter = corio::spawn(armed.0);
        corio::yield_now().await;
        runtime.shutdown();
        let slept = timeout(WATCHDOG, waiter).await;
        slept.expect("the sleep never completed").unwrap();
    });
    assert!(start.elapsed() >= DELAY);
}
