//! `manifest.json`: the list of files that make one complete run or sweep, written last.
//!
//! Owns how a reader tells a complete result from a partial one. A command removes the folder's
//! manifest before it writes anything and writes a new one after its last file, so a folder
//! whose manifest is missing holds an interrupted or failed command's files (some new, some
//! old). Each listed file carries its size and FNV-1a hash, so a file replaced since (by another
//! run into the same folder) shows as a mismatch rather than passing for part of the set.
//! Deterministic: no times, no paths, files in the order written.

use super::files::write_output;
use std::fmt::Write as _;
use std::fs;
use std::io;
use std::path::Path;

/// The manifest's file name.
pub(crate) const MANIFEST: &str = "manifest.json";
/// Bumped when the manifest's fields change meaning.
pub(crate) const SCHEMA_VERSION: u32 = 1;

/// What the folder holds: `"run"`, `"sweep"` or `"batch"`, and the scenario and seed of a run or
/// a sweep (a batch's folder holds many).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Header<'a> {
    pub(crate) kind: &'a str,
    pub(crate) scenario: Option<&'a str>,
    pub(crate) seed: Option<u64>,
}

/// Removes `dir`'s manifest: from now until a new one is written, the folder reads as
/// incomplete. A folder without one is left as it is; a `manifest.json` natsim did not write
/// (`--out` pointed at a folder of the user's) is never removed or replaced: that is an error.
pub(crate) fn retract(dir: &Path) -> io::Result<()> {
    let path = dir.join(MANIFEST);
    match fs::read_to_string(&path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Ok(text) if !text.contains("\"natsim_version\"") => {
            return Err(io::Error::other(format!(
                "{} is not natsim's, and natsim writes its own manifest there; give another --out",
                path.display()
            )));
        }
        _ => {}
    }
    match fs::remove_file(&path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// Whether `dir` holds a manifest (its last command finished).
pub(crate) fn exists(dir: &Path) -> bool {
    dir.join(MANIFEST).is_file()
}

/// Writes `dir/manifest.json` listing `files` (names inside `dir`, which must all exist), each
/// with its size and hash as it is on disk now.
pub(crate) fn write(dir: &Path, header: &Header<'_>, files: &[String]) -> Result<(), String> {
    let mut listed = String::new();
    for (index, name) in files.iter().enumerate() {
        let path = dir.join(name);
        let bytes = fs::read(&path)
            .map_err(|e| format!("cannot read {} back for the manifest: {e}", path.display()))?;
        let comma = if index + 1 < files.len() { "," } else { "" };
        let _ = writeln!(
            listed,
            "    {{\"name\": {}, \"bytes\": {}, \"fnv1a64\": \"{:016x}\"}}{comma}",
            json_string(name),
            bytes.len(),
            fnv1a64(&bytes)
        );
    }
    let text = format!(
        "{{\n  \"schema_version\": {SCHEMA_VERSION},\n  \"natsim_version\": {},\n  \"kind\": {},\n  \"scenario\": {},\n  \"seed\": {},\n  \"complete\": true,\n  \"files\": [\n{listed}  ]\n}}\n",
        json_string(env!("CARGO_PKG_VERSION")),
        json_string(header.kind),
        header.scenario.map_or("null".to_string(), json_string),
        header
            .seed
            .map_or("null".to_string(), |seed| seed.to_string())
    );
    write_output(&dir.join(MANIFEST), text).map_err(|e| e.to_string())
}

/// Checks `dir` against its manifest: every listed file present with the listed size and hash.
/// Returns the listed names, or what is wrong. For tests and scripts that must not read a
/// partial result.
pub fn verify(dir: &Path) -> Result<Vec<String>, String> {
    let path = dir.join(MANIFEST);
    let text = fs::read_to_string(&path).map_err(|e| {
        format!(
            "{}: no manifest ({e}): the folder holds no complete result",
            dir.display()
        )
    })?;
    let mut names = Vec::new();
    for line in text
        .lines()
        .filter(|l| l.trim_start().starts_with("{\"name\""))
    {
        let field = |key: &str| {
            let start = line.find(&format!("\"{key}\": "))? + key.len() + 4;
            let rest = &line[start..];
            let end = rest.find([',', '}'])?;
            Some(rest[..end].trim_matches('"').to_string())
        };
        let (Some(name), Some(bytes), Some(hash)) =
            (field("name"), field("bytes"), field("fnv1a64"))
        else {
            return Err(format!("{}: unreadable line {line:?}", path.display()));
        };
        let data = fs::read(dir.join(&name))
            .map_err(|e| format!("{}: listed file {name} is missing: {e}", dir.display()))?;
        if data.len().to_string() != bytes || format!("{:016x}", fnv1a64(&data)) != hash {
            return Err(format!(
                "{}: {name} changed since the manifest was written",
                dir.display()
            ));
        }
        names.push(name);
    }
    Ok(names)
}

/// FNV-1a, 64 bits: enough to tell a replaced file, with no dependency. Not a defence against
/// anyone forging a file.
pub(crate) fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// A JSON string literal. Output names and scenario names are plain ASCII, but escaping keeps
/// the file valid whatever they hold.
fn json_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manifest_lists_what_was_written_and_catches_a_replaced_file() {
        let dir = std::env::temp_dir().join(format!("natsim-manifest-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join("summary.csv"), "a,b\n1,2\n").unwrap();
        fs::write(dir.join("report.html"), "<html></html>").unwrap();
        let header = Header {
            kind: "run",
            scenario: Some("t"),
            seed: Some(7),
        };
        assert!(verify(&dir).is_err(), "no manifest yet");
        let files = ["summary.csv".to_string(), "report.html".to_string()];
        write(&dir, &header, &files).unwrap();
        assert_eq!(verify(&dir).unwrap(), files);
        fs::write(dir.join("summary.csv"), "a,b\n1,3\n").unwrap();
        assert!(verify(&dir).unwrap_err().contains("summary.csv changed"));
        retract(&dir).unwrap();
        assert!(!exists(&dir));
        // A user's own manifest.json in an --out folder is left alone, and said so.
        fs::write(dir.join(MANIFEST), "{\"mine\": true}").unwrap();
        assert!(
            retract(&dir)
                .unwrap_err()
                .to_string()
                .contains("is not natsim's")
        );
        assert!(exists(&dir));
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn hashes_and_strings_are_standard() {
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(json_string("a\"b\\\n"), "\"a\\\"b\\\\\\u000a\"");
    }
}
