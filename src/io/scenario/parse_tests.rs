//! Tests of scenario parsing: a full file round-trips, and every kind of mistake gives an error
//! naming its key path (data-driven through `check_error`).

use std::path::Path;

use super::*;
use crate::model::cost::EgressTier;
use crate::model::device::{nat_gateway, nat_instance};
use crate::model::objectives::Objective;

const FULL: &str = r#"
[scenario]
name = "full-test_1.0"
region = "ap-northeast-2"
duration = "2h"
warmup = "5m"
seed = 42
replications = 3

[slo]
max_drop_rate = 0.001
max_conn_fail_rate = 0.0001
max_p99_slowdown = 4

[prices]
free_tier_gb = 100
egress_usd_per_gb = 0.1
instance_usd_per_hour = { "t4g.nano" = 0.01 }

[[workload]]
name = "api"
az = "b"
clients = 4
rate_per_s = 500
profile = [0.4, 0.4, 0.5]
request_bytes = "2KB"
response_bytes = { dist = "lognormal", mean = "200KB", cv = 2.0 }
rate_cap = "200Mbps"
hold = { dist = "exponential", mean = "30s" }
protocol = "tcp"
destinations = { count = 1000, zipf = 1.2 }
packet_bytes = 1500

[[workload]]
rate_per_s = 10.5
protocol = "udp"
destinations = 3
response_bytes = { dist = "pareto", mean = "1KiB", shape = 1.5 }

[[candidate]]
name = "natgw"
kind = "nat_gateway"
ips = 2
ramp_step_gbps = 10
idle_timeout = 300

[[candidate]]
name = "fck-nat"
kind = "nat_instance"
instance_type = "c6gn.medium"
az = "b"
count = 2
conntrack_max = 100000

[[candidate]]
name = "nano"
kind = "nat_instance"
instance_type = "t4g.nano"
"#;

pub(super) const MINIMAL: &str = r#"
[scenario]
name = "t"
duration = "1h"

[[workload]]
rate_per_s = 10

[[candidate]]
name = "natgw"
kind = "nat_gateway"
ips = 1
"#;

pub(super) fn parse(text: &str) -> std::result::Result<Scenario, ScenarioError> {
    parse_scenario(text, "test.toml")
}

/// `MINIMAL` with `from` replaced by `to` (which must occur).
pub(super) fn minimal_with(from: &str, to: &str) -> String {
    assert!(MINIMAL.contains(from), "{from:?} is not in MINIMAL");
    MINIMAL.replacen(from, to, 1)
}

pub(super) fn check_error(text: &str, key_path: &str, substring: &str) {
    let err = match parse(text) {
        Ok(_) => panic!("expected an error at {key_path:?} for:\n{text}"),
        Err(err) => err,
    };
    assert_eq!(err.key_path, key_path, "{err}");
    assert!(
        err.to_string().contains(substring),
        "{err:?} lacks {substring:?}"
    );
    assert_eq!(err.file, "test.toml");
    assert!(
        !err.problem.ends_with('.') && !err.hint.ends_with('.'),
        "{err}"
    );
    assert!(!err.problem.starts_with(char::is_uppercase), "{err}");
}

fn gateway(s: &Scenario, index: usize) -> &nat_gateway::Config {
    match &s.candidates[index].device {
        DeviceConfig::NatGateway(config) => config,
        other => panic!("candidate {index} is {}", other.kind()),
    }
}

fn instance(s: &Scenario, index: usize) -> &nat_instance::Config {
    match &s.candidates[index].device {
        DeviceConfig::NatInstance(config) => config,
        other => panic!("candidate {index} is {}", other.kind()),
    }
}

fn assumed_keys(s: &Scenario, index: usize) -> Vec<&str> {
    s.candidates[index]
        .assumptions
        .iter()
        .map(|a| a.key.as_str())
        .collect()
}

