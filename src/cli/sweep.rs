//! `natsim sweep FILE [--out DIR] [--threads N] [--resume | --fresh] [--shard K/N] [--plan]`:
//! the files of a sweep.
//!
//! Owns where a sweep's state lives (`output/<name>/sweep/` by default, beside the run's
//! `output/<name>/`): `scenario.toml` (the file as swept, so `--resume` can tell whether it
//! changed), `runs.csv` (one line appended and flushed per finished run, so an interrupted sweep
//! keeps every finished run; rewritten in (point, candidate, replication) order once the last
//! run is in), then `sweep.csv`, `winners.csv`, `breaks.csv`, `sweep.parquet`, the plots and `report.html`
//! written atomically at the end, and `manifest.json` last. A folder with finished runs and no
//! manifest holds an interrupted sweep, however far its final writes got. Every point is checked
//! before anything is written. Without `--resume` or `--fresh`, the finished runs of an
//! interrupted sweep are never discarded. With `--shard K/N` the same happens in
//! `DIR/shard-K-of-N/` for that shard's runs only, with `shard.json` beside them and no final
//! files: `natsim sweep merge` (`merge.rs`) writes those from every shard, through
//! [`write_results`], the same code as here.

use super::outputs::Outputs;
use super::print::Print;
use super::progress::Progress;
use super::shard::{self as shard_files, ShardSpec, Stamp};
use super::{Loaded, budget, default_run_dir, load_with, with_threads};
use crate::cli::estimate::{self, Work};
use crate::io::catalog::Catalog;
use crate::io::report::journal;
use crate::io::report::json::{self, sweep_document};
use crate::io::report::manifest::{self, Header};
use crate::io::report::markdown;
use crate::io::report::parquet::{sweep_frame, write_parquet};
use crate::io::report::shard::{ShardInfo, Source};
use crate::io::report::sweep::{SweepStats, breaks_csv, render, sweep_csv, winners_csv};
use crate::io::report::{html, plot, write_atomically, write_output};
use crate::io::scenario::Overrides;
use crate::io::scenario::replay::Traces;
use crate::io::sweep::plan::{self, Plan};
use crate::io::sweep::shard::{self, Shard};
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
    /// FNV-1a of the catalog's contents (`shard::catalog_fnv1a64`), stamped on a shard's runs.
    pub(crate) catalog_fnv1a64: u64,
    /// Run only this shard's runs (`--shard`).
    pub(crate) shard: Option<ShardSpec>,
    /// Print the plan and a measured per-run time instead of running (`--plan`).
    pub(crate) plan_only: bool,
    pub(crate) print: Print,
    /// `--set`, applied to the file before its points.
    pub(crate) overrides: &'static Overrides,
}

/// Where `natsim sweep` writes without `--out`: `output/<name>/sweep/`, inside the run's folder
/// but apart from its files, so a run and a sweep never replace each other's report.
pub(super) fn default_sweep_dir(name: &str) -> PathBuf {
    default_run_dir(name).join("sweep")
}

/// Runs the sweep in `file`, or one shard of it.
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
    let shard = options
        .shard
        .map(|spec| spec.resolve(|name| std::env::var(name).ok()))
        .transpose()?;
    if options.plan_only {
        return super::sweep_plan::print(&plan, file, shard, options.threads);
    }
    let root = out.unwrap_or_else(|| default_sweep_dir(&loaded.scenario.name));
    let out_dir = match shard {
        Some(shard) => root.join(shard_files::dir_name(shard)),
        None => root.clone(),
    };
    fs::create_dir_all(&out_dir).with_context(|| {
        format!(
            "cannot create output folder {}; pick another with --out",
            out_dir.display()
        )
    })?;
    let file_text = file.display().to_string();
    let set = options.overrides.args();
    let stamp = Stamp {
        plan: &plan,
        source: Source {
            scenario_file: &file_text,
            set: &set,
            scenario_text: text,
            catalog_fnv1a64: options.catalog_fnv1a64,
        },
    };
    let jobs = match shard {
        Some(shard) => shard::jobs_of(&plan, shard),
        None => plan.jobs(),
    };
    let info = shard.map(|shard| stamp.info(shard, jobs.len()));
    let resumed = if options.resume {
        let resumed = resume_from(&plan, text, file, &out_dir)?;
        if let (Some(info), Some(records)) = (&info, &resumed) {
            check_resumed_shard(&out_dir, info, &jobs, records)?;
        }
        resumed
    } else {
        if !options.fresh {
            refuse_to_discard(&out_dir)?;
        }
        None
    };
    let done: HashSet<_> = resumed.iter().flatten().map(Record::key).collect();
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
    let outputs = Outputs::open(&out_dir, print)?;
    let resumed = match resumed {
        Some(records) => records,
        None => {
            start_fresh(&plan, text, &out_dir, info.as_ref())?;
            Vec::new()
        }
    };
    let runs_resumed = resumed.len();
    let (records, wall_s, threads_used) = run_pending(&plan, &pending, resumed, &out_dir, options)?;
    let stats = SweepStats {
        runs_total,
        runs_resumed,
        wall_s,
        threads: threads_used,
        shards_merged: None,
    };
    shard_files::write_sorted_journal(&out_dir, &plan, &records)?;
    match shard {
        Some(shard) => close_shard(outputs, &plan, (shard, stats), (&root, file), print),
        None => {
            let written = write_results(outputs, &plan, &records, text)?;
            written.print(&plan, stats, print, &loaded.notes);
            Ok(())
        }
    }
}

