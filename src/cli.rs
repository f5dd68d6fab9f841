//! The command line: `natsim run | sweep | validate | catalog | fit`.
//!
//! Exit codes (ripgrep-style, deliberate): 0 success, 2 any error the user can fix (bad scenario,
//! bad arguments, unwritable output). Errors name the file, the key path and the fix.
//! `run` with several files or a folder is in `cli/run_many.rs`, `sweep` in `cli/sweep.rs`,
//! `fit` in `cli/fit.rs`.

mod budget;
mod catalog_import;
pub mod estimate;
mod fit;
mod outputs;
mod progress;
mod run_many;
mod sweep;

use crate::io::catalog::Catalog;
use crate::io::cloudwatch;
use crate::io::cloudwatch::calibrate::Calibration;
use crate::io::report;
use crate::io::report::manifest::Header;
use crate::io::scenario::parse::parse_scenario_set;
use crate::io::scenario::replay::Traces;
use crate::io::scenario::source::read_catalog_file;
use crate::io::scenario::{Overrides, Scenario, ScenarioError, read_scenario_file};
use crate::results::batch;
use anyhow::{Context, Result, anyhow, bail};
use clap::{Parser, Subcommand};
use outputs::Outputs;
use progress::RunBar;
use std::path::{Path, PathBuf};

#[derive(Debug, Parser)]
#[command(
    name = "natsim",
    version,
    about = "Discrete-event performance and cost simulator for AWS internet egress"
)]
pub struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
    /// Use this catalog (prices, instance types, defaults) instead of the built-in one; same
    /// format as `src/io/catalog/catalog.toml`, checked the same way.
    #[arg(long, global = true, value_name = "FILE")]
    pub(crate) catalog: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Simulate a scenario: writes summary.csv and timeseries.csv, prints the comparison.
    /// Several files or a folder run as a batch, with one batch.csv over all of them.
    Run {
        /// Scenario file (TOML); or several, or folders (each *.toml in them, sorted).
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Output folder (default output/<scenario name>). A batch writes each scenario to
        /// DIR/<scenario name>/ and batch.csv to DIR (default output).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Override the scenario's seed.
        #[arg(long)]
        seed: Option<u64>,
        /// Override the number of independent replications.
        #[arg(long)]
        replications: Option<u32>,
        /// Worker threads (default: all cores). Results do not depend on it.
        #[arg(long)]
        threads: Option<usize>,
        /// Run even when the estimate is above 10 minutes or 4 GiB (see docs/reliability.md).
        #[arg(long)]
        yes: bool,
        /// Compare the NAT gateway candidates with this `aws cloudwatch get-metric-data` JSON
        /// and write calibration.csv (one scenario only; see docs/flowlogs.md).
        #[arg(long, value_name = "METRICS.json")]
        cloudwatch: Option<PathBuf>,
        /// Write an infracost usage file (usage.yml) with the simulated month of the recommended
        /// candidate, or of --candidate (one scenario only; see docs/catalog.md).
        #[arg(long, value_name = "USAGE.yml")]
        export_infracost: Option<PathBuf>,
        /// The candidate --export-infracost writes (default: the recommended one).
        #[arg(long, value_name = "NAME", requires = "export_infracost")]
        candidate: Option<String>,
        #[command(flatten)]
        set: SetArgs,
    },
    /// Run every point of a scenario's [sweep] table: writes runs.csv as runs finish, then
    /// sweep.csv, sweep.parquet and winners.csv.
    Sweep {
        /// Scenario file (TOML) with a [sweep] table.
        file: PathBuf,
        /// Output folder (default output/<scenario name>/sweep).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Worker threads (default: all cores). Results do not depend on it.
        #[arg(long)]
        threads: Option<usize>,
        /// Keep the runs already in runs.csv and run only the others.
        #[arg(long, conflicts_with = "fresh")]
        resume: bool,
        /// Start over, discarding the runs of an interrupted sweep in the output folder.
        #[arg(long)]
        fresh: bool,
        /// Run even when the estimate is above 10 minutes or 4 GiB (see docs/reliability.md).
        #[arg(long)]
        yes: bool,
        #[command(flatten)]
        set: SetArgs,
    },
    /// Check a scenario file without running it.
    Validate {
        file: PathBuf,
        #[command(flatten)]
        set: SetArgs,
    },
    /// Fit a runnable scenario to VPC Flow Logs (files or folders, plain or gzip text):
    /// per-AZ workloads, hourly profile, size distributions, destinations and candidates.
    Fit {
        /// Flow-log files or folders (walked recursively).
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// The scenario file to write.
        #[arg(short, long, value_name = "FILE")]
        out: PathBuf,
        /// Replace the output file if it exists.
        #[arg(long)]
        force: bool,
        /// Stop at the first malformed record instead of skipping and counting it.
        #[arg(long)]
        strict: bool,
        /// The scenario's region (default: from the AZ IDs, else us-east-1).
        #[arg(long)]
        region: Option<String>,
    },
    /// Show instance types, prices and defaults; `catalog import` builds a catalog from AWS's
    /// own data.
    #[command(args_conflicts_with_subcommands = true)]
    Catalog {
        /// Show prices for this region (default: all regions' NAT gateway prices, us-east-1 instances).
        #[arg(long)]
        region: Option<String>,
        #[command(subcommand)]
        action: Option<CatalogCommand>,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum CatalogCommand {
    /// Write a catalog file from `aws ec2 describe-instance-types` JSON and AWS Price List data
    /// (bulk offer files in CSV or JSON, or `aws pricing get-products` output) for every region
    /// and instance type they price; see docs/catalog.md.
    Import {
        /// The AWS files, in any order (their kind is read from their content; gzip is fine).
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// The catalog file to write.
        #[arg(short, long, value_name = "FILE")]
        out: PathBuf,
        /// Replace the output file if it exists.
        #[arg(long)]
        force: bool,
        /// Import only this region (repeatable); an incomplete one is then an error.
        #[arg(long)]
        region: Vec<String>,
    },
}

/// `--set KEY=VALUE`, shared by `run`, `sweep` and `validate`.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct SetArgs {
    /// Override a scenario key, with the key paths sweeps use: `--set workload[0].rate_per_s=200`,
    /// `--set scenario.duration=4h`. The value is TOML (number, string, true/false, list, inline
    /// table) or plain text. Repeatable; see docs/scenario.md.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    set: Vec<String>,
}

