//! `natsim sweep FILE --shard K/N` and `natsim sweep merge DIR...` (issue 12): shards merge into
//! the very bytes one machine writes, whatever their thread counts, kills and resumes; a merge
//! names the runs still missing with the command that runs them; shards of different sweeps
//! are refused; `--plan` measures and writes nothing.

use crate::support::{
    assert_ok, assert_refused, natsim, path, read, run_cli, run_cli_ok, scratch, stdout, write_file,
};
use crate::sweep::SWEEP;
use std::path::{Path, PathBuf};
use std::process::Output;

/// The scheduler variables `--shard auto` reads, removed from every child so a test run inside
/// an array job sees none of its own.
const SCHEDULER_VARIABLES: [&str; 4] = [
    "SLURM_ARRAY_TASK_ID",
    "SLURM_ARRAY_TASK_COUNT",
    "AWS_BATCH_JOB_ARRAY_INDEX",
    "JOB_COMPLETION_INDEX",
];

/// `natsim ARGS` with the scheduler variables `env` set and no others.
fn natsim_with(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = natsim();
    command.args(args);
    for name in SCHEDULER_VARIABLES {
        command.env_remove(name);
    }
    command.envs(env.iter().copied());
    command.output().expect("natsim binary runs")
}

fn shard(file: &Path, root: &Path, spec: &str, extra: &[&str]) -> Output {
    let mut args = vec!["sweep", path(file), "--out", path(root), "--shard", spec];
    args.extend_from_slice(extra);
    natsim_with(&args, &[])
}

fn merge(dirs: &[&Path], extra: &[&str]) -> Output {
    let mut args = vec!["sweep", "merge"];
    args.extend(dirs.iter().map(|d| path(d)));
    args.extend_from_slice(extra);
    run_cli(&args)
}

/// The one-machine sweep of `file` into `dir/one`.
fn one_machine(dir: &Path, file: &Path) -> PathBuf {
    let one = dir.join("one");
    run_cli_ok(&["sweep", path(file), "--out", path(&one), "--threads", "2"]);
    one
}

/// Asserts that every file of the one-machine sweep in `one` (manifest.json and runs.csv too)
/// has the same bytes in `merged`.
fn assert_same_files(one: &Path, merged: &Path) {
    let mut names: Vec<String> = std::fs::read_dir(one)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    names.sort();
    for required in ["sweep.csv", "sweep.parquet", "winners.csv", "report.html"] {
        assert!(
            names.iter().any(|n| n == required),
            "{required} in {names:?}"
        );
    }
    assert!(
        names.iter().any(|n| n.ends_with(".png")),
        "plots: {names:?}"
    );
    for name in names {
        let (a, b) = (one.join(&name), merged.join(&name));
        assert!(
            std::fs::read(&a).unwrap() == std::fs::read(&b).unwrap_or_default(),
            "{} differs from {}",
            b.display(),
            a.display()
        );
    }
}

/// Cuts `dir/runs.csv` after `runs` whole lines and half of the next, and removes the shard's
/// manifest: what a task killed mid-write leaves.
fn kill_after(dir: &Path, runs: usize) {
    let journal = read(&dir.join("runs.csv"));
    let lines: Vec<&str> = journal.lines().collect();
    let mut cut: String = lines[..=runs].iter().map(|l| format!("{l}\n")).collect();
    cut.push_str(&lines[runs + 1][..lines[runs + 1].len() / 2]);
    std::fs::write(dir.join("runs.csv"), cut).unwrap();
    std::fs::remove_file(dir.join("manifest.json")).unwrap();
}

#[test]
fn merged_shards_are_the_bytes_one_machine_writes() {
    let dir = scratch("shard-merge");
    let file = write_file(&dir, "sweep.toml", SWEEP);
    let one = one_machine(&dir, &file);
    let root = dir.join("shards");
    assert_ok(&shard(&file, &root, "0/3", &["--threads", "1"]));
    assert_ok(&shard(&file, &root, "1/3", &["--threads", "3"]));
    // The third as a Slurm array task would run it: K and N from the environment.
    let args = [
        "sweep",
        path(&file),
        "--out",
        path(&root),
        "--shard",
        "auto",
    ];
    let slurm = [
        ("SLURM_ARRAY_TASK_ID", "2"),
        ("SLURM_ARRAY_TASK_COUNT", "3"),
    ];
    let output = natsim_with(&args, &slurm);
    assert_ok(&output);
    let printed = stdout(&output);
    assert!(
        printed.contains("shard 2 of 3 · 8 of the sweep's 24 runs"),
        "{printed}"
    );
    assert!(printed.contains("natsim sweep merge"), "{printed}");
    let journals: usize = (0..3)
        .map(|k| {
            read(&root.join(format!("shard-{k}-of-3/runs.csv")))
                .lines()
                .count()
                - 1
        })
        .sum();
    assert_eq!(journals, 24, "every run in exactly one shard");

    let output = merge(&[&root], &[]);
    assert_ok(&output);
    let stdout = stdout(&output);
    assert!(stdout.contains("merged from 3 shard(s)"), "{stdout}");
    assert_same_files(&one, &root);
    // Again (a retried merge job), from the shard folders named one by one, on one thread,
    // into another folder: the same bytes.
    assert_ok(&merge(&[&root], &[]));
    assert_same_files(&one, &root);
    let elsewhere = dir.join("elsewhere");
    let folders: Vec<PathBuf> = (0..3)
        .map(|k| root.join(format!("shard-{k}-of-3")))
        .collect();
    let mut args: Vec<&Path> = folders.iter().rev().map(PathBuf::as_path).collect();
    args.push(&folders[1]);
    assert_ok(&merge(
        &args,
        &["--out", path(&elsewhere), "--threads", "1"],
    ));
    assert_same_files(&one, &elsewhere);
}

