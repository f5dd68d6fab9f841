//! Replaying flow logs by AZ (`flow_logs_az_id`, issue 11): a three-AZ trace generated from a
//! known scenario, replayed as one workload per AZ over the same files, gives each AZ exactly its
//! recorded connections and bytes (the per-AZ workloads sum to the unfiltered replay, less the
//! connections without an `az-id`), and what a layout does with those flows shows: one NAT
//! gateway bills the other AZs' bytes as cross-AZ, a gateway per AZ none.

use crate::support::{assert_ok, parse, path, run_cli_ok, run_cli_stderr, scratch, write_file};
use natsim::io::fit::generate::{Generated, LogFormat, TRACE_START_S, az_id, write_flow_logs};
use natsim::io::scenario::parse_scenario_file;
use natsim::results::batch::{ScenarioResult, run_scenario};
use natsim::results::summary::Metric;
use std::path::Path;

/// Three AZs of one service: different rates and sizes, so a mix-up between AZs shows. Twenty
/// minutes, replayed in thirty so every connection has ended by the end of the run.
const KNOWN: &str = r#"
[scenario]
name = "three-az"
region = "us-east-1"
duration = "20m"
seed = 5

[[workload]]
name = "web"
az = "a"
rate_per_s = 3
request_bytes = { dist = "lognormal", mean = 2000, cv = 1.0 }
response_bytes = { dist = "lognormal", mean = 40000, cv = 1.5 }
hold = "2s"
destinations = { count = 30, zipf = 1.0 }

[[workload]]
name = "batch"
az = "b"
rate_per_s = 1
request_bytes = 5000
response_bytes = { dist = "exponential", mean = 200000 }
hold = "1s"
destinations = 10

[[workload]]
name = "sync"
az = "c"
rate_per_s = 0.5
request_bytes = { dist = "exponential", mean = 80000 }
response_bytes = 1000
destinations = 5
endpoint_share = 0.2

[[candidate]]
name = "natgw"
kind = "nat_gateway"
az = "a"
"#;

/// Connections without an `az-id`: a default-format file beside the custom one.
const WITHOUT_AZ: u64 = 5;
const WITHOUT_AZ_BYTES: (u64, u64) = (700, 9_000);

/// Writes `logs/` (the generated custom-format logs and a default-format file of
/// [`WITHOUT_AZ`] connections) and returns what the generator wrote.
fn write_logs(dir: &Path) -> Generated {
    let logs = dir.join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    let mut file = std::io::BufWriter::new(std::fs::File::create(logs.join("custom.log")).unwrap());
    let generated = write_flow_logs(&parse(KNOWN), LogFormat::Custom, &mut file).unwrap();
    drop(file);
    // A minute apart from the trace's start; named to be read first (files starting in the same
    // second are read in name order), so its records are not late against the custom file's.
    let mut text = String::new();
    for i in 0..WITHOUT_AZ {
        let (start, end) = (TRACE_START_S + 60 * i, TRACE_START_S + 60 * i + 3);
        let (up, down) = WITHOUT_AZ_BYTES;
        text += &format!(
            "2 123456789012 eni-0noaz 10.200.0.{i} 203.0.113.9 4000{i} 443 6 2 {up} {start} {end} ACCEPT OK\n\
             2 123456789012 eni-0noaz 203.0.113.9 10.200.0.{i} 443 4000{i} 6 9 {down} {start} {end} ACCEPT OK\n"
        );
    }
    std::fs::write(logs.join("0-no-az.log"), text).unwrap();
    generated
}

fn header(name: &str) -> String {
    format!(
        "[scenario]\nname = \"{name}\"\nregion = \"us-east-1\"\nduration = \"30m\"\nwarmup = \"0s\"\nseed = 3\nreplications = 1\n"
    )
}

/// A replay workload in zone `az`, of one AZ ID or (None) every connection.
fn workload(name: &str, az: &str, az_id: Option<&str>) -> String {
    let filter = az_id.map_or(String::new(), |id| format!("flow_logs_az_id = \"{id}\"\n"));
    format!(
        "\n[[workload]]\nname = \"{name}\"\naz = \"{az}\"\nflow_logs = [\"logs\"]\nhold = \"1s\"\n{filter}"
    )
}

const ONE_GATEWAY: &str =
    "\n[[candidate]]\nname = \"natgw-one\"\nkind = \"nat_gateway\"\naz = \"a\"\n";
const GATEWAY_PER_AZ: &str =
    "\n[[candidate]]\nname = \"natgw-per-az\"\nkind = \"nat_gateway\"\nper_az = true\n";

fn run_file(dir: &Path, text: &str) -> ScenarioResult {
    let file = write_file(dir, "scenario.toml", text);
    let scenario = parse_scenario_file(&file).unwrap_or_else(|e| panic!("{e}"));
    run_scenario(&scenario)
}