impl SetArgs {
    /// The overrides, checked before any file is read.
    fn overrides(&self) -> Result<Overrides> {
        Overrides::parse(&self.set).map_err(|problem| anyhow!(problem))
    }
}

/// Runs the parsed command; any error returned is reported with exit code 2.
pub fn execute(cli: Cli) -> Result<()> {
    let catalog = match &cli.catalog {
        // One catalog per process, read before anything runs: leaking it gives every run the
        // same `&'static` the built-in one has.
        Some(path) => &*Box::leak(Box::new(load_catalog(path)?)),
        None => Catalog::embedded(),
    };
    match cli.command {
        Command::Run {
            files,
            out,
            seed,
            replications,
            threads,
            yes,
            cloudwatch,
            export_infracost,
            candidate,
            set,
        } => {
            // A bad flag is bad input: refused before any folder is touched.
            check_threads(threads)?;
            let overrides = set.overrides()?;
            let options = RunOptions {
                seed,
                replications,
                threads,
                yes,
                catalog,
                overrides: &overrides,
            };
            let extras = RunExtras {
                cloudwatch: cloudwatch.as_deref(),
                infracost: export_infracost
                    .as_deref()
                    .map(|path| (path, candidate.as_deref())),
            };
            match files.as_slice() {
                // One file keeps the single-run contract: --out is the folder itself.
                [file] if !file.is_dir() => run(file, out, options, extras),
                _ if extras.cloudwatch.is_some() => bail!(
                    "--cloudwatch: the metrics are one NAT gateway's, so they calibrate one scenario; give one scenario file"
                ),
                _ if extras.infracost.is_some() => bail!(
                    "--export-infracost: a usage file is one design's traffic; give one scenario file"
                ),
                _ => run_many::run_batch(&files, out, options),
            }
        }
        Command::Sweep {
            file,
            out,
            threads,
            resume,
            fresh,
            yes,
            set,
        } => sweep::sweep(
            &file,
            out,
            sweep::SweepOptions {
                threads,
                resume,
                fresh,
                yes,
                catalog,
                overrides: &set.overrides()?,
            },
        ),
        Command::Validate { file, set } => validate(&file, catalog, &set.overrides()?),
        Command::Fit {
            files,
            out,
            force,
            strict,
            region,
        } => fit::fit(
            fit::FitArgs {
                files,
                out,
                force,
                strict,
                region,
            },
            catalog,
        ),
        Command::Catalog {
            action:
                Some(CatalogCommand::Import {
                    files,
                    out,
                    force,
                    region,
                }),
            ..
        } => catalog_import::import(
            catalog_import::ImportArgs {
                files,
                out,
                force,
                regions: region,
            },
            catalog,
        ),
        Command::Catalog {
            region,
            action: None,
        } => {
            let text =
                report::catalog::render(catalog, region.as_deref()).map_err(anyhow::Error::msg)?;
            print!("{text}");
            Ok(())
        }
    }
}

