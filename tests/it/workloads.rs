//! Per-workload figures (issue 14): each workload's figures add up to its candidate's, a
//! single workload's are the candidate's, a workload the blend hides is named, and the files
//! that carry them.

use crate::support::{by_name, column, csv_rows, read, run, run_file, scratch, write_file};
use natsim::io::report::manifest;
use natsim::results::batch::ScenarioResult;
use natsim::results::summary::Metric;
use natsim::results::summary::by_workload::{WorkloadSummary, per_workload_metrics};

/// Three workloads that exercise every count: refusals for want of ports (one hot destination),
/// S3-endpoint bytes and cross-AZ clients, UDP drops on a small instance, idle timeouts, a
/// proxy's refusal of UDP, and transfers still open at the end.
const MIXED: &str = r#"
[scenario]
name = "mixed-workloads"
duration = "12m"
warmup = "2m"
seed = 7
replications = 2

[[workload]]
name = "hot-api"
rate_per_s = 30
request_bytes = "1KB"
response_bytes = "8KB"
hold = { dist = "exponential", mean = "200s" }
destinations = 1

[[workload]]
name = "bulk"
az = "b"
rate_per_s = 2
request_bytes = "2KB"
response_bytes = { dist = "lognormal", mean = "20MB", cv = 2.0 }
endpoint_share = 0.3
destinations = 50

[[workload]]
name = "media"
protocol = "udp"
rate_per_s = 5
request_bytes = "400KB"
response_bytes = "400KB"
hold = "2s"
destinations = 20

[[candidate]]
name = "natgw"
kind = "nat_gateway"
ports_per_ip = 4000
s3_gateway_endpoint = true

[[candidate]]
name = "nano"
kind = "nat_instance"
instance_type = "t4g.nano"
burst_minutes = 1

[[candidate]]
name = "squid"
kind = "proxy"
instance_type = "c6gn.medium"
"#;

/// Figures that count or add: a candidate's is the sum of its workloads'.
const ADDITIVE: &[Metric] = &[
    Metric::OfferedGb,
    Metric::OutGb,
    Metric::InGb,
    Metric::DroppedGb,
    Metric::ConnAttempts,
    Metric::ConnFailed,
    Metric::FailPortAllocation,
    Metric::FailConntrack,
    Metric::FailUnsupported,
    Metric::IdleTimeouts,
    Metric::PacketsDropped,
    Metric::MeanGbps,
    Metric::RefusedGb,
    Metric::InFlightGb,
    Metric::ConnCompleted,
    Metric::OpenConnMean,
    Metric::ConnReset,
    Metric::EndpointGb,
    Metric::InterfaceEndpointGb,
    Metric::Ipv6Gb,
    Metric::MonthlyTrafficGb,
    Metric::OfferedGbps,
    Metric::FctCensored,
];

fn workloads_of<'a>(result: &'a ScenarioResult, candidate: &str) -> Vec<&'a WorkloadSummary> {
    let index = result
        .summaries
        .iter()
        .position(|s| s.name == candidate)
        .expect("candidate");
    result
        .by_workload
        .iter()
        .filter(|w| w.candidate == index)
        .collect()
}

#[test]
fn each_workloads_figures_add_up_to_its_candidates() {
    let (scenario, result) = run(MIXED);
    assert_eq!(result.by_workload.len(), 3 * 3);
    for summary in &result.summaries {
        let workloads = workloads_of(&result, &summary.name);
        let names: Vec<&str> = workloads.iter().map(|w| w.name.as_str()).collect();
        assert_eq!(names, ["hot-api", "bulk", "media"]);
        for &metric in ADDITIVE {
            let total = summary.get(metric);
            let sum: f64 = workloads.iter().map(|w| w.get(metric)).sum();
            assert!(
                (sum - total).abs() <= 1e-9 * total.abs().max(1e-6),
                "{} {}: workloads add up to {sum}, candidate has {total}",
                summary.name,
                metric.name()
            );
        }
        // Each figure per workload is a real one (the bill and the device's headroom are not).
        for w in &workloads {
            assert!(
                w.get(Metric::ConnAttempts) > 0.0,
                "{} {}",
                summary.name,
                w.name
            );
            assert!(w.get(Metric::CostMonthlyUsd).is_nan());
            assert!(w.ci95(Metric::ConnAttempts).is_some(), "2 replications");
        }
    }
    // The counts the scenario was built to produce, each in the workload that caused it.
    let natgw = workloads_of(&result, "natgw");
    assert!(
        natgw[0].get(Metric::FailPortAllocation) > 0.0,
        "hot-api runs out of ports"
    );
    assert_eq!(natgw[1].get(Metric::FailPortAllocation), 0.0);
    assert!(natgw[1].get(Metric::EndpointGb) > 0.0, "bulk's S3 share");
    assert!(
        natgw[0].get(Metric::IdleTimeouts) > 0.0,
        "200 s holds pass 350 s"
    );
    let nano = workloads_of(&result, "nano");
    assert!(
        nano[2].get(Metric::DroppedGb) > 0.0,
        "UDP loses on the nano"
    );
    assert_eq!(
        nano[0].get(Metric::DroppedGb),
        0.0,
        "TCP slows down instead"
    );
    let squid = workloads_of(&result, "squid");
    assert_eq!(
        squid[2].get(Metric::FailUnsupported),
        squid[2].get(Metric::ConnAttempts),
        "a proxy refuses every UDP connection"
    );
    assert_eq!(squid[0].get(Metric::FailUnsupported), 0.0);
    assert_eq!(scenario.candidates.len(), 3);
}

