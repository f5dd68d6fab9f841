//! Issue 3's models: internet gateway, gateway-endpoint offload, instance failures and failover.

use crate::support::{by_name, run};
use natsim::results::summary::Metric;

#[test]
fn internet_gateway_bills_one_public_ip_per_client_and_nothing_else() {
    let text = r#"
[scenario]
name = "igw"
duration = "90m"

[[workload]]
name = "web"
clients = 4
rate_per_s = 20
response_bytes = "100KB"

[[workload]]
name = "batch"
clients = 2
client_instance_type = "t4g.nano"
rate_per_s = 5
request_bytes = "1MB"

[[candidate]]
name = "igw"
kind = "internet_gateway"
"#;
    let (_, result) = run(text);
    let igw = by_name(&result, "igw");
    let hours = 1.5;
    assert_eq!(igw.get(Metric::BilledIpv4Hours), 6.0 * hours);
    assert!((igw.get(Metric::CostIpv4Usd) - 6.0 * hours * 0.005).abs() < 1e-12);
    assert_eq!(igw.get(Metric::CostFixedUsd), 0.0);
    assert_eq!(igw.get(Metric::CostProcessingUsd), 0.0);
    assert!(igw.get(Metric::CostTransferUsd) > 0.0);
    assert_eq!(igw.get(Metric::ConnFailed), 0.0);
    assert!(igw.get(Metric::OutGb) > 0.0);
}

#[test]
fn a_gateway_endpoint_bypasses_processing_and_the_device() {
    let text = |endpoint: bool| {
        format!(
            r#"
[scenario]
name = "endpoint"
duration = "1h"
seed = 4

[[workload]]
rate_per_s = 50
request_bytes = "10KB"
response_bytes = "500KB"
endpoint_share = 0.5

[[candidate]]
name = "natgw"
kind = "nat_gateway"
s3_gateway_endpoint = {endpoint}
"#
        )
    };
    let (_, without) = run(&text(false));
    let (_, with) = run(&text(true));
    let (without, with) = (by_name(&without, "natgw"), by_name(&with, "natgw"));
    // Same arrivals (common random numbers), so the same bytes are offered.
    assert_eq!(without.get(Metric::OfferedGb), with.get(Metric::OfferedGb));
    assert_eq!(without.get(Metric::EndpointGb), 0.0);
    let share = with.get(Metric::EndpointGb) / with.get(Metric::OfferedGb);
    assert!((share - 0.5).abs() < 0.03, "endpoint share {share}");
    let processed_ratio =
        with.get(Metric::BilledProcessedGb) / without.get(Metric::BilledProcessedGb);
    assert!(
        (processed_ratio - 0.5).abs() < 0.03,
        "processed ratio {processed_ratio}"
    );
    assert!(with.get(Metric::CostMonthlyUsd) < without.get(Metric::CostMonthlyUsd));
    // And past the device's bandwidth: only the internet half crossed the gateway's links.
    let device_ratio = with.get(Metric::MeanGbps) / without.get(Metric::MeanGbps);
    assert!(
        (device_ratio - 0.5).abs() < 0.03,
        "device throughput ratio {device_ratio}"
    );
    // S3 traffic pays no internet egress either way: only the internet half is billed.
    let egress_ratio = without.get(Metric::BilledEgressGb) / (without.get(Metric::OutGb));
    assert!(
        egress_ratio < 0.6,
        "egress must exclude S3-bound bytes: {egress_ratio}"
    );
}

/// One instance, arrivals only in the first hour, every connection held open for two hours: at a
/// failure after that hour every admitted connection is open, so all of them must be reset.
fn failure_scenario(failover: &str, recovery: &str) -> String {
    format!(
        r#"
[scenario]
name = "failure"
duration = "3h"
seed = 8

[[workload]]
rate_per_s = 2
profile = [1, 0, 0]
request_bytes = "1KB"
response_bytes = "20KB"
hold = "2h"

[[candidate]]
name = "nat"
kind = "nat_instance"
instance_type = "c6gn.medium"
failover = "{failover}"
{recovery}
random_failures = false

[[event]]
kind = "instance_failure"
candidate = "nat"
at = "90m"
"#
    )
}

