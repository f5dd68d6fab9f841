//! Issue 14's options users ask about next: IPv6 through an egress-only internet gateway,
//! interface VPC endpoints, the NAT instance's EBS volume, and partners that allowlist egress
//! addresses. Each share is a per-connection Bernoulli draw, so with constant sizes its share of
//! the bytes is a binomial proportion: the tolerances below are over four standard deviations.

use crate::support::{by_name, path, run, run_cli_ok, run_cli_stderr, scratch, write_file};
use natsim::io::scenario::parse_scenario;
use natsim::model::objectives::Objective;
use natsim::results::summary::Metric;

fn close(a: f64, b: f64, relative: f64) -> bool {
    (a - b).abs() <= relative * a.abs().max(b.abs()).max(1e-12)
}

/// One workload of constant sizes, 50 new connections a second for an hour (180,000 draws: a
/// share's standard deviation is at most 0.0012), with `routes` added, and `candidates`.
fn scenario(routes: &str, candidates: &str) -> String {
    format!(
        r#"
[scenario]
name = "next-options"
duration = "1h"
seed = 14

[[workload]]
name = "pods"
clients = 6
rate_per_s = 50
request_bytes = "20KB"
response_bytes = "200KB"
{routes}

{candidates}
"#
    )
}

const NATGW: &str = r#"
[[candidate]]
name = "natgw"
kind = "nat_gateway"
"#;

#[test]
fn ipv6_through_an_egress_only_igw_skips_nat_processing_but_still_pays_egress() {
    let dual_stack = r#"
[[candidate]]
name = "natgw-eigw"
kind = "nat_gateway"
egress_only_igw = true
"#;
    // ipv6_share is a share of the internet-bound connections: with 20 % bound for S3 through
    // a gateway endpoint, 0.6 × 0.8 = 48 % of all connections go over IPv6.
    let text = scenario(
        "endpoint_share = 0.2\nipv6_share = 0.6",
        &format!("{NATGW}\ns3_gateway_endpoint = true\n{dual_stack}s3_gateway_endpoint = true\n"),
    );
    let (_, result) = run(&text);
    let (v4, v6) = (by_name(&result, "natgw"), by_name(&result, "natgw-eigw"));
    assert_eq!(v4.get(Metric::OfferedGb), v6.get(Metric::OfferedGb));
    assert_eq!(v4.get(Metric::Ipv6Gb), 0.0);
    let share = v6.get(Metric::Ipv6Gb) / v6.get(Metric::OfferedGb);
    assert!((share - 0.48).abs() < 0.006, "IPv6 share {share}");
    let s3 = v6.get(Metric::EndpointGb) / v6.get(Metric::OfferedGb);
    assert!((s3 - 0.2).abs() < 0.006, "S3 share {s3}");
    // The NAT gateway processes only what is left: 32 % instead of 80 % of the bytes.
    let processed = v6.get(Metric::BilledProcessedGb) / v4.get(Metric::BilledProcessedGb);
    assert!(
        (processed - 0.32 / 0.8).abs() < 0.01,
        "processed {processed}"
    );
    // Internet egress is billed either way (the IPv6 requests leave through the EIGW).
    assert!(
        close(
            v6.get(Metric::BilledEgressGb),
            v4.get(Metric::BilledEgressGb),
            1e-3
        ),
        "egress {} vs {}",
        v6.get(Metric::BilledEgressGb),
        v4.get(Metric::BilledEgressGb)
    );
    assert!(v6.get(Metric::CostProcessingUsd) < 0.45 * v4.get(Metric::CostProcessingUsd));
    assert_eq!(v6.get(Metric::CostEndpointHoursUsd), 0.0);
    assert!(v6.get(Metric::CostMonthlyUsd) < v4.get(Metric::CostMonthlyUsd));
}

