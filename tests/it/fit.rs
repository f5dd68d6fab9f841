//! `natsim fit` against the truth (issue 11, "Done when", fit part): flow logs generated from a
//! known scenario (`io::fit::generate`), fitted back, compared with the scenario's parameters
//! within stated tolerances; the fitted file runs; the CLI refuses to overwrite and names bad
//! input.

use crate::support::{parse, path, read, run_cli, run_cli_ok, scratch, stderr};
use natsim::io::catalog::Catalog;
use natsim::io::fit::generate::{LogFormat, write_flow_logs};
use natsim::io::fit::{Fit, FittedDist, FittedWorkload, Options, fit};
use natsim::io::flowlogs;
use std::path::{Path, PathBuf};

/// Tolerances, relative unless said: the fitted rate, the mean sizes, the destination count and
/// the Zipf exponent (absolute). Sampling error at these sample sizes (36,000 and 14,400
/// connections) is about 1 % for the rate and 1–3 % for the means.
const RATE_TOLERANCE: f64 = 0.05;
const MEAN_TOLERANCE: f64 = 0.10;
const COUNT_TOLERANCE: f64 = 0.02;
const ZIPF_TOLERANCE: f64 = 0.15;
const PROFILE_TOLERANCE: f64 = 0.05;

/// Two AZs, TCP and UDP, an hourly profile, three size distributions, Zipf destinations and an
/// S3 share.
const KNOWN: &str = r#"
[scenario]
name = "known"
region = "us-east-1"
duration = "2h"
seed = 11

[[workload]]
name = "api"
az = "a"
rate_per_s = 5
profile = [1.5, 0.5]
request_bytes = { dist = "lognormal", mean = 2000, cv = 1.0 }
response_bytes = { dist = "lognormal", mean = 50000, cv = 2.0 }
hold = { dist = "exponential", mean = "20s" }
destinations = { count = 200, zipf = 1.0 }
endpoint_share = 0.1

[[workload]]
name = "dns"
az = "a"
protocol = "udp"
rate_per_s = 0.5
request_bytes = 100
response_bytes = 300
destinations = { count = 5, zipf = 0.5 }

[[workload]]
name = "batch"
az = "b"
rate_per_s = 2
request_bytes = { dist = "exponential", mean = 5000 }
response_bytes = { dist = "pareto", mean = 1000000, shape = 2.5 }
hold = "5s"
destinations = { count = 50, zipf = 1.3 }

[[candidate]]
name = "natgw"
kind = "nat_gateway"
az = "a"
"#;

fn write_logs(dir: &Path, format: LogFormat) -> PathBuf {
    let path = dir.join(match format {
        LogFormat::DefaultV2 => "default.log",
        LogFormat::Custom => "custom.log",
    });
    let mut file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    write_flow_logs(&parse(KNOWN), format, &mut file).unwrap();
    drop(file);
    path
}

fn fit_file(path: &Path) -> Fit {
    let logs = flowlogs::read(&[path.to_path_buf()], &flowlogs::Options { strict: true })
        .unwrap_or_else(|e| panic!("{e}"));
    let options = Options {
        name: "fitted".into(),
        sources: vec![path.display().to_string()],
        ..Options::default()
    };
    fit(&logs, Catalog::embedded(), &options).unwrap()
}

fn workload<'a>(fit: &'a Fit, name: &str) -> &'a FittedWorkload {
    fit.workloads
        .iter()
        .find(|w| w.name == name)
        .unwrap_or_else(|| panic!("no workload {name} in {:?}", fit.workloads))
}

/// `(fitted - truth) / truth`, asserted within `tolerance`; returned for the report.
fn close(what: &str, fitted: f64, truth: f64, tolerance: f64) -> f64 {
    let error = (fitted - truth) / truth;
    assert!(
        error.abs() <= tolerance,
        "{what}: fitted {fitted}, truth {truth}, error {:.1} % > {:.0} %",
        error * 100.0,
        tolerance * 100.0
    );
    eprintln!("{what}: {:+.2} %", error * 100.0);
    error
}

fn zipf_close(what: &str, fitted: f64, truth: f64) {
    assert!(
        (fitted - truth).abs() <= ZIPF_TOLERANCE,
        "{what}: zipf fitted {fitted}, truth {truth}"
    );
    eprintln!("{what} zipf: {:+.3}", fitted - truth);
}