#[test]
fn a_scheduled_failure_resets_every_open_connection_and_costs_its_recovery_time() {
    let (_, result) = run(&failure_scenario("asg_replace", "recovery_time = \"300s\""));
    let nat = by_name(&result, "nat");
    let admitted = nat.get(Metric::ConnAttempts) - nat.get(Metric::ConnFailed);
    assert!(admitted > 6000.0);
    assert_eq!(
        nat.get(Metric::ConnReset),
        admitted,
        "every open connection is reset"
    );
    assert_eq!(nat.get(Metric::OutageS), 300.0);
    let expected = 1.0 - 300.0 / (3.0 * 3600.0);
    assert!((nat.get(Metric::Availability) - expected).abs() < 1e-12);
    assert_eq!(
        nat.get(Metric::FailOutage),
        0.0,
        "no arrivals during the outage"
    );
}

#[test]
fn failover_modes_set_the_outage_and_a_standby_doubles_instance_hours() {
    let (_, none) = run(&failure_scenario("none", ""));
    let (_, standby) = run(&failure_scenario("standby_instance", ""));
    let (none, standby) = (by_name(&none, "nat"), by_name(&standby, "nat"));
    assert_eq!(
        none.get(Metric::OutageS),
        90.0 * 60.0,
        "never replaced: down to the end"
    );
    assert_eq!(
        standby.get(Metric::OutageS),
        6.0,
        "the assumed 6 s takeover"
    );
    assert_eq!(standby.get(Metric::BilledDeviceHours), 2.0 * 3.0);
}

#[test]
fn runs_with_random_failures_are_deterministic() {
    let text = r#"
[scenario]
name = "random-failures"
duration = "4h"
seed = 21

[[workload]]
rate_per_s = 20
response_bytes = { dist = "exponential", mean = "200KB" }
hold = { dist = "exponential", mean = "30s" }

[[candidate]]
name = "nat"
kind = "nat_instance"
instance_type = "t4g.small"
count = 2
mtbf = "1h"

[slo]
min_availability = 0.9999
"#;
    let (_, first) = run(text);
    let (_, second) = run(text);
    let (a, b) = (by_name(&first, "nat"), by_name(&second, "nat"));
    assert_eq!(a.values, b.values);
    assert!(a.get(Metric::ConnReset) > 0.0 && a.get(Metric::OutageS) > 0.0);
    assert!(!a.meets_slo, "{:?}", a.slo_failures);
    assert!(a.slo_failures.iter().any(|f| f.contains("availability")));
}

#[test]
fn per_az_deploys_one_device_per_client_az_and_removes_cross_az_charges() {
    let text = r#"
[scenario]
name = "per-az"
duration = "1h"
seed = 2

[[workload]]
name = "a"
az = "a"
rate_per_s = 30
response_bytes = "200KB"

[[workload]]
name = "b"
az = "b"
rate_per_s = 10
response_bytes = "200KB"

[[candidate]]
name = "shared"
kind = "nat_gateway"
az = "a"

[[candidate]]
name = "per-az"
kind = "nat_gateway"
per_az = true
"#;
    let (_, result) = run(text);
    let (shared, per_az) = (by_name(&result, "shared"), by_name(&result, "per-az"));
    assert_eq!(shared.get(Metric::BilledDeviceHours), 1.0);
    assert_eq!(
        per_az.get(Metric::BilledDeviceHours),
        2.0,
        "one gateway in each of a and b"
    );
    assert_eq!(per_az.get(Metric::BilledIpv4Hours), 2.0);
    assert_eq!(per_az.get(Metric::BilledCrossAzGb), 0.0);
    // Shared: workload b's bytes cross to AZ a and back, a quarter of everything here, and each
    // GB that crosses pays $0.01 on each side.
    let share = shared.get(Metric::BilledCrossAzGb) / shared.get(Metric::BilledProcessedGb);
    assert!((share - 0.25).abs() < 0.02, "cross-AZ share {share}");
    let expected = shared.get(Metric::BilledCrossAzGb) * 2.0 * 0.01;
    assert!((shared.get(Metric::CostCrossAzUsd) - expected).abs() < 1e-12);
}

