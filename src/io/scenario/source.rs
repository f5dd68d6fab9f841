//! Reading a scenario file: once, and no more than [`MAX_FILE_BYTES`] of it.
//!
//! Owns the filesystem access of scenario loading: the scenario file, and a catalog file (a
//! scenario's `catalog` key, or `--catalog`). The text is read once and handed on (to
//! the parser, to report.html, to a sweep's plan): a FIFO or `natsim run <(cat f.toml)` can be
//! read only once, and a second read would hang or see nothing. The caps stop `/dev/zero` or a
//! mistaken multi-gigabyte file from being read into memory before anything is said.

use super::ScenarioError;
use super::parse::lowercase_first;
use crate::io::catalog::Catalog;
use std::io::Read;
use std::path::Path;

/// Largest scenario file read: 1 MiB. The shipped scenarios are 1 to 4 KB, and a generated file
/// with a thousand workloads stays well under it.
pub(crate) const MAX_FILE_BYTES: u64 = 1 << 20;
/// Largest catalog file read: 64 MiB. An import of every region and instance type AWS lists
/// is a few MB.
pub(crate) const MAX_CATALOG_BYTES: u64 = 64 << 20;

/// The text of the scenario file at `path`, read once. Errors name the file and say why.
pub(crate) fn read_scenario_file(path: &Path) -> Result<String, ScenarioError> {
    read_capped(
        path,
        MAX_FILE_BYTES,
        "the file is larger than 1 MiB, the most natsim reads",
        "a scenario is a few KB of TOML: check that this is the scenario file",
    )
}

/// The catalog file at `path`, read (at most [`MAX_CATALOG_BYTES`]), parsed and checked like the
/// built-in one. The problem in words names the file; the caller says where the path came from.
pub(crate) fn read_catalog_file(path: &Path) -> Result<Catalog, String> {
    let text = read_capped(
        path,
        MAX_CATALOG_BYTES,
        "the file is larger than 64 MiB, the most natsim reads as a catalog: check that this is a catalog file",
        "",
    )
    .map_err(|e| format!("{}: {}", e.file, e.problem))?;
    Catalog::from_toml(&text).map_err(|problem| {
        format!(
            "{}: {problem}; compare it with src/io/catalog/catalog.toml, whose format it must follow (`natsim catalog import` writes one)",
            path.display()
        )
    })
}

fn read_capped(
    path: &Path,
    cap: u64,
    too_large: &str,
    too_large_hint: &str,
) -> Result<String, ScenarioError> {
    let fail = |problem: String, hint: &str| {
        ScenarioError::new("", problem, hint).in_file(path.display().to_string())
    };
    let io_fail = |e: std::io::Error| {
        let hint = match e.kind() {
            std::io::ErrorKind::NotFound => "check the path; scenarios/ holds examples",
            std::io::ErrorKind::IsADirectory => {
                "give a .toml file, or several files or a folder to `natsim run`"
            }
            _ => "check that the file exists and is readable",
        };
        fail(
            format!("cannot read the file: {}", lowercase_first(&e.to_string())),
            hint,
        )
    };
    let file = std::fs::File::open(path).map_err(io_fail)?;
    let mut bytes = Vec::new();
    file.take(cap + 1)
        .read_to_end(&mut bytes)
        .map_err(io_fail)?;
    if bytes.len() as u64 > cap {
        return Err(fail(too_large.to_string(), too_large_hint));
    }
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let line = e.as_bytes()[..at].iter().filter(|&&b| b == b'\n').count() + 1;
        fail(
            format!("not UTF-8 text: byte {at} (line {line}) is not valid UTF-8"),
            "save the file as UTF-8 text",
        )
    })
}
