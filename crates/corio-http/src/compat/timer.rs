//! [`CorioTimer`]: hyper's `rt::Timer` on the corio loop's timer heap.
//!
//! hyper requires its `Sleep` to be `Send + Sync`. corio's [`corio::time::Sleep`] already is:
//! it holds a deadline and an `Arc` of atomics and a `Mutex<Option<Waker>>` shared with its
//! heap entry (see `corio::time`), and it touches the loop only when polled (to arm the
//! timer) or dropped on the loop's thread (to note the cancellation). So [`CorioSleep`] is a
//! plain wrapper, needed only because hyper's trait and corio's type are both foreign here;
//! the compiler checks the `Send + Sync` bound at the `impl hyper::rt::Sleep` below.
//!
//! A sleep must be polled on a corio loop; hyper polls its timers from inside the
//! connection's own future, which runs there. [`CorioTimer::reset`] moves the deadline of
//! the existing sleep in place instead of allocating a new one.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

/// hyper's timer on corio. Give it to hyper's builders with `.timer(CorioTimer::new())`.
#[derive(Debug, Clone, Copy, Default)]
pub struct CorioTimer;

impl CorioTimer {
    /// The timer.
    pub fn new() -> CorioTimer {
        CorioTimer
    }
}

/// A [`corio::time::Sleep`] as a hyper `rt::Sleep` (`Send + Sync`).
#[derive(Debug)]
pub struct CorioSleep {
    sleep: corio::time::Sleep,
}

impl CorioSleep {
    /// A sleep until `deadline`.
    pub fn until(deadline: Instant) -> CorioSleep {
        CorioSleep {
            sleep: corio::time::sleep_until(deadline),
        }
    }

    /// The deadline.
    pub fn deadline(&self) -> Instant {
        self.sleep.deadline()
    }
}

impl Future for CorioSleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        Pin::new(&mut self.sleep).poll(cx)
    }
}

impl hyper::rt::Sleep for CorioSleep {}

impl hyper::rt::Timer for CorioTimer {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn hyper::rt::Sleep>> {
        Box::pin(CorioSleep::until(Instant::now() + duration))
    }

    fn sleep_until(&self, deadline: Instant) -> Pin<Box<dyn hyper::rt::Sleep>> {
        Box::pin(CorioSleep::until(deadline))
    }

    fn reset(&self, sleep: &mut Pin<Box<dyn hyper::rt::Sleep>>, new_deadline: Instant) {
        match sleep.as_mut().downcast_mut_pin::<CorioSleep>() {
            Some(mut ours) => ours.sleep.reset(new_deadline),
            None => *sleep = self.sleep_until(new_deadline),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::rt::Timer;

    #[test]
    fn sleeps_and_resets_in_place() {
        corio::block_on(async {
            let timer = CorioTimer::new();
            let start = Instant::now();
            let mut sleep = timer.sleep(Duration::from_secs(3600));
            timer.reset(&mut sleep, start + Duration::from_millis(2));
            assert!(sleep.as_ref().get_ref().is::<CorioSleep>());
            sleep.await;
            assert!(start.elapsed() >= Duration::from_millis(2));
        });
    }
}
