//! `corio::sync::Semaphore` and `corio::sync::Mutex`: FIFO fairness, close, cancellation of a
//! waiting acquirer, across loops and from plain threads, and no waiter left behind.

mod sync_util;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::Poll;
use std::thread;

use corio::sync::{Mutex, Semaphore, TryAcquireError};
use futures_core::future::FusedFuture;
use sync_util::{poll_once, stored_after_dropped_polls, stored_after_polls, two_workers, MILLION};

#[test]
fn permits_are_taken_returned_added_and_forgotten() {
    corio::block_on(async {
        let semaphore = Semaphore::new(2);
        let one = semaphore.acquire().await.unwrap();
        let two = semaphore.try_acquire().unwrap();
        assert_eq!(
            semaphore.try_acquire().unwrap_err(),
            TryAcquireError::NoPermits
        );
        drop(one);
        assert_eq!(semaphore.available_permits(), 1);
        two.forget();
        assert_eq!(semaphore.available_permits(), 1);
        semaphore.add_permits(2);
        let three = semaphore.acquire_many(3).await.unwrap();
        assert_eq!(three.num_permits(), 3);
        assert_eq!(semaphore.available_permits(), 0);
    });
}

#[test]
fn a_large_request_is_not_overtaken_by_small_ones() {
    let semaphore = Semaphore::new(2);
    let mut big = semaphore.acquire_many(3);
    assert!(poll_once(&mut big).is_pending());
    // Two permits are free, but the big request is first in line.
    assert_eq!(
        semaphore.try_acquire().unwrap_err(),
        TryAcquireError::NoPermits
    );
    let mut small = semaphore.acquire();
    assert!(poll_once(&mut small).is_pending());
    semaphore.add_permits(1);
    let Poll::Ready(Ok(big_permit)) = poll_once(&mut big) else {
        panic!("the big request is served first");
    };
    assert!(big.is_terminated());
    assert!(poll_once(&mut small).is_pending());
    drop(big_permit);
    assert!(matches!(poll_once(&mut small), Poll::Ready(Ok(_))));
}

#[test]
fn dropping_a_waiting_acquirer_lets_the_next_one_in() {
    let semaphore = Semaphore::new(1);
    let mut big = semaphore.acquire_many(2);
    let mut small = semaphore.acquire();
    assert!(poll_once(&mut big).is_pending());
    assert!(poll_once(&mut small).is_pending());
    drop(big);
    assert!(matches!(poll_once(&mut small), Poll::Ready(Ok(_))));

    // Granted but dropped before it took its permits: they return.
    let semaphore = Semaphore::new(0);
    let mut waiting = semaphore.acquire();
    assert!(poll_once(&mut waiting).is_pending());
    semaphore.add_permits(1);
    drop(waiting);
    assert_eq!(semaphore.available_permits(), 1);
}

#[test]
fn close_fails_waiting_and_new_acquirers_but_not_held_permits() {
    corio::block_on(async {
        let semaphore = Arc::new(Semaphore::new(1));
        let held = semaphore.clone().acquire_owned().await.unwrap();
        let waiting = corio::spawn({
            let semaphore = semaphore.clone();
            async move { semaphore.acquire().await.map(drop) }
        });
        corio::yield_now().await;
        semaphore.close();
        assert!(semaphore.is_closed());
        assert!(waiting.await.unwrap().is_err());
        assert!(semaphore.acquire().await.is_err());
        assert_eq!(
            semaphore.try_acquire().unwrap_err(),
            TryAcquireError::Closed
        );
        drop(held);
        assert_eq!(semaphore.available_permits(), 1);
    });
}

/// Tasks on both workers of a runtime and on a plain thread take one permit of `permits` at
/// a time; returns the most ever held together.
fn most_held_together(permits: usize) -> usize {
    let runtime = two_workers();
    let semaphore = Arc::new(Semaphore::new(permits));
    let (held, most) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let tasks: Vec<_> = (0..40)
        .map(|i| {
            let (semaphore, held, most) = (semaphore.clone(), held.clone(), most.clone());
            runtime.spawn_on(i % 2, async move {
                let _permit = semaphore.acquire().await.unwrap();
                let now = held.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                corio::yield_now().await;
                held.fetch_sub(1, Ordering::SeqCst);
            })
        })
        .collect();
    for task in tasks {
        corio::block_on(task).unwrap();
    }
    runtime.shutdown();
    most.load(Ordering::SeqCst)
}

#[test]
fn a_semaphore_bounds_concurrency_across_the_two_loops() {
    assert!(most_held_together(2) <= 2);
    assert_eq!(most_held_together(1), 1);
}

#[test]
fn a_plain_thread_adds_the_permit_a_task_waits_for() {
    let runtime = two_workers();
    let semaphore = Arc::new(Semaphore::new(0));
    let (queued_tx, queued_rx) = std::sync::mpsc::channel();
    let waiter = runtime.spawn_on(0, {
        let semaphore = semaphore.clone();
        async move {
            let mut acquire = semaphore.acquire();
            assert!(poll_once(&mut acquire).is_pending());
            queued_tx.send(()).unwrap();
            acquire.await.unwrap().num_permits()
        }
    });
    queued_rx.recv().unwrap();
    thread::spawn(move || semaphore.add_permits(1))
        .join()
        .unwrap();
    assert_eq!(corio::block_on(waiter).unwrap(), 1);
    runtime.shutdown();
}

