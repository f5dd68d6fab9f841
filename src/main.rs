//! natsim's entry point: parse arguments, run, map every error to exit code 2 (and
//! `diff --exit-code`'s "recommendation changed" to 1).

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    restore_default_sigpipe();
    let cli = natsim::cli::Cli::parse();
    match natsim::cli::execute(cli) {
        Ok(natsim::cli::Status::Success) => ExitCode::SUCCESS,
        // `diff --exit-code`: a CI gate reads 1 as "the recommendation changed".
        Ok(natsim::cli::Status::RecommendationChanged) => ExitCode::from(1),
        Err(error) => {
            // One line, no raw control characters, whatever the error echoes (file names too).
            eprintln!(
                "error: {}",
                natsim::util::echo::visible(&format!("{error:#}"))
            );
            ExitCode::from(2)
        }
    }
}

/// Rust ignores SIGPIPE, so `natsim run ... | head` would panic on its next print once `head` has
/// gone. Restoring the default makes the process end quietly, as command-line tools do.
#[cfg(unix)]
fn restore_default_sigpipe() {
    // SAFETY: called first thing in main, before any thread starts; resetting a signal
    // disposition to its default has no other effect on the process.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

#[cfg(not(unix))]
fn restore_default_sigpipe() {}
