//! `natsim sweep FILE [--out DIR] [--threads N] [--resume | --fresh]`: the files of a sweep.
//!
//! Owns where a sweep's state lives (`output/<name>/sweep/` by default, beside the run's
//! `output/<name>/`): `scenario.toml` (the file as swept, so `--resume` can tell whether it
//! changed), `runs.csv` (one line appended and flushed per finished run, so an interrupted sweep
//! keeps every finished run), then `sweep.csv`, `winners.csv`, `sweep.parquet`, the plots and
//! `report.html` written atomically at the end, and `manifest.json` last. A folder with finished
//! runs and no manifest holds an interrupted sweep, however far its final writes got. Every
//! point is checked before anything is written. Without `--resume` or `--fresh`, the finished
//! runs of an interrupted sweep are never discarded.

use super::outputs::Outputs;
use super::print::Print;
use super::progress::Progress;
use super::{Loaded, budget, default_run_dir, load_with, with_threads};
use crate::cli::estimate::{self, Work};
use crate::io::catalog::Catalog;
use crate::io::report::journal;
use crate::io::report::json::{self, sweep_document};
use crate::io::report::manifest::{self, Header};
use crate::io::report::markdown;
use crate::io::report::parquet::{sweep_frame, write_parquet};
use crate::io::report::sweep::{SweepStats, render, sweep_csv, winners_csv};
use crate::io::report::{html, plot, write_atomically, write_output};
use crate::io::scenario::Overrides;
use crate::io::scenario::replay::Traces;
use crate::io::sweep::plan::{self, Plan};
use crate::io::sweep::{Record, aggregate};
use anyhow::{Context, Result, anyhow, bail};
use std::collections::HashSet;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Instant;

/// The flags of `natsim sweep`.
#[derive(Debug, Clone, Copy)]
pub(super) struct SweepOptions {
    pub(crate) threads: Option<usize>,
    pub(crate) resume: bool,
    pub(crate) fresh: bool,
    /// Start work above the estimate's limits.
    pub(crate) yes: bool,
    /// The catalog every point is read against.
    pub(crate) catalog: &'static Catalog,
    pub(crate) print: Print,
    /// `--set`, applied to the file before its points.
    pub(crate) overrides: &'static Overrides,
}

/// Where `natsim sweep` writes without `--out`: `output/<name>/sweep/`, inside the run's folder
/// but apart from its files, so a run and a sweep never replace each other's report.
pub(super) fn default_sweep_dir(name: &str) -> PathBuf {
    default_run_dir(name).join("sweep")
}

