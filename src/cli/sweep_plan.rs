//! `natsim sweep FILE --plan`: how many runs a sweep makes and how long one takes here, to size
//! an array job before submitting it. Writes nothing.
//!
//! Owns the measurement: a few of the sweep's own runs (at the 1/6, 1/2 and 5/6 quantiles of
//! their expected work, so neither the tiniest nor the largest) are run one after the other on
//! one thread, as one array task with one CPU runs them. Their seconds per unit of expected
//! work (`Plan::work`: connections plus minutes simulated) scale each run's expected work into
//! seconds, which add up per shard under the split that `--shard` uses. The runs' results are
//! dropped: this is a timing, not part of the sweep.

use super::shard::shell_word;
use super::sweep::pending_work;
use crate::io::sweep::plan::{self, Job, Plan};
use crate::io::sweep::shard::{self, Shard};
use crate::util::units::ns_to_seconds;
use anyhow::{Context, Result};
use std::fmt::Write as _;
use std::path::Path;
use std::time::Instant;

/// Runs timed for the measurement.
const SAMPLES: usize = 3;
/// Shard counts the table shows (those up to the run count).
const SHARD_COUNTS: [usize; 7] = [1, 4, 16, 64, 256, 1024, 4096];

/// Prints the plan of the sweep in `file`: runs, measured per-run time, shard sizes; `shard`
/// adds that shard's share.
pub(super) fn print(
    plan: &Plan,
    file: &Path,
    shard: Option<Shard>,
    threads: Option<usize>,
) -> Result<()> {
    let jobs = plan.jobs();
    let first = &plan.points[0].scenario;
    println!(
        "sweep {} · {} point(s) × {} candidate(s) × {} replication(s) = {} runs",
        first.name,
        plan.points.len(),
        first.candidates.len(),
        first.replications,
        jobs.len()
    );
    let samples = sample(plan, &jobs);
    eprintln!(
        "measuring {} of the runs on one thread (nothing is written)",
        samples.len()
    );
    let timed = time_runs(plan, &samples)?;
    let measured_s: f64 = timed.iter().sum();
    let sample_work: f64 = samples.iter().map(|j| plan.work(j)).sum();
    let s_per_work = measured_s / sample_work.max(f64::MIN_POSITIVE);
    let run_s = |job: &Job| plan.work(job) * s_per_work;
    let total_s: f64 = jobs.iter().map(run_s).sum();
    let longest_s = jobs.iter().map(run_s).fold(0.0, f64::max);
    let listed: Vec<String> = samples
        .iter()
        .zip(&timed)
        .map(|(j, s)| {
            format!(
                "{:.3} s (point {}, {}, {} simulated)",
                s,
                j.point,
                plan.points[j.point].scenario.candidates[j.candidate].name,
                duration_text(ns_to_seconds(plan.points[j.point].scenario.duration_ns))
            )
        })
        .collect();
    println!("measured on one thread here: {}", listed.join("; "));
    println!(
        "per run: {} on average, the longest about {} (each run's expected work × the measured {:.3e} s per unit)",
        duration_text(total_s / jobs.len() as f64),
        duration_text(longest_s),
        s_per_work
    );
    println!(
        "whole sweep: about {} of one core (natsim's built-in estimate: {})",
        duration_text(total_s),
        duration_text(pending_work(plan, &jobs).cpu_s)
    );
    println!("{}", shard_table(plan, &jobs, run_s));
    if let Some(shard) = shard {
        let own = shard::jobs_of(plan, shard);
        let own_s: f64 = own.iter().map(run_s).sum();
        println!(
            "shard {} of {}: {} runs, about {} on one core",
            shard.index,
            shard.count,
            own.len(),
            duration_text(own_s)
        );
    }
    let threads_note = threads.map_or(String::new(), |n| format!(" --threads {n}"));
    println!(
        "pick N so the slowest shard fits your scheduler's time limit, then run each task as: natsim sweep {} --shard K/N --out DIR --resume --yes{threads_note}",
        shell_word(&file.display().to_string())
    );
    Ok(())
}

/// The runs timed: at evenly spaced quantiles of expected work, ties in plan order.
fn sample(plan: &Plan, jobs: &[Job]) -> Vec<Job> {
    let sorted = plan.longest_first(jobs.to_vec());
    let count = SAMPLES.min(sorted.len());
    (0..count)
        .map(|i| sorted[(2 * i + 1) * sorted.len() / (2 * count)])
        .collect()
}

/// Each run's wall time, one after the other on a pool of one thread.
fn time_runs(plan: &Plan, jobs: &[Job]) -> Result<Vec<f64>> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .context("cannot start a worker thread")?;
    Ok(jobs
        .iter()
        .map(|job| {
            let started = Instant::now();
            pool.install(|| plan::run(plan, std::slice::from_ref(job), &|_| true));
            started.elapsed().as_secs_f64()
        })
        .collect())
}

/// Per shard count: runs in the largest shard and the slowest shard's expected time on one
/// core, which is the array's wall time when every task runs at once.
fn shard_table(plan: &Plan, jobs: &[Job], run_s: impl Fn(&Job) -> f64) -> String {
    let mut out = String::from("shards N   runs per shard   slowest shard on one core\n");
    for count in SHARD_COUNTS.into_iter().filter(|&n| n <= jobs.len()) {
        let mut runs = vec![0usize; count];
        let mut seconds = vec![0.0f64; count];
        for (job, shard) in jobs.iter().zip(shard::assign(plan, count)) {
            runs[shard] += 1;
            seconds[shard] += run_s(job);
        }
        let most = runs.iter().max().copied().unwrap_or(0);
        let slowest = seconds.iter().fold(0.0, |a: f64, &b| a.max(b));
        let _ = writeln!(out, "{count:>8}   {most:>14}   {}", duration_text(slowest));
    }
    out.trim_end().to_string()
}

/// Seconds as a person reads them: "0.42 s", "37 s", "12.5 min", "3.2 h".
fn duration_text(seconds: f64) -> String {
    if seconds < 10.0 {
        format!("{seconds:.2} s")
    } else if seconds < 600.0 {
        format!("{seconds:.0} s")
    } else if seconds < 36_000.0 {
        format!("{:.1} min", seconds / 60.0)
    } else {
        format!("{:.1} h", seconds / 3600.0)
    }
}
