//! Progress bars for downloads to files (`corio get -o`), as curl and wget show them: one bar
//! per file, with its name, size, rate and time left (a spinner, size and rate when the size
//! is not known).
//!
//! Invariants: bars are drawn on stderr, only when stderr is a terminal and not silenced
//! (`-s`), and never on stdout (which carries bodies); a finished bar stays on the screen as
//! the file's one-line record, a failed one stays where it stopped; a message printed while
//! bars are shown goes through [`Downloads::eprintln`], so that it is not drawn over.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

/// How often a bar whose download stalls is redrawn (its spinner and rate keep moving).
const TICK: Duration = Duration::from_millis(200);
/// A bar for a known size: name, bar, bytes of total, rate, time left.
const SIZED: &str =
    "{prefix:20!} [{bar:30}] {bytes:>10} / {total_bytes:<10} {bytes_per_sec:>12}  ETA {eta}";
/// A bar for an unknown size (chunked or close-delimited body): name, spinner, bytes, rate.
const UNSIZED: &str = "{prefix:20!} {spinner} {bytes:>10} {bytes_per_sec:>12}";

/// The bars of one `corio get`.
#[derive(Debug)]
pub struct Downloads {
    /// `None` when nothing is shown (not a terminal, or silenced).
    multi: Option<MultiProgress>,
}

impl Downloads {
    /// Bars on stderr if it is a terminal and `silent` is not set; otherwise none.
    pub fn new(silent: bool) -> Downloads {
        let shown = !silent && std::io::stderr().is_terminal();
        Downloads {
            multi: shown.then(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr())),
        }
    }

    /// A bar for a download of `len` bytes (if known) into a file called `name`, of which
    /// the first `done` are already there (a resumed download).
    pub fn start(&self, name: &str, len: Option<u64>, done: u64) -> Download {
        let Some(multi) = &self.multi else {
            return Download { bar: None };
        };
        let (bar, template) = match len {
            Some(len) => (ProgressBar::new(len), SIZED),
            None => (ProgressBar::no_length(), UNSIZED),
        };
        let bar = bar.with_position(done);
        let style = ProgressStyle::with_template(template)
            .expect("valid progress template")
            .progress_chars("=> ");
        let bar = multi.add(bar.with_style(style).with_prefix(name.to_owned()));
        bar.enable_steady_tick(TICK);
        Download { bar: Some(bar) }
    }

    /// Prints `line` on stderr without drawing over the bars.
    pub fn eprintln(&self, line: &str) {
        match &self.multi {
            Some(multi) => multi.suspend(|| eprintln!("{line}")),
            None => eprintln!("{line}"),
        }
    }
}

/// One download's bar (or nothing, when bars are not shown).
#[derive(Debug)]
pub struct Download {
    bar: Option<ProgressBar>,
}

impl Download {
    /// Counts `n` more bytes written.
    pub fn advance(&self, n: u64) {
        if let Some(bar) = &self.bar {
            bar.inc(n);
        }
    }

    /// The download is complete: the bar stays, full.
    pub fn finish(mut self) {
        if let Some(bar) = self.bar.take() {
            if bar.length().is_none() {
                bar.set_length(bar.position());
            }
            bar.finish();
        }
    }
}

impl Drop for Download {
    /// Dropped unfinished, the download failed: the bar stays where it stopped.
    fn drop(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.abandon();
        }
    }
}
