//! `natsim run --export-infracost usage.yml [--candidate NAME]`: infracost's usage keys, whose
//! figures times the region's prices are summary.csv's monthly cost lines.

use crate::support::{
    assert_ok, column, column_index, csv_rows, path, read, run_cli, scratch, stderr, write_file,
};
use std::collections::BTreeMap;
use std::path::Path;

/// Clients in two AZs; a single NAT gateway in "a" (b's traffic crosses an AZ), one per AZ,
/// a NAT instance, and NAT gateways with two interface endpoints.
const TWO_AZS: &str = r#"
[scenario]
name = "infracost"
duration = "30m"
warmup = "2m"

[[workload]]
name = "a"
az = "a"
rate_per_s = 20
request_bytes = "50KB"
response_bytes = "200KB"
aws_services = { sts = 0.2 }

[[workload]]
name = "b"
az = "b"
rate_per_s = 10
request_bytes = "50KB"
response_bytes = "200KB"
aws_services = { logs = 0.1 }

[[candidate]]
name = "natgw"
kind = "nat_gateway"
az = "a"

[[candidate]]
name = "natgw-per-az"
kind = "nat_gateway"
per_az = true

[[candidate]]
name = "instance"
kind = "nat_instance"
instance_type = "c6gn.medium"
per_az = true

[[candidate]]
name = "natgw-endpoints"
kind = "nat_gateway"
per_az = true
interface_endpoints = ["sts", "logs"]
"#;

/// The usage file as `section.resource.key` → value (its own small YAML: two-space nesting,
/// `key: value # comment`).
fn usage_keys(text: &str) -> BTreeMap<String, String> {
    let mut keys = BTreeMap::new();
    let mut path: Vec<String> = Vec::new();
    for line in text.lines().filter(|l| !l.trim_start().starts_with('#')) {
        let depth = (line.len() - line.trim_start().len()) / 2;
        let (key, value) = line.trim().split_once(':').expect("key: value");
        path.truncate(depth);
        let value = value.split(" #").next().unwrap().trim();
        if value.is_empty() {
            path.push(key.to_string());
        } else {
            let mut full = path.clone();
            full.push(key.to_string());
            keys.insert(full.join("."), value.trim_matches('"').to_string());
        }
    }
    keys
}

fn export(dir: &Path, scenario: &Path, usage: &Path, extra: &[&str]) -> std::process::Output {
    let out = dir.join("out");
    let mut args = vec![
        "run",
        path(scenario),
        "--out",
        path(&out),
        "--export-infracost",
        path(usage),
    ];
    args.extend_from_slice(extra);
    run_cli(&args)
}

