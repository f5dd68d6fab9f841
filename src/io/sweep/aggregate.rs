//! A sweep's finished runs into per-point summaries, recommendations, winners, and where each
//! candidate first misses the objectives along the last swept key (its [`Break`]).
//!
//! Owns the ordering that makes `sweep.csv` reproducible: runs are sorted by (point, candidate,
//! replication) before any figure is summed, whatever order they finished or were resumed in.
//! Summaries and the recommendation come from `summary` and `recommend`, the same code as
//! `natsim run`, so a point reads like a run of that point's scenario.

use super::Record;
use super::plan::Plan;
use crate::results::recommend::{self, Verdict};
use crate::results::summary::{Summary, summarize_values};
use rayon::prelude::*;

/// One point's outcome.
#[derive(Debug, Clone)]
pub(crate) struct PointResult {
    /// One per candidate, in candidate order.
    pub(crate) summaries: Vec<Summary>,
    pub(crate) verdict: Verdict,
}

/// Which candidate a point recommends, and whether that changed along the last swept key.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Winner {
    pub(crate) point: usize,
    pub(crate) recommended: Option<usize>,
    /// The winner differs from the previous point's, where the previous point differs only in
    /// the last swept key (never at that key's first value).
    pub(crate) crossover: bool,
}

/// Summarises every point from its runs. Fails, naming the first gap, if a run is missing.
/// Points are summarised in parallel, each from its own runs in replication order, so the
/// figures are the same on any number of threads.
pub(crate) fn aggregate(plan: &Plan, records: &[Record]) -> Result<Vec<PointResult>, String> {
    let mut sorted: Vec<&Record> = records.iter().collect();
    sorted.sort_by_key(|r| r.key());
    sorted.dedup_by_key(|r| r.key());
    let mut rest = sorted.as_slice();
    let mut per_point: Vec<&[&Record]> = Vec::with_capacity(plan.points.len());
    for (index, point) in plan.points.iter().enumerate() {
        let scenario = &point.scenario;
        let count = scenario.replications as usize;
        let runs = scenario.candidates.len() * count;
        let own = rest.get(..runs).unwrap_or(rest);
        for candidate in 0..scenario.candidates.len() {
            let complete = (0..count).all(|replication| {
                own.get(candidate * count + replication)
                    .is_some_and(|r| r.key() == (index, candidate, replication as u32))
            });
            if !complete {
                return Err(format!(
                    "point {index}, candidate {} lacks some of its {count} run(s)",
                    scenario.candidates[candidate].name
                ));
            }
        }
        per_point.push(own);
        rest = &rest[runs..];
    }
    Ok(per_point
        .into_par_iter()
        .enumerate()
        .map(|(index, runs)| summarise_point(plan, index, runs))
        .collect())
}

/// One point's summaries and recommendation from its runs, in (candidate, replication) order.
fn summarise_point(plan: &Plan, index: usize, runs: &[&Record]) -> PointResult {
    let scenario = &plan.points[index].scenario;
    let count = scenario.replications as usize;
    let mut summaries: Vec<Summary> = runs
        .chunks(count)
        .enumerate()
        .map(|(candidate, own)| {
            let per_run: Vec<Vec<f64>> = own.iter().map(|r| r.values.clone()).collect();
            let credits = own
                .iter()
                .filter_map(|r| r.credits_exhausted_at_s)
                .min_by(f64::total_cmp);
            summarize_values(scenario, candidate, &per_run, credits)
        })
        .collect();
    let verdict = recommend::decide(&summaries);
    if let Some(winner) = verdict.recommended {
        summaries[winner].recommended = true;
    }
    PointResult { summaries, verdict }
}

/// The recommended candidate of every point, with crossovers along the last swept key.
pub(crate) fn winners(plan: &Plan, results: &[PointResult]) -> Vec<Winner> {
    let name = |point: usize| {
        results[point]
            .verdict
            .recommended
            .map(|c| plan.points[point].scenario.candidates[c].name.as_str())
    };
    let last = plan.spec.params.len().saturating_sub(1);
    (0..results.len())
        .map(|point| {
            let along_last_key = plan.spec.indices(point).get(last).copied().unwrap_or(0) > 0;
            Winner {
                point,
                recommended: results[point].verdict.recommended,
                crossover: along_last_key && name(point) != name(point - 1),
            }
        })
        .collect()
}

/// Where one candidate first misses the objectives along the last swept key, the other keys
/// held: on a sweep of `scenario.traffic_scale`, the first limit that breaks as traffic grows.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Break {
    /// The first point of the line (it carries the other keys' values).
    pub(crate) line: usize,
    pub(crate) candidate: usize,
    /// The first point of the line where the candidate misses the objectives; `None` when it
    /// meets them at every value.
    pub(crate) first_miss: Option<usize>,
    /// The point before `first_miss`, where it still met them; `None` when it misses from the
    /// line's first value (or never misses).
    pub(crate) last_met: Option<usize>,
}

/// Every candidate's [`Break`] on every line of the sweep (a line: the points that differ only in
/// the last key, in the order of its values), line by line, candidates in order. Empty when the
/// last key has a single value.
pub(crate) fn breaks(plan: &Plan, results: &[PointResult]) -> Vec<Break> {
    let along = plan.spec.params.last().map_or(1, |p| p.values.len());
    if along < 2 {
        return Vec::new();
    }
    let mut out = Vec::new();
    for line in (0..results.len()).step_by(along) {
        let points = line..(line + along).min(results.len());
        for candidate in 0..results[line].summaries.len() {
            let meets = |point: usize| {
                results[point]
                    .summaries
                    .get(candidate)
                    .is_some_and(|s| s.meets_slo)
            };
            let first_miss = points.clone().find(|&p| !meets(p));
            let last_met = first_miss.filter(|&p| p > line).map(|p| p - 1);
            out.push(Break {
                line,
                candidate,
                first_miss,
                last_met,
            });
        }
    }
    out
}
