//! `natsim run A.toml B.toml` or `natsim run scenarios/`: a batch of scenarios (a folder's
//! `*.toml` files and the `scenario.toml` of each folder in it).
//!
//! Owns the batch's contract: every file runs (in parallel) and writes `<out>/<scenario name>/`
//! as a single run would, then `<out>/batch.csv` holds every scenario's summary rows, in the order
//! the files were given (a folder's files sorted by name), and `<out>/index.html` links every
//! scenario's `report.html`. A bad file is reported by name on
//! stderr and the others still run; the command then exits 2. Two files with the same scenario
//! name would write to the same folder: the later one is refused, naming both.

use super::outputs::Outputs;
use super::{Loaded, RunOptions, budget, load, with_threads, write_run};
use crate::cli::estimate;
use crate::io::report::batch::{BatchEntry, batch_csv};
use crate::io::report::html::batch_index;
use crate::io::report::json::{BatchRun, batch_document, to_text};
use crate::io::report::manifest::Header;
use crate::io::report::markdown;
use crate::io::report::parquet::{batch_frame, write_parquet};
use crate::results::batch;
use anyhow::{Result, anyhow, bail};
use rayon::prelude::*;
use std::fs;
use std::path::{Path, PathBuf};

/// What became of one input: its outputs, its `summary.json` entry and the line to print, or the
/// message saying why not.
type Outcome = std::result::Result<(BatchEntry, BatchRun, String), String>;

/// Runs every scenario in `paths` (files, or folders of `*.toml`).
pub(super) fn run_batch(
    paths: &[PathBuf],
    out: Option<PathBuf>,
    options: RunOptions,
) -> Result<()> {
    let root = out.unwrap_or_else(|| PathBuf::from("output"));
    let inputs = expand(paths);
    let threads = budget::threads(options.threads);
    let print = options.print;
    let parsed = refuse_duplicate_names(
        inputs
            .into_iter()
            .map(|input| {
                let file = input?;
                let mut loaded = load(&file, &options).map_err(|e| e.to_string())?;
                loaded.note_sweep_not_applied();
                loaded.print_notes(print);
                // Each file is weighed on its own: a runaway one fails, the others run.
                let work = estimate::scenario_work(&loaded.scenario);
                budget::check(&file, &work, threads, options.yes, print)
                    .map_err(|e| format!("{e:#}"))?;
                Ok(loaded)
            })
            .collect(),
    );
    let outcomes: Vec<Outcome> = with_threads(options.threads, || {
        parsed
            .par_iter()
            .map(|input| match input {
                Ok(loaded) => run_one(loaded, &root, print),
                Err(message) => Err(message.clone()),
            })
            .collect()
    })?;
    let mut entries = Vec::new();
    let mut runs = Vec::new();
    let mut failures = Vec::new();
    for outcome in outcomes {
        match outcome {
            Ok((entry, run, line)) => {
                print.table_line(&line);
                entries.push(entry);
                runs.push(run);
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
        let mut outputs = Outputs::open(&root, print)?;
        let batch_path = outputs.write("batch.csv", batch_csv(&entries))?;
        let parquet_path = outputs.path("batch.parquet");
        batch_frame(&entries)
            .map_err(|e| format!("cannot write {}: {e}", parquet_path.display()))
            .and_then(|mut frame| write_parquet(&parquet_path, &mut frame))
            .map_err(|e| anyhow!(e))?;
        outputs.add("batch.parquet");
        let figure = crate::io::report::plot::batch_figure(&entries);
        let plots = crate::io::report::plot::write_figures(outputs.dir(), figure.as_slice())
            .map_err(|e| anyhow!(e))?;
        for name in super::plot_files(&plots) {
            outputs.add(&name);
        }
        let index_path = outputs.write(
            "index.html",
            batch_index(&entries, &failures, plots.first()),
        )?;
        outputs.close(&Header {
            kind: "batch",
            scenario: None,
            seed: None,
        })?;
        print.table_line(&format!(
            "\nwrote {}, {} and {} ({} of {total} scenario(s))",
            batch_path.display(),
            parquet_path.display(),
            index_path.display(),
            entries.len()
        ));
    }
    // The document formats print one document for the whole batch, failures included.
    let document = batch_document(runs, failures);
    print.report(
        String::new,
        || to_text(&document),
        || markdown::batch(&document),
    );
    if failed > 0 {
        bail!(
            "{failed} of {total} scenario file(s) failed (named above); the others' outputs are written"
        );
    }
    Ok(())
}

/// The scenario files named by `paths`: files as given; a folder as its `*.toml` files and the
/// `scenario.toml` of each folder directly inside it (a scenario kept with its data, like
/// `scenarios/flowlogs/`), sorted by path. Nothing deeper is read: a scenario's data folders
/// (flow logs) hold no scenarios. An unreadable or empty folder is an error in its place.
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
                .filter_map(|p| {
                    if p.is_dir() {
                        Some(p.join("scenario.toml")).filter(|s| s.is_file())
                    } else {
                        Some(p)
                            .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "toml"))
                    }
                })
                .collect();
            files.sort();
            files
        });
        match listing {
            Ok(files) if files.is_empty() => inputs.push(Err(format!(
                "{}: the folder has no *.toml scenario files (nor a folder with a scenario.toml); point at a folder of scenarios, e.g. scenarios/",
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
/// `<out>/<name>/`, and the later would silently replace the earlier's results. Names that
/// differ only in case count as one, since macOS and Windows folders do not tell them apart.
fn refuse_duplicate_names(
    parsed: Vec<std::result::Result<Loaded, String>>,
) -> Vec<std::result::Result<Loaded, String>> {
    let mut seen: Vec<(String, PathBuf)> = Vec::new();
    parsed
        .into_iter()
        .map(|input| {
            let loaded = input?;
            let (file, name) = (&loaded.file, &loaded.scenario.name);
            if let Some((_, first)) = seen.iter().find(|(seen, _)| seen.eq_ignore_ascii_case(name)) {
                return Err(format!(
                    "{}: scenario.name: \"{name}\" is also the name of {}; both would write to the same output folder; give each scenario its own name",
                    file.display(),
                    first.display()
                ));
            }
            seen.push((name.clone(), file.clone()));
            Ok(loaded)
        })
        .collect()
}

/// Runs one scenario and writes its outputs under `root/<name>/`; returns its batch rows, its
/// summary document and the line to print.
fn run_one(loaded: &Loaded, root: &Path, print: super::Print) -> Outcome {
    let (file, scenario) = (&loaded.file, &loaded.scenario);
    let out_dir = root.join(&scenario.name);
    let outputs =
        Outputs::open(&out_dir, print).map_err(|e| format!("{}: {e:#}", file.display()))?;
    let result = batch::run_scenario(scenario);
    let (_, summary) = write_run(outputs, loaded, &result, None)
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
    let run = BatchRun {
        file: file.display().to_string(),
        output: out_dir.display().to_string(),
        summary,
    };
    Ok((entry, run, line))
}
