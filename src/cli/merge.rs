//! `natsim sweep merge DIR... [--out DIR] [--threads N] [--format F]`: the shards of a sweep into
//! the files one machine's `natsim sweep FILE` writes.
//!
//! Owns the checks that make a merge safe: every shard found (`shard-K-of-N/` folders in each
//! DIR, or shard folders given themselves) carries a `shard.json` naming the same natsim
//! version, scenario text, `--set` overrides, catalog and split as the others, and as this
//! natsim and its `--catalog`; each shard's `scenario.toml` still hashes to what its `shard.json` says; each
//! run in a shard's `runs.csv` belongs to that shard under the split; every run of the plan is
//! present. A mismatch is refused (exit 2) before anything is written. Missing runs are named,
//! shard by shard, with the command that runs them, and nothing is written either. Then the
//! merged `runs.csv` (every run once, in (point, candidate, replication) order) and the final
//! files are written by `sweep::write_results`, the code a one-machine sweep ends with, so the
//! folder holds the same bytes.

use super::outputs::Outputs;
use super::print::Print;
use super::shard::{self as shard_files, shell_word};
use super::sweep::write_results;
use super::with_threads;
use crate::io::catalog::Catalog;
use crate::io::report::journal;
use crate::io::report::manifest::{self, fnv1a64};
use crate::io::report::shard::{SHARD_FILE, ShardInfo, hex};
use crate::io::report::sweep::SweepStats;
use crate::io::report::write_output;
use crate::io::scenario::Overrides;
use crate::io::scenario::replay::Traces;
use crate::io::sweep::Record;
use crate::io::sweep::plan::{Job, Plan};
use crate::io::sweep::shard::{self, JobIndex, Shard};
use anyhow::{Context, Result, anyhow, bail};
use rayon::prelude::*;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The flags of `natsim sweep merge`, and the catalog it reads points against.
#[derive(Debug, Clone, Copy)]
pub(super) struct MergeOptions<'a> {
    pub(crate) threads: Option<usize>,
    pub(crate) catalog: &'static Catalog,
    /// `--catalog`, repeated in the commands that rerun a shard.
    pub(crate) catalog_file: Option<&'a Path>,
    pub(crate) catalog_fnv1a64: u64,
    pub(crate) print: Print,
}

/// Runs examples named per shard in a message: enough to find them, short enough to read.
const RUNS_NAMED: usize = 5;

/// A shard folder and its `shard.json`.
struct Found {
    dir: PathBuf,
    info: ShardInfo,
}

/// Merges the shards in `dirs`.
pub(super) fn merge(
    dirs: &[PathBuf],
    out: Option<PathBuf>,
    options: MergeOptions<'_>,
) -> Result<()> {
    let started = Instant::now();
    let found = find_shards(dirs)?;
    check_one_sweep(&found, &options)?;
    let first = &found[0];
    let text = read_scenarios(&found)?;
    let file = PathBuf::from(&first.info.scenario_file);
    // scenario.toml is the file with its --set listed after it as comments: the same TOML.
    let overrides = Overrides::parse(&first.info.set).map_err(|problem| {
        anyhow!(
            "cannot merge: {}: its --set does not read: {problem}; rerun that shard with --fresh",
            first.dir.join(SHARD_FILE).display()
        )
    })?;
    let traces = Traces::default();
    let plan = with_threads(options.threads, || {
        Plan::from_file_text_with(&text, &file, options.catalog, &traces, &overrides)
    })?
    .map_err(|e| {
        anyhow!(
            "cannot merge: the shards' scenario ({}, swept as {}) does not read here: {e}",
            first.dir.join("scenario.toml").display(),
            first.info.scenario_file
        )
    })?;
    drop(traces);
    let plan_runs = plan.jobs().len();
    if plan_runs != first.info.plan_runs {
        bail!(
            "cannot merge: {} says the sweep has {} runs, but its scenario gives {plan_runs} here; the shards were run against other flow logs or another catalog: rerun them",
            first.dir.join(SHARD_FILE).display(),
            first.info.plan_runs
        );
    }
    let count = first.info.shards;
    let assigned = shard::assign(&plan, count);
    let index = JobIndex::new(&plan);
    let journals = with_threads(options.threads, || {
        found
            .par_iter()
            .map(|f| read_journal(f, &plan, &index, &assigned))
            .collect::<Vec<Result<Vec<Record>>>>()
    })?;
    let journals = journals.into_iter().collect::<Result<Vec<_>>>()?;
    let root = out.unwrap_or_else(|| default_out(&dirs[0]));
    let context = Rerun {
        file: &first.info.scenario_file,
        set: &first.info.set,
        catalog_file: options.catalog_file,
        root: found[0].dir.parent().unwrap_or(Path::new(".")),
    };
    check_complete(&plan, (&index, &assigned), &found, &journals, &context)?;
    let records: Vec<Record> = journals.into_iter().flatten().collect();
    guard_out(&root, &text)?;
    let outputs = Outputs::open(&root, options.print)?;
    write_output(&root.join("scenario.toml"), &text)?;
    shard_files::write_sorted_journal(&root, &plan, &records)?;
    let written = write_results(outputs, &plan, &records, &text)?;
    let stats = SweepStats {
        runs_total: plan_runs,
        runs_resumed: 0,
        wall_s: started.elapsed().as_secs_f64(),
        threads: with_threads(options.threads, rayon::current_num_threads)?,
        shards_merged: Some(count),
    };
    written.print(&plan, stats, options.print, &[]);
    Ok(())
}

