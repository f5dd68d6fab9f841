//! Progress of a long command on stderr: an indicatif bar with an ETA when stderr is a terminal,
//! otherwise a plain line at every tenth of the work, so logs and CI output stay short.
//!
//! Reads the wall clock, which is fine here and nowhere below the CLI: it only shows time, it
//! never decides a result.

use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::time::Instant;

pub struct Progress {
    bar: Option<ProgressBar>,
    total: usize,
    done: usize,
    /// Runs already done before this command started (resumed); they took no time here.
    resumed: usize,
    started: Instant,
    /// Next tenth (1..=10) at which a plain line is due.
    next_tenth: usize,
}

impl Progress {
    /// Starts showing progress over `total` runs, `resumed` of which are already done.
    pub fn new(total: usize, resumed: usize) -> Progress {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new(total as u64);
            let style = ProgressStyle::with_template(
                "{bar:40} {pos}/{len} runs · {elapsed} elapsed · ETA {eta}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar());
            bar.set_style(style);
            bar.set_position(resumed as u64);
            bar.reset_eta();
            bar
        });
        let mut progress = Progress {
            bar,
            total,
            done: resumed,
            resumed,
            started: Instant::now(),
            next_tenth: 1,
        };
        progress.skip_passed_tenths();
        progress
    }

    /// One more run finished.
    pub fn advance(&mut self) {
        self.done += 1;
        if let Some(bar) = &self.bar {
            bar.inc(1);
            return;
        }
        if self.done * 10 >= self.next_tenth * self.total {
            let elapsed_s = self.started.elapsed().as_secs_f64();
            let ran = (self.done - self.resumed).max(1) as f64;
            let left_s = elapsed_s / ran * (self.total - self.done) as f64;
            eprintln!(
                "progress: {} % ({}/{} runs), {elapsed_s:.1} s elapsed, about {left_s:.0} s left",
                self.done * 100 / self.total.max(1),
                self.done,
                self.total
            );
            self.skip_passed_tenths();
        }
    }

    /// Removes the bar (plain lines need no closing).
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }

    fn skip_passed_tenths(&mut self) {
        while self.next_tenth <= 10 && self.done * 10 >= self.next_tenth * self.total {
            self.next_tenth += 1;
        }
    }
}
