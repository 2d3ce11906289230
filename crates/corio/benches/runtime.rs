//! corio against tokio's `current_thread` runtime, side by side in each group (wall time):
//!
//! - `spawn_join`: spawn 100k tasks, then join them all;
//! - `ping_pong`: 10k round trips between two tasks through a pair of flags (std +
//!   wakers only, the same code on both runtimes);
//! - `timers`: 100k sleeps, each polled once (setting its timer) then dropped (cancelling it);
//! - `tcp_echo`: 1,000 loopback connections, each doing 10 round trips of 64 bytes per
//!   iteration (connections are set up once, outside the measurement);
//! - `echo_layers`: the same echo load against corio's callback server (`echo_callbacks`
//!   example) and its task server (`echo_tasks` example): the cost of the futures layer.
//!
//! The workloads live in `common/mod.rs`; `runtime_ops.rs` runs the same ones for a CPU
//! figure (instructions or CPU time per operation, `scripts/bench-runtime.sh`).

use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};

mod common;

#[allow(dead_code)]
#[path = "../examples/echo_callbacks.rs"]
mod echo_callbacks;

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

fn runtimes(c: &mut Criterion) {
    for workload in &common::WORKLOADS {
        let mut group = configure(c, workload.key);
        group.throughput(criterion::Throughput::Elements(workload.ops as u64));
        for (name, make) in [("corio", workload.corio), ("tokio", workload.tokio)] {
            let mut iteration = make();
            group.bench_function(name, |b| b.iter(&mut iteration));
        }
        group.finish();
    }
}

fn echo_layers(c: &mut Criterion) {
    let mut group = configure(c, "echo_callbacks_vs_tasks");
    group.throughput(criterion::Throughput::Elements(
        (common::CONNECTIONS * common::ECHOES_PER_CONNECTION) as u64,
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
                drop(corio::spawn(common::echo_tasks::serve(listener)));
                addr
            };
            common::corio_connect(addr).await
        });
        group.bench_function(BenchmarkId::new("corio", server), |b| {
            b.iter(|| common::corio_echo_round(&lp, &mut streams))
        });
        drop(streams);
        lp.close();
    }
    group.finish();
}

criterion_group!(benches, runtimes, echo_layers);
criterion_main!(benches);
