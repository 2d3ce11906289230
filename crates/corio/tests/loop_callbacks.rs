//! Layer 2: `call_soon`, `call_later`, `call_at`, cancellation, stopping, cross-thread calls.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use corio::EventLoop;

type Log = Rc<RefCell<Vec<&'static str>>>;

fn push(log: &Log, entry: &'static str) -> impl FnOnce() + 'static {
    let log = log.clone();
    move || log.borrow_mut().push(entry)
}

fn stopper(lp: &EventLoop) -> impl FnOnce() + 'static {
    let lp = lp.clone();
    move || lp.stop()
}

#[test]
fn call_soon_runs_in_fifo_order() {
    let lp = EventLoop::new().unwrap();
    let log = Log::default();
    for entry in ["a", "b", "c", "d"] {
        lp.call_soon(push(&log, entry));
    }
    lp.call_soon(stopper(&lp));
    lp.run_forever().unwrap();
    assert_eq!(*log.borrow(), ["a", "b", "c", "d"]);
}

#[test]
fn callbacks_scheduled_during_an_iteration_run_on_the_next() {
    let lp = EventLoop::new().unwrap();
    let log = Log::default();
    {
        let (lp2, log2) = (lp.clone(), log.clone());
        lp.call_soon(move || {
            log2.borrow_mut().push("a");
            lp2.call_soon(push(&log2, "c"));
            lp2.call_soon(stopper(&lp2));
        });
    }
    lp.call_soon(push(&log, "b"));
    lp.run_forever().unwrap();
    assert_eq!(*log.borrow(), ["a", "b", "c"]);
}

/// A callback that reschedules itself forever does not starve other callbacks, timers, I/O
/// callbacks or cross-thread calls.
#[test]
fn a_self_rescheduling_callback_starves_nothing() {
    fn spin(lp: EventLoop, count: Rc<Cell<u64>>) {
        count.set(count.get() + 1);
        let lp2 = lp.clone();
        lp.call_soon(move || spin(lp2, count));
    }
    let lp = EventLoop::new().unwrap();
    let spins = Rc::new(Cell::new(0));
    {
        let (lp2, spins2) = (lp.clone(), spins.clone());
        lp.call_soon(move || spin(lp2, spins2));
    }
    // An I/O callback: a socket with data waiting.
    let (a, mut b) = std::os::unix::net::UnixStream::pair().unwrap();
    a.set_nonblocking(true).unwrap();
    std::io::Write::write_all(&mut b, b"x").unwrap();
    let io_ran = Rc::new(Cell::new(false));
    {
        let io_ran = io_ran.clone();
        lp.add_reader(std::os::fd::AsRawFd::as_raw_fd(&a), move || {
            io_ran.set(true)
        })
        .unwrap();
    }
    // A timer, then a cross-thread call once the timer has run, which stops the loop.
    let handle = lp.handle();
    let (tx, rx) = mpsc::channel::<()>();
    lp.call_later(Duration::from_millis(1), move || tx.send(()).unwrap());
    let thread = std::thread::spawn(move || {
        rx.recv().unwrap();
        handle.stop();
    });
    lp.run_forever().unwrap();
    thread.join().unwrap();
    assert!(io_ran.get());
    assert!(spins.get() > 1);
    lp.remove_reader(std::os::fd::AsRawFd::as_raw_fd(&a))
        .unwrap();
}

#[test]
fn call_later_runs_by_deadline_then_in_set_order() {
    let lp = EventLoop::new().unwrap();
    let log = Log::default();
    let fired_at = Rc::new(RefCell::new(Vec::new()));
    let base = Instant::now();
    let at = |ms, name: &'static str| {
        let when = base + Duration::from_millis(ms);
        let (log, fired_at) = (log.clone(), fired_at.clone());
        lp.call_at(when, move || {
            log.borrow_mut().push(name);
            fired_at.borrow_mut().push((when, Instant::now()));
        })
    };
    at(3, "c");
    at(1, "a");
    at(2, "b1");
    at(2, "b2");
    let timer = lp.call_later(Duration::from_millis(4), stopper(&lp));
    assert!(timer.when() >= base + Duration::from_millis(4));
    lp.run_forever().unwrap();
    assert_eq!(*log.borrow(), ["a", "b1", "b2", "c"]);
    for (when, fired) in fired_at.borrow().iter() {
        assert!(fired >= when, "a timer fired before its deadline");
    }
}

#[test]
fn call_later_fires_no_earlier_than_its_delay() {
    let lp = EventLoop::new().unwrap();
    let start = Instant::now();
    let (lp2, fired) = (lp.clone(), Rc::new(Cell::new(None)));
    let fired2 = fired.clone();
    lp.call_later(Duration::from_millis(20), move || {
        fired2.set(Some(Instant::now()));
        lp2.stop();
    });
    lp.run_forever().unwrap();
    assert!(fired.get().unwrap() - start >= Duration::from_millis(20));
}

