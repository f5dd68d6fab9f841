//! The command line: `natsim run | sweep | validate | catalog | fit | diff`.
//!
//! Exit codes (ripgrep-style, deliberate): 0 success, 2 any error the user can fix (bad scenario,
//! bad arguments, unwritable output), and 1 only from `diff --exit-code` when the
//! recommendation changed. Errors name the file, the key path and the fix.
//! `run` with several files or a folder is in `cli/run_many.rs`, `sweep` in `cli/sweep.rs`
//! (its shards in `cli/shard.rs`, `sweep merge` in `cli/merge.rs`, `sweep --plan` in
//! `cli/sweep_plan.rs`), `fit` in `cli/fit.rs`, `diff` in `cli/diff.rs`; what is printed, in
//! which format, is `cli/print.rs`'s.

mod budget;
mod catalog_import;
mod diff;
pub mod estimate;
mod fit;
mod merge;
mod outputs;
mod print;
mod progress;
mod run_many;
pub mod shard;
mod sweep;
mod sweep_plan;

use crate::io::catalog::Catalog;
use crate::io::cloudwatch;
use crate::io::cloudwatch::calibrate::Calibration;
use crate::io::report;
use crate::io::report::document::{RunDocument, run_document};
use crate::io::report::json::{Estimate, ValidateDocument, ValidateSweep};
use crate::io::report::manifest::Header;
use crate::io::scenario::parse::parse_scenario_set;
use crate::io::scenario::replay::Traces;
use crate::io::scenario::source::read_catalog_file;
use crate::io::scenario::{Overrides, Scenario, ScenarioError, read_scenario_file};
use crate::results::batch;
use anyhow::{Context, Result, anyhow, bail};
use clap::{Parser, Subcommand};
use outputs::Outputs;
use print::{Format, Print};
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
        #[command(flatten)]
        print: Print,
    },
    /// Run every point of a scenario's [sweep] table: writes runs.csv as runs finish, then
    /// sweep.csv, sweep.parquet and winners.csv. `natsim sweep merge DIR...` merges the shards
    /// of a sweep run with --shard (docs/sharding.md).
    #[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
    Sweep {
        #[command(subcommand)]
        merge: Option<SweepCommand>,
        /// Scenario file (TOML) with a [sweep] table.
        #[arg(required = true)]
        file: Option<PathBuf>,
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
        /// Run only shard K of N (K from 0) into DIR/shard-K-of-N/, as one task of an array job;
        /// `auto/N` takes K from SLURM_ARRAY_TASK_ID, AWS_BATCH_JOB_ARRAY_INDEX or
        /// JOB_COMPLETION_INDEX, `auto` also N from SLURM_ARRAY_TASK_COUNT.
        #[arg(long, value_name = "K/N", value_parser = shard::ShardSpec::parse)]
        shard: Option<shard::ShardSpec>,
        /// Print the run count, a measured per-run time and shard sizes, then stop.
        #[arg(long)]
        plan: bool,
        #[command(flatten)]
        set: SetArgs,
        #[command(flatten)]
        print: Print,
    },
    /// Check a scenario file without running it.
    Validate {
        file: PathBuf,
        #[command(flatten)]
        set: SetArgs,
        #[command(flatten)]
        print: Print,
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
        /// Then run the fitted scenario against this `aws cloudwatch get-metric-data` JSON, as
        /// `natsim run FILE --cloudwatch METRICS.json` would (outputs in output/<name>/).
        #[arg(long, value_name = "METRICS.json")]
        cloudwatch: Option<PathBuf>,
        /// With --cloudwatch: run even when the estimate is above 10 minutes or 4 GiB.
        #[arg(long, requires = "cloudwatch")]
        yes: bool,
    },
    /// Show instance types, prices and defaults; `catalog import` builds a catalog from AWS's
    /// own data.
    #[command(args_conflicts_with_subcommands = true)]
    Catalog {
        /// Show prices for this region (default: all regions' NAT gateway prices, us-east-1 instances).
        #[arg(long)]
        region: Option<String>,
        #[command(flatten)]
        print: Print,
        #[command(subcommand)]
        action: Option<CatalogCommand>,
    },
    /// Compare two versions of a design: two scenario files (both run now, nothing written) or
    /// two `natsim run` output folders (their summary.json), or one of each. Per candidate: the
    /// change in monthly cost by line, refusals, drops, availability and p99; and whether the
    /// recommendation changed, and why.
    Diff {
        /// The before: a scenario file or a run's output folder.
        a: PathBuf,
        /// The after: a scenario file or a run's output folder.
        b: PathBuf,
        /// Exit with 1 when the recommendation changed and 0 when it did not (errors stay 2),
        /// for a CI gate.
        #[arg(long)]
        exit_code: bool,
        /// Worker threads for the scenarios run (default: all cores).
        #[arg(long)]
        threads: Option<usize>,
        /// Run even when the estimate is above 10 minutes or 4 GiB (see docs/reliability.md).
        #[arg(long)]
        yes: bool,
        #[command(flatten)]
        print: Print,
    },
}

