//! Writing output files: atomically, never leaving a temporary file behind, and with the file,
//! the step that failed and the fix when a write fails.
//!
//! Owns the temporary names. A file is written as `.<name>.<pid>.tmp` in its own folder, then
//! renamed over `<name>`, so a reader never sees half a file under a real name. Any failure
//! removes the temporary file at once; one that a killed process left behind (its process id no
//! longer runs) is removed by [`remove_stale_temporaries`] when the next command writes into the
//! folder. The process id in the name keeps two natsim processes writing one folder from
//! removing each other's files in flight.

use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// A write that failed: which file, at which step, why, and what to do about it.
#[derive(Debug)]
pub(crate) struct WriteError {
    pub(crate) path: PathBuf,
    /// What was being done: "writing the temporary file .x.csv.12.tmp", "renaming it into place".
    pub(crate) step: String,
    pub(crate) cause: io::Error,
}

impl fmt::Display for WriteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cannot write {}: {} failed: {}; {}",
            self.path.display(),
            self.step,
            lowercase_first(&self.cause.to_string()),
            hint(&self.cause)
        )
    }
}

impl std::error::Error for WriteError {}

/// What a user can do about a failed write, by its cause.
pub(crate) fn hint(cause: &io::Error) -> &'static str {
    match cause.kind() {
        io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded => {
            "free some space, or write elsewhere with --out DIR; nothing half-written was left behind"
        }
        io::ErrorKind::PermissionDenied | io::ErrorKind::ReadOnlyFilesystem => {
            "make the folder writable, or write elsewhere with --out DIR"
        }
        io::ErrorKind::IsADirectory | io::ErrorKind::DirectoryNotEmpty => {
            "a folder is in the way of that file: move it, or write elsewhere with --out DIR"
        }
        _ => "check the folder and the disk, or write elsewhere with --out DIR",
    }
}

/// Writes `contents` to `path` atomically: a temporary file in the same folder, renamed into
/// place. On any failure the temporary file is removed and the error says which step failed.
pub(crate) fn write_output(path: &Path, contents: impl AsRef<[u8]>) -> Result<(), WriteError> {
    let temporary = temporary_path(path);
    let fail = |step: String, cause: io::Error| {
        let _ = fs::remove_file(&temporary);
        WriteError {
            path: path.to_path_buf(),
            step,
            cause,
        }
    };
    let shown = temporary
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    fs::write(&temporary, contents)
        .map_err(|e| fail(format!("writing the temporary file {shown}"), e))?;
    fs::rename(&temporary, path).map_err(|e| fail(format!("renaming {shown} into place"), e))
}

/// [`write_output`] with a plain `io::Error` (no step, no hint), for callers that add their own
/// context.
pub(crate) fn write_atomically(path: &Path, contents: impl AsRef<[u8]>) -> io::Result<()> {
    write_output(path, contents).map_err(|e| e.cause)
}

/// The hidden name a file is written under before it is renamed to `path`: `.<name>.<pid>.tmp`.
pub(crate) fn temporary_path(path: &Path) -> PathBuf {
    let file_name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("output");
    path.with_file_name(format!(".{file_name}.{}.tmp", std::process::id()))
}

/// Removes from `dir` the temporary files that natsim processes no longer running left behind
/// (killed, or from a version that did not clean up), and returns their names. Files of a
/// process still running are left alone. A folder that does not exist holds none.
pub(crate) fn remove_stale_temporaries(dir: &Path) -> io::Result<Vec<String>> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut removed = Vec::new();
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if is_stale_temporary(&name) && entry.file_type()?.is_file() {
            fs::remove_file(entry.path())?;
            removed.push(name);
        }
    }
    removed.sort();
    Ok(removed)
}