/// Where the merge writes without `--out`: the first folder given, or the folder holding it
/// when it is a shard's own (`natsim sweep FILE --shard K/N --out DIR` writes `DIR/shard-K-of-N`).
fn default_out(first: &Path) -> PathBuf {
    if first.join(SHARD_FILE).is_file() {
        first.parent().unwrap_or(Path::new(".")).to_path_buf()
    } else {
        first.to_path_buf()
    }
}

/// Every shard folder in `dirs` with its `shard.json`, each folder once, in the order given (a
/// folder's shards by name).
fn find_shards(dirs: &[PathBuf]) -> Result<Vec<Found>> {
    let mut folders: Vec<PathBuf> = Vec::new();
    for dir in dirs {
        if !dir.is_dir() {
            bail!(
                "{}: no such folder; give the --out folder of the sweep's shards",
                dir.display()
            );
        }
        if dir.join(SHARD_FILE).is_file() {
            folders.push(dir.clone());
            continue;
        }
        let mut inside: Vec<PathBuf> = fs::read_dir(dir)
            .with_context(|| format!("cannot list {}", dir.display()))?
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|path| {
                path.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("shard-"))
                    && path.join(SHARD_FILE).is_file()
            })
            .collect();
        if inside.is_empty() {
            bail!(
                "{}: holds no shard (no {SHARD_FILE} in it, nor in a shard-K-of-N folder inside); shards are written by `natsim sweep FILE --shard K/N --out {}`",
                dir.display(),
                shell_word(&dir.display().to_string())
            );
        }
        inside.sort();
        folders.extend(inside);
    }
    let mut seen = std::collections::HashSet::new();
    folders.retain(|dir| seen.insert(fs::canonicalize(dir).unwrap_or_else(|_| dir.clone())));
    folders
        .into_iter()
        .map(|dir| {
            let info = shard_files::read_info(&dir)
                .map_err(|e| anyhow!("cannot merge: {e:#}; rerun that shard with --fresh"))?;
            Ok(Found { dir, info })
        })
        .collect()
}