#[test]
fn interface_endpoints_take_their_services_off_the_nat_path_and_bill_hours_per_az_and_gb() {
    let text = r#"
[scenario]
name = "endpoints"
duration = "90m"
seed = 15

[[workload]]
name = "nodes-a"
az = "a"
rate_per_s = 40
request_bytes = "5KB"
response_bytes = "100KB"
aws_services = { "ecr.dkr" = 0.3, sts = 0.1 }

[[workload]]
name = "nodes-b"
az = "b"
rate_per_s = 20
request_bytes = "5KB"
response_bytes = "100KB"
aws_services = { logs = 0.2 }

[[candidate]]
name = "natgw"
kind = "nat_gateway"
per_az = true

[[candidate]]
name = "natgw-endpoints"
kind = "nat_gateway"
per_az = true
interface_endpoints = ["ecr.dkr", "logs"]
"#;
    let (_, result) = run(text);
    let (plain, with) = (
        by_name(&result, "natgw"),
        by_name(&result, "natgw-endpoints"),
    );
    // Two endpoints, each with an interface in both AZs with clients, for 2 billed hours.
    assert_eq!(with.get(Metric::BilledEndpointHours), 2.0 * 2.0 * 2.0);
    assert!(close(
        with.get(Metric::CostEndpointHoursUsd),
        8.0 * 0.01,
        1e-12
    ));
    // ecr.dkr: 0.3 of a's 40/s; logs: 0.2 of b's 20/s; sts stays on the NAT path.
    let expected = (0.3 * 40.0 + 0.2 * 20.0) / 60.0;
    let share = with.get(Metric::InterfaceEndpointGb) / with.get(Metric::OfferedGb);
    assert!((share - expected).abs() < 0.008, "endpoint share {share}");
    // No warmup: the window is the whole run, so the billed GB are the bytes the window saw.
    assert!(close(
        with.get(Metric::BilledEndpointGb),
        with.get(Metric::InterfaceEndpointGb),
        1e-9
    ));
    assert!(close(
        with.get(Metric::CostEndpointProcessingUsd),
        with.get(Metric::BilledEndpointGb) * 0.01,
        1e-9
    ));
    // AWS-service traffic never pays internet egress, through the NAT gateway or not.
    assert!(close(
        with.get(Metric::BilledEgressGb),
        plain.get(Metric::BilledEgressGb),
        1e-3
    ));
    let processed = with.get(Metric::BilledProcessedGb) / plain.get(Metric::BilledProcessedGb);
    assert!(
        (processed - (1.0 - expected)).abs() < 0.01,
        "processed {processed}"
    );
    assert_eq!(plain.get(Metric::BilledEndpointHours), 0.0);
    // A month of the same traffic: 2 × 2 endpoint-AZs × 730 h × $0.01 = $29.20 of hours.
    assert!(close(
        with.get(Metric::MonthlyEndpointHoursUsd),
        29.2,
        1e-12
    ));
}

#[test]
fn a_nat_instance_bills_its_ebs_volume_standbys_included() {
    let candidates = r#"
[[candidate]]
name = "fck-nat"
kind = "nat_instance"
instance_type = "c6gn.medium"

[[candidate]]
name = "fck-nat-standby"
kind = "nat_instance"
instance_type = "c6gn.medium"
failover = "standby_instance"

[[candidate]]
name = "fck-nat-2gb"
kind = "nat_instance"
instance_type = "c6gn.medium"
volume_gb = 2

[[candidate]]
name = "natgw"
kind = "nat_gateway"
"#;
    let (_, result) = run(&scenario("", candidates));
    let monthly = |name: &str| by_name(&result, name).get(Metric::MonthlyStorageUsd);
    // fck-nat's module default: 8 GB of gp3 at $0.08 per GB-month is its "$0.64/month".
    assert!(close(monthly("fck-nat"), 0.64, 1e-12));
    assert!(close(monthly("fck-nat-standby"), 1.28, 1e-12));
    assert!(close(monthly("fck-nat-2gb"), 0.16, 1e-12));
    assert_eq!(monthly("natgw"), 0.0);
    let run_hour = by_name(&result, "fck-nat");
    assert!(close(
        run_hour.get(Metric::BilledStorageGbMonths),
        8.0 / 730.0,
        1e-12
    ));
    assert!(close(
        run_hour.get(Metric::CostStorageUsd),
        run_hour.get(Metric::BilledStorageGbMonths) * 0.08,
        1e-12
    ));
}

