//! `batch.csv`: the summary rows of every scenario a batch ran, each led by the file it came
//! from. The columns after `file` are exactly `summary.csv`'s. Reads results, never changes them.

use super::csv::{line, summary_header, summary_row};
use crate::summary::Summary;

/// One scenario of a batch: its file as given, its name and its candidates' summaries.
#[derive(Debug, Clone)]
pub struct BatchEntry {
    pub file: String,
    pub scenario: String,
    pub summaries: Vec<Summary>,
}

/// `batch.csv`, rows in the order of `entries`.
pub fn batch_csv(entries: &[BatchEntry]) -> String {
    let mut header = vec!["file".to_string()];
    header.extend(summary_header());
    let mut out = line(header);
    for entry in entries {
        for summary in &entry.summaries {
            let mut row = vec![entry.file.clone()];
            row.extend(summary_row(&entry.scenario, summary));
            out.push_str(&line(row));
        }
    }
    out
}
