//! `task::spawn_local_detached`: a task nobody joins (a server's task per connection) runs to
//! completion and drops its future and its output, survives its own panic without stopping the
//! loop, and is dropped at its await point when its loop closes.

mod util;

use std::future::pending;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use corio::task::spawn_local_detached;
use corio::EventLoop;
use util::{DropGuard, Event};

#[test]
fn a_detached_task_runs_to_completion_and_drops_its_future_and_output() {
    let future_drops = Arc::new(AtomicUsize::new(0));
    let output_drops = Arc::new(AtomicUsize::new(0));
    let (guard, output) = (
        DropGuard(future_drops.clone()),
        DropGuard(output_drops.clone()),
    );
    corio::block_on(async move {
        let (go, done) = (Event::default(), Event::default());
        let (go2, done2) = (go.clone(), done.clone());
        spawn_local_detached(async move {
            let _guard = guard;
            go2.wait().await;
            done2.set();
            output
        });
        corio::yield_now().await;
        assert!(!done.is_set(), "the task waits for its event");
        go.set();
        done.wait().await;
    });
    assert_eq!(future_drops.load(Ordering::SeqCst), 1);
    assert_eq!(output_drops.load(Ordering::SeqCst), 1);
}

#[test]
fn a_panicking_detached_task_is_dropped_and_the_loop_goes_on() {
    let drops = Arc::new(AtomicUsize::new(0));
    let guard = DropGuard(drops.clone());
    let served = corio::block_on(async move {
        let started = Event::default();
        let started2 = started.clone();
        spawn_local_detached(async move {
            let _guard = guard;
            started2.set();
            corio::yield_now().await;
            panic!("a detached task panicked");
        });
        started.wait().await;
        // Let the task take its second step (the panic).
        for _ in 0..3 {
            corio::yield_now().await;
        }
        corio::spawn_local(async { 7 }).await.unwrap()
    });
    assert_eq!(served, 7);
    assert_eq!(drops.load(Ordering::SeqCst), 1);
}

#[test]
fn closing_a_loop_drops_its_detached_tasks_at_their_await_points() {
    let drops = Arc::new(AtomicUsize::new(0));
    let guard = DropGuard(drops.clone());
    let lp = EventLoop::new().unwrap();
    lp.run_until_complete(async move {
        let started = Event::default();
        let started2 = started.clone();
        spawn_local_detached(async move {
            let _guard = guard;
            started2.set();
            pending::<()>().await;
        });
        started.wait().await;
    });
    assert_eq!(drops.load(Ordering::SeqCst), 0);
    lp.close();
    assert_eq!(drops.load(Ordering::SeqCst), 1);
}

#[test]
fn a_detached_task_spawned_on_a_closed_loop_is_dropped_unrun() {
    let drops = Arc::new(AtomicUsize::new(0));
    let guard = DropGuard(drops.clone());
    let lp = EventLoop::new().unwrap();
    let ran = Arc::new(AtomicUsize::new(0));
    let ran2 = ran.clone();
    lp.run_until_complete(async move {
        let lp = EventLoop::current().unwrap();
        lp.close();
        spawn_local_detached(async move {
            let _guard = guard;
            ran2.fetch_add(1, Ordering::SeqCst);
        });
    });
    assert_eq!(drops.load(Ordering::SeqCst), 1);
    assert_eq!(ran.load(Ordering::SeqCst), 0);
}

#[test]
#[should_panic(expected = "outside a corio event loop")]
fn spawn_local_detached_outside_a_loop_panics() {
    spawn_local_detached(async {});
}
