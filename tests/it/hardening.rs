//! Issue 9 regressions at the command line: inputs read once and capped, batch names that
//! cannot collide, CSV that every reader splits the same way, run and sweep in their own
//! folders, writes that leave no temporary file and a manifest that marks a complete set,
//! interrupted sweeps told apart, and runaway runs refused before they start.

use crate::support::{
    assert_ok, natsim, path, read, repo_root, run_cli, run_cli_ok, scratch, stderr, stdout,
    write_file,
};
use natsim::io::report::manifest;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};

const SMALL: &str = r#"
[scenario]
name = "small"
duration = "3m"
warmup = "30s"

[[workload]]
rate_per_s = 5
request_bytes = "1KB"
response_bytes = "10KB"

[[candidate]]
name = "natgw"
kind = "nat_gateway"
"#;

/// 2 points × 1 candidate × 2 replications = 4 short runs.
const SMALL_SWEEP: &str = r#"
[scenario]
name = "small-sweep"
duration = "3m"
replications = 2

[sweep]
"workload[0].rate_per_s" = [1, 10]

[[workload]]
rate_per_s = 5

[[candidate]]
name = "natgw"
kind = "nat_gateway"
"#;

fn named(text: &str, name: &str) -> String {
    text.replacen("name = \"small\"", &format!("name = \"{name}\""), 1)
}

/// Temporary files (`.<name>...tmp...`) left in `dir`.
fn temporaries(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with('.') && n.contains(".tmp"))
                .collect()
        })
        .unwrap_or_default()
}