/// What `natsim sweep` does instead of running a file.
#[derive(Debug, Subcommand)]
pub(crate) enum SweepCommand {
    /// Merge the shards of a sweep (folders written by `natsim sweep FILE --shard K/N --out DIR`)
    /// into sweep.csv, sweep.parquet, winners.csv, the plots and report.html, the same bytes one
    /// machine writes; refuses shards of different sweeps and names the runs still missing.
    Merge {
        /// Folders holding shard-K-of-N/ folders, or shard folders themselves.
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        /// Output folder (default: the first folder given, or the one holding it when it is a
        /// shard's).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Worker threads (default: all cores). Results do not depend on it.
        #[arg(long)]
        threads: Option<usize>,
        #[command(flatten)]
        print: Print,
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
    /// The overrides, checked before any file is read. One set per process, like the catalog:
    /// leaked, so every run borrows it as `'static`.
    fn overrides(&self) -> Result<&'static Overrides> {
        let overrides = Overrides::parse(&self.set).map_err(|problem| anyhow!(problem))?;
        Ok(Box::leak(Box::new(overrides)))
    }
}

/// No `--set` (`diff`, `fit`).
static NO_OVERRIDES: Overrides = Overrides::NONE;

/// How a command that did not fail ends: exit code 0, or 1 for `diff --exit-code` when the
/// recommendation changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Success,
    RecommendationChanged,
}

/// Runs the parsed command; any error returned is reported with exit code 2.
pub fn execute(cli: Cli) -> Result<Status> {
    let catalog = match &cli.catalog {
        // One catalog per process, read before anything runs: leaking it gives every run the
        // same `&'static` the built-in one has.
        Some(path) => &*Box::leak(Box::new(load_catalog(path)?)),
        None => Catalog::embedded(),
    };
    // What a sweep's shards are stamped with, so shards priced by other catalogs never merge.
    let catalog_fnv1a64 = shard::catalog_fnv1a64(catalog);
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
            print,
        } => {
            // A bad flag is bad input: refused before any folder is touched.
            check_threads(threads)?;
            let options = RunOptions {
                seed,
                replications,
                threads,
                yes,
                catalog,
                print,
                overrides: set.overrides()?,
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
            }?;
        }
        Command::Sweep {
            merge:
                Some(SweepCommand::Merge {
                    dirs,
                    out,
                    threads,
                    print,
                }),
            ..
        } => merge::merge(
            &dirs,
            out,
            merge::MergeOptions {
                threads,
                catalog,
                catalog_file: cli.catalog.as_deref(),
                catalog_fnv1a64,
                print,
            },
        )?,
        Command::Sweep {
            merge: None,
            file,
            out,
            threads,
            resume,
            fresh,
            yes,
            shard,
            plan,
            set,
            print,
        } => sweep::sweep(
            // clap requires the file when there is no subcommand.
            &file.unwrap_or_default(),
            out,
            sweep::SweepOptions {
                threads,
                resume,
                fresh,
                yes,
                catalog,
                catalog_fnv1a64,
                shard,
                plan_only: plan,
                print,
                overrides: set.overrides()?,
            },
        )?,
        Command::Validate { file, set, print } => {
            validate(&file, catalog, print, set.overrides()?)?;
        }
        Command::Fit {
            files,
            out,
            force,
            strict,
            region,
            cloudwatch,
            yes,
        } => fit::fit(
            fit::FitArgs {
                files,
                out,
                force,
                strict,
                region,
                cloudwatch,
                yes,
            },
            catalog,
        )?,
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
        )?,
        Command::Catalog {
            region,
            print,
            action: None,
        } => show_catalog(catalog, region.as_deref(), print)?,
        Command::Diff {
            a,
            b,
            exit_code,
            threads,
            yes,
            print,
        } => {
            check_threads(threads)?;
            let options = RunOptions {
                seed: None,
                replications: None,
                threads,
                yes,
                catalog,
                print,
                overrides: &NO_OVERRIDES,
            };
            let changed = diff::diff(&a, &b, options)?;
            if exit_code && changed {
                return Ok(Status::RecommendationChanged);
            }
        }
    }
    Ok(Status::Success)
}

