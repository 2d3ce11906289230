//! Layer 3: how wakes queue a task. A task is queued at most once however often it is woken,
//! on its loop's thread or from another one; a wake during its step queues it again; a wake
//! after its end does nothing, even once its slab slot holds another task.

use std::future::poll_fn;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::task::{Poll, Waker};

/// What a probe task shares with the test: how often it was polled, its latest waker, and
/// the flag that lets it finish.
#[derive(Default)]
struct Probe {
    polls: AtomicUsize,
    waker: Mutex<Option<Waker>>,
    done: AtomicBool,
}

impl Probe {
    /// The probe's task: counts its polls, keeps its waker, finishes once `done` is set.
    async fn run(self: Arc<Self>) {
        poll_fn(|cx| {
            self.polls.fetch_add(1, Ordering::SeqCst);
            *self.waker.lock().unwrap() = Some(cx.waker().clone());
            if self.done.load(Ordering::SeqCst) {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        })
        .await
    }

    fn polls(&self) -> usize {
        self.polls.load(Ordering::SeqCst)
    }

    fn waker(&self) -> Waker {
        self.waker.lock().unwrap().clone().expect("polled once")
    }
}

/// Yields until `probe` has been polled `n` times.
async fn polled(probe: &Probe, n: usize) {
    while probe.polls() < n {
        corio::yield_now().await;
    }
}

/// Wakes `waker` twice from another thread, and returns once it has.
fn wake_twice_from_another_thread(waker: Waker) {
    std::thread::spawn(move || {
        waker.wake_by_ref();
        waker.wake();
    })
    .join()
    .unwrap();
}

/// Lets the loop run a few iterations (each one takes the remote queue, then runs what is
/// ready): a task queued by what happened before has been polled by the end.
async fn a_few_iterations() {
    for _ in 0..3 {
        corio::yield_now().await;
    }
}

#[test]
fn wakes_on_the_loop_and_from_other_threads_queue_a_task_once() {
    corio::block_on(async {
        let probe = Arc::new(Probe::default());
        let task = corio::spawn(probe.clone().run());
        polled(&probe, 1).await;
        let waker = probe.waker();
        waker.wake_by_ref();
        waker.wake_by_ref();
        wake_twice_from_another_thread(waker.clone());
        waker.wake();
        a_few_iterations().await;
        assert_eq!(probe.polls(), 2);
        // Only from another thread this time: queued once too.
        wake_twice_from_another_thread(probe.waker());
        a_few_iterations().await;
        assert_eq!(probe.polls(), 3);
        probe.done.store(true, Ordering::SeqCst);
        probe.waker().wake();
        task.await.unwrap();
        assert_eq!(probe.polls(), 4);
    });
}

#[test]
fn a_wake_from_another_thread_during_the_step_queues_the_task_again() {
    corio::block_on(async {
        let (waker_tx, waker_rx) = mpsc::channel::<Waker>();
        let (woken_tx, woken_rx) = mpsc::channel::<()>();
        let thread = std::thread::spawn(move || {
            let waker = waker_rx.recv().unwrap();
            waker.wake();
            woken_tx.send(()).unwrap();
        });
        let mut polls = 0;
        let task = corio::spawn(poll_fn(move |cx| {
            polls += 1;
            if polls == 1 {
                // Woken by the other thread before this step returns `Pending`.
                waker_tx.send(cx.waker().clone()).unwrap();
                woken_rx.recv().unwrap();
                return Poll::Pending;
            }
            Poll::Ready(polls)
        }));
        assert_eq!(task.await.unwrap(), 2);
        thread.join().unwrap();
    });
}

#[test]
fn a_wake_on_the_loop_during_the_step_queues_the_task_again() {
    corio::block_on(async {
        let mut polls = 0;
        let task = corio::spawn(poll_fn(move |cx| {
            polls += 1;
            if polls < 3 {
                cx.waker().wake_by_ref();
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
            Poll::Ready(polls)
        }));
        assert_eq!(task.await.unwrap(), 3);
    });
}

#[test]
fn wakes_after_a_task_ended_do_not_poll_the_task_in_its_slot() {
    corio::block_on(async {
        let first = Arc::new(Probe::default());
        first.done.store(true, Ordering::SeqCst);
        corio::spawn(first.clone().run()).await.unwrap();
        let stale = first.waker();
        // Takes the slab slot the first task freed.
        let second = Arc::new(Probe::default());
        let task = corio::spawn(second.clone().run());
        polled(&second, 1).await;
        stale.wake_by_ref();
        wake_twice_from_another_thread(stale.clone());
        stale.wake();
        a_few_iterations().await;
        assert_eq!((first.polls(), second.polls()), (1, 1));
        second.done.store(true, Ordering::SeqCst);
        second.waker().wake();
        task.await.unwrap();
    });
}
