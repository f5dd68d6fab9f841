//! Same scenario and seed ⇒ byte-identical outputs, twice and whatever the thread count.

use crate::support::{path, read, repo_root, run_cli_ok, scratch};

fn run_into(name: &str, extra: &[&str]) -> Vec<String> {
    let dir = scratch(name);
    let scenario = repo_root().join("scenarios/quickstart.toml");
    let mut args = vec![
        "run",
        path(&scenario),
        "--out",
        path(&dir),
        "--replications",
        "2",
    ];
    args.extend_from_slice(extra);
    run_cli_ok(&args);
    [
        "summary.csv",
        "timeseries.csv",
        "summary.json",
        "summary_by_workload.csv",
        "timeseries_by_workload.csv",
    ]
    .iter()
    .map(|file| read(&dir.join(file)))
    .collect()
}

#[test]
fn same_seed_twice_and_one_thread_vs_several_are_byte_identical() {
    let first = run_into("determinism-a", &["--threads", "3"]);
    let second = run_into("determinism-b", &["--threads", "3"]);
    let single = run_into("determinism-c", &["--threads", "1"]);
    assert_eq!(first, second, "same seed twice");
    assert_eq!(first, single, "1 thread vs 3");
    let other_seed = run_into("determinism-d", &["--seed", "43"]);
    assert_ne!(
        first[0], other_seed[0],
        "a different seed must change the figures"
    );
}
