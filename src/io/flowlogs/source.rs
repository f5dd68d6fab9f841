//! Where flow-log text comes from: the files named (a folder is walked recursively, as AWS's
//! Hive-style `AWSLogs/.../year=2026/month=01/...` partitions are), each read as a stream of
//! lines, plain or gzip (told by its first two bytes, not its name). Never holds a whole file.

use super::error::FlowLogError;
use flate2::bufread::MultiGzDecoder;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

/// Read buffer per file: large enough that the decoder and the line splitter rarely refill.
const BUFFER_BYTES: usize = 1024 * 1024;

/// Name endings of flow-log text files taken from a folder (a file named directly is always
/// read). AWS writes `..._20260105T0000Z_hash.log.gz`.
const FOLDER_SUFFIXES: &[&str] = &[".log", ".log.gz", ".txt", ".txt.gz", ".gz", ".parquet"];

/// A file's first bytes (up to 4), to tell Parquet from text.
pub(crate) fn head(path: &Path) -> Result<Vec<u8>, FlowLogError> {
    let shown = path.display().to_string();
    let mut file = File::open(path).map_err(|e| {
        FlowLogError::new(format!("cannot open: {}", lowercase(&e)), "check the path").at(&shown, 0)
    })?;
    let mut head = Vec::with_capacity(4);
    (&mut file)
        .take(4)
        .read_to_end(&mut head)
        .map_err(|e| read_error(&e, false).at(&shown, 1))?;
    Ok(head)
}

/// The files `paths` name: files as given, folders walked in name order (so the result does
/// not depend on the file system's listing order), hidden entries skipped.
pub(crate) fn files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, FlowLogError> {
    let mut out = Vec::new();
    for path in paths {
        let shown = path.display().to_string();
        let meta = std::fs::metadata(path).map_err(|e| {
            FlowLogError::new(format!("cannot read: {}", lowercase(&e)), "check the path")
                .at(&shown, 0)
        })?;
        if meta.is_dir() {
            walk(path, &mut out)?;
        } else {
            out.push(path.clone());
        }
    }
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), FlowLogError> {
    let unreadable = |e: std::io::Error| {
        FlowLogError::new(
            format!("cannot list the folder: {}", lowercase(&e)),
            "check its permissions",
        )
        .at(&dir.display().to_string(), 0)
    };
    let mut entries = std::fs::read_dir(dir)
        .map_err(unreadable)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(unreadable)?;
    entries.sort();
    for path in entries {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.starts_with('.') {
            continue;
        }
        if path.is_dir() {
            walk(&path, out)?;
        } else if FOLDER_SUFFIXES.iter().any(|s| name.ends_with(s)) {
            out.push(path);
        }
    }
    Ok(())
}

/// Calls `each` with every non-empty line of `path` and its 1-based number, decompressing gzip
/// (several members too, as concatenated S3 objects are) on the fly.
pub(crate) fn for_each_line(
    path: &Path,
    mut each: impl FnMut(u64, &str) -> Result<(), FlowLogError>,
) -> Result<(), FlowLogError> {
    let shown = path.display().to_string();
    let file = File::open(path).map_err(|e| {
        FlowLogError::new(format!("cannot open: {}", lowercase(&e)), "check the path").at(&shown, 0)
    })?;
    let mut plain = BufReader::with_capacity(BUFFER_BYTES, file);
    let head = plain
        .fill_buf()
        .map_err(|e| read_error(&e, false).at(&shown, 1))?;
    let gzip = head.starts_with(&[0x1f, 0x8b]);
    let mut reader: Box<dyn Read> = if gzip {
        Box::new(MultiGzDecoder::new(plain))
    } else {
        Box::new(plain)
    };
    // Lines are cut from a large buffer refilled in place: no copy per line, no allocation.
    let mut buf = vec![0u8; BUFFER_BYTES];
    let (mut filled, mut done) = (0usize, 0usize);
    let mut number = 0u64;
    let mut eof = false;
    loop {
        let line_end = match memchr::memchr(b'\n', &buf[done..filled]) {
            Some(at) => done + at + 1,
            None if !eof => {
                // Move the partial line to the front (growing for a very long one) and refill.
                buf.copy_within(done..filled, 0);
                filled -= done;
                done = 0;
                if filled == buf.len() {
                    buf.resize(buf.len() * 2, 0);
                }
                let n = match reader.read(&mut buf[filled..]) {
                    Ok(n) => n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(read_error(&e, gzip).at(&shown, number + 1)),
                };
                filled += n;
                eof = n == 0;
                continue;
            }
            None if done == filled => return Ok(()),
            None => filled,
        };
        number += 1;
        let line = &buf[done..line_end];
        done = line_end;
        let text = std::str::from_utf8(line).map_err(|_| {
            FlowLogError::new(
                "the line is not utf-8 text",
                "flow logs are ascii text; is this a flow-log file?",
            )
            .at(&shown, number)
        })?;
        let text = text.trim_end_matches(['\n', '\r']);
        // Blank lines are skipped; a printable first byte settles it without a trim.
        let blank = match text.bytes().find(|b| !b.is_ascii_whitespace()) {
            None => true,
            Some(b) if b.is_ascii() => false,
            Some(_) => text.trim().is_empty(),
        };
        if !blank {
            each(number, text)?;
        }
    }
}

/// The first `Some` that `each` returns for the first `lines` non-blank lines of `path`, or
/// `None` (also when the file cannot be read: the full read reports that).
pub(crate) fn first_of_lines<T>(
    path: &Path,
    lines: usize,
    mut each: impl FnMut(&str) -> Option<T>,
) -> Option<T> {
    let mut plain = BufReader::with_capacity(64 * 1024, File::open(path).ok()?);
    let gzip = plain.fill_buf().ok()?.starts_with(&[0x1f, 0x8b]);
    let reader: Box<dyn BufRead> = if gzip {
        Box::new(BufReader::new(MultiGzDecoder::new(plain)))
    } else {
        Box::new(plain)
    };
    reader
        .lines()
        .map_while(Result::ok)
        .filter(|line| !line.trim().is_empty())
        .take(lines)
        .find_map(|line| each(line.trim_end_matches('\r')))
}

fn read_error(e: &std::io::Error, gzip: bool) -> FlowLogError {
    if gzip {
        FlowLogError::new(
            format!("the gzip stream is truncated or corrupt ({})", lowercase(e)),
            "download the file again: a partial download or copy ends early",
        )
    } else {
        FlowLogError::new(format!("cannot read: {}", lowercase(e)), "")
    }
}

/// An I/O error's text with its first letter lowercased, as every natsim error reads.
fn lowercase(e: &std::io::Error) -> String {
    let text = e.to_string();
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => text,
    }
}
