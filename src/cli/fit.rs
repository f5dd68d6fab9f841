//! `natsim fit FLOWLOGS... -o scenario.toml`: reads the flow logs, fits a scenario
//! (`io::fit`), checks that the text parses as a scenario, and writes it without replacing an
//! existing file unless `--force`. With `--cloudwatch METRICS.json` it then runs the fitted
//! scenario against the metrics, exactly as `natsim run scenario.toml --cloudwatch
//! METRICS.json` would (outputs in `output/<name>/`, calibration.csv and report.html's
//! calibration section among them).
//!
//! *Invariant:* nothing is written when the logs or the metrics are bad, the fit fails or the
//! run's estimate is refused: all of that is settled before the scenario file is written; the
//! output appears whole (written to a temporary file beside it, then linked or renamed into
//! place).

use super::print::{Format, Print};
use super::{Loaded, RunOptions, budget, check_gateways, estimate, run_checked};
use crate::io::catalog::Catalog;
use crate::io::cloudwatch::{self, Measured};
use crate::io::fit;
use crate::io::flowlogs;
use crate::io::scenario::Overrides;
use crate::io::scenario::parse::parse_scenario_with;
use anyhow::{Context, Result, anyhow, bail};
use std::path::{Path, PathBuf};

/// The flags of `natsim fit`.
pub(super) struct FitArgs {
    pub(super) files: Vec<PathBuf>,
    pub(super) out: PathBuf,
    pub(super) force: bool,
    pub(super) strict: bool,
    pub(super) region: Option<String>,
    /// Run the fitted scenario against these CloudWatch metrics.
    pub(super) cloudwatch: Option<PathBuf>,
    /// Run it even above the estimate's limits.
    pub(super) yes: bool,
}

pub(super) fn fit(args: FitArgs, catalog: &'static Catalog) -> Result<()> {
    let out = &args.out;
    if out.exists() && !args.force {
        bail!(
            "{}: the file exists; give --force to replace it, or another -o",
            out.display()
        );
    }
    // Bad metrics are refused before the logs are read: nothing is written.
    let metrics_file = args
        .cloudwatch
        .as_deref()
        .map(|path| cloudwatch::read(path).map_err(|e| anyhow!(e)))
        .transpose()?;
    // The connections go straight into the fit as the reader completes them: none is held.
    let mut fitter = fit::Fitter::default();
    let logs = flowlogs::stream(
        &args.files,
        &flowlogs::Options {
            strict: args.strict,
        },
        &mut |c| fitter.add(c),
    )?;
    if let Some(first) = &logs.first_skipped {
        eprintln!(
            "note: skipped {} malformed line(s), the first: {first} (--strict stops at it)",
            logs.counts.skipped_lines
        );
    }
    if logs.counts.late_records > 0 {
        eprintln!(
            "note: left out {} late record(s) ({} bytes) that started more than {} s before records read earlier (files overlapping in time: natsim reads files in the order of their first record)",
            logs.counts.late_records,
            logs.counts.late_bytes,
            flowlogs::LATE_TOLERANCE_S
        );
    }
    let options = fit::Options {
        region: args.region.clone(),
        name: scenario_name(out),
        sources: args.files.iter().map(|f| f.display().to_string()).collect(),
        replay_paths: args.files.iter().map(|f| seen_from(out, f)).collect(),
    };
    let fitted = fitter
        .finish(&logs.counts, catalog, &options)
        .map_err(|e| anyhow!("{e}"))?;
    let text = fitted.to_toml();
    // A fitted scenario that natsim cannot read is natsim's bug; say so rather than write it.
    let scenario = parse_scenario_with(&text, &out.display().to_string(), catalog)
        .map_err(|e| anyhow!("the fitted scenario does not parse (a natsim bug): {e}"))?;
    let options = RunOptions {
        seed: None,
        replications: None,
        threads: None,
        yes: args.yes,
        catalog,
        // `fit` prints the console table: its own lines are not a JSON or Markdown document.
        print: Print {
            format: Format::Table,
            quiet: false,
        },
        overrides: &super::NO_OVERRIDES,
    };
    let calibrate = match metrics_file {
        Some(measured) => {
            check_before_writing(&measured, &scenario, out, &fitted, options)?;
            Some(measured)
        }
        None => None,
    };
    write_new(out, &text, args.force)?;
    let m = &fitted.measured;
    println!(
        "{}: {} connections from {} records into {} workload(s) and {} candidate(s); peak {:.3} Gbps",
        out.display(),
        m.connections,
        m.records,
        fitted.workloads.len(),
        fitted.candidates.len(),
        m.peak_gbps
    );
    let Some(measured) = calibrate else {
        println!("next: natsim validate {0}; natsim run {0}", out.display());
        return Ok(());
    };
    println!();
    let loaded = Loaded {
        file: out.clone(),
        text,
        overrides: Overrides::default(),
        notes: Vec::new(),
        scenario,
    };
    run_checked(&loaded, None, options, Some(&measured)).map(|_| ())
}

