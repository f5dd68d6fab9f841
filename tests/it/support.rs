//! Helpers shared by the integration tests.

#![allow(dead_code)]

use natsim::io::report::csv::split_line;
use natsim::io::report::number;
use natsim::io::scenario::{Scenario, parse_scenario};
use natsim::results::batch::{ScenarioResult, run_scenario};
use natsim::results::summary::{Metric, Summary};
use polars::prelude::{AnyValue, DataFrame, ParquetReader, SerReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn parse(text: &str) -> Scenario {
    parse_scenario(text, "test.toml").unwrap_or_else(|e| panic!("test scenario must parse: {e}"))
}

pub fn run(text: &str) -> (Scenario, ScenarioResult) {
    let scenario = parse(text);
    let result = run_scenario(&scenario);
    (scenario, result)
}

pub fn by_name<'a>(result: &'a ScenarioResult, name: &str) -> &'a Summary {
    result
        .summaries
        .iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("no candidate {name}"))
}

/// One Parquet value as the CSV would write it: `None` for a value the CSV cannot hold.
fn parquet_text(value: &AnyValue, exact: bool) -> Option<String> {
    Some(match value {
        AnyValue::Null => String::new(),
        AnyValue::Float64(x) if exact => x.to_string(),
        AnyValue::Float64(x) => number(*x),
        AnyValue::UInt64(n) => n.to_string(),
        AnyValue::Boolean(b) => b.to_string(),
        AnyValue::String(text) => text.to_string(),
        AnyValue::StringOwned(text) => text.to_string(),
        _ => return None,
    })
}

/// Asserts that `csv` and `parquet` hold the same columns and rows, cell by cell (swept
/// `param_*` values in full, figures to the CSV's six significant digits, nulls where the CSV is
/// empty); returns the frame and its count of nulls.
pub fn same_rows_in_csv_and_parquet(csv: &Path, parquet: &Path) -> (DataFrame, usize) {
    let (header, rows) = csv_rows(&read(csv));
    let file = std::fs::File::open(parquet).unwrap();
    let frame = ParquetReader::new(file).finish().unwrap();
    let names: Vec<String> = frame
        .get_column_names()
        .iter()
        .map(|n| n.to_string())
        .collect();
    assert_eq!(names, header);
    assert_eq!(frame.height(), rows.len());
    let mut nulls = 0;
    for (index, name) in header.iter().enumerate() {
        let column = frame.column(name).unwrap();
        let exact = name.starts_with("param_");
        for (row, csv_row) in rows.iter().enumerate() {
            let value = column.get(row).unwrap();
            nulls += usize::from(value.is_null());
            let text = parquet_text(&value, exact)
                .unwrap_or_else(|| panic!("{name}: unexpected type {}", column.dtype()));
            assert_eq!(text, csv_row[index], "row {row}, column {name}");
        }
    }
    (frame, nulls)
}

/// Asserts offered = out + in + dropped + in flight for `s`, to a billionth of the offered bytes.
pub fn assert_bytes_conserved(s: &Summary) {
    let offered = s.get(Metric::OfferedGb);
    let accounted = s.get(Metric::OutGb)
        + s.get(Metric::InGb)
        + s.get(Metric::DroppedGb)
        + s.get(Metric::InFlightGb);
    assert!(
        (offered - accounted).abs() <= 1e-9 * offered.max(1.0),
        "{}: offered {offered} GB, accounted {accounted} GB",
        s.name
    );
}

pub fn metric(result: &ScenarioResult, name: &str, metric: Metric) -> f64 {
    by_name(result, name).get(metric)
}

/// Erlang B blocking probability for offered load `erlangs` on `servers`, by the stable recursion
/// B(0) = 1, B(c) = E·B(c−1) / (c + E·B(c−1)).
pub fn erlang_b(erlangs: f64, servers: u32) -> f64 {
    (1..=servers).fold(1.0, |b, c| erlangs * b / (c as f64 + erlangs * b))
}

pub fn natsim() -> Command {
    Command::new(env!("CARGO_BIN_EXE_natsim"))
}

pub fn run_cli(args: &[&str]) -> Output {
    natsim().args(args).output().expect("natsim binary runs")
}

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A fresh empty folder under the target directory for one test's files.
pub fn scratch(name: &str) -> PathBuf {
    let dir = repo_root().join("target").join("test-scratch").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch folder");
    dir
}