/// A scenario file read once (a FIFO or `natsim run <(...)` cannot be read twice), with its
/// `--set` overrides and its checked scenario; the text goes on to report.html and to a sweep's
/// plan.
pub(super) struct Loaded {
    pub(crate) file: PathBuf,
    /// The file as read.
    pub(crate) text: String,
    pub(crate) overrides: Overrides,
    pub(crate) scenario: Scenario,
}

impl Loaded {
    /// The scenario as it ran: the file with its `--set` overrides listed after it.
    pub(crate) fn shown_text(&self) -> String {
        self.overrides.annotate(&self.text)
    }
}

fn load(file: &Path, options: &RunOptions<'_>) -> Result<Loaded, ScenarioError> {
    load_with(
        file,
        (options.seed, options.replications),
        options.catalog,
        None,
        options.overrides,
    )
}

/// [`load`], reading a replayed workload's flow logs through `traces` when given, so a sweep's
/// plan built after it with the same `traces` reads them no more. `seed` and `replications`
/// replace the file's when given.
fn load_with(
    file: &Path,
    (seed, replications): (Option<u64>, Option<u32>),
    catalog: &Catalog,
    traces: Option<&Traces>,
    overrides: &Overrides,
) -> Result<Loaded, ScenarioError> {
    let file_name = file.display().to_string();
    let text = read_scenario_file(file)?;
    let mut scenario = parse_scenario_set(&text, file, catalog, traces, overrides)?;
    crate::io::scenario::replay::notes(&scenario)
        .iter()
        .for_each(|n| eprintln!("{n}"));
    if let Some(seed) = seed {
        scenario.seed = seed;
    }
    if let Some(replications) = replications {
        if replications == 0 || replications > 10_000 {
            return Err(ScenarioError::new(
                "--replications",
                format!("{replications} is out of range"),
                "give 1 to 10000",
            )
            .in_file(file_name));
        }
        scenario.replications = replications;
    }
    Ok(Loaded {
        file: file.to_path_buf(),
        text,
        overrides: overrides.clone(),
        scenario,
    })
}

/// The flags `run` applies to every file.
#[derive(Debug, Clone, Copy)]
pub(super) struct RunOptions<'a> {
    pub(crate) seed: Option<u64>,
    pub(crate) replications: Option<u32>,
    pub(crate) threads: Option<usize>,
    /// Start work above the estimate's limits.
    pub(crate) yes: bool,
    /// The catalog scenarios are read against (`--catalog`, or the built-in one).
    pub(crate) catalog: &'static Catalog,
    /// `--set`, applied to every file.
    pub(crate) overrides: &'a Overrides,
}

/// Where `natsim run` writes a scenario without `--out`: `output/<name>/`. A sweep of the same
/// scenario writes `output/<name>/sweep/`, so neither replaces the other's files.
pub(super) fn default_run_dir(name: &str) -> PathBuf {
    Path::new("output").join(name)
}

/// What a single `run` writes besides its folder.
#[derive(Debug, Clone, Copy)]
struct RunExtras<'a> {
    /// `--cloudwatch METRICS.json`.
    cloudwatch: Option<&'a Path>,
    /// `--export-infracost USAGE.yml`, with `--candidate`.
    infracost: Option<(&'a Path, Option<&'a str>)>,
}

