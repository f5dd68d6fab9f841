//! Progress on stderr. A sweep: an indicatif bar with an ETA when stderr is a terminal,
//! otherwise a plain line at every tenth of the work, so logs and CI output stay short. A run
//! ([`RunBar`]): a bar over the simulated time when stderr is a terminal, otherwise nothing.
//!
//! Progress is weighed by each run's expected work, not counted in runs: runs start longest
//! first, so counting runs would make the ETA far too long at the start. Reads the wall clock,
//! which is fine here and nowhere below the CLI: it only shows time, it never decides a result.

use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::time::Instant;

/// Bar positions over the whole sweep (indicatif counts in whole steps).
const BAR_STEPS: u64 = 10_000;

pub(crate) struct Progress {
    bar: Option<ProgressBar>,
    runs_total: usize,
    runs_done: usize,
    work_total: f64,
    work_done: f64,
    /// Work already done before this command started (resumed); it took no time here.
    work_resumed: f64,
    started: Instant,
    /// Next tenth (1..=10) of the work at which a plain line is due.
    next_tenth: u32,
}

impl Progress {
    /// Starts showing progress over `runs_total` runs weighing `work_total`, of which
    /// `runs_resumed` weighing `work_resumed` are already done; shows nothing unless `show`
    /// (`--quiet`).
    pub(crate) fn new(
        runs_total: usize,
        work_total: f64,
        runs_resumed: usize,
        work_resumed: f64,
        show: bool,
    ) -> Self {
        let mut progress = Progress {
            bar: None,
            runs_total,
            runs_done: runs_resumed,
            work_total: work_total.max(f64::MIN_POSITIVE),
            work_done: work_resumed,
            work_resumed,
            started: Instant::now(),
            // Past the last tenth: no plain line is ever due.
            next_tenth: if show { 1 } else { 11 },
        };
        if show && std::io::stderr().is_terminal() {
            let bar = ProgressBar::new(BAR_STEPS);
            let style =
                ProgressStyle::with_template("{bar:40} {msg} · {elapsed} elapsed · ETA {eta}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar());
            bar.set_style(style);
            bar.set_position(progress.bar_position());
            bar.reset_eta();
            bar.set_message(progress.runs_text());
            progress.bar = Some(bar);
        }
        progress.skip_passed_tenths();
        progress
    }

    /// One more run finished, of expected work `work`.
    pub(crate) fn advance(&mut self, work: f64) {
        self.runs_done += 1;
        self.work_done += work;
        if let Some(bar) = &self.bar {
            bar.set_message(self.runs_text());
            bar.set_position(self.bar_position());
            return;
        }
        if self.fraction() * 10.0 >= f64::from(self.next_tenth) {
            let elapsed_s = self.started.elapsed().as_secs_f64();
            let ran = (self.work_done - self.work_resumed).max(f64::MIN_POSITIVE);
            let left_s = elapsed_s / ran * (self.work_total - self.work_done).max(0.0);
            eprintln!(
                "progress: {:.0} % of the work ({}), {elapsed_s:.1} s elapsed, about {left_s:.0} s left",
                self.fraction() * 100.0,
                self.runs_text()
            );
            self.skip_passed_tenths();
        }
    }

    /// Removes the bar (plain lines need no closing).
    pub(crate) fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }

    fn fraction(&self) -> f64 {
        (self.work_done / self.work_total).clamp(0.0, 1.0)
    }

    fn bar_position(&self) -> u64 {
        (self.fraction() * BAR_STEPS as f64).round() as u64
    }

    fn runs_text(&self) -> String {
        format!("{}/{} runs", self.runs_done, self.runs_total)
    }

    fn skip_passed_tenths(&mut self) {
        // The last run may leave the sum a rounding error short of the total.
        while self.next_tenth <= 10 && self.fraction() * 10.0 >= f64::from(self.next_tenth) - 1e-9 {
            self.next_tenth += 1;
        }
    }
}

/// Progress of `natsim run` on stderr: a bar over the simulated time of all its runs, drawn only
/// when stderr is a terminal and the run is expected to last a few seconds; otherwise nothing,
/// so logs, tests and CI output stay as they were. Advanced from the worker threads.
pub(crate) struct RunBar {
    bar: Option<ProgressBar>,
    done_ns: std::sync::atomic::AtomicU64,
    total_ns: u64,
}

impl RunBar {
    /// A bar over `total_ns` of simulated time (duration × runs), shown when `show`.
    pub(crate) fn new(total_ns: u64, show: bool) -> Self {
        let bar = (show && std::io::stderr().is_terminal()).then(|| {
            let bar = ProgressBar::new(BAR_STEPS);
            let style = ProgressStyle::with_template(
                "{bar:40} {percent:>3} % of the simulated time · {elapsed} elapsed · ETA {eta}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar());
            bar.set_style(style);
            bar
        });
        RunBar {
            bar,
            done_ns: std::sync::atomic::AtomicU64::new(0),
            total_ns: total_ns.max(1),
        }
    }

    /// Another `ns` of some run's simulated time is done.
    pub(crate) fn advance(&self, ns: u64) {
        let Some(bar) = &self.bar else {
            return;
        };
        let done = self
            .done_ns
            .fetch_add(ns, std::sync::atomic::Ordering::Relaxed)
            .saturating_add(ns);
        let fraction = (done as f64 / self.total_ns as f64).min(1.0);
        bar.set_position((fraction * BAR_STEPS as f64) as u64);
    }

    /// Removes the bar before the report is printed.
    pub(crate) fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
