//! The runtime workloads, shared by the criterion bench (`runtime.rs`, wall time) and the
//! counting driver (`runtime_ops.rs`, instructions and CPU time per operation).
//!
//! Each [`Workload`] builds, for corio and for tokio's `current_thread` runtime, a closure
//! that runs one iteration of the same load on a fresh runtime made once (setup, such as
//! connecting the TCP clients, happens before the closure is returned). Everything runs on the
//! calling thread: client tasks and server share one loop.

use std::future::{poll_fn, Future};
use std::pin::pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Poll, Waker};
use std::time::Duration;

#[allow(dead_code)]
#[path = "../../examples/echo_tasks.rs"]
pub mod echo_tasks;

const TASKS: usize = 100_000;
const ROUND_TRIPS: usize = 10_000;
const TIMERS: usize = 100_000;
pub const CONNECTIONS: usize = 1_000;
pub const ECHOES_PER_CONNECTION: usize = 10;
const MESSAGE: usize = 64;

/// One iteration of a workload on one runtime.
pub type Iteration = Box<dyn FnMut()>;

/// A load run the same way on both runtimes.
pub struct Workload {
    /// The criterion group's name, and the one `runtime_ops` takes on its command line.
    pub key: &'static str,
    /// Operations per iteration: tasks spawned and joined, ping-pong round trips, timers set
    /// and cancelled, echo round trips.
    pub ops: usize,
    pub corio: fn() -> Iteration,
    pub tokio: fn() -> Iteration,
}

/// Every workload, in report order.
pub const WORKLOADS: [Workload; 4] = [
    Workload {
        key: "spawn_join",
        ops: TASKS,
        corio: corio_spawn_join,
        tokio: tokio_spawn_join,
    },
    Workload {
        key: "ping_pong",
        ops: ROUND_TRIPS,
        corio: corio_ping_pong,
        tokio: tokio_ping_pong,
    },
    Workload {
        key: "timers",
        ops: TIMERS,
        corio: corio_timers,
        tokio: tokio_timers,
    },
    Workload {
        key: "tcp_echo",
        ops: CONNECTIONS * ECHOES_PER_CONNECTION,
        corio: corio_tcp_echo,
        tokio: tokio_tcp_echo,
    },
];

pub fn tokio_rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn corio_spawn_join() -> Iteration {
    let lp = corio::EventLoop::new().unwrap();
    Box::new(move || {
        lp.run_until_complete(async {
            let handles: Vec<_> = (0..TASKS).map(|i| corio::spawn(async move { i })).collect();
            let mut sum = 0;
            for handle in handles {
                sum += handle.await.unwrap();
            }
            assert_eq!(sum, TASKS * (TASKS - 1) / 2);
        })
    })
}

fn tokio_spawn_join() -> Iteration {
    let rt = tokio_rt();
    Box::new(move || {
        rt.block_on(async {
            let handles: Vec<_> = (0..TASKS).map(|i| tokio::spawn(async move { i })).collect();
            let mut sum = 0;
            for handle in handles {
                sum += handle.await.unwrap();
            }
            assert_eq!(sum, TASKS * (TASKS - 1) / 2);
        })
    })
}

/// A reusable one-bit signal between two tasks, runtime-neutral (std + wakers only).
#[derive(Default)]
struct Flag {
    set: AtomicBool,
    waker: Mutex<Option<Waker>>,
}

impl Flag {
    fn raise(&self) {
        self.set.store(true, Ordering::Release);
        if let Some(waker) = self.waker.lock().unwrap().take() {
            waker.wake();
        }
    }

    /// Waits until raised, and lowers it.
    fn wait(&self) -> impl Future<Output = ()> + '_ {
        poll_fn(move |cx| {
            if self.set.swap(false, Ordering::AcqRel) {
                return Poll::Ready(());
            }
            *self.waker.lock().unwrap() = Some(cx.waker().clone());
            if self.set.swap(false, Ordering::AcqRel) {
                return Poll::Ready(());
            }
            Poll::Pending
        })
    }
}

async fn pinger(ping: Arc<Flag>, pong: Arc<Flag>) {
    for _ in 0..ROUND_TRIPS {
        ping.raise();
        pong.wait().await;
    }
}

async fn ponger(ping: Arc<Flag>, pong: Arc<Flag>) {
    for _ in 0..ROUND_TRIPS {
        ping.wait().await;
        pong.raise();
    }
}

fn corio_ping_pong() -> Iteration {
    let lp = corio::EventLoop::new().unwrap();
    Box::new(move || {
        lp.run_until_complete(async {
            let (ping, pong) = (Arc::new(Flag::default()), Arc::new(Flag::default()));
            let a = corio::spawn(pinger(ping.clone(), pong.clone()));
            let b = corio::spawn(ponger(ping, pong));
            a.await.unwrap();
            b.await.unwrap();
        })
    })
}