#[test]
fn full_scenario_round_trips() {
    let s = parse(FULL).unwrap();
    assert_eq!(
        (s.name.as_str(), s.region.as_str()),
        ("full-test_1.0", "ap-northeast-2")
    );
    assert_eq!(
        (s.duration_ns, s.warmup_ns, s.seed, s.replications),
        (7_200_000_000_000, 300_000_000_000, 42, 3)
    );
    let mut slo = Slo::default();
    slo.set(Objective::MaxDropRate, Some(0.001));
    slo.set(Objective::MaxConnFailRate, Some(0.0001));
    slo.set(Objective::MaxP99Slowdown, Some(4.0));
    assert_eq!(s.slo, slo);
    // Keys the file leaves out keep their defaults, marked as such.
    assert!(s.slo.limit(Objective::MinAvailability).is_default);
    assert_eq!(
        (s.prices.nat_gateway_usd_per_hour, s.prices.free_tier_gb),
        (0.059, 100.0)
    );
    assert_eq!(
        s.prices.egress_tiers,
        vec![EgressTier {
            up_to_gb: f64::INFINITY,
            usd_per_gb: 0.1
        }]
    );

    let api = &s.workloads[0];
    assert_eq!(
        (
            api.name.as_str(),
            api.az.as_str(),
            api.clients,
            api.rate_per_s
        ),
        ("api", "b", 4, 500.0)
    );
    assert_eq!(api.profile, vec![0.4, 0.4, 0.5]);
    assert_eq!(api.request_bytes, Dist::Constant(2000.0));
    assert_eq!(
        api.response_bytes,
        Dist::LogNormal {
            mean: 200_000.0,
            cv: 2.0
        }
    );
    assert_eq!(
        (api.rate_cap_bps, api.hold_s),
        (2e8, Dist::Exponential { mean: 30.0 })
    );
    assert_eq!(
        (api.protocol, api.http, api.destinations, api.zipf_exponent),
        (Protocol::Tcp, true, 1000, 1.2)
    );
    // A TCP workload's packet_bytes is the older name of mss_bytes.
    assert_eq!((api.packet_bytes, api.mss_bytes), (1500.0, 1500.0));
    let udp = &s.workloads[1];
    assert_eq!(
        (udp.name.as_str(), udp.az.as_str(), udp.rate_per_s),
        ("workload1", "a", 10.5)
    );
    assert_eq!(
        (udp.protocol, udp.http, udp.destinations, udp.zipf_exponent),
        (Protocol::Udp, false, 3, 1.0)
    );
    assert_eq!(
        udp.response_bytes,
        Dist::Pareto {
            mean: 1024.0,
            shape: 1.5
        }
    );
    assert_eq!(
        (udp.request_bytes, udp.rate_cap_bps, udp.packet_bytes),
        (Dist::Constant(1000.0), 5e9, 1200.0)
    );

    let g = gateway(&s, 0);
    assert_eq!(
        (g.ips, g.ports_per_ip, g.start_bps, g.max_bps),
        (2, 55_000, 5e9, 100e9)
    );
    assert_eq!(
        (
            g.start_pps,
            g.max_pps,
            g.idle_timeout_ns,
            g.release_delay_ns
        ),
        (1e6, 10e6, 300_000_000_000, 0)
    );
    assert_eq!(
        (g.ramp.interval_ns, g.ramp.step_bps),
        (60_000_000_000, 10e9)
    );
    let keys = assumed_keys(&s, 0);
    assert!(
        keys.contains(&"ramp_interval") && keys.contains(&"release_delay"),
        "{keys:?}"
    );
    assert!(
        !keys.contains(&"ramp_step_gbps"),
        "overridden, so not an assumption: {keys:?}"
    );

    let fck = instance(&s, 1);
    assert_eq!(
        (fck.instance_type.as_str(), fck.count, fck.vcpus),
        ("c6gn.medium", 2, 1)
    );
    assert_eq!(
        (fck.baseline_bps, fck.burst_bps, fck.burst_minutes),
        (1.6e9, 16e9, 20.0)
    );
    assert_eq!(
        (fck.internet_cap_bps, fck.pps_limit, fck.conntrack_max),
        (5e9, 16e9 / 12_000.0, 100_000)
    );
    assert_eq!(
        (fck.idle_timeout_tcp_ns, fck.idle_timeout_udp_ns),
        (432_000_000_000_000, 120_000_000_000)
    );
    assert_eq!(
        (fck.release_delay_tcp_ns, fck.release_delay_udp_ns),
        (120_000_000_000, 0)
    );
    assert!((fck.usd_per_hour - 0.0432 * 1.24).abs() < 1e-12);
    assert_eq!(s.candidates[1].az, "b");
    let keys = assumed_keys(&s, 1);
    assert_eq!(
        keys,
        vec![
            "mtbf",
            "burst_minutes",
            "pps_limit",
            "release_delay_udp",
            "hourly_usd"
        ]
    );

    let nano = instance(&s, 2);
    assert_eq!((nano.usd_per_hour, nano.conntrack_max), (0.01, 4096));
    // The nano gives no az while the api clients sit in b: its zone is a default, and said.
    assert_eq!(
        assumed_keys(&s, 2),
        vec![
            "mtbf",
            "burst_minutes",
            "pps_limit",
            "conntrack_max",
            "release_delay_udp",
            "az"
        ]
    );
}

