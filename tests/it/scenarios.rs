//! Every shipped scenario runs, and the stories tell what the README and docs/examples.md say they tell.

use crate::support::{by_name, check_snapshot, parse, repo_root};
use natsim::io::scenario::parse_scenario_file;
use natsim::results::batch::run_scenario;
use natsim::results::summary::Metric;

/// Runs scenarios/<name>; a scenario in a folder (`flowlogs/scenario.toml`, a replay) is read
/// from its file, so its flow logs are found beside it.
fn load(name: &str) -> natsim::results::batch::ScenarioResult {
    let path = repo_root().join("scenarios").join(name);
    if name.contains('/') {
        return run_scenario(&parse_scenario_file(&path).unwrap_or_else(|e| panic!("{e}")));
    }
    let text = std::fs::read_to_string(path).expect("scenario file");
    run_scenario(&parse(&text))
}

#[test]
fn every_scenario_file_parses_and_runs() {
    let mut names: Vec<_> = std::fs::read_dir(repo_root().join("scenarios"))
        .expect("scenarios folder")
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().to_string()))
        .filter(|n| {
            n.ends_with(".toml")
                || repo_root()
                    .join("scenarios")
                    .join(n)
                    .join("scenario.toml")
                    .is_file()
        })
        .map(|n| {
            if n.ends_with(".toml") {
                n
            } else {
                format!("{n}/scenario.toml")
            }
        })
        .collect();
    names.sort();
    assert!(names.len() >= 3, "{names:?}");
    for name in names {
        let result = load(&name);
        assert!(!result.summaries.is_empty(), "{name}");
        for s in &result.summaries {
            assert!(
                s.get(Metric::ConnAttempts) > 0.0,
                "{name}: {} saw no traffic",
                s.name
            );
        }
        assert!(
            result.summaries.iter().filter(|s| s.recommended).count() <= 1,
            "{name}"
        );
        check_golden(&name, &golden_text(&name, &result));
    }
}

/// The golden (snapshot) form of a scenario's summary: one line per candidate and figure, so a
/// model change shows as a readable diff of exactly the figures it moved. Figures keep four
/// significant digits: enough to see a real change, few enough to read.
fn golden_text(name: &str, result: &natsim::results::batch::ScenarioResult) -> String {
    let mut out = format!(
        "# scenarios/{name}: summary figures, four significant digits\n\
         # rewrite with NATSIM_UPDATE_GOLDEN=1 cargo test --release --test it every_scenario\n"
    );
    for s in &result.summaries {
        out.push_str(&format!("\n[{}]\nkind = {}\n", s.name, s.kind));
        out.push_str(&format!(
            "meets_slo = {}\nrecommended = {}\n",
            s.meets_slo, s.recommended
        ));
        for metric in Metric::ALL {
            out.push_str(&format!(
                "{} = {}\n",
                metric.name(),
                significant(s.get(*metric))
            ));
        }
        out.push_str(&format!("slo_failures = {:?}\n", s.misses_with_causes()));
    }
    out.push_str(&format!("\nverdict = {:?}\n", result.verdict.headline));
    if result.by_workload.len() > result.summaries.len() {
        out.push_str(&workloads_golden(result));
    }
    out
}

/// The per-workload figures of a scenario with several workloads: one line per candidate ×
/// workload, the figures that say which workload suffers.
fn workloads_golden(result: &natsim::results::batch::ScenarioResult) -> String {
    const SHOWN: [Metric; 10] = [
        Metric::MonthlyTrafficGb,
        Metric::ConnAttempts,
        Metric::ConnFailed,
        Metric::DroppedGb,
        Metric::EndpointGb,
        Metric::MeanGbps,
        Metric::FctP50S,
        Metric::FctP99S,
        Metric::SlowdownP99,
        Metric::CarriedRatio,
    ];
    let mut out = String::from("\n[per workload]\n");
    for w in &result.by_workload {
        let figures: Vec<String> = SHOWN
            .iter()
            .map(|m| format!("{}={}", m.name(), significant(w.get(*m))))
            .collect();
        out.push_str(&format!(
            "{} / {}: {} meets_slo={}\n",
            result.summaries[w.candidate].name,
            w.name,
            figures.join(" "),
            w.meets_slo()
        ));
    }
    out
}

/// `value` to four significant digits, in a form that does not change with the fifth.
fn significant(value: f64) -> String {
    if value == 0.0 || !value.is_finite() {
        return format!("{value}");
    }
    format!("{value:.3e}")
}

/// Compares `actual` with tests/golden/<scenario>.txt, or writes it there when
/// NATSIM_UPDATE_GOLDEN is set.
fn check_golden(name: &str, actual: &str) {
    let path = repo_root().join("tests/golden").join(
        name.replace("/scenario.toml", ".toml")
            .replace(".toml", ".txt"),
    );
    check_snapshot(
        &path,
        actual,
        "NATSIM_UPDATE_GOLDEN",
        "NATSIM_UPDATE_GOLDEN=1 cargo test --release --test it every_scenario",
    );
}

