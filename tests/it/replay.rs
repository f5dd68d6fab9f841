//! Replaying flow logs (`[[workload]] flow_logs = [...]`, issue 11): the recorded connections
//! go through every candidate with their bytes, `flow_logs_scale` multiplies them, the same seed
//! gives the same summary, and keys that contradict a replay are refused.

use crate::support::{
    assert_ok, column_index, path, run_cli_stderr, scratch, sweep_file, write_file,
};
use natsim::io::scenario::{Scenario, parse_scenario, parse_scenario_file};
use natsim::results::batch::{ScenarioResult, run_scenario};
use natsim::results::summary::Metric;
use std::path::Path;

/// TCP connections in the fixture, inside the scenario's hour.
const CONNECTIONS: u64 = 300;
/// Unix time of the first record.
const FIRST_S: u64 = 1_767_225_600;

/// Writes `logs/egress.log` (default format: one request and one response record per
/// connection, a UDP connection and one TCP connection two hours late, in time order as AWS
/// delivers them) and returns the recorded TCP bytes within the hour.
fn write_logs(dir: &Path) -> u64 {
    let mut records: Vec<(u64, String)> = Vec::new();
    let mut total = 0;
    let mut record = |client: &str,
                      server: &str,
                      port: u64,
                      proto: u8,
                      up: u64,
                      down: u64,
                      at: u64| {
        let (start, end) = (FIRST_S + at, FIRST_S + at + 5);
        records.push((at, format!(
            "2 123456789012 eni-0a1b2c3d4e5f60718 {client} {server} {port} 443 {proto} 10 {up} {start} {end} ACCEPT OK\n\
             2 123456789012 eni-0a1b2c3d4e5f60718 {server} {client} 443 {port} {proto} 20 {down} {start} {end} ACCEPT OK\n"
        )));
    };
    for i in 0..CONNECTIONS {
        let (up, down) = (1_000 + i, 50_000 + 97 * i);
        let client = format!("10.0.1.{}", 10 + i % 50);
        let server = format!("198.51.100.{}", i % 13);
        record(&client, &server, 30_000 + i, 6, up, down, i * 10);
        total += up + down;
    }
    record("10.0.1.9", "198.51.100.200", 40_000, 17, 500, 500, 20);
    record("10.0.1.9", "198.51.100.201", 40_001, 6, 700, 700, 7_200);
    records.sort_by_key(|(at, _)| *at);
    let text: String = records.into_iter().map(|(_, lines)| lines).collect();
    std::fs::create_dir_all(dir.join("logs")).unwrap();
    std::fs::write(dir.join("logs/egress.log"), text).unwrap();
    total
}

fn scenario_text(workload_extra: &str) -> String {
    format!(
        r#"[scenario]
name = "replay"
region = "us-east-1"
duration = "1h"
warmup = "0s"
seed = 11
replications = 1

[[workload]]
name = "recorded"
az = "a"
flow_logs = ["logs"]
hold = "1s"
{workload_extra}

[[candidate]]
name = "natgw"
kind = "nat_gateway"
az = "a"

[[candidate]]
name = "nat-instance"
kind = "nat_instance"
az = "a"
instance_type = "c6gn.medium"
"#
    )
}

/// The scenario file in `dir` with its logs, parsed; returns the recorded TCP bytes too.
fn replay_scenario(name: &str, workload_extra: &str) -> (Scenario, u64) {
    let dir = scratch(name);
    let total = write_logs(&dir);
    let file = write_file(&dir, "scenario.toml", &scenario_text(workload_extra));
    let scenario = parse_scenario_file(&file).unwrap_or_else(|e| panic!("{e}"));
    (scenario, total)
}

/// Connections and bytes (admitted and refused) a candidate was offered.
fn offered(result: &ScenarioResult, name: &str) -> (f64, f64) {
    let s = crate::support::by_name(result, name);
    crate::support::assert_bytes_conserved(s);
    // natsim's GB, as AWS bills them, are 2^30 bytes.
    let bytes = (s.get(Metric::OfferedGb) + s.get(Metric::RefusedGb)) * 1_073_741_824.0;
    (s.get(Metric::ConnAttempts), bytes)
}

#[test]
fn every_candidate_is_offered_the_recorded_connections_and_bytes() {
    let (scenario, total) = replay_scenario("replay-conservation", "");
    let result = run_scenario(&scenario);
    for name in ["natgw", "nat-instance"] {
        let (connections, bytes) = offered(&result, name);
        assert_eq!(connections, CONNECTIONS as f64, "{name}");
        assert!(
            (bytes - total as f64).abs() <= 1e-9 * total as f64,
            "{name}: offered {bytes} bytes, recorded {total}"
        );
    }
}

