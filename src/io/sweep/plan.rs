//! A sweep's points as checked scenarios, the runs they need, and running those runs on all
//! cores.
//!
//! Owns the order of work: every point is applied and parsed before anything runs (a bad value
//! at point 9,000 must not cost an hour of runs first), runs start longest first so no core idles
//! at the end behind one long run, and each finished run is handed to the caller at once. It does
//! not decide what a result means or where it is written.

use super::Record;
use super::spec::{self, SweepSpec};
use crate::io::catalog::Catalog;
use crate::io::scenario::parse::parse_scenario_shared;
use crate::io::scenario::replay::Traces;
use crate::io::scenario::{Overrides, Scenario, ScenarioError};
use crate::model::sim;
use crate::results::summary::run_values;
use crate::util::units::ns_to_seconds;
use rayon::prelude::*;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

/// One point: its values (one per swept key, in key order) and the scenario they give.
#[derive(Debug, Clone)]
pub struct Point {
    pub(crate) values: Vec<toml::Value>,
    pub(crate) scenario: Scenario,
}

/// A checked sweep, ready to run.
#[derive(Debug, Clone)]
pub struct Plan {
    pub(crate) spec: SweepSpec,
    pub points: Vec<Point>,
}

/// One run: a candidate of a point, for one replication.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Job {
    pub(crate) point: usize,
    pub(crate) candidate: usize,
    pub(crate) replication: u32,
}

impl Plan {
    /// Reads the `[sweep]` table of scenario `text` and checks every point. `file` names the
    /// source in errors; an error at a point names the point, its values and the key at fault.
    pub fn from_text(text: &str, file: &str) -> Result<Plan, ScenarioError> {
        Self::from_text_with(text, file, Catalog::embedded())
    }

    /// [`Plan::from_text`] against `catalog` (a user's own, from `--catalog`).
    pub(crate) fn from_text_with(
        text: &str,
        file: &str,
        catalog: &Catalog,
    ) -> Result<Plan, ScenarioError> {
        Self::build(
            text,
            file,
            None,
            catalog,
            &Traces::default(),
            &Overrides::default(),
        )
    }

    /// [`Plan::from_text`] for the text of the scenario file at `path`: a replayed workload's
    /// `flow_logs` are read relative to the file's folder, once for all the points.
    pub fn from_file_text(text: &str, path: &Path) -> Result<Plan, ScenarioError> {
        Self::from_file_text_with(
            text,
            path,
            Catalog::embedded(),
            &Traces::default(),
            &Overrides::default(),
        )
    }

    /// [`Plan::from_file_text`] against `catalog`, with `--set` `overrides` applied to the file
    /// before its points, and the flow logs already read into `traces` (by the caller's own parse
    /// of the file) reused.
    pub(crate) fn from_file_text_with(
        text: &str,
        path: &Path,
        catalog: &Catalog,
        traces: &Traces,
        overrides: &Overrides,
    ) -> Result<Plan, ScenarioError> {
        let folder = path.parent().unwrap_or(Path::new(""));
        Self::build(
            text,
            &overrides.label(&path.display().to_string()),
            Some(folder),
            catalog,
            traces,
            overrides,
        )
    }

    /// `folder` is where `flow_logs` paths start (`None` refuses them); `file` names the source
    /// in errors (with its overrides).
    fn build(
        text: &str,
        file: &str,
        folder: Option<&Path>,
        catalog: &Catalog,
        traces: &Traces,
        overrides: &Overrides,
    ) -> Result<Plan, ScenarioError> {
        let mut root: toml::Table = text.parse().map_err(|e: toml::de::Error| {
            ScenarioError::new("", format!("not valid TOML: {}", e.message().trim()), "")
                .in_file(file)
        })?;
        overrides.apply(&mut root).map_err(|e| e.in_file(file))?;
        let sweep = match root.remove("sweep") {
            Some(toml::Value::Table(table)) => table,
            Some(_) => {
                return Err(ScenarioError::new(
                    "sweep",
                    "sweep is not a table",
                    "write it as a [sweep] table of key paths and values",
                )
                .in_file(file));
            }
            None => {
                return Err(ScenarioError::new(
                    "sweep",
                    "the file has no [sweep] table",
                    "add one, e.g. [sweep] then \"workload[0].rate_per_s\" = [10, 100, 1000]; `natsim run` runs a file as it is",
                )
                .in_file(file));
            }
        };
        let spec = SweepSpec::parse(&sweep, &spec::key_order(text)).map_err(|e| e.in_file(file))?;
        refuse_set_and_swept(&spec, overrides).map_err(|e| e.in_file(file))?;
        spec.check_paths(&root).map_err(|e| e.in_file(file))?;
        // Parsing is independent per point; collect in order so the first bad point is reported.
        // The points share each list of flow logs, read once (`traces`), and each workload's
        // trace file; each point keeps only its own `Replay` (the scale) over it.
        let context = PointContext {
            file,
            folder,
            catalog,
            traces,
        };
        let points: Vec<Result<Point, ScenarioError>> = (0..spec.point_count())
            .into_par_iter()
            .map(|index| build_point(&spec, &root, index, &context))
            .collect();
        let points = points.into_iter().collect::<Result<Vec<_>, _>>()?;
        Ok(Plan { spec, points })
    }