const AZ_OUTAGE: &str = r#"
[scenario]
name = "az-outage"
duration = "2h"
seed = 6

[[workload]]
name = "in-a"
az = "a"
rate_per_s = 20
response_bytes = "50KB"

[[workload]]
name = "in-b"
az = "b"
rate_per_s = 20
response_bytes = "50KB"

[[candidate]]
name = "shared-in-a"
kind = "nat_gateway"
az = "a"

[[candidate]]
name = "per-az"
kind = "nat_gateway"
per_az = true

[[event]]
kind = "az_outage"
az = "a"
at = "30m"
for = "20m"
"#;

#[test]
fn an_az_outage_cuts_the_clients_routed_through_it_but_not_a_per_az_layout() {
    let (_, result) = run(AZ_OUTAGE);
    let (shared, per_az) = (by_name(&result, "shared-in-a"), by_name(&result, "per-az"));
    // AZ a's own clients are down too, so only AZ b's half of the traffic lost its egress:
    // 1,200 s weighted by its share of the arrivals.
    assert_eq!(shared.get(Metric::OutageS), 600.0);
    assert!((shared.get(Metric::Availability) - (1.0 - 600.0 / 7200.0)).abs() < 1e-12);
    let refused = shared.get(Metric::FailOutage);
    assert!(
        (refused / (20.0 * 1200.0) - 1.0).abs() < 0.05,
        "AZ b's arrivals during the outage: {refused}"
    );
    assert_eq!(per_az.get(Metric::OutageS), 0.0);
    assert_eq!(per_az.get(Metric::FailOutage), 0.0);
    // Both lose AZ a's arrivals during the outage (its clients are down), the same for both.
    assert_eq!(
        shared.get(Metric::ConnAttempts),
        per_az.get(Metric::ConnAttempts)
    );
}

/// AZ b's clients go through a NAT gateway in AZ a; AZ b goes down for 20 minutes.
const CLIENTS_DOWN: &str = r#"
[scenario]
name = "clients-down"
duration = "1h"
warmup = "5m"
seed = 8

[[workload]]
name = "in-a"
az = "a"
rate_per_s = 10
response_bytes = "1MB"

[[workload]]
name = "in-b"
az = "b"
rate_per_s = 10
response_bytes = "10MB"
rate_cap = "100Mbps"
hold = { dist = "exponential", mean = "60s" }

[[candidate]]
name = "natgw-in-a"
kind = "nat_gateway"
az = "a"

[[event]]
kind = "az_outage"
az = "b"
at = "30m"
for = "20m"
"#;

#[test]
fn clients_going_down_end_their_connections_through_a_gateway_elsewhere() {
    let (_, result) = run(CLIENTS_DOWN);
    let s = &result.summaries[0];
    // Little's law: AZ b holds 10/s × (0.84 s transfer + 60 s hold) ≈ 608 connections open when
    // its clients go down; every one ends there, though the gateway in AZ a never failed.
    let resets = s.get(Metric::ConnReset);
    assert!((resets / 608.0 - 1.0).abs() < 0.15, "resets {resets}");
    assert_eq!(s.get(Metric::FailOutage), 0.0, "AZ a's gateway stays up");
    // The transfers cut short are lost bytes, and every byte is still accounted for.
    crate::support::assert_bytes_conserved(s);
    assert!(s.get(Metric::DroppedGb) > 0.0);
    // While AZ b is down the gateway carries AZ a's 10/s × 1 MB ≈ 0.08 Gbps only, against
    // 0.92 Gbps with both: the cut flows left the link at once.
    let minute = |m: usize| result.runs[0].timeseries[m].delivered_bps / 1e9;
    let (before, during) = (minute(25), minute(40));
    assert!((before - 0.92).abs() < 0.15, "before {before}");
    assert!((during - 0.084).abs() < 0.02, "during {during}");
}

fn proxy_scenario(workloads: &str, proxy_keys: &str) -> String {
    format!(
        r#"
[scenario]
name = "proxy"
duration = "20m"
warmup = "1m"
seed = 12

{workloads}

[[candidate]]
name = "squid"
kind = "proxy"
instance_type = "c6gn.large"
conntrack_max = 10000000
{proxy_keys}
"#
    )
}