#[test]
fn scale_two_doubles_the_connections_and_the_bytes() {
    let (scenario, total) = replay_scenario("replay-scale", "flow_logs_scale = 2.0");
    let result = run_scenario(&scenario);
    for name in ["natgw", "nat-instance"] {
        let (connections, bytes) = offered(&result, name);
        assert_eq!(connections, 2.0 * CONNECTIONS as f64, "{name}");
        let expected = 2.0 * total as f64;
        assert!(
            (bytes - expected).abs() <= 1e-9 * expected,
            "{name}: offered {bytes} bytes, expected {expected}"
        );
    }
    let (half, _) = replay_scenario("replay-scale-half", "flow_logs_scale = 1.5");
    let (connections, _) = offered(&run_scenario(&half), "natgw");
    let expected = 1.5 * CONNECTIONS as f64;
    // A Bernoulli(0.5) per connection: 4 standard deviations of 300 draws is about 35.
    assert!((connections - expected).abs() <= 35.0, "{connections}");
}

/// Issue 14: `[scenario] traffic_scale` grows a replay as `flow_logs_scale` does (the two
/// multiply), so a sweep of traffic_scale covers replayed and drawn workloads alike.
#[test]
fn traffic_scale_multiplies_a_replay_as_flow_logs_scale_does() {
    let summary = |name: &str, scenario_extra: &str, workload_extra: &str| {
        let dir = scratch(name);
        write_logs(&dir);
        let file = dir.join("scenario.toml");
        let text = scenario_text(workload_extra)
            .replace("seed = 11", &format!("seed = 11\n{scenario_extra}"));
        std::fs::write(&file, text).unwrap();
        let scenario = parse_scenario_file(&file).unwrap_or_else(|e| panic!("{e}"));
        run_scenario(&scenario).summaries
    };
    let by_scale = summary(
        "replay-traffic-scale",
        "traffic_scale = 2",
        "flow_logs_scale = 1.5",
    );
    let by_logs = summary("replay-logs-scale", "", "flow_logs_scale = 3");
    for (a, b) in by_scale.iter().zip(&by_logs) {
        assert_eq!(a.values, b.values, "{}", a.name);
    }
    assert_eq!(
        by_scale[0].get(Metric::ConnAttempts),
        3.0 * CONNECTIONS as f64
    );
}

#[test]
fn the_same_seed_replays_the_same_summary() {
    let (scenario, _) = replay_scenario("replay-determinism", "flow_logs_scale = 1.7");
    let first = run_scenario(&scenario);
    let second = run_scenario(&scenario);
    for (a, b) in first.summaries.iter().zip(&second.summaries) {
        for metric in [
            Metric::ConnAttempts,
            Metric::OfferedGb,
            Metric::OutGb,
            Metric::InGb,
        ] {
            assert_eq!(
                a.get(metric).to_bits(),
                b.get(metric).to_bits(),
                "{}",
                a.name
            );
        }
    }
}

#[test]
fn keys_that_contradict_a_replay_are_refused_by_name() {
    let dir = scratch("replay-contradictions");
    write_logs(&dir);
    let file = dir.join("scenario.toml");
    for (extra, key) in [
        ("rate_per_s = 10", "rate_per_s"),
        ("profile = [1.0, 0.5]", "profile"),
        ("request_bytes = \"1KB\"", "request_bytes"),
        ("response_bytes = \"1KB\"", "response_bytes"),
        ("destinations = 10", "destinations"),
        ("endpoint_share = 0.5", "endpoint_share"),
        ("monthly_gb = 10", "monthly_gb"),
    ] {
        std::fs::write(&file, scenario_text(extra)).unwrap();
        let error = parse_scenario_file(&file).unwrap_err().to_string();
        assert!(error.contains(&format!("workload[0].{key}")), "{error}");
        assert!(error.contains("cannot be set with flow_logs"), "{error}");
    }
}

