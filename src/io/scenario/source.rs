//! Reading a scenario file: once, and no more than [`MAX_FILE_BYTES`] of it.
//!
//! Owns the one filesystem access of scenario loading. The text is read once and handed on (to
//! the parser, to report.html, to a sweep's plan): a FIFO or `natsim run <(cat f.toml)` can be
//! read only once, and a second read would hang or see nothing. The cap stops `/dev/zero` or a
//! mistaken multi-gigabyte file from being read into memory before anything is said.

use super::ScenarioError;
use super::parse::lowercase_first;
use std::io::Read;
use std::path::Path;

/// Largest scenario file read: 1 MiB. The shipped scenarios are 1 to 4 KB, and a generated file
/// with a thousand workloads stays well under it.
pub(crate) const MAX_FILE_BYTES: u64 = 1 << 20;

/// The text of the scenario file at `path`, read once. Errors name the file and say why.
pub(crate) fn read_scenario_file(path: &Path) -> Result<String, ScenarioError> {
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
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(io_fail)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(fail(
            "the file is larger than 1 MiB, the most natsim reads".to_string(),
            "a scenario is a few KB of TOML: check that this is the scenario file",
        ));
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