#[test]
fn a_killed_shard_resumed_writes_the_same_journal() {
    let dir = scratch("shard-resume");
    let file = write_file(&dir, "sweep.toml", SWEEP);
    let whole = dir.join("whole");
    assert_ok(&shard(&file, &whole, "1/3", &["--threads", "2"]));
    let finished = whole.join("shard-1-of-3");

    let killed_root = dir.join("killed");
    let killed = killed_root.join("shard-1-of-3");
    std::fs::create_dir_all(&killed).unwrap();
    for name in ["scenario.toml", "shard.json", "runs.csv", "manifest.json"] {
        std::fs::copy(finished.join(name), killed.join(name)).unwrap();
    }
    kill_after(&killed, 3);
    // A retried task without --resume does not throw the finished runs away.
    assert_refused(
        "retried without --resume",
        &shard(&file, &killed_root, "1/3", &[]),
        &["3 finished run(s)", "--resume"],
    );
    let output = shard(&file, &killed_root, "1/3", &["--resume", "--threads", "3"]);
    assert_ok(&output);
    let stdout = stdout(&output);
    assert!(stdout.contains("(3 resumed)"), "{stdout}");
    for name in ["scenario.toml", "shard.json", "runs.csv", "manifest.json"] {
        assert_eq!(
            read(&finished.join(name)),
            read(&killed.join(name)),
            "{name}"
        );
    }
    // Rerunning a finished shard, with or without --resume, changes no byte.
    assert_ok(&shard(&file, &killed_root, "1/3", &["--resume"]));
    assert_ok(&shard(&file, &killed_root, "1/3", &["--threads", "1"]));
    assert_eq!(
        read(&finished.join("runs.csv")),
        read(&killed.join("runs.csv"))
    );

    // The folder of another split or another scenario is not resumed into.
    let other = write_file(
        &dir,
        "other.toml",
        &SWEEP.replace("duration = \"5m\"", "duration = \"6m\""),
    );
    kill_after(&killed, 2);
    assert_refused(
        "another scenario resumed",
        &shard(&other, &killed_root, "1/3", &["--resume"]),
        &["changed since", "--fresh"],
    );
}

#[test]
fn a_merge_names_the_missing_runs_and_the_commands_that_run_them() {
    let dir = scratch("shard-missing");
    let file = write_file(&dir, "sweep.toml", SWEEP);
    let one = one_machine(&dir, &file);
    let root = dir.join("shards");
    assert_ok(&shard(&file, &root, "0/3", &[]));
    assert_ok(&shard(&file, &root, "1/3", &[]));
    kill_after(&root.join("shard-1-of-3"), 5);
    // Shard 2 never ran.
    let stderr = assert_refused(
        "runs missing",
        &merge(&[&root], &[]),
        &[
            "shard 1 of 3: 3 of its 8 runs missing",
            "shard 2 of 3: not found",
            "its 8 runs missing",
            "11 of 24 runs missing",
        ],
    );
    assert!(stderr.contains("candidate natgw") || stderr.contains("candidate instance"));
    assert!(!root.join("sweep.csv").exists() && !root.join("manifest.json").exists());
    // The commands printed, run as they are, finish the sweep.
    let commands: Vec<&str> = stderr
        .lines()
        .filter_map(|l| l.trim().strip_prefix("run it: natsim "))
        .collect();
    assert_eq!(commands.len(), 2, "{stderr}");
    let (file, root_text) = (path(&file), path(&root));
    assert_eq!(
        commands,
        [
            format!("sweep {file} --shard 1/3 --out {root_text} --resume"),
            format!("sweep {file} --shard 2/3 --out {root_text}"),
        ]
    );
    for command in commands {
        let args: Vec<&str> = command.split_whitespace().collect();
        assert_ok(&natsim_with(&args, &[]));
    }
    assert_ok(&merge(&[&root], &[]));
    assert_same_files(&one, &root);
}

