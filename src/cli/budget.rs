//! The work estimate before a run or a sweep starts: printed when it is more than a moment, and
//! refused without `--yes` when it is more than `estimate::MAX_WALL_S` or `estimate::MAX_BYTES`.

use crate::cli::estimate::Work;
use crate::cli::print::Print;
use anyhow::Result;
use std::path::Path;

/// Expected seconds from which the estimate is printed and `run` shows a progress bar: shorter
/// runs finish before either would help.
pub(super) const SHOW_AFTER_S: f64 = 3.0;

/// Prints the estimate on stderr when the work is long enough to matter (not with `--quiet`),
/// and refuses work above the limits unless `yes`. `threads` is the worker count the runs will
/// use.
pub(super) fn check(
    file: &Path,
    work: &Work,
    threads: usize,
    yes: bool,
    print: Print,
) -> Result<()> {
    let long = work.wall_s(threads) >= SHOW_AFTER_S;
    let refusal = work.refusal(threads);
    if long || refusal.is_some() {
        print.note(&format!(
            "estimate: {}: {}",
            file.display(),
            work.describe(threads)
        ));
    }
    match refusal {
        Some(error) if !yes => Err(error.in_file(file.display().to_string()).into()),
        _ => Ok(()),
    }
}

/// Whether `natsim run` draws its progress bar (on a terminal only; see `progress::RunBar`):
/// for work expected to take [`SHOW_AFTER_S`] or more. `NATSIM_PROGRESS_AFTER_S` moves the
/// threshold, so the test suite can see the bar on a short run.
pub(super) fn shows_progress(work: &Work, threads: usize) -> bool {
    let after_s = std::env::var("NATSIM_PROGRESS_AFTER_S")
        .ok()
        .and_then(|text| text.parse::<f64>().ok())
        .unwrap_or(SHOW_AFTER_S);
    work.wall_s(threads) >= after_s
}

/// The worker count for `--threads`: as given, or rayon's default (one per core).
pub(super) fn threads(threads: Option<usize>) -> usize {
    threads.unwrap_or_else(rayon::current_num_threads).max(1)
}
