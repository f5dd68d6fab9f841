//! `natsim diff A B`: each side a scenario file (run now, in memory; nothing is written) or a
//! `natsim run` output folder (its `summary.json`, read only when the folder's manifest says the
//! run finished and nothing in it changed since). The comparison itself is
//! `io::report::diff`'s.

use super::{RunOptions, budget, estimate, load, with_threads};
use crate::io::report::diff::{self, Side};
use crate::io::report::document::run_document;
use crate::io::report::{json, manifest};
use crate::results::batch;
use anyhow::{Result, bail};
use std::path::Path;

/// Compares `a` with `b` and prints the diff; returns whether the recommendation changed.
pub(super) fn diff(a: &Path, b: &Path, options: RunOptions) -> Result<bool> {
    // Both sides are read and checked before either runs: a typo in B costs no run of A.
    let sides = [a, b].map(|path| Input::of(path, options));
    let [a, b] = match sides {
        [Ok(a), Ok(b)] => [a, b],
        [Err(e), _] | [_, Err(e)] => return Err(e),
    };
    let a = a.into_side(options)?;
    let b = b.into_side(options)?;
    let doc = diff::compare(&a, &b);
    options.print.report(
        || diff::render(&doc),
        || json::to_text(&doc),
        || diff::markdown(&doc),
    );
    Ok(doc.changed())
}

/// One side before it runs: a scenario checked, or a result already read.
enum Input {
    Scenario(super::Loaded),
    Result(Side),
}

impl Input {
    fn of(path: &Path, options: RunOptions) -> Result<Input> {
        if path.is_dir() {
            return Ok(Input::Result(read_folder(path)?));
        }
        let loaded = load(path, &options)?;
        loaded.print_notes(options.print);
        let threads = budget::threads(options.threads);
        let work = estimate::scenario_work(&loaded.scenario);
        budget::check(path, &work, threads, options.yes, options.print)?;
        Ok(Input::Scenario(loaded))
    }

    fn into_side(self, options: RunOptions) -> Result<Side> {
        match self {
            Input::Result(side) => Ok(side),
            Input::Scenario(loaded) => {
                let result =
                    with_threads(options.threads, || batch::run_scenario(&loaded.scenario))?;
                Ok(Side {
                    source: loaded.file.display().to_string(),
                    document: run_document(&loaded.scenario, &result, &loaded.notes, &[]),
                })
            }
        }
    }
}

/// A run's output folder as a diff side: its `summary.json`, once the manifest vouches for it.
fn read_folder(dir: &Path) -> Result<Side> {
    let listed = manifest::verify(dir).map_err(|problem| {
        anyhow::anyhow!(
            "{problem}; give a folder `natsim run` finished writing, or a scenario file"
        )
    })?;
    let path = dir.join("summary.json");
    if !listed.iter().any(|name| name == "summary.json") {
        bail!(
            "{}: no summary.json in the folder's manifest (written by a natsim before summary.json, or a sweep's or batch's folder); rerun the scenario with `natsim run`, or give the scenario file",
            dir.display()
        );
    }
    let text = std::fs::read_to_string(&path)
        .map_err(|e| anyhow::anyhow!("{}: cannot read: {e}", path.display()))?;
    let document =
        diff::read_document(&text, &path.display().to_string()).map_err(anyhow::Error::msg)?;
    Ok(Side {
        source: dir.display().to_string(),
        document,
    })
}
