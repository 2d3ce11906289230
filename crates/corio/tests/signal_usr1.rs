//! Signals: SIGUSR1 raised at our own process is received on the loop. (Its own test binary:
//! signals are process-wide.)

use corio::signal::{Signals, SIGUSR1, SIGUSR2};

#[test]
fn sigusr1_is_received() {
    corio::block_on(async {
        let mut signals = Signals::new(&[SIGUSR1, SIGUSR2]).unwrap();
        // A task waits for the signal before it is raised.
        let waiter = corio::spawn_local(async move {
            let first = signals.recv().await.unwrap();
            let second = signals.recv().await.unwrap();
            (first, second)
        });
        corio::yield_now().await;
        signal_hook::low_level::raise(SIGUSR1).unwrap();
        corio::yield_now().await;
        signal_hook::low_level::raise(SIGUSR2).unwrap();
        let (first, second) = waiter.await.unwrap();
        assert_eq!(first, SIGUSR1);
        assert_eq!(second, SIGUSR2);
    });
}
