//! Traffic in the user's terms and as it grows (issue 14): `monthly_gb` carries the GB a month
//! it says, `[scenario] traffic_scale` is the rate multiplied, and a sweep of it names where each
//! candidate first misses the objectives.

use crate::support::{
    by_name, column, column_index, csv_rows, path, read, run, run_cli_ok, scratch, sweep_file,
    write_file,
};
use natsim::results::summary::Metric;

/// Downloads given in GB a month (constant sizes, flat: the month's bytes are the rate's), an
/// API given in connections a second, a NAT gateway and a t3.small whose 128 Mbps baseline
/// the downloads outgrow between 4 and 8 times their traffic.
const GROWING: &str = r#"
[scenario]
name = "growing"
duration = "1h"
warmup = "5m"
seed = 9

[[workload]]
name = "downloads"
monthly_gb = 5000
request_bytes = "1KB"
response_bytes = "10MB"
rate_cap = "20Mbps"
destinations = 20

[[workload]]
name = "api"
rate_per_s = 2
destinations = 20

[[candidate]]
name = "natgw"
kind = "nat_gateway"

[[candidate]]
name = "small-nat"
kind = "nat_instance"
instance_type = "t3.small"
"#;

#[test]
fn monthly_gb_is_the_traffic_a_month_the_run_carries() {
    let (_, result) = run(GROWING);
    let downloads = &result.by_workload[0];
    assert_eq!(downloads.name, "downloads");
    // About 0.204 connections a second of 10.001 MB for 55 minutes: some 670 arrivals, so the
    // Poisson count is within 4 standard deviations (about 15 %) of its mean.
    let monthly = downloads.get(Metric::MonthlyTrafficGb);
    assert!(
        (monthly / 5000.0 - 1.0).abs() < 0.15,
        "monthly_gb = 5000 carried {monthly} GB a month"
    );
    // And the run bills that traffic: the NAT gateway processes what arrived.
    let natgw = by_name(&result, "natgw");
    let processed_month = natgw.get(Metric::MonthlyProcessingUsd) / 0.045;
    let all_monthly = natgw.get(Metric::MonthlyTrafficGb);
    assert!(
        (processed_month / all_monthly - 1.0).abs() < 0.05,
        "{processed_month} GB processed a month of {all_monthly}"
    );
}

#[test]
fn traffic_scale_is_the_rate_multiplied_to_the_bit() {
    let scaled = GROWING.replace("seed = 9", "seed = 9\ntraffic_scale = 2");
    let doubled = GROWING
        .replace("monthly_gb = 5000", "monthly_gb = 10000")
        .replace("rate_per_s = 2", "rate_per_s = 4");
    let (_, a) = run(&scaled);
    let (_, b) = run(&doubled);
    for (x, y) in a.summaries.iter().zip(&b.summaries) {
        assert_eq!(x.values, y.values, "{}", x.name);
    }
    let (_, once) = run(GROWING);
    let ratio = a.summaries[0].get(Metric::MonthlyTrafficGb)
        / once.summaries[0].get(Metric::MonthlyTrafficGb);
    assert!((ratio - 2.0).abs() < 0.2, "{ratio}");
}