/// Runs the sweep in `file`.
pub(super) fn sweep(file: &Path, out: Option<PathBuf>, options: SweepOptions) -> Result<()> {
    // The file as a plain scenario first, so its own mistakes read as they do for `run`. Read
    // once: the same text is parsed, planned and copied to scenario.toml.
    // The flow logs of a replayed workload are read once, here, for the file and all its points,
    // and let go once the points are parsed.
    let traces = Traces::default();
    let loaded = load_with(
        file,
        (None, None),
        options.catalog,
        Some(&traces),
        options.overrides,
    )?;
    let print = options.print;
    loaded.print_notes(print);
    // What scenario.toml keeps and report.html shows: the file and its --set.
    let text = &loaded.shown_text();
    let plan = with_threads(options.threads, || {
        Plan::from_file_text_with(
            &loaded.text,
            file,
            options.catalog,
            &traces,
            options.overrides,
        )
    })??;
    drop(traces);
    let out_dir = out.unwrap_or_else(|| default_sweep_dir(&loaded.scenario.name));
    fs::create_dir_all(&out_dir).with_context(|| {
        format!(
            "cannot create output folder {}; pick another with --out",
            out_dir.display()
        )
    })?;
    let journal_path = out_dir.join("runs.csv");
    let resumed = if options.resume {
        resume_from(&plan, text, file, &out_dir)?
    } else {
        if !options.fresh {
            refuse_to_discard(&out_dir)?;
        }
        None
    };
    let done: HashSet<_> = resumed.iter().flatten().map(Record::key).collect();
    let jobs = plan.jobs();
    let runs_total = jobs.len();
    let pending: Vec<plan::Job> = plan.longest_first(
        jobs.into_iter()
            .filter(|j| !done.contains(&(j.point, j.candidate, j.replication)))
            .collect(),
    );
    let threads = budget::threads(options.threads);
    budget::check(
        file,
        &pending_work(&plan, &pending),
        threads,
        options.yes,
        print,
    )?;
    // From here the folder is being rewritten: no manifest until the last file is in place.
    let mut outputs = Outputs::open(&out_dir, print)?;
    let resumed = match resumed {
        Some(records) => records,
        None => {
            start_fresh(&plan, text, &out_dir)?;
            Vec::new()
        }
    };
    let appender = OpenOptions::new()
        .append(true)
        .open(&journal_path)
        .with_context(|| format!("cannot open {} to append runs", journal_path.display()))?;
    let runs_resumed = resumed.len();
    let work_total: f64 = plan.jobs().iter().map(|j| plan.work(j)).sum();
    let work_pending: f64 = pending.iter().map(|j| plan.work(j)).sum();
    let progress = Progress::new(
        runs_total,
        work_total,
        runs_resumed,
        work_total - work_pending,
        print.chatty(),
    );
    let sink = Mutex::new(Sink {
        file: appender,
        progress,
        records: resumed,
        error: None,
    });
    let started = Instant::now();
    let threads_used = with_threads(options.threads, || {
        plan::run(&plan, &pending, &|record| {
            let mut sink = sink.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            sink.accept(&plan, record)
        });
        rayon::current_num_threads()
    })?;
    let wall_s = started.elapsed().as_secs_f64();
    let sink = sink.into_inner().unwrap_or_else(|p| p.into_inner());
    sink.progress.finish();
    if let Some(error) = sink.error {
        bail!(
            "cannot append to {}: {error}; the runs written so far are kept: free some space, then rerun with --resume",
            journal_path.display()
        );
    }
    let results = aggregate::aggregate(&plan, &sink.records).map_err(|problem| {
        anyhow!(
            "{}: {problem}; rerun with --resume to run what is missing",
            journal_path.display()
        )
    })?;
    let winners = aggregate::winners(&plan, &results);
    outputs.add("scenario.toml");
    outputs.add("runs.csv");
    let sweep_path = outputs.write("sweep.csv", sweep_csv(&plan, &results))?;
    let winners_path = outputs.write("winners.csv", winners_csv(&plan, &results, &winners))?;
    let parquet_path = outputs.path("sweep.parquet");
    sweep_frame(&plan, &results)
        .map_err(|e| format!("cannot write {}: {e}", parquet_path.display()))
        .and_then(|mut frame| write_parquet(&parquet_path, &mut frame))
        .map_err(|e| anyhow!(e))?;
    outputs.add("sweep.parquet");
    let stats = SweepStats {
        runs_total,
        runs_resumed,
        wall_s,
        threads: threads_used,
    };
    let figures = plot::sweep_figures(&plan, &results, &winners).unwrap_or_default();
    let plots = plot::write_figures(&out_dir, &figures).map_err(|e| anyhow!(e))?;
    for name in super::plot_files(&plots) {
        outputs.add(&name);
    }
    outputs.write(
        "report.html",
        html::sweep_report(&plan, &results, &winners, &plots, text),
    )?;
    let first = &plan.points[0].scenario;
    outputs.close(&Header {
        kind: "sweep",
        scenario: Some(&first.name),
        seed: Some(first.seed),
    })?;
    let mut warnings = loaded.notes.clone();
    if figures.is_empty() {
        warnings.push("no plots: they are drawn for a sweep of exactly one numeric key".into());
    }
    print.report(
        || render(&plan, &results, &winners, stats),
        || json::to_text(&sweep_document(&plan, &results, &winners, stats, &warnings)),
        || markdown::sweep(&sweep_document(&plan, &results, &winners, stats, &warnings)),
    );
    print.table_line(&format!(
        "\nwrote {}, {}, {} and {}",
        sweep_path.display(),
        parquet_path.display(),
        winners_path.display(),
        journal_path.display()
    ));
    print.table_line(&format!(
        "wrote {}",
        super::written_names(&out_dir, &plots).join(", ")
    ));
    for warning in &warnings[loaded.notes.len()..] {
        print.table_line(warning);
    }
    Ok(())
}

/// For `natsim validate`: checks every point of the file's `[sweep]` table, if it has one, and
/// says how many runs it makes and what they would take.
/// Returns the points, the runs and their work.
pub(super) fn plan_if_any(
    loaded: &Loaded,
    catalog: &Catalog,
    traces: &Traces,
) -> Result<Option<(usize, usize, Work)>> {
    if !loaded.scenario.has_sweep {
        return Ok(None);
    }
    let plan = Plan::from_file_text_with(
        &loaded.text,
        &loaded.file,
        catalog,
        traces,
        &loaded.overrides,
    )?;
    let jobs = plan.jobs();
    Ok(Some((
        plan.points.len(),
        jobs.len(),
        pending_work(&plan, &jobs),
    )))
}

/// The work of the `pending` runs of a sweep: each point's runs weighed as `estimate` weighs a
/// scenario's, in proportion to how many of them are left.
fn pending_work(plan: &Plan, pending: &[plan::Job]) -> Work {
    let mut total: Option<Work> = None;
    for (index, point) in plan.points.iter().enumerate() {
        let left = pending.iter().filter(|j| j.point == index).count();
        if left == 0 {
            continue;
        }
        let mut work = estimate::runs_work(&point.scenario);
        let share = left as f64 / work.runs.max(1) as f64;
        work.runs = left as u64;
        work.connections *= share;
        work.events *= share;
        work.cpu_s *= share;
        match &mut total {
            Some(sum) => sum.add(work),
            None => total = Some(work),
        }
    }
    // Nothing left (resuming a finished sweep): no work at all.
    total.unwrap_or_else(|| Work {
        runs: 0,
        connections: 0.0,
        events: 0.0,
        cpu_s: 0.0,
        longest_run_s: 0.0,
        run_bytes: 0.0,
        ..estimate::runs_work(&plan.points[0].scenario)
    })
}

