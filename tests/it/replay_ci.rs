//! Issue 11's "Done when", replay part: flow logs generated from a known scenario
//! (`io::fit::generate`), replayed through the same candidates (a NAT gateway and a NAT
//! instance) with `[[workload]] flow_logs`, give the scenario's summary within its 95 %
//! confidence intervals.
//!
//! How the comparison is made sound: the generating scenario runs `REPLICATIONS` replications
//! and each replication draws its own traffic. A single trace is one draw, and one draw falls
//! inside the interval of the mean of several only by luck (with 10 replications, about half
//! the time), so the generator writes one trace per replication, the very traffic that
//! replication drew (`write_replication_flow_logs`), and the mean of the replays of those traces
//! is held against the generating scenario's intervals. What the replay changes is what the
//! logs cannot carry exactly: bytes rounded to whole bytes, arrivals to whole seconds, and the
//! hold (below).
//!
//! Ten replications: Student-t needs two at least, and at ten `t` is 2.26 (against 12.7 at two),
//! so the intervals are narrow enough (a few per cent of offered GB) to catch a replay that
//! loses or doubles traffic, while the whole test (ten generating runs and ten replays per
//! candidate, 6,000 connections each) stays well under ten seconds in release.
//!
//! Not comparable by construction: the hold. The logs record each connection's duration,
//! transfer and idle time together, and a replay draws the idle time from its workload's
//! `hold` (here the generating distribution, from the replay's own stream), so the figures
//! that depend on it (active connections, the idle-timeout count) are matched in distribution
//! only and are not checked. Connection failures: none in either at this load, so the fail
//! rate's interval is [0, 0] and the replay's must be 0 too.

use crate::support::{by_name, parse, scratch, write_file};
use natsim::io::fit::generate::{LogFormat, write_replication_flow_logs};
use natsim::io::scenario::parse_scenario_file;
use natsim::results::batch::run_scenario;
use natsim::results::summary::Metric;

const REPLICATIONS: u32 = 10;

const HEADER: &str = r#"[scenario]
name = "known"
region = "us-east-1"
duration = "20m"
warmup = "0s"
seed = 29
"#;

const CANDIDATES: &str = r#"
[[candidate]]
name = "natgw"
kind = "nat_gateway"
az = "a"

[[candidate]]
name = "nat-instance"
kind = "nat_instance"
az = "a"
instance_type = "c6gn.medium"
"#;

const HOLD: &str = r#"hold = { dist = "exponential", mean = "10s" }"#;

/// The figures checked, as the summary names them.
const FIGURES: [Metric; 5] = [
    Metric::OfferedGb,
    Metric::MeanGbps,
    Metric::ConnAttempts,
    Metric::ConnFailRate,
    Metric::CostMonthlyUsd,
];

fn known() -> String {
    format!(
        r#"{HEADER}replications = {REPLICATIONS}

[[workload]]
name = "api"
az = "a"
rate_per_s = 5
request_bytes = {{ dist = "lognormal", mean = 2000, cv = 1.0 }}
response_bytes = {{ dist = "lognormal", mean = 200000, cv = 2.0 }}
{HOLD}
destinations = {{ count = 100, zipf = 1.0 }}
endpoint_share = 0.1
{CANDIDATES}"#
    )
}

fn replay_text() -> String {
    format!(
        r#"{HEADER}replications = 1

[[workload]]
name = "api"
az = "a"
flow_logs = ["logs"]
{HOLD}
{CANDIDATES}"#
    )
}

#[test]
fn replaying_generated_logs_gives_the_scenario_summary_within_its_intervals() {
    let known = parse(&known());
    let generating = run_scenario(&known);
    let root = scratch("replay-ci");
    let candidates = ["natgw", "nat-instance"];
    // sums[candidate][figure] over the replays, in replication order.
    let mut sums = vec![vec![0.0; FIGURES.len()]; candidates.len()];
    for replication in 0..REPLICATIONS {
        let dir = root.join(format!("r{replication}"));
        std::fs::create_dir_all(dir.join("logs")).unwrap();
        let mut file =
            std::io::BufWriter::new(std::fs::File::create(dir.join("logs/egress.log")).unwrap());
        write_replication_flow_logs(&known, replication, LogFormat::Custom, &mut file).unwrap();
        drop(file);
        let path = write_file(&dir, "scenario.toml", &replay_text());
        let scenario = parse_scenario_file(&path).unwrap_or_else(|e| panic!("{e}"));
        let replayed = run_scenario(&scenario);
        for (c, name) in candidates.iter().enumerate() {
            let s = by_name(&replayed, name);
            for (f, metric) in FIGURES.iter().enumerate() {
                sums[c][f] += s.get(*metric);
            }
        }
    }
    for (c, name) in candidates.iter().enumerate() {
        let truth = by_name(&generating, name);
        for (f, metric) in FIGURES.iter().enumerate() {
            let replay = sums[c][f] / f64::from(REPLICATIONS);
            let mean = truth.get(*metric);
            let half = truth.ci95(*metric).expect("several replications");
            eprintln!(
                "{name} {}: replay {replay:.6}, scenario {mean:.6} ± {half:.6}",
                metric.name()
            );
            // A zero-width interval (no failures) asks for the same figure, to rounding.
            assert!(
                (replay - mean).abs() <= half + 1e-9 * mean.abs(),
                "{name} {}: replay {replay} outside {mean} ± {half}",
                metric.name()
            );
        }
    }
}