pub fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// Parses a CSV written by natsim (no quoted commas in numeric columns) into header and rows.
pub fn csv_rows(text: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut lines = text.lines();
    let header = split_line(lines.next().unwrap_or_default());
    (header, lines.map(split_line).collect())
}

/// Where the column named `column` stands in `header`.
pub fn column_index(header: &[String], column: &str) -> usize {
    header
        .iter()
        .position(|h| h == column)
        .unwrap_or_else(|| panic!("no column {column}"))
}

/// The value of `column` in `row`, as a number.
pub fn column(header: &[String], row: &[String], column: &str) -> f64 {
    let index = column_index(header, column);
    row[index]
        .parse()
        .unwrap_or_else(|_| panic!("column {column} = {:?} is not a number", row[index]))
}

/// report.html's `<section id="ID">`, from its opening tag to its `</section>`.
pub fn section<'a>(html: &'a str, id: &str) -> &'a str {
    let start = html
        .find(&format!("<section id=\"{id}\">"))
        .unwrap_or_else(|| panic!("no {id} section in report.html"));
    let end = start + html[start..].find("</section>").expect("section closes");
    &html[start..end]
}

/// Compares `actual` with the committed snapshot at `path`, or rewrites the snapshot when the
/// environment variable `update_var` is set; a mismatch names the first differing line and the
/// command that regenerates the file.
pub fn check_snapshot(path: &Path, actual: &str, update_var: &str, regenerate: &str) {
    if std::env::var_os(update_var).is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(path).unwrap_or_default();
    if expected != actual {
        let first = expected
            .lines()
            .zip(actual.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(expected.lines().count().min(actual.lines().count()));
        panic!(
            "{} differs from this run at line {}:\n  committed: {}\n  now:       {}\nreview the change, then regenerate: {regenerate}",
            path.display(),
            first + 1,
            expected.lines().nth(first).unwrap_or("<end>"),
            actual.lines().nth(first).unwrap_or("<end>")
        );
    }
}

/// A path as the `&str` a command line takes.
pub fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Writes `text` to `dir/name`; the file's path.
pub fn write_file(dir: &Path, name: &str, text: &str) -> PathBuf {
    let file = dir.join(name);
    std::fs::write(&file, text).unwrap_or_else(|e| panic!("write {}: {e}", file.display()));
    file
}

/// A command's stdout as text.
pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A command's stderr as text.
pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Asserts that a command succeeded; the panic otherwise gives its exit code, stderr and stdout.
pub fn assert_ok(output: &Output) {
    assert!(
        output.status.success(),
        "exit {:?}: {}\nstdout: {}",
        output.status.code(),
        stderr(output),
        stdout(output)
    );
}

/// `natsim ARGS` and its stderr as text, for a test that reads how it failed.
pub fn run_cli_stderr(args: &[&str]) -> (Output, String) {
    let output = run_cli(args);
    let stderr = stderr(&output);
    (output, stderr)
}

/// Asserts that a command refused bad input as the CLI promises: exit 2, every `expected`
/// fragment in its stderr, and no panic; `what` leads each failure message. Its stderr.
pub fn assert_refused(what: &str, output: &Output, expected: &[&str]) -> String {
    let stderr = stderr(output);
    assert_eq!(
        output.status.code(),
        Some(2),
        "{what}: exit code; stderr: {stderr}"
    );
    for fragment in expected {
        assert!(
            stderr.contains(fragment),
            "{what}: expected {fragment:?} in: {stderr}"
        );
    }
    assert!(!stderr.contains("panicked"), "{what}: {stderr}");
    stderr
}

/// `natsim ARGS`, which must succeed (see [`assert_ok`]); its stdout.
pub fn run_cli_ok(args: &[&str]) -> String {
    let output = run_cli(args);
    assert_ok(&output);
    stdout(&output)
}

/// `natsim run FILE --out OUT`, which must succeed; its stdout.
pub fn run_file(file: &Path, out: &Path) -> String {
    run_cli_ok(&["run", path(file), "--out", path(out)])
}

/// `natsim sweep FILE --out OUT`, which must succeed; its stdout.
pub fn sweep_file(file: &Path, out: &Path) -> String {
    run_cli_ok(&["sweep", path(file), "--out", path(out)])
}
