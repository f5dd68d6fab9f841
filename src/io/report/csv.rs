//! `summary.csv` (one row per candidate) and `timeseries.csv` (one row per candidate, replication
//! and minute), and the same per workload: `summary_by_workload.csv` and
//! `timeseries_by_workload.csv`.

use super::number;
use crate::io::scenario::Scenario;
use crate::results::batch::ScenarioResult;
use crate::results::summary::by_workload::per_workload_metrics;
use crate::results::summary::{Metric, Summary};

/// The summary table. Column order: the v1 contract's columns, then the extras (add, don't
/// rename).
pub(crate) fn summary_csv(scenario: &Scenario, result: &ScenarioResult) -> String {
    let mut out = line(summary_header());
    for s in &result.summaries {
        out.push_str(&line(summary_row(&scenario.name, s)));
    }
    out
}

/// The columns of `summary.csv`, in order: the v1 contract's, the extra figures, the row's
/// context, then one `<figure>_ci95` per figure (95 % half-width; empty with one replication).
/// `batch.csv` and `sweep.csv` put their own columns before these.
pub(crate) fn summary_header() -> Vec<String> {
    let split = Metric::LAST_CONTRACT as usize + 1;
    let (contract, extra) = Metric::ALL.split_at(split);
    let mut header: Vec<String> = ["scenario", "candidate", "kind", "replications"]
        .map(String::from)
        .to_vec();
    header.extend(contract.iter().map(|m| m.name().to_string()));
    header.extend(["meets_slo".to_string(), "recommended".to_string()]);
    header.extend(extra.iter().map(|m| m.name().to_string()));
    header.extend(
        [
            "credits_exhausted_at_s",
            "seed",
            "slo_failures",
            "assumptions",
            "objectives",
        ]
        .map(String::from),
    );
    header.extend(Metric::ALL.iter().map(|m| format!("{}_ci95", m.name())));
    header
}

/// One typed field of a summary row: the CSV writes its text, `sweep.parquet` its typed value,
/// so both come from the same cells in the same order.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cell {
    Text(String),
    Count(u64),
    /// A figure; not finite (an absent figure, a CI with one replication) means empty / null.
    Number(f64),
    /// A number written in full, shortest round-trip form: a swept value, so the CSV shows
    /// exactly the value simulated.
    Exact(f64),
    Flag(bool),
}

impl Cell {
    /// The CSV text of the cell.
    pub(crate) fn text(&self) -> String {
        match self {
            Cell::Text(text) => text.clone(),
            Cell::Count(n) => n.to_string(),
            Cell::Number(x) => number(*x),
            Cell::Exact(x) => x.to_string(),
            Cell::Flag(b) => b.to_string(),
        }
    }
}

/// One candidate's `summary.csv` fields, matching [`summary_header`].
pub fn summary_row(scenario_name: &str, s: &Summary) -> Vec<String> {
    summary_cells(scenario_name, s)
        .iter()
        .map(Cell::text)
        .collect()
}

/// One candidate's typed fields, matching [`summary_header`].
pub(crate) fn summary_cells(scenario_name: &str, s: &Summary) -> Vec<Cell> {
    let split = Metric::LAST_CONTRACT as usize + 1;
    let mut row = vec![
        Cell::Text(scenario_name.to_string()),
        Cell::Text(s.name.clone()),
        Cell::Text(s.kind.to_string()),
        Cell::Count(u64::from(s.replications)),
    ];
    row.extend(s.values[..split].iter().map(|&v| Cell::Number(v)));
    row.extend([Cell::Flag(s.meets_slo), Cell::Flag(s.recommended)]);
    row.extend(s.values[split..].iter().map(|&v| Cell::Number(v)));
    row.push(Cell::Number(s.credits_exhausted_at_s.unwrap_or(f64::NAN)));
    row.push(Cell::Count(s.seed));
    row.push(Cell::Text(s.misses_with_causes()));
    row.push(Cell::Text(
        s.assumptions
            .iter()
            .map(|a| format!("{}={}", a.key, a.value))
            .collect::<Vec<_>>()
            .join("; "),
    ));
    row.push(Cell::Text(s.objectives.join("; ")));
    // One replication: no spread to measure, so the cells stay empty rather than claim 0.
    match &s.ci95 {
        Some(half_widths) => row.extend(half_widths.iter().map(|&v| Cell::Number(v))),
        None => row.extend(Metric::ALL.iter().map(|_| Cell::Number(f64::NAN))),
    }
    row
}

/// The per-minute time series of every run.
pub(crate) fn timeseries_csv(scenario: &Scenario, result: &ScenarioResult) -> String {
    let header = [
        "scenario",
        "candidate",
        "kind",
        "replication",
        "minute",
        "start_s",
        "end_s",
        "offered_gbps",
        "delivered_gbps",
        "capacity_out_gbps",
        "capacity_in_gbps",
        "active_connections",
        "conn_refused",
        "packets_dropped",
        "cost_cumulative_usd",
        "endpoint_gbps",
        "capacity_gbps",
        "capacity_limit",
        "sustained_gbps",
        "sustained_limit",
        "utilization",
        "utilization_limit",
    ];
    let mut out = line(header.iter().map(|h| h.to_string()));
    for run in &result.runs {
        let candidate = &scenario.candidates[run.candidate];
        for (minute, i) in run.timeseries.iter().enumerate() {
            out.push_str(&line([
                scenario.name.clone(),
                candidate.name.clone(),
                candidate.device.kind().to_string(),
                run.replication.to_string(),
                minute.to_string(),
                number(i.start_s),
                number(i.end_s),
                number(i.offered_bps / 1e9),
                number(i.delivered_bps / 1e9),
                number(i.capacity_out_bps / 1e9),
                number(i.capacity_in_bps / 1e9),
                i.open_connections.to_string(),
                i.conn_refused.to_string(),
                number(i.packets_dropped),
                number(i.cost_cumulative_usd),
                number(i.endpoint_bps / 1e9),
                i.capacity.map_or(String::new(), |c| number(c.value / 1e9)),
                i.capacity.map_or("", |c| c.limit_name()).to_string(),
                i.sustained.map_or(String::new(), |c| number(c.value / 1e9)),
                i.sustained.map_or("", |c| c.limit_name()).to_string(),
                number(i.utilization.value),
                i.utilization.limit_name().to_string(),
            ]));
        }
    }
    out
}