#[test]
fn fit_recovers_the_generating_workloads_from_custom_format_logs() {
    let dir = scratch("fit-custom");
    let fit = fit_file(&write_logs(&dir, LogFormat::Custom));
    let names: Vec<&str> = fit.workloads.iter().map(|w| w.name.as_str()).collect();
    assert_eq!(names, ["a-tcp", "a-udp", "b-tcp"]);

    let api = workload(&fit, "a-tcp");
    close("api rate", api.rate_per_s, 5.0, RATE_TOLERANCE);
    close("api profile[0]", api.profile[0], 1.5, PROFILE_TOLERANCE);
    close("api profile[1]", api.profile[1], 0.5, PROFILE_TOLERANCE);
    close(
        "api request mean",
        api.request.chosen.mean(),
        2000.0,
        MEAN_TOLERANCE,
    );
    close(
        "api response mean",
        api.response.chosen.mean(),
        50000.0,
        MEAN_TOLERANCE,
    );
    assert_eq!(api.response.chosen.name(), "lognormal");
    let FittedDist::LogNormal { cv, .. } = api.response.chosen else {
        unreachable!()
    };
    close("api response cv", cv, 2.0, MEAN_TOLERANCE);
    close(
        "api destinations",
        api.destinations as f64,
        200.0,
        COUNT_TOLERANCE,
    );
    zipf_close("api", api.zipf_exponent, 1.0);
    assert!(
        (api.endpoint_share - 0.1).abs() < 0.01,
        "{}",
        api.endpoint_share
    );
    close("api hold", api.hold_s, 20.0, 0.15);

    let dns = workload(&fit, "a-udp");
    close("dns rate", dns.rate_per_s, 0.5, RATE_TOLERANCE * 2.0);
    assert_eq!(dns.request.chosen, FittedDist::Constant(100.0));
    assert_eq!(dns.response.chosen, FittedDist::Constant(300.0));

    let batch = workload(&fit, "b-tcp");
    close("batch rate", batch.rate_per_s, 2.0, RATE_TOLERANCE);
    close(
        "batch request mean",
        batch.request.chosen.mean(),
        5000.0,
        MEAN_TOLERANCE,
    );
    close(
        "batch response mean",
        batch.response.chosen.mean(),
        1e6,
        MEAN_TOLERANCE,
    );
    assert_eq!(batch.request.chosen.name(), "exponential");
    assert_eq!(batch.response.chosen.name(), "pareto");
    close(
        "batch destinations",
        batch.destinations as f64,
        50.0,
        COUNT_TOLERANCE,
    );
    zipf_close("batch", batch.zipf_exponent, 1.3);

    let candidates: Vec<&str> = fit.candidates.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(&candidates[..2], ["natgw-shared", "natgw-per-az"]);
    assert!(candidates.iter().any(|c| c.starts_with("nat-instance-")));
}

#[test]
fn default_format_logs_fit_one_zone_with_every_connection() {
    let dir = scratch("fit-default");
    let fit = fit_file(&write_logs(&dir, LogFormat::DefaultV2));
    let tcp = workload(&fit, "a-tcp");
    // Without az-id both TCP workloads are one: 5 + 2 connections a second, to 200 + 50
    // destinations (workloads own disjoint ones).
    close("tcp rate", tcp.rate_per_s, 7.0, RATE_TOLERANCE);
    close(
        "tcp destinations",
        tcp.destinations as f64,
        250.0,
        COUNT_TOLERANCE,
    );
    assert_eq!(tcp.endpoint_share, 0.0);
}

#[test]
fn the_fitted_scenario_validates_and_runs() {
    let dir = scratch("fit-cli");
    let logs = write_logs(&dir, LogFormat::Custom);
    let out = dir.join("fitted.toml");
    let (logs, out_text) = (path(&logs), path(&out));
    run_cli_ok(&["fit", logs, "-o", out_text]);
    let text = read(&out);
    for measured in [
        "records",
        "connections",
        "GB (10^9 bytes) out",
        "peak",
        "new connections per second",
        "Busiest destination",
        "KS D",
    ] {
        assert!(text.contains(measured), "no {measured:?} in\n{text}");
    }
    run_cli_ok(&["validate", out_text]);
    let report = dir.join("run");
    run_cli_ok(&[
        "run",
        out_text,
        "--replications",
        "1",
        "--out",
        path(&report),
    ]);
    assert!(report.join("summary.csv").exists());

    // An existing file is refused without --force, and kept.
    let again = run_cli(&["fit", logs, "-o", out_text]);
    assert_eq!(again.status.code(), Some(2));
    assert!(stderr(&again).contains("--force"));
    assert_eq!(read(&out), text);
    run_cli_ok(&["fit", logs, "-o", out_text, "--force"]);
}

#[test]
fn a_bad_line_names_the_file_and_line_and_writes_nothing() {
    let dir = scratch("fit-bad");
    let logs = dir.join("bad.log");
    std::fs::write(
        &logs,
        "2 123456789012 eni-1 10.0.0.1 54.0.0.1 1024 443 6 1 100 1700000000 1700000001 ACCEPT OK\n2 x\n",
    )
    .unwrap();
    let out = dir.join("fitted.toml");
    let failed = run_cli(&["fit", "--strict", path(&logs), "-o", path(&out)]);
    assert_eq!(failed.status.code(), Some(2));
    let stderr = stderr(&failed);
    assert!(stderr.contains("bad.log:2"), "{stderr}");
    assert!(!out.exists());
}