/// Refuses shards that do not come from one run of one sweep by this natsim and catalog, and a
/// shard found twice.
fn check_one_sweep(found: &[Found], options: &MergeOptions<'_>) -> Result<()> {
    let first = &found[0];
    let version = env!("CARGO_PKG_VERSION");
    if first.info.natsim_version != version {
        bail!(
            "cannot merge: {} was run by natsim {}, this is natsim {version}; merge with the natsim that ran the shards, whose runs this one might aggregate differently",
            first.dir.display(),
            first.info.natsim_version
        );
    }
    if first.info.catalog_fnv1a64 != hex(options.catalog_fnv1a64) {
        bail!(
            "cannot merge: {} read its points against catalog {} (FNV-1a of its text), this merge against {}; give the merge the same --catalog the shards had (none for the built-in one)",
            first.dir.display(),
            first.info.catalog_fnv1a64,
            hex(options.catalog_fnv1a64)
        );
    }
    let mut owner: Vec<Option<&Path>> = vec![None; first.info.shards];
    for f in found {
        if let Some(difference) = f.info.mismatch(&first.info) {
            bail!(
                "cannot merge: {} is not a shard of the same sweep as {}: {difference} (scenario files {} and {}); merge the shards of one sweep only, or rerun this one: {}",
                f.dir.display(),
                first.dir.display(),
                f.info.scenario_file,
                first.info.scenario_file,
                rerun_command(
                    &Rerun {
                        file: &first.info.scenario_file,
                        set: &first.info.set,
                        catalog_file: options.catalog_file,
                        root: Path::new("."),
                    },
                    shard_of(&f.info),
                    f.dir.parent().unwrap_or(Path::new(".")),
                    "--fresh"
                )
            );
        }
        if let Some(other) = owner[f.info.shard].replace(&f.dir) {
            bail!(
                "cannot merge: {} and {} are both shard {} of {}; give the merge one of them",
                other.display(),
                f.dir.display(),
                f.info.shard,
                f.info.shards
            );
        }
    }
    Ok(())
}

/// The scenario text the shards ran, from the first one's `scenario.toml`; each shard's copy
/// must still hash to what its `shard.json` says.
fn read_scenarios(found: &[Found]) -> Result<String> {
    let texts = found
        .par_iter()
        .map(|f| {
            let path = f.dir.join("scenario.toml");
            let text = fs::read_to_string(&path)
                .with_context(|| format!("cannot merge: cannot read {}", path.display()))?;
            if hex(fnv1a64(text.as_bytes())) != f.info.scenario_fnv1a64 {
                bail!(
                    "cannot merge: {} changed since the shard ran ({} says another text); rerun that shard with --fresh",
                    path.display(),
                    SHARD_FILE
                );
            }
            Ok(text)
        })
        .collect::<Vec<Result<String>>>();
    let mut texts = texts.into_iter();
    let first = texts.next().unwrap_or_else(|| Ok(String::new()))?;
    for text in texts {
        text?;
    }
    Ok(first)
}

/// A shard's finished runs; refuses runs the split gives to another shard.
fn read_journal(
    found: &Found,
    plan: &Plan,
    index: &JobIndex,
    assigned: &[usize],
) -> Result<Vec<Record>> {
    let path = found.dir.join("runs.csv");
    let text = fs::read_to_string(&path)
        .with_context(|| format!("cannot merge: cannot read {}", path.display()))?;
    let records = journal::read(plan, &text)
        .map_err(|problem| {
            anyhow!(
                "cannot merge: {}: {problem}; rerun that shard with --fresh",
                path.display()
            )
        })?
        .records;
    for record in &records {
        let owner = assigned[index.of(record)];
        if owner != found.info.shard {
            bail!(
                "cannot merge: {} holds {}, a run of shard {owner} of {}, not of shard {}; rerun that shard with --fresh",
                path.display(),
                describe(plan, record.point, record.candidate, record.replication),
                found.info.shards,
                found.info.shard
            );
        }
    }
    Ok(records)
}

/// What the rerun commands need.
struct Rerun<'a> {
    file: &'a str,
    set: &'a [String],
    catalog_file: Option<&'a Path>,
    /// The `--out` of a shard whose folder is missing.
    root: &'a Path,
}