/// Runs `pending` on the worker threads, appending each finished run to `out_dir/runs.csv`;
/// returns every run (`resumed` ones first), the wall time and the thread count.
fn run_pending(
    plan: &Plan,
    pending: &[plan::Job],
    resumed: Vec<Record>,
    out_dir: &Path,
    options: SweepOptions,
) -> Result<(Vec<Record>, f64, usize)> {
    let journal_path = out_dir.join("runs.csv");
    let appender = OpenOptions::new()
        .append(true)
        .open(&journal_path)
        .with_context(|| format!("cannot open {} to append runs", journal_path.display()))?;
    let job_of = |r: &Record| plan::Job {
        point: r.point,
        candidate: r.candidate,
        replication: r.replication,
    };
    let work_pending: f64 = pending.iter().map(|j| plan.work(j)).sum();
    let work_resumed: f64 = resumed.iter().map(|r| plan.work(&job_of(r))).sum();
    let progress = Progress::new(
        pending.len() + resumed.len(),
        work_pending + work_resumed,
        resumed.len(),
        work_resumed,
        options.print.chatty(),
    );
    let sink = Mutex::new(Sink {
        file: appender,
        progress,
        records: resumed,
        error: None,
    });
    let started = Instant::now();
    let threads_used = with_threads(options.threads, || {
        plan::run(plan, pending, &|record| {
            let mut sink = sink.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            sink.accept(plan, record)
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
    Ok((sink.records, wall_s, threads_used))
}

/// Ends a shard: its manifest, and what to do next.
fn close_shard(
    outputs: Outputs,
    plan: &Plan,
    (shard, stats): (Shard, SweepStats),
    (root, file): (&Path, &Path),
    print: Print,
) -> Result<()> {
    let dir = outputs.dir().to_path_buf();
    // The shard's files are its own; `Outputs` only guarded the folder while it was written.
    drop(outputs);
    shard_files::close(&dir, plan)?;
    let first = &plan.points[0].scenario;
    // A shard has no document of its own: its lines go to stdout in the table format only.
    print.table_line(&format!(
        "sweep {} · shard {} of {} · {} of the sweep's {} runs ({} resumed) · {:.1} s on {} thread(s)",
        first.name,
        shard.index,
        shard.count,
        stats.runs_total,
        plan.jobs().len(),
        stats.runs_resumed,
        stats.wall_s,
        stats.threads
    ));
    print.table_line(&format!("wrote {}", dir.join("runs.csv").display()));
    print.table_line(&format!(
        "once all {} shards are done: natsim sweep merge {}   (from {})",
        shard.count,
        shard_files::shell_word(&root.display().to_string()),
        file.display()
    ));
    Ok(())
}

/// What [`write_results`] wrote, for the closing lines.
pub(super) struct Written {
    results: Vec<aggregate::PointResult>,
    winners: Vec<aggregate::Winner>,
    breaks: Vec<aggregate::Break>,
    out_dir: PathBuf,
    plots: Vec<plot::Drawn>,
    no_figures: bool,
}

impl Written {
    /// The closing summary in `print`'s format (with `notes`, the input's, among the JSON's
    /// warnings), and, for the table, the files written.
    pub(super) fn print(&self, plan: &Plan, stats: SweepStats, print: Print, notes: &[String]) {
        let (results, winners, breaks) = (&self.results, &self.winners, &self.breaks);
        let mut warnings = notes.to_vec();
        if self.no_figures {
            warnings.push("no plots: they are drawn for a sweep of exactly one numeric key".into());
        }
        print.report(
            || render(plan, results, winners, breaks, stats),
            || json::to_text(&sweep_document(plan, results, winners, stats, &warnings)),
            || markdown::sweep(&sweep_document(plan, results, winners, stats, &warnings)),
        );
        let out_dir = &self.out_dir;
        print.table_line(&format!(
            "\nwrote {}, {}, {}, {} and {}",
            out_dir.join("sweep.csv").display(),
            out_dir.join("sweep.parquet").display(),
            out_dir.join("winners.csv").display(),
            out_dir.join("breaks.csv").display(),
            out_dir.join("runs.csv").display()
        ));
        print.table_line(&format!(
            "wrote {}",
            super::written_names(out_dir, &self.plots).join(", ")
        ));
        for warning in &warnings[notes.len()..] {
            print.table_line(warning);
        }
    }
}

/// Aggregates every run of `plan` (`records`, whose lines `runs.csv` holds already, sorted) and
/// writes a sweep's final files into `outputs`, then its manifest. `natsim sweep` and
/// `natsim sweep merge` both end here, so a merge writes the very bytes one machine does.
pub(super) fn write_results(
    mut outputs: Outputs,
    plan: &Plan,
    records: &[Record],
    text: &str,
) -> Result<Written> {
    let out_dir = outputs.dir().to_path_buf();
    let journal_path = out_dir.join("runs.csv");
    let results = aggregate::aggregate(plan, records).map_err(|problem| {
        anyhow!(
            "{}: {problem}; rerun with --resume to run what is missing",
            journal_path.display()
        )
    })?;
    let winners = aggregate::winners(plan, &results);
    let breaks = aggregate::breaks(plan, &results);
    outputs.add("scenario.toml");
    outputs.add("runs.csv");
    // The two CSV texts and the Parquet frame are built side by side (the larger a sweep, the
    // more of its end this is), then written in a fixed order.
    let ((sweep_text, winners_text), frame) = rayon::join(
        || {
            (
                sweep_csv(plan, &results),
                winners_csv(plan, &results, &winners),
            )
        },
        || sweep_frame(plan, &results),
    );
    outputs.write("sweep.csv", sweep_text)?;
    outputs.write("winners.csv", winners_text)?;
    outputs.write("breaks.csv", breaks_csv(plan, &results, &breaks))?;
    let parquet_path = outputs.path("sweep.parquet");
    frame
        .map_err(|e| format!("cannot write {}: {e}", parquet_path.display()))
        .and_then(|mut frame| write_parquet(&parquet_path, &mut frame))
        .map_err(|e| anyhow!(e))?;
    outputs.add("sweep.parquet");
    let figures = plot::sweep_figures(plan, &results, &winners).unwrap_or_default();
    let plots = plot::write_figures(&out_dir, &figures).map_err(|e| anyhow!(e))?;
    for name in super::plot_files(&plots) {
        outputs.add(&name);
    }
    outputs.write(
        "report.html",
        html::sweep_report(plan, &results, &winners, &breaks, &plots, text),
    )?;
    let first = &plan.points[0].scenario;
    outputs.close(&Header {
        kind: "sweep",
        scenario: Some(&first.name),
        seed: Some(first.seed),
    })?;
    Ok(Written {
        results,
        winners,
        breaks,
        out_dir,
        plots,
        no_figures: figures.is_empty(),
    })
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
pub(super) fn pending_work(plan: &Plan, pending: &[plan::Job]) -> Work {
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
const FINAL_FILES: [&str; 4] = ["sweep.csv", "sweep.parquet", "winners.csv", "breaks.csv"];

/// Refuses to start over where an interrupted sweep left finished runs: hours of runs should
/// not go because `--resume` was forgotten. A sweep is finished only once its manifest is
/// written, after every final file: killed between `sweep.csv` and `sweep.parquet`, it counts as
/// interrupted. A finished sweep's folder is replaced freely, as `run` replaces its own.
fn refuse_to_discard(out_dir: &Path) -> Result<()> {
    let journal_path = out_dir.join("runs.csv");
    // Whole lines only: a line cut short by the interruption is no finished run.
    let finished = fs::read_to_string(&journal_path)
        .map(|text| text.matches('\n').count().saturating_sub(1))
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

/// A new journal: the scenario as swept, a shard's `shard.json`, and a `runs.csv` holding only
/// its header. The old sweep's final files go first, so an interruption from here on is seen as
/// one.
fn start_fresh(plan: &Plan, text: &str, out_dir: &Path, shard: Option<&ShardInfo>) -> Result<()> {
    for name in FINAL_FILES {
        let path = out_dir.join(name);
        if path.exists() {
            fs::remove_file(&path).with_context(|| format!("cannot remove {}", path.display()))?;
        }
    }
    write_output(&out_dir.join("scenario.toml"), text)?;
    if let Some(info) = shard {
        shard_files::write_info(out_dir, info)?;
    }
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

/// Refuses to resume a shard's folder that another split, natsim or catalog wrote, or whose
/// journal holds runs of another shard: they would not merge.
fn check_resumed_shard(
    out_dir: &Path,
    info: &ShardInfo,
    jobs: &[plan::Job],
    records: &[Record],
) -> Result<()> {
    let fresh_hint = "rerun with --fresh instead of --resume to start the shard over";
    let found = shard_files::read_info(out_dir)
        .map_err(|e| anyhow!("cannot resume: {e:#}; {fresh_hint}"))?;
    let differs = found.mismatch(info).or_else(|| {
        (found.shard != info.shard).then(|| format!("shard {} against {}", found.shard, info.shard))
    });
    if let Some(difference) = differs {
        bail!(
            "cannot resume: {} was written for another run of the sweep ({difference}); {fresh_hint}",
            out_dir.join(crate::io::report::shard::SHARD_FILE).display()
        );
    }
    let own: HashSet<_> = jobs
        .iter()
        .map(|j| (j.point, j.candidate, j.replication))
        .collect();
    if let Some(stray) = records.iter().find(|r| !own.contains(&r.key())) {
        bail!(
            "cannot resume: {} holds point {}, candidate {}, replication {}, which is not a run of shard {} of {}; {fresh_hint}",
            out_dir.join("runs.csv").display(),
            stray.point,
            stray.candidate,
            stray.replication,
            info.shard,
            info.shards
        );
    }
    Ok(())
}
