//! Merge benchmark (`cargo bench --bench merge`): wall time of `natsim sweep merge` over N
//! synthetic shard journals of a 100,000-run plan (25,000 points × 2 candidates × 2
//! replications), for N = 4, 64 and 1,024 (`NATSIM_BENCH_SHARDS=4,64` to choose), best of 3
//! (`NATSIM_BENCH_REPEATS`), on every core; with the merge's CPU time (user + system), which
//! other load on the machine stretches less than its wall time.
//!
//! The journals are synthetic in how they are made, not in what they hold: every run of the plan
//! is run once, in this process (one simulated minute each, so the 100,000 take seconds), and the
//! records are written as `natsim sweep FILE --shard K/N` writes its folder (`cli::shard::
//! write_shard`), N ways. The merge is the real binary: find and check every shard, rebuild the
//! plan, read and check every journal, then write sweep.csv, sweep.parquet, winners.csv, the plots,
//! report.html and the merged runs.csv. For comparison the last line times what one machine does
//! with the same runs already in its runs.csv (`natsim sweep FILE --resume`, nothing left to run):
//! the part of the merge that any sweep pays.

use natsim::cli::shard::write_shard;
use natsim::io::sweep::Record;
use natsim::io::sweep::plan::{self, Plan};
use natsim::io::sweep::shard::{self, Shard};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::time::Instant;

/// 25,000 points × 2 candidates × 2 replications = 100,000 runs of one simulated minute.
const SCENARIO: &str = r#"
[scenario]
name = "merge-bench"
duration = "1m"
warmup = "0s"
replications = 2
seed = 3

[sweep]
"workload[0].rate_per_s" = { from = 0.001, to = 1, steps = 25000, scale = "log" }

[[workload]]
rate_per_s = 0.01
request_bytes = "1KB"
response_bytes = "10KB"

[[candidate]]
name = "natgw"
kind = "nat_gateway"

[[candidate]]
name = "nano"
kind = "nat_instance"
instance_type = "t4g.nano"
"#;

/// Wall and CPU (user + system) seconds of one `natsim ARGS`. The CPU time says what the merge
/// costs when other work shares the machine and stretches its wall time.
fn natsim(args: &[&str]) -> (f64, f64) {
    let cpu_before = children_cpu_s();
    let started = Instant::now();
    let output = Command::new(env!("CARGO_BIN_EXE_natsim"))
        .args(args)
        .output()
        .expect("natsim runs");
    let wall_s = started.elapsed().as_secs_f64();
    assert!(
        output.status.success(),
        "natsim {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    (wall_s, children_cpu_s() - cpu_before)
}

/// CPU seconds of every child process waited for so far.
fn children_cpu_s() -> f64 {
    // SAFETY: getrusage writes into the struct it is given, which lives for the call.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage);
        usage
    };
    let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 * 1e-6;
    seconds(usage.ru_utime) + seconds(usage.ru_stime)
}

/// The fastest of `repeats` timings (by wall time), with its CPU time.
fn best_of(repeats: usize, mut time: impl FnMut() -> (f64, f64)) -> (f64, f64) {
    (0..repeats).map(|_| time()).fold(
        (f64::INFINITY, 0.0),
        |best, t| if t.0 < best.0 { t } else { best },
    )
}

fn env_list(name: &str, default: &[usize]) -> Vec<usize> {
    std::env::var(name)
        .ok()
        .map(|text| {
            text.split(',')
                .filter_map(|n| n.trim().parse().ok())
                .collect()
        })
        .unwrap_or_else(|| default.to_vec())
}

fn main() {
    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/target/bench-merge"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("bench folder");
    let file = dir.join("merge-bench.toml");
    std::fs::write(&file, SCENARIO).expect("scenario written");
    let file_text = file.display().to_string();
    let plan = Plan::from_file_text(SCENARIO, &file).expect("the bench sweep is valid");
    let runs = plan.jobs().len();

    let started = Instant::now();
    let records = Mutex::new(Vec::with_capacity(runs));
    plan::run(&plan, &plan.jobs(), &|record| {
        records.lock().expect("no panic").push(record);
        true
    });
    let records: Vec<Record> = records.into_inner().expect("no panic");
    println!(
        "ran the {runs} runs of {} points in {:.1} s",
        plan.points.len(),
        started.elapsed().as_secs_f64()
    );

    let repeats = env_list("NATSIM_BENCH_REPEATS", &[3])[0].max(1);
    let mut last_root: Option<PathBuf> = None;
    for count in env_list("NATSIM_BENCH_SHARDS", &[4, 64, 1024]) {
        let root = dir.join(format!("shards-{count}"));
        let started = Instant::now();
        for (index, group) in shard::group(&plan, count, records.clone())
            .into_iter()
            .enumerate()
        {
            let shard = Shard::new(index, count).expect("a shard of the split");
            write_shard(&root, (&file_text, SCENARIO), &plan, shard, &group)
                .expect("shard written");
        }
        let written_s = started.elapsed().as_secs_f64();
        let root_text = root.display().to_string();
        let (merge_s, cpu_s) = best_of(repeats, || natsim(&["sweep", "merge", &root_text]));
        println!(
            "N = {count:>5}: merge of {count} shard journals ({runs} runs) {merge_s:.2} s wall, {cpu_s:.2} s CPU (best of {repeats}; writing the journals took {written_s:.1} s)"
        );
        last_root = Some(root);
    }
    if let Some(root) = last_root {
        let (one_s, cpu_s) = resume_in_place(&file, &root, repeats);
        println!(
            "one machine, the same {runs} runs already in its runs.csv (natsim sweep FILE --resume): {one_s:.2} s wall, {cpu_s:.2} s CPU"
        );
    }
}

/// `natsim sweep FILE --out ROOT --resume` on a merged folder: every run is in its runs.csv, so
/// it only rebuilds the plan, reads the journal and writes the final files.
fn resume_in_place(file: &Path, root: &Path, repeats: usize) -> (f64, f64) {
    let (file, root) = (file.display().to_string(), root.display().to_string());
    best_of(repeats, || {
        natsim(&["sweep", &file, "--out", &root, "--resume"])
    })
}