#[test]
fn minimal_scenario_takes_the_defaults() {
    let s = parse(MINIMAL).unwrap();
    assert_eq!(
        (s.region.as_str(), s.warmup_ns, s.seed, s.replications),
        ("us-east-1", 0, 1, 1)
    );
    assert_eq!(s.slo, Slo::default());
    assert_eq!(s.prices.egress_tiers.len(), 4);
    assert_eq!(s.workloads[0].name, "workload0");
    assert_eq!(gateway(&s, 0).idle_timeout_ns, 350_000_000_000);
    let ramp_step = s.candidates[0]
        .assumptions
        .iter()
        .find(|a| a.key == "ramp_step_gbps")
        .unwrap();
    assert_eq!(ramp_step.value, "5 Gbps per 60 s");
    assert_eq!(
        ramp_step.basis,
        "AWS does not publish how fast a NAT gateway scales"
    );
}

#[test]
fn packet_sizes_follow_the_protocol() {
    let sizes = |extra: &str| {
        let s = parse(&minimal_with(
            "rate_per_s = 10",
            &format!("rate_per_s = 10\n{extra}"),
        ))
        .unwrap();
        (s.workloads[0].packet_bytes, s.workloads[0].mss_bytes)
    };
    // TCP: 1,448-byte segments unless told; packet_bytes is accepted as their older name.
    assert_eq!(sizes(""), (1448.0, 1448.0));
    assert_eq!(sizes("mss_bytes = \"8KiB\""), (8192.0, 8192.0));
    assert_eq!(sizes("packet_bytes = 536"), (536.0, 536.0));
    // UDP: datagrams of packet_bytes (1,200 unless told).
    assert_eq!(sizes("protocol = \"udp\""), (1200.0, 1448.0));
    assert_eq!(
        sizes("protocol = \"udp\"\npacket_bytes = 64"),
        (64.0, 1448.0)
    );
}

