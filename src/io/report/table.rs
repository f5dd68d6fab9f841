//! The console report: a comparison table, the recommendation with reasons, and the assumptions
//! the result rests on.

use crate::io::scenario::{Assumption, Scenario};
use crate::results::batch::ScenarioResult;
use crate::results::summary::{Metric, percent};
use std::fmt::Write;

/// Assumptions of the model itself, true for every candidate; docs/model.md ("Assumptions") explains each.
pub(crate) const MODEL_ASSUMPTIONS: &[&str] = &[
    "bandwidth is shared max-min fair as a fluid; TCP slows down when short, UDP loses the excess",
    "one packets-per-second allowance serves both directions, shared by demand; TCP counts MSS segments, a delayed ACK per two and 7 handshake packets",
    "a connection still transferring at the end counts in the percentiles at its age (a lower bound, shown as ≥)",
    "TCP losses at a full link show as slower transfers, not as dropped packets",
    "1 GB billed = 2^30 bytes; cost covers the whole run, figures the statistics window",
];

/// Renders the report printed by `natsim run`.
pub(crate) fn render(scenario: &Scenario, result: &ScenarioResult) -> String {
    let mut out = String::new();
    let hours = scenario.duration_ns as f64 / 3.6e12;
    let _ = writeln!(
        out,
        "scenario {} · region {} · {:.2} h simulated, warmup {:.0} s · seed {} · {} replication(s){}\n",
        scenario.name,
        scenario.region,
        hours,
        scenario.warmup_ns as f64 / 1e9,
        scenario.seed,
        scenario.replications,
        traffic_note(scenario)
    );
    let (header, rows) = summary_rows(result);
    out.push_str(&aligned(&header, &rows));
    if let Some(note) = confidence_note(scenario.replications) {
        let _ = writeln!(out, "{note}");
    }
    let _ = writeln!(out, "\n{}", result.verdict.headline);
    for (candidate, reason) in &result.verdict.reasons {
        let mut lines = reason.lines();
        let name = &scenario.candidates[*candidate].name;
        let _ = writeln!(out, "  - {name}: {}", lines.next().unwrap_or(""));
        for line in lines {
            let _ = writeln!(out, "      {line}");
        }
    }
    if scenario.workloads.len() > 1 {
        let _ = writeln!(
            out,
            "\nper workload (each judged on its own connections; every figure in summary_by_workload.csv):"
        );
        let (header, rows) = workload_rows(scenario, result);
        out.push_str(&aligned(&header, &rows));
        if let Some(note) = hidden_misses(scenario, result) {
            let _ = writeln!(out, "{note}");
        }
    }
    let _ = writeln!(
        out,
        "\nobjectives in force (set them in [slo]; \"off\" drops one):"
    );
    for line in scenario.slo.describe() {
        let _ = writeln!(out, "  - {line}");
    }
    let _ = writeln!(
        out,
        "\nmodel assumptions behind every result (docs/model.md, \"Assumptions\"):"
    );
    for line in MODEL_ASSUMPTIONS {
        let _ = writeln!(out, "  - {line}");
    }
    let assumptions = grouped_assumptions(scenario);
    if !assumptions.is_empty() {
        let _ = writeln!(
            out,
            "\nassumptions these results rest on (set the key on a candidate to override):"
        );
        for (assumption, names) in assumptions {
            let _ = writeln!(
                out,
                "  - {} = {} [{}]: {}",
                assumption.key,
                assumption.value,
                names.join(", "),
                assumption.basis
            );
        }
    }
    out
}

/// " · traffic × 4" when the scenario scales its traffic (nothing at the default of 1).
pub(super) fn traffic_note(scenario: &Scenario) -> String {
    if scenario.traffic_scale == 1.0 {
        String::new()
    } else {
        format!(" · traffic × {}", scenario.traffic_scale)
    }
}

/// The comparison table's header and rows, shared by the console and `report.html`. With
/// several replications a figure reads `mean ± half-width` of its 95 % confidence interval
/// ([`confidence_note`] says so under the table).
pub(super) fn summary_rows(result: &ScenarioResult) -> ([&'static str; 11], Vec<Vec<String>>) {
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
            let cell = |metric: Metric, show: &dyn Fn(f64) -> String| match s.ci95(metric) {
                Some(half) if half.is_finite() => {
                    format!("{} ± {}", show(s.get(metric)), show(half))
                }
                _ => show(s.get(metric)),
            };
            let fixed3 = |v: f64| format!("{v:.3}");
            let fixed2 = |v: f64| format!("{v:.2}");
            vec![
                if s.recommended {
                    format!("* {}", s.name)
                } else {
                    s.name.clone()
                },
                s.kind.to_string(),
                cell(Metric::MeanGbps, &fixed3),
                cell(Metric::PeakGbps, &fixed3),
                cell(Metric::ConnFailRate, &percent),
                cell(Metric::DropRate, &percent),
                if_transferred(
                    |m| s.get(m),
                    at_least(s.get(Metric::FctP99LowerBound))
                        + &cell(Metric::FctP99S, &three_digits),
                ),
                if_transferred(
                    |m| s.get(m),
                    at_least(s.get(Metric::SlowdownP99LowerBound))
                        + &cell(Metric::SlowdownP99, &|v| format!("{v:.1}")),
                ),
                cell(Metric::CostTotalUsd, &fixed2),
                cell(Metric::CostMonthlyUsd, &fixed2),
                if s.meets_slo {
                    "meets".into()
                } else {
                    "misses".into()
                },
            ]
        })
        .collect();
    (header, rows)
}

/// The line under the table when its figures carry confidence intervals; `None` with one
/// replication.
pub(super) fn confidence_note(replications: u32) -> Option<String> {
    (replications > 1).then(|| {
        format!(
            "± is the 95 % confidence interval of the mean over {replications} replications (Student's t)"
        )
    })
}

