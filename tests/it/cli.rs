//! The command line's contract: exit 0 with outputs on success; exit 2 with file, key path and a
//! fix on bad input, and no output written.

use crate::support::{
    assert_refused, path, read, repo_root, run_cli, run_cli_ok, run_file, scratch, stderr,
    write_file,
};

const VALID: &str = r#"
[scenario]
name = "valid"
duration = "10m"
warmup = "1m"

[[workload]]
rate_per_s = 10
request_bytes = "1KB"
response_bytes = "10KB"

[[candidate]]
name = "natgw"
kind = "nat_gateway"
ips = 1

[[candidate]]
name = "nano"
kind = "nat_instance"
instance_type = "t4g.nano"
"#;

/// Runs `natsim run` on `text`; asserts exit 2, that stderr names the file and every `expected`
/// fragment, and that no output folder content was written.
fn check_rejected(case: &str, text: &str, expected: &[&str]) {
    let dir = scratch(&format!("bad-{case}"));
    let file = write_file(&dir, &format!("{case}.toml"), text);
    let out = dir.join("out");
    let output = run_cli(&["run", path(&file), "--out", path(&out)]);
    let stderr = assert_refused(case, &output, expected);
    assert!(
        stderr.contains(&format!("{case}.toml")),
        "{case}: the message must name the file: {stderr}"
    );
    assert!(
        !out.exists(),
        "{case}: nothing may be written for bad input"
    );
}

fn with(old: &str, new: &str) -> String {
    assert!(
        VALID.contains(old),
        "test bug: {old:?} not in the valid scenario"
    );
    VALID.replacen(old, new, 1)
}

#[test]
fn bad_input_catalogue_exits_2_naming_the_key() {
    let cases: Vec<(&str, String, Vec<&str>)> = vec![
        ("broken-toml", with("ips = 1", "ips = = 1"), vec!["TOML"]),
        (
            "unknown-key",
            with("ips = 1", "ipz = 1"),
            vec!["candidate[0]", "ipz", "ips"],
        ),
        (
            "unknown-kind",
            with("kind = \"nat_gateway\"", "kind = \"nat_gatway\""),
            vec!["candidate[0].kind", "nat_gatway"],
        ),
        (
            "wrong-unit",
            with(
                "response_bytes = \"10KB\"",
                "response_bytes = \"10 parsecs\"",
            ),
            vec!["workload[0].response_bytes"],
        ),
        (
            "wrong-rate-unit",
            with(
                "request_bytes = \"1KB\"",
                "request_bytes = \"1KB\"\nrate_cap = \"5GB\"",
            ),
            vec!["workload[0].rate_cap"],
        ),
        (
            "negative-rate",
            with("rate_per_s = 10", "rate_per_s = -10"),
            vec!["workload[0].rate_per_s", "negative"],
        ),
        (
            "nine-ips",
            with("ips = 1", "ips = 9"),
            vec!["candidate[0].ips", "9"],
        ),
        (
            "warmup-too-long",
            with("warmup = \"1m\"", "warmup = \"20m\""),
            vec!["scenario.warmup"],
        ),
        (
            "unknown-instance",
            with("t4g.nano", "t4g.nanoo"),
            vec!["candidate[1].instance_type", "t4g.nano"],
        ),
        (
            "unknown-region",
            with(
                "duration = \"10m\"",
                "duration = \"10m\"\nregion = \"mars-east-1\"",
            ),
            vec!["scenario.region", "us-east-1"],
        ),
        (
            "no-candidate",
            VALID.split("[[candidate]]").next().unwrap().to_string(),
            vec!["candidate"],
        ),
        ("empty-file", String::new(), vec!["empty"]),
        // Issue 3's keys get the same treatment.
        (
            "unknown-failover",
            with(
                "instance_type = \"t4g.nano\"",
                "instance_type = \"t4g.nano\"\nfailover = \"pray\"",
            ),
            vec!["candidate[1].failover", "asg_replace"],
        ),
        (
            "expansion-on-zonal",
            with("ips = 1", "ips = 1\nexpansion_delay = \"5m\""),
            vec!["candidate[0].expansion_delay", "regional"],
        ),
        (
            "both-client-sizes",
            with(
                "rate_per_s = 10",
                "rate_per_s = 10\nclient_gbps = 1\nclient_instance_type = \"m6i.large\"",
            ),
            vec!["workload[0].client_gbps"],
        ),
        (
            "event-unknown-candidate",
            format!(
                "{VALID}\n[[event]]\nkind = \"instance_failure\"\ncandidate = \"nope\"\nat = \"1m\"\n"
            ),
            vec!["event[0].candidate", "nope"],
        ),
        (
            "event-on-gateway",
            format!(
                "{VALID}\n[[event]]\nkind = \"instance_failure\"\ncandidate = \"natgw\"\nat = \"1m\"\n"
            ),
            vec!["event[0].candidate", "nat_gateway"],
        ),
        (
            "az-outage-without-for",
            format!("{VALID}\n[[event]]\nkind = \"az_outage\"\naz = \"a\"\nat = \"1m\"\n"),
            vec!["event[0].for"],
        ),
        (
            "endpoint-share-above-one",
            with("rate_per_s = 10", "rate_per_s = 10\nendpoint_share = 1.5"),
            vec!["workload[0].endpoint_share"],
        ),
    ];
    for (case, text, expected) in cases {
        check_rejected(case, &text, &expected);
    }
}