/// Where finished runs go, shared by the worker threads behind a mutex.
struct Sink {
    file: File,
    progress: Progress,
    records: Vec<Record>,
    /// The first failed write; no new run starts after it.
    error: Option<std::io::Error>,
}

impl Sink {
    /// Appends and flushes the run's line, keeps its figures; false once a write has failed.
    fn accept(&mut self, plan: &Plan, record: Record) -> bool {
        if self.error.is_some() {
            return false;
        }
        let line = journal::entry(plan, &record);
        if let Err(error) = self
            .file
            .write_all(line.as_bytes())
            .and_then(|()| self.file.flush())
        {
            self.error = Some(error);
            return false;
        }
        let job = plan::Job {
            point: record.point,
            candidate: record.candidate,
            replication: record.replication,
        };
        self.progress.advance(plan.work(&job));
        self.records.push(record);
        true
    }
}

/// The files a finished sweep writes at its end, removed when a fresh sweep starts.
const FINAL_FILES: [&str; 3] = ["sweep.csv", "sweep.parquet", "winners.csv"];

/// Refuses to start over where an interrupted sweep left finished runs: hours of runs should
/// not go because `--resume` was forgotten. A sweep is finished only once its manifest is
/// written, after every final file: killed between `sweep.csv` and `sweep.parquet`, it counts as
/// interrupted. A finished sweep's folder is replaced freely, as `run` replaces its own.
fn refuse_to_discard(out_dir: &Path) -> Result<()> {
    let journal_path = out_dir.join("runs.csv");
    let finished = fs::read_to_string(&journal_path)
        .map(|text| text.lines().count().saturating_sub(1))
        .unwrap_or(0);
    if finished > 0 && !manifest::exists(out_dir) {
        bail!(
            "{} holds {finished} finished run(s) of a sweep that did not finish (no {}); rerun with --resume to keep them and run the rest, or with --fresh to discard them and start over",
            journal_path.display(),
            manifest::MANIFEST
        );
    }
    Ok(())
}

/// A new journal: the scenario as swept and a `runs.csv` holding only its header. The old
/// sweep's final files go first, so an interruption from here on is seen as one.
fn start_fresh(plan: &Plan, text: &str, out_dir: &Path) -> Result<()> {
    for name in FINAL_FILES {
        let path = out_dir.join(name);
        if path.exists() {
            fs::remove_file(&path).with_context(|| format!("cannot remove {}", path.display()))?;
        }
    }
    write_output(&out_dir.join("scenario.toml"), text)?;
    write_output(&out_dir.join("runs.csv"), journal::header(plan))?;
    Ok(())
}

/// The runs an earlier sweep of the same file finished, or `None` when there is nothing to
/// resume. Refuses a journal written for another scenario or sweep. A line cut short by the
/// interruption is dropped from the file, so appending starts on a fresh line.
fn resume_from(
    plan: &Plan,
    text: &str,
    file: &Path,
    out_dir: &Path,
) -> Result<Option<Vec<Record>>> {
    let journal_path = out_dir.join("runs.csv");
    let copy_path = out_dir.join("scenario.toml");
    if !journal_path.exists() {
        eprintln!(
            "note: {} does not exist yet; starting the sweep from the beginning",
            journal_path.display()
        );
        return Ok(None);
    }
    let fresh_hint = "rerun with --fresh instead of --resume to start over, or give another --out";
    let swept = fs::read_to_string(&copy_path).with_context(|| {
        format!(
            "cannot resume: cannot read {}, the scenario the runs were made with; {fresh_hint}",
            copy_path.display()
        )
    })?;
    if swept != text {
        bail!(
            "cannot resume: {} (or its --set) changed since {} was started (compare it with {}); {fresh_hint}",
            file.display(),
            journal_path.display(),
            copy_path.display()
        );
    }
    let journal_text = fs::read_to_string(&journal_path)
        .with_context(|| format!("cannot read {}", journal_path.display()))?;
    let resumed = journal::read(plan, &journal_text).map_err(|problem| {
        anyhow!(
            "cannot resume: {}: {problem}; it was written by another sweep or natsim version; {fresh_hint}",
            journal_path.display()
        )
    })?;
    if resumed.complete_len == 0 {
        return Ok(None);
    }
    if resumed.complete_len < journal_text.len() {
        write_atomically(&journal_path, &journal_text[..resumed.complete_len])
            .with_context(|| format!("cannot write {}", journal_path.display()))?;
    }
    Ok(Some(resumed.records))
}
