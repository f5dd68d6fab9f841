//! Cost identities: every cost line in summary.csv equals its billed usage times its price, the
//! EBS volumes and interface endpoints of issue 14 included.

use crate::support::{column, csv_rows, read, run_file, scratch, write_file};

const SCENARIO: &str = r#"
[scenario]
name = "cost-identities"
region = "us-east-1"
duration = "90m"
warmup = "0s"
seed = 3

[[workload]]
name = "same-az"
az = "a"
rate_per_s = 20
request_bytes = "100KB"
response_bytes = "1MB"
aws_services = { sts = 0.2 }
ipv6_share = 0.5

[[workload]]
name = "other-az"
az = "b"
rate_per_s = 10
request_bytes = "50KB"
response_bytes = "2MB"

[[candidate]]
name = "natgw"
kind = "nat_gateway"
az = "a"
ips = 2

[[candidate]]
name = "instances"
kind = "nat_instance"
az = "a"
instance_type = "c6gn.medium"
count = 2

[[candidate]]
name = "natgw-options"
kind = "nat_gateway"
az = "a"
ips = 2
interface_endpoints = ["sts"]
egress_only_igw = true
"#;

/// us-east-1 egress tiers (aws-facts.md §2): 0.09 to 10 TB, 0.085 to 50 TB, 0.07 to 150 TB, 0.05.
fn tiered_egress_usd(gb: f64) -> f64 {
    let tiers = [
        (10240.0, 0.09),
        (51200.0, 0.085),
        (153600.0, 0.07),
        (f64::INFINITY, 0.05),
    ];
    let (mut left, mut start, mut total) = (gb, 0.0, 0.0);
    for (end, price) in tiers {
        let take = left.min(end - start);
        total += take * price;
        left -= take;
        start = end;
    }
    total
}

fn close(a: f64, b: f64) -> bool {
    // CSV numbers carry six significant digits.
    (a - b).abs() <= 2e-5 * a.abs().max(b.abs()).max(1e-3)
}

#[test]
fn every_cost_line_is_usage_times_price() {
    let dir = scratch("cost-identities");
    let file = write_file(&dir, "scenario.toml", SCENARIO);
    run_file(&file, &dir);
    let (header, rows) = csv_rows(&read(&dir.join("summary.csv")));
    assert_eq!(rows.len(), 3);
    for row in &rows {
        let get = |name: &str| column(&header, row, name);
        let candidate = &row[1];
        let gateway = candidate.starts_with("natgw");
        let (hourly, per_gb, ips) = if gateway {
            (0.045, 0.045, 2.0)
        } else {
            (0.0432, 0.0, 2.0)
        };
        let hours = 1.5;
        // Partial NAT gateway hours bill as full hours; instances bill per second, two of them.
        let expected_device_hours = if gateway { 2.0 } else { 2.0 * hours };
        assert!(
            close(get("billed_device_hours"), expected_device_hours),
            "{candidate} device hours"
        );
        assert!(
            close(get("cost_fixed_usd"), get("billed_device_hours") * hourly),
            "{candidate} fixed"
        );
        assert!(
            close(
                get("cost_processing_usd"),
                get("billed_processed_gb") * per_gb
            ),
            "{candidate} processing"
        );
        assert!(
            close(get("billed_ipv4_hours"), ips * hours),
            "{candidate} ipv4 hours"
        );
        assert!(
            close(get("cost_ipv4_usd"), get("billed_ipv4_hours") * 0.005),
            "{candidate} ipv4"
        );
        assert!(
            close(
                get("cost_cross_az_usd"),
                get("billed_cross_az_gb") * 2.0 * 0.01
            ),
            "{candidate} cross-AZ"
        );
        let monthly_egress_gb = get("billed_egress_gb") * 730.0 / hours;
        let rate = tiered_egress_usd(monthly_egress_gb) / monthly_egress_gb;
        assert!(
            close(get("cost_transfer_usd"), get("billed_egress_gb") * rate),
            "{candidate} transfer"
        );
        // Two instances, each with fck-nat's 8 GB gp3 volume at $0.08 per GB-month.
        let volume_gb = if gateway { 0.0 } else { 2.0 * 8.0 };
        assert!(
            close(get("billed_storage_gb_months"), volume_gb * hours / 730.0),
            "{candidate} storage GB-months"
        );
        assert!(
            close(
                get("cost_storage_usd"),
                get("billed_storage_gb_months") * 0.08
            ),
            "{candidate} storage"
        );
        assert!(close(get("monthly_storage_usd"), volume_gb * 0.08));
        // One endpoint (sts) in each of the two AZs with clients, partial hours billed in full.
        let endpoint_azs = if candidate == "natgw-options" {
            2.0
        } else {
            0.0
        };
        assert!(
            close(get("billed_endpoint_hours"), endpoint_azs * 2.0),
            "{candidate} endpoint hours"
        );
        assert!(
            close(
                get("cost_endpoint_hours_usd"),
                get("billed_endpoint_hours") * 0.01
            ),
            "{candidate} endpoint hours"
        );
        assert!(close(
            get("monthly_endpoint_hours_usd"),
            endpoint_azs * 730.0 * 0.01
        ));
        // Far below 1 PB a month: the first tier's $0.01 per GB.
        assert!(
            close(
                get("cost_endpoint_processing_usd"),
                get("billed_endpoint_gb") * 0.01
            ),
            "{candidate} endpoint processing"
        );
        assert_eq!(endpoint_azs > 0.0, get("billed_endpoint_gb") > 0.0);
        let lines = [
            "cost_fixed_usd",
            "cost_standby_usd",
            "cost_processing_usd",
            "cost_transfer_usd",
            "cost_cross_az_usd",
            "cost_ipv4_usd",
            "cost_storage_usd",
            "cost_endpoint_hours_usd",
            "cost_endpoint_processing_usd",
        ];
        assert!(
            close(get("cost_total_usd"), lines.iter().map(|l| get(l)).sum()),
            "{candidate} total"
        );
        let monthly_lines = [
            "monthly_fixed_usd",
            "monthly_standby_usd",
            "monthly_processing_usd",
            "monthly_transfer_usd",
            "monthly_cross_az_usd",
            "monthly_ipv4_usd",
            "monthly_storage_usd",
            "monthly_endpoint_hours_usd",
            "monthly_endpoint_processing_usd",
        ];
        assert!(
            close(
                get("cost_monthly_usd"),
                monthly_lines.iter().map(|l| get(l)).sum()
            ),
            "{candidate} monthly"
        );
        assert!(close(
            get("monthly_fixed_usd"),
            730.0 * hourly * if gateway { 1.0 } else { 2.0 }
        ));
        assert!(
            close(
                get("monthly_transfer_usd"),
                tiered_egress_usd(monthly_egress_gb)
            ),
            "{candidate} monthly transfer"
        );
        // The NAT gateway processes both directions. The clients in AZ b cross to AZ a and back:
        // they offer 10/s × 2.05 MB against AZ a's 20/s × 1.1 MB, so about 48 % of all bytes.
        if candidate == "natgw" {
            assert!(get("billed_processed_gb") > get("billed_egress_gb"));
            let share = get("billed_cross_az_gb") / get("billed_processed_gb");
            assert!((0.44..0.52).contains(&share), "cross-AZ share {share}");
        }
        assert!(get("billed_cross_az_gb") > 0.0);
    }
}