/// `natsim catalog` in the chosen format; an unknown region is an error in every format.
fn show_catalog(catalog: &Catalog, region: Option<&str>, print: Print) -> Result<()> {
    // Rendered first, so an unknown region fails whatever the format (and with --quiet).
    let text = match print.format {
        Format::Table => report::catalog::render(catalog, region),
        Format::Json => {
            report::json::catalog_document(catalog, region).map(|doc| report::json::to_text(&doc))
        }
        Format::Markdown => report::catalog::markdown(catalog, region),
    }
    .map_err(anyhow::Error::msg)?;
    print.out(&text);
    Ok(())
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
    /// Notes the input raised that do not stop it (a replay's left-out records, a `[sweep]`
    /// that `run` does not apply): printed on stderr by the caller and kept in the JSON.
    pub(crate) notes: Vec<String>,
}

fn load(file: &Path, options: &RunOptions) -> Result<Loaded, ScenarioError> {
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
    let notes = crate::io::scenario::replay::notes(&scenario);
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
        notes,
    })
}

impl Loaded {
    /// The scenario as it ran: the file with its `--set` overrides listed after it.
    pub(crate) fn shown_text(&self) -> String {
        self.overrides.annotate(&self.text)
    }

    /// Adds the note that `run` simulates a sweep file as written, without its `[sweep]`.
    fn note_sweep_not_applied(&mut self) {
        if self.scenario.has_sweep {
            self.notes.push(format!(
                "note: {} has a [sweep] table; `natsim run` simulates the file as written; use `natsim sweep {}` for the sweep",
                self.file.display(),
                self.file.display()
            ));
        }
    }

    /// Prints the notes on stderr (unless `--quiet`).
    fn print_notes(&self, print: Print) {
        for note in &self.notes {
            print.note(note);
        }
    }
}

