//! `--set KEY=VALUE` on `run`, `sweep` and `validate`: a run with a key set is the run of the
//! file with that key edited, byte for byte; a bad key or value fails as it would in the file
//! (exit 2, the key path named, nothing written).

use crate::support::{
    assert_ok, assert_refused, csv_rows, path, read, run_cli, run_cli_ok, run_cli_stderr, scratch,
    write_file,
};
use std::path::Path;
use std::process::Output;

const BASE: &str = r#"
[scenario]
name = "set-base"
duration = "10m"
warmup = "1m"

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

/// `natsim run FILE --out OUT` with a `--set` for each of `sets`.
fn run(file: &Path, out: &Path, sets: &[&str]) -> Output {
    let mut args = vec!["run", path(file), "--out", path(out)];
    for set in sets {
        args.extend(["--set", set]);
    }
    run_cli(&args)
}

#[test]
fn a_set_key_runs_exactly_as_the_edited_file() {
    let dir = scratch("set-equals-edit");
    let base = write_file(&dir, "base.toml", BASE);
    let edited_text = BASE
        .replace("rate_per_s = 10", "rate_per_s = 40")
        .replace(
            "instance_type = \"t4g.nano\"",
            "instance_type = \"c6gn.medium\"",
        )
        .replace(
            "[[workload]]",
            "[slo]\nmax_drop_rate = 0.01\n\n[[workload]]",
        );
    let edited = write_file(&dir, "edited.toml", &edited_text);
    let sets = [
        "workload[0].rate_per_s=40",
        "candidate[1].instance_type=c6gn.medium",
        "slo.max_drop_rate=0.01",
    ];
    assert_ok(&run(&base, &dir.join("set"), &sets));
    assert_ok(&run(&edited, &dir.join("edited"), &[]));
    let with_set = read(&dir.join("set/summary.csv"));
    assert_eq!(with_set, read(&dir.join("edited/summary.csv")));
    assert_eq!(
        read(&dir.join("set/timeseries.csv")),
        read(&dir.join("edited/timeseries.csv"))
    );
    // The set values are what ran: 40 connections a second over the 9-minute window.
    let (header, rows) = csv_rows(&with_set);
    let attempts = crate::support::column(&header, &rows[0], "conn_attempts");
    assert!(
        (attempts - 40.0 * 540.0).abs() < 0.05 * 40.0 * 540.0,
        "{attempts}"
    );
    // And the report says so.
    let html = read(&dir.join("set/report.html"));
    assert!(
        html.contains("# natsim --set (applied on top of the file above):"),
        "report.html lists the overrides"
    );
    assert!(
        html.contains("candidate[1].instance_type = &quot;c6gn.medium&quot;"),
        "report.html shows each set value"
    );
}

#[test]
fn bad_sets_fail_like_the_file_would_and_write_nothing() {
    let dir = scratch("set-bad");
    let base = write_file(&dir, "base.toml", BASE);
    let cases: [(&str, &[&str]); 7] = [
        // A value the key does not take: the parser's own error, its key path.
        (
            "workload[0].rate_per_s=-5",
            &[
                "base.toml (with --set workload[0].rate_per_s = -5)",
                "workload[0].rate_per_s: -5 is negative",
            ],
        ),
        (
            "scenario.duration=fortnight",
            &["scenario.duration", "fortnight"],
        ),
        // An unknown key: did you mean, as in a file.
        (
            "candidate[0].ipz=2",
            &[
                "candidate[0].ipz: unknown key \"ipz\"",
                "did you mean \"ips\"",
            ],
        ),
        // A list entry that is not there.
        (
            "workload[4].rate_per_s=5",
            &[
                "--set workload[4].rate_per_s",
                "the scenario has 1 workload entries",
            ],
        ),
        (
            "candidate.ips=2",
            &[
                "--set candidate.ips",
                "pick one with an index, e.g. candidate[0]",
            ],
        ),
        // Not KEY=VALUE, or not a value.
        ("rate_per_s", &["--set \"rate_per_s\": not KEY=VALUE"]),
        (
            "workload[0].profile=[1, 2",
            &["--set workload[0].profile", "not a TOML value"],
        ),
    ];
    for (set, expected) in cases {
        let out = dir.join("out");
        assert_refused(set, &run(&base, &out, &[set]), expected);
        assert!(!out.exists(), "{set}: nothing may be written");
    }
    let (output, stderr) = run_cli_stderr(&[
        "validate",
        path(&base),
        "--set",
        "scenario.seed=1",
        "--set",
        "scenario.\"seed\"=2",
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr.contains("set twice"), "{stderr}");
}

#[test]
fn validate_and_sweep_take_set_too() {
    let dir = scratch("set-sweep");
    let base = write_file(&dir, "base.toml", BASE);
    run_cli_ok(&[
        "validate",
        path(&base),
        "--set",
        "scenario.region=eu-west-1",
    ]);
    let (output, stderr) =
        run_cli_stderr(&["validate", path(&base), "--set", "scenario.region=mars-1"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr.contains("scenario.region: unknown region \"mars-1\""),
        "{stderr}"
    );

    let swept = write_file(
        &dir,
        "swept.toml",
        &format!("{BASE}\n[sweep]\n\"candidate[0].ips\" = [1, 2]\n"),
    );
    let out = dir.join("sweep");
    run_cli_ok(&[
        "sweep",
        path(&swept),
        "--out",
        path(&out),
        "--set",
        "scenario.duration=5m",
        "--set",
        "workload[0].rate_per_s=20",
    ]);
    let (header, rows) = csv_rows(&read(&out.join("sweep.csv")));
    assert_eq!(rows.len(), 4, "2 points × 2 candidates");
    for row in &rows {
        // 20 a second over the 4-minute window, not the file's 10.
        let attempts = crate::support::column(&header, row, "conn_attempts");
        assert!(
            (attempts - 20.0 * 240.0).abs() < 0.1 * 20.0 * 240.0,
            "{attempts}"
        );
    }
    let copy = read(&out.join("scenario.toml"));
    assert!(copy.contains("#   workload[0].rate_per_s = 20"), "{copy}");
    // Resuming with other overrides is another sweep.
    let (output, stderr) = run_cli_stderr(&[
        "sweep",
        path(&swept),
        "--out",
        path(&out),
        "--resume",
        "--set",
        "scenario.duration=5m",
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr.contains("(or its --set) changed"), "{stderr}");
    // A swept key cannot also be set.
    let (output, stderr) =
        run_cli_stderr(&["validate", path(&swept), "--set", "candidate[0].ips=3"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr.contains("--set candidate[0].ips: the [sweep] table varies candidate[0].ips"),
        "{stderr}"
    );
}
