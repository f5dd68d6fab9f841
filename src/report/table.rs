//! The console report: a comparison table, the recommendation with reasons, and the assumptions
//! the result rests on.

use crate::batch::ScenarioResult;
use crate::scenario::Scenario;
use crate::summary::{Metric, percent};
use std::fmt::Write;

/// Renders the report printed by `natsim run`.
pub fn render(scenario: &Scenario, result: &ScenarioResult) -> String {
    let mut out = String::new();
    let hours = scenario.duration_ns as f64 / 3.6e12;
    let _ = writeln!(
        out,
        "scenario {} · region {} · {:.2} h simulated, warmup {:.0} s · seed {} · {} replication(s)\n",
        scenario.name,
        scenario.region,
        hours,
        scenario.warmup_ns as f64 / 1e9,
        scenario.seed,
        scenario.replications
    );
    let header = [
        "candidate",
        "kind",
        "mean Gbps",
        "peak Gbps",
        "refused",
        "dropped",
        "FCT p99 s",
        "slowdown p99",
        "run $",
        "month $",
        "SLO",
    ];
    let rows: Vec<Vec<String>> = result
        .summaries
        .iter()
        .map(|s| {
            vec![
                if s.recommended {
                    format!("* {}", s.name)
                } else {
                    s.name.clone()
                },
                s.kind.to_string(),
                format!("{:.3}", s.get(Metric::MeanGbps)),
                format!("{:.3}", s.get(Metric::PeakGbps)),
                percent(s.get(Metric::ConnFailRate)),
                percent(s.get(Metric::DropRate)),
                format!("{:.4}", s.get(Metric::FctP99S)),
                format!("{:.1}", s.get(Metric::SlowdownP99)),
                format!("{:.2}", s.get(Metric::CostTotalUsd)),
                format!("{:.2}", s.get(Metric::CostMonthlyUsd)),
                if s.meets_slo {
                    "meets".into()
                } else {
                    "misses".into()
                },
            ]
        })
        .collect();
    out.push_str(&aligned(&header, &rows));
    let _ = writeln!(out, "\n{}", result.verdict.headline);
    for (candidate, reason) in &result.verdict.reasons {
        let _ = writeln!(
            out,
            "  - {}: {}",
            scenario.candidates[*candidate].name, reason
        );
    }
    let assumptions: Vec<String> = scenario
        .candidates
        .iter()
        .flat_map(|c| {
            c.assumptions
                .iter()
                .map(move |a| format!("  - {}: {} = {} ({})", c.name, a.key, a.value, a.basis))
        })
        .collect();
    if !assumptions.is_empty() {
        let _ = writeln!(
            out,
            "\nassumptions these results rest on (override the key in the candidate to change one):"
        );
        for a in assumptions {
            let _ = writeln!(out, "{a}");
        }
    }
    out
}

/// A left-aligned text table with a rule under the header.
fn aligned(header: &[&str], rows: &[Vec<String>]) -> String {
    let widths: Vec<usize> = (0..header.len())
        .map(|c| {
            rows.iter()
                .map(|r| r[c].chars().count())
                .chain([header[c].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let format_row = |cells: Vec<&str>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(cell, &w)| format!("{cell:<w$}"))
            .collect();
        padded.join("  ").trim_end().to_string() + "\n"
    };
    let mut out = format_row(header.to_vec());
    out.push_str(&format_row(
        widths
            .iter()
            .map(|&w| "-".repeat(w))
            .collect::<Vec<_>>()
            .iter()
            .map(|s| s.as_str())
            .collect(),
    ));
    for row in rows {
        out.push_str(&format_row(row.iter().map(|s| s.as_str()).collect()));
    }
    out
}