/// Waits for `child` at most `limit`; kills it and fails when it hangs.
fn wait_or_kill(mut child: std::process::Child, limit: Duration) -> Output {
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > limit {
            child.kill().unwrap();
            let _ = child.wait();
            panic!("natsim hung for {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

#[cfg(unix)]
#[test]
fn issue_9_a_scenario_from_a_fifo_is_read_once() {
    let dir = scratch("h9-fifo");
    for (command, text) in [("run", SMALL), ("validate", SMALL_SWEEP)] {
        let fifo = dir.join(format!("{command}.toml"));
        let c_path = std::ffi::CString::new(path(&fifo)).unwrap();
        // SAFETY: a valid NUL-terminated path; mkfifo touches nothing else.
        assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
        let out = dir.join(format!("{command}-out"));
        let mut args = vec![command, path(&fifo)];
        if command == "run" {
            args.extend(["--out", path(&out)]);
        }
        let child = natsim()
            .args(&args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // One writer, once: a second read would wait for another writer for ever.
        std::fs::write(&fifo, text).unwrap();
        let output = wait_or_kill(child, Duration::from_secs(60));
        assert_ok(&output);
        if command == "run" {
            let report = read(&out.join("report.html"));
            assert!(
                report.contains("rate_per_s = 5"),
                "the scenario's text is in the report"
            );
        } else {
            let stdout = stdout(&output);
            assert!(stdout.contains("sweep of 2 point(s)"), "{stdout}");
        }
    }
}

#[test]
fn issue_9_a_scenario_file_is_capped_at_1_mib() {
    let dir = scratch("h9-cap");
    let big = dir.join("big.toml");
    let comment = format!("# {}\n", "x".repeat(1_000));
    std::fs::write(&big, format!("{SMALL}{}", comment.repeat(1_100))).unwrap();
    let mut inputs = vec![big];
    if Path::new("/dev/zero").exists() {
        inputs.push(PathBuf::from("/dev/zero"));
    }
    for input in inputs {
        let started = Instant::now();
        let output = run_cli(&["validate", path(&input)]);
        let message = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{message}");
        assert!(
            message.contains(path(&input)) && message.contains("larger than 1 MiB"),
            "{message}"
        );
        assert!(started.elapsed() < Duration::from_secs(10), "read in full");
    }
}

#[test]
fn issue_9_batch_names_cannot_collide_with_the_batch_files() {
    let dir = scratch("h9-batch-names");
    let inputs = dir.join("in");
    std::fs::create_dir_all(&inputs).unwrap();
    for (file, name) in [
        ("a.toml", "index.html"),
        ("b.toml", "batch.csv"),
        ("c.toml", "Batch.Parquet"),
        ("d.toml", ".hidden"),
        ("e.toml", "fine"),
    ] {
        std::fs::write(inputs.join(file), named(SMALL, name)).unwrap();
    }
    let out = dir.join("out");
    let output = run_cli(&["run", path(&inputs), "--out", path(&out)]);
    let message = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{message}");
    for (file, name) in [
        ("a.toml", "index.html"),
        ("b.toml", "batch.csv"),
        ("c.toml", "Batch.Parquet"),
        ("d.toml", ".hidden"),
    ] {
        assert!(
            message.contains(&format!("{file}: scenario.name: \"{name}\"")),
            "{file}: {message}"
        );
    }
    assert!(out.join("index.html").is_file() && out.join("batch.csv").is_file());
    assert!(out.join("fine").join("summary.csv").is_file());
    assert!(temporaries(&out).is_empty(), "{:?}", temporaries(&out));
    manifest::verify(&out).unwrap();
}

/// Splits CSV text into records as RFC 4180 readers do, and as Python's csv module and
/// spreadsheets also do: a CR or LF outside quotes ends a record.
fn rfc4180_records(text: &str) -> Vec<Vec<String>> {
    let (mut records, mut record, mut field) = (Vec::new(), Vec::new(), String::new());
    let (mut quoted, mut chars) = (false, text.chars().peekable());
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => record.push(std::mem::take(&mut field)),
            ('\r' | '\n', false) => {
                if c == '\r' && chars.peek() == Some(&'\n') {
                    chars.next();
                }
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
            }
            _ => field.push(c),
        }
    }
    records
}

#[test]
fn issue_9_batch_csv_quotes_carriage_returns_commas_and_quotes() {
    let dir = scratch("h9-batch-quoting");
    let odd = write_file(&dir, "odd\rname, \"quoted\".toml", &named(SMALL, "odd"));
    std::fs::write(dir.join("plain.toml"), named(SMALL, "plain")).unwrap();
    let out = dir.join("out");
    run_cli_ok(&[
        "run",
        path(&odd),
        path(&dir.join("plain.toml")),
        "--out",
        path(&out),
    ]);
    let records = rfc4180_records(&read(&out.join("batch.csv")));
    assert_eq!(
        records.len(),
        3,
        "header and one row per scenario: {records:?}"
    );
    assert!(records.iter().all(|r| r.len() == records[0].len()));
    assert_eq!(records[1][0], path(&odd));
}

#[test]
fn issue_9_run_and_sweep_of_one_scenario_keep_separate_folders() {
    let dir = scratch("h9-run-vs-sweep");
    std::fs::write(dir.join("s.toml"), SMALL_SWEEP).unwrap();
    for command in ["run", "sweep"] {
        let output = natsim()
            .args([command, "s.toml"])
            .current_dir(&dir)
            .output()
            .unwrap();
        assert_ok(&output);
    }
    let run_dir = dir.join("output/small-sweep");
    let sweep_dir = run_dir.join("sweep");
    assert!(read(&run_dir.join("report.html")).contains("<h1>natsim: small-sweep</h1>"));
    assert!(run_dir.join("summary.csv").is_file() && !run_dir.join("sweep.csv").exists());
    assert!(sweep_dir.join("sweep.csv").is_file() && !sweep_dir.join("summary.csv").exists());
    assert!(read(&sweep_dir.join("report.html")).contains("<h1>natsim sweep: small-sweep</h1>"));
    assert!(
        manifest::verify(&run_dir)
            .unwrap()
            .contains(&"report.html".to_string())
    );
    assert!(
        manifest::verify(&sweep_dir)
            .unwrap()
            .contains(&"sweep.parquet".to_string())
    );
}

#[test]
fn issue_9_a_failed_write_says_which_file_and_what_to_do_and_leaves_no_temporary() {
    let dir = scratch("h9-failed-write");
    let file = write_file(&dir, "small.toml", SMALL);
    // A folder where a plot goes: the write fails as surely as on a full disk, at the rename.
    for blocked in ["throughput.png", "summary.csv", "report.html"] {
        let out = dir.join(format!("out-{blocked}"));
        std::fs::create_dir_all(out.join(blocked)).unwrap();
        let output = run_cli(&["run", path(&file), "--out", path(&out)]);
        let message = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{message}");
        assert!(
            message.contains(&format!("cannot write {}", path(&out.join(blocked)))),
            "{message}"
        );
        assert!(
            message.contains("renaming") && message.contains("--out"),
            "{message}"
        );
        assert!(!message.contains("Custom {") && !message.contains("ImageError"));
        assert!(temporaries(&out).is_empty(), "{:?}", temporaries(&out));
        assert!(
            manifest::verify(&out).is_err(),
            "a failed run is not a complete set"
        );
    }
}

#[test]
fn issue_9_stale_temporary_files_are_removed_on_the_next_run() {
    let dir = scratch("h9-stale");
    let file = write_file(&dir, "small.toml", SMALL);
    let out = dir.join("out");
    std::fs::create_dir_all(&out).unwrap();
    let stale = [
        ".sweep.parquet.tmp",
        ".throughput.tmp.png",
        ".refusals.tmp.png",
        ".sweep_cost.svg.tmp",
        ".summary.csv.4294967295.tmp",
    ];
    for name in stale.iter().chain([".notes.txt.tmp"].iter()) {
        std::fs::write(out.join(name), "left by a killed process").unwrap();
    }
    let output = run_cli(&["run", path(&file), "--out", path(&out)]);
    assert_ok(&output);
    assert!(stderr(&output).contains("removed 5 temporary file(s)"));
    assert_eq!(
        temporaries(&out),
        [".notes.txt.tmp"],
        "a user's own file stays"
    );
}

#[test]
fn issue_9_a_run_is_written_as_one_set_and_a_failed_rerun_is_not_complete() {
    let dir = scratch("h9-one-set");
    let file = write_file(&dir, "small.toml", SMALL);
    let out = dir.join("out");
    run_cli_ok(&["run", path(&file), "--out", path(&out)]);
    let listed = manifest::verify(&out).unwrap();
    assert_eq!(
        listed,
        [
            "summary.csv",
            "summary.json",
            "timeseries.csv",
            "summary_by_workload.csv",
            "timeseries_by_workload.csv",
            "cost.png",
            "cost.svg",
            "throughput.png",
            "throughput.svg",
            "utilization.png",
            "utilization.svg",
            "refusals.png",
            "refusals.svg",
            "report.html"
        ]
    );
    // Bad input touches nothing: the complete set stays complete.
    let output = run_cli(&["run", path(&file), "--out", path(&out), "--threads", "0"]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(manifest::verify(&out).unwrap(), listed);
    // A rerun that fails half-way leaves new CSVs beside the old report: no manifest says so.
    std::fs::remove_file(out.join("report.html")).unwrap();
    std::fs::create_dir(out.join("report.html")).unwrap();
    let output = run_cli(&["run", path(&file), "--out", path(&out), "--seed", "9"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(manifest::verify(&out).is_err());
}

#[test]
fn issue_9_a_sweep_killed_between_sweep_csv_and_sweep_parquet_is_interrupted() {
    let dir = scratch("h9-sweep-killed");
    let file = write_file(&dir, "s.toml", SMALL_SWEEP);
    let out = dir.join("out");
    run_cli_ok(&["sweep", path(&file), "--out", path(&out)]);
    let whole = read(&out.join("sweep.csv"));
    // What a kill after sweep.csv and winners.csv leaves: no parquet, plots, page or manifest.
    for name in ["sweep.parquet", "report.html", "manifest.json"] {
        std::fs::remove_file(out.join(name)).unwrap();
    }
    let output = run_cli(&["sweep", path(&file), "--out", path(&out)]);
    let message = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{message}");
    assert!(
        message.contains("4 finished run(s)") && message.contains("--resume"),
        "{message}"
    );
    assert!(!out.join("sweep.parquet").exists(), "nothing was redone");
    let output = run_cli(&["sweep", path(&file), "--out", path(&out), "--resume"]);
    assert_ok(&output);
    assert!(stdout(&output).contains("(4 resumed)"));
    assert_eq!(read(&out.join("sweep.csv")), whole);
    manifest::verify(&out).unwrap();
}

#[test]
fn issue_9_runaway_runs_are_refused_without_yes_naming_the_knob() {
    let dir = scratch("h9-runaway");
    let quickstart = read(&repo_root().join("scenarios/quickstart.toml"));
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "rate",
            SMALL
                .replace("rate_per_s = 5", "rate_per_s = 1e7")
                .replace("duration = \"3m\"", "duration = \"24h\""),
            "workload[0].rate_per_s",
        ),
        (
            "year",
            quickstart.replace("duration = \"2h\"", "duration = \"366d\""),
            "workload[0].rate_per_s",
        ),
        (
            "replications",
            quickstart.replace("seed = 42", "seed = 42\nreplications = 10000"),
            "scenario.replications",
        ),
        (
            "clients",
            SMALL
                .replace("rate_per_s = 5", "rate_per_s = 100\nclients = 1000000")
                .replace("nat_gateway", "internet_gateway"),
            "workload[0].clients",
        ),
    ];
    for (case, text, knob) in cases {
        let file = write_file(&dir, &format!("{case}.toml"), &text);
        let out = dir.join(format!("out-{case}"));
        // Before the fix these started silently and ran for days: give up after a minute.
        let child = natsim()
            .args(["run", path(&file), "--out", path(&out)])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let output = wait_or_kill(child, Duration::from_secs(60));
        let message = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{case}: {message}");
        assert!(
            message.contains("estimate: "),
            "{case}: the estimate is printed: {message}"
        );
        assert!(
            message.contains(&format!("{case}.toml: {knob}: ")) && message.contains("--yes"),
            "{case}: {message}"
        );
        assert!(!out.exists(), "{case}: nothing written");
    }
    // A sweep is weighed as a whole.
    let sweep = SMALL_SWEEP
        .replace("[1, 10]", "[1e6, 2e6]")
        .replace("3m", "2h");
    std::fs::write(dir.join("sweep.toml"), &sweep).unwrap();
    let output = run_cli(&[
        "sweep",
        path(&dir.join("sweep.toml")),
        "--out",
        path(&dir.join("s")),
    ]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).contains("workload[0].rate_per_s"));
    // --yes is the way through (on a run small enough to finish here).
    std::fs::write(dir.join("ok.toml"), SMALL).unwrap();
    let out = dir.join("out-ok");
    run_cli_ok(&[
        "run",
        path(&dir.join("ok.toml")),
        "--out",
        path(&out),
        "--yes",
    ]);
}

#[test]
fn issue_9_a_valid_run_prints_nothing_on_stderr_off_a_terminal() {
    let dir = scratch("h9-quiet");
    let file = write_file(&dir, "small.toml", SMALL);
    let output = natsim()
        .args(["run", path(&file), "--out", path(&dir.join("out"))])
        .env("NATSIM_PROGRESS_AFTER_S", "0")
        .output()
        .unwrap();
    assert_ok(&output);
    assert_eq!(
        stderr(&output),
        "",
        "no bar and no estimate when stderr is not a terminal"
    );
}

/// `natsim run` on a pseudo-terminal draws its progress bar on stderr.
#[cfg(target_os = "linux")]
#[test]
fn issue_9_run_shows_a_progress_bar_on_a_terminal() {
    use std::io::Read;
    use std::os::fd::FromRawFd;
    let dir = scratch("h9-bar");
    let file = write_file(&dir, "small.toml", &SMALL.replace("3m", "2h"));
    // SAFETY: plain libc calls on the descriptor just opened; each result is checked.
    let (master, terminal) = unsafe {
        let master = libc::posix_openpt(libc::O_RDWR | libc::O_NOCTTY);
        assert!(master >= 0);
        assert_eq!(libc::grantpt(master), 0);
        assert_eq!(libc::unlockpt(master), 0);
        let size = libc::winsize {
            ws_row: 24,
            ws_col: 120,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        libc::ioctl(master, libc::TIOCSWINSZ, &size);
        let mut name = [0 as libc::c_char; 128];
        assert_eq!(libc::ptsname_r(master, name.as_mut_ptr(), name.len()), 0);
        let name = std::ffi::CStr::from_ptr(name.as_ptr())
            .to_str()
            .unwrap()
            .to_string();
        (std::fs::File::from_raw_fd(master), name)
    };
    let stderr = std::fs::OpenOptions::new()
        .write(true)
        .open(&terminal)
        .unwrap();
    let child = natsim()
        .args(["run", path(&file), "--out", path(&dir.join("out"))])
        .env("NATSIM_PROGRESS_AFTER_S", "0")
        .stdout(std::process::Stdio::null())
        .stderr(stderr)
        .spawn()
        .unwrap();
    let reader = std::thread::spawn(move || {
        let mut seen = Vec::new();
        let mut buffer = [0u8; 4096];
        let mut master = master;
        // Reading fails (EIO) once the child has closed the terminal.
        while let Ok(n) = master.read(&mut buffer) {
            if n == 0 {
                break;
            }
            seen.extend_from_slice(&buffer[..n]);
        }
        String::from_utf8_lossy(&seen).into_owned()
    });
    let output = wait_or_kill(child, Duration::from_secs(120));
    assert!(output.status.success());
    let drawn = reader.join().unwrap();
    assert!(drawn.contains("% of the simulated time"), "{drawn:?}");
}
