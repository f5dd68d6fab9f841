//! `natsim catalog import FILES... -o catalog.toml`: a catalog from AWS's own data
//! (`io::catalog::import`), written whole and never over an existing file without `--force`.
//!
//! *Invariant:* nothing is written when an input is malformed or no region is complete; what
//! was left out (regions missing a price, instance types without a baseline or a price) is said
//! on stderr, one `note:` line each.

use super::fit::write_new;
use crate::io::catalog::Catalog;
use crate::io::catalog::import;
use anyhow::{Result, anyhow, bail};
use std::path::PathBuf;

/// The flags of `natsim catalog import`.
pub(super) struct ImportArgs {
    pub(super) files: Vec<PathBuf>,
    pub(super) out: PathBuf,
    pub(super) force: bool,
    pub(super) regions: Vec<String>,
}

pub(super) fn import(args: ImportArgs, base: &Catalog) -> Result<()> {
    let out = &args.out;
    if out.exists() && !args.force {
        bail!(
            "{}: the file exists; give --force to replace it, or another -o",
            out.display()
        );
    }
    let imported = import::import(&args.files, &args.regions, base).map_err(|e| anyhow!(e))?;
    for note in &imported.notes {
        eprintln!("note: {note}");
    }
    write_new(out, &imported.text, args.force)?;
    println!(
        "{}: {} region(s) ({}) and {} instance type(s)",
        out.display(),
        imported.regions.len(),
        imported.regions.join(", "),
        imported.instance_types
    );
    println!(
        "next: natsim --catalog {0} catalog --region {1}; natsim --catalog {0} run SCENARIO (or catalog = \"...\" in its [scenario])",
        out.display(),
        imported.regions[0]
    );
    Ok(())
}
