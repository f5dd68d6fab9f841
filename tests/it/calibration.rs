//! CloudWatch calibration (issue 11). The shipped example `scenarios/flowlogs/` is what this file
//! generates: its flow logs written by `io::fit::generate` from [`SOURCE`], and its
//! `cloudwatch.json` counted from those logs the way a NAT gateway's metrics count them (bytes
//! of each record in the minute it starts, connections in the minute they start, open
//! connections at each minute's end, and an idle-timeout cut in the minute a connection has
//! been idle 350 s: its recorded duration less its transfer at the generator's rate is its
//! idle time). `natsim run --cloudwatch` on it writes calibration.csv, the calibration plot and
//! report.html's calibration section, listed in the manifest, and natsim's bytes come within
//! 5 % of the measured ones; `natsim fit --cloudwatch` does the same for the fitted scenario.
//!
//! Regenerate the example with `NATSIM_UPDATE_EXAMPLE=1 cargo test --release --test it
//! calibration`.

use crate::support::{
    assert_ok, column_index, csv_rows, natsim, path, read, repo_root, run_cli, run_cli_ok,
    run_file, scratch, section, stderr, stdout, write_file,
};
use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use natsim::io::cloudwatch;
use natsim::io::fit::generate::{LogFormat, TRANSFER_BPS, write_flow_logs};
use natsim::io::flowlogs;
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Output;

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

/// The NAT gateway's idle timeout (catalog `[nat_gateway] idle_timeout_s`).
const IDLE_TIMEOUT_S: f64 = 350.0;

fn example() -> PathBuf {
    repo_root().join("scenarios/flowlogs")
}

/// `natsim ARGS` run in `dir`, so that `natsim fit`'s relative paths are `dir`'s.
fn natsim_in(dir: &Path, args: &[&str]) -> Output {
    natsim()
        .current_dir(dir)
        .args(args)
        .output()
        .expect("natsim binary runs")
}

/// `natsim fit` of the example's logs into `dir/fitted.toml`, calibrated against `metrics`.
fn fit_calibrated(dir: &Path, metrics: &Path) -> Output {
    let logs = example().join("logs");
    natsim_in(
        dir,
        &[
            "fit",
            path(&logs),
            "-o",
            "fitted.toml",
            "--cloudwatch",
            path(metrics),
        ],
    )
}

