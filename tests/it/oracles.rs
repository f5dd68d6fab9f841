//! Closed-form oracles (docs/model.md, "Validation"): Erlang B, M/G/1 processor sharing, Little's law and
//! conservation of bytes. Each runs several seeds and states its tolerance.

use crate::support::{erlang_b, metric, run};
use natsim::results::summary::Metric;

/// Connections to one destination through a NAT gateway form an M/G/c/c loss system with
/// c = ips × ports_per_ip: the refused fraction is Erlang B, whatever the holding-time law.
pub(crate) fn erlang_scenario(
    seed: u64,
    ports_per_ip: u32,
    rate_per_s: f64,
    hold: &str,
    duration: &str,
    warmup: &str,
) -> String {
    format!(
        r#"
[scenario]
name = "erlang"
duration = "{duration}"
warmup = "{warmup}"
seed = {seed}

[[workload]]
rate_per_s = {rate_per_s}
request_bytes = 0
response_bytes = 0
hold = {hold}
destinations = 1

[[candidate]]
name = "natgw"
kind = "nat_gateway"
ips = 1
ports_per_ip = {ports_per_ip}
"#
    )
}

pub(crate) fn mean_blocking(seeds: std::ops::Range<u64>, make: impl Fn(u64) -> String) -> f64 {
    let n = seeds.end - seeds.start;
    seeds
        .map(|seed| {
            let (_, result) = run(&make(seed));
            let refused = metric(&result, "natgw", Metric::FailPortAllocation);
            assert_eq!(refused, metric(&result, "natgw", Metric::ConnFailed));
            metric(&result, "natgw", Metric::ConnFailRate)
        })
        .sum::<f64>()
        / n as f64
}

#[test]
fn erlang_b_at_55000_ports_per_destination() {
    // 1,000 connections/s held 60 s on average = 60,000 erlangs on 55,000 ports.
    assert!(
        (erlang_b(60_000.0, 55_000) - 0.083516).abs() < 1e-5,
        "oracle itself"
    );
    assert!(
        (erlang_b(55_000.0, 55_000) - 0.0033945).abs() < 1e-6,
        "oracle itself"
    );
    // The gateway cuts connections idle for 350 s, so the exponential hold is truncated there:
    // mean held time = 60 s × (1 − e^(−350/60)).
    let mean_hold_s = 60.0 * (1.0 - (-350.0f64 / 60.0).exp());
    let expected = erlang_b(1000.0 * mean_hold_s, 55_000);
    let hold = r#"{ dist = "exponential", mean = "60s" }"#;
    let observed = mean_blocking(1..4, |seed| {
        erlang_scenario(seed, 55_000, 1000.0, hold, "40m", "10m")
    });
    eprintln!("erlang B c=55000: observed {observed:.5}, expected {expected:.5}");
    // Tolerance 4 % relative over three seeds: blocking is correlated over a holding time, so
    // 30 minutes of window give about 30 independent looks per seed.
    assert!(
        (observed / expected - 1.0).abs() < 0.04,
        "observed {observed}, Erlang B {expected}"
    );
}

#[test]
fn erlang_b_at_ten_ports_is_insensitive_to_the_holding_time_law() {
    let expected = erlang_b(10.0, 10);
    assert!((expected - 0.214582).abs() < 1e-6);
    for hold in [
        r#"{ dist = "exponential", mean = "10s" }"#,
        r#"{ dist = "lognormal", mean = "10s", cv = 2.0 }"#,
        r#""10s""#,
    ] {
        let observed = mean_blocking(1..5, |seed| {
            erlang_scenario(seed, 10, 1.0, hold, "30000s", "1000s")
        });
        eprintln!("erlang B c=10, hold {hold}: observed {observed:.5}, expected {expected:.5}");
        // 4 seeds × ~29,000 arrivals: standard error ≈ 1 %; tolerance 4 % relative.
        assert!(
            (observed / expected - 1.0).abs() < 0.04,
            "hold {hold}: observed {observed}, Erlang B {expected}"
        );
    }
}

/// A fixed 1 Gbps NAT instance with no per-flow cap and no credits, fed Poisson flows: an
/// M/G/1 processor-sharing queue. Mean completion time = E[S] / (1 − ρ) for any size law.
fn processor_sharing_scenario(seed: u64, load: f64, size: &str) -> String {
    let mean_size_bytes = 1e6;
    let service_s = mean_size_bytes * 8.0 / 1e9;
    let rate = load / service_s;
    format!(
        r#"
[scenario]
name = "mg1ps"
duration = "2h"
warmup = "5m"
seed = {seed}

[[workload]]
rate_per_s = {rate}
request_bytes = 0
response_bytes = {size}
rate_cap = "1000Gbps"
destinations = 1000

[[candidate]]
name = "fixed"
kind = "nat_instance"
instance_type = "c6gn.xlarge"
baseline_gbps = 1
burst_gbps = 1
internet_cap_gbps = 1
pps_limit = 1e12
conntrack_max = 10000000
random_failures = false
"#
    )
}

