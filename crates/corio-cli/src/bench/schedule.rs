//! When a connection sends, and when it wakes: the open-loop [`Pacer`], and the lazy alarm
//! (a [`corio::time::Deadline`]) that each connection polls.
//!
//! Invariants:
//! - a [`Pacer`] hands out the intended send times `first + k × interval` for k = 0, 1, 2...,
//!   whatever happens to the connection: a request that could not go out on time (the
//!   connection was busy, down, or the server slow) keeps its intended time, so its latency
//!   includes the wait (coordinated omission corrected, as wrk2 does);
//! - the connections of a run get evenly spread phases, so that `rate` requests per second
//!   leave as a steady stream rather than in bursts of one per connection;
//! - an alarm (a [`corio::time::Deadline`]) touches the loop's timer heap at most once per expiry of the earliest
//!   deadline it was given, never once per request: moving the deadline later is a field
//!   write; it fires only once its current deadline has passed.

use std::time::{Duration, Instant};

/// Open-loop pacing of one connection. See the module docs.
#[derive(Debug, Clone)]
pub struct Pacer {
    next: Instant,
    interval: Duration,
}

impl Pacer {
    /// Pacing for connection `index` of `connections`, which together send `rate` requests per
    /// second from `start`.
    pub fn new(start: Instant, rate: f64, index: usize, connections: usize) -> Pacer {
        let interval = Duration::from_secs_f64(connections as f64 / rate);
        let phase = interval.mul_f64(index as f64 / connections as f64);
        Pacer {
            next: start + phase,
            interval,
        }
    }

    /// The intended send time of the next request.
    pub fn next(&self) -> Instant {
        self.next
    }

    /// Takes the next slot if it is due at `now`, returning its intended send time.
    #[inline]
    pub fn take_due(&mut self, now: Instant) -> Option<Instant> {
        if self.next > now {
            return None;
        }
        let due = self.next;
        self.next += self.interval;
        Some(due)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pacer_spreads_and_keeps_intended_times() {
        let start = Instant::now();
        // 100 req/s over 4 connections: 25 each, one every 40 ms, phases 10 ms apart.
        let mut p = Pacer::new(start, 100.0, 1, 4);
        assert_eq!(p.next(), start + Duration::from_millis(10));
        assert_eq!(p.take_due(start), None);
        let late = start + Duration::from_millis(95);
        let due: Vec<_> = std::iter::from_fn(|| p.take_due(late)).collect();
        assert_eq!(
            due,
            vec![
                start + Duration::from_millis(10),
                start + Duration::from_millis(50),
                start + Duration::from_millis(90)
            ]
        );
        assert_eq!(p.next(), start + Duration::from_millis(130));
    }

    #[test]
    fn alarm_fires_only_after_its_latest_deadline() {
        corio::block_on(async {
            let start = Instant::now();
            let mut alarm = corio::time::Deadline::new();
            alarm.set(Some(start + Duration::from_millis(5)));
            std::future::poll_fn(|cx| {
                // Pushed later on every poll until 20 ms, as a connection does per response.
                let later =
                    (start.elapsed() + Duration::from_millis(5)).min(Duration::from_millis(20));
                alarm.set(Some(start + later));
                alarm.poll(cx)
            })
            .await;
            assert!(start.elapsed() >= Duration::from_millis(20));
        });
    }
}
