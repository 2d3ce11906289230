//! corio against tokio's `current_thread` runtime, side by side in each group:
//!
//! - `spawn_join`: spawn 100k tasks, then join them all;
//! - `ping_pong`: 10k round trips between two tasks through a pair of [`Flag`]s (std +
//!   wakers only, the same code on both runtimes);
//! - `timers`: 100k sleeps, each polled once (setting its timer) then dropped (cancelling it);
//! - `tcp_echo`: 1,000 loopback connections, each doing 10 round trips of 64 bytes per
//!   iteration (connections are set up once, outside the measurement);
//! - `echo_layers`: the same echo load against corio's callback server (`echo_callbacks`
//!   example) and its task server (`echo_tasks` example): the cost of the futures layer.
//!
//! Everything runs on the bench thread (client tasks and server on the same loop).

use std::future::{poll_fn, Future};
use std::pin::pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Poll, Waker};
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};

#[allow(dead_code)]
#[path = "../examples/echo_callbacks.rs"]
mod echo_callbacks;
#[allow(dead_code)]
#[path = "../examples/echo_tasks.rs"]
mod echo_tasks;

const TASKS: usize = 100_000;
const ROUND_TRIPS: usize = 10_000;
const TIMERS: usize = 100_000;
const CONNECTIONS: usize = 1_000;
const ECHOES_PER_CONNECTION: usize = 10;
const MESSAGE: usize = 64;

fn tokio_rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn configure<'a>(
    c: &'a mut Criterion,
    name: &str,
) -> criterion::BenchmarkGroup<'a, criterion::measurement::WallTime> {
    let mut group = c.benchmark_group(name);
    group.sample_size(10);
    group.warm_up_time(Duration::from_millis(500));
    group.measurement_time(Duration::from_secs(3));
    group
}

fn spawn_join(c: &mut Criterion) {
    let mut group = configure(c, "spawn_join_100k");
    let lp = corio::EventLoop::new().unwrap();
    group.bench_function("corio", |b| {
        b.iter(|| {
            lp.run_until_complete(async {
                let handles: Vec<_> = (0..TASKS).map(|i| corio::spawn(async move { i })).collect();
                let mut sum = 0;
                for handle in handles {
                    sum += handle.await.unwrap();
                }
                sum
            })
        })
    });
    let rt = tokio_rt();
    group.bench_function("tokio", |b| {
        b.iter(|| {
            rt.block_on(async {
                let handles: Vec<_> = (0..TASKS).map(|i| tokio::spawn(async move { i })).collect();
                let mut sum = 0;
                for handle in handles {
                    sum += handle.await.unwrap();
                }
                sum
            })
        })
    });
    group.finish();
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

fn ping_pong(c: &mut Criterion) {
    let mut group = configure(c, "ping_pong_10k");
    let lp = corio::EventLoop::new().unwrap();
    group.bench_function("corio", |b| {
        b.iter(|| {
            lp.run_until_complete(async {
                let (ping, pong) = (Arc::new(Flag::default()), Arc::new(Flag::default()));
                let a = corio::spawn(pinger(ping.clone(), pong.clone()));
                let b = corio::spawn(ponger(ping, pong));
                a.await.unwrap();
                b.await.unwrap();
            })
        })
    });
    let rt = tokio_rt();
    group.bench_function("tokio", |b| {
        b.iter(|| {
            rt.block_on(async {
                let (ping, pong) = (Arc::new(Flag::default()), Arc::new(Flag::default()));
                let a = tokio::spawn(pinger(ping.clone(), pong.clone()));
                let b = tokio::spawn(ponger(ping, pong));
                a.await.unwrap();
                b.await.unwrap();
            })
        })
    });
    group.finish();
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

fn timers(c: &mut Criterion) {
    let mut group = configure(c, "timers_100k_set_cancel");
    let lp = corio::EventLoop::new().unwrap();
    group.bench_function("corio", |b| {
        b.iter(|| {
            lp.run_until_complete(async {
                for i in 0..TIMERS {
                    let delay = Duration::from_secs(60) + Duration::from_micros(i as u64);
                    poll_once_and_drop(corio::time::sleep(delay)).await;
                }
            })
        })
    });
    let rt = tokio_rt();
    group.bench_function("tokio", |b| {
        b.iter(|| {
            rt.block_on(async {
                for i in 0..TIMERS {
                    let delay = Duration::from_secs(60) + Duration::from_micros(i as u64);
                    poll_once_and_drop(tokio::time::sleep(delay)).await;
                }
            })
        })
    });
    group.finish();
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
async fn corio_connect(addr: std::net::SocketAddr) -> Vec<corio::net::TcpStream> {
    let mut streams = Vec::with_capacity(CONNECTIONS);
    for _ in 0..CONNECTIONS {
        let stream = corio::net::TcpStream::connect(addr).await.unwrap();
        stream.set_nodelay(true).unwrap();
        streams.push(stream);
    }
    streams
}

/// One iteration of the echo load on corio: every connection does its round trips.
fn corio_echo_round(lp: &corio::EventLoop, streams: &mut Vec<corio::net::TcpStream>) {
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

fn tcp_echo(c: &mut Criterion) {
    let mut group = configure(c, "tcp_echo_1000conn_x10");
    group.throughput(criterion::Throughput::Elements(
        (CONNECTIONS * ECHOES_PER_CONNECTION) as u64,
    ));
    {
        let lp = corio::EventLoop::new().unwrap();
        let mut streams = lp.run_until_complete(async {
            let listener = corio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            drop(corio::spawn(echo_tasks::serve(listener)));
            corio_connect(addr).await
        });
        group.bench_function("corio", |b| b.iter(|| corio_echo_round(&lp, &mut streams)));
        drop(streams);
        lp.close();
    }
    {
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
        group.bench_function("tokio", |b| {
            b.iter(|| {
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
        });
    }
    group.finish();
}

fn echo_layers(c: &mut Criterion) {
    let mut group = configure(c, "echo_callbacks_vs_tasks");
    group.throughput(criterion::Throughput::Elements(
        (CONNECTIONS * ECHOES_PER_CONNECTION) as u64,
    ));
    for server in ["callbacks", "tasks"] {
        let lp = corio::EventLoop::new().unwrap();
        let mut streams = lp.run_until_complete(async {
            let addr = if server == "callbacks" {
                let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
                let addr = listener.local_addr().unwrap();
                echo_callbacks::serve(&corio::EventLoop::current().unwrap(), listener).unwrap();
                addr
            } else {
                let listener = corio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                let addr = listener.local_addr().unwrap();
                drop(corio::spawn(echo_tasks::serve(listener)));
                addr
            };
            corio_connect(addr).await
        });
        group.bench_function(BenchmarkId::new("corio", server), |b| {
            b.iter(|| corio_echo_round(&lp, &mut streams))
        });
        drop(streams);
        lp.close();
    }
    group.finish();
}

criterion_group!(
    benches,
    spawn_join,
    ping_pong,
    timers,
    tcp_echo,
    echo_layers
);
criterion_main!(benches);
