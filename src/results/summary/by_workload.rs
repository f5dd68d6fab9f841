//! One row per candidate × workload: what each workload's own connections got through a
//! candidate, averaged over replications (`summary_by_workload.csv`, the console's and
//! report.html's per-workload table).
//!
//! The figures are the summary's performance figures ([`per_workload_metrics`]: those that a
//! run's connections and links give, not its bill or the device's headroom), under the same
//! names as `summary.csv`'s columns. Each workload is judged against the objectives about its own
//! connections ([`Objective::PER_WORKLOAD`]); this never changes the candidate's verdict, which
//! judges all its traffic together and the device's limits too. Invariant: the counts and bytes of
//! a candidate's workloads add up to the candidate's (a run's figures are the merge of its
//! workloads' tallies).

use super::{Metric, average, figure_value, measured_from};
use crate::model::objectives::{Objective, Slo, misses_among};
use crate::model::scenario::Scenario;
use crate::model::sim::{Figures, RunOutput};

/// The metrics a workload has on its own, in [`Metric::ALL`]'s order.
pub fn per_workload_metrics() -> &'static [Metric] {
    static METRICS: std::sync::OnceLock<Vec<Metric>> = std::sync::OnceLock::new();
    METRICS.get_or_init(|| {
        let any = Figures::default();
        Metric::ALL
            .iter()
            .copied()
            .filter(|&m| figure_value(&any, m).is_some())
            .collect()
    })
}

/// A workload's figures through one candidate.
#[derive(Debug, Clone)]
pub struct WorkloadSummary {
    pub candidate: usize,
    pub workload: usize,
    /// The workload's name.
    pub name: String,
    pub(crate) replications: u32,
    /// Mean over replications, indexed like [`per_workload_metrics`].
    pub(crate) values: Vec<f64>,
    /// 95 % half-widths, indexed like `values`; `None` with one replication.
    pub(crate) ci95: Option<Vec<f64>>,
    /// The objectives about its own connections that this workload misses, as "what > limit".
    pub slo_failures: Vec<String>,
    /// The objectives missed, in the order of `slo_failures`.
    pub(crate) missed: Vec<Objective>,
}

impl WorkloadSummary {
    /// The workload's figure for `metric`; NaN for a metric it does not have on its own (the
    /// bill, the device's utilisation and credits).
    pub fn get(&self, metric: Metric) -> f64 {
        position(metric).map_or(f64::NAN, |i| self.values[i])
    }

    /// The half-width of `metric`'s 95 % confidence interval; `None` with one replication or
    /// for a metric the workload does not have.
    pub fn ci95(&self, metric: Metric) -> Option<f64> {
        let i = position(metric)?;
        self.ci95.as_ref().map(|c| c[i])
    }

    pub fn meets_slo(&self) -> bool {
        self.slo_failures.is_empty()
    }

    /// The objectives missed in a few words each, for a table cell ("carried 57.1 % < 99 %").
    pub(crate) fn short_misses(&self, slo: &Slo) -> Vec<String> {
        self.missed
            .iter()
            .map(|&o| {
                let limit = slo.limit(o).value.map_or(String::new(), |v| o.show(v));
                let (what, figure, relation) = match o {
                    Objective::MaxDropRate => ("dropped", o.show(self.get(Metric::DropRate)), ">"),
                    Objective::MaxConnFailRate => {
                        ("refused", o.show(self.get(Metric::ConnFailRate)), ">")
                    }
                    Objective::MaxP99Slowdown => {
                        let at_least = if self.get(Metric::SlowdownP99LowerBound) > 0.0 {
                            "≥ "
                        } else {
                            ""
                        };
                        let figure = format!("{at_least}{:.1}", self.get(Metric::SlowdownP99));
                        ("p99 slowdown", figure, ">")
                    }
                    Objective::MinAvailability => {
                        ("availability", o.show(self.get(Metric::Availability)), "<")
                    }
                    Objective::MinCarriedRatio => (
                        "carried",
                        format!("{:.1} %", self.get(Metric::CarriedRatio) * 100.0),
                        "<",
                    ),
                    // Not judged per workload.
                    Objective::MaxUtilization | Objective::MinCreditHours => {
                        (o.label(), String::new(), "")
                    }
                };
                format!("{what} {figure} {relation} {limit}")
            })
            .collect()
    }
}

/// Where `metric` sits among [`per_workload_metrics`].
fn position(metric: Metric) -> Option<usize> {
    per_workload_metrics().iter().position(|&m| m == metric)
}

/// Every workload of `candidate` from its runs (at least one, in replication order).
pub(crate) fn summarize(
    scenario: &Scenario,
    candidate: usize,
    runs: &[&RunOutput],
) -> Vec<WorkloadSummary> {
    let metrics = per_workload_metrics();
    (0..scenario.workloads.len())
        .map(|workload| {
            let per_run: Vec<Vec<f64>> = runs
                .iter()
                .map(|run| values(&run.by_workload[workload], metrics))
                .collect();
            let (values, ci95) = average(&per_run, metrics.len());
            let mut summary = WorkloadSummary {
                candidate,
                workload,
                name: scenario.workloads[workload].name.clone(),
                replications: runs.len() as u32,
                values,
                ci95,
                slo_failures: Vec::new(),
                missed: Vec::new(),
            };
            let measured = measured_from(|m| summary.get(m));
            let misses = misses_among(&Objective::PER_WORKLOAD, &scenario.slo, &measured);
            summary.missed = misses.iter().map(|m| m.objective).collect();
            summary.slo_failures = misses.into_iter().map(|m| m.text).collect();
            summary
        })
        .collect()
}

fn values(figures: &Figures, metrics: &[Metric]) -> Vec<f64> {
    metrics
        .iter()
        .map(|&m| figure_value(figures, m).unwrap_or(f64::NAN))
        .collect()
}