/// `natsim run SCENARIO --cloudwatch METRICS --out OUT`, which must succeed; its stdout.
fn run_calibrated(scenario: &Path, metrics: &Path, out: &Path) -> String {
    run_cli_ok(&[
        "run",
        path(scenario),
        "--cloudwatch",
        path(metrics),
        "--out",
        path(out),
    ])
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
    // A connection idle for the gateway's 350 s (catalog `[nat_gateway] idle_timeout_s`) after
    // its transfer is cut then.
    let idle_cuts = |m: u64| {
        logs.connections
            .iter()
            .filter_map(|c| {
                let transfer_s = (c.request_bytes + c.response_bytes) as f64 * 8.0 / TRANSFER_BPS;
                let idle_s = (c.end_s - c.start_s) as f64 - transfer_s;
                (idle_s >= IDLE_TIMEOUT_S).then_some(c.start_s as f64 + transfer_s + IDLE_TIMEOUT_S)
            })
            .filter(|&cut_s| (cut_s as u64) / 60 * 60 == m)
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
        series("idle", "IdleTimeoutCount", &idle_cuts),
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
    assert_eq!((measured.series.len(), measured.period_s), (7, 60));
}

#[test]
fn run_with_cloudwatch_writes_calibration_csv_and_bytes_match_within_5_percent() {
    let out = scratch("calibration-run");
    let scenario = example().join("scenario.toml");
    let metrics = example().join("cloudwatch.json");
    let stdout = run_calibrated(&scenario, &metrics, &out);
    for metric in SIMULATED {
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
            "error",
            "note"
        ]
    );
    assert_eq!(rows.len(), 7 * 30);
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
    let manifest = read(&out.join("manifest.json"));
    for file in ["calibration.csv", "calibration.svg", "calibration.png"] {
        assert!(manifest.contains(file), "{file} not in {manifest}");
    }
    check_report_section(&read(&out.join("report.html")), "natgw", None);
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

/// The metrics natsim simulates, as the console and calibration.csv name them.
const SIMULATED: [&str; 7] = [
    "BytesOutToDestination",
    "BytesInFromDestination",
    "ActiveConnectionCount",
    "ConnectionAttemptCount",
    "ErrorPortAllocation",
    "PacketsDropCount",
    "IdleTimeoutCount",
];

/// report.html's calibration section: a table row per simulated metric for `candidate`, the
/// chart with its caption, and either the warning (containing `warning`) or the all-clear.
fn check_report_section(html: &str, candidate: &str, warning: Option<&str>) {
    let section = section(html, "calibration");
    for metric in SIMULATED {
        assert!(
            section.contains(&format!("<tr><td>{candidate}</td><td>{metric}</td>")),
            "no row for {candidate} {metric}"
        );
    }
    assert!(section.contains("<figure id=\"calibration-plot\">\n<svg"));
    assert!(
        section.contains("<figcaption><b>calibration.png</b> (and .svg): Each CloudWatch metric")
    );
    // The example's port refusals, drops and idle timeouts are 0 in both: said, not drawn.
    assert!(
        section.contains("Not drawn, as both are 0 throughout: ErrorPortAllocation, PacketsDropCount, IdleTimeoutCount."),
        "{section}"
    );
    match warning {
        Some(text) => {
            assert!(
                section.contains("<p class=\"warn\"><b>Warning:</b>"),
                "{section}"
            );
            assert!(section.contains(text), "{section}");
            assert!(section.contains("class=\"num miss\""), "{section}");
        }
        None => {
            assert!(section.contains("<p class=\"ok\">The simulated bytes are within 5 % of the measured bytes (BytesOutToDestination, BytesInFromDestination).</p>"), "{section}");
            assert!(!section.contains("class=\"warn\""));
        }
    }
}

#[test]
fn measured_bytes_the_scenario_misses_are_a_warning_in_the_report() {
    let dir = scratch("calibration-warning");
    // Measured outbound bytes 20 % above the recorded ones: the replay carries 1/1.2 of them.
    let text = read(&example().join("cloudwatch.json"));
    let mut json: serde_json::Value = serde_json::from_str(&text).unwrap();
    for result in json["MetricDataResults"].as_array_mut().unwrap() {
        if result["Label"] == "BytesOutToDestination" {
            for value in result["Values"].as_array_mut().unwrap() {
                *value = serde_json::json!(value.as_f64().unwrap() * 1.2);
            }
        }
    }
    let metrics = write_file(&dir, "more-bytes.json", &json.to_string());
    let out = dir.join("out");
    let stdout = run_calibrated(&example().join("scenario.toml"), &metrics, &out);
    assert!(
        stdout.contains("calibration: WARNING: natgw's BytesOutToDestination misses the measured bytes by -16.59 %"),
        "{stdout}"
    );
    check_report_section(
        &read(&out.join("report.html")),
        "natgw",
        Some("natgw&#39;s BytesOutToDestination misses the measured bytes by -16.59 %"),
    );
}

#[test]
fn a_run_without_cloudwatch_has_no_calibration_section_or_plot() {
    let out = scratch("calibration-none");
    run_file(&example().join("scenario.toml"), &out);
    let html = read(&out.join("report.html"));
    assert!(!html.contains("id=\"calibration\""));
    assert!(!out.join("calibration.csv").exists() && !out.join("calibration.svg").exists());
}

/// natsim cuts a connection idle for 350 s and counts the cut in its interval, so
/// IdleTimeoutCount is compared like any other metric; a NAT gateway metric natsim does not
/// simulate is read and reported as not simulated, never compared with a zero.
#[test]
fn idle_timeouts_are_simulated_and_other_gateway_metrics_are_said_not_simulated() {
    let dir = scratch("calibration-idle");
    let scenario = dir.join("idle.toml");
    std::fs::write(
        &scenario,
        r#"
[scenario]
name = "idle"
duration = "10m"
warmup = "0s"
seed = 3

[[workload]]
rate_per_s = 2
request_bytes = "1KB"
response_bytes = "10KB"
hold = "400s"

[[candidate]]
name = "natgw"
kind = "nat_gateway"
"#,
    )
    .unwrap();
    let minutes: Vec<String> = (0..10)
        .map(|m| format!("\"2023-11-14T22:{m:02}:00Z\""))
        .collect();
    let series = |label: &str, value: f64| {
        format!(
            r#"{{"Id": "m{}", "Label": "{label}", "Timestamps": [{}], "Values": [{}], "StatusCode": "Complete"}}"#,
            label.len(),
            minutes.join(", "),
            vec![value.to_string(); 10].join(", ")
        )
    };
    let metrics = dir.join("cw.json");
    std::fs::write(
        &metrics,
        format!(
            r#"{{"MetricDataResults": [{}, {}, {}]}}"#,
            series("IdleTimeoutCount", 60.0),
            series("PacketsOutToDestination", 900.0),
            series("BytesOutToSource", 5000.0)
        ),
    )
    .unwrap();
    let out = dir.join("out");
    let stdout = run_calibrated(&scenario, &metrics, &out);
    let (header, rows) = csv_rows(&read(&out.join("calibration.csv")));
    let idle: Vec<f64> = rows
        .iter()
        .filter(|r| r[3] == "IdleTimeoutCount")
        .map(|r| r[5].parse().unwrap())
        .collect();
    // Every connection holds 400 s, so each is cut 350 s after its transfer: none in the
    // first five minutes, about 2 a second (120 a minute) from minute 6 on.
    assert_eq!(idle.len(), 10);
    assert!(idle[..5].iter().all(|&n| n == 0.0), "{idle:?}");
    assert!(
        idle[6..].iter().all(|&n| (80.0..=160.0).contains(&n)),
        "{idle:?}"
    );
    let (summary_header, summary) = csv_rows(&read(&out.join("summary.csv")));
    let idle_total = crate::support::column(&summary_header, &summary[0], "idle_timeouts");
    assert_eq!(idle.iter().sum::<f64>(), idle_total);
    assert!(
        stdout.contains("calibration: natgw IdleTimeoutCount: total measured 600, natsim "),
        "{stdout}"
    );
    for metric in ["PacketsOutToDestination", "BytesOutToSource"] {
        let unsimulated: Vec<_> = rows.iter().filter(|r| r[3] == metric).collect();
        assert_eq!(unsimulated.len(), 10, "{metric}");
        let note = column_index(&header, "note");
        assert!(
            unsimulated
                .iter()
                .all(|r| r[5].is_empty() && r[6].is_empty() && r[note] == "not simulated"),
            "{metric}: {unsimulated:?}"
        );
        assert_eq!(
            stdout
                .lines()
                .filter(|l| l.contains(metric) && l.contains("not simulated"))
                .count(),
            1,
            "{stdout}"
        );
    }
    // Without byte metrics the traffic is not checked, and both outputs say so.
    assert!(
        stdout.contains(
            "calibration: the file has neither BytesOutToDestination nor BytesInFromDestination"
        ),
        "{stdout}"
    );
    let html = read(&out.join("report.html"));
    assert!(
        html.contains(
            "<p class=\"warn\"><b>Warning:</b> the file has neither BytesOutToDestination"
        )
    );
    assert!(!html.contains("class=\"ok\""));
    assert!(
        html.contains(
            "<li>PacketsOutToDestination: natsim does not count forwarded packets per side"
        )
    );
    assert!(!html.contains("<td>PacketsOutToDestination</td>"));
}

#[test]
fn fit_with_cloudwatch_writes_the_scenario_then_its_calibrated_run() {
    let dir = scratch("calibration-fit");
    let output = fit_calibrated(&dir, &example().join("cloudwatch.json"));
    assert_ok(&output);
    let stdout = stdout(&output);
    assert!(dir.join("fitted.toml").is_file());
    assert!(
        stdout.starts_with("fitted.toml: 1818 connections"),
        "{stdout}"
    );
    // The fitted scenario's NAT gateway, run as `natsim run fitted.toml --cloudwatch` would.
    assert!(
        stdout.contains("calibration: natgw-shared BytesOutToDestination: "),
        "{stdout}"
    );
    let out = dir.join("output/fitted");
    let (_, rows) = csv_rows(&read(&out.join("calibration.csv")));
    assert_eq!(rows.len(), 7 * 30);
    assert!(read(&out.join("manifest.json")).contains("calibration.svg"));
    let html = read(&out.join("report.html"));
    assert!(html.contains("<tr><td>natgw-shared</td><td>BytesOutToDestination</td>"));
    // The same run as natsim run on the written file.
    let again = natsim_in(
        &dir,
        &[
            "run",
            "fitted.toml",
            "--cloudwatch",
            path(&example().join("cloudwatch.json")),
            "--out",
            "again",
        ],
    );
    assert_ok(&again);
    assert_eq!(
        read(&dir.join("again/calibration.csv")),
        read(&out.join("calibration.csv"))
    );
}

#[test]
fn fit_with_bad_cloudwatch_input_writes_nothing() {
    let dir = scratch("calibration-fit-bad");
    let bad = write_file(&dir, "bad.json", "{\"MetricDataResults\": []}");
    let output = fit_calibrated(&dir, &bad);
    let stderr = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("bad.json: no NAT gateway metric"),
        "{stderr}"
    );
    let left: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, ["bad.json"]);
    // --yes belongs to the calibrated run.
    let yes_alone = natsim_in(
        &dir,
        &[
            "fit",
            path(&example().join("logs")),
            "-o",
            "f.toml",
            "--yes",
        ],
    );
    assert_eq!(yes_alone.status.code(), Some(2));
    assert!(!dir.join("f.toml").exists());
}

#[test]
fn bad_cloudwatch_input_is_exit_2_and_writes_nothing() {
    let dir = scratch("calibration-bad");
    let bad = write_file(
        &dir,
        "bad.json",
        "{\"MetricDataResults\": [{\"Label\": \"BytesOutToDestination\", \"Timestamps\": [\"noon\"], \"Values\": [1]}]}",
    );
    let scenario = example().join("scenario.toml");
    let out = dir.join("out");
    let output = run_cli(&[
        "run",
        path(&scenario),
        "--cloudwatch",
        path(&bad),
        "--out",
        path(&out),
    ]);
    let stderr = stderr(&output);
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
        path(&bad),
    ]);
    assert_eq!(batch.status.code(), Some(2));
}
