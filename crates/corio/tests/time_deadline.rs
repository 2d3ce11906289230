//! `time::Deadline`: moved later it does not fire early, moved earlier it re-arms, it survives
//! its loop's shutdown, and it stays three words (a server keeps one or two in every
//! connection's task).

use std::future::poll_fn;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use corio::time::{timeout, Deadline};
use corio::EventLoop;

/// Only guards against a hang: a broken re-arm would wait for the hour-long timer.
const HANG_GUARD: Duration = Duration::from_secs(30);

/// One of the two ways a task polls its deadline: `Deadline::poll`, or `poll_same_waker`
/// with the waker its previous poll stored.
type PollWith = fn(&mut Deadline, &mut Context<'_>) -> Poll<()>;

/// Sets `deadline` to `at` and polls it once with `poll`, which must find it pending (armed).
async fn arm(deadline: &mut Deadline, at: Instant, poll: PollWith) {
    deadline.set(Some(at));
    poll_fn(|cx| {
        assert!(poll(deadline, cx).is_pending(), "armed");
        Poll::Ready(())
    })
    .await;
}

/// Moves `deadline` to `at` and waits for it with `poll`: it completes, and not before `at`.
async fn moved_completes(deadline: &mut Deadline, at: Instant, poll: PollWith) {
    deadline.set(Some(at));
    timeout(HANG_GUARD, poll_fn(|cx| poll(deadline, cx)))
        .await
        .expect("the moved deadline completes (a broken re-arm hangs on the first timer)");
    assert!(Instant::now() >= at);
}

#[test]
fn a_deadline_moved_later_completes_at_the_later_instant_never_before() {
    corio::block_on(async {
        let mut deadline = Deadline::new();
        let first = Instant::now() + Duration::from_millis(5);
        arm(&mut deadline, first, Deadline::poll).await;
        moved_completes(
            &mut deadline,
            first + Duration::from_millis(20),
            Deadline::poll,
        )
        .await;
    });
}

#[test]
fn a_deadline_moved_earlier_than_its_timer_rearms() {
    corio::block_on(async {
        let mut deadline = Deadline::new();
        let hour = Instant::now() + Duration::from_secs(3600);
        arm(&mut deadline, hour, Deadline::poll).await;
        let sooner = Instant::now() + Duration::from_millis(2);
        moved_completes(&mut deadline, sooner, Deadline::poll).await;
        assert_eq!(deadline.get(), Some(sooner));
    });
}

/// `poll_same_waker` (for a task polling its own deadline with the waker its previous poll
/// stored) still completes: when the deadline moved later than the armed timer (which fires
/// early and is re-armed) and when it moved earlier (the timer is replaced at once).
#[test]
fn a_deadline_polled_again_with_the_same_waker_completes_moved_later_or_earlier() {
    corio::block_on(async {
        let mut deadline = Deadline::new();
        let first = Instant::now() + Duration::from_millis(5);
        arm(&mut deadline, first, Deadline::poll).await;
        let later = first + Duration::from_millis(20);
        moved_completes(&mut deadline, later, Deadline::poll_same_waker).await;

        let hour = Instant::now() + Duration::from_secs(3600);
        arm(&mut deadline, hour, Deadline::poll_same_waker).await;
        let sooner = Instant::now() + Duration::from_millis(2);
        moved_completes(&mut deadline, sooner, Deadline::poll_same_waker).await;
    });
}

#[test]
fn a_deadline_whose_loop_closed_rearms_on_the_next_one() {
    let mut deadline = Deadline::new();
    let at = Instant::now() + Duration::from_millis(5);
    deadline.set(Some(at));
    let first = EventLoop::new().unwrap();
    let mut deadline = first.run_until_complete(async move {
        poll_fn(|cx| {
            assert!(deadline.poll(cx).is_pending());
            Poll::Ready(())
        })
        .await;
        deadline
    });
    first.close();
    corio::block_on(async {
        timeout(HANG_GUARD, poll_fn(|cx| deadline.poll(cx)))
            .await
            .expect("re-armed on the second loop");
    });
    assert!(Instant::now() >= at);
}

#[test]
fn an_unset_deadline_never_completes() {
    corio::block_on(async {
        let mut deadline = Deadline::new();
        let result = timeout(Duration::from_millis(5), poll_fn(|cx| deadline.poll(cx))).await;
        assert!(result.is_err());
    });
}

#[test]
fn a_deadline_is_three_words_and_its_option_too() {
    assert!(std::mem::size_of::<Deadline>() <= 3 * 8);
    assert_eq!(
        std::mem::size_of::<Option<Deadline>>(),
        std::mem::size_of::<Deadline>()
    );
}
