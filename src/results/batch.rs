//! Runs a scenario: every candidate × every replication, in parallel with rayon, then aggregates.
//!
//! Invariant: parallelism is across runs only, never inside one, and results are collected in
//! (candidate, replication) order, so the output is byte-identical whatever the thread count.

use crate::model::scenario::Scenario;
use crate::model::sim::{self, RunOutput};
use crate::results::recommend::{self, Verdict};
use crate::results::summary::by_workload::{self, WorkloadSummary};
use crate::results::summary::{self, Summary};
use rayon::prelude::*;

/// Everything `natsim run` reports for one scenario.
#[derive(Debug, Clone)]
pub struct ScenarioResult {
    pub summaries: Vec<Summary>,
    pub verdict: Verdict,
    /// Each candidate's workloads, candidate-major, workloads in scenario order.
    pub by_workload: Vec<WorkloadSummary>,
    /// Every run, candidate-major then replication.
    pub runs: Vec<RunOutput>,
}

/// Runs every candidate of `scenario` for every replication.
pub fn run_scenario(scenario: &Scenario) -> ScenarioResult {
    run_scenario_observed(scenario, &|_| {})
}

/// [`run_scenario`], telling `progress` the simulated time each run covers as it goes (see
/// `sim::run_candidate_observed`); the results are the same with any `progress`.
pub(crate) fn run_scenario_observed(
    scenario: &Scenario,
    progress: &(dyn Fn(crate::engine::Nanos) + Sync),
) -> ScenarioResult {
    let jobs: Vec<(usize, u32)> = (0..scenario.candidates.len())
        .flat_map(|candidate| {
            (0..scenario.replications).map(move |replication| (candidate, replication))
        })
        .collect();
    let runs: Vec<RunOutput> = jobs
        .par_iter()
        .map(|&(candidate, replication)| {
            sim::run_candidate_observed(scenario, candidate, replication, progress)
        })
        .collect();
    let own = |candidate: usize| -> Vec<&RunOutput> {
        runs.iter()
            .filter(|run| run.candidate == candidate)
            .collect()
    };
    let mut summaries: Vec<Summary> = (0..scenario.candidates.len())
        .map(|candidate| summary::summarize(scenario, candidate, &own(candidate)))
        .collect();
    let by_workload = (0..scenario.candidates.len())
        .flat_map(|candidate| by_workload::summarize(scenario, candidate, &own(candidate)))
        .collect();
    let verdict = recommend::decide(&summaries);
    if let Some(winner) = verdict.recommended {
        summaries[winner].recommended = true;
    }
    ScenarioResult {
        summaries,
        verdict,
        by_workload,
        runs,
    }
}
