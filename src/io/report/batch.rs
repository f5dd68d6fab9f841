//! `batch.csv`: the summary rows of every scenario a batch ran, each led by the file it came
//! from. The columns after `file` are exactly `summary.csv`'s; `batch.parquet` holds the same
//! cells, typed. Reads results, never changes them.

use super::csv::{Cell, line, summary_cells, summary_header};
use crate::results::summary::Summary;

/// One scenario of a batch: its file as given, its name and its candidates' summaries.
#[derive(Debug, Clone)]
pub(crate) struct BatchEntry {
    pub(crate) file: String,
    pub(crate) scenario: String,
    pub(crate) summaries: Vec<Summary>,
}

/// The columns of `batch.csv` and `batch.parquet`: `file`, then `summary.csv`'s.
pub(crate) fn batch_header() -> Vec<String> {
    let mut header = vec!["file".to_string()];
    header.extend(summary_header());
    header
}

/// Every row of `batch.csv` as cells, in the order of `entries`.
pub(crate) fn batch_cells(entries: &[BatchEntry]) -> Vec<Vec<Cell>> {
    let mut rows = Vec::new();
    for entry in entries {
        for summary in &entry.summaries {
            let mut row = vec![Cell::Text(entry.file.clone())];
            row.extend(summary_cells(&entry.scenario, summary));
            rows.push(row);
        }
    }
    rows
}

/// `batch.csv`, rows in the order of `entries`.
pub(crate) fn batch_csv(entries: &[BatchEntry]) -> String {
    let mut out = line(batch_header());
    for row in batch_cells(entries) {
        out.push_str(&line(row.iter().map(Cell::text)));
    }
    out
}