#[test]
fn a_candidates_percentiles_lie_between_its_workloads() {
    let (_, result) = run(&MIXED.replace("replications = 2", "replications = 1"));
    for summary in &result.summaries {
        let workloads = workloads_of(&result, &summary.name);
        for metric in [Metric::FctP50S, Metric::FctP99S, Metric::SlowdownP99] {
            let each = workloads.iter().map(|w| w.get(metric));
            let (low, high) = each.fold((f64::INFINITY, 0.0f64), |(l, h), v| (l.min(v), h.max(v)));
            let total = summary.get(metric);
            assert!(
                low <= total && total <= high,
                "{} {}: {total} outside its workloads' [{low}, {high}]",
                summary.name,
                metric.name()
            );
        }
    }
}

#[test]
fn a_single_workloads_figures_are_its_candidates_to_the_bit() {
    let text = MIXED
        .split("[[workload]]\nname = \"bulk\"")
        .next()
        .unwrap()
        .to_string()
        + &MIXED[MIXED.find("[[candidate]]").unwrap()..];
    let (_, result) = run(&text);
    assert_eq!(result.by_workload.len(), result.summaries.len());
    for summary in &result.summaries {
        let workload = workloads_of(&result, &summary.name)[0];
        for &metric in per_workload_metrics() {
            assert_eq!(
                workload.get(metric).to_bits(),
                summary.get(metric).to_bits(),
                "{} {}",
                summary.name,
                metric.name()
            );
        }
    }
}

/// The blend of a busy workload and a small one meets the objective on refused connections,
/// while the small one, alone, misses it: the per-workload table names it.
const HIDDEN: &str = r#"
[scenario]
name = "hidden"
duration = "10m"
warmup = "1m"
seed = 3

[[workload]]
name = "web"
rate_per_s = 800
destinations = 5000

[[workload]]
name = "hot-api"
rate_per_s = 2
hold = "60s"
destinations = 1

[[candidate]]
name = "natgw"
kind = "nat_gateway"
ports_per_ip = 100
"#;

#[test]
fn a_workload_the_blend_hides_is_named() {
    let (_, result) = run(HIDDEN);
    let natgw = by_name(&result, "natgw");
    assert!(natgw.meets_slo, "{}", natgw.misses_with_causes());
    let workloads = workloads_of(&result, "natgw");
    assert!(workloads[0].meets_slo());
    let hot = workloads[1];
    assert!(!hot.meets_slo());
    assert!(
        hot.slo_failures[0].starts_with("refused connections"),
        "{:?}",
        hot.slo_failures
    );
    // Erlang B for 120 erlangs on 100 ports is 18 %; the blend dilutes it 400-fold.
    assert!(hot.get(Metric::ConnFailRate) > 0.1);
    assert!(natgw.get(Metric::ConnFailRate) < 0.001);
}

/// The console says so when the recommended candidate hides a workload that misses.
#[test]
fn the_console_notes_a_workload_the_recommendation_hides() {
    let dir = scratch("workloads-hidden");
    let file = write_file(&dir, "hidden.toml", HIDDEN);
    let out = dir.join("out");
    let stdout = run_file(&file, &out);
    assert!(
        stdout.contains("note: natgw meets the objectives over all its traffic, but on its own this workload misses them: hot-api (refused "),
        "{stdout}"
    );
    assert!(read(&out.join("report.html")).contains("but on its own this workload misses them"));
}

