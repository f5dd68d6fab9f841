//! One command's output folder, written as one set: opened (temporary files that a killed
//! natsim left are removed, the old manifest is retracted), written file by file, then closed
//! with a `manifest.json` that lists the complete set.
//!
//! Between opening and closing the folder has no manifest, so a reader can always tell a
//! complete result from the leftovers of a failed or interrupted command (see
//! `report::manifest`).

use super::print::Print;
use crate::io::report::files::{remove_stale_temporaries, write_output};
use crate::io::report::manifest::{self, Header};
use anyhow::{Context, Result, anyhow};
use std::fs;
use std::path::{Path, PathBuf};

/// An open output folder and the files written into it so far.
pub(super) struct Outputs {
    dir: PathBuf,
    files: Vec<String>,
}

impl Outputs {
    /// Creates `dir` if needed, removes stale temporary files (saying so, unless `--quiet`), and
    /// retracts its manifest.
    pub(crate) fn open(dir: &Path, print: Print) -> Result<Self> {
        fs::create_dir_all(dir).with_context(|| {
            format!(
                "cannot create output folder {}; pick another with --out",
                dir.display()
            )
        })?;
        let removed = remove_stale_temporaries(dir)
            .with_context(|| format!("cannot clean up {}", dir.display()))?;
        if !removed.is_empty() {
            print.note(&format!(
                "note: removed {} temporary file(s) an interrupted natsim left in {}: {}",
                removed.len(),
                dir.display(),
                removed.join(", ")
            ));
        }
        manifest::retract(dir)
            .map_err(|e| anyhow!("cannot start writing {}: {e}", dir.display()))?;
        Ok(Outputs {
            dir: dir.to_path_buf(),
            files: Vec::new(),
        })
    }

    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    /// The path of `name` in the folder.
    pub(crate) fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// Writes `name` atomically and counts it in the set; returns its path.
    pub(crate) fn write(&mut self, name: &str, contents: impl AsRef<[u8]>) -> Result<PathBuf> {
        let path = self.path(name);
        write_output(&path, contents)?;
        self.add(name);
        Ok(path)
    }

    /// Counts in the set a file written by other means (appended, or by a writer of its own).
    pub(crate) fn add(&mut self, name: &str) {
        if !self.files.iter().any(|f| f == name) {
            self.files.push(name.to_string());
        }
    }

    /// Writes the manifest: from now on the folder reads as this command's complete result.
    pub(crate) fn close(self, header: &Header<'_>) -> Result<()> {
        manifest::write(&self.dir, header, &self.files).map_err(|e| anyhow!(e))
    }
}