fn run(
    file: &Path,
    out: Option<PathBuf>,
    options: RunOptions<'_>,
    extras: RunExtras<'_>,
) -> Result<()> {
    let cloudwatch = extras.cloudwatch;
    let loaded = load(file, &options)?;
    let scenario = &loaded.scenario;
    if let Some((_, Some(name))) = extras.infracost {
        check_candidate(file, scenario, name)?;
    }
    let measured = match cloudwatch {
        Some(path) => {
            let measured = cloudwatch::read(path).map_err(|e| anyhow!(e))?;
            if cloudwatch::calibrate::gateway_candidates(scenario).is_empty() {
                bail!(
                    "{}: --cloudwatch: the scenario has no nat_gateway candidate to compare with the NAT gateway's metrics; add one",
                    file.display()
                );
            }
            Some(measured)
        }
        None => None,
    };
    if scenario.has_sweep {
        note_sweep_not_applied(file);
    }
    let threads = budget::threads(options.threads);
    let work = estimate::scenario_work(scenario);
    budget::check(file, &work, threads, options.yes)?;
    let outputs = Outputs::open(&out.unwrap_or_else(|| default_run_dir(&scenario.name)))?;
    let bar = RunBar::new(
        scenario.duration_ns.saturating_mul(work.runs),
        budget::shows_progress(&work, threads),
    );
    let result = with_threads(options.threads, || {
        batch::run_scenario_observed(scenario, &|ns| bar.advance(ns))
    })?;
    bar.finish();
    let calibration = measured
        .as_ref()
        .map(|m| cloudwatch::calibrate::calibrate(scenario, &result, m));
    let written = write_run(outputs, &loaded, &result, calibration.as_ref())?;
    print!("{}", report::table::render(scenario, &result));
    if let Some(calibration) = &calibration {
        println!();
        for line in calibration.lines() {
            println!("{line}");
        }
    }
    println!("\nwrote {} and {}", written[0], written[1]);
    println!("wrote {}", written[2..].join(", "));
    if let Some((path, name)) = extras.infracost {
        export_infracost(path, name, scenario, &result)?;
    }
    Ok(())
}

/// `--candidate NAME` must name one of the scenario's candidates: refused before anything runs.
fn check_candidate(file: &Path, scenario: &Scenario, name: &str) -> Result<()> {
    if scenario.candidates.iter().any(|c| c.name == name) {
        return Ok(());
    }
    let names: Vec<&str> = scenario
        .candidates
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    bail!(
        "--candidate: {} has no candidate {}; its candidates: {}",
        file.display(),
        crate::util::echo::quoted(name),
        names.join(", ")
    )
}

/// Writes the infracost usage file of `name`, or of the recommended candidate.
fn export_infracost(
    path: &Path,
    name: Option<&str>,
    scenario: &Scenario,
    result: &batch::ScenarioResult,
) -> Result<()> {
    let (summary, chosen) = match name {
        Some(name) => (
            result.summaries.iter().find(|s| s.name == name),
            "chosen with --candidate",
        ),
        None => (
            result.summaries.iter().find(|s| s.recommended),
            "the recommended one",
        ),
    };
    let Some(summary) = summary else {
        bail!(
            "--export-infracost: no candidate meets the objectives, so none is recommended and {} is not written; name one with --candidate (the run's own outputs are written)",
            path.display()
        );
    };
    let text = report::infracost::usage_yaml(scenario, summary, chosen);
    report::write_atomically(path, text)
        .with_context(|| format!("--export-infracost: cannot write {}", path.display()))?;
    println!(
        "wrote {} (infracost usage of {}, {chosen})",
        path.display(),
        summary.name
    );
    Ok(())
}

/// Says on stderr that `run` simulates a sweep file as written, without its `[sweep]`.
fn note_sweep_not_applied(file: &Path) {
    eprintln!(
        "note: {} has a [sweep] table; `natsim run` simulates the file as written; use `natsim sweep {}` for the sweep",
        file.display(),
        file.display()
    );
}

