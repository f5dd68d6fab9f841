//! `sweep.parquet` and `batch.parquet`: the rows of `sweep.csv` and `batch.csv` as typed
//! columns, written with polars for notebooks and dataframe tools.
//!
//! Invariant: same rows, same columns, same order as the CSV file, because both are rendered
//! from the same [`Cell`]s ([`sweep_cells`](super::sweep::sweep_cells), [`batch_cells`]). Only the values differ in precision: figures are
//! full `f64` here, six significant digits in the CSV; an empty CSV cell is a null here.

use super::batch::{BatchEntry, batch_cells, batch_header};
use super::csv::Cell;
use super::files::write_output;
use super::sweep::{sweep_cells, sweep_header};
use crate::io::sweep::aggregate::PointResult;
use crate::io::sweep::plan::Plan;
use polars::prelude::{Column, DataFrame, ParquetWriter, PolarsResult};
use std::path::Path;

/// The sweep as a polars frame with one typed column per `sweep.csv` column.
pub(crate) fn sweep_frame(plan: &Plan, results: &[PointResult]) -> PolarsResult<DataFrame> {
    frame(&sweep_header(plan), &sweep_cells(plan, results))
}

/// A batch as a polars frame with one typed column per `batch.csv` column.
pub(crate) fn batch_frame(entries: &[BatchEntry]) -> PolarsResult<DataFrame> {
    frame(&batch_header(), &batch_cells(entries))
}

/// Rows of cells under `header` as a frame, one typed column per header name.
fn frame(header: &[String], rows: &[Vec<Cell>]) -> PolarsResult<DataFrame> {
    let columns = header
        .iter()
        .enumerate()
        .map(|(index, name)| typed_column(name, rows.iter().map(|row| &row[index])))
        .collect();
    DataFrame::new(rows.len(), columns)
}

/// One column from its cells. A column whose cells are all one kind gets that kind's type;
/// a swept key whose values mix kinds (a number and a word) falls back to text.
fn typed_column<'a>(name: &str, cells: impl Iterator<Item = &'a Cell> + Clone) -> Column {
    let name = name.into();
    let all = |kind: fn(&Cell) -> bool| cells.clone().all(kind);
    if all(|c| matches!(c, Cell::Number(_) | Cell::Exact(_))) {
        let values: Vec<Option<f64>> = cells
            .map(|c| match c {
                Cell::Number(x) | Cell::Exact(x) if x.is_finite() => Some(*x),
                _ => None,
            })
            .collect();
        Column::new(name, values)
    } else if all(|c| matches!(c, Cell::Count(_))) {
        let values: Vec<u64> = cells
            .map(|c| if let Cell::Count(n) = c { *n } else { 0 })
            .collect();
        Column::new(name, values)
    } else if all(|c| matches!(c, Cell::Flag(_))) {
        let values: Vec<bool> = cells.map(|c| matches!(c, Cell::Flag(true))).collect();
        Column::new(name, values)
    } else {
        let values: Vec<String> = cells.map(Cell::text).collect();
        Column::new(name, values)
    }
}

/// Writes `frame` to `path` as Parquet (zstd). Encoded in memory first, then written like every
/// other output (`files::write_output`): atomically, and an error names the step and the fix.
pub(crate) fn write_parquet(path: &Path, frame: &mut DataFrame) -> Result<(), String> {
    let mut bytes = Vec::new();
    ParquetWriter::new(&mut bytes)
        .finish(frame)
        .map_err(|e| format!("cannot write {}: encoding failed: {e}", path.display()))?;
    write_output(path, bytes).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::{Cell, typed_column};
    use polars::prelude::{AnyValue, DataType};

    #[test]
    fn a_column_takes_its_cells_type_and_empty_figures_are_nulls() {
        let cells = [Cell::Number(1.5), Cell::Number(f64::NAN), Cell::Exact(2.0)];
        let column = typed_column("x", cells.iter());
        assert_eq!(column.dtype(), &DataType::Float64);
        assert_eq!(column.null_count(), 1);
        let flags = [Cell::Flag(true), Cell::Flag(false)];
        assert_eq!(typed_column("f", flags.iter()).dtype(), &DataType::Boolean);
        let counts = [Cell::Count(7)];
        assert_eq!(typed_column("n", counts.iter()).dtype(), &DataType::UInt64);
    }

    #[test]
    fn a_swept_key_mixing_words_and_numbers_is_text_as_in_the_csv() {
        let cells = [
            Cell::Text("t4g.nano".into()),
            Cell::Exact(10.0),
            Cell::Flag(true),
        ];
        let column = typed_column("mixed", cells.iter());
        assert_eq!(column.dtype(), &DataType::String);
        let texts: Vec<String> = (0..3)
            .map(|i| match column.get(i).unwrap() {
                AnyValue::String(s) => s.to_string(),
                other => panic!("{other:?}"),
            })
            .collect();
        let csv: Vec<String> = cells.iter().map(Cell::text).collect();
        assert_eq!(texts, csv);
        assert_eq!(texts, ["t4g.nano", "10", "true"]);
    }
}
