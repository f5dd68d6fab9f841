//! `natsim run A.toml B.toml` or `natsim run scenarios/`: a batch of scenarios.
//!
//! Owns the batch's contract: every file runs (in parallel) and writes `<out>/<scenario name>/`
//! as a single run would, then `<out>/batch.csv` holds every scenario's summary rows, in the order
//! the files were given (a folder's files sorted by name), and `<out>/index.html` links every
//! scenario's `report.html`. A bad file is reported by name on
//! stderr and the others still run; the command then exits 2. Two files with the same scenario
//! name would write to the same folder: the later one is refused, naming both.

use super::{load, note_sweep_not_applied, with_threads, write_pictures, write_run};
use crate::batch;
use crate::report::batch::{BatchEntry, batch_csv};
use crate::report::html::batch_index;
use crate::report::parquet::{batch_frame, write_parquet};
use crate::report::write_atomically;
use crate::scenario::Scenario;
use anyhow::{Context, Result, bail};
use rayon::prelude::*;
use std::fs;
use std::path::{Path, PathBuf};

/// What became of one input: its outputs, or the message saying why not.
type Outcome = std::result::Result<(BatchEntry, String), String>;

/// Runs every scenario in `paths` (files, or folders of `*.toml`).
pub(super) fn run_batch(
    paths: &[PathBuf],
    out: Option<PathBuf>,
    seed: Option<u64>,
    replications: Option<u32>,
    threads: Option<usize>,
) -> Result<()> {
    let root = out.unwrap_or_else(|| PathBuf::from("output"));
    let inputs = expand(paths);
    let parsed = refuse_duplicate_names(
        inputs
            .into_iter()
            .map(|input| {
                let file = input?;
                let scenario = load(&file, seed, replications).map_err(|e| e.to_string())?;
                if scenario.has_sweep {
                    note_sweep_not_applied(&file);
                }
                Ok((file, scenario))
            })
            .collect(),
    );
    let outcomes: Vec<Outcome> = with_threads(threads, || {
        parsed
            .par_iter()
            .map(|input| match input {
                Ok((file, scenario)) => run_one(file, scenario, &root),
                Err(message) => Err(message.clone()),
            })
            .collect()
    })?;
    let mut entries = Vec::new();
    let mut failures = Vec::new();
    for outcome in outcomes {
        match outcome {
            Ok((entry, line)) => {
                println!("{line}");
                entries.push(entry);
            }
            Err(message) => {
                eprintln!("error: {message}");
                failures.push(message);
            }
        }
    }
    let failed = failures.len();
    let total = entries.len() + failed;
    if !entries.is_empty() {
        fs::create_dir_all(&root)
            .with_context(|| format!("cannot create output folder {}", root.display()))?;
        let batch_path = root.join("batch.csv");
        write_atomically(&batch_path, &batch_csv(&entries))
            .with_context(|| format!("cannot write {}", batch_path.display()))?;
        let parquet_path = root.join("batch.parquet");
        batch_frame(&entries)
            .map_err(|e| e.to_string())
            .and_then(|mut frame| write_parquet(&parquet_path, &mut frame))
            .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", parquet_path.display()))?;
        let index_path = root.join("index.html");
        write_atomically(&index_path, &batch_index(&entries, &failures))
            .with_context(|| format!("cannot write {}", index_path.display()))?;
        println!(
            "\nwrote {}, {} and {} ({} of {total} scenario(s))",
            batch_path.display(),
            parquet_path.display(),
            index_path.display(),
            entries.len()
        );
    }
    if failed > 0 {
        bail!(
            "{failed} of {total} scenario file(s) failed (named above); the others' outputs are written"
        );
    }
    Ok(())
}

/// The scenario files named by `paths`: files as given, folders as their `*.toml` files sorted by
/// name. An unreadable or empty folder is an error in its place.
fn expand(paths: &[PathBuf]) -> Vec<std::result::Result<PathBuf, String>> {
    let mut inputs = Vec::new();
    for path in paths {
        if !path.is_dir() {
            inputs.push(Ok(path.clone()));
            continue;
        }
        let listing = fs::read_dir(path).map(|entries| {
            let mut files: Vec<PathBuf> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "toml"))
                .collect();
            files.sort();
            files
        });
        match listing {
            Ok(files) if files.is_empty() => inputs.push(Err(format!(
                "{}: the folder has no *.toml scenario files; point at a folder of scenarios, e.g. scenarios/",
                path.display()
            ))),
            Ok(files) => inputs.extend(files.into_iter().map(Ok)),
            Err(e) => inputs.push(Err(format!(
                "{}: cannot list the folder: {e}",
                path.display()
            ))),
        }
    }
    inputs
}

/// Refuses every scenario whose name an earlier one already uses: both would write
/// `<out>/<name>/`, and the later would silently replace the earlier's results.
fn refuse_duplicate_names(
    parsed: Vec<std::result::Result<(PathBuf, Scenario), String>>,
) -> Vec<std::result::Result<(PathBuf, Scenario), String>> {
    let mut seen: Vec<(String, PathBuf)> = Vec::new();
    parsed
        .into_iter()
        .map(|input| {
            let (file, scenario) = input?;
            if let Some((_, first)) = seen.iter().find(|(name, _)| *name == scenario.name) {
                return Err(format!(
                    "{}: scenario.name: \"{}\" is also the name of {}; both would write to the same output folder; give each scenario its own name",
                    file.display(),
                    scenario.name,
                    first.display()
                ));
            }
            seen.push((scenario.name.clone(), file.clone()));
            Ok((file, scenario))
        })
        .collect()
}

/// Runs one scenario and writes its outputs under `root/<name>/`; returns its batch rows and the
/// line to print.
fn run_one(file: &Path, scenario: &Scenario, root: &Path) -> Outcome {
    let out_dir = root.join(&scenario.name);
    let result = batch::run_scenario(scenario);
    fs::create_dir_all(&out_dir)
        .with_context(|| format!("cannot create output folder {}", out_dir.display()))
        .and_then(|()| write_run(&out_dir, scenario, &result))
        .and_then(|_| write_pictures(&out_dir, file, scenario, &result))
        .map_err(|e| format!("{}: {e:#}", file.display()))?;
    let line = format!(
        "{} → {}: {}",
        file.display(),
        out_dir.display(),
        result.verdict.headline
    );
    let entry = BatchEntry {
        file: file.display().to_string(),
        scenario: scenario.name.clone(),
        summaries: result.summaries,
    };
    Ok((entry, line))
}
