//! CloudWatch calibration (issue 11). The shipped example `scenarios/flowlogs/` is what this file
//! generates: its flow logs written by `io::fit::generate` from [`SOURCE`], and its
//! `cloudwatch.json` counted from those logs the way a NAT gateway's metrics count them (bytes
//! of each record in the minute it starts, connections in the minute they start, open
//! connections at each minute's end). `natsim run --cloudwatch` on it writes calibration.csv,
//! listed in the manifest, and natsim's bytes come within 5 % of the measured ones.
//!
//! Regenerate the example with `NATSIM_UPDATE_EXAMPLE=1 cargo test --release --test it
//! calibration`.

use crate::support::{csv_rows, read, repo_root, run_cli, scratch};
use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use natsim::io::cloudwatch;
use natsim::io::fit::generate::{LogFormat, write_flow_logs};
use natsim::io::flowlogs;
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// The traffic the example's logs are drawn from: a service in one AZ calling public APIs.
const SOURCE: &str = r#"
[scenario]
name = "flowlogs-source"
region = "us-east-1"
duration = "30m"
warmup = "0s"
seed = 2026

[[workload]]
name = "api-calls"
az = "a"
rate_per_s = 1
request_bytes = { dist = "lognormal", mean = "4KB", cv = 1.0 }
response_bytes = { dist = "lognormal", mean = "300KB", cv = 2.0 }
hold = { dist = "exponential", mean = "5s" }
destinations = { count = 40, zipf = 1.0 }

[[candidate]]
name = "natgw"
kind = "nat_gateway"
az = "a"
"#;

fn example() -> PathBuf {
    repo_root().join("scenarios/flowlogs")
}

fn generated_logs() -> String {
    let mut text = Vec::new();
    write_flow_logs(&crate::support::parse(SOURCE), LogFormat::Custom, &mut text).unwrap();
    String::from_utf8(text).unwrap()
}

/// The NAT gateway's per-minute metrics, counted from the logs (custom format: srcaddr is
/// field 3, bytes 9, start 10).
fn cloudwatch_json(text: &str, logs_path: &Path) -> String {
    let mut bytes: BTreeMap<u64, [f64; 2]> = BTreeMap::new();
    for line in text.lines().skip(1) {
        let fields: Vec<&str> = line.split(' ').collect();
        let minute = fields[10].parse::<u64>().unwrap() / 60 * 60;
        let outbound = fields[3].starts_with("10.");
        bytes.entry(minute).or_default()[usize::from(!outbound)] +=
            fields[9].parse::<f64>().unwrap();
    }
    let logs = flowlogs::read(
        &[logs_path.to_path_buf()],
        &flowlogs::Options { strict: true },
    )
    .unwrap();
    let (first, last) = (
        *bytes.keys().next().unwrap(),
        *bytes.keys().next_back().unwrap(),
    );
    // The run is 30 minutes: the measured series covers them.
    let minutes: Vec<u64> = (first..=last).step_by(60).take(30).collect();
    let attempts = |m: u64| {
        logs.connections
            .iter()
            .filter(|c| c.start_s / 60 * 60 == m)
            .count() as f64
    };
    let active = |m: u64| {
        logs.connections
            .iter()
            .filter(|c| c.start_s < m + 60 && c.end_s > m + 60)
            .count() as f64
    };
    let stamp = |m: u64| {
        let s = m - natsim::io::fit::generate::TRACE_START_S;
        format!(
            "\"2023-11-14T{:02}:{:02}:00Z\"",
            22 + s / 3600,
            s % 3600 / 60
        )
    };
    let series = |id: &str, label: &str, value: &dyn Fn(u64) -> f64| {
        // Newest first, as AWS writes by default.
        let stamps: Vec<String> = minutes.iter().rev().map(|&m| stamp(m)).collect();
        let values: Vec<String> = minutes
            .iter()
            .rev()
            .map(|&m| value(m).to_string())
            .collect();
        format!(
            "        {{\n            \"Id\": \"{id}\",\n            \"Label\": \"{label}\",\n            \"Timestamps\": [{}],\n            \"Values\": [{}],\n            \"StatusCode\": \"Complete\"\n        }}",
            stamps.join(", "),
            values.join(", ")
        )
    };
    let results = [
        series("bytesout", "BytesOutToDestination", &|m| bytes[&m][0]),
        series("bytesin", "BytesInFromDestination", &|m| bytes[&m][1]),
        series("active", "ActiveConnectionCount", &active),
        series("attempts", "ConnectionAttemptCount", &attempts),
        series("portalloc", "ErrorPortAllocation", &|_| 0.0),
        series("drops", "PacketsDropCount", &|_| 0.0),
    ];
    format!(
        "{{\n    \"MetricDataResults\": [\n{}\n    ],\n    \"Messages\": []\n}}\n",
        results.join(",\n")
    )
}