/// Whether `name` is a temporary file natsim wrote and no running process will finish:
/// `.<name>.<pid>.tmp` of a process that is gone, or the names of earlier versions
/// (`.<name>.tmp`, `.<figure>.tmp.png`).
fn is_stale_temporary(name: &str) -> bool {
    let Some(inner) = name.strip_prefix('.') else {
        return false;
    };
    if let Some(rest) = inner.strip_suffix(".tmp")
        && let Some((base, pid)) = rest.rsplit_once('.')
        && !base.is_empty()
        && let Ok(pid) = pid.parse::<u32>()
    {
        return pid != std::process::id() && !process_runs(pid);
    }
    // Earlier versions: `.<file>.tmp` for every file, `.<figure>.tmp.png` for plots. Only names
    // natsim gives its outputs, so cleaning never touches a user's file that ends in `.tmp`.
    let known_extension = |file: &str| {
        [
            ".csv", ".parquet", ".html", ".svg", ".png", ".toml", ".json",
        ]
        .iter()
        .any(|ext| file.ends_with(ext))
    };
    let figure = |file: &str| {
        !file.is_empty()
            && file
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    };
    inner.strip_suffix(".tmp").is_some_and(known_extension)
        || inner.strip_suffix(".tmp.png").is_some_and(figure)
}

#[cfg(unix)]
fn process_runs(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    // SAFETY: signal 0 sends nothing; it only asks whether the process exists. EPERM means it
    // exists under another user.
    let answer = unsafe { libc::kill(pid, 0) };
    answer == 0 || io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

/// Without a cheap way to ask, a process-named file is assumed live and kept.
#[cfg(not(unix))]
fn process_runs(_pid: u32) -> bool {
    true
}

fn lowercase_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_temporaries_are_told_from_live_ones_and_from_user_files() {
        let own = format!(".summary.csv.{}.tmp", std::process::id());
        let cases = [
            (".sweep.parquet.tmp", true),
            (".throughput.tmp.png", true),
            (".sweep_cost.svg.tmp", true),
            (".summary.csv.4294967295.tmp", true),
            (own.as_str(), false),
            ("summary.csv", false),
            (".notes.txt.tmp", false),
            (".Scratch.tmp", false),
            (".cache.tmp", false),
            (".tmp", false),
        ];
        for (name, stale) in cases {
            assert_eq!(is_stale_temporary(name), stale, "{name}");
        }
    }

    #[test]
    fn every_cause_of_a_failed_write_gets_its_fix() {
        let cases = [
            (io::ErrorKind::StorageFull, "free some space"),
            (io::ErrorKind::QuotaExceeded, "free some space"),
            (io::ErrorKind::PermissionDenied, "make the folder writable"),
            (
                io::ErrorKind::ReadOnlyFilesystem,
                "make the folder writable",
            ),
            (io::ErrorKind::IsADirectory, "a folder is in the way"),
            (io::ErrorKind::Other, "check the folder and the disk"),
        ];
        for (kind, fix) in cases {
            let error = WriteError {
                path: PathBuf::from("out/throughput.png"),
                step: "writing the temporary file .throughput.png.1.tmp".into(),
                cause: io::Error::from(kind),
            };
            let text = error.to_string();
            assert!(
                text.starts_with("cannot write out/throughput.png: writing the temporary file"),
                "{text}"
            );
            assert!(
                text.contains(fix) && text.contains("--out DIR"),
                "{kind:?}: {text}"
            );
        }
    }

    #[test]
    fn a_failed_write_leaves_no_temporary_file_and_names_the_step() {
        let dir = std::env::temp_dir().join(format!("natsim-files-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(dir.join("summary.csv")).unwrap();
        let err = write_output(&dir.join("summary.csv"), "a,b\n").unwrap_err();
        let text = err.to_string();
        assert!(text.contains("renaming .summary.csv."), "{text}");
        assert!(text.contains("a folder is in the way"), "{text}");
        let left: Vec<_> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(left, ["summary.csv"]);
        fs::remove_dir_all(&dir).unwrap();
    }
}