/// A pipeline uploading to a partner that allowlists addresses, beside pods calling SaaS APIs.
const ALLOWLIST: &str = r#"
[scenario]
name = "allowlist"
duration = "30m"
seed = 16

[slo]
max_egress_ips = 2

[[workload]]
name = "partner-upload"
clients = 20
rate_per_s = 5
request_bytes = "2MB"
response_bytes = "1KB"
allowlisted = true

[[workload]]
name = "saas"
clients = 30
rate_per_s = 50
response_bytes = "50KB"
ipv6_share = 0.7

[[candidate]]
name = "igw"
kind = "internet_gateway"

[[candidate]]
name = "natgw"
kind = "nat_gateway"
ips = 2

[[candidate]]
name = "natgw-eigw"
kind = "nat_gateway"
egress_only_igw = true

[[candidate]]
name = "fck-nat"
kind = "nat_instance"
instance_type = "c6gn.medium"

[[candidate]]
name = "fck-nat-eip"
kind = "nat_instance"
instance_type = "c6gn.medium"
elastic_ip = true

[[candidate]]
name = "fck-nat-alternat"
kind = "nat_instance"
instance_type = "c6gn.medium"
failover = "nat_gateway_fallback"
"#;

#[test]
fn a_partner_allowlist_refuses_options_whose_addresses_are_many_or_move() {
    let (scenario, result) = run(ALLOWLIST);
    assert!(
        scenario
            .slo
            .limit(Objective::MaxEgressIps)
            .value
            .is_some_and(|v| v == 2.0)
    );
    let get = |name: &str| by_name(&result, name);
    let ips = |name: &str| get(name).get(Metric::EgressIps);
    let misses_allowlist = |name: &str| get(name).missed.contains(&Objective::MaxEgressIps);
    // The internet gateway: the partner upload's 20 clients each send from their own address.
    assert_eq!(ips("igw"), 20.0);
    assert!(misses_allowlist("igw"));
    // A NAT gateway with 2 Elastic IPs, and the dual-stack one: only the SaaS calls (not
    // allowlisted) go over IPv6, so the partner sees the gateway's one address.
    assert_eq!(ips("natgw"), 2.0);
    assert!(!misses_allowlist("natgw"));
    assert_eq!(ips("natgw-eigw"), 1.0);
    assert!(!misses_allowlist("natgw-eigw"));
    // fck-nat's module without eip_allocation_ids: a replacement gets a new address.
    assert_eq!(get("fck-nat").get(Metric::EgressIpsFixed), 0.0);
    assert!(misses_allowlist("fck-nat"));
    assert!(!misses_allowlist("fck-nat-eip"));
    // alterNAT: the instance's Elastic IP and the standby gateway's both carry traffic.
    assert_eq!(ips("fck-nat-alternat"), 2.0);
    assert!(!misses_allowlist("fck-nat-alternat"));

    let reason = |name: &str| {
        result
            .verdict
            .reasons
            .iter()
            .find(|(c, _)| result.summaries[*c].name == name)
            .map(|(_, r)| r.clone())
            .unwrap_or_default()
    };
    let igw = reason("igw");
    assert!(
        igw.contains("20 egress addresses to allowlist > 2")
            && igw.contains("each client's own address"),
        "{igw}"
    );
    let fck = reason("fck-nat");
    assert!(
        fck.contains("egress addresses not fixed") && fck.contains("elastic_ip = true"),
        "{fck}"
    );
    assert!(
        by_name(&result, "igw")
            .objectives
            .iter()
            .any(|o| o == "fixed egress addresses to allowlist ≤ 2")
    );
}

#[test]
fn without_allowlisted_workloads_every_workload_counts_and_ipv6_clients_are_addresses() {
    let text = ALLOWLIST.replace("allowlisted = true\n", "");
    let (_, result) = run(&text);
    let get = |name: &str| by_name(&result, name);
    assert_eq!(get("igw").get(Metric::EgressIps), 50.0);
    // The SaaS pods' 30 dual-stack clients now count, beside the gateway's address.
    assert_eq!(get("natgw-eigw").get(Metric::EgressIps), 31.0);
    assert!(get("natgw-eigw").missed.contains(&Objective::MaxEgressIps));
    assert!(
        get("natgw-eigw")
            .misses_with_causes()
            .contains("ipv6_share = 0"),
        "{}",
        get("natgw-eigw").misses_with_causes()
    );
}

