//! `natsim sweep`: the same sweep.csv whatever the thread count or resume history, crossovers in
//! winners.csv, confidence intervals that shrink as 1/√replications, and senseless ranges
//! refused before anything runs.

use crate::support::same_rows_in_csv_and_parquet;
use crate::support::{
    assert_ok, assert_refused, column, column_index, csv_rows, path, read, repo_root, run_cli,
    run_cli_ok, scratch, stderr, stdout, write_file,
};
use natsim::io::sweep::plan::Plan;
use polars::prelude::DataType;
use std::path::{Path, PathBuf};

/// 3 rates × 2 instance types × 2 candidates × 2 replications = 24 short runs.
pub(crate) const SWEEP: &str = r#"
[scenario]
name = "small-sweep"
duration = "5m"
warmup = "30s"
replications = 2

[slo]
max_conn_fail_rate = 0.001

[sweep]
"candidate[1].instance_type" = ["t4g.nano", "c6gn.medium"]
"workload[0].rate_per_s" = { from = 1, to = 100, steps = 3, scale = "log" }

[[workload]]
rate_per_s = 10
request_bytes = "1KB"
response_bytes = "10KB"

[[candidate]]
name = "natgw"
kind = "nat_gateway"

[[candidate]]
name = "instance"
kind = "nat_instance"
instance_type = "t4g.nano"
"#;

fn scenario_file(dir: &Path, text: &str) -> PathBuf {
    write_file(dir, "sweep.toml", text)
}

fn sweep(file: &Path, out: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["sweep", path(file), "--out", path(out)];
    args.extend_from_slice(extra);
    run_cli(&args)
}

#[test]
fn sweep_csv_is_byte_identical_with_one_thread_and_three() {
    let dir = scratch("sweep-threads");
    let file = scenario_file(&dir, SWEEP);
    let (one, three) = (dir.join("one"), dir.join("three"));
    assert_ok(&sweep(&file, &one, &["--threads", "1"]));
    assert_ok(&sweep(&file, &three, &["--threads", "3"]));
    for name in ["sweep.csv", "winners.csv"] {
        assert_eq!(read(&one.join(name)), read(&three.join(name)), "{name}");
    }
    assert_eq!(
        std::fs::read(one.join("sweep.parquet")).unwrap(),
        std::fs::read(three.join("sweep.parquet")).unwrap(),
        "sweep.parquet"
    );
    let (header, rows) = csv_rows(&read(&one.join("sweep.csv")));
    assert_eq!(
        header[..5],
        [
            "point",
            "param_candidate_1_instance_type",
            "param_workload_0_rate_per_s",
            "scenario",
            "candidate"
        ]
    );
    assert_eq!(rows.len(), 6 * 2);
    assert!(header.iter().any(|h| h == "cost_monthly_usd_ci95"));
    assert_eq!(read(&one.join("runs.csv")).lines().count(), 1 + 24);
    // The first key varies slowest; the range keeps its ends exact.
    let params: Vec<(&str, &str)> = rows
        .iter()
        .step_by(2)
        .map(|r| (r[1].as_str(), r[2].as_str()))
        .collect();
    assert_eq!(
        params,
        [
            ("t4g.nano", "1"),
            ("t4g.nano", "10"),
            ("t4g.nano", "100"),
            ("c6gn.medium", "1"),
            ("c6gn.medium", "10"),
            ("c6gn.medium", "100"),
        ]
    );
}

#[test]
fn csv_and_parquet_hold_the_same_rows() {
    let dir = scratch("sweep-parquet");
    let file = scenario_file(&dir, SWEEP);
    let out = dir.join("out");
    assert_ok(&sweep(&file, &out, &[]));
    let (frame, nulls) =
        same_rows_in_csv_and_parquet(&out.join("sweep.csv"), &out.join("sweep.parquet"));
    let dtype = |name: &str| frame.column(name).unwrap().dtype().clone();
    assert_eq!(dtype("point"), DataType::UInt64);
    assert_eq!(dtype("param_workload_0_rate_per_s"), DataType::Float64);
    assert_eq!(dtype("param_candidate_1_instance_type"), DataType::String);
    assert_eq!(dtype("cost_monthly_usd"), DataType::Float64);
    assert_eq!(dtype("meets_slo"), DataType::Boolean);
    // credits_exhausted_at_s is empty wherever credits lasted: those cells are nulls, not 0.
    assert!(nulls > 0);
}

#[test]
fn winners_mark_the_crossover_where_the_nano_table_fills() {
    let dir = scratch("sweep-winners");
    let file = scenario_file(&dir, SWEEP);
    let out = dir.join("out");
    let output = sweep(&file, &out, &[]);
    assert_ok(&output);
    let (header, rows) = csv_rows(&read(&out.join("winners.csv")));
    let at = |name: &str| column_index(&header, name);
    let winners: Vec<(&str, &str)> = rows
        .iter()
        .map(|r| (r[at("recommended")].as_str(), r[at("crossover")].as_str()))
        .collect();
    // 100 connections/s hold ~12,000 conntrack entries (120 s TIME_WAIT): the nano's 4,096 fill.
    assert_eq!(
        winners,
        [
            ("instance", "false"),
            ("instance", "false"),
            ("natgw", "true"),
            ("instance", "false"),
            ("instance", "false"),
            ("instance", "false"),
        ]
    );
    let stdout = stdout(&output);
    assert!(stdout.contains("crossover"), "{stdout}");
}

