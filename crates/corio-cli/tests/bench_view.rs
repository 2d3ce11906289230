//! `corio bench`'s live view: a latency histogram redrawn in place on a terminal, one plain
//! line per second elsewhere, nothing with `--json`. The runs last a few seconds, so that the
//! once-a-second view has something to show; nothing is asserted about speed.

mod terminal;

use terminal::{piped, raw_server, respond, Terminal};

fn hello() -> String {
    let addr = raw_server(|_, s| respond(s, "text/plain", b"Hello, World!"));
    format!("http://{addr}/")
}

#[test]
fn a_terminal_gets_a_live_histogram_erased_before_the_report() {
    let url = hello();
    let t = Terminal::spawn(&["bench", &url, "-d", "3s", "-c", "2", "--rate", "200"]);
    // The first frame, at the start.
    assert!(t.wait_for("\x1b[J  0.0s "), "{:?}", t.screen_tail());
    // A later frame: the rate and a histogram row (a range, a bar, a share).
    assert!(t.wait_for("%\r\n"), "{:?}", t.screen_tail());
    let f = t.finish();
    assert_eq!(f.code, Some(0), "{f:?}");
    assert!(
        f.stderr.contains(" req/s ") && f.stderr.contains("µs"),
        "{f:?}"
    );
    assert!(f.stderr.contains("│█"), "{f:?}");
    // Redrawn in place (cursor up), and erased at the end.
    assert!(
        f.stderr.contains("\x1b[") && f.stderr.contains("A\x1b[J"),
        "{f:?}"
    );
    assert!(f.stderr.ends_with("\x1b[J"), "{f:?}");
    // The report is on stdout, untouched.
    assert!(f.stdout.starts_with("corio bench "), "{f:?}");
    assert!(!f.stdout.contains('\x1b'), "{f:?}");
}

#[test]
fn a_pipe_gets_plain_lines() {
    let url = hello();
    let f = piped(&["bench", &url, "-d", "2500ms", "-c", "2", "--rate", "200"]);
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
    let f = Terminal::spawn(&["bench", &url, "-d", "1500ms", "-c", "2", "--json"]).finish();
    assert_eq!(f.code, Some(0), "{f:?}");
    assert_eq!(f.stderr, "", "{f:?}");
    let report: serde_json::Value = serde_json::from_str(&f.stdout).unwrap();
    assert!(report["responses"].as_u64().unwrap() > 0, "{report}");
}