/// A sweep of `scenario.traffic_scale` names where each candidate first misses, in breaks.csv,
/// in the closing text and in report.html, and agrees with sweep.csv.
#[test]
fn a_traffic_scale_sweep_names_the_first_limit_that_breaks() {
    let dir = scratch("traffic-breaks");
    let text = format!("{GROWING}\n[sweep]\n\"scenario.traffic_scale\" = [1, 2, 4, 8]\n");
    let file = write_file(&dir, "growing.toml", &text);
    let out = dir.join("sweep");
    let stdout = sweep_file(&file, &out);
    assert!(
        stdout.contains(
            "where each candidate first misses the objectives along scenario.traffic_scale"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("  - natgw: meets them at every value (1 to 8)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("  - small-nat: meets them up to 4, misses at 8: no headroom"),
        "{stdout}"
    );
    let (bh, breaks) = csv_rows(&read(&out.join("breaks.csv")));
    assert_eq!(
        bh,
        [
            "point",
            "candidate",
            "kind",
            "along",
            "meets_up_to",
            "first_miss_at",
            "first_miss_point",
            "missed",
            "slo_failures"
        ]
    );
    assert_eq!(breaks.len(), 2);
    assert_eq!(
        breaks[0][1..7],
        ["natgw", "nat_gateway", "scenario.traffic_scale", "", "", ""]
    );
    assert_eq!(
        breaks[1][1..7],
        [
            "small-nat",
            "nat_instance",
            "scenario.traffic_scale",
            "4",
            "8",
            "3"
        ]
    );
    assert!(breaks[1][7].contains("max_utilization"), "{:?}", breaks[1]);
    assert!(
        breaks[1][8].contains("t3.small hold 0.128 Gbps"),
        "{:?}",
        breaks[1]
    );
    // sweep.csv agrees: the instance meets the objectives at every point before 3, not at 3.
    let (sh, rows) = csv_rows(&read(&out.join("sweep.csv")));
    let meets = |point: usize, name: &str| {
        let row = rows
            .iter()
            .find(|r| r[0] == point.to_string() && r[column_index(&sh, "candidate")] == name)
            .unwrap();
        row[column_index(&sh, "meets_slo")] == "true"
    };
    assert!((0..3).all(|p| meets(p, "small-nat")) && !meets(3, "small-nat"));
    assert!((0..4).all(|p| meets(p, "natgw")));
    // The traffic grows with the key: each point's monthly traffic is its scale times point 0's.
    let traffic = |point: usize| {
        let row = rows.iter().find(|r| r[0] == point.to_string()).unwrap();
        column(&sh, row, "monthly_traffic_gb")
    };
    for (point, scale) in [(1, 2.0), (2, 4.0), (3, 8.0)] {
        let ratio = traffic(point) / traffic(0);
        assert!((ratio / scale - 1.0).abs() < 0.15, "point {point}: {ratio}");
    }
    let html = read(&out.join("report.html"));
    assert!(html.contains("<h2>What breaks first</h2>"), "report.html");
    let listed = natsim::io::report::manifest::verify(&out).unwrap();
    assert!(listed.iter().any(|f| f == "breaks.csv"), "{listed:?}");
    // --format json carries the same breaks, and fits its schema.
    let json_out = dir.join("sweep-json");
    let printed = run_cli_ok(&[
        "sweep",
        path(&file),
        "--out",
        path(&json_out),
        "--format",
        "json",
    ]);
    let doc: serde_json::Value = serde_json::from_str(&printed).unwrap();
    crate::schema::assert_valid("natsim-sweep.schema.json", &doc);
    let broken = &doc["breaks"][1];
    assert_eq!(broken["candidate"], "small-nat");
    assert_eq!(broken["meets_up_to"].as_f64(), Some(4.0));
    assert_eq!(broken["first_miss_at"].as_f64(), Some(8.0));
    assert!(doc["breaks"][0]["first_miss_at"].is_null());
}

/// Sizing a NAT instance leaves out the bytes a gateway endpoint carries past it: they never
/// cross the instance (partner-upload's S3 reads asked for twice the instances they needed).
#[test]
fn instance_sizing_leaves_out_s3_endpoint_bytes() {
    let base = GROWING
        .replace("seed = 9", "seed = 9\ntraffic_scale = 8")
        .replace(
            "instance_type = \"t3.small\"",
            "instance_type = \"t3.small\"\ns3_gateway_endpoint = true",
        );
    let with_s3 = base.replace(
        "[[candidate]]\nname = \"natgw\"",
        "[[workload]]\nname = \"s3\"\nmonthly_gb = 20000\nrequest_bytes = \"1KB\"\nresponse_bytes = \"10MB\"\nendpoint_share = 1.0\n\n[[candidate]]\nname = \"natgw\"",
    );
    let count_fix = |text: &str| {
        let (_, result) = run(text);
        let s = by_name(&result, "small-nat");
        assert!(!s.meets_slo);
        let text = s.misses_with_causes();
        let at = text.find("count = ").expect("a count fix");
        text[at..].split(')').next().unwrap().to_string()
    };
    assert_eq!(count_fix(&base), count_fix(&with_s3));
}
