//! `natsim run` over several files or a folder: every good file runs and writes its outputs, a
//! bad one is named on stderr, batch.csv gathers every summary row, and the exit code is 2 when
//! any file failed.

use crate::support::{
    csv_rows, path, read, run_cli, run_cli_ok, run_file, scratch, stderr, write_file,
};

fn scenario(name: &str) -> String {
    format!(
        r#"
[scenario]
name = "{name}"
duration = "3m"
warmup = "30s"

[[workload]]
rate_per_s = 5
request_bytes = "1KB"
response_bytes = "10KB"

[[candidate]]
name = "natgw"
kind = "nat_gateway"

[[candidate]]
name = "nano"
kind = "nat_instance"
instance_type = "t4g.nano"
"#
    )
}

#[test]
fn a_batch_with_one_broken_file_runs_the_others_and_names_it() {
    let dir = scratch("batch-broken");
    let inputs = dir.join("scenarios");
    std::fs::create_dir_all(&inputs).unwrap();
    write_file(&inputs, "a-first.toml", &scenario("first"));
    write_file(
        &inputs,
        "b-broken.toml",
        &scenario("broken").replace("rate_per_s = 5", "rate_per_s = -5"),
    );
    write_file(&inputs, "c-third.toml", &scenario("third"));
    write_file(&inputs, "notes.txt", "not a scenario");
    let out = dir.join("out");
    let output = run_cli(&["run", path(&inputs), "--out", path(&out)]);
    let stderr = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("b-broken.toml") && stderr.contains("workload[0].rate_per_s"),
        "the broken file and its key must be named: {stderr}"
    );
    assert!(
        !stderr.contains("a-first.toml") && !stderr.contains("panicked"),
        "{stderr}"
    );
    for name in ["first", "third"] {
        let summary = read(&out.join(name).join("summary.csv"));
        assert_eq!(summary.lines().count(), 3, "{name}");
        // Each scenario's outputs are those of a single run: CSV files, plots and page.
        for file in [
            "timeseries.csv",
            "throughput.png",
            "cost.svg",
            "report.html",
        ] {
            assert!(out.join(name).join(file).exists(), "{name}/{file}");
        }
    }
    assert!(!out.join("broken").exists());
    // batch.parquet holds batch.csv's rows, typed.
    crate::support::same_rows_in_csv_and_parquet(
        &out.join("batch.csv"),
        &out.join("batch.parquet"),
    );
    // index.html links each scenario's page and names the file that failed.
    let index = read(&out.join("index.html"));
    for name in ["first", "third"] {
        assert!(
            index.contains(&format!("<a href=\"{name}/report.html\">{name}</a>")),
            "{index}"
        );
    }
    assert!(
        index.contains("2 scenario(s) ran; 1 file(s) failed"),
        "{index}"
    );
    assert!(index.contains("b-broken.toml"), "{index}");
    let (header, rows) = csv_rows(&read(&out.join("batch.csv")));
    assert_eq!(header[..3], ["file", "scenario", "candidate"]);
    let scenarios: Vec<&str> = rows.iter().map(|r| r[1].as_str()).collect();
    assert_eq!(scenarios, ["first", "first", "third", "third"]);
    assert!(rows[0][0].ends_with("a-first.toml"), "{:?}", rows[0]);
    // The batch rows are the scenarios' own summary rows.
    let first = read(&out.join("first").join("summary.csv"));
    let own_row = first.lines().nth(1).unwrap();
    assert!(
        read(&out.join("batch.csv")).contains(own_row),
        "batch.csv must hold summary.csv's rows"
    );
}

#[test]
fn two_files_with_one_scenario_name_do_not_overwrite_each_other() {
    let dir = scratch("batch-duplicate");
    let one = write_file(&dir, "one.toml", &scenario("same"));
    let two = write_file(&dir, "two.toml", &scenario("same"));
    let out = dir.join("out");
    let output = run_cli(&["run", path(&one), path(&two), "--out", path(&out)]);
    let stderr = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("two.toml") && stderr.contains("one.toml") && stderr.contains("\"same\""),
        "both files must be named: {stderr}"
    );
    let (_, rows) = csv_rows(&read(&out.join("batch.csv")));
    assert!(rows.iter().all(|r| r[0].ends_with("one.toml")), "{rows:?}");
    assert!(out.join("same").join("summary.csv").exists());
}

#[test]
fn a_batch_of_good_files_exits_0() {
    let dir = scratch("batch-good");
    let x = write_file(&dir, "x.toml", &scenario("x"));
    let y = write_file(&dir, "y.toml", &scenario("y"));
    let out = dir.join("out");
    run_cli_ok(&[
        "run",
        path(&y),
        path(&x),
        "--out",
        path(&out),
        "--threads",
        "2",
    ]);
    let (_, rows) = csv_rows(&read(&out.join("batch.csv")));
    let scenarios: Vec<&str> = rows.iter().map(|r| r[1].as_str()).collect();
    assert_eq!(
        scenarios,
        ["y", "y", "x", "x"],
        "files keep the order given"
    );
}

/// A folder batch runs its `*.toml` files and the `scenario.toml` of each folder in it (a
/// scenario kept with its data, like the shipped `scenarios/flowlogs/`), and nothing deeper.
#[test]
fn a_folder_batch_runs_each_subfolders_scenario_toml_and_nothing_deeper() {
    let dir = scratch("batch-subfolders");
    let inputs = dir.join("scenarios");
    for sub in ["kept", "kept/nested", "data"] {
        std::fs::create_dir_all(inputs.join(sub)).unwrap();
    }
    write_file(&inputs, "a-top.toml", &scenario("top"));
    write_file(&inputs.join("kept"), "scenario.toml", &scenario("kept"));
    write_file(
        &inputs.join("kept/nested"),
        "scenario.toml",
        &scenario("deep"),
    );
    // A data folder's TOML that is no scenario would fail if it were read.
    write_file(&inputs.join("data"), "settings.toml", "not = [a scenario");
    let out = dir.join("out");
    run_file(&inputs, &out);
    let (_, rows) = csv_rows(&read(&out.join("batch.csv")));
    let scenarios: Vec<&str> = rows.iter().map(|r| r[1].as_str()).collect();
    assert_eq!(scenarios, ["top", "top", "kept", "kept"]);
    assert!(rows[2][0].ends_with("kept/scenario.toml"), "{:?}", rows[2]);
    assert!(!out.join("deep").exists());
}
