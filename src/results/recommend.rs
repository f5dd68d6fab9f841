//! The recommendation: the cheapest candidate that meets the objectives, and for every other one
//! the limit it hit or how much more it costs.
//!
//! Equal work before equal money: meeting the objectives includes carrying the offered load, so
//! the candidates compared on cost all did the same work; a cheaper loser that left traffic
//! undone is told so.

use crate::model::objectives::Objective;
use crate::results::summary::{Metric, Summary};

/// The outcome of comparing candidates.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// Index of the recommended candidate, if any meets the objectives.
    pub(crate) recommended: Option<usize>,
    /// One sentence naming the winner (or saying none qualifies).
    pub headline: String,
    /// For each other candidate, in candidate order: why it loses. The first line says what it
    /// missed (or what it costs more); each further line is one limit behind a miss, with its
    /// fix, or a note. Readers that want one line take the first.
    pub reasons: Vec<(usize, String)>,
}

/// Picks the cheapest candidate (monthly) that meets the objectives; ties go to the one listed
/// first, so the choice is deterministic.
pub(crate) fn decide(summaries: &[Summary]) -> Verdict {
    let monthly = |s: &Summary| s.get(Metric::CostMonthlyUsd);
    let winner = summaries.iter().filter(|s| s.meets_slo).min_by(|a, b| {
        monthly(a)
            .total_cmp(&monthly(b))
            .then(a.candidate.cmp(&b.candidate))
    });
    let headline = match winner {
        Some(w) => format!(
            "recommended: {} ({}), ${:.2} per month, the cheapest option that meets the objectives",
            w.name,
            w.kind,
            monthly(w)
        ),
        None => "no candidate meets the objectives; relax them or add larger options".to_string(),
    };
    let headline = headline + winner.map_or("", kind_note);
    let reasons = summaries
        .iter()
        .filter(|s| Some(s.candidate) != winner.map(|w| w.candidate))
        .map(|s| (s.candidate, reason(s, winner)))
        .collect();
    Verdict {
        recommended: winner.map(|w| w.candidate),
        headline,
        reasons,
    }
}

/// What a user must know about a kind whatever its figures.
fn kind_note(summary: &Summary) -> &'static str {
    if summary.kind == "internet_gateway" {
        "; note: every client holds a public IP and is reachable from the internet unless security groups stop it"
    } else {
        ""
    }
}

fn reason(summary: &Summary, winner: Option<&Summary>) -> String {
    reason_without_note(summary, winner) + kind_note(summary)
}

fn reason_without_note(summary: &Summary, winner: Option<&Summary>) -> String {
    let monthly = |s: &Summary| s.get(Metric::CostMonthlyUsd);
    if !summary.meets_slo {
        let mut lines = vec![summary.slo_failures.join(", ")];
        lines.extend(summary.causes.iter().cloned());
        if let Some(w) = winner
            && monthly(summary) < monthly(w)
            && carried_less(summary)
        {
            lines.push(format!(
                "its lower bill (${:.2} vs ${:.2} a month) is for traffic it did not carry",
                monthly(summary),
                monthly(w)
            ));
        }
        return lines.join("\n");
    }
    match winner {
        Some(w) => format!(
            "meets the objectives but costs ${:.2} more per month (${:.2} vs ${:.2})",
            monthly(summary) - monthly(w),
            monthly(summary),
            monthly(w)
        ),
        None => "meets the objectives".to_string(),
    }
}

/// Whether a candidate left part of the offered traffic undone (refused, dropped or still in
/// flight), so that its bill is not for the same work as one that carried it all.
fn carried_less(summary: &Summary) -> bool {
    summary.missed.iter().any(|o| {
        matches!(
            o,
            Objective::MaxDropRate | Objective::MaxConnFailRate | Objective::MinCarriedRatio
        )
    })
}