#[test]
fn run_writes_the_per_workload_files_and_section() {
    let dir = scratch("workloads-files");
    let file = write_file(&dir, "mixed.toml", MIXED);
    let out = dir.join("out");
    let stdout = run_file(&file, &out);
    assert!(stdout.contains("\nper workload ("), "{stdout}");
    let listed = manifest::verify(&out).unwrap();
    for name in ["summary_by_workload.csv", "timeseries_by_workload.csv"] {
        assert!(listed.iter().any(|l| l == name), "{listed:?}");
    }
    // summary_by_workload.csv: the candidate's attempts are its workloads'.
    let (sh, summary) = csv_rows(&read(&out.join("summary.csv")));
    let (wh, by_workload) = csv_rows(&read(&out.join("summary_by_workload.csv")));
    assert_eq!(by_workload.len(), 3 * 3);
    assert!(wh.iter().any(|h| h == "slowdown_p99_ci95"));
    for row in &summary {
        let name = &row[1];
        let sum: f64 = by_workload
            .iter()
            .filter(|w| &w[1] == name)
            .map(|w| column(&wh, w, "conn_attempts"))
            .sum();
        assert_eq!(sum, column(&sh, row, "conn_attempts"), "{name}");
    }
    // timeseries_by_workload.csv: each minute's workloads add up to the minute's row.
    let (th, series) = csv_rows(&read(&out.join("timeseries.csv")));
    let (bh, split) = csv_rows(&read(&out.join("timeseries_by_workload.csv")));
    assert_eq!(split.len(), 3 * series.len());
    for (row, parts) in series.iter().zip(split.chunks(3)) {
        for name in ["conn_refused", "active_connections"] {
            let sum: f64 = parts.iter().map(|p| column(&bh, p, name)).sum();
            assert_eq!(sum, column(&th, row, name), "{name} in {row:?}");
        }
        let delivered: f64 = parts.iter().map(|p| column(&bh, p, "delivered_gbps")).sum();
        let whole = column(&th, row, "delivered_gbps");
        assert!(
            (delivered - whole).abs() <= 1e-5 * whole.max(1e-3),
            "{row:?}"
        );
    }
    let html = read(&out.join("report.html"));
    assert!(html.contains("<h2>Per workload</h2>"));
    // summary.json carries the same rows, and fits its schema.
    let doc: serde_json::Value = serde_json::from_str(&read(&out.join("summary.json"))).unwrap();
    crate::schema::assert_valid("natsim-run.schema.json", &doc);
    let rows = doc["workloads"].as_array().unwrap();
    assert_eq!(rows.len(), by_workload.len());
    for (json, csv) in rows.iter().zip(&by_workload) {
        assert_eq!(json["candidate"].as_str().unwrap(), csv[1]);
        assert_eq!(json["workload"].as_str().unwrap(), csv[3]);
        assert_eq!(
            json["figures"]["conn_attempts"].as_f64().unwrap(),
            column(&wh, csv, "conn_attempts")
        );
        assert!(json["ci95"]["conn_attempts"].is_number(), "2 replications");
    }
    assert_eq!(doc["scenario"]["traffic_scale"].as_f64(), Some(1.0));
}

#[test]
fn a_single_workload_run_prints_no_per_workload_section() {
    let dir = scratch("workloads-single");
    let file = dir.join("one.toml");
    let text = MIXED.replace("replications = 2", "replications = 1");
    let one = text
        .split("[[workload]]\nname = \"bulk\"")
        .next()
        .unwrap()
        .to_string()
        + &text[text.find("[[candidate]]").unwrap()..];
    std::fs::write(&file, one).unwrap();
    let out = dir.join("out");
    let stdout = run_file(&file, &out);
    assert!(!stdout.contains("per workload"));
    assert!(!read(&out.join("report.html")).contains("Per workload"));
    // The file is still written, one row per candidate.
    assert_eq!(
        read(&out.join("summary_by_workload.csv")).lines().count(),
        1 + 3
    );
}

/// Issue 14's bypasses per workload: a workload whose AWS calls go through an interface endpoint,
/// and one whose connections go over IPv6 through an egress-only internet gateway, each show
/// their own bytes (in summary_by_workload.csv, the console's table and each minute of
/// timeseries_by_workload.csv), and they add up to the candidate's.
const BYPASSES: &str = r#"
[scenario]
name = "bypass-workloads"
duration = "10m"
seed = 11

[[workload]]
name = "pods"
rate_per_s = 20
request_bytes = "5KB"
response_bytes = "100KB"
aws_services = { sts = 0.4 }

[[workload]]
name = "web"
az = "b"
rate_per_s = 10
request_bytes = "2KB"
response_bytes = "50KB"
ipv6_share = 0.6

[[candidate]]
name = "natgw"
kind = "nat_gateway"
per_az = true

