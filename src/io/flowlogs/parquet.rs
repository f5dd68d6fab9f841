//! Flow logs in Parquet, as AWS writes them to S3: one column per field, named with
//! underscores (`srcaddr`, `pkt_srcaddr`, `az_id`, `log_status`, ...), AWS's types (addresses
//! and words as strings, ports, protocol and flags as int32, counts and times as int64), null
//! for "-". Read with polars one row group at a time, on one thread, and handed on as the same
//! [`Record`]s the text reader makes, so the join cannot tell the two apart.
//!
//! Speed: each row group's columns are read in place (polars' arrays, by index), with no copy
//! per column or row and no cast for AWS's own types; only other integer types are cast.

use super::error::FlowLogError;
use super::format::{Field, known_field};
use super::record::Record;
use crate::util::echo;
use polars::prelude::{
    DataType, Int32Type, Int64Type, ParallelStrategy, ParquetReader, PolarsDataType, PolarsError,
    SerReader, Series, StringType,
};
use std::fs::File;
use std::path::Path;

/// Parquet's magic bytes, at the start and the end of every file.
pub(crate) const MAGIC: &[u8; 4] = b"PAR1";

/// Calls `each` with every record of the Parquet file `path`, a row group at a time.
pub(crate) fn for_each_record(
    path: &Path,
    mut each: impl FnMut(&Record<'_>),
) -> Result<(), FlowLogError> {
    let shown = path.display().to_string();
    let open = || {
        File::open(path).map_err(|e| {
            FlowLogError::new(format!("cannot open: {e}"), "check the path").at(&shown, 0)
        })
    };
    let mut reader = ParquetReader::new(open()?);
    let metadata = reader
        .get_metadata()
        .map_err(|e| corrupt(&e, "the file's footer").at(&shown, 0))?
        .clone();
    let schema = reader
        .schema()
        .map_err(|e| corrupt(&e, "the file's schema").at(&shown, 0))?;
    // Every column must be a field AWS documents; only those the join reads are decoded.
    let mut columns: Vec<(String, Field)> = Vec::new();
    for name in schema.iter_names() {
        let field = known_field(&name.replace('_', "-"))
            .ok_or_else(|| unknown_column(name).at(&shown, 0))?;
        if field != Field::Other {
            columns.push((name.to_string(), field));
        }
    }
    let mut offset = 0usize;
    for (group, row_group) in metadata.row_groups.iter().enumerate() {
        let rows = row_group.num_rows();
        let mut reader = ParquetReader::new(open()?)
            .with_slice(Some((offset, rows)))
            .with_columns(Some(columns.iter().map(|(n, _)| n.clone()).collect()))
            .read_parallel(ParallelStrategy::None);
        reader.set_metadata(metadata.clone());
        let at = |e: FlowLogError| {
            let mut e = e.at(&shown, 0);
            e.problem = format!("row group {}: {}", group + 1, e.problem);
            e
        };
        let frame = reader
            .finish()
            .map_err(|e| at(corrupt(&e, "the row group")))?;
        offset += rows;
        if frame.height() == 0 {
            continue;
        }
        let mut series: Vec<(Field, Series)> = Vec::with_capacity(columns.len());
        for (name, field) in &columns {
            let column = frame
                .column(name)
                .map_err(|e| at(corrupt(&e, "a column")))?;
            let wanted = match (is_text(*field), column.dtype()) {
                (true, _) => DataType::String,
                (false, DataType::Int32) => DataType::Int32,
                (false, _) => DataType::Int64,
            };
            let cast = column.cast(&wanted).map_err(|_| {
                at(FlowLogError::new(
                    format!(
                        "column {} is {}, not {}",
                        echo::quoted(name),
                        column.dtype(),
                        if is_text(*field) { "text" } else { "a number" }
                    ),
                    "write the column with aws's parquet types",
                ))
            })?;
            series.push((*field, cast.as_materialized_series().rechunk()));
        }
        let mut cells: Vec<(Field, Cells<'_>)> = Vec::with_capacity(series.len());
        for (field, s) in &series {
            let cells_of = match s.dtype() {
                DataType::String => s.str().map(|c| Cells::Text(c.downcast_as_array())),
                DataType::Int32 => s.i32().map(|c| Cells::I32(c.downcast_as_array())),
                _ => s.i64().map(|c| Cells::I64(c.downcast_as_array())),
            };
            cells.push((*field, cells_of.map_err(|e| at(corrupt(&e, "a column")))?));
        }
        for row in 0..rows.min(frame.height()) {
            let mut r = Record::default();
            for (field, column) in &cells {
                match column {
                    Cells::Text(values) => {
                        if let Some(word) = values.get(row)
                            && word != "-"
                        {
                            r.set(*field, word).map_err(|e| at(row_error(e, row)))?;
                        }
                    }
                    Cells::I32(values) => {
                        if values.validity().is_none_or(|v| v.get_bit(row)) {
                            r.set_number(*field, i64::from(values.value(row)))
                                .map_err(|e| at(row_error(e, row)))?;
                        }
                    }
                    Cells::I64(values) => {
                        if values.validity().is_none_or(|v| v.get_bit(row)) {
                            r.set_number(*field, values.value(row))
                                .map_err(|e| at(row_error(e, row)))?;
                        }
                    }
                }
            }
            each(&r);
        }
    }
    Ok(())
}

/// One column of a row group, read in place.
enum Cells<'a> {
    Text(&'a <StringType as PolarsDataType>::Array),
    I32(&'a <Int32Type as PolarsDataType>::Array),
    I64(&'a <Int64Type as PolarsDataType>::Array),
}

/// Fields AWS writes as strings.
fn is_text(field: Field) -> bool {
    matches!(
        field,
        Field::InterfaceId
            | Field::SrcAddr
            | Field::DstAddr
            | Field::PktSrcAddr
            | Field::PktDstAddr
            | Field::Action
            | Field::LogStatus
            | Field::AzId
            | Field::PktSrcAwsService
            | Field::PktDstAwsService
    )
}

fn row_error(mut e: FlowLogError, row: usize) -> FlowLogError {
    e.problem = format!("row {}: {}", row + 1, e.problem);
    e
}

fn corrupt(e: &PolarsError, part: &str) -> FlowLogError {
    let text = e.to_string();
    let text = text.lines().next().unwrap_or("");
    FlowLogError::new(
        format!(
            "the parquet file is truncated or corrupt: cannot read {part} ({})",
            echo::quoted(text)
        ),
        "download the file again: a partial download or copy ends early",
    )
}

fn unknown_column(name: &str) -> FlowLogError {
    FlowLogError::new(
        format!("unknown column {} in the parquet file", echo::quoted(name)),
        "columns are aws's flow-log field names with underscores (srcaddr, pkt_srcaddr, az_id)",
    )
}

/// Whether `path` is a Parquet file: its name ends `.parquet` or it starts with the magic.
pub(crate) fn is_parquet(path: &Path, head: &[u8]) -> bool {
    path.extension().is_some_and(|e| e == "parquet") || head.starts_with(MAGIC)
}

/// The first non-null `start` in the first row group of the Parquet file `path`, if any.
pub(crate) fn first_start(path: &Path) -> Option<u64> {
    let mut reader = ParquetReader::new(File::open(path).ok()?);
    let metadata = reader.get_metadata().ok()?.clone();
    let rows = metadata.row_groups.first()?.num_rows();
    let mut reader = ParquetReader::new(File::open(path).ok()?)
        .with_slice(Some((0, rows)))
        .with_columns(Some(vec!["start".to_string()]))
        .read_parallel(ParallelStrategy::None);
    reader.set_metadata(metadata);
    let frame = reader.finish().ok()?;
    let column = frame.column("start").ok()?.cast(&DataType::Int64).ok()?;
    let first = column
        .as_materialized_series()
        .i64()
        .ok()?
        .iter()
        .flatten()
        .next()?;
    u64::try_from(first).ok()
}