#[test]
fn errors_name_the_key_path() {
    let cases: Vec<(String, &str, &str)> = vec![
        ("[scenario\nname = 1".into(), "", "not valid TOML"),
        (
            "[scenario]\nname = \"a\"\nname = \"b\"".into(),
            "scenario.name",
            "name is set twice in the same table (again at line 3, first set at line 2)",
        ),
        (
            minimal_with("ips = 1", "ips = 1\nips = 2"),
            "candidate[0].ips",
            "ips is set twice",
        ),
        (
            format!("{MINIMAL}\n[scenario]\nseed = 2\n"),
            "scenario",
            "the table [scenario] appears twice",
        ),
        (
            minimal_with(
                "[[candidate]]",
                "[slo]\nmax_drop_rate = \"none\"\n\n[[candidate]]",
            ),
            "slo.max_drop_rate",
            "or \"off\" to drop this objective",
        ),
        (
            minimal_with("ips = 1", "ipz = 1"),
            "candidate[0].ipz",
            "did you mean \"ips\"?",
        ),
        (
            minimal_with("kind = \"nat_gateway\"", "kind = \"natgw\""),
            "candidate[0].kind",
            "unknown kind \"natgw\"",
        ),
        (
            minimal_with("kind = \"nat_gateway\"", "kind = \"proxy\""),
            "candidate[0].instance_type",
            "required key is missing",
        ),
        (
            minimal_with("rate_per_s = 10", "rate_per_s = 10\nrate_cap = \"5GB\""),
            "workload[0].rate_cap",
            "\"5GB\" is not a rate",
        ),
        (
            minimal_with("rate_per_s = 10", "rate_per_s = -10"),
            "workload[0].rate_per_s",
            "-10 is negative",
        ),
        (
            minimal_with("ips = 1", "ips = 9"),
            "candidate[0].ips",
            "1 primary + 7 secondary",
        ),
        (
            minimal_with("ips = 1", "ips = 1.5"),
            "candidate[0].ips",
            "1.5 is not a whole number",
        ),
        (
            minimal_with("duration = \"1h\"", "duration = \"1h\"\nwarmup = \"2h\""),
            "scenario.warmup",
            "not shorter",
        ),
        (
            minimal_with("duration = \"1h\"", ""),
            "scenario.duration",
            "required key is missing",
        ),
        (
            minimal_with("duration = \"1h\"", "duraton = \"1h\""),
            "scenario.duraton",
            "did you mean \"duration\"?",
        ),
        (
            minimal_with("duration = \"1h\"", "duration = \"400d\""),
            "scenario.duration",
            "366 days",
        ),
        (
            minimal_with(
                "kind = \"nat_gateway\"\nips = 1",
                "kind = \"nat_instance\"\ninstance_type = \"c6gn.meduim\"",
            ),
            "candidate[0].instance_type",
            "did you mean \"c6gn.medium\"?",
        ),
        (
            minimal_with("name = \"t\"", "name = \"t\"\nregion = \"us-east-3\""),
            "scenario.region",
            "known regions: ap-northeast-2",
        ),
        (
            minimal_with("name = \"t\"", "name = \"../etc\""),
            "scenario.name",
            "letters, digits",
        ),
        (
            MINIMAL.split("[[candidate]]").next().unwrap().to_string(),
            "candidate",
            "kind = \"nat_gateway\"",
        ),
        (
            minimal_with("[[workload]]\nrate_per_s = 10", ""),
            "workload",
            "no [[workload]]",
        ),
        (
            minimal_with("[[candidate]]", "[[candidates]]"),
            "candidates",
            "unknown table \"candidates\"; did you mean \"candidate\"?",
        ),
        ("".into(), "", "the file is empty"),
        (
            "  \n\t\n".into(),
            "",
            "start from scenarios/quickstart.toml",
        ),
        (
            format!(
                "{MINIMAL}\n[[candidate]]\nname = \"natgw\"\nkind = \"nat_instance\"\ninstance_type = \"t4g.nano\""
            ),
            "candidate[1].name",
            "duplicate candidate name",
        ),
        (
            minimal_with(
                "rate_per_s = 10",
                "rate_per_s = 10\nresponse_bytes = { dist = \"lognormal\", mean = 5 }",
            ),
            "workload[0].response_bytes.cv",
            "required key is missing",
        ),
        (
            minimal_with(
                "rate_per_s = 10",
                "rate_per_s = 10\nresponse_bytes = { dist = \"zipf\", mean = 5 }",
            ),
            "workload[0].response_bytes.dist",
            "unknown dist",
        ),
        (
            minimal_with(
                "rate_per_s = 10",
                "rate_per_s = 10\nprotocol = \"udp\"\nhttp = true",
            ),
            "workload[0].http",
            "HTTP runs over TCP",
        ),
        (
            minimal_with(
                "rate_per_s = 10",
                "rate_per_s = 10\npacket_bytes = \"10KB\"",
            ),
            "workload[0].packet_bytes",
            "not between 64 and 9001",
        ),
        (
            minimal_with("rate_per_s = 10", "rate_per_s = 10\nmss_bytes = 9000"),
            "workload[0].mss_bytes",
            "9000 is not between 88 and 8961",
        ),
        (
            minimal_with(
                "rate_per_s = 10",
                "rate_per_s = 10\nprotocol = \"udp\"\nmss_bytes = 1448",
            ),
            "workload[0].mss_bytes",
            "remove mss_bytes or set protocol = \"tcp\"",
        ),
        (
            minimal_with(
                "rate_per_s = 10",
                "rate_per_s = 10\nmss_bytes = 1448\npacket_bytes = 1200",
            ),
            "workload[0].packet_bytes",
            "keep mss_bytes and remove packet_bytes",
        ),
        (
            minimal_with("rate_per_s = 10", "rate_per_s = 10\nmss_byte = 1448"),
            "workload[0].mss_byte",
            "did you mean \"mss_bytes\"?",
        ),
        (
            minimal_with("rate_per_s = 10", "rate_per_s = 10\nprofile = [1, -1]"),
            "workload[0].profile[1]",
            "-1 is negative",
        ),
        (
            minimal_with(
                "rate_per_s = 10",
                "rate_per_s = 10\nrequest_bytes = \"-2KB\"",
            ),
            "workload[0].request_bytes",
            "is negative",
        ),
        (
            minimal_with("rate_per_s = 10", "rate_per_s = 10\ndestinations = 0"),
            "workload[0].destinations",
            "not between 1 and 10000000",
        ),
        (
            minimal_with("ips = 1", "start_gbps = 50\nmax_gbps = 20"),
            "candidate[0].max_gbps",
            "below start_gbps",
        ),
        (
            minimal_with("ips = 1", "ramp_down_utilization = 0.9"),
            "candidate[0].ramp_down_utilization",
            "not below",
        ),
        (
            minimal_with(
                "kind = \"nat_gateway\"\nips = 1",
                "kind = \"nat_instance\"\ninstance_type = \"t4g.nano\"\nburst_gbps = 0.01",
            ),
            "candidate[0].burst_gbps",
            "below baseline_gbps",
        ),
        (
            minimal_with(
                "kind = \"nat_gateway\"\nips = 1",
                "kind = \"nat_instance\"\ninstance_type = \"t4g.nano\"\nips = 2",
            ),
            "candidate[0].ips",
            "applies to kind = \"nat_gateway\"",
        ),
        (
            format!("[prices]\ninstance_usd_per_hour = {{ \"t4g.nanoo\" = 1 }}\n{MINIMAL}"),
            "prices.instance_usd_per_hour.\"t4g.nanoo\"",
            "did you mean \"t4g.nano\"?",
        ),
        (
            format!("{MINIMAL}\n[slo]\nmax_drop_rate = 2"),
            "slo.max_drop_rate",
            "not between 0 and 1",
        ),
        (
            minimal_with("name = \"t\"", "name = 5"),
            "scenario.name",
            "5 is a whole number, expected a string",
        ),
        (
            "[[scenario]]\nname = \"x\"".into(),
            "scenario",
            "expected a table",
        ),
        (
            "workload = 3\n[scenario]\nname = \"x\"".into(),
            "workload",
            "[[workload]]",
        ),
    ];
    for (text, key_path, substring) in &cases {
        check_error(text, key_path, substring);
    }
}