#[test]
fn missing_file_and_bad_flags_exit_2() {
    let output = run_cli(&["run", "does/not/exist.toml"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("does/not/exist.toml"));
    let quickstart = repo_root().join("scenarios/quickstart.toml");
    let output = run_cli(&["run", path(&quickstart), "--replications", "0"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("--replications"));
    assert_eq!(run_cli(&["frobnicate"]).status.code(), Some(2));
}

#[test]
fn run_writes_summary_and_timeseries_with_the_contract_columns() {
    let dir = scratch("run-contract");
    let file = write_file(&dir, "valid.toml", VALID);
    let stdout = run_file(&file, &dir);
    assert!(
        stdout.contains("recommended") || stdout.contains("no candidate meets"),
        "{stdout}"
    );
    let summary = read(&dir.join("summary.csv"));
    let contract = "scenario,candidate,kind,replications,offered_gb,out_gb,in_gb,dropped_gb,drop_rate,\
conn_attempts,conn_failed,conn_fail_rate,fail_port_allocation,fail_conntrack,idle_timeouts,\
packets_dropped,mean_gbps,peak_gbps,fct_mean_s,fct_p50_s,fct_p99_s,slowdown_p99,\
cost_fixed_usd,cost_processing_usd,cost_transfer_usd,cost_cross_az_usd,cost_ipv4_usd,\
cost_total_usd,cost_monthly_usd,meets_slo,recommended";
    assert!(
        summary.starts_with(contract),
        "summary.csv header: {}",
        summary.lines().next().unwrap_or_default()
    );
    assert_eq!(summary.lines().count(), 3);
    let timeseries = read(&dir.join("timeseries.csv"));
    // 10 minutes, one row per minute per candidate.
    assert_eq!(timeseries.lines().count(), 1 + 2 * 10);
    assert!(timeseries.starts_with("scenario,candidate,kind,replication,minute,start_s,end_s,offered_gbps,delivered_gbps,capacity_out_gbps,capacity_in_gbps,active_connections,conn_refused,packets_dropped,cost_cumulative_usd"));
}

#[test]
fn validate_and_catalog_succeed() {
    let quickstart = repo_root().join("scenarios/quickstart.toml");
    run_cli_ok(&["validate", path(&quickstart)]);
    let text = run_cli_ok(&["catalog", "--region", "ap-northeast-2"]);
    assert!(
        text.contains("t4g.nano") && text.contains("c7gn.large"),
        "{text}"
    );
    assert_eq!(
        run_cli(&["catalog", "--region", "mars-east-1"])
            .status
            .code(),
        Some(2)
    );
}

/// Issue 10: `--catalog FILE` runs with a user's own catalog, and a broken one is refused with
/// the file named, what is wrong where, and nothing written.
#[test]
fn a_users_catalog_replaces_the_built_in_one() {
    let dir = scratch("user-catalog");
    let builtin = read(&repo_root().join("src/io/catalog/catalog.toml"));
    let nano = "usd_per_hour = { \"us-east-1\" = 0.0042, \"ap-northeast-2\" = 0.0052 }";
    assert!(
        builtin.contains(nano),
        "the test edits the nano's price line"
    );
    let dearer = dir.join("dearer.toml");
    std::fs::write(
        &dearer,
        builtin.replace(nano, "usd_per_hour = { \"us-east-1\" = 1.0 }"),
    )
    .unwrap();
    let scenario = write_file(&dir, "valid.toml", VALID);
    let hourly = |catalog: Option<&std::path::Path>| {
        let out = dir.join(if catalog.is_some() { "user" } else { "builtin" });
        let mut args = vec!["run", path(&scenario), "--out", path(&out)];
        if let Some(catalog) = catalog {
            args.extend(["--catalog", path(catalog)]);
        }
        run_cli_ok(&args);
        let (header, rows) = crate::support::csv_rows(&read(&out.join("summary.csv")));
        crate::support::column(&header, &rows[1], "cost_fixed_usd")
    };
    // 10 minutes of one instance: $0.0042/h built in, $1/h in the user's catalog.
    let (builtin_usd, user_usd) = (hourly(None), hourly(Some(&dearer)));
    assert!((builtin_usd - 0.0042 / 6.0).abs() < 1e-6, "{builtin_usd}");
    assert!((user_usd - 1.0 / 6.0).abs() < 1e-6, "{user_usd}");
    run_cli_ok(&["catalog", "--catalog", path(&dearer)]);

    let broken = dir.join("broken.toml");
    std::fs::write(
        &broken,
        builtin.replace(nano, "usd_per_hour = { \"us-east-1\" = -1.0 }"),
    )
    .unwrap();
    let out = dir.join("refused");
    let output = run_cli(&[
        "run",
        path(&scenario),
        "--out",
        path(&out),
        "--catalog",
        path(&broken),
    ]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = stderr(&output);
    for needed in [
        "broken.toml",
        "instances.\"t4g.nano\".usd_per_hour.us-east-1",
        "-1",
    ] {
        assert!(stderr.contains(needed), "{needed} missing from: {stderr}");
    }
    assert!(!out.exists(), "a refused catalog writes nothing");
}
