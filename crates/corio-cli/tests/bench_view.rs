//! `corio bench`'s live view: a latency histogram redrawn in place on a terminal, one plain
//! line per second elsewhere, nothing with `--json`. The view is redrawn once a second, so the
//! server holds the run open (it answers a few requests, then waits at a gate) until the test
//! has seen the frame it waits for: however slow the machine, the run cannot end first.
//! Nothing is asserted about speed.

mod terminal;

use std::sync::atomic::{AtomicUsize, Ordering};

use terminal::{raw_server, respond, Gate, Terminal};

/// Requests the held server answers at once; it holds every later one at its gate.
const ANSWERED: usize = 20;
/// Requests a held run sends: the answered ones, then more that wait for the gate.
const REQUESTS: &str = "40";
/// A request timeout longer than the tests' patience, so that no held request times out.
const TIMEOUT: &str = "120s";

fn hello() -> String {
    let addr = raw_server(|_, s| respond(s, "text/plain", b"Hello, World!"));
    format!("http://{addr}/")
}

/// A server that answers [`ANSWERED`] requests, then holds the rest until `gate` opens.
fn held(gate: &Gate) -> String {
    let gate = gate.clone();
    let answered = AtomicUsize::new(0);
    let addr = raw_server(move |_, s| {
        if answered.fetch_add(1, Ordering::Relaxed) >= ANSWERED {
            gate.wait();
        }
        respond(s, "text/plain", b"Hello, World!")
    });
    format!("http://{addr}/")
}

#[test]
fn a_terminal_gets_a_live_histogram_erased_before_the_report() {
    let gate = Gate::default();
    let url = held(&gate);
    let t = Terminal::spawn(&[
        "bench",
        &url,
        "-n",
        REQUESTS,
        "-c",
        "2",
        "--timeout",
        TIMEOUT,
    ]);
    // The first frame, at the start.
    assert!(t.wait_for("\x1b[J  0.0s "), "{:?}", t.screen_tail());
    // A later frame, drawn over the first (cursor up): a histogram row (a range, a bar, a
    // share) of the answered requests.
    assert!(
        t.wait_until(|screen| screen
            .split_once("A\x1b[J")
            .is_some_and(|(_, later)| later.contains("%\r\n"))),
        "{:?}",
        t.screen_tail()
    );
    gate.open();
    let f = t.finish();
    assert_eq!(f.code, Some(0), "{f:?}");
    assert!(
        f.stderr.contains(" req/s ") && f.stderr.contains("µs"),
        "{f:?}"
    );
    assert!(f.stderr.contains("│█"), "{f:?}");
    // Erased at the end.
    assert!(f.stderr.ends_with("\x1b[J"), "{f:?}");
    // The report is on stdout, untouched.
    assert!(f.stdout.starts_with("corio bench "), "{f:?}");
    assert!(!f.stdout.contains('\x1b'), "{f:?}");
}

#[test]
fn a_pipe_gets_plain_lines() {
    let gate = Gate::default();
    let url = held(&gate);
    let t = Terminal::spawn_piped(&[
        "bench",
        &url,
        "-n",
        REQUESTS,
        "-c",
        "2",
        "--timeout",
        TIMEOUT,
    ]);
    assert!(t.wait_for(" errors\n"), "{:?}", t.screen_tail());
    gate.open();
    let f = t.finish();
    assert_eq!(f.code, Some(0), "{f:?}");
    assert!(
        !f.stderr.contains('\x1b') && !f.stderr.contains('\r'),
        "{f:?}"
    );
    let lines: Vec<&str> = f.stderr.lines().collect();
    assert!(!lines.is_empty(), "{f:?}");
    for line in lines {
        assert!(
            line.contains(" req/s ") && line.ends_with(" errors"),
            "{f:?}"
        );
    }
}

#[test]
fn json_draws_nothing_even_on_a_terminal() {
    let url = hello();
    let f = Terminal::spawn(&["bench", &url, "-n", "20", "-c", "2", "--json"]).finish();
    assert_eq!(f.code, Some(0), "{f:?}");
    assert_eq!(f.stderr, "", "{f:?}");
    let report: serde_json::Value = serde_json::from_str(&f.stdout).unwrap();
    assert_eq!(report["responses"].as_u64(), Some(20), "{report}");
}