fn tokio_ping_pong() -> Iteration {
    let rt = tokio_rt();
    Box::new(move || {
        rt.block_on(async {
            let (ping, pong) = (Arc::new(Flag::default()), Arc::new(Flag::default()));
            let a = tokio::spawn(pinger(ping.clone(), pong.clone()));
            let b = tokio::spawn(ponger(ping, pong));
            a.await.unwrap();
            b.await.unwrap();
        })
    })
}

/// Polls `future` once (which sets its timer), then drops it (which cancels it).
async fn poll_once_and_drop<F: Future>(future: F) {
    let mut future = pin!(future);
    poll_fn(|cx| {
        assert!(future.as_mut().poll(cx).is_pending());
        Poll::Ready(())
    })
    .await
}

fn timer_delay(i: usize) -> Duration {
    Duration::from_secs(60) + Duration::from_micros(i as u64)
}

fn corio_timers() -> Iteration {
    let lp = corio::EventLoop::new().unwrap();
    Box::new(move || {
        lp.run_until_complete(async {
            for i in 0..TIMERS {
                poll_once_and_drop(corio::time::sleep(timer_delay(i))).await;
            }
        })
    })
}

fn tokio_timers() -> Iteration {
    let rt = tokio_rt();
    Box::new(move || {
        rt.block_on(async {
            for i in 0..TIMERS {
                poll_once_and_drop(tokio::time::sleep(timer_delay(i))).await;
            }
        })
    })
}

/// One client connection's share of an iteration: `ECHOES_PER_CONNECTION` round trips.
async fn corio_client(mut stream: corio::net::TcpStream) -> corio::net::TcpStream {
    let message = [7u8; MESSAGE];
    let mut back = [0u8; MESSAGE];
    for _ in 0..ECHOES_PER_CONNECTION {
        stream.write_all(&message).await.unwrap();
        stream.read_exact(&mut back).await.unwrap();
    }
    stream
}

/// Connects `CONNECTIONS` clients to `addr` (on the running corio loop).
pub async fn corio_connect(addr: std::net::SocketAddr) -> Vec<corio::net::TcpStream> {
    let mut streams = Vec::with_capacity(CONNECTIONS);
    for _ in 0..CONNECTIONS {
        let stream = corio::net::TcpStream::connect(addr).await.unwrap();
        stream.set_nodelay(true).unwrap();
        streams.push(stream);
    }
    streams
}

/// One iteration of the echo load on corio: every connection does its round trips.
pub fn corio_echo_round(lp: &corio::EventLoop, streams: &mut Vec<corio::net::TcpStream>) {
    let taken = std::mem::take(streams);
    *streams = lp.run_until_complete(async move {
        let handles: Vec<_> = taken
            .into_iter()
            .map(|s| corio::spawn(corio_client(s)))
            .collect();
        let mut back = Vec::with_capacity(handles.len());
        for handle in handles {
            back.push(handle.await.unwrap());
        }
        back
    });
}

fn corio_tcp_echo() -> Iteration {
    let lp = corio::EventLoop::new().unwrap();
    let mut streams = lp.run_until_complete(async {
        let listener = corio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        drop(corio::spawn(echo_tasks::serve(listener)));
        corio_connect(addr).await
    });
    Box::new(move || corio_echo_round(&lp, &mut streams))
}

async fn tokio_echo_server(listener: tokio::net::TcpListener) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    loop {
        let (mut stream, _) = listener.accept().await.unwrap();
        stream.set_nodelay(true).unwrap();
        tokio::spawn(async move {
            let mut buf = vec![0u8; 16 * 1024];
            loop {
                let n = match stream.read(&mut buf).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => n,
                };
                if stream.write_all(&buf[..n]).await.is_err() {
                    return;
                }
            }
        });
    }
}

async fn tokio_client(mut stream: tokio::net::TcpStream) -> tokio::net::TcpStream {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let message = [7u8; MESSAGE];
    let mut back = [0u8; MESSAGE];
    for _ in 0..ECHOES_PER_CONNECTION {
        stream.write_all(&message).await.unwrap();
        stream.read_exact(&mut back).await.unwrap();
    }
    stream
}

fn tokio_tcp_echo() -> Iteration {
    let rt = tokio_rt();
    let mut streams = rt.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(tokio_echo_server(listener));
        let mut streams = Vec::with_capacity(CONNECTIONS);
        for _ in 0..CONNECTIONS {
            let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
            stream.set_nodelay(true).unwrap();
            streams.push(stream);
        }
        streams
    });
    Box::new(move || {
        let taken = std::mem::take(&mut streams);
        streams = rt.block_on(async move {
            let handles: Vec<_> = taken
                .into_iter()
                .map(|s| tokio::spawn(tokio_client(s)))
                .collect();
            let mut back = Vec::with_capacity(handles.len());
            for handle in handles {
                back.push(handle.await.unwrap());
            }
            back
        });
    })
}