[[candidate]]
name = "natgw-bypass"
kind = "nat_gateway"
per_az = true
interface_endpoints = ["sts"]
egress_only_igw = true
"#;

#[test]
fn issue_14_each_workload_shows_the_bytes_that_skipped_the_device() {
    let dir = scratch("workloads-bypass");
    let file = write_file(&dir, "bypass.toml", BYPASSES);
    let out = dir.join("out");
    let stdout = run_file(&file, &out);
    assert!(
        stdout.contains("S3 endpoint  interface endpoints  IPv6"),
        "{stdout}"
    );

    let (_, result) = run(BYPASSES);
    let plain = workloads_of(&result, "natgw");
    let bypass = workloads_of(&result, "natgw-bypass");
    for w in &plain {
        assert_eq!(w.get(Metric::InterfaceEndpointGb), 0.0, "{}", w.name);
        assert_eq!(w.get(Metric::Ipv6Gb), 0.0, "{}", w.name);
    }
    let (pods, web) = (bypass[0], bypass[1]);
    let share = |w: &WorkloadSummary, m: Metric| w.get(m) / w.get(Metric::OfferedGb);
    // 12,000 and 6,000 draws: four standard deviations are under 0.03.
    assert!((share(pods, Metric::InterfaceEndpointGb) - 0.4).abs() < 0.03);
    assert_eq!(pods.get(Metric::Ipv6Gb), 0.0);
    assert!((share(web, Metric::Ipv6Gb) - 0.6).abs() < 0.03);
    assert_eq!(web.get(Metric::InterfaceEndpointGb), 0.0);
    let candidate = by_name(&result, "natgw-bypass");
    for metric in [Metric::InterfaceEndpointGb, Metric::Ipv6Gb] {
        let sum = pods.get(metric) + web.get(metric);
        assert!(
            (sum - candidate.get(metric)).abs() <= 1e-12 * sum,
            "{}",
            metric.name()
        );
    }
    // The same bytes minute by minute: with no warmup, a workload's bypassed Gbps × seconds
    // over the run are its figures' bytes (GB of 2^30 bytes).
    let (bh, split) = csv_rows(&read(&out.join("timeseries_by_workload.csv")));
    for (w, name) in [(pods, "pods"), (web, "web")] {
        let gb: f64 = split
            .iter()
            .filter(|row| row[1] == "natgw-bypass" && row[4] == name)
            .map(|row| {
                let seconds = column(&bh, row, "end_s") - column(&bh, row, "start_s");
                column(&bh, row, "bypassed_gbps") * 1e9 * seconds / 8.0 / (1u64 << 30) as f64
            })
            .sum();
        let figures = w.get(Metric::InterfaceEndpointGb) + w.get(Metric::Ipv6Gb);
        assert!(
            (gb - figures).abs() <= 1e-6 * figures,
            "{name}: {gb} GB in the time series, {figures} GB in the figures"
        );
    }
    assert!(
        split
            .iter()
            .filter(|row| row[1] == "natgw")
            .all(|row| column(&bh, row, "bypassed_gbps") == 0.0)
    );
}

#[test]
fn a_workload_with_no_transfer_shows_no_completion_times() {
    // four-options' proxy refuses every UDP connection: its udp-telemetry row has nothing to
    // time, so the table shows "-", not a completion time of 0 s and a slowdown of 0.
    let out = scratch("workloads-no-transfer");
    let scenario = crate::support::repo_root().join("scenarios/four-options.toml");
    let stdout = run_file(&scenario, &out);
    let row = |candidate: &str| {
        stdout
            .lines()
            .find(|l| l.starts_with(candidate) && l.contains("udp-telemetry"))
            .unwrap_or_else(|| panic!("no {candidate} udp-telemetry row: {stdout}"))
            .split_whitespace()
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    let proxy = row("squid-c6gn.medium");
    assert!(proxy.contains(&"100.0".to_string()), "{proxy:?}");
    assert_eq!(
        proxy.iter().filter(|cell| *cell == "-").count(),
        3,
        "{proxy:?}"
    );
    // A NAT carries it: its figures are shown.
    assert!(!row("natgw").contains(&"-".to_string()));
    let (header, rows) = csv_rows(&read(&out.join("summary_by_workload.csv")));
    let proxy_udp = rows
        .iter()
        .find(|r| r[1] == "squid-c6gn.medium" && r.contains(&"udp-telemetry".to_string()))
        .unwrap();
    assert_eq!(column(&header, proxy_udp, "conn_completed"), 0.0);
    assert_eq!(column(&header, proxy_udp, "fct_censored"), 0.0);
}
