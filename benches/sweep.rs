//! Sweep scaling benchmark (`cargo bench --bench sweep`): wall time of every run of
//! scenarios/sweep-traffic.toml's sweep on 1 thread against N threads (default: every core; set
//! NATSIM_BENCH_THREADS to choose), best of 3 each, alternating, in the process (no file
//! output).
//!
//! The runs are the same in both cases, longest first as `natsim sweep` orders them, so the
//! ratio measures how well the work spreads over cores, not a different workload.

use natsim::io::sweep::plan::{self, Plan};
use std::time::Instant;

/// Wall time of every run of `plan` on a pool of `threads` workers.
fn time_sweep(plan: &Plan, threads: usize) -> f64 {
    let jobs = plan.longest_first(plan.jobs());
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("worker threads start");
    let start = Instant::now();
    pool.install(|| plan::run(plan, &jobs, &|_| true));
    start.elapsed().as_secs_f64()
}

fn main() {
    let file = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/sweep-traffic.toml");
    let text = std::fs::read_to_string(file).expect("scenarios/sweep-traffic.toml is readable");
    let plan = Plan::from_text(&text, file).expect("the shipped sweep is valid");
    let threads = std::env::var("NATSIM_BENCH_THREADS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
    let runs = plan.jobs().len();
    // Alternate the two so that a burst of load from elsewhere on the machine hits both alike;
    // keep the best of 3 of each.
    let (mut one, mut many) = (f64::INFINITY, f64::INFINITY);
    for _ in 0..3 {
        one = one.min(time_sweep(&plan, 1));
        many = many.min(time_sweep(&plan, threads));
    }
    println!(
        "sweep-traffic: {} points, {runs} runs: 1 thread {one:.2} s, {threads} threads {many:.2} s: {:.2}x",
        plan.points.len(),
        one / many
    );
}