/// Mean completion time over three seeds and the M/G/1-PS value, E[S] / (1 − ρ), in seconds.
pub(crate) fn processor_sharing(load: f64, size: &str) -> (f64, f64) {
    let service_s = 1e6 * 8.0 / 1e9;
    let expected = service_s / (1.0 - load);
    let seeds = 1..4u64;
    let observed: f64 = seeds
        .clone()
        .map(|seed| {
            metric(
                &run(&processor_sharing_scenario(seed, load, size)).1,
                "fixed",
                Metric::FctMeanS,
            )
        })
        .sum::<f64>()
        / seeds.count() as f64;
    (observed, expected)
}

fn check_processor_sharing(load: f64, size: &str, tolerance: f64) {
    let (observed, expected) = processor_sharing(load, size);
    eprintln!(
        "M/G/1-PS load {load}, size {size}: observed {observed:.5} s, expected {expected:.5} s"
    );
    assert!(
        (observed / expected - 1.0).abs() < tolerance,
        "load {load}, size {size}: mean FCT {observed:.5} s, M/G/1-PS {expected:.5} s"
    );
}

#[test]
fn mg1_processor_sharing_exponential_sizes() {
    let exponential = r#"{ dist = "exponential", mean = "1MB" }"#;
    check_processor_sharing(0.5, exponential, 0.03);
    check_processor_sharing(0.8, exponential, 0.05);
}

#[test]
fn mg1_processor_sharing_pareto_sizes() {
    // Pareto with shape 2.5: finite variance, heavy tail; the mean must not move.
    let pareto = r#"{ dist = "pareto", mean = "1MB", shape = 2.5 }"#;
    check_processor_sharing(0.5, pareto, 0.04);
    check_processor_sharing(0.8, pareto, 0.08);
}

/// (candidate, mean open connections L, arrival rate × mean time held λW) for a NAT gateway and a
/// t4g.nano carrying the same connections.
pub(crate) fn littles_law() -> Vec<(String, f64, f64)> {
    let text = r#"
[scenario]
name = "little"
duration = "2h"
warmup = "10m"
seed = 5

[[workload]]
rate_per_s = 50
request_bytes = "2KB"
response_bytes = { dist = "lognormal", mean = "500KB", cv = 1.5 }
hold = { dist = "lognormal", mean = "20s", cv = 1.0 }
destinations = 100

[[candidate]]
name = "natgw"
kind = "nat_gateway"

[[candidate]]
name = "nano"
kind = "nat_instance"
instance_type = "t4g.nano"
conntrack_max = 1000000
random_failures = false
"#;
    let (scenario, result) = run(text);
    let window_s = (scenario.duration_ns - scenario.warmup_ns) as f64 / 1e9;
    result
        .summaries
        .iter()
        .map(|summary| {
            let arrival_rate =
                (summary.get(Metric::ConnAttempts) - summary.get(Metric::ConnFailed)) / window_s;
            let little = arrival_rate * summary.get(Metric::SojournMeanS);
            (
                summary.name.clone(),
                summary.get(Metric::OpenConnMean),
                little,
            )
        })
        .collect()
}

#[test]
fn littles_law_holds_for_open_connections() {
    for (name, observed, little) in littles_law() {
        eprintln!("Little {name}: L {observed:.2}, lambda W {little:.2}");
        assert!(
            (observed / little - 1.0).abs() < 0.02,
            "{name}: L = {observed:.1}, λW = {little:.1}"
        );
    }
}

#[test]
fn bytes_are_conserved_with_drops_and_transfers_in_flight() {
    // UDP beyond a small instance's capacity (drops) next to TCP that slows down (in flight at
    // the end): offered = delivered + dropped + in flight, for every candidate.
    let text = r#"
[scenario]
name = "conservation"
duration = "20m"
warmup = "2m"
seed = 9

[[workload]]
name = "video"
protocol = "udp"
rate_per_s = 5
request_bytes = "10KB"
response_bytes = { dist = "exponential", mean = "50MB" }
rate_cap = "200Mbps"

[[workload]]
name = "downloads"
rate_per_s = 20
request_bytes = "1KB"
response_bytes = { dist = "pareto", mean = "20MB", shape = 1.5 }

[[candidate]]
name = "natgw"
kind = "nat_gateway"

[[candidate]]
name = "small"
kind = "nat_instance"
instance_type = "t4g.micro"
burst_minutes = 1
random_failures = false
"#;
    let (_, result) = run(text);
    for s in &result.summaries {
        crate::support::assert_bytes_conserved(s);
        assert!(s.get(Metric::OfferedGb) > 0.0);
    }
    let small = crate::support::by_name(&result, "small");
    assert!(
        small.get(Metric::DroppedGb) > 0.0,
        "UDP beyond capacity must lose bytes"
    );
    assert!(
        small.get(Metric::InFlightGb) > 0.0,
        "TCP backlog must remain in flight"
    );
    assert!(
        small.credits_exhausted_at_s.is_some(),
        "a one-minute bucket must run dry"
    );
}