/// Refuses an incomplete sweep: names, per unfinished shard, the runs it lacks and the command
/// that runs them (on stderr), then fails.
fn check_complete(
    plan: &Plan,
    (index, assigned): (&JobIndex, &[usize]),
    found: &[Found],
    journals: &[Vec<Record>],
    rerun: &Rerun<'_>,
) -> Result<()> {
    let jobs = plan.jobs();
    let count = found[0].info.shards;
    let mut present = vec![false; jobs.len()];
    for record in journals.iter().flatten() {
        present[index.of(record)] = true;
    }
    let mut missing_per_shard: Vec<Vec<Job>> = vec![Vec::new(); count];
    for (at, job) in jobs.iter().enumerate() {
        if !present[at] {
            missing_per_shard[assigned[at]].push(*job);
        }
    }
    let mut report = String::new();
    let mut unfinished = 0;
    for (number, missing) in missing_per_shard.iter().enumerate() {
        if missing.is_empty() {
            continue;
        }
        unfinished += 1;
        let shard = Shard {
            index: number,
            count,
        };
        let own = assigned.iter().filter(|&&s| s == number).count();
        let folder = found.iter().find(|f| f.info.shard == number);
        let (state, root, flag) = match folder {
            Some(f) => (
                format!(
                    "{} of its {own} runs missing in {}",
                    missing.len(),
                    f.dir.display()
                ),
                f.dir.parent().unwrap_or(Path::new(".")).to_path_buf(),
                "--resume",
            ),
            None => (
                format!(
                    "not found (no {} among the folders given): its {own} runs missing",
                    shard_files::dir_name(shard)
                ),
                rerun.root.to_path_buf(),
                "",
            ),
        };
        let _ = writeln!(
            report,
            "shard {number} of {count}: {state}: {}\n  run it: {}",
            named_runs(plan, missing),
            rerun_command(rerun, shard, &root, flag)
        );
    }
    if unfinished == 0 {
        return Ok(());
    }
    eprint!("{report}");
    let missing: usize = missing_per_shard.iter().map(Vec::len).sum();
    bail!(
        "cannot merge: shards not finished: {unfinished} of {count} ({missing} of {} runs missing, listed above); run the command under each, then merge again",
        jobs.len()
    )
}

/// The first few of `jobs`, named, and how many more.
fn named_runs(plan: &Plan, jobs: &[Job]) -> String {
    let mut names: Vec<String> = jobs
        .iter()
        .take(RUNS_NAMED)
        .map(|j| describe(plan, j.point, j.candidate, j.replication))
        .collect();
    if jobs.len() > RUNS_NAMED {
        names.push(format!("and {} more", jobs.len() - RUNS_NAMED));
    }
    names.join("; ")
}

/// "point 3 (rate_per_s = 10), candidate natgw, replication 0".
fn describe(plan: &Plan, point: usize, candidate: usize, replication: u32) -> String {
    let values: Vec<String> = plan
        .spec
        .params
        .iter()
        .zip(plan.param_texts(point))
        .map(|(p, v)| format!("{} = {v}", p.key))
        .collect();
    format!(
        "point {point} ({}), candidate {}, replication {replication}",
        values.join(", "),
        plan.points[point].scenario.candidates[candidate].name
    )
}

/// The command that runs `shard` (again) into `root`.
fn rerun_command(rerun: &Rerun<'_>, shard: Shard, root: &Path, flag: &str) -> String {
    let mut command = format!(
        "natsim sweep {} --shard {}/{} --out {}",
        shell_word(rerun.file),
        shard.index,
        shard.count,
        shell_word(&root.display().to_string())
    );
    for set in rerun.set {
        let _ = write!(command, " --set {}", shell_word(set));
    }
    if let Some(catalog) = rerun.catalog_file {
        let _ = write!(
            command,
            " --catalog {}",
            shell_word(&catalog.display().to_string())
        );
    }
    if !flag.is_empty() {
        let _ = write!(command, " {flag}");
    }
    command
}

fn shard_of(info: &ShardInfo) -> Shard {
    Shard {
        index: info.shard,
        count: info.shards,
    }
}

/// Refuses to write over an interrupted sweep of another scenario in the output folder: its
/// `runs.csv` would be lost. A finished sweep's folder, or one of the same scenario (whose runs
/// the merge holds all of), is written over.
fn guard_out(root: &Path, text: &str) -> Result<()> {
    let journal = root.join("runs.csv");
    if !journal.is_file() || manifest::exists(root) {
        return Ok(());
    }
    let same = fs::read_to_string(root.join("scenario.toml")).is_ok_and(|swept| swept == text);
    if !same {
        bail!(
            "{} holds the runs of an interrupted sweep of another scenario; merge into another folder with --out",
            journal.display()
        );
    }
    Ok(())
}