#[test]
fn a_proxy_refuses_what_is_not_http_and_counts_it() {
    let workloads = r#"
[[workload]]
name = "web"
rate_per_s = 20

[[workload]]
name = "udp"
protocol = "udp"
rate_per_s = 10
"#;
    let (_, result) = run(&proxy_scenario(workloads, "upstream_keepalive = true"));
    let squid = by_name(&result, "squid");
    let unsupported = squid.get(Metric::FailUnsupported);
    // A third of the arrivals are UDP: every one refused, nothing else.
    let share = unsupported / squid.get(Metric::ConnAttempts);
    assert!(
        (share - 1.0 / 3.0).abs() < 0.02,
        "unsupported share {share}"
    );
    assert_eq!(squid.get(Metric::ConnFailed), unsupported);
    assert!(squid.get(Metric::ConnFailRate) > 0.3);
}

#[test]
fn a_proxy_without_pooling_hits_the_resolver_limit() {
    let workloads = r#"
[[workload]]
rate_per_s = 3000
request_bytes = "500B"
response_bytes = "2KB"
destinations = 5000
"#;
    let (_, no_cache) = run(&proxy_scenario(workloads, "dns_cache_hit_ratio = 0.0"));
    let squid = by_name(&no_cache, "squid");
    // 3,000 lookups a second against 1,024 resolver packets a second.
    let refused = squid.get(Metric::FailDns) / squid.get(Metric::ConnAttempts);
    assert!(
        (refused - (1.0 - 1024.0 / 3000.0)).abs() < 0.02,
        "refused by DNS {refused}"
    );
    let (_, pooled) = run(&proxy_scenario(
        workloads,
        "dns_cache_hit_ratio = 0.0\nupstream_keepalive = true",
    ));
    assert_eq!(by_name(&pooled, "squid").get(Metric::FailDns), 0.0);
}

#[test]
fn a_proxys_cpu_queue_shows_in_completion_time() {
    let workloads = r#"
[[workload]]
rate_per_s = 300
request_bytes = 0
response_bytes = "1KB"
"#;
    // Two vCPUs at 200 requests/s each serve 400/s: at 300/s requests queue (M/D/2 at 75 %).
    let (_, slow) = run(&proxy_scenario(
        workloads,
        "requests_per_vcpu = 200\nupstream_keepalive = true",
    ));
    let (_, fast) = run(&proxy_scenario(
        workloads,
        "requests_per_vcpu = 20000\nupstream_keepalive = true",
    ));
    let (slow, fast) = (by_name(&slow, "squid"), by_name(&fast, "squid"));
    // At least the 5 ms service time, plus waiting.
    assert!(
        slow.get(Metric::FctMeanS) > 0.005,
        "{}",
        slow.get(Metric::FctMeanS)
    );
    assert!(
        fast.get(Metric::FctMeanS) < 0.0002,
        "{}",
        fast.get(Metric::FctMeanS)
    );
}

#[test]
fn a_regional_nat_gateway_crosses_azs_until_it_expands() {
    let text = r#"
[scenario]
name = "regional"
duration = "2h"
seed = 9

[[workload]]
name = "a"
az = "a"
rate_per_s = 20
response_bytes = "100KB"

[[workload]]
name = "b"
az = "b"
rate_per_s = 20
response_bytes = "100KB"

[[candidate]]
name = "regional"
kind = "nat_gateway"
mode = "regional"
az = "a"
expansion_delay = "20m"
"#;
    let (_, result) = run(text);
    let regional = by_name(&result, "regional");
    // AZ b's half of the traffic crosses to AZ a for the first 20 of 120 minutes: 1/12 of all.
    let share = regional.get(Metric::BilledCrossAzGb) / regional.get(Metric::BilledProcessedGb);
    assert!((share - 1.0 / 12.0).abs() < 0.01, "cross-AZ share {share}");
    // Home AZ: 2 gateway-hours; AZ b: 100 minutes, billed as 2 full hours.
    assert_eq!(regional.get(Metric::BilledDeviceHours), 4.0);
    let ipv4 = regional.get(Metric::BilledIpv4Hours);
    assert!((ipv4 - (2.0 + 100.0 / 60.0)).abs() < 1e-9, "{ipv4}");
}

