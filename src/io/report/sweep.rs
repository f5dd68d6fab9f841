//! A sweep's reports: `sweep.csv` (one row per point and candidate), `winners.csv` (one row per
//! point), `breaks.csv` (one row per candidate and line along the last key: where it first misses
//! the objectives) and the short text printed at the end.
//!
//! `sweep.csv` is `point`, one `param_<name>` column per swept key, then exactly the columns of
//! `summary.csv`, so any tool that reads one reads the other. Reads results, never changes them.

use super::csv::{Cell, line, summary_cells, summary_header};
use super::number;
use crate::io::sweep::aggregate::{Break, PointResult, Winner};
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

/// `breaks.csv`: for each line along the last swept key (the other keys held, named by the
/// line's first `point` and their `param_*` values) and each candidate, the last value of the
/// key at which it met the objectives before its first miss, the first value at which it misses
/// them (both empty when it never misses; `meets_up_to` empty when it misses from the first
/// value), the objectives it misses there and why.
pub(crate) fn breaks_csv(plan: &Plan, results: &[PointResult], breaks: &[Break]) -> String {
    let others = plan.spec.params.len().saturating_sub(1);
    let mut header = vec!["point".to_string()];
    header.extend(plan.spec.params[..others].iter().map(|p| p.column.clone()));
    header.extend(
        [
            "candidate",
            "kind",
            "along",
            "meets_up_to",
            "first_miss_at",
            "first_miss_point",
            "missed",
            "slo_failures",
        ]
        .map(String::from),
    );
    let mut out = line(header);
    let along = plan.spec.params.last().map_or("", |p| p.key.as_str());
    for b in breaks {
        let summary = &results[b.line].summaries[b.candidate];
        let value = |point: Option<usize>| point.map_or(String::new(), |p| along_value(plan, p));
        let mut row = vec![b.line.to_string()];
        row.extend(plan.param_texts(b.line).into_iter().take(others));
        let at_miss = b.first_miss.map(|p| &results[p].summaries[b.candidate]);
        row.extend([
            summary.name.clone(),
            summary.kind.to_string(),
            along.to_string(),
            value(b.last_met),
            value(b.first_miss),
            b.first_miss.map_or(String::new(), |p| p.to_string()),
            at_miss.map_or(String::new(), |s| {
                s.missed
                    .iter()
                    .map(|o| o.key())
                    .collect::<Vec<_>>()
                    .join("; ")
            }),
            at_miss.map_or(String::new(), |s| s.misses_with_causes()),
        ]);
        out.push_str(&line(row));
    }
    out
}

/// The last swept key's value at `point`, as text.
fn along_value(plan: &Plan, point: usize) -> String {
    plan.param_texts(point).pop().unwrap_or_default()
}

/// One candidate's [`Break`] in words: who (with the other keys' values, when there are
/// several keys), what happens along the last key, and the limits behind its first miss.
pub(crate) struct BreakText {
    pub(crate) who: String,
    pub(crate) what: String,
    pub(crate) causes: Vec<String>,
}

/// Every [`Break`] in words, in order.
pub(crate) fn break_texts(
    plan: &Plan,
    results: &[PointResult],
    breaks: &[Break],
) -> Vec<BreakText> {
    let Some(along) = plan.spec.params.last() else {
        return Vec::new();
    };
    let others = plan.spec.params.len() - 1;
    breaks
        .iter()
        .map(|b| {
            let summary = &results[b.line].summaries[b.candidate];
            let held: Vec<String> = plan.spec.params[..others]
                .iter()
                .zip(plan.param_texts(b.line))
                .map(|(p, v)| format!("{} = {v}", p.key))
                .collect();
            let who = if held.is_empty() {
                summary.name.clone()
            } else {
                format!("[{}] {}", held.join(", "), summary.name)
            };
            let Some(miss) = b.first_miss else {
                let last = b.line + along.values.len() - 1;
                return BreakText {
                    who,
                    what: format!(
                        "meets them at every value ({} to {})",
                        along_value(plan, b.line),
                        along_value(plan, last)
                    ),
                    causes: Vec::new(),
                };
            };
            let at = &results[miss].summaries[b.candidate];
            let from = b.last_met.map_or(String::new(), |p| {
                format!("meets them up to {}, ", along_value(plan, p))
            });
            BreakText {
                who,
                what: format!(
                    "{from}misses at {}: {}",
                    along_value(plan, miss),
                    at.slo_failures.join(", ")
                ),
                causes: at.causes.clone(),
            }
        })
        .collect()
}

/// The closing text's account of [`Break`]s, one candidate (and line) each.
fn render_breaks(out: &mut String, plan: &Plan, results: &[PointResult], breaks: &[Break]) {
    let (Some(along), false) = (plan.spec.params.last(), breaks.is_empty()) else {
        return;
    };
    let _ = writeln!(
        out,
        "\nwhere each candidate first misses the objectives along {} (breaks.csv):",
        along.key
    );
    for text in break_texts(plan, results, breaks) {
        let _ = writeln!(out, "  - {}: {}", text.who, text.what);
        for cause in &text.causes {
            let _ = writeln!(out, "      {cause}");
        }
    }
}

/// The text printed when a sweep ends: its size and time, then each point's winner (only the
/// crossovers when there are many points), then where each candidate first misses the
/// objectives along the last key.
pub(crate) fn render(
    plan: &Plan,
    results: &[PointResult],
    winners: &[Winner],
    breaks: &[Break],
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
    render_breaks(&mut out, plan, results, breaks);
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