#[test]
fn semaphore_waiters_polled_or_dropped_a_million_times_leave_no_waiter_behind() {
    let semaphore = Semaphore::new(0);
    let mut acquire = semaphore.acquire();
    assert!(stored_after_polls(&mut acquire, MILLION) <= 1);
    drop(acquire);
    assert_eq!(
        stored_after_dropped_polls(|| semaphore.acquire(), MILLION),
        0
    );
    // Nobody is left in line: a new permit is free to take at once.
    semaphore.add_permits(1);
    assert!(semaphore.try_acquire().is_ok());
}

#[test]
fn the_mutex_guard_is_held_across_awaits() {
    corio::block_on(async {
        let mutex = Arc::new(Mutex::new(Vec::new()));
        let tasks: Vec<_> = (0..5)
            .map(|i| {
                let mutex = mutex.clone();
                corio::spawn(async move {
                    let mut guard = mutex.lock().await;
                    guard.push(i);
                    corio::yield_now().await;
                    guard.push(i);
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        // Tasks queued in spawn order and each held the lock across its await.
        assert_eq!(*mutex.lock().await, [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]);
    });
}

#[test]
fn mutex_lockers_are_served_in_arrival_order() {
    let mutex = Mutex::new(());
    let held = mutex.try_lock().unwrap();
    assert!(mutex.try_lock().is_err());
    let mut lockers: Vec<_> = (0..3).map(|_| mutex.lock()).collect();
    for locker in &mut lockers {
        assert!(poll_once(locker).is_pending());
    }
    drop(held);
    for i in 0..3 {
        let Poll::Ready(guard) = poll_once(&mut lockers[i]) else {
            panic!("locker {i} is next in line");
        };
        for later in &mut lockers[i + 1..] {
            assert!(poll_once(later).is_pending());
        }
        drop(guard);
    }
}

#[test]
fn try_lock_get_mut_into_inner_and_owned_guards() {
    corio::block_on(async {
        let mut mutex = Mutex::new(1);
        *mutex.get_mut() += 1;
        *mutex.try_lock().unwrap() += 1;
        let mutex = Arc::new(mutex);
        let owned = mutex.clone().lock_owned().await;
        assert!(mutex.clone().try_lock_owned().is_err());
        let task = corio::spawn(async move {
            let mut owned = owned;
            *owned += 1;
        });
        task.await.unwrap();
        assert_eq!(*mutex.clone().try_lock_owned().unwrap(), 4);
        assert_eq!(Arc::try_unwrap(mutex).unwrap().into_inner(), 4);
    });
}

#[test]
fn a_panic_while_locked_unlocks_and_keeps_the_value() {
    corio::block_on(async {
        let mutex = Arc::new(Mutex::new(7));
        let task = corio::spawn({
            let mutex = mutex.clone();
            async move {
                let _guard = mutex.lock().await;
                panic!("inside the lock");
            }
        });
        assert!(task.await.unwrap_err().is_panic());
        assert_eq!(*mutex.try_lock().unwrap(), 7);
    });
}

#[test]
fn the_mutex_excludes_across_two_loops_and_a_plain_thread() {
    let runtime = two_workers();
    let mutex = Arc::new(Mutex::new(0u32));
    let inside = Arc::new(AtomicBool::new(false));
    let tasks: Vec<_> = (0..2)
        .map(|worker| {
            let (mutex, inside) = (mutex.clone(), inside.clone());
            runtime.spawn_on(worker, async move {
                for _ in 0..200 {
                    let mut guard = mutex.lock().await;
                    assert!(!inside.swap(true, Ordering::SeqCst), "two holders at once");
                    corio::yield_now().await;
                    *guard += 1;
                    inside.store(false, Ordering::SeqCst);
                }
            })
        })
        .collect();
    let plain = thread::spawn({
        let (mutex, inside) = (mutex.clone(), inside.clone());
        move || {
            for _ in 0..200 {
                let mut guard = mutex.blocking_lock();
                assert!(!inside.swap(true, Ordering::SeqCst), "two holders at once");
                *guard += 1;
                inside.store(false, Ordering::SeqCst);
            }
        }
    });
    for task in tasks {
        corio::block_on(task).unwrap();
    }
    plain.join().unwrap();
    assert_eq!(*mutex.blocking_lock(), 600);
    runtime.shutdown();
}

#[test]
#[should_panic(expected = "called on a corio event loop thread")]
fn blocking_lock_on_a_loop_thread_panics() {
    let mutex = Mutex::new(0);
    corio::block_on(async { *mutex.blocking_lock() });
}

#[test]
fn lockers_polled_or_dropped_a_million_times_leave_no_waiter_behind() {
    let mutex = Mutex::new(0);
    let guard = mutex.try_lock().unwrap();
    let mut lock = mutex.lock();
    assert!(stored_after_polls(&mut lock, MILLION) <= 1);
    drop(lock);
    assert_eq!(stored_after_dropped_polls(|| mutex.lock(), MILLION), 0);
    drop(guard);
    assert!(mutex.try_lock().is_ok(), "nobody is left in line");
}