#[test]
fn cancelled_callbacks_never_run() {
    let lp = EventLoop::new().unwrap();
    let soon = lp.call_soon(|| panic!("cancelled call_soon ran"));
    let later = lp.call_later(Duration::from_millis(1), || {
        panic!("cancelled call_later ran")
    });
    let at = lp.call_at(Instant::now(), || panic!("cancelled call_at ran"));
    assert!(soon.is_pending() && later.is_pending() && at.is_pending());
    assert!(soon.cancel());
    assert!(!soon.cancel(), "second cancel must return false");
    assert!(later.cancel());
    assert!(!later.cancel());
    assert!(at.cancel());
    assert!(!at.is_pending());
    lp.call_later(Duration::from_millis(3), stopper(&lp));
    lp.run_forever().unwrap();
}

#[test]
fn cancel_after_running_returns_false() {
    let lp = EventLoop::new().unwrap();
    let ran = Rc::new(Cell::new(false));
    let ran2 = ran.clone();
    let timer = lp.call_later(Duration::ZERO, move || ran2.set(true));
    lp.call_later(Duration::from_millis(1), stopper(&lp));
    lp.run_forever().unwrap();
    assert!(ran.get());
    assert!(!timer.is_pending());
    assert!(!timer.cancel());
}

#[test]
fn many_cancelled_timers_do_not_fire() {
    let lp = EventLoop::new().unwrap();
    let fired = Rc::new(Cell::new(0));
    let handles: Vec<_> = (0..1000)
        .map(|i| {
            let fired = fired.clone();
            lp.call_later(Duration::from_micros(i), move || fired.set(fired.get() + 1))
        })
        .collect();
    for handle in handles.iter().step_by(2) {
        assert!(handle.cancel());
    }
    lp.call_later(Duration::from_millis(2), stopper(&lp));
    lp.run_forever().unwrap();
    assert_eq!(fired.get(), 500);
}

#[test]
fn call_soon_threadsafe_wakes_a_loop_blocked_in_the_selector() {
    let lp = EventLoop::new().unwrap();
    let handle = lp.handle();
    let (ready_tx, ready_rx) = mpsc::channel::<()>();
    let (done_tx, done_rx) = mpsc::channel();
    // The loop has nothing to do after this callback: it blocks in the selector with no
    // timeout. The other thread calls only after this handshake.
    lp.call_soon(move || ready_tx.send(()).unwrap());
    let thread = std::thread::spawn(move || {
        ready_rx.recv().unwrap();
        handle.call_soon_threadsafe(move || {
            done_tx.send("ran on the loop").unwrap();
            EventLoop::current().unwrap().stop();
        });
    });
    lp.run_forever().unwrap();
    thread.join().unwrap();
    assert_eq!(done_rx.try_recv().unwrap(), "ran on the loop");
}

#[test]
fn loop_handle_stop_from_another_thread() {
    let lp = EventLoop::new().unwrap();
    let handle = lp.handle();
    assert!(handle.same_loop(&lp.handle()));
    let (tx, rx) = mpsc::channel::<()>();
    lp.call_soon(move || tx.send(()).unwrap());
    let thread = std::thread::spawn(move || {
        rx.recv().unwrap();
        handle.stop();
    });
    lp.run_forever().unwrap();
    thread.join().unwrap();
    assert!(!lp.is_running());
}

#[test]
fn the_loop_can_run_again_after_stop() {
    let lp = EventLoop::new().unwrap();
    let count = Rc::new(Cell::new(0));
    for _ in 0..2 {
        let count = count.clone();
        let lp2 = lp.clone();
        lp.call_soon(move || {
            count.set(count.get() + 1);
            lp2.stop();
        });
        lp.run_forever().unwrap();
    }
    assert_eq!(count.get(), 2);
}

/// A loop kept busy by a task that only yields, with no source registered (so that its
/// selector, which would only report the cross-thread waker, is skipped), still runs a
/// callback another thread sends it while it is busy.
#[test]
fn a_busy_loop_without_sources_runs_a_callback_sent_from_another_thread() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    /// Only guards against a hang: the timer fires if the callback is never taken.
    const HANG_GUARD: Duration = Duration::from_secs(30);

    let lp = EventLoop::new().unwrap();
    let handle = lp.handle();
    let ran = Arc::new(AtomicBool::new(false));
    let (busy_tx, busy_rx) = mpsc::channel::<()>();
    let flag = ran.clone();
    let sender = std::thread::spawn(move || {
        busy_rx.recv().unwrap();
        handle.call_soon_threadsafe(move || flag.store(true, Ordering::SeqCst));
    });
    let spin = async {
        busy_tx.send(()).unwrap();
        while !ran.load(Ordering::SeqCst) {
            corio::yield_now().await;
        }
    };
    let result = lp.run_until_complete(corio::time::timeout(HANG_GUARD, spin));
    sender.join().unwrap();
    assert!(
        result.is_ok(),
        "the callback from the other thread never ran"
    );
}