/// Writes a run's files into `outputs` as one set: summary.csv, timeseries.csv, calibration.csv
/// (with `--cloudwatch`), the plots (PNG
/// and SVG), report.html, then the manifest. Returns the paths written, in that order.
fn write_run(
    mut outputs: Outputs,
    loaded: &Loaded,
    result: &batch::ScenarioResult,
    calibration: Option<&Calibration>,
) -> Result<Vec<String>> {
    let scenario = &loaded.scenario;
    let mut written = vec![
        outputs.write("summary.csv", report::csv::summary_csv(scenario, result))?,
        outputs.write(
            "timeseries.csv",
            report::csv::timeseries_csv(scenario, result),
        )?,
    ];
    if let Some(calibration) = calibration {
        written.push(outputs.write(
            "calibration.csv",
            report::calibration::calibration_csv(calibration),
        )?);
    }
    let figures = report::plot::run_figures(scenario, result);
    let plots = report::plot::write_figures(outputs.dir(), &figures).map_err(|e| anyhow!(e))?;
    for name in plot_files(&plots) {
        written.push(outputs.path(&name));
        outputs.add(&name);
    }
    let html = report::html::run_report(scenario, result, &plots, &loaded.shown_text());
    written.push(outputs.write("report.html", html)?);
    let header = Header {
        kind: "run",
        scenario: Some(&scenario.name),
        seed: Some(scenario.seed),
    };
    outputs.close(&header)?;
    Ok(written.iter().map(|p| p.display().to_string()).collect())
}

/// `name.png, name.svg, …` of the plots written.
fn plot_files(plots: &[(&str, String)]) -> Vec<String> {
    plots
        .iter()
        .flat_map(|(name, _)| ["png", "svg"].map(|ext| format!("{name}.{ext}")))
        .collect()
}

/// `dir/name.png, dir/name.svg, …, dir/report.html`, for the closing line.
fn written_names(out_dir: &Path, plots: &[(&str, String)]) -> Vec<String> {
    let mut names: Vec<String> = plot_files(plots)
        .iter()
        .map(|name| out_dir.join(name).display().to_string())
        .collect();
    names.push(out_dir.join("report.html").display().to_string());
    names
}

/// `natsim validate`: checks the file (and every point of its sweep) and says what running it
/// would take.
fn validate(file: &Path, catalog: &Catalog, overrides: &Overrides) -> Result<()> {
    let traces = Traces::default();
    let loaded = load_with(file, (None, None), catalog, Some(&traces), overrides)?;
    let scenario = &loaded.scenario;
    println!(
        "{}: ok: scenario {} with {} workload(s) and {} candidate(s)",
        file.display(),
        scenario.name,
        scenario.workloads.len(),
        scenario.candidates.len()
    );
    let threads = budget::threads(None);
    let work = match sweep::plan_if_any(&loaded, catalog, &traces)? {
        Some((plan, work)) => {
            println!("{}: ok: {plan}", file.display());
            work
        }
        None => estimate::scenario_work(scenario),
    };
    println!(
        "{}: estimate: {}{}",
        file.display(),
        work.describe(threads),
        match work.refusal(threads) {
            Some(_) => "; above the limits: `natsim run` will ask for --yes",
            None => "",
        }
    );
    Ok(())
}

/// Runs `work` on `threads` worker threads, or on rayon's global pool (one per core) when not
/// given. Results never depend on the count: parallelism is across runs only.
fn with_threads<T: Send>(threads: Option<usize>, work: impl FnOnce() -> T + Send) -> Result<T> {
    check_threads(threads)?;
    match threads {
        Some(n) => Ok(rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build()
            .context("cannot start worker threads")?
            .install(work)),
        None => Ok(work()),
    }
}

/// `--threads 0` is refused: there is no run without a thread.
fn check_threads(threads: Option<usize>) -> Result<()> {
    if threads == Some(0) {
        bail!(
            "--threads: 0 is not a thread count; give 1 or more, or leave it out to use every core"
        );
    }
    Ok(())
}

/// A user's catalog (`--catalog FILE`): read with the scenario files' size cap, then parsed and
/// checked like the built-in one; an error names the file, what is wrong where, and the fix.
fn load_catalog(path: &Path) -> Result<Catalog> {
    read_catalog_file(path).map_err(|problem| anyhow!("--catalog: {problem}"))
}