/// Connections and bytes (admitted and refused) a candidate was offered, and its cross-AZ bytes.
fn offered(result: &ScenarioResult, name: &str) -> (f64, f64, f64) {
    let s = crate::support::by_name(result, name);
    crate::support::assert_bytes_conserved(s);
    const GIB: f64 = 1_073_741_824.0;
    (
        s.get(Metric::ConnAttempts),
        (s.get(Metric::OfferedGb) + s.get(Metric::RefusedGb)) * GIB,
        s.get(Metric::BilledCrossAzGb) * GIB,
    )
}

/// Offered bytes are summed from the trace (exact but for float rounding); delivered ones, as
/// the cross-AZ bytes are, integrate each flow's rate over time, within a few parts in a
/// million.
fn assert_bytes(what: &str, got: f64, expected: u64) {
    assert_within(what, got, expected, 1e-9);
}

fn assert_within(what: &str, got: f64, expected: u64, relative: f64) {
    let expected = expected as f64;
    assert!(
        (got - expected).abs() <= relative * expected.max(1.0),
        "{what}: {got} bytes, expected {expected}"
    );
}

#[test]
fn each_az_replays_its_own_connections_and_the_azs_sum_to_the_whole() {
    let dir = scratch("replay-az-conservation");
    let generated = write_logs(&dir);
    let zones = ["a", "b", "c"];
    // One AZ at a time: exactly the connections and bytes the generator wrote for that AZ.
    for (index, zone) in zones.iter().enumerate() {
        let truth = generated.per_workload[index];
        let text = header("one-az") + &workload("recorded", zone, Some(&az_id(zone))) + ONE_GATEWAY;
        let (connections, bytes, _) = offered(&run_file(&dir, &text), "natgw-one");
        assert_eq!(connections, truth.connections as f64, "AZ {zone}");
        assert_bytes(
            &format!("AZ {zone}"),
            bytes,
            truth.request_bytes + truth.response_bytes,
        );
    }
    // Every connection, unfiltered: the three AZs and the ones without az-id.
    let text = header("whole") + &workload("recorded", "a", None) + ONE_GATEWAY;
    let (connections, bytes, cross) = offered(&run_file(&dir, &text), "natgw-one");
    assert_eq!(connections, (generated.connections + WITHOUT_AZ) as f64);
    let without_bytes = WITHOUT_AZ * (WITHOUT_AZ_BYTES.0 + WITHOUT_AZ_BYTES.1);
    assert_bytes(
        "unfiltered",
        bytes,
        generated.request_bytes + generated.response_bytes + without_bytes,
    );
    assert_eq!(cross, 0.0);
}

#[test]
fn one_gateway_bills_the_other_azs_bytes_as_cross_az_and_a_gateway_per_az_none() {
    let dir = scratch("replay-az-layouts");
    let generated = write_logs(&dir);
    let mut text = header("layouts");
    for zone in ["a", "b", "c"] {
        text += &workload(zone, zone, Some(&az_id(zone)));
    }
    text += ONE_GATEWAY;
    text += GATEWAY_PER_AZ;
    let result = run_file(&dir, &text);
    let whole: u64 = generated
        .per_workload
        .iter()
        .map(|w| w.request_bytes + w.response_bytes)
        .sum();
    let others: u64 = generated.per_workload[1..]
        .iter()
        .map(|w| w.request_bytes + w.response_bytes)
        .sum();
    for name in ["natgw-one", "natgw-per-az"] {
        let (connections, bytes, cross) = offered(&result, name);
        // The per-AZ workloads together: every connection with an az-id, none twice.
        assert_eq!(connections, generated.connections as f64, "{name}");
        assert_bytes(name, bytes, whole);
        if name == "natgw-one" {
            // The gateway is in a: b's and c's bytes cross AZs, each way.
            assert!(others > 0);
            assert_within("cross-AZ through one gateway", cross, others, 1e-5);
        } else {
            assert_eq!(cross, 0.0, "a gateway per AZ carries no cross-AZ bytes");
        }
    }
    let cost = |name: &str| crate::support::by_name(&result, name).get(Metric::CostCrossAzUsd);
    assert!(cost("natgw-one") > 0.0);
    assert_eq!(cost("natgw-per-az"), 0.0);
}