#[test]
fn the_shipped_example_is_what_the_generator_writes() {
    let text = generated_logs();
    let logs_path = example().join("logs/egress.log.gz");
    if std::env::var_os("NATSIM_UPDATE_EXAMPLE").is_some() {
        let mut gz = GzEncoder::new(Vec::new(), Compression::best());
        gz.write_all(text.as_bytes()).unwrap();
        std::fs::write(&logs_path, gz.finish().unwrap()).unwrap();
        std::fs::write(
            example().join("cloudwatch.json"),
            cloudwatch_json(&text, &logs_path),
        )
        .unwrap();
    }
    let mut shipped = String::new();
    GzDecoder::new(std::fs::File::open(&logs_path).unwrap())
        .read_to_string(&mut shipped)
        .unwrap();
    assert!(
        shipped == text,
        "scenarios/flowlogs/logs differ from the generator's; regenerate with NATSIM_UPDATE_EXAMPLE=1"
    );
    assert_eq!(
        read(&example().join("cloudwatch.json")),
        cloudwatch_json(&text, &logs_path)
    );
    let measured = cloudwatch::read(&example().join("cloudwatch.json")).unwrap();
    assert_eq!((measured.series.len(), measured.period_s), (6, 60));
}

#[test]
fn run_with_cloudwatch_writes_calibration_csv_and_bytes_match_within_5_percent() {
    let out = scratch("calibration-run");
    let scenario = example().join("scenario.toml");
    let metrics = example().join("cloudwatch.json");
    let output = run_cli(&[
        "run",
        scenario.to_str().unwrap(),
        "--cloudwatch",
        metrics.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for metric in [
        "BytesOutToDestination",
        "BytesInFromDestination",
        "ActiveConnectionCount",
    ] {
        assert!(
            stdout.contains(&format!("calibration: natgw {metric}: ")),
            "{stdout}"
        );
    }
    assert!(!stdout.contains("WARNING"), "{stdout}");
    let (header, rows) = csv_rows(&read(&out.join("calibration.csv")));
    assert_eq!(
        header,
        [
            "candidate",
            "interval",
            "offset_s",
            "metric",
            "measured",
            "natsim",
            "error"
        ]
    );
    assert_eq!(rows.len(), 6 * 30);
    for metric in ["BytesOutToDestination", "BytesInFromDestination"] {
        let (measured, natsim) = rows
            .iter()
            .filter(|r| r[0] == "natgw" && r[3] == metric)
            .fold((0.0, 0.0), |(m, n), r| {
                (
                    m + r[4].parse::<f64>().unwrap(),
                    n + r[5].parse::<f64>().unwrap(),
                )
            });
        let error = (natsim - measured) / measured;
        assert!(error.abs() < 0.05, "{metric}: {measured} vs {natsim}");
    }
    assert!(read(&out.join("manifest.json")).contains("calibration.csv"));
    // summary.json carries the same lines the console printed (issue 13: JSON says what the
    // console says).
    let summary: serde_json::Value =
        serde_json::from_str(&read(&out.join("summary.json"))).unwrap();
    let lines = summary["calibration"].as_array().unwrap();
    assert!(!lines.is_empty());
    for line in lines {
        assert!(stdout.contains(line.as_str().unwrap()), "{line}");
    }
}

#[test]
fn bad_cloudwatch_input_is_exit_2_and_writes_nothing() {
    let dir = scratch("calibration-bad");
    let bad = dir.join("bad.json");
    std::fs::write(&bad, "{\"MetricDataResults\": [{\"Label\": \"BytesOutToDestination\", \"Timestamps\": [\"noon\"], \"Values\": [1]}]}").unwrap();
    let scenario = example().join("scenario.toml");
    let out = dir.join("out");
    let output = run_cli(&[
        "run",
        scenario.to_str().unwrap(),
        "--cloudwatch",
        bad.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("bad.json") && stderr.contains("Timestamps[0]"),
        "{stderr}"
    );
    assert!(!out.exists());
    let batch = run_cli(&[
        "run",
        repo_root().join("scenarios").to_str().unwrap(),
        "--cloudwatch",
        bad.to_str().unwrap(),
    ]);
    assert_eq!(batch.status.code(), Some(2));
}
