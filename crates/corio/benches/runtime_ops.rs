//! The runtime workloads of `runtime.rs`, run a given number of times on one runtime, for a
//! CPU figure rather than wall time: `scripts/bench-runtime.sh` runs it under callgrind (with
//! 1 and with 1 + N iterations, so that the difference is N steady-state iterations, setup and
//! first-iteration growth excluded) and natively for CPU time.
//!
//! ```text
//! runtime_ops WORKLOAD RUNTIME ITERATIONS    # WORKLOAD: spawn_join, ping_pong, timers, tcp_echo
//!                                            # RUNTIME: corio or tokio
//! ```
//!
//! Prints `WORKLOAD RUNTIME OPS_PER_ITERATION CPU_NS_PER_OP`, where the CPU time is the
//! thread's (from `/proc/thread-self/schedstat`) over the iterations after the first.

mod common;

/// The calling thread's CPU time so far, in nanoseconds (`/proc/thread-self/schedstat`).
fn thread_cpu_ns() -> u64 {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat")
        .expect("runtime_ops: cannot read /proc/thread-self/schedstat");
    stat.split_whitespace()
        .next()
        .and_then(|ns| ns.parse().ok())
        .expect("runtime_ops: malformed /proc/thread-self/schedstat")
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [workload, runtime, iterations] = args.as_slice() else {
        eprintln!("usage: runtime_ops WORKLOAD corio|tokio ITERATIONS");
        std::process::exit(2);
    };
    let Some(workload) = common::WORKLOADS.iter().find(|w| w.key == workload) else {
        let keys: Vec<_> = common::WORKLOADS.iter().map(|w| w.key).collect();
        eprintln!("runtime_ops: unknown workload {workload:?}; one of {keys:?}");
        std::process::exit(2);
    };
    let make = match runtime.as_str() {
        "corio" => workload.corio,
        "tokio" => workload.tokio,
        _ => {
            eprintln!("runtime_ops: the runtime is corio or tokio, not {runtime:?}");
            std::process::exit(2);
        }
    };
    let iterations: usize = match iterations.parse() {
        Ok(n) if n >= 1 => n,
        _ => {
            eprintln!("runtime_ops: ITERATIONS is a number >= 1, not {iterations:?}");
            std::process::exit(2);
        }
    };
    let mut iteration = make();
    iteration();
    let start = thread_cpu_ns();
    for _ in 1..iterations {
        iteration();
    }
    let cpu = thread_cpu_ns() - start;
    let per_op = match iterations - 1 {
        0 => 0.0,
        n => cpu as f64 / (n * workload.ops) as f64,
    };
    println!("{} {runtime} {} {per_op:.1}", workload.key, workload.ops);
}