/// Before anything is written: the fitted scenario has a NAT gateway to compare (as `run`
/// requires), a note when the metrics do not start in the logs' first period (natsim's time
/// zero is the metrics' first point, the fitted traffic's the first connection), and the run's
/// estimate within the limits unless `--yes`.
fn check_before_writing(
    measured: &Measured,
    scenario: &crate::io::scenario::Scenario,
    out: &Path,
    fitted: &fit::Fit,
    options: RunOptions,
) -> Result<()> {
    check_gateways(scenario, out)?;
    let logs_start = fitted.first_start_s as i64;
    if (measured.start_s - logs_start).abs() >= measured.period_s.max(60) {
        eprintln!(
            "note: {}: the metrics start at {}, the flow logs at {}; natsim's time zero is the metrics' first point, so give get-metric-data --start-time at the logs' first minute",
            measured.source,
            cloudwatch::format_utc_minute(measured.start_s),
            cloudwatch::format_utc_minute(logs_start)
        );
    }
    let work = estimate::scenario_work(scenario);
    budget::check(
        out,
        &work,
        budget::threads(options.threads),
        options.yes,
        options.print,
    )
}

/// `file` as a scenario at `out` names it in `flow_logs` (paths start at the scenario's
/// folder): relative to that folder (with `..` as needed), or as given when either path cannot
/// be resolved.
fn seen_from(out: &Path, file: &Path) -> String {
    let folder = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let (Ok(folder), Ok(target)) = (folder.canonicalize(), file.canonicalize()) else {
        return file.display().to_string();
    };
    let from: Vec<_> = folder.components().collect();
    let to: Vec<_> = target.components().collect();
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    // Sharing no more than the root: the absolute path reads better than a climb to it.
    if common <= 1 {
        return target.display().to_string();
    }
    let mut relative = PathBuf::new();
    for _ in common..from.len() {
        relative.push("..");
    }
    for part in &to[common..] {
        relative.push(part);
    }
    if relative.as_os_str().is_empty() {
        ".".to_string()
    } else {
        relative.display().to_string()
    }
}

/// The output file's stem, in the characters a scenario name allows.
fn scenario_name(out: &Path) -> String {
    let stem = out
        .file_stem()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_default();
    let name: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '-'
            }
        })
        .take(64)
        .collect();
    if name.is_empty() || name.chars().all(|c| c == '.') {
        "fitted".to_string()
    } else {
        name
    }
}

/// Writes `text` to a temporary file beside `out`, then links it into place (refusing a file
/// that appeared meanwhile) or, with `force`, renames it over `out`.
pub(super) fn write_new(out: &Path, text: &str, force: bool) -> Result<()> {
    let dir = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = out.file_name().ok_or_else(|| {
        anyhow!(
            "{}: not a file name; give -o a file like scenario.toml",
            out.display()
        )
    })?;
    let temporary = dir.join(format!(
        ".{}.{}.tmp",
        name.to_string_lossy(),
        std::process::id()
    ));
    std::fs::write(&temporary, text)
        .with_context(|| format!("{}: cannot write", temporary.display()))?;
    let placed = if force {
        std::fs::rename(&temporary, out)
    } else {
        std::fs::hard_link(&temporary, out).and_then(|()| std::fs::remove_file(&temporary))
    };
    placed.map_err(|e| {
        let _ = std::fs::remove_file(&temporary);
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            anyhow!(
                "{}: the file exists; give --force to replace it, or another -o",
                out.display()
            )
        } else {
            anyhow!("{}: cannot write: {e}", out.display())
        }
    })
}