/// The flags `run` applies to every file.
#[derive(Debug, Clone, Copy)]
pub(super) struct RunOptions {
    pub(crate) seed: Option<u64>,
    pub(crate) replications: Option<u32>,
    pub(crate) threads: Option<usize>,
    /// Start work above the estimate's limits.
    pub(crate) yes: bool,
    /// The catalog scenarios are read against (`--catalog`, or the built-in one).
    pub(crate) catalog: &'static Catalog,
    pub(crate) print: Print,
    /// `--set`, applied to every file.
    pub(crate) overrides: &'static Overrides,
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
    options: RunOptions,
    extras: RunExtras<'_>,
) -> Result<()> {
    let cloudwatch = extras.cloudwatch;
    let mut loaded = load(file, &options)?;
    loaded.note_sweep_not_applied();
    loaded.print_notes(options.print);
    let scenario = &loaded.scenario;
    if let Some((_, Some(name))) = extras.infracost {
        check_candidate(file, scenario, name)?;
    }
    let measured = cloudwatch
        .map(|path| read_metrics(path, scenario, file))
        .transpose()?;
    let work = estimate::scenario_work(scenario);
    budget::check(
        file,
        &work,
        budget::threads(options.threads),
        options.yes,
        options.print,
    )?;
    let result = run_checked(&loaded, out, options, measured.as_ref())?;
    if let Some((path, name)) = extras.infracost {
        export_infracost(path, name, &loaded.scenario, &result, options.print)?;
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
    print: Print,
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
    print.table_line(&format!(
        "wrote {} (infracost usage of {}, {chosen})",
        path.display(),
        summary.name
    ));
    Ok(())
}

/// Reads `--cloudwatch`'s file for `scenario` (from `file`), which must have a NAT gateway
/// candidate to compare with it.
fn read_metrics(path: &Path, scenario: &Scenario, file: &Path) -> Result<cloudwatch::Measured> {
    let measured = cloudwatch::read(path).map_err(|e| anyhow!(e))?;
    check_gateways(scenario, file)?;
    Ok(measured)
}

/// `--cloudwatch` needs a `nat_gateway` candidate in the scenario (`file`) to compare.
fn check_gateways(scenario: &Scenario, file: &Path) -> Result<()> {
    if cloudwatch::calibrate::gateway_candidates(scenario).is_empty() {
        bail!(
            "{}: --cloudwatch: the scenario has no nat_gateway candidate to compare with the NAT gateway's metrics; add one",
            file.display()
        );
    }
    Ok(())
}

/// Runs a loaded scenario whose work estimate has passed, writes its outputs (with the
/// calibration against `measured`, when given), prints the comparison and returns the result.
fn run_checked(
    loaded: &Loaded,
    out: Option<PathBuf>,
    options: RunOptions,
    measured: Option<&cloudwatch::Measured>,
) -> Result<batch::ScenarioResult> {
    let scenario = &loaded.scenario;
    let threads = budget::threads(options.threads);
    let work = estimate::scenario_work(scenario);
    let outputs = Outputs::open(
        &out.unwrap_or_else(|| default_run_dir(&scenario.name)),
        options.print,
    )?;
    let bar = RunBar::new(
        scenario.duration_ns.saturating_mul(work.runs),
        options.print.chatty() && budget::shows_progress(&work, threads),
    );
    let result = with_threads(options.threads, || {
        batch::run_scenario_observed(scenario, &|ns| bar.advance(ns))
    })?;
    bar.finish();
    let calibration = measured.map(|m| cloudwatch::calibrate::calibrate(scenario, &result, m));
    let (written, document) = write_run(outputs, loaded, &result, calibration.as_ref())?;
    let print = options.print;
    print.report(
        || {
            let mut text = report::table::render(scenario, &result);
            if !document.calibration.is_empty() {
                text.push('\n');
                document
                    .calibration
                    .iter()
                    .for_each(|line| text.push_str(&format!("{line}\n")));
            }
            text
        },
        || report::json::to_text(&document),
        || report::markdown::run(&document),
    );
    print.table_line(&format!(
        "\nwrote {}, {} and {}",
        written[0], written[1], written[2]
    ));
    print.table_line(&format!("wrote {}", written[3..].join(", ")));
    Ok(result)
}

/// Writes a run's files into `outputs` as one set: summary.csv, summary.json, timeseries.csv,
/// their per-workload twins summary_by_workload.csv and timeseries_by_workload.csv,
/// calibration.csv (with `--cloudwatch`), the plots (PNG and SVG; `calibration` too with
/// `--cloudwatch`, unless every simulated metric was zero throughout), report.html, then the
/// manifest. Returns the paths written, in that order, and the document of summary.json.
fn write_run(
    mut outputs: Outputs,
    loaded: &Loaded,
    result: &batch::ScenarioResult,
    calibration: Option<&Calibration>,
) -> Result<(Vec<String>, RunDocument)> {
    let scenario = &loaded.scenario;
    let calibration_lines = calibration.map(Calibration::lines).unwrap_or_default();
    let document = run_document(scenario, result, &loaded.notes, &calibration_lines);
    let mut written = vec![
        outputs.write("summary.csv", report::csv::summary_csv(scenario, result))?,
        outputs.write("summary.json", report::json::to_text(&document))?,
        outputs.write(
            "timeseries.csv",
            report::csv::timeseries_csv(scenario, result),
        )?,
        outputs.write(
            "summary_by_workload.csv",
            report::csv::summary_by_workload_csv(scenario, result),
        )?,
        outputs.write(
            "timeseries_by_workload.csv",
            report::csv::timeseries_by_workload_csv(scenario, result),
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
    let calibration_plot = match calibration {
        Some(c) => {
            let figure = report::plot::calibration_figure(scenario, c);
            report::plot::write_figures(outputs.dir(), figure.as_slice()).map_err(|e| anyhow!(e))?
        }
        None => Vec::new(),
    };
    for name in plot_files(&plots)
        .into_iter()
        .chain(plot_files(&calibration_plot))
    {
        written.push(outputs.path(&name));
        outputs.add(&name);
    }
    let page = calibration.map(|calibration| report::html::CalibrationPage {
        calibration,
        plot: calibration_plot.first(),
    });
    let html = report::html::run_report(
        scenario,
        result,
        &plots,
        page.as_ref(),
        &loaded.shown_text(),
    );
    written.push(outputs.write("report.html", html)?);
    let header = Header {
        kind: "run",
        scenario: Some(&scenario.name),
        seed: Some(scenario.seed),
    };
    outputs.close(&header)?;
    let written = written.iter().map(|p| p.display().to_string()).collect();
    Ok((written, document))
}

/// `name.png, name.svg, …` of the plots written.
fn plot_files(plots: &[report::plot::Drawn]) -> Vec<String> {
    plots
        .iter()
        .flat_map(|plot| ["png", "svg"].map(|ext| format!("{}.{ext}", plot.name)))
        .collect()
}

/// `dir/name.png, dir/name.svg, …, dir/report.html`, for the closing line.
fn written_names(out_dir: &Path, plots: &[report::plot::Drawn]) -> Vec<String> {
    let mut names: Vec<String> = plot_files(plots)
        .iter()
        .map(|name| out_dir.join(name).display().to_string())
        .collect();
    names.push(out_dir.join("report.html").display().to_string());
    names
}

/// `natsim validate`: checks the file (and every point of its sweep) and says what running it
/// would take.
fn validate(file: &Path, catalog: &Catalog, print: Print, overrides: &Overrides) -> Result<()> {
    let traces = Traces::default();
    let loaded = load_with(file, (None, None), catalog, Some(&traces), overrides)?;
    loaded.print_notes(print);
    let scenario = &loaded.scenario;
    let threads = budget::threads(None);
    let (sweep, work) = match sweep::plan_if_any(&loaded, catalog, &traces)? {
        Some((points, runs, work)) => (Some(ValidateSweep { points, runs }), work),
        None => (None, estimate::scenario_work(scenario)),
    };
    let estimate = Estimate {
        runs: work.runs,
        connections: work.connections,
        events: work.events,
        threads,
        wall_s: work.wall_s(threads),
        peak_memory_bytes: work.peak_bytes(threads),
        above_limits: work.refusal(threads).is_some(),
        text: work.describe(threads),
    };
    let document = ValidateDocument::new(
        file.display().to_string(),
        scenario,
        sweep,
        estimate,
        loaded.notes.clone(),
    );
    print.report(
        || validate_text(&document),
        || report::json::to_text(&document),
        || report::markdown::validate(&document),
    );
    Ok(())
}

/// `natsim validate`'s lines in the table format.
fn validate_text(doc: &ValidateDocument) -> String {
    let mut text = format!(
        "{}: ok: scenario {} with {} workload(s) and {} candidate(s)\n",
        doc.file, doc.scenario, doc.workloads, doc.candidates
    );
    if let Some(sweep) = &doc.sweep {
        text.push_str(&format!(
            "{}: ok: sweep of {} point(s), {} run(s) in all\n",
            doc.file, sweep.points, sweep.runs
        ));
    }
    text.push_str(&format!(
        "{}: estimate: {}{}\n",
        doc.file,
        doc.estimate.text,
        if doc.estimate.above_limits {
            "; above the limits: `natsim run` will ask for --yes"
        } else {
            ""
        }
    ));
    text
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
