//! Issue 13's output formats on real runs: `--format json` prints exactly `summary.json`, which
//! fits docs/schema/natsim-run.schema.json and agrees with summary.csv; Markdown is a comment and
//! nothing else; `--quiet` prints nothing; batches, sweeps, `validate` and `catalog` print
//! documents that fit their schemas; bad input still exits 2 naming the file or key.

use crate::schema::assert_valid;
use crate::support::{
    assert_ok, column, column_index, csv_rows, path, read, repo_root, run_cli, run_cli_ok, scratch,
    stderr, stdout, write_file,
};
use natsim::io::report::manifest;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// The quickstart, 20 minutes long: a NAT gateway that meets the objectives, a t4g.nano that
/// refuses two connections in three, and the c6gn.medium that wins.
pub fn short_quickstart(dir: &Path) -> PathBuf {
    let text = read(&repo_root().join("scenarios/quickstart.toml"))
        .replace("duration = \"2h\"", "duration = \"20m\"")
        .replace("warmup = \"5m\"", "warmup = \"2m\"");
    write_file(dir, "quickstart.toml", &text)
}

pub fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}):\n{text}"))
}

#[test]
fn run_json_is_summary_json_fits_its_schema_and_agrees_with_summary_csv() {
    let dir = scratch("formats-run-json");
    let file = short_quickstart(&dir);
    let out = dir.join("out");
    let printed = run_cli_ok(&["run", path(&file), "--out", path(&out), "--format", "json"]);
    assert_eq!(
        printed,
        read(&out.join("summary.json")),
        "stdout is summary.json, nothing else"
    );
    assert!(
        manifest::verify(&out)
            .unwrap()
            .contains(&"summary.json".to_string())
    );
    let doc = json(&printed);
    assert_valid("natsim-run.schema.json", &doc);
    let (header, rows) = csv_rows(&read(&out.join("summary.csv")));
    let candidates = doc["candidates"].as_array().unwrap();
    assert_eq!(candidates.len(), rows.len());
    for (c, row) in candidates.iter().zip(&rows) {
        let name = c["name"].as_str().unwrap();
        assert_eq!(name, row[1]);
        let near = |json: f64, csv: f64| (json - csv).abs() <= 1e-5 * csv.abs().max(1e-9);
        for (key, csv_column) in [
            ("total", "cost_monthly_usd"),
            ("hours", "monthly_fixed_usd"),
            ("processing", "monthly_processing_usd"),
            ("egress", "monthly_transfer_usd"),
            ("ipv4", "monthly_ipv4_usd"),
            ("storage", "monthly_storage_usd"),
            ("standby", "monthly_standby_usd"),
        ] {
            let value = c["monthly_cost_usd"][key].as_f64().unwrap();
            assert!(
                near(value, column(&header, row, csv_column)),
                "{name}: monthly {key} {value} vs summary.csv's {csv_column}"
            );
        }
        let lines = &c["monthly_cost_usd"];
        let sum: f64 = [
            "hours",
            "standby",
            "processing",
            "egress",
            "cross_az",
            "ipv4",
            "storage",
            "endpoints",
        ]
        .iter()
        .map(|k| lines[k].as_f64().unwrap())
        .sum();
        assert!((sum - lines["total"].as_f64().unwrap()).abs() < 1e-9 * sum.max(1.0));
        let refused = c["performance"]["conn_fail_rate"].as_f64().unwrap();
        assert!(
            near(refused, column(&header, row, "conn_fail_rate")),
            "{name}"
        );
        let recommended = c["recommended"].as_bool().unwrap();
        assert_eq!(
            recommended.to_string(),
            row[column_index(&header, "recommended")]
        );
        // The winner has no reason to lose; every other candidate has one, and one that misses
        // says which objective and what limit is behind it.
        assert_eq!(
            c["reason"].as_array().unwrap().is_empty(),
            recommended,
            "{name}"
        );
        if !c["meets_objectives"].as_bool().unwrap() {
            assert!(!c["missed"].as_array().unwrap().is_empty(), "{name}");
            assert!(!c["causes"].as_array().unwrap().is_empty(), "{name}");
        }
    }
    assert_eq!(doc["recommendation"]["candidate"], "fck-nat-c6gn.medium");
    let nano = &candidates[1];
    assert_eq!(nano["missed"][0]["objective"], "max_conn_fail_rate");
    assert!(
        nano["causes"][0]
            .as_str()
            .unwrap()
            .contains("connection-tracking table full")
    );
    assert_eq!(doc["objectives"].as_array().unwrap().len(), 7);
    assert!(
        doc["assumptions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["key"] == "conntrack_max" && a["candidates"][0] == "fck-nat-t4g.nano")
    );
}

#[test]
fn markdown_is_a_pull_request_comment_and_nothing_else() {
    let dir = scratch("formats-run-markdown");
    let file = short_quickstart(&dir);
    let out = dir.join("out");
    let text = run_cli_ok(&[
        "run",
        path(&file),
        "--out",
        path(&out),
        "--format",
        "markdown",
    ]);
    assert!(text.starts_with("### natsim: quickstart\n"), "{text}");
    assert!(
        text.contains("**Recommended:** fck-nat-c6gn.medium (nat_instance), \\$79.89 per month")
    );
    assert!(text.contains("| **fck-nat-c6gn.medium** (recommended) | nat_instance | 79.89 |"));
    assert!(text.contains("| fck-nat-t4g.nano | nat_instance |"));
    assert!(text.contains("- **fck-nat-t4g.nano**: refused connections"));
    assert!(text.contains("- **natgw**: meets the objectives but costs \\$"));
    assert_eq!(
        text.matches("<details>").count(),
        text.matches("</details>").count()
    );
    assert!(!text.contains("wrote "), "stdout holds the comment only");
    // The comment from the run equals the one from its summary.json's figures: same numbers.
    let doc = json(&read(&out.join("summary.json")));
    let natgw = doc["candidates"][0]["monthly_cost_usd"]["total"]
        .as_f64()
        .unwrap();
    assert!(text.contains(&format!("| natgw | nat_gateway | {natgw:.2} |")));
}

#[test]
fn table_stays_the_default_and_quiet_prints_nothing() {
    let dir = scratch("formats-quiet");
    let file = short_quickstart(&dir);
    let default = run_cli(&["run", path(&file), "--out", path(&dir.join("a"))]);
    assert_ok(&default);
    let table = run_cli(&[
        "run",
        path(&file),
        "--out",
        path(&dir.join("b")),
        "--format",
        "table",
    ]);
    assert_ok(&table);
    let text = stdout(&default);
    assert!(
        text.starts_with("scenario quickstart · region us-east-1"),
        "{text}"
    );
    assert!(text.contains("\nrecommended: fck-nat-c6gn.medium"));
    assert!(
        text.contains("summary.json"),
        "the files written are listed"
    );
    assert_eq!(
        text.replace(path(&dir.join("a")), "OUT"),
        stdout(&table).replace(path(&dir.join("b")), "OUT")
    );
    let quiet = run_cli(&["run", path(&file), "--out", path(&dir.join("q")), "--quiet"]);
    assert_ok(&quiet);
    assert_eq!(stdout(&quiet), "");
    assert_eq!(stderr(&quiet), "");
    manifest::verify(&dir.join("q")).unwrap();
    assert_eq!(
        read(&dir.join("q/summary.json")),
        read(&dir.join("a/summary.json"))
    );
}

/// A note (here: the file has a `[sweep]` that `run` does not apply) goes to stderr and into
/// the JSON's warnings, never onto stdout; `--quiet` silences it.
#[test]
fn notes_go_to_stderr_and_into_the_json_never_to_stdout() {
    let dir = scratch("formats-notes");
    let file = short_quickstart(&dir);
    let text = read(&file) + "\n[sweep]\n\"candidate[0].ips\" = [1, 2]\n";
    std::fs::write(&file, text).unwrap();
    let output = run_cli(&[
        "run",
        path(&file),
        "--out",
        path(&dir.join("out")),
        "--format",
        "json",
    ]);
    assert_ok(&output);
    assert!(stderr(&output).contains("has a [sweep] table"));
    let doc = json(&stdout(&output));
    assert_valid("natsim-run.schema.json", &doc);
    assert!(
        doc["warnings"][0]
            .as_str()
            .unwrap()
            .contains("has a [sweep] table")
    );
    let quiet = run_cli(&[
        "run",
        path(&file),
        "--out",
        path(&dir.join("out")),
        "--quiet",
    ]);
    assert_ok(&quiet);
    assert_eq!(stderr(&quiet), "");
}

#[test]
fn a_batch_prints_one_document_with_every_run_and_every_failure() {
    let dir = scratch("formats-batch");
    let good = short_quickstart(&dir);
    let other = dir.join("other.toml");
    std::fs::write(
        &other,
        read(&good).replace("name = \"quickstart\"", "name = \"other\""),
    )
    .unwrap();
    let bad = write_file(&dir, "bad.toml", &read(&good).replace("ips = 1", "ips = 9"));
    let out = dir.join("out");
    let output = run_cli(&[
        "run",
        path(&good),
        path(&bad),
        path(&other),
        "--out",
        path(&out),
        "--format",
        "json",
    ]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).contains("bad.toml") && stderr(&output).contains("candidate[0].ips"));
    let doc = json(&stdout(&output));
    assert_valid("natsim-batch.schema.json", &doc);
    let runs = doc["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 2);
    for run in runs {
        let folder = PathBuf::from(run["output"].as_str().unwrap());
        assert_eq!(run["summary"], json(&read(&folder.join("summary.json"))));
    }
    let errors = doc["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1);
    assert!(errors[0].as_str().unwrap().contains("bad.toml"));
    let text = run_cli_ok(&[
        "run",
        path(&good),
        path(&other),
        "--out",
        path(&out),
        "--format",
        "markdown",
    ]);
    assert_eq!(text.matches("### natsim: ").count(), 2, "{text}");
}

#[test]
fn sweep_validate_and_catalog_print_documents_that_fit_their_schemas() {
    let dir = scratch("formats-sweep");
    let file = dir.join("sweep.toml");
    let text = read(&short_quickstart(&dir)).replace("duration = \"20m\"", "duration = \"6m\"")
        + "\n[sweep]\n\"workload[0].rate_per_s\" = [10, 100]\n";
    std::fs::write(&file, text).unwrap();
    let out = dir.join("out");
    let output = run_cli(&[
        "sweep",
        path(&file),
        "--out",
        path(&out),
        "--format",
        "json",
    ]);
    assert_ok(&output);
    let doc = json(&stdout(&output));
    assert_valid("natsim-sweep.schema.json", &doc);
    let (header, rows) = csv_rows(&read(&out.join("winners.csv")));
    let points = doc["points"].as_array().unwrap();
    assert_eq!(points.len(), rows.len());
    let recommended = column_index(&header, "recommended");
    for (point, row) in points.iter().zip(&rows) {
        assert_eq!(
            point["recommended"].as_str().unwrap_or(""),
            row[recommended]
        );
        assert_eq!(point["candidates"].as_array().unwrap().len(), 3);
    }
    assert_eq!(points[1]["values"]["workload[0].rate_per_s"], 100);
    let markdown = run_cli(&[
        "sweep",
        path(&file),
        "--out",
        path(&out),
        "--format",
        "markdown",
    ]);
    assert_ok(&markdown);
    let text = stdout(&markdown);
    assert!(text.starts_with("### natsim sweep: quickstart\n"), "{text}");
    assert!(
        text.contains("| point | workload\\[0\\].rate_per_s | recommended |"),
        "{text}"
    );

    let validate = run_cli(&["validate", path(&file), "--format", "json"]);
    assert_ok(&validate);
    let doc = json(&stdout(&validate));
    assert_valid("natsim-validate.schema.json", &doc);
    assert_eq!(doc["sweep"]["points"], 2);
    assert_eq!(doc["candidates"], 3);

    let catalog = run_cli(&["catalog", "--format", "json"]);
    assert_ok(&catalog);
    let doc = json(&stdout(&catalog));
    assert_valid("natsim-catalog.schema.json", &doc);
    let nano = doc["instances"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"] == "t4g.nano")
        .expect("t4g.nano listed");
    assert_eq!(nano["conntrack_max"], 4096);
    assert!(
        nano["prices"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["basis"] == "derived")
    );
    let markdown = run_cli(&["catalog", "--region", "us-east-1", "--format", "markdown"]);
    assert_ok(&markdown);
    assert!(
        stdout(&markdown).contains("| t4g.nano | 2 | 0.5 |"),
        "{}",
        stdout(&markdown)
    );
}

#[test]
fn bad_input_exits_2_in_every_format_and_prints_no_document() {
    let dir = scratch("formats-bad");
    let file = dir.join("bad.toml");
    std::fs::write(
        &file,
        read(&short_quickstart(&dir)).replace("ips = 1", "ipz = 1"),
    )
    .unwrap();
    let out = dir.join("out");
    for format in ["json", "markdown"] {
        for command in [["run", path(&file)], ["validate", path(&file)]] {
            let mut args = command.to_vec();
            args.extend(["--format", format]);
            if command[0] == "run" {
                args.extend(["--out", path(&out)]);
            }
            let output = run_cli(&args);
            assert_eq!(
                output.status.code(),
                Some(2),
                "{args:?}: {}",
                stderr(&output)
            );
            assert_eq!(stdout(&output), "", "{args:?}");
            let message = stderr(&output);
            assert!(
                message.contains("bad.toml") && message.contains("candidate[0]"),
                "{message}"
            );
        }
        let output = run_cli(&["catalog", "--region", "mars-1", "--format", format]);
        assert_eq!(output.status.code(), Some(2));
        assert_eq!(stdout(&output), "");
        assert!(stderr(&output).contains("unknown region \"mars-1\""));
    }
    // --quiet keeps the error.
    let output = run_cli(&["validate", path(&file), "--quiet"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("candidate[0]"));
    let output = run_cli(&["run", path(&file), "--format", "yaml"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("table, json, markdown"),
        "{}",
        stderr(&output)
    );
    assert!(!dir.join("out").exists(), "bad input writes nothing");
}