#[test]
fn flow_logs_without_a_file_path_and_other_bad_replays_are_errors() {
    let error = parse_scenario(&scenario_text(""), "text.toml")
        .unwrap_err()
        .to_string();
    assert!(error.contains("workload[0].flow_logs"), "{error}");
    assert!(error.contains("file path"), "{error}");

    let dir = scratch("replay-bad");
    write_logs(&dir);
    let file = dir.join("scenario.toml");
    let cases = [
        (
            scenario_text("").replace("[\"logs\"]", "[\"missing\"]"),
            "cannot read the flow logs",
        ),
        (
            scenario_text("").replace("[\"logs\"]", "[]"),
            "flow_logs is empty",
        ),
        (
            scenario_text("flow_logs_scale = 0"),
            "workload[0].flow_logs_scale",
        ),
        (
            scenario_text("").replace(
                "flow_logs = [\"logs\"]\n",
                "rate_per_s = 1\nflow_logs_scale = 2\n",
            ),
            "flow_logs_scale is set but flow_logs is not",
        ),
    ];
    for (text, expected) in &cases {
        std::fs::write(&file, text).unwrap();
        let error = parse_scenario_file(&file).unwrap_err().to_string();
        assert!(error.contains(expected), "{expected}: {error}");
    }
}

#[test]
fn a_udp_workload_replays_the_udp_connections_only() {
    let (scenario, _) = replay_scenario("replay-udp", "protocol = \"udp\"");
    let (connections, bytes) = offered(&run_scenario(&scenario), "natgw");
    assert_eq!(connections, 1.0);
    assert!((bytes - 1_000.0).abs() < 1e-6, "{bytes}");
}

/// `natsim sweep` over a replayed workload: the points read `flow_logs` relative to the file's
/// folder (once for the whole sweep) and `flow_logs_scale` multiplies each point's connections.
#[test]
fn a_sweep_of_flow_logs_scale_multiplies_the_recorded_connections() {
    let dir = crate::support::scratch("replay-sweep");
    let total = write_logs(&dir);
    let text = scenario_text("") + "\n[sweep]\n\"workload[0].flow_logs_scale\" = [1.0, 2.0, 4.0]\n";
    let file = write_file(&dir, "scenario.toml", &text);
    let out = dir.join("out");
    sweep_file(&file, &out);
    let (header, rows) = crate::support::csv_rows(&crate::support::read(&out.join("sweep.csv")));
    let name = column_index(&header, "candidate");
    let mut seen = Vec::new();
    for row in &rows {
        let column = |c: &str| crate::support::column(&header, row, c);
        let scale = column("param_workload_0_flow_logs_scale");
        assert_eq!(
            column("conn_attempts"),
            scale * CONNECTIONS as f64,
            "{} at scale {scale}",
            row[name]
        );
        let bytes = (column("offered_gb") + column("refused_gb")) * 1_073_741_824.0;
        let expected = scale * total as f64;
        // sweep.csv writes GB to 6 significant digits.
        assert!(
            (bytes - expected).abs() <= 1e-5 * expected,
            "{} at scale {scale}: {bytes} bytes, expected {expected}",
            row[name]
        );
        seen.push((scale, row[name].clone()));
    }
    seen.sort_by(|a, b| a.partial_cmp(b).unwrap());
    assert_eq!(seen.len(), 6, "3 points × 2 candidates: {seen:?}");
}

/// A record far out of time order is not replayed, and `natsim run` says how many were left out.
#[test]
fn late_records_are_left_out_and_reported() {
    let dir = scratch("replay-late");
    let line = |port: u64, at: u64, bytes: u64| {
        let (start, end) = (FIRST_S + at, FIRST_S + at + 5);
        format!(
            "2 123456789012 eni-0a1b2c3d4e5f60718 10.0.1.9 198.51.100.7 {port} 443 6 10 {bytes} {start} {end} ACCEPT OK\n"
        )
    };
    // The second record starts 2,000 s behind the first: more than the 900 s tolerance.
    std::fs::create_dir_all(dir.join("logs")).unwrap();
    std::fs::write(
        dir.join("logs/egress.log"),
        line(40_000, 2_000, 700) + &line(40_001, 0, 500),
    )
    .unwrap();
    let file = write_file(&dir, "scenario.toml", &scenario_text(""));
    let (connections, bytes) =
        offered(&run_scenario(&parse_scenario_file(&file).unwrap()), "natgw");
    assert_eq!(connections, 1.0);
    assert!((bytes - 700.0).abs() < 1e-6, "{bytes}");
    let (output, stderr) = run_cli_stderr(&["run", path(&file), "--out", path(&dir.join("out"))]);
    assert_ok(&output);
    assert!(
        stderr.contains("1 flow-log record(s) started more than 900 s before records read earlier and were left out"),
        "{stderr}"
    );
}