/// AWS's documentation examples lie years apart: fitting them must still give a scenario that
/// validates (the span capped at a week, a rate far below 1e-6 written in full), not a refused
/// duration or a rate printed as 0.
#[test]
fn fitting_records_years_apart_gives_a_runnable_scenario() {
    let dir = scratch("fit-aws-examples");
    let out = dir.join("aws.toml");
    let fixtures = crate::support::repo_root().join("tests/fixtures/flowlogs");
    run_cli_ok(&["fit", path(&fixtures), "-o", path(&out)]);
    let text = read(&out);
    assert!(text.contains("duration = \"604800s\""), "{text}");
    assert!(
        text.contains("the scenario simulates 604800 s (a week)"),
        "{text}"
    );
    run_cli_ok(&["validate", path(&out)]);
}

/// Issue 11, "where it matters, by traffic class": small API calls and bulk image pulls through
/// one AZ, logged as one TCP population, fit as two workloads. Tolerances as above (the images:
/// 1,800 connections, a Poisson count's standard deviation 2.4 %, so 10 % for their rate).
const TWO_CLASSES: &str = r#"
[scenario]
name = "two-classes"
region = "us-east-1"
duration = "1h"
seed = 9

[[workload]]
name = "api"
az = "a"
rate_per_s = 10
request_bytes = { dist = "lognormal", mean = 2000, cv = 0.8 }
response_bytes = { dist = "lognormal", mean = 20000, cv = 1.0 }
hold = "2s"
destinations = { count = 40, zipf = 1.0 }

[[workload]]
name = "images"
az = "a"
rate_per_s = 0.5
request_bytes = { dist = "lognormal", mean = 3000, cv = 0.3 }
response_bytes = { dist = "lognormal", mean = 150000000, cv = 0.4 }
destinations = 3

[[candidate]]
name = "natgw"
kind = "nat_gateway"
az = "a"
"#;

const SMALL_CLASS_RATE_TOLERANCE: f64 = 0.10;

fn fit_text(dir: &Path, scenario: &str) -> Fit {
    let path = dir.join("custom.log");
    let mut file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    write_flow_logs(&parse(scenario), LogFormat::Custom, &mut file).unwrap();
    drop(file);
    fit_file(&path)
}

#[test]
fn api_calls_and_bulk_pulls_in_one_az_fit_as_two_traffic_classes() {
    let dir = scratch("fit-classes");
    let fit = fit_text(&dir, TWO_CLASSES);
    let names: Vec<&str> = fit.workloads.iter().map(|w| w.name.as_str()).collect();
    assert_eq!(names, ["a-tcp-small", "a-tcp-bulk"]);
    let (api, images) = (workload(&fit, "a-tcp-small"), workload(&fit, "a-tcp-bulk"));
    close("api rate", api.rate_per_s, 10.0, RATE_TOLERANCE);
    close(
        "api request mean",
        api.request.chosen.mean(),
        2000.0,
        MEAN_TOLERANCE,
    );
    close(
        "api response mean",
        api.response.chosen.mean(),
        20000.0,
        MEAN_TOLERANCE,
    );
    close(
        "api destinations",
        api.destinations as f64,
        40.0,
        COUNT_TOLERANCE,
    );
    close(
        "images rate",
        images.rate_per_s,
        0.5,
        SMALL_CLASS_RATE_TOLERANCE,
    );
    close(
        "images request mean",
        images.request.chosen.mean(),
        3000.0,
        MEAN_TOLERANCE,
    );
    close(
        "images response mean",
        images.response.chosen.mean(),
        150e6,
        MEAN_TOLERANCE,
    );
    assert_eq!(images.destinations, 3);
    for w in [api, images] {
        assert_eq!(w.response.chosen.name(), "lognormal", "{}", w.name);
        let class = w.class.as_deref().unwrap_or_else(|| panic!("{w:?}"));
        assert!(class.contains("fits poorly"), "{class}");
    }
    // The comments say why, and the file runs.
    let text = fit.to_toml();
    assert!(text.contains("traffic class: small of a-tcp"), "{text}");
    assert!(text.contains("traffic class: bulk of a-tcp"), "{text}");
    parse(&text);
}

/// One population, even a heavy-tailed one, stays one workload: no split where one
/// distribution fits.
#[test]
fn one_workload_stays_one_workload() {
    let dir = scratch("fit-one-class");
    let one = TWO_CLASSES
        .split("[[workload]]\nname = \"images\"")
        .next()
        .unwrap()
        .to_string()
        + "[[candidate]]\nname = \"natgw\"\nkind = \"nat_gateway\"\naz = \"a\"\n";
    for (label, response) in [
        (
            "lognormal",
            "{ dist = \"lognormal\", mean = 20000, cv = 1.0 }",
        ),
        (
            "heavy lognormal",
            "{ dist = \"lognormal\", mean = 200000, cv = 4.0 }",
        ),
        (
            "pareto",
            "{ dist = \"pareto\", mean = 1000000, shape = 1.5 }",
        ),
    ] {
        let text = one.replace("{ dist = \"lognormal\", mean = 20000, cv = 1.0 }", response);
        let fit = fit_text(&dir, &text);
        let names: Vec<&str> = fit.workloads.iter().map(|w| w.name.as_str()).collect();
        assert_eq!(names, ["a-tcp"], "{label}");
        assert!(fit.workloads[0].class.is_none());
    }
}