#[test]
fn usage_figures_times_prices_are_the_summarys_monthly_lines() {
    let dir = scratch("infracost");
    let scenario = write_file(&dir, "two-azs.toml", TWO_AZS);
    let (header, rows) = {
        let usage = dir.join("natgw.yml");
        assert_ok(&export(&dir, &scenario, &usage, &["--candidate", "natgw"]));
        csv_rows(&read(&dir.join("out/summary.csv")))
    };
    let month = |row: usize, name: &str| column(&header, &rows[row], name);
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-5 * b.abs().max(1e-9);
    let keys = |candidate: &str| {
        let usage = dir.join(format!("{candidate}.yml"));
        assert_ok(&export(
            &dir,
            &scenario,
            &usage,
            &["--candidate", candidate],
        ));
        usage_keys(&read(&usage))
    };
    let number = |keys: &BTreeMap<String, String>, key: &str| -> f64 {
        keys.get(key)
            .unwrap_or_else(|| panic!("{key} missing from {keys:?}"))
            .parse()
            .unwrap()
    };

    let natgw = keys("natgw");
    assert_eq!(natgw["version"], "0.1");
    assert_eq!(
        natgw["resource_usage.aws_data_transfer.natsim.region"],
        "us-east-1"
    );
    let processed = number(
        &natgw,
        "resource_type_default_usage.aws_nat_gateway.monthly_data_processed_gb",
    );
    let outbound = number(
        &natgw,
        "resource_usage.aws_data_transfer.natsim.monthly_outbound_internet_gb",
    );
    let intra = number(
        &natgw,
        "resource_usage.aws_data_transfer.natsim.monthly_intra_region_gb",
    );
    // us-east-1: $0.045/GB processed, $0.01/GB on each side of an AZ, $0.09/GB out below 10 TB.
    assert!(
        close(processed * 0.045, month(0, "monthly_processing_usd")),
        "{processed}"
    );
    assert!(intra > 0.0, "workload b crosses to the gateway in a");
    assert!(
        close(intra * 2.0 * 0.01, month(0, "monthly_cross_az_usd")),
        "{intra}"
    );
    assert!(outbound < 10_240.0);
    assert!(
        close(outbound * 0.09, month(0, "monthly_transfer_usd")),
        "{outbound}"
    );

    assert!(
        !natgw
            .contains_key("resource_type_default_usage.aws_vpc_endpoint.monthly_data_processed_gb")
    );
    // Two interface endpoints: infracost applies the default to each.
    let endpoints = keys("natgw-endpoints");
    let per_endpoint = number(
        &endpoints,
        "resource_type_default_usage.aws_vpc_endpoint.monthly_data_processed_gb",
    );
    assert!(per_endpoint > 0.0);
    assert!(
        close(
            per_endpoint * 2.0 * 0.01,
            month(3, "monthly_endpoint_processing_usd")
        ),
        "{per_endpoint}"
    );

    // One gateway per AZ: infracost applies the default to each of the two.
    let per_az = keys("natgw-per-az");
    let each = number(
        &per_az,
        "resource_type_default_usage.aws_nat_gateway.monthly_data_processed_gb",
    );
    assert!(
        close(each * 2.0 * 0.045, month(1, "monthly_processing_usd")),
        "{each}"
    );
    assert_eq!(
        number(
            &per_az,
            "resource_usage.aws_data_transfer.natsim.monthly_intra_region_gb"
        ),
        0.0
    );
    // A NAT instance processes nothing a NAT gateway bills; its egress is the same traffic.
    let instance = keys("instance");
    assert_eq!(
        number(
            &instance,
            "resource_type_default_usage.aws_nat_gateway.monthly_data_processed_gb"
        ),
        0.0
    );
    let instance_out = number(
        &instance,
        "resource_usage.aws_data_transfer.natsim.monthly_outbound_internet_gb",
    );
    assert!(close(instance_out * 0.09, month(2, "monthly_transfer_usd")));

    // Without --candidate: the recommended one.
    let usage = dir.join("recommended.yml");
    assert_ok(&export(&dir, &scenario, &usage, &[]));
    let recommended = rows
        .iter()
        .position(|r| r[column_index(&header, "recommended")] == "true")
        .expect("a candidate is recommended");
    let name = &rows[recommended][column_index(&header, "candidate")];
    let text = read(&usage);
    assert!(text.contains(&format!("candidate \"{name}\"")), "{text}");
    assert!(text.contains("the recommended one"), "{text}");
}

#[test]
fn bad_export_flags_are_refused_before_anything_is_written() {
    let dir = scratch("infracost-bad");
    let scenario = write_file(&dir, "two-azs.toml", TWO_AZS);
    let usage = dir.join("usage.yml");
    let output = export(&dir, &scenario, &usage, &["--candidate", "natgww"]);
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(
        message.contains("--candidate") && message.contains("natgw, natgw-per-az, instance"),
        "{message}"
    );
    assert!(!usage.exists() && !dir.join("out").exists());
    // --candidate needs --export-infracost; a batch has no one design to export.
    let output = run_cli(&["run", path(&scenario), "--candidate", "natgw"]);
    assert_eq!(output.status.code(), Some(2));
    let output = run_cli(&[
        "run",
        path(&scenario),
        path(&scenario),
        "--export-infracost",
        path(&usage),
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("one scenario file"));
    assert!(!usage.exists());
}