#[test]
fn unknown_kind_hints_the_built_kinds() {
    let err = parse(&minimal_with("kind = \"nat_gateway\"", "kind = \"prox\"")).unwrap_err();
    assert_eq!(err.problem, "unknown kind \"prox\"");
    assert!(err.hint.contains("did you mean \"proxy\""), "{err}");
    let err = parse(&minimal_with(
        "kind = \"nat_gateway\"",
        "kind = \"natgateway\"",
    ))
    .unwrap_err();
    assert!(err.hint.contains("did you mean \"nat_gateway\"?"), "{err}");
}

#[test]
fn unreadable_file_is_named() {
    let err = parse_scenario_file(Path::new("/nonexistent/natsim/x.toml")).unwrap_err();
    assert_eq!(err.file, "/nonexistent/natsim/x.toml");
    assert!(err.problem.starts_with("cannot read the file"), "{err}");
}

/// Any prefix of a valid file, and the file with any one line removed, parses or fails
/// cleanly: never a panic.
#[test]
fn never_panics_on_damaged_input() {
    let boundaries = FULL.char_indices().map(|(i, _)| i);
    for end in boundaries {
        let _ = parse(&FULL[..end]);
    }
    let lines: Vec<&str> = FULL.lines().collect();
    for skip in 0..lines.len() {
        let text: Vec<&str> = lines
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != skip)
            .map(|(_, l)| *l)
            .collect();
        let _ = parse(&text.join("\n"));
    }
    for odd in [
        "x = nan",
        "[scenario]\nduration = inf",
        "[scenario]\nname = \"\"",
        "a.b.c = 1",
        "\u{feff}",
    ] {
        let _ = parse(odd);
    }
}

/// Issue 10: alterNAT's standby gateway is an ordinary NAT gateway, every setting the catalog's
/// default, as a `kind = "nat_gateway"` candidate that sets nothing gets.
#[test]
fn issue_10_a_fallback_gateway_has_a_default_gateways_settings() {
    let text = format!(
        "{MINIMAL}\n[[candidate]]\nname = \"alternat\"\nkind = \"nat_instance\"\n\
         instance_type = \"t4g.nano\"\nfailover = \"nat_gateway_fallback\"\n"
    );
    let s = parse(&text).unwrap();
    let fallback = instance(&s, 1).failures.fallback.as_ref().unwrap();
    assert_eq!(&fallback.gateway, gateway(&s, 0));
}
