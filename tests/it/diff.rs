//! `natsim diff A B` (issue 13) on real runs: one more IP changes only the IPv4 line; a larger
//! instance changes the recommendation, which `--exit-code` reports as 1; two output folders
//! diff the same as the scenarios that made them; bad input exits 2 naming the file.

use crate::formats::{json, short_quickstart};
use crate::schema::assert_valid;
use crate::support::{
    assert_ok, assert_refused, path, read, run_cli, run_cli_ok, scratch, stderr, stdout, write_file,
};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// The short quickstart as A, and B made from it by `edit`.
fn pair(dir: &Path, edit: &dyn Fn(String) -> String) -> (PathBuf, PathBuf) {
    let a = short_quickstart(dir);
    let b = write_file(dir, "b.toml", &edit(read(&a)));
    (a, b)
}

fn one_more_ip(text: String) -> String {
    text.replacen("ips = 1", "ips = 2", 1)
}

/// The t4g.nano swapped for a t4g.medium, which meets the objectives for less than the
/// c6gn.medium.
fn larger_instance(text: String) -> String {
    text.replace(
        "instance_type = \"t4g.nano\"",
        "instance_type = \"t4g.medium\"",
    )
    .replace(
        "name = \"fck-nat-t4g.nano\"",
        "name = \"fck-nat-t4g.medium\"",
    )
}

fn candidate<'a>(doc: &'a Value, name: &str) -> &'a Value {
    doc["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no {name} in {doc}"))
}

#[test]
fn one_more_ip_changes_only_the_ipv4_line_and_not_the_recommendation() {
    let dir = scratch("diff-ip");
    let (a, b) = pair(&dir, &one_more_ip);
    let output = run_cli(&[
        "diff",
        path(&a),
        path(&b),
        "--format",
        "json",
        "--exit-code",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let doc = json(&stdout(&output));
    assert_valid("natsim-diff.schema.json", &doc);
    assert_eq!(doc["recommendation"]["changed"], false);
    assert_eq!(doc["recommendation"]["after"], "fck-nat-c6gn.medium");
    let natgw = &candidate(&doc, "natgw")["monthly_cost_usd"];
    // One more public IPv4 address all month: 730 h × $0.005.
    let ipv4 = natgw["ipv4"]["change"].as_f64().unwrap();
    assert!((ipv4 - 3.65).abs() < 1e-9, "{ipv4}");
    assert!((natgw["total"]["change"].as_f64().unwrap() - 3.65).abs() < 1e-9);
    // Same seed, same traffic, no port short either way: every other line is unchanged.
    for c in doc["candidates"].as_array().unwrap() {
        for line in ["hours", "processing", "egress", "cross_az"] {
            assert_eq!(
                c["monthly_cost_usd"][line]["change"], 0.0,
                "{} {line}",
                c["name"]
            );
        }
        assert_eq!(c["conn_fail_rate"]["change"], 0.0);
        assert_eq!(c["present"], "both");
    }
    let text = run_cli_ok(&["diff", path(&a), path(&b)]);
    assert!(
        text.contains("recommendation: unchanged: fck-nat-c6gn.medium"),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with("natgw ") && l.contains("+3.65")),
        "{text}"
    );
}

#[test]
fn a_larger_instance_changes_the_recommendation_and_exit_code_says_so() {
    let dir = scratch("diff-larger");
    let (a, b) = pair(&dir, &larger_instance);
    let gate = run_cli(&["diff", path(&a), path(&b), "--exit-code", "--quiet"]);
    assert_eq!(gate.status.code(), Some(1), "{}", stderr(&gate));
    assert_eq!(stdout(&gate), "");
    let output = run_cli(&["diff", path(&a), path(&b), "--format", "json"]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "without --exit-code a change is success"
    );
    let doc = json(&stdout(&output));
    assert_valid("natsim-diff.schema.json", &doc);
    let r = &doc["recommendation"];
    assert_eq!(r["changed"], true);
    assert_eq!(r["before"], "fck-nat-c6gn.medium");
    assert_eq!(r["after"], "fck-nat-t4g.medium");
    let why = r["why"].as_str().unwrap();
    assert!(
        why.contains("in B, fck-nat-c6gn.medium: meets the objectives but costs"),
        "{why}"
    );
    assert_eq!(candidate(&doc, "fck-nat-t4g.nano")["present"], "a");
    assert_eq!(candidate(&doc, "fck-nat-t4g.medium")["present"], "b");
    assert_eq!(
        candidate(&doc, "fck-nat-t4g.medium")["monthly_cost_usd"]["total"]["change"],
        Value::Null
    );
    let markdown = run_cli(&["diff", path(&a), path(&b), "--format", "markdown"]);
    let text = stdout(&markdown);
    assert!(
        text.contains("**Recommendation changed:** fck-nat-c6gn.medium → fck-nat-t4g.medium"),
        "{text}"
    );
    assert!(text.contains("| fck-nat-t4g.nano (only in A) |"), "{text}");
}

#[test]
fn two_output_folders_diff_as_the_scenarios_that_wrote_them() {
    let dir = scratch("diff-folders");
    let (a, b) = pair(&dir, &larger_instance);
    let (out_a, out_b) = (dir.join("out-a"), dir.join("out-b"));
    run_cli_ok(&["run", path(&a), "--out", path(&out_a), "--quiet"]);
    run_cli_ok(&["run", path(&b), "--out", path(&out_b), "--quiet"]);
    let from_files = json(&stdout(&run_cli(&[
        "diff",
        path(&a),
        path(&b),
        "--format",
        "json",
    ])));
    let folders = run_cli(&[
        "diff",
        path(&out_a),
        path(&out_b),
        "--format",
        "json",
        "--exit-code",
    ]);
    assert_eq!(folders.status.code(), Some(1), "{}", stderr(&folders));
    let from_folders = json(&stdout(&folders));
    assert_valid("natsim-diff.schema.json", &from_folders);
    assert_eq!(from_folders["a"]["source"], path(&out_a));
    // Floats go through summary.json in their shortest round-trip form, and serde_json reads
    // them back to within a unit in the last place.
    assert_close(
        &from_files["candidates"],
        &from_folders["candidates"],
        "candidates",
    );
    assert_close(
        &from_files["recommendation"],
        &from_folders["recommendation"],
        "recommendation",
    );
    // A folder and a scenario mix.
    let mixed = run_cli(&["diff", path(&out_a), path(&b), "--format", "json"]);
    assert_ok(&mixed);
    assert_close(
        &json(&stdout(&mixed))["candidates"],
        &from_files["candidates"],
        "mixed",
    );
}

/// `a` and `b` hold the same keys, texts and flags, and numbers equal to 1e-14 of their size.
fn assert_close(a: &Value, b: &Value, at: &str) {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            assert!(
                (x - y).abs() <= 1e-14 * x.abs().max(y.abs()),
                "{at}: {x} vs {y}"
            );
        }
        (Value::Array(x), Value::Array(y)) => {
            assert_eq!(x.len(), y.len(), "{at}");
            for (i, (x, y)) in x.iter().zip(y).enumerate() {
                assert_close(x, y, &format!("{at}/{i}"));
            }
        }
        (Value::Object(x), Value::Object(y)) => {
            assert_eq!(
                x.keys().collect::<Vec<_>>(),
                y.keys().collect::<Vec<_>>(),
                "{at}"
            );
            for (key, x) in x {
                assert_close(x, &y[key], &format!("{at}/{key}"));
            }
        }
        _ => assert_eq!(a, b, "{at}"),
    }
}