/// The per-workload table's header and rows (one per candidate × workload), shared by the
/// console and `report.html`. The columns of bytes that skip the device through interface
/// endpoints and over IPv6 are there only when some workload sends such bytes
/// (`aws_services`, `ipv6_share`), so the tables of other scenarios stay as narrow as before.
pub(super) fn workload_rows(
    scenario: &Scenario,
    result: &ScenarioResult,
) -> (Vec<&'static str>, Vec<Vec<String>>) {
    let workloads = &scenario.workloads;
    let interface = workloads.iter().any(|w| !w.aws_services.is_empty());
    let ipv6 = workloads.iter().any(|w| w.ipv6_share > 0.0);
    let mut header = vec!["candidate", "workload", "GB/month", "S3 endpoint"];
    if interface {
        header.push("interface endpoints");
    }
    if ipv6 {
        header.push("IPv6");
    }
    header.extend([
        "mean Gbps",
        "refused",
        "dropped",
        "FCT p50 s",
        "FCT p99 s",
        "slowdown p99",
        "objectives",
    ]);
    let rows = result
        .by_workload
        .iter()
        .map(|w| {
            let candidate = &result.summaries[w.candidate];
            // Shares of the workload's bytes that never crossed the device: its mean Gbps
            // leaves them out.
            let share = |metric: Metric| whole_percent(w.get(metric), w.get(Metric::OfferedGb));
            let mut row = vec![
                candidate.name.clone(),
                w.name.clone(),
                format!("{:.0}", w.get(Metric::MonthlyTrafficGb)),
                share(Metric::EndpointGb),
            ];
            if interface {
                row.push(share(Metric::InterfaceEndpointGb));
            }
            if ipv6 {
                row.push(share(Metric::Ipv6Gb));
            }
            row.extend([
                format!("{:.3}", w.get(Metric::MeanGbps)),
                percent(w.get(Metric::ConnFailRate)),
                percent(w.get(Metric::DropRate)),
                if_transferred(|m| w.get(m), three_digits(w.get(Metric::FctP50S))),
                if_transferred(
                    |m| w.get(m),
                    at_least(w.get(Metric::FctP99LowerBound))
                        + &three_digits(w.get(Metric::FctP99S)),
                ),
                if_transferred(
                    |m| w.get(m),
                    at_least(w.get(Metric::SlowdownP99LowerBound))
                        + &format!("{:.1}", w.get(Metric::SlowdownP99)),
                ),
                if w.meets_slo() {
                    "meets".to_string()
                } else {
                    format!("misses: {}", w.short_misses(&scenario.slo).join(", "))
                },
            ]);
            row
        })
        .collect();
    (header, rows)
}

/// Each distinct assumption once, with the candidates that rest on it, in first-seen order.
pub(super) fn grouped_assumptions(scenario: &Scenario) -> Vec<(&Assumption, Vec<&str>)> {
    let mut grouped: Vec<(&Assumption, Vec<&str>)> = Vec::new();
    for candidate in &scenario.candidates {
        for assumption in &candidate.assumptions {
            match grouped.iter_mut().find(|(a, _)| *a == assumption) {
                Some((_, names)) => names.push(&candidate.name),
                None => grouped.push((assumption, vec![&candidate.name])),
            }
        }
    }
    grouped
}

/// A note when the recommended candidate meets the objectives over all its traffic while one of
/// its workloads, on its own, misses the objectives about its connections: the blend hid it.
pub(super) fn hidden_misses(scenario: &Scenario, result: &ScenarioResult) -> Option<String> {
    let winner = result.summaries.iter().find(|s| s.recommended)?;
    let missing: Vec<String> = result
        .by_workload
        .iter()
        .filter(|w| w.candidate == winner.candidate && !w.meets_slo())
        .map(|w| format!("{} ({})", w.name, w.short_misses(&scenario.slo).join(", ")))
        .collect();
    (!missing.is_empty()).then(|| {
        format!(
            "note: {} meets the objectives over all its traffic, but on its own {} misses them: {}",
            winner.name,
            if missing.len() == 1 {
                "this workload"
            } else {
                "each of these workloads"
            },
            missing.join("; ")
        )
    })
}

/// `part` over `whole` as a whole percentage ("0 %" when `whole` is 0).
fn whole_percent(part: f64, whole: f64) -> String {
    let share = if whole > 0.0 { part / whole } else { 0.0 };
    format!("{:.0} %", share * 100.0)
}

/// `shown`, or "-" when no transfer completed or was still open in the window (every connection
/// refused, say): completion-time figures of nothing are 0 in the CSV files and mean nothing.
fn if_transferred(get: impl Fn(Metric) -> f64, shown: String) -> String {
    if get(Metric::ConnCompleted) + get(Metric::FctCensored) > 0.0 {
        shown
    } else {
        "-".to_string()
    }
}

/// "≥ " before a percentile that is a lower bound (transfers still open at the end counted at
/// their age) in any replication.
fn at_least(lower_bound_share: f64) -> String {
    if lower_bound_share > 0.0 {
        "≥ ".to_string()
    } else {
        String::new()
    }
}

/// A number with three significant digits, for the console (CSV keeps six).
pub(super) fn three_digits(value: f64) -> String {
    if value == 0.0 || !value.is_finite() {
        return "0".to_string();
    }
    let decimals = (2 - value.abs().log10().floor() as i32).clamp(0, 12) as usize;
    format!("{value:.decimals$}")
}

/// A left-aligned text table with a rule under the header.
pub(super) fn aligned(header: &[&str], rows: &[Vec<String>]) -> String {
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