#[test]
fn quickstart_recommends_an_option_that_meets_the_objectives() {
    let result = load("quickstart.toml");
    let winner = result
        .summaries
        .iter()
        .find(|s| s.recommended)
        .expect("quickstart has a recommendation");
    assert!(winner.meets_slo);
    for s in result.summaries.iter().filter(|s| s.meets_slo) {
        assert!(s.get(Metric::CostMonthlyUsd) >= winner.get(Metric::CostMonthlyUsd));
    }
    assert_eq!(
        result.verdict.reasons.len(),
        result.summaries.len() - 1,
        "every other option gets a reason"
    );
}

#[test]
fn nightly_batch_drains_the_nano_credits_halfway() {
    let result = load("nightly-batch.toml");
    let nano = by_name(&result, "fck-nat-t4g.nano");
    let drained_at = nano
        .credits_exhausted_at_s
        .expect("nano runs out of credits");
    // The job runs 3 hours; the bucket must run dry in the middle third, not at once or never.
    assert!(
        (3600.0..7200.0).contains(&drained_at),
        "drained at {drained_at} s"
    );
    assert!(!nano.meets_slo);
    assert!(
        by_name(&result, "fck-nat-c6gn.medium")
            .credits_exhausted_at_s
            .is_none()
    );
}

#[test]
fn hot_api_exhausts_one_ip_but_not_two() {
    let result = load("hot-api-ports.toml");
    let one = by_name(&result, "natgw-1ip");
    let two = by_name(&result, "natgw-2ip");
    assert!(one.get(Metric::FailPortAllocation) > 0.0);
    assert!(
        one.get(Metric::ConnFailRate) > 0.05,
        "60,000 erlangs on 55,000 ports refuse about 8 %"
    );
    assert_eq!(two.get(Metric::FailPortAllocation), 0.0);
    assert!(two.recommended);
}

#[test]
fn failover_story_ranks_the_modes_and_layouts_by_their_outage() {
    let result = load("failover.toml");
    // Rounded to the millisecond: weights of 0.8 and 0.2 leave float dust.
    let outage = |name: &str| (by_name(&result, name).get(Metric::OutageS) * 1e3).round() / 1e3;
    // Clients: 80 % in AZ a, 20 % in AZ b. The instance failure costs everyone its recovery time;
    // AZ a's 15-minute outage costs only AZ b's clients routed through AZ a (0.2 × 900 s = 180 s).
    assert_eq!(outage("natgw"), 180.0);
    assert_eq!(outage("natgw-per-az"), 0.0);
    assert_eq!(outage("fck-nat-asg"), 300.0 + 180.0);
    assert_eq!(outage("fck-nat-standby"), 6.0 + 180.0);
    assert_eq!(outage("fck-nat-standby-per-az"), 6.0);
    // alterNAT: only the health check's 10 s, then the standby gateway carries the traffic.
    assert_eq!(outage("fck-nat-alternat"), 10.0 + 180.0);
    // Never replaced: down from 1 h to 4 h, less the 15 minutes AZ a's own clients were down.
    assert_eq!(
        outage("fck-nat-none"),
        0.8 * (3.0 * 3600.0 - 900.0) + 0.2 * 3.0 * 3600.0
    );
    assert!(by_name(&result, "fck-nat-standby-per-az").recommended);
    assert!(by_name(&result, "fck-nat-alternat").get(Metric::BilledProcessedGb) > 0.0);
    for name in [
        "fck-nat-none",
        "fck-nat-asg",
        "fck-nat-standby",
        "fck-nat-alternat",
        "natgw",
    ] {
        assert!(
            by_name(&result, name).get(Metric::ConnReset) > 0.0,
            "{name}"
        );
        assert!(!by_name(&result, name).meets_slo, "{name}");
    }
}

#[test]
fn igw_vs_nat_story_pays_no_processing_through_the_endpoint() {
    let result = load("igw-vs-nat.toml");
    let with = by_name(&result, "natgw-endpoint");
    let without = by_name(&result, "natgw");
    assert!(with.get(Metric::BilledProcessedGb) < 0.6 * without.get(Metric::BilledProcessedGb));
    assert_eq!(by_name(&result, "igw").get(Metric::CostProcessingUsd), 0.0);
    assert!(
        result
            .verdict
            .headline
            .contains("reachable from the internet")
    );
}

#[test]
fn four_options_story_runs_every_kind_and_the_proxy_refuses_udp() {
    let result = load("four-options.toml");
    let kinds: Vec<&str> = result.summaries.iter().map(|s| s.kind).collect();
    for kind in ["internet_gateway", "nat_gateway", "nat_instance", "proxy"] {
        assert!(kinds.contains(&kind), "{kind} missing from {kinds:?}");
    }
    let squid = by_name(&result, "squid-c6gn.medium");
    assert!(squid.get(Metric::FailUnsupported) > 0.0);
    assert_eq!(by_name(&result, "natgw").get(Metric::FailUnsupported), 0.0);
}
