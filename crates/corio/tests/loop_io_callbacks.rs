//! Layer 2: `add_reader` / `add_writer` firing on readiness, and their removal.

use std::cell::{Cell, RefCell};
use std::io::{self, Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::rc::Rc;
use std::time::Duration;

use corio::EventLoop;

fn pair() -> (UnixStream, UnixStream) {
    let (a, b) = UnixStream::pair().unwrap();
    a.set_nonblocking(true).unwrap();
    b.set_nonblocking(true).unwrap();
    (a, b)
}

/// Reads until `WouldBlock` (edge-triggered readiness).
fn drain(mut socket: &UnixStream, into: &mut Vec<u8>) {
    let mut buf = [0u8; 1024];
    loop {
        match socket.read(&mut buf) {
            Ok(0) => return,
            Ok(n) => into.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
            Err(e) => panic!("read failed: {e}"),
        }
    }
}

#[test]
fn writer_fires_when_writable_and_reader_when_data_arrives() {
    let lp = EventLoop::new().unwrap();
    let (a, b) = pair();
    let (a, b) = (Rc::new(a), Rc::new(b));
    let received = Rc::new(RefCell::new(Vec::new()));
    // The writer on `a` fires (the socket is writable), sends, and removes itself.
    {
        let (lp2, a2) = (lp.clone(), a.clone());
        lp.add_writer(a.as_raw_fd(), move || {
            (&*a2).write_all(b"hello").unwrap();
            assert!(lp2.remove_writer(a2.as_raw_fd()).unwrap());
        })
        .unwrap();
    }
    // The reader on `b` fires when the data arrives.
    {
        let (lp2, b2, received2) = (lp.clone(), b.clone(), received.clone());
        lp.add_reader(b.as_raw_fd(), move || {
            drain(&b2, &mut received2.borrow_mut());
            if received2.borrow().len() == 5 {
                assert!(lp2.remove_reader(b2.as_raw_fd()).unwrap());
                lp2.stop();
            }
        })
        .unwrap();
    }
    lp.run_forever().unwrap();
    assert_eq!(&*received.borrow(), b"hello");
    assert!(!lp.remove_reader(b.as_raw_fd()).unwrap(), "already removed");
    assert!(!lp.remove_writer(a.as_raw_fd()).unwrap(), "already removed");
}

#[test]
fn reader_fires_again_on_each_new_arrival() {
    let lp = EventLoop::new().unwrap();
    let (a, b) = pair();
    let b = Rc::new(b);
    let a = Rc::new(RefCell::new(a));
    let chunks = Rc::new(Cell::new(0));
    {
        let (lp2, b2, a2, chunks2) = (lp.clone(), b.clone(), a.clone(), chunks.clone());
        lp.add_reader(b.as_raw_fd(), move || {
            let mut got = Vec::new();
            drain(&b2, &mut got);
            if got.is_empty() {
                return;
            }
            chunks2.set(chunks2.get() + 1);
            if chunks2.get() == 3 {
                lp2.remove_reader(b2.as_raw_fd()).unwrap();
                lp2.stop();
            } else {
                // Answer the arrival with another one: the reader must fire again.
                a2.borrow_mut().write_all(b"more").unwrap();
            }
        })
        .unwrap();
    }
    a.borrow_mut().write_all(b"first").unwrap();
    lp.run_forever().unwrap();
    assert_eq!(chunks.get(), 3);
}

#[test]
fn removed_reader_does_not_fire() {
    let lp = EventLoop::new().unwrap();
    let (mut a, b) = pair();
    lp.add_reader(b.as_raw_fd(), || panic!("removed reader fired"))
        .unwrap();
    assert!(lp.remove_reader(b.as_raw_fd()).unwrap());
    a.write_all(b"data").unwrap();
    // Let the loop poll the selector at least once (it blocks until this timer).
    lp.call_later(Duration::from_millis(5), {
        let lp = lp.clone();
        move || lp.stop()
    });
    lp.run_forever().unwrap();
}

/// Two readers become ready in the same selector poll; whichever runs first removes the
/// other, which is then already queued for this iteration: it must not run.
#[test]
fn reader_queued_then_removed_in_the_same_iteration_does_not_run() {
    let lp = EventLoop::new().unwrap();
    let (mut a1, b1) = pair();
    let (mut a2, b2) = pair();
    let (fd1, fd2) = (b1.as_raw_fd(), b2.as_raw_fd());
    let runs = Rc::new(RefCell::new(Vec::new()));
    for (mine, other) in [(fd1, fd2), (fd2, fd1)] {
        let (lp2, runs2) = (lp.clone(), runs.clone());
        lp.add_reader(mine, move || {
            runs2.borrow_mut().push(mine);
            lp2.remove_reader(other).unwrap();
            lp2.remove_reader(mine).unwrap();
            lp2.stop();
        })
        .unwrap();
    }
    // Both sockets are readable before the loop first polls.
    a1.write_all(b"1").unwrap();
    a2.write_all(b"2").unwrap();
    lp.run_forever().unwrap();
    assert_eq!(
        runs.borrow().len(),
        1,
        "the removed reader ran: {:?}",
        runs.borrow()
    );
}

#[test]
fn replacing_a_reader_keeps_only_the_new_one() {
    let lp = EventLoop::new().unwrap();
    let (mut a, b) = pair();
    let b = Rc::new(b);
    lp.add_reader(b.as_raw_fd(), || panic!("replaced reader fired"))
        .unwrap();
    let (lp2, b2) = (lp.clone(), b.clone());
    lp.add_reader(b.as_raw_fd(), move || {
        drain(&b2, &mut Vec::new());
        lp2.remove_reader(b2.as_raw_fd()).unwrap();
        lp2.stop();
    })
    .unwrap();
    a.write_all(b"x").unwrap();
    lp.run_forever().unwrap();
}

#[test]
fn reader_and_writer_on_the_same_descriptor() {
    let lp = EventLoop::new().unwrap();
    let (mut a, b) = pair();
    let b = Rc::new(b);
    let log = Rc::new(RefCell::new(Vec::new()));
    {
        let (lp2, b2, log2) = (lp.clone(), b.clone(), log.clone());
        lp.add_writer(b.as_raw_fd(), move || {
            log2.borrow_mut().push("w");
            lp2.remove_writer(b2.as_raw_fd()).unwrap();
        })
        .unwrap();
    }
    {
        let (lp2, b2, log2) = (lp.clone(), b.clone(), log.clone());
        lp.add_reader(b.as_raw_fd(), move || {
            drain(&b2, &mut Vec::new());
            log2.borrow_mut().push("r");
            lp2.remove_reader(b2.as_raw_fd()).unwrap();
            lp2.stop();
        })
        .unwrap();
    }
    a.write_all(b"x").unwrap();
    lp.run_forever().unwrap();
    let mut log = log.borrow().clone();
    log.sort();
    assert_eq!(log, ["r", "w"]);
}

/// The selector is polled at least once every `EVENT_INTERVAL` callbacks, even when many
/// more were ready at once: a reader whose descriptor is readable runs behind the burst that
/// was ready before its event was seen, not also behind everything the burst scheduled in turn
/// (the whole burst used to run before the next poll).
#[test]
fn a_burst_of_ready_callbacks_does_not_delay_the_next_poll() {
    const BURST: usize = 4 * corio::EVENT_INTERVAL;
    let lp = EventLoop::new().unwrap();
    let (mut a, b) = pair();
    a.write_all(b"x").unwrap();
    let log = Rc::new(RefCell::new(Vec::new()));
    {
        let (lp2, log2) = (lp.clone(), log.clone());
        lp.add_reader(b.as_raw_fd(), move || {
            log2.borrow_mut().push("io");
            lp2.stop();
        })
        .unwrap();
    }
    for _ in 0..BURST {
        let (lp2, log2) = (lp.clone(), log.clone());
        lp.call_soon(move || {
            log2.borrow_mut().push("burst");
            let log3 = log2.clone();
            lp2.call_soon(move || log3.borrow_mut().push("scheduled by the burst"));
        });
    }
    lp.run_forever().unwrap();
    let log = log.borrow();
    let io = log.iter().position(|&e| e == "io").expect("the reader ran");
    let burst = log[..io].iter().filter(|&&e| e == "burst").count();
    assert_eq!(
        burst, BURST,
        "the reader runs after the burst ready before it"
    );
    let scheduled = io - burst;
    assert!(
        scheduled <= corio::EVENT_INTERVAL,
        "{scheduled} callbacks scheduled by the burst ran before the reader"
    );
}
