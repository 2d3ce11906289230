//! `#[corio::main]`/`#[corio::test]` expansion, `Runtime::spawn` without a worker index, and
//! `corio::select!`/`join!` over corio's own futures without `.fuse()`.

use std::collections::HashSet;
use std::time::Duration;

use corio::net::{TcpListener, TcpStream};
use corio::sync::oneshot;

/// The default flavour: one loop on the test's own thread, sockets and all.
#[corio::test]
async fn test_attribute_runs_the_body_on_a_loop() {
    let listener = TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let addr = listener.local_addr().unwrap();
    let server = corio::spawn(async move {
        let (mut conn, _) = listener.accept().await.unwrap();
        conn.write_all(b"hi").await.unwrap();
    });
    let mut client = TcpStream::connect(addr).await.unwrap();
    let mut buf = [0; 2];
    client.read_exact(&mut buf).await.unwrap();
    assert_eq!(&buf, b"hi");
    server.await.unwrap();
}

/// A test may return a `Result`, as a plain `#[test]` may.
#[corio::test]
async fn test_attribute_keeps_the_return_type() -> Result<(), std::io::Error> {
    let listener = TcpListener::bind("127.0.0.1:0".parse().unwrap())?;
    listener.local_addr()?;
    Ok(())
}

/// With `workers = 3` the body runs on a runtime worker, and `Spawner::current` spreads
/// tasks round-robin over all three workers' threads.
#[corio::test(workers = 3)]
async fn workers_flavour_runs_on_the_runtime_and_spawns_round_robin() {
    let on = std::thread::current().name().map(str::to_owned);
    assert_eq!(on.as_deref(), Some("corio-worker-0"));
    let spawner = corio::Spawner::current().expect("on a runtime worker");
    assert_eq!(spawner.workers(), 3);
    let mut threads = HashSet::new();
    for _ in 0..3 {
        let name = spawner
            .spawn(async { std::thread::current().name().map(str::to_owned) })
            .await
            .unwrap();
        threads.insert(name.unwrap());
    }
    let expected: HashSet<String> = (0..3).map(|i| format!("corio-worker-{i}")).collect();
    assert_eq!(threads, expected);
}

/// A panic on the worker is re-raised on the test thread.
#[corio::test(workers = 1)]
#[should_panic]
async fn workers_flavour_reports_a_panic() {
    panic!("the body's panic crosses back");
}

#[test]
fn runtime_spawn_without_an_index_uses_every_worker() {
    let runtime = corio::Runtime::builder().workers(2).build().unwrap();
    let names: HashSet<String> = (0..4)
        .map(|_| runtime.spawn(async { std::thread::current().name().unwrap().to_owned() }))
        .collect::<Vec<_>>()
        .into_iter()
        .map(|handle| corio::block_on(handle).unwrap())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(corio::Spawner::current().is_none(), "not a worker thread");
    runtime.shutdown();
}

/// `select!` over a `JoinHandle`, a `Sleep` and a channel receive, none fused by hand, in a
/// loop: each completed branch is skipped afterwards instead of being polled again.
#[corio::test]
async fn select_needs_no_fuse_on_corio_futures() {
    let (tx, rx) = oneshot::channel::<u32>();
    let mut task = corio::spawn(async { 7 });
    let mut long = corio::time::sleep(Duration::from_secs(3600));
    let mut rx = rx;
    tx.send(5).unwrap();
    let mut seen = Vec::new();
    while seen.len() < 2 {
        corio::select! {
            out = task => seen.push(out.unwrap()),
            got = rx => seen.push(got.unwrap()),
            () = long => unreachable!("an hour has not passed"),
        }
    }
    seen.sort_unstable();
    assert_eq!(seen, [5, 7]);
}

#[corio::test]
async fn join_runs_both_branches() {
    let (a, b) = corio::join!(corio::spawn(async { 1 }), async { 2 });
    assert_eq!((a.unwrap(), b), (1, 2));
}

/// A `Timeout` over a fused future is fused too: once its output is taken, `select!` skips it
/// and completes through `complete`.
#[corio::test]
async fn a_timeout_of_a_fused_future_goes_into_select_as_it_is() {
    let (tx, rx) = oneshot::channel::<&str>();
    let mut guarded = corio::time::timeout(Duration::from_secs(3600), rx);
    tx.send("in time").unwrap();
    let mut outputs = Vec::new();
    loop {
        corio::select! {
            out = guarded => outputs.push(out.unwrap().unwrap()),
            complete => break,
        }
    }
    assert_eq!(outputs, ["in time"]);
}

/// What `#[corio::main(workers = N)]` expands to: the body's `Err` becomes a failing exit
/// code (reported on the worker, so the error type need not be `Send`), `Ok` a success.
#[test]
fn a_workers_body_reports_its_result_as_the_exit_code() {
    use std::process::ExitCode;
    use std::rc::Rc;

    #[derive(Debug)]
    struct NotSend(#[allow(dead_code)] Rc<u8>);

    let failed =
        corio::__private::run_on_runtime(2, || async { Err::<(), _>(NotSend(Rc::new(1))) });
    assert_eq!(failed, ExitCode::FAILURE);
    let fine = corio::__private::run_on_runtime(2, || async { Ok::<(), NotSend>(()) });
    assert_eq!(fine, ExitCode::SUCCESS);
}