#[test]
fn shards_of_different_sweeps_are_refused() {
    let dir = scratch("shard-mismatch");
    let file = write_file(&dir, "sweep.toml", SWEEP);
    let reseeded = write_file(
        &dir,
        "reseeded.toml",
        &SWEEP.replace("replications = 2", "replications = 2\nseed = 9"),
    );
    let root = dir.join("shards");
    assert_ok(&shard(&file, &root, "0/2", &[]));
    assert_ok(&shard(&reseeded, &root, "1/2", &[]));
    assert_refused(
        "another sweep",
        &merge(&[&root], &[]),
        &[
            "not a shard of the same sweep",
            "scenario text",
            "reseeded.toml",
            "--fresh",
        ],
    );
    assert!(!root.join("sweep.csv").exists());

    // A split into 3 beside one into 2.
    let splits = dir.join("splits");
    assert_ok(&shard(&file, &splits, "0/2", &[]));
    assert_ok(&shard(&file, &splits, "1/3", &[]));
    assert_refused("another split", &merge(&[&splits], &[]), &["split into"]);

    // The same shard from two folders.
    let stray = dir.join("stray");
    assert_ok(&shard(&file, &stray, "0/2", &[]));
    assert_ok(&shard(&file, &stray, "1/2", &[]));
    let again = dir.join("again");
    assert_ok(&shard(&file, &again, "0/2", &[]));
    assert_refused(
        "the same shard twice",
        &merge(&[&stray, &again], &[]),
        &["are both shard 0 of 2"],
    );

    // A run the split gives to another shard.
    let foreign = read(&stray.join("shard-0-of-2/runs.csv"));
    let line = foreign.lines().nth(1).unwrap();
    let journal = stray.join("shard-1-of-2/runs.csv");
    std::fs::write(&journal, format!("{}{line}\n", read(&journal))).unwrap();
    assert_refused(
        "a foreign run",
        &merge(&[&stray], &[]),
        &["a run of shard 0 of 2, not of shard 1"],
    );

    // Another catalog than the shards had.
    let catalog = dir.join("catalog.toml");
    std::fs::write(
        &catalog,
        read(&crate::support::repo_root().join("src/io/catalog/catalog.toml")) + "\n",
    )
    .unwrap();
    assert_refused(
        "another catalog",
        &merge(
            &[&root.join("shard-0-of-2")],
            &["--catalog", path(&catalog)],
        ),
        &["--catalog"],
    );
    assert_refused(
        "no folder",
        &merge(&[&dir.join("nowhere")], &[]),
        &["no such folder"],
    );
    assert_refused("no shard", &merge(&[&dir], &[]), &["holds no shard"]);
}

#[test]
fn plan_prints_runs_a_measured_time_and_shard_sizes_and_writes_nothing() {
    let dir = scratch("shard-plan");
    let file = write_file(&dir, "sweep.toml", SWEEP);
    let out = dir.join("out");
    let output = shard(&file, &out, "1/4", &["--plan"]);
    assert_ok(&output);
    let stdout = stdout(&output);
    for fragment in [
        "6 point(s) × 2 candidate(s) × 2 replication(s) = 24 runs",
        "measured on one thread here",
        "per run:",
        "whole sweep: about",
        "shards N",
        "shard 1 of 4: 6 runs",
        "--shard K/N",
    ] {
        assert!(
            stdout.contains(fragment),
            "expected {fragment:?} in {stdout}"
        );
    }
    assert!(!out.exists(), "--plan writes nothing");
}

#[test]
fn a_shard_that_cannot_be_placed_is_refused() {
    let dir = scratch("shard-flags");
    let file = write_file(&dir, "sweep.toml", SWEEP);
    let out = dir.join("out");
    assert_refused("3/3", &shard(&file, &out, "3/3", &[]), &["K/N"]);
    assert_refused(
        "auto/3",
        &shard(&file, &out, "auto/3", &[]),
        &["not an array task"],
    );
    let args = ["sweep", path(&file), "--out", path(&out), "--shard", "auto"];
    // AWS Batch gives the index only; resubmitting Slurm task 2 alone makes an array of one.
    assert_refused(
        "AWS Batch",
        &natsim_with(&args, &[("AWS_BATCH_JOB_ARRAY_INDEX", "1")]),
        &["--shard auto/N"],
    );
    assert_refused(
        "Slurm array of one",
        &natsim_with(
            &args,
            &[
                ("SLURM_ARRAY_TASK_ID", "2"),
                ("SLURM_ARRAY_TASK_COUNT", "1"),
            ],
        ),
        &["not below the shard count 1"],
    );
    assert!(!out.exists(), "nothing written");
    let k8s = [
        "sweep",
        path(&file),
        "--out",
        path(&out),
        "--shard",
        "auto/3",
    ];
    assert_ok(&natsim_with(&k8s, &[("JOB_COMPLETION_INDEX", "1")]));
    assert!(out.join("shard-1-of-3/manifest.json").is_file());
}