#[test]
fn an_interrupted_then_resumed_sweep_equals_an_uninterrupted_one() {
    let dir = scratch("sweep-resume");
    let file = scenario_file(&dir, SWEEP);
    let whole = dir.join("whole");
    assert_ok(&sweep(&file, &whole, &["--threads", "2"]));
    let journal = read(&whole.join("runs.csv"));

    // Interrupted after 7 runs, in the middle of writing the 8th line.
    let resumed = dir.join("resumed");
    std::fs::create_dir_all(&resumed).unwrap();
    std::fs::copy(whole.join("scenario.toml"), resumed.join("scenario.toml")).unwrap();
    let lines: Vec<&str> = journal.lines().collect();
    let mut cut = lines[..8].join("\n");
    cut.push('\n');
    cut.push_str(&lines[8][..lines[8].len() / 2]);
    std::fs::write(resumed.join("runs.csv"), &cut).unwrap();
    let output = sweep(&file, &resumed, &["--resume", "--threads", "3"]);
    assert_ok(&output);
    assert!(
        stdout(&output).contains("(7 resumed)"),
        "{}",
        stdout(&output)
    );
    for name in ["sweep.csv", "winners.csv"] {
        assert_eq!(read(&whole.join(name)), read(&resumed.join(name)), "{name}");
    }
    assert_eq!(
        std::fs::read(whole.join("sweep.parquet")).unwrap(),
        std::fs::read(resumed.join("sweep.parquet")).unwrap(),
        "sweep.parquet"
    );
    let mut expected: Vec<&str> = journal.lines().collect();
    let resumed_journal = read(&resumed.join("runs.csv"));
    let mut got: Vec<&str> = resumed_journal.lines().collect();
    expected.sort();
    got.sort();
    assert_eq!(expected, got, "every run once, the cut line dropped");

    // Resuming a finished sweep runs nothing and changes nothing.
    assert_ok(&sweep(&file, &resumed, &["--resume"]));
    assert_eq!(
        read(&whole.join("sweep.csv")),
        read(&resumed.join("sweep.csv"))
    );

    // A changed scenario is not mixed with the old runs.
    let changed = scenario_file(
        &dir,
        &SWEEP.replace("duration = \"5m\"", "duration = \"6m\""),
    );
    let output = sweep(&changed, &resumed, &["--resume"]);
    let stderr = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--fresh instead of --resume"), "{stderr}");
}

#[test]
fn an_interrupted_sweep_is_not_discarded_without_fresh() {
    let dir = scratch("sweep-fresh");
    let file = scenario_file(&dir, SWEEP);
    let out = dir.join("out");
    assert_ok(&sweep(&file, &out, &["--threads", "2"]));
    // A finished sweep's folder is replaced freely.
    assert_ok(&sweep(&file, &out, &[]));

    // Interrupted: the runs are in runs.csv, the final files (manifest.json last) were never
    // written.
    let journal = read(&out.join("runs.csv"));
    let cut: String = journal.lines().take(6).map(|l| format!("{l}\n")).collect();
    std::fs::write(out.join("runs.csv"), &cut).unwrap();
    for name in ["sweep.csv", "sweep.parquet", "winners.csv", "manifest.json"] {
        std::fs::remove_file(out.join(name)).unwrap();
    }
    let output = sweep(&file, &out, &[]);
    let stderr = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("5 finished run(s)"), "{stderr}");
    assert!(
        stderr.contains("--resume") && stderr.contains("--fresh"),
        "{stderr}"
    );
    assert_eq!(read(&out.join("runs.csv")), cut, "the runs are kept");

    assert_ok(&sweep(&file, &out, &["--fresh"]));
    assert_eq!(read(&out.join("runs.csv")).lines().count(), 1 + 24);
    let both = sweep(&file, &out, &["--fresh", "--resume"]);
    assert_eq!(both.status.code(), Some(2));
}

/// Half-width of `figure`'s 95 % interval over `replications` runs of a small scenario (the
/// sweep file's own point; `run` ignores `[sweep]`).
fn half_width(dir: &Path, replications: u32, figure: &str) -> f64 {
    let out = dir.join(format!("r{replications}"));
    run_cli_ok(&[
        "run",
        path(&dir.join("sweep.toml")),
        "--out",
        path(&out),
        "--replications",
        &replications.to_string(),
    ]);
    let (header, rows) = csv_rows(&read(&out.join("summary.csv")));
    column(&header, &rows[0], &format!("{figure}_ci95"))
}