#[test]
fn bad_input_exits_2_naming_the_file_even_with_exit_code() {
    let dir = scratch("diff-bad");
    let (a, b) = pair(&dir, &|t| t.replace("ips = 1", "ipz = 1"));
    let cases: Vec<(Vec<String>, Vec<&str>)> = vec![
        (
            vec![path(&a).into(), path(&b).into()],
            vec!["b.toml", "candidate[0]", "ipz"],
        ),
        (
            vec![path(&a).into(), path(&dir.join("missing.toml")).into()],
            vec!["missing.toml"],
        ),
    ];
    let empty = dir.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let mut cases = cases;
    cases.push((
        vec![path(&empty).into(), path(&a).into()],
        vec!["empty", "no manifest", "scenario file"],
    ));
    // A finished run whose summary.json was edited since: the manifest says so.
    let edited = dir.join("edited");
    run_cli_ok(&["run", path(&a), "--out", path(&edited), "--quiet"]);
    let summary = edited.join("summary.json");
    std::fs::write(&summary, read(&summary).replace("\"natgw\"", "\"natgw2\"")).unwrap();
    cases.push((
        vec![path(&a).into(), path(&edited).into()],
        vec!["summary.json changed since the manifest was written"],
    ));
    // A sweep's folder is complete but holds no summary.json.
    let swept = dir.join("sweep.toml");
    std::fs::write(
        &swept,
        read(&a).replace("duration = \"20m\"", "duration = \"4m\"")
            + "\n[sweep]\n\"candidate[0].ips\" = [1, 2]\n",
    )
    .unwrap();
    let sweep_out = dir.join("sweep-out");
    run_cli_ok(&["sweep", path(&swept), "--out", path(&sweep_out), "--quiet"]);
    cases.push((
        vec![path(&sweep_out).into(), path(&a).into()],
        vec!["sweep-out", "no summary.json"],
    ));
    for (args, expected) in cases {
        let mut full = vec!["diff".to_string()];
        full.extend(args.iter().cloned());
        full.push("--exit-code".into());
        let full: Vec<&str> = full.iter().map(String::as_str).collect();
        let output = run_cli(&full);
        assert_refused(&format!("{full:?}"), &output, &expected);
        assert_eq!(stdout(&output), "", "{full:?}");
    }
}
