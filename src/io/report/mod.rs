//! Report writers: CSV files, the console table, the JSON documents (`document` for a run's
//! `summary.json`, `json` for the others), Markdown comments, `diff`, plots (PNG and SVG) and
//! `report.html`. One module per output format; they read results and never change them.
//!
//! Invariant: only this layer and the CLI touch the filesystem; files are written to a temporary
//! name and renamed into place (`files`), so a crash never leaves a half-written file under a
//! real name, and a folder's `manifest.json` (`manifest`), written last, lists a complete set.

pub(crate) mod batch;
pub(crate) mod calibration;
pub(crate) mod catalog;
pub mod csv;
pub(crate) mod diff;
pub(crate) mod document;
pub(crate) mod files;
pub(crate) mod html;
pub(crate) mod infracost;
pub(crate) mod journal;
pub(crate) mod json;
pub mod manifest;
pub(crate) mod markdown;
pub(crate) mod parquet;
pub mod plot;
pub(crate) mod shard;
pub(crate) mod sweep;
pub(crate) mod table;

pub(crate) use files::{write_atomically, write_output};

/// Formats a number for CSV: integers as integers, others with six significant digits. Rust's
/// float formatting is exact and platform-independent, so outputs are byte-identical run to run.
pub fn number(value: f64) -> String {
    if !value.is_finite() {
        return String::new();
    }
    if value == value.trunc() && value.abs() < 1e15 {
        return format!("{}", value as i64);
    }
    let magnitude = value.abs().log10().floor() as i32;
    let decimals = (5 - magnitude).clamp(0, 15) as usize;
    let text = format!("{value:.decimals$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::number;

    #[test]
    fn numbers_are_compact_and_exact_enough() {
        assert_eq!(number(3.0), "3");
        assert_eq!(number(0.1 + 0.2), "0.3");
        assert_eq!(number(123456.789), "123457");
        assert_eq!(number(0.000123456789), "0.000123457");
        assert_eq!(number(-2.5), "-2.5");
        assert_eq!(number(f64::NAN), "");
    }
}