#[test]
fn without_max_egress_ips_no_allowlist_is_judged_or_listed() {
    let text = ALLOWLIST.replace("[slo]\nmax_egress_ips = 2\n", "");
    let (_, result) = run(&text);
    for s in &result.summaries {
        assert!(!s.missed.contains(&Objective::MaxEgressIps), "{}", s.name);
        assert!(!s.objectives.iter().any(|o| o.contains("allowlist")));
    }
}

/// The key path, and the problem or hint, of a scenario that must not parse.
fn refused(text: &str) -> (String, String) {
    let e = parse_scenario(text, "bad.toml").expect_err("must be refused");
    (e.key_path.clone(), e.to_string())
}

#[test]
fn bad_option_keys_are_refused_naming_the_key() {
    let cases: [(&str, &str, &str, &str); 8] = [
        ("ipv6_share = 1.5", NATGW, "workload[0].ipv6_share", "1.5"),
        (
            "aws_services = { s3 = 0.1 }",
            NATGW,
            "workload[0].aws_services.s3",
            "endpoint_share",
        ),
        (
            "aws_services = { \"ECR\" = 0.1 }",
            NATGW,
            "workload[0].aws_services.ECR",
            "lower case",
        ),
        (
            "endpoint_share = 0.5\naws_services = { sts = 0.3, logs = 0.3 }",
            NATGW,
            "workload[0].aws_services",
            "more than 1",
        ),
        (
            "aws_services = { \"ecr.dkr\" = 0.3 }",
            "[[candidate]]\nname = \"n\"\nkind = \"nat_gateway\"\ninterface_endpoints = [\"ecr.dkrr\"]",
            "candidate[0].interface_endpoints[0]",
            "did you mean \"ecr.dkr\"",
        ),
        (
            "",
            "[[candidate]]\nname = \"igw\"\nkind = \"internet_gateway\"\negress_only_igw = true",
            "candidate[0].egress_only_igw",
            "internet gateway",
        ),
        (
            "",
            "[[candidate]]\nname = \"i\"\nkind = \"nat_instance\"\ninstance_type = \"t4g.nano\"\nvolume_gb = -1",
            "candidate[0].volume_gb",
            "-1",
        ),
        (
            "",
            &format!("[slo]\nmax_egress_ips = 0\n{NATGW}"),
            "slo.max_egress_ips",
            "0",
        ),
    ];
    for (routes, candidates, path, said) in cases {
        let (key_path, message) = refused(&scenario(routes, candidates));
        assert_eq!(key_path, path, "{message}");
        assert!(message.contains(said), "{path}: {message}");
    }
}

#[test]
fn a_catalog_without_an_ebs_price_refuses_a_nat_instance_and_says_what_to_set() {
    let dir = scratch("no-ebs-price");
    let catalog = include_str!("../../src/io/catalog/catalog.toml")
        .lines()
        .filter(|l| !l.starts_with("ebs_gp3_usd_per_gb_month"))
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(dir.join("catalog.toml"), catalog).unwrap();
    let text = scenario(
        "",
        "[[candidate]]\nname = \"fck-nat\"\nkind = \"nat_instance\"\ninstance_type = \"t4g.nano\"",
    )
    .replace("seed = 14", "seed = 14\ncatalog = \"catalog.toml\"");
    let file = write_file(&dir, "scenario.toml", &text);
    let out = dir.join("out");
    let (output, stderr) = run_cli_stderr(&["run", path(&file), "--out", path(&out)]);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("candidate[0].volume_gb")
            && stderr.contains("no EBS gp3 price for us-east-1")
            && stderr.contains("[prices] ebs_gp3_usd_per_gb_month"),
        "{stderr}"
    );
    assert!(!out.join("summary.csv").exists());
    // Given the price, the same scenario runs.
    std::fs::write(
        &file,
        text.replace(
            "[[workload]]",
            "[prices]\nebs_gp3_usd_per_gb_month = 0.08\n\n[[workload]]",
        ),
    )
    .unwrap();
    run_cli_ok(&["run", path(&file), "--out", path(&out), "--quiet"]);
}

