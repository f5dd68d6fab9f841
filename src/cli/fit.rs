//! `natsim fit FLOWLOGS... -o scenario.toml`: reads the flow logs, fits a scenario
//! (`io::fit`), checks that the text parses as a scenario, and writes it without replacing an
//! existing file unless `--force`.
//!
//! *Invariant:* nothing is written when the logs are bad or the fit fails, and the output
//! appears whole (written to a temporary file beside it, then linked or renamed into place).

use crate::io::catalog::Catalog;
use crate::io::fit;
use crate::io::flowlogs;
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
}

pub(super) fn fit(args: FitArgs, catalog: &Catalog) -> Result<()> {
    let out = &args.out;
    if out.exists() && !args.force {
        bail!(
            "{}: the file exists; give --force to replace it, or another -o",
            out.display()
        );
    }
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
    };
    let fitted = fitter
        .finish(&logs.counts, catalog, &options)
        .map_err(|e| anyhow!("{e}"))?;
    let text = fitted.to_toml();
    // A fitted scenario that natsim cannot read is natsim's bug; say so rather than write it.
    parse_scenario_with(&text, &out.display().to_string(), catalog)
        .map_err(|e| anyhow!("the fitted scenario does not parse (a natsim bug): {e}"))?;
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
    println!("next: natsim validate {0}; natsim run {0}", out.display());
    Ok(())
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
fn write_new(out: &Path, text: &str, force: bool) -> Result<()> {
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