#[test]
fn confidence_half_width_shrinks_as_one_over_root_replications() {
    let dir = scratch("sweep-ci");
    scenario_file(&dir, SWEEP);
    // With one replication there is no spread to measure: the columns are empty.
    let one = dir.join("r1");
    run_cli_ok(&[
        "run",
        path(&dir.join("sweep.toml")),
        "--out",
        path(&one),
        "--replications",
        "1",
    ]);
    let (header, rows) = csv_rows(&read(&one.join("summary.csv")));
    let at = column_index(&header, "conn_attempts_ci95");
    assert_eq!(rows[0][at], "");
    assert_eq!(
        header.last().unwrap(),
        &format!(
            "{}_ci95",
            natsim::results::summary::Metric::ALL.last().unwrap().name()
        )
    );

    // 8 against 32 replications: 4 at a time would leave s itself too noisy (±40 %) to see √n.
    let t = natsim::results::confidence::t_975;
    let (t8, t32) = (t(8).unwrap(), t(32).unwrap());
    for figure in ["conn_attempts", "offered_gb"] {
        let (eight, thirty_two) = (half_width(&dir, 8, figure), half_width(&dir, 32, figure));
        // Half-width = t · s/√n: s settles, √n doubles, t falls from 2.36 (7 d.o.f.) to 2.04 (31).
        let ratio = thirty_two / eight;
        let expected = 0.5 * t32 / t8;
        assert!(
            (0.6 * expected..1.4 * expected).contains(&ratio),
            "{figure}: half-width {eight} with 8 replications, {thirty_two} with 32: ratio {ratio}, expected about {expected}"
        );
        let std_error_ratio = ratio * t8 / t32;
        assert!(
            (0.3..0.7).contains(&std_error_ratio),
            "{figure}: s/√n ratio {std_error_ratio}, expected about 0.5"
        );
    }
}

#[test]
fn senseless_sweeps_exit_2_naming_the_key_and_write_nothing() {
    let range = "\"workload[0].rate_per_s\" = { from = 1, to = 100, steps = 3, scale = \"log\" }";
    let cases: [(&str, String, &[&str]); 9] = [
        (
            "zero-steps",
            SWEEP.replace("steps = 3", "steps = 0"),
            &["workload[0].rate_per_s", "steps"],
        ),
        (
            "from-above-to",
            SWEEP.replace("from = 1, to = 100", "from = 100, to = 1"),
            &["workload[0].rate_per_s", "swap"],
        ),
        (
            "log-through-zero",
            SWEEP.replace("from = 1,", "from = 0,"),
            &["workload[0].rate_per_s", "log"],
        ),
        (
            "too-many-points",
            SWEEP.replace("steps = 3", "steps = 60000"),
            &["100000"],
        ),
        (
            "empty-list",
            SWEEP.replace("[\"t4g.nano\", \"c6gn.medium\"]", "[]"),
            &["candidate[1].instance_type", "empty"],
        ),
        (
            "missing-table",
            SWEEP.replace("candidate[1].instance_type", "candidate[5].instance_type"),
            &["candidate[5]", "2 candidate"],
        ),
        (
            "bad-value",
            SWEEP.replace("\"c6gn.medium\"]", "\"c6gn.mediun\"]"),
            &["sweep point 3", "candidate[1].instance_type", "c6gn.medium"],
        ),
        (
            "negative-value",
            SWEEP.replace(
                range,
                "\"workload[0].rate_per_s\" = { from = -1, to = 1, steps = 3 }",
            ),
            &["sweep point 0", "workload[0].rate_per_s", "negative"],
        ),
        (
            "no-sweep",
            SWEEP
                .replace("[sweep]", "")
                .replace(
                    "\"candidate[1].instance_type\" = [\"t4g.nano\", \"c6gn.medium\"]\n",
                    "",
                )
                .replace(range, ""),
            &["[sweep]"],
        ),
    ];
    for (case, text, expected) in cases {
        assert_ne!(text, SWEEP, "{case}: test bug, nothing replaced");
        let dir = scratch(&format!("sweep-bad-{case}"));
        let file = scenario_file(&dir, &text);
        let out = dir.join("out");
        let stderr = assert_refused(case, &sweep(&file, &out, &[]), expected);
        assert!(
            stderr.contains("sweep.toml"),
            "{case}: names the file: {stderr}"
        );
        assert!(!out.exists(), "{case}: nothing may be written");
    }
}

#[test]
fn every_shipped_sweep_checks_out() {
    let mut sweeps = 0;
    for entry in std::fs::read_dir(repo_root().join("scenarios")).expect("scenarios folder") {
        let path = entry.expect("folder entry").path();
        // Only the top-level *.toml: scenarios/flowlogs/ is a folder (a replay with its logs).
        if path.extension().is_none_or(|x| x != "toml") {
            continue;
        }
        let text = read(&path);
        if !text.contains("[sweep]") {
            continue;
        }
        let plan =
            Plan::from_text(&text, &path.display().to_string()).unwrap_or_else(|e| panic!("{e}"));
        assert!(plan.points.len() >= 2, "{}", path.display());
        sweeps += 1;
    }
    assert!(sweeps >= 1, "scenarios/sweep-traffic.toml has a [sweep]");
}