/// Found while building the shipped scenario: an internet gateway's paths are its clients, in
/// their own AZs, yet clients outside AZ a were billed cross-AZ transfer to "the gateway's" AZ.
#[test]
fn issue_14_an_internet_gateway_bills_no_cross_az_transfer() {
    let text = r#"
[scenario]
name = "igw-az-b"
duration = "10m"

[[workload]]
az = "b"
rate_per_s = 10
response_bytes = "100KB"

[[candidate]]
name = "igw"
kind = "internet_gateway"

[[candidate]]
name = "natgw"
kind = "nat_gateway"
"#;
    let (_, result) = run(text);
    assert_eq!(by_name(&result, "igw").get(Metric::BilledCrossAzGb), 0.0);
    assert!(by_name(&result, "natgw").get(Metric::BilledCrossAzGb) > 0.0);
}

/// Conservation over the paths: with no warmup (the window is the whole run), what the NAT
/// gateway processed plus what the gateway endpoint, the interface endpoints and the egress-only
/// internet gateway carried is every byte the clients moved, with or without the bypasses; the
/// EIGW's bytes add no processing charge, and its requests are billed as egress with the NAT
/// gateway's internet-bound requests.
#[test]
fn bytes_through_the_nat_and_past_it_add_up_to_what_clients_moved() {
    let all_paths = r#"
[[candidate]]
name = "natgw-all"
kind = "nat_gateway"
s3_gateway_endpoint = true
interface_endpoints = ["sts"]
egress_only_igw = true
"#;
    let text = scenario(
        "endpoint_share = 0.1\naws_services = { sts = 0.2 }\nipv6_share = 0.5",
        &format!("{NATGW}{all_paths}"),
    );
    let (_, result) = run(&text);
    for name in ["natgw", "natgw-all"] {
        let s = by_name(&result, name);
        crate::support::assert_bytes_conserved(s);
        let moved = s.get(Metric::OutGb) + s.get(Metric::InGb);
        let through_and_past = s.get(Metric::BilledProcessedGb)
            + s.get(Metric::EndpointGb)
            + s.get(Metric::InterfaceEndpointGb)
            + s.get(Metric::Ipv6Gb);
        // The links' totals integrate rates between nanosecond-rounded times, the connections'
        // bytes are their sizes: they agree to a few bytes per million.
        assert!(
            close(through_and_past, moved, 1e-6),
            "{name}: processed + bypassed {through_and_past} GB, moved {moved} GB"
        );
        // Processing is the NAT gateway's bytes × its price: nothing for the bypasses.
        assert!(close(
            s.get(Metric::CostProcessingUsd),
            s.get(Metric::BilledProcessedGb) * 0.045,
            1e-12
        ));
    }
    let all = by_name(&result, "natgw-all");
    assert!(all.get(Metric::Ipv6Gb) > 0.0 && all.get(Metric::InterfaceEndpointGb) > 0.0);
    assert!(close(
        all.get(Metric::BilledEndpointGb),
        all.get(Metric::InterfaceEndpointGb),
        1e-9
    ));
    // Every AWS-bound byte skipped the gateway, so egress is every request byte that is not
    // AWS-bound (20 KB of each 220 KB connection): the NAT path's and the EIGW's alike.
    let aws_out =
        (all.get(Metric::EndpointGb) + all.get(Metric::InterfaceEndpointGb)) * 20.0 / 220.0;
    assert!(
        close(
            all.get(Metric::BilledEgressGb),
            all.get(Metric::OutGb) - aws_out,
            1e-6
        ),
        "egress {} GB, internet-bound requests {} GB",
        all.get(Metric::BilledEgressGb),
        all.get(Metric::OutGb) - aws_out
    );
}