#[test]
fn an_az_id_the_logs_lack_is_refused_naming_the_ids_they_have() {
    let dir = scratch("replay-az-unknown");
    write_logs(&dir);
    let text = header("unknown") + &workload("recorded", "a", Some("use1-az9")) + ONE_GATEWAY;
    let file = write_file(&dir, "scenario.toml", &text);
    let (output, error) = run_cli_stderr(&["validate", path(&file)]);
    assert_eq!(output.status.code(), Some(2));
    assert!(error.contains("workload[0].flow_logs_az_id"), "{error}");
    assert!(error.contains("\"use1-az9\""), "{error}");
    for id in ["use1-az1", "use1-az2", "use1-az3"] {
        assert!(error.contains(id), "{id}: {error}");
    }
    assert!(
        error.contains(&format!("{WITHOUT_AZ} connections without az-id")),
        "{error}"
    );

    // Logs without the az-id field at all.
    std::fs::remove_file(dir.join("logs/custom.log")).unwrap();
    let text = header("no-field") + &workload("recorded", "a", Some("use1-az1")) + ONE_GATEWAY;
    std::fs::write(&file, &text).unwrap();
    let error = parse_scenario_file(&file).unwrap_err().to_string();
    assert!(error.contains("carry no az-id"), "{error}");

    // The key without flow_logs.
    let text = header("no-logs")
        + "\n[[workload]]\nrate_per_s = 1\nflow_logs_az_id = \"use1-az1\"\n"
        + ONE_GATEWAY;
    std::fs::write(&file, &text).unwrap();
    let error = parse_scenario_file(&file).unwrap_err().to_string();
    assert!(
        error.contains("flow_logs_az_id is set but flow_logs is not"),
        "{error}"
    );
}

#[test]
fn run_notes_the_connections_an_az_workload_left_out() {
    let dir = scratch("replay-az-notes");
    let generated = write_logs(&dir);
    let text = header("notes") + &workload("recorded", "b", Some("use1-az2")) + ONE_GATEWAY;
    let file = write_file(&dir, "scenario.toml", &text);
    let (output, stderr) = run_cli_stderr(&["validate", path(&file)]);
    assert_ok(&output);
    let others = generated.per_workload[0].connections + generated.per_workload[2].connections;
    let expected =
        format!("flow_logs_az_id left out {others} of other AZs and {WITHOUT_AZ} without an az-id");
    assert!(stderr.contains(&expected), "{expected}: {stderr}");
}

/// `natsim fit` writes, in its comments, the workloads that replay the logs per AZ; put in place
/// of the drawn workloads they replay every connection that has an az-id, from the written
/// file's folder.
#[test]
fn the_replay_fit_suggests_runs_per_az() {
    let dir = scratch("replay-az-fit");
    let generated = write_logs(&dir);
    let out = dir.join("fitted/fitted.toml");
    std::fs::create_dir_all(out.parent().unwrap()).unwrap();
    let logs = dir.join("logs");
    run_cli_ok(&["fit", path(&logs), "-o", path(&out)]);
    let fitted = crate::support::read(&out);
    assert!(
        fitted.contains("use1-az1 is zone a, use1-az2 is zone b, use1-az3 is zone c"),
        "{fitted}"
    );
    // The suggested workloads, uncommented.
    let suggested: String = fitted
        .lines()
        .skip_while(|l| !l.starts_with("# To replay the recorded connections"))
        .skip(1)
        .map_while(|l| l.strip_prefix("#   "))
        .map(|l| format!("{l}\n"))
        .collect();
    assert!(
        suggested.contains("flow_logs = [\"../logs\"]"),
        "{suggested}"
    );
    assert_eq!(
        suggested.matches("flow_logs_az_id").count(),
        3,
        "{suggested}"
    );
    // The fitted file with its drawn workloads replaced by the suggested ones.
    let mut text = String::new();
    for block in fitted.split("\n[[") {
        if !block.starts_with("workload]]") {
            if !text.is_empty() {
                text += "\n[[";
            }
            text += block;
        }
    }
    text += "\n";
    text += &suggested;
    let result = run_file(out.parent().unwrap(), &text);
    for name in ["natgw-shared", "natgw-per-az"] {
        let (connections, _, cross) = offered(&result, name);
        assert_eq!(connections, generated.connections as f64, "{name}");
        assert_eq!(cross == 0.0, name == "natgw-per-az", "{name}: {cross}");
    }
}

/// Two AZ IDs in one zone (the default `a`, say) would hide the cross-AZ traffic; one AZ ID in
/// two zones would invent some: both refused at the later workload's `az`.
#[test]
fn an_az_id_is_one_zone() {
    let dir = scratch("replay-az-zones");
    write_logs(&dir);
    let file = dir.join("scenario.toml");
    for (second, expected) in [
        (
            workload("b", "a", Some("use1-az2")),
            "this one AZ ID \"use1-az2\" in the same zone",
        ),
        (
            workload("b", "b", Some("use1-az1")),
            "this one in zone \"b\"",
        ),
    ] {
        let text = header("zones") + &workload("a", "a", Some("use1-az1")) + &second + ONE_GATEWAY;
        std::fs::write(&file, &text).unwrap();
        let error = parse_scenario_file(&file).unwrap_err().to_string();
        assert!(error.contains("workload[1].az"), "{error}");
        assert!(error.contains(expected), "{expected}: {error}");
    }
    // The same AZ ID in the same zone (TCP and UDP, say) is fine.
    let text = header("zones")
        + &workload("a", "a", Some("use1-az1"))
        + &workload("a2", "a", Some("use1-az1"))
        + ONE_GATEWAY;
    std::fs::write(&file, &text).unwrap();
    parse_scenario_file(&file).unwrap_or_else(|e| panic!("{e}"));
}