#[test]
fn a_nat_gateway_fallback_limits_the_outage_to_detection_and_bills_the_standby() {
    let text = r#"
[scenario]
name = "fallback"
duration = "2h"
seed = 14

[[workload]]
rate_per_s = 10
response_bytes = "100KB"
hold = "30s"

[[candidate]]
name = "alternat"
kind = "nat_instance"
instance_type = "c6gn.medium"
failover = "nat_gateway_fallback"
recovery_time = "300s"
random_failures = false

[[event]]
kind = "instance_failure"
candidate = "alternat"
at = "30m"
"#;
    let (_, result) = run(text);
    let alternat = by_name(&result, "alternat");
    // Clients have no egress only until the route swaps to the gateway (assumed 10 s).
    assert_eq!(alternat.get(Metric::OutageS), 10.0);
    let refused = alternat.get(Metric::FailOutage);
    assert!(
        (50.0..150.0).contains(&refused),
        "about 10 s of arrivals refused: {refused}"
    );
    // The gateway carried the 290 s until the replacement: about 290/7200 of the bytes.
    let processed_share = alternat.get(Metric::BilledProcessedGb) / alternat.get(Metric::OfferedGb);
    assert!(
        (processed_share - 290.0 / 7200.0).abs() < 0.01,
        "processed share {processed_share}"
    );
    // Reset twice: at the failure, and when the route swings back to the new instance.
    assert!(
        alternat.get(Metric::ConnReset) > 300.0,
        "{}",
        alternat.get(Metric::ConnReset)
    );
    assert_eq!(alternat.get(Metric::BilledStandbyGatewayHours), 2.0);
    // The instance's hours and the standby gateway's are lines of their own; the month bills
    // the standby gateway for 730 hours whether it carried anything or not.
    assert!((alternat.get(Metric::CostFixedUsd) - 2.0 * 0.0432).abs() < 1e-9);
    assert!((alternat.get(Metric::CostStandbyUsd) - 2.0 * 0.045).abs() < 1e-9);
    assert!((alternat.get(Metric::MonthlyStandbyUsd) - 730.0 * 0.045).abs() < 1e-9);
    let lines: f64 = [
        Metric::CostFixedUsd,
        Metric::CostStandbyUsd,
        Metric::CostProcessingUsd,
        Metric::CostTransferUsd,
        Metric::CostCrossAzUsd,
        Metric::CostIpv4Usd,
        Metric::CostStorageUsd,
    ]
    .iter()
    .map(|&m| alternat.get(m))
    .sum();
    assert!((alternat.get(Metric::CostTotalUsd) - lines).abs() < 1e-9);
    assert!(
        (alternat.get(Metric::CostProcessingUsd) - alternat.get(Metric::BilledProcessedGb) * 0.045)
            .abs()
            < 1e-9
    );
}

#[test]
fn spot_pricing_discounts_the_instance_and_interrupts_it_more_often() {
    let text = r#"
[scenario]
name = "spot"
duration = "1h"

[[workload]]
rate_per_s = 5

[[candidate]]
name = "on-demand"
kind = "nat_instance"
instance_type = "c6gn.medium"

[[candidate]]
name = "spot"
kind = "nat_instance"
instance_type = "c6gn.medium"
pricing = "spot"
"#;
    let (scenario, result) = run(text);
    let (on_demand, spot) = (by_name(&result, "on-demand"), by_name(&result, "spot"));
    assert!(
        (spot.get(Metric::CostFixedUsd) - 0.4 * on_demand.get(Metric::CostFixedUsd)).abs() < 1e-12
    );
    let mtbf = |name: &str| {
        let candidate = scenario.candidates.iter().find(|c| c.name == name).unwrap();
        candidate
            .assumptions
            .iter()
            .find(|a| a.key == "mtbf")
            .map(|a| a.value.clone())
    };
    assert_eq!(mtbf("spot").as_deref(), Some("720 h"));
    assert_eq!(mtbf("on-demand").as_deref(), Some("8760 h"));
}