/// The natsim command lines of `deploy/kubernetes/*.yaml` (their `command: [...]` lines) and
/// `deploy/aws-batch/*.json` (`command`, with each `Ref::name` replaced by the definition's
/// default parameter), as argument lists.
fn deploy_commands() -> Vec<(String, Vec<String>)> {
    let root = crate::support::repo_root().join("deploy");
    let mut commands = Vec::new();
    for entry in std::fs::read_dir(root.join("kubernetes")).unwrap() {
        let path = entry.unwrap().path();
        for line in read(&path).lines() {
            if let Some(list) = line.trim().strip_prefix("command: ") {
                let args: Vec<String> = serde_json::from_str(list).unwrap();
                commands.push((path.display().to_string(), args));
            }
        }
    }
    for entry in std::fs::read_dir(root.join("aws-batch")).unwrap() {
        let path = entry.unwrap().path();
        let definition: serde_json::Value = serde_json::from_str(&read(&path)).unwrap();
        let parameters = &definition["parameters"];
        let args = definition["containerProperties"]["command"]
            .as_array()
            .unwrap()
            .iter()
            .map(|arg| {
                let arg = arg.as_str().unwrap();
                match arg.strip_prefix("Ref::") {
                    Some(name) => parameters[name].as_str().unwrap().to_string(),
                    None => arg.to_string(),
                }
            })
            .collect();
        commands.push((path.display().to_string(), args));
    }
    commands
}

#[test]
fn the_deploy_files_run_natsim_as_documented() {
    let commands = deploy_commands();
    assert_eq!(commands.len(), 4, "{commands:?}");
    let mut shards = 0;
    for (file, args) in commands {
        assert_eq!(args[0], "natsim", "{file}");
        let parsed = <natsim::cli::Cli as clap::Parser>::try_parse_from(&args);
        assert!(parsed.is_ok(), "{file}: {args:?}: {}", parsed.unwrap_err());
        if args.iter().any(|a| a == "--shard") {
            shards += 1;
            // A retried task keeps its runs and a long one is not refused.
            for flag in ["--resume", "--yes", "--out"] {
                assert!(args.iter().any(|a| a == flag), "{file}: {flag}");
            }
            let spec = &args[args.iter().position(|a| a == "--shard").unwrap() + 1];
            assert!(spec.starts_with("auto/"), "{file}: K from the scheduler");
        } else {
            assert_eq!(args[1..3], ["sweep", "merge"], "{file}");
        }
    }
    assert_eq!(shards, 2, "one array job per scheduler");
    // The Kubernetes job's N is in two places that must agree.
    let job = read(&crate::support::repo_root().join("deploy/kubernetes/sweep-job.yaml"));
    let completions = job
        .lines()
        .find_map(|l| l.trim().strip_prefix("completions: "))
        .unwrap();
    assert!(job.contains(&format!("\"auto/{completions}\"")), "{job}");
}

#[test]
fn shards_run_with_set_merge_into_the_sweep_with_the_same_set() {
    let dir = scratch("shard-set");
    let file = write_file(&dir, "sweep.toml", SWEEP);
    let set = ["--set", "workload[0].response_bytes=20KB"];
    let one = dir.join("one");
    let mut args = vec!["sweep", path(&file), "--out", path(&one)];
    args.extend(set);
    assert_ok(&run_cli(&args));
    let root = dir.join("shards");
    assert_ok(&shard(&file, &root, "0/2", &set));
    assert_ok(&shard(
        &file,
        &root,
        "1/2",
        &["--set", "workload[0].response_bytes=30KB"],
    ));
    // Shard 1 ran with another --set: refused, and the command to rerun it repeats shard 0's.
    let stderr = assert_refused(
        "another --set",
        &merge(&[&root], &[]),
        &["--set", "not a shard of the same sweep"],
    );
    assert!(
        stderr.contains("--shard 1/2")
            && stderr.contains("--set 'workload[0].response_bytes=\"20KB\"'"),
        "{stderr}"
    );
    assert_ok(&shard(&file, &root, "1/2", &[set[0], set[1], "--fresh"]));
    assert_ok(&merge(&[&root], &[]));
    assert_same_files(&one, &root);
    assert!(read(&root.join("scenario.toml")).contains("# natsim --set"));
}
