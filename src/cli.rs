//! The command line: `natsim run | sweep | validate | catalog`.
//!
//! Exit codes (ripgrep-style, deliberate): 0 success, 2 any error the user can fix (bad scenario,
//! bad arguments, unwritable output). Errors name the file, the key path and the fix.
//! `run` with several files or a folder is in `cli/run_many.rs`, `sweep` in `cli/sweep.rs`.

mod progress;
mod run_many;
mod sweep;

use crate::batch;
use crate::catalog::Catalog;
use crate::report::{self, write_atomically};
use crate::scenario::{Scenario, ScenarioError, parse_scenario_file};
use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use std::fs;
use std::path::{Path, PathBuf};

#[derive(Debug, Parser)]
#[command(
    name = "natsim",
    version,
    about = "Discrete-event performance and cost simulator for AWS internet egress"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
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
    },
    /// Run every point of a scenario's [sweep] table: writes runs.csv as runs finish, then
    /// sweep.csv, sweep.parquet and winners.csv.
    Sweep {
        /// Scenario file (TOML) with a [sweep] table.
        file: PathBuf,
        /// Output folder (default output/<scenario name>).
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
    },
    /// Check a scenario file without running it.
    Validate { file: PathBuf },
    /// Show instance types, prices and defaults.
    Catalog {
        /// Show prices for this region (default: all regions' NAT gateway prices, us-east-1 instances).
        #[arg(long)]
        region: Option<String>,
    },
}

/// Runs the parsed command; any error returned is reported with exit code 2.
pub fn execute(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Run {
            files,
            out,
            seed,
            replications,
            threads,
        } => match files.as_slice() {
            // One file keeps the single-run contract: --out is the folder itself.
            [file] if !file.is_dir() => run(file, out, seed, replications, threads),
            _ => run_many::run_batch(&files, out, seed, replications, threads),
        },
        Command::Sweep {
            file,
            out,
            threads,
            resume,
            fresh,
        } => sweep::sweep(&file, out, threads, resume, fresh),
        Command::Validate { file } => {
            let scenario = load(&file, None, None)?;
            println!(
                "{}: ok: scenario {} with {} workload(s) and {} candidate(s)",
                file.display(),
                scenario.name,
                scenario.workloads.len(),
                scenario.candidates.len()
            );
            if let Some(plan) = sweep::plan_if_any(&file)? {
                println!("{}: ok: {plan}", file.display());
            }
            Ok(())
        }
        Command::Catalog { region } => {
            let text = report::catalog::render(Catalog::embedded(), region.as_deref())
                .map_err(anyhow::Error::msg)?;
            print!("{text}");
            Ok(())
        }
    }
}

fn load(
    file: &Path,
    seed: Option<u64>,
    replications: Option<u32>,
) -> Result<Scenario, ScenarioError> {
    let mut scenario = parse_scenario_file(file)?;
    let file_name = file.display().to_string();
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
    Ok(scenario)
}

fn run(
    file: &Path,
    out: Option<PathBuf>,
    seed: Option<u64>,
    replications: Option<u32>,
    threads: Option<usize>,
) -> Result<()> {
    let scenario = load(file, seed, replications)?;
    if scenario.has_sweep {
        note_sweep_not_applied(file);
    }
    let out_dir = out.unwrap_or_else(|| Path::new("output").join(&scenario.name));
    fs::create_dir_all(&out_dir).with_context(|| {
        format!(
            "cannot create output folder {}; pick another with --out",
            out_dir.display()
        )
    })?;
    let result = with_threads(threads, || batch::run_scenario(&scenario))?;
    let (summary_path, timeseries_path) = write_run(&out_dir, &scenario, &result)?;
    let pictures = write_pictures(&out_dir, file, &scenario, &result)?;
    print!("{}", report::table::render(&scenario, &result));
    println!(
        "\nwrote {} and {}",
        summary_path.display(),
        timeseries_path.display()
    );
    println!("wrote {}", pictures.join(", "));
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

/// Writes a run's plots (PNG and SVG) and `report.html` into `out_dir`; returns the file names.
fn write_pictures(
    out_dir: &Path,
    file: &Path,
    scenario: &Scenario,
    result: &batch::ScenarioResult,
) -> Result<Vec<String>> {
    let figures = report::plot::run_figures(scenario, result);
    let plots = report::plot::write_figures(out_dir, &figures).map_err(|e| anyhow::anyhow!(e))?;
    let text = fs::read_to_string(file)
        .with_context(|| format!("{}: cannot read the file", file.display()))?;
    let html_path = out_dir.join("report.html");
    write_atomically(
        &html_path,
        &report::html::run_report(scenario, result, &plots, &text),
    )
    .with_context(|| format!("cannot write {}", html_path.display()))?;
    Ok(written_names(out_dir, &plots))
}

/// `dir/name.png, dir/name.svg, …, dir/report.html`, for the closing line.
fn written_names(out_dir: &Path, plots: &[(&str, String)]) -> Vec<String> {
    let mut names: Vec<String> = plots
        .iter()
        .flat_map(|(name, _)| ["png", "svg"].map(|ext| format!("{name}.{ext}")))
        .map(|name| out_dir.join(name).display().to_string())
        .collect();
    names.push(out_dir.join("report.html").display().to_string());
    names
}

/// Writes a run's summary.csv and timeseries.csv into `out_dir` (which exists) and returns their
/// paths.
fn write_run(
    out_dir: &Path,
    scenario: &Scenario,
    result: &batch::ScenarioResult,
) -> Result<(PathBuf, PathBuf)> {
    let summary_path = out_dir.join("summary.csv");
    let timeseries_path = out_dir.join("timeseries.csv");
    write_atomically(&summary_path, &report::csv::summary_csv(scenario, result))
        .with_context(|| format!("cannot write {}", summary_path.display()))?;
    write_atomically(
        &timeseries_path,
        &report::csv::timeseries_csv(scenario, result),
    )
    .with_context(|| format!("cannot write {}", timeseries_path.display()))?;
    Ok((summary_path, timeseries_path))
}

/// Runs `work` on `threads` worker threads, or on rayon's global pool (one per core) when not
/// given. Results never depend on the count: parallelism is across runs only.
fn with_threads<T: Send>(threads: Option<usize>, work: impl FnOnce() -> T + Send) -> Result<T> {
    match threads {
        Some(0) => bail!(
            "--threads: 0 is not a thread count; give 1 or more, or leave it out to use every core"
        ),
        Some(n) => Ok(rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build()
            .context("cannot start worker threads")?
            .install(work)),
        None => Ok(work()),
    }
}