    /// Every run of the sweep, in (point, candidate, replication) order.
    pub fn jobs(&self) -> Vec<Job> {
        let mut jobs = Vec::new();
        for (point, p) in self.points.iter().enumerate() {
            for candidate in 0..p.scenario.candidates.len() {
                for replication in 0..p.scenario.replications {
                    jobs.push(Job {
                        point,
                        candidate,
                        replication,
                    });
                }
            }
        }
        jobs
    }

    /// The text of each swept value at `point`, as `param_*` columns show it.
    pub(crate) fn param_texts(&self, point: usize) -> Vec<String> {
        self.points[point]
            .values
            .iter()
            .map(spec::value_text)
            .collect()
    }

    /// Orders `jobs` longest first (expected connection arrivals), ties in (point, candidate,
    /// replication) order. Longest-first keeps every core busy to the end; the order changes
    /// when results arrive, never what they are.
    pub fn longest_first(&self, mut jobs: Vec<Job>) -> Vec<Job> {
        jobs.sort_by(|a, b| self.work(b).total_cmp(&self.work(a)).then(a.cmp(b)));
        jobs
    }

    /// A run's expected work, in events: the connections it should see, plus one per simulated
    /// minute for the time series every run keeps. Orders runs and weighs progress; results never
    /// depend on it.
    pub(crate) fn work(&self, job: &Job) -> f64 {
        let scenario = &self.points[job.point].scenario;
        expected_arrivals(scenario) + ns_to_seconds(scenario.duration_ns) / 60.0
    }
}

/// Runs `jobs` in the given order on the current rayon pool's threads and hands each finished
/// run to `on_done`, from whichever thread ran it. When `on_done` returns false no new run
/// starts (runs already going finish and are handed over too).
pub fn run(plan: &Plan, jobs: &[Job], on_done: &(dyn Fn(Record) -> bool + Sync)) {
    let next = AtomicUsize::new(0);
    let workers = rayon::current_num_threads().clamp(1, jobs.len().max(1));
    // A shared counter rather than `par_iter`: rayon would split the list in halves and start the
    // second thread in the middle, which undoes the longest-first order.
    rayon::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|_| {
                while let Some(job) = jobs.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let scenario = &plan.points[job.point].scenario;
                    let output = sim::run_candidate(scenario, job.candidate, job.replication);
                    let record = Record {
                        point: job.point,
                        candidate: job.candidate,
                        replication: job.replication,
                        seed: output.seed,
                        values: run_values(&output),
                        credits_exhausted_at_s: output
                            .diagnostics
                            .credits_exhausted_at
                            .map(ns_to_seconds),
                    };
                    if !on_done(record) {
                        next.store(jobs.len(), Ordering::Relaxed);
                    }
                }
            });
        }
    });
}

/// A key both set (`--set`) and swept would lose the set value at every point: refused.
fn refuse_set_and_swept(spec: &SweepSpec, overrides: &Overrides) -> Result<(), ScenarioError> {
    for param in &spec.params {
        if let Some(set) = overrides.key_setting(&param.path) {
            return Err(ScenarioError::new(
                format!("--set {set}"),
                format!(
                    "the [sweep] table varies {}, so the set value would be replaced at every point",
                    param.key
                ),
                "drop the --set, or that key from [sweep] (--set 'sweep.\"KEY\"=[...]' changes its values)",
            ));
        }
    }
    Ok(())
}

/// What every point is parsed with.
struct PointContext<'a> {
    file: &'a str,
    folder: Option<&'a Path>,
    catalog: &'a Catalog,
    traces: &'a Traces,
}

fn build_point(
    spec: &SweepSpec,
    root: &toml::Table,
    index: usize,
    context: &PointContext<'_>,
) -> Result<Point, ScenarioError> {
    let file = context.file;
    let values: Vec<toml::Value> = spec.values(index).into_iter().cloned().collect();
    let described: Vec<String> = spec
        .params
        .iter()
        .zip(&values)
        .map(|(param, value)| spec::assignment(param, value))
        .collect();
    let label = format!("{file} (sweep point {index}: {})", described.join(", "));
    let mut table = root.clone();
    for (param, value) in spec.params.iter().zip(&values) {
        param
            .apply(&mut table, value.clone())
            .map_err(|e| e.in_file(&label))?;
    }
    let text = toml::to_string(&table).map_err(|e| {
        ScenarioError::new(
            "",
            format!("the swept values do not form TOML: {e}"),
            "sweep plain values (numbers, strings, lists, inline tables)",
        )
        .in_file(&label)
    })?;
    let scenario = parse_scenario_shared(
        &text,
        &label,
        context.folder,
        context.catalog,
        context.traces,
    )?;
    Ok(Point { values, scenario })
}

/// Connections a run is expected to see.
fn expected_arrivals(scenario: &Scenario) -> f64 {
    let duration_s = ns_to_seconds(scenario.duration_ns);
    scenario
        .workloads
        .iter()
        .map(|w| {
            let shape = if w.profile.is_empty() {
                1.0
            } else {
                w.profile.iter().sum::<f64>() / w.profile.len() as f64
            };
            w.rate_per_s * shape * duration_s
        })
        .sum()
}