/// `summary_by_workload.csv`: one row per candidate × workload, with the summary's performance
/// figures under `summary.csv`'s names, whether the workload meets the objectives about its own
/// connections, and one `<figure>_ci95` per figure (empty with one replication).
pub(crate) fn summary_by_workload_csv(scenario: &Scenario, result: &ScenarioResult) -> String {
    let metrics = per_workload_metrics();
    let mut header: Vec<String> = ["scenario", "candidate", "kind", "workload", "replications"]
        .map(String::from)
        .to_vec();
    header.extend(metrics.iter().map(|m| m.name().to_string()));
    header.extend(["meets_slo", "slo_failures", "seed"].map(String::from));
    header.extend(metrics.iter().map(|m| format!("{}_ci95", m.name())));
    let mut out = line(header);
    for w in &result.by_workload {
        let candidate = &result.summaries[w.candidate];
        let mut row = vec![
            scenario.name.clone(),
            candidate.name.clone(),
            candidate.kind.to_string(),
            w.name.clone(),
            w.replications.to_string(),
        ];
        row.extend(metrics.iter().map(|&m| number(w.get(m))));
        row.extend([
            w.meets_slo().to_string(),
            w.slo_failures.join(", "),
            scenario.seed.to_string(),
        ]);
        row.extend(
            metrics
                .iter()
                .map(|&m| number(w.ci95(m).unwrap_or(f64::NAN))),
        );
        out.push_str(&line(row));
    }
    out
}

/// `timeseries_by_workload.csv`: each run's per-minute rows split by workload (the minutes of
/// `timeseries.csv`, one row per workload).
pub(crate) fn timeseries_by_workload_csv(scenario: &Scenario, result: &ScenarioResult) -> String {
    let header = [
        "scenario",
        "candidate",
        "kind",
        "replication",
        "workload",
        "minute",
        "start_s",
        "end_s",
        "offered_gbps",
        "delivered_gbps",
        "active_connections",
        "conn_attempts",
        "conn_refused",
        "idle_timeouts",
        "packets_dropped",
    ];
    let mut out = line(header.iter().map(|h| h.to_string()));
    for run in &result.runs {
        let candidate = &scenario.candidates[run.candidate];
        let minutes = run.timeseries.iter().zip(&run.timeseries_by_workload);
        for (minute, (i, rows)) in minutes.enumerate() {
            for (w, row) in scenario.workloads.iter().zip(rows) {
                out.push_str(&line([
                    scenario.name.clone(),
                    candidate.name.clone(),
                    candidate.device.kind().to_string(),
                    run.replication.to_string(),
                    w.name.clone(),
                    minute.to_string(),
                    number(i.start_s),
                    number(i.end_s),
                    number(row.offered_bps / 1e9),
                    number(row.delivered_bps / 1e9),
                    row.open_connections.to_string(),
                    row.conn_attempts.to_string(),
                    row.conn_refused.to_string(),
                    row.idle_timeouts.to_string(),
                    number(row.packets_dropped),
                ]));
            }
        }
    }
    out
}

/// One CSV line, quoting fields that need it (RFC 4180: a field holding a comma, a double quote,
/// a carriage return or a line feed is quoted, and its quotes doubled). A lone `\r` matters too:
/// spreadsheet and Python readers end a row at it.
pub(crate) fn line(fields: impl IntoIterator<Item = String>) -> String {
    let quoted: Vec<String> = fields
        .into_iter()
        .map(|f| {
            if f.contains([',', '"', '\r', '\n']) {
                format!("\"{}\"", f.replace('"', "\"\""))
            } else {
                f
            }
        })
        .collect();
    let mut text = quoted.join(",");
    text.push('\n');
    text
}

/// One CSV line into fields (RFC 4180 quoting, as [`line`] writes it).
pub fn split_line(text: &str) -> Vec<String> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => fields.push(std::mem::take(&mut field)),
            _ => field.push(c),
        }
    }
    fields.push(field);
    fields
}

#[cfg(test)]
mod tests {
    use super::{line, split_line};

    /// Issue 9: `batch.csv` left a file name holding a carriage return unquoted, which split
    /// its row in two for most readers.
    #[test]
    fn issue_9_every_field_that_needs_quotes_gets_them() {
        let cases: [(&str, &str); 7] = [
            ("plain", "plain"),
            ("a,b", "\"a,b\""),
            ("say \"hi\"", "\"say \"\"hi\"\"\""),
            ("cr\rhere", "\"cr\rhere\""),
            ("lf\nhere", "\"lf\nhere\""),
            ("crlf\r\n", "\"crlf\r\n\""),
            ("", ""),
        ];
        for (field, expected) in cases {
            assert_eq!(
                line([field.to_string()]),
                format!("{expected}\n"),
                "{field:?}"
            );
            assert_eq!(split_line(expected), [field], "{field:?} reads back");
        }
    }
}
