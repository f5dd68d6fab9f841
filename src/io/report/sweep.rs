//! A sweep's reports: `sweep.csv` (one row per point and candidate), `winners.csv` (one row per
//! point) and the short text printed at the end.
//!
//! `sweep.csv` is `point`, one `param_<name>` column per swept key, then exactly the columns of
//! `summary.csv`, so any tool that reads one reads the other. Reads results, never changes them.

use super::csv::{Cell, line, summary_cells, summary_header};
use super::number;
use crate::io::sweep::aggregate::{PointResult, Winner};
use crate::io::sweep::plan::Plan;
use crate::results::summary::Metric;
use std::fmt::Write;

/// Points beyond which the console lists only the crossovers.
const MAX_POINTS_LISTED: usize = 40;

/// How a sweep went, for the closing text.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct SweepStats {
    pub(crate) runs_total: usize,
    /// Runs found in `runs.csv` by `--resume`.
    pub(crate) runs_resumed: usize,
    pub(crate) wall_s: f64,
    pub(crate) threads: usize,
    /// Set by `natsim sweep merge`: the shards the runs came from (`wall_s` is then the merge's).
    pub(crate) shards_merged: Option<usize>,
}

/// The columns of `sweep.csv` and `sweep.parquet`: `point`, one `param_<name>` per swept key,
/// then the columns of `summary.csv`.
pub(crate) fn sweep_header(plan: &Plan) -> Vec<String> {
    let mut header = vec!["point".to_string()];
    header.extend(plan.spec.params.iter().map(|p| p.column.clone()));
    header.extend(summary_header());
    header
}

/// `sweep.csv`.
pub(crate) fn sweep_csv(plan: &Plan, results: &[PointResult]) -> String {
    let mut out = line(sweep_header(plan));
    for row in sweep_cells(plan, results) {
        out.push_str(&line(row.iter().map(Cell::text)));
    }
    out
}

/// `winners.csv`: the recommended candidate of each point (empty when none meets the
/// objectives), its monthly cost, and whether it changed along the last swept key.
pub(crate) fn winners_csv(plan: &Plan, results: &[PointResult], winners: &[Winner]) -> String {
    let mut header = vec!["point".to_string()];
    header.extend(plan.spec.params.iter().map(|p| p.column.clone()));
    header.extend(["recommended", "kind", "cost_monthly_usd", "crossover"].map(String::from));
    let mut out = line(header);
    for winner in winners {
        let mut row = vec![winner.point.to_string()];
        row.extend(plan.param_texts(winner.point));
        match winner.recommended {
            Some(c) => {
                let s = &results[winner.point].summaries[c];
                row.extend([
                    s.name.clone(),
                    s.kind.to_string(),
                    number(s.get(Metric::CostMonthlyUsd)),
                ]);
            }
            None => row.extend([String::new(), String::new(), String::new()]),
        }
        row.push(winner.crossover.to_string());
        out.push_str(&line(row));
    }
    out
}

/// The text printed when a sweep ends: its size and time, then each point's winner (only the
/// crossovers when there are many points).
pub(crate) fn render(
    plan: &Plan,
    results: &[PointResult],
    winners: &[Winner],
    stats: SweepStats,
) -> String {
    let mut out = String::new();
    let first = &plan.points[0].scenario;
    let how = match stats.shards_merged {
        Some(shards) => format!("merged from {shards} shard(s)"),
        None => format!("{} resumed", stats.runs_resumed),
    };
    let _ = writeln!(
        out,
        "sweep {} · {} point(s) × {} candidate(s) × {} replication(s) = {} runs ({how}) · {:.1} s on {} thread(s)\n",
        first.name,
        plan.points.len(),
        first.candidates.len(),
        first.replications,
        stats.runs_total,
        stats.wall_s,
        stats.threads
    );
    let crossovers = winners.iter().filter(|w| w.crossover).count();
    let listed: Vec<&Winner> = if winners.len() <= MAX_POINTS_LISTED {
        winners.iter().collect()
    } else {
        let _ = writeln!(
            out,
            "{} points; the {crossovers} crossover(s) (every point is in winners.csv):",
            winners.len()
        );
        winners.iter().filter(|w| w.crossover).collect()
    };
    let mut header: Vec<&str> = vec!["point"];
    header.extend(plan.spec.params.iter().map(|p| p.key.as_str()));
    header.extend(["recommended", "month $", "crossover"]);
    let rows: Vec<Vec<String>> = listed
        .iter()
        .map(|w| {
            let mut row = vec![w.point.to_string()];
            row.extend(plan.param_texts(w.point));
            match w.recommended {
                Some(c) => {
                    let s = &results[w.point].summaries[c];
                    row.push(s.name.clone());
                    let mut cost = format!("{:.2}", s.get(Metric::CostMonthlyUsd));
                    if let Some(half) = s.ci95(Metric::CostMonthlyUsd).filter(|h| h.is_finite()) {
                        cost.push_str(&format!(" ± {half:.2}"));
                    }
                    row.push(cost);
                }
                None => row.extend(["none meets the objectives".into(), String::new()]),
            }
            row.push(if w.crossover { "yes" } else { "" }.into());
            row
        })
        .collect();
    out.push_str(&super::table::aligned(&header, &rows));
    if let Some(note) = super::table::confidence_note(first.replications) {
        let _ = writeln!(out, "{note}");
    }
    let _ = writeln!(
        out,
        "\n{crossovers} crossover(s) along {}",
        plan.spec.params.last().map_or("", |p| p.key.as_str())
    );
    out
}

/// Every row of `sweep.csv` as cells: `point`, the swept values, then the summary fields.
pub(crate) fn sweep_cells(plan: &Plan, results: &[PointResult]) -> Vec<Vec<Cell>> {
    let mut rows = Vec::new();
    for (point, result) in results.iter().enumerate() {
        let scenario_name = &plan.points[point].scenario.name;
        for summary in &result.summaries {
            let mut row = vec![Cell::Count(point as u64)];
            row.extend(plan.points[point].values.iter().map(param_cell));
            row.extend(summary_cells(scenario_name, summary));
            rows.push(row);
        }
    }
    rows
}

/// A swept value as a cell: numbers become `Float64` columns, so a range's points read as
/// numbers in a notebook; text stays text.
fn param_cell(value: &toml::Value) -> Cell {
    match value {
        toml::Value::Integer(n) => Cell::Exact(*n as f64),
        toml::Value::Float(x) => Cell::Exact(*x),
        toml::Value::Boolean(b) => Cell::Flag(*b),
        other => Cell::Text(crate::io::sweep::spec::value_text(other)),
    }
}
