//! The run document: what `summary.json` holds and `natsim run --format json` prints, built once
//! from a scenario's results. The Markdown comment and `natsim diff` read this document, not the
//! results, so they work the same on a run made now and on a `summary.json` read back.
//!
//! The document is a contract, versioned by [`SCHEMA_VERSION`] and described by
//! `docs/schema/natsim-run.schema.json` (a test validates real output against it): add fields,
//! never rename them; a change of meaning bumps the version. It carries everything the console
//! report says: per candidate its performance, its cost by line, the objectives it missed with
//! the limits behind them, and why it loses; the recommendation; the objectives in force and the
//! assumptions the result rests on. Deterministic: no times, no paths.

use super::table::{MODEL_ASSUMPTIONS, grouped_assumptions};
use crate::io::scenario::Scenario;
use crate::results::batch::ScenarioResult;
use crate::results::summary::by_workload::{WorkloadSummary, per_workload_metrics};
use crate::results::summary::{Metric, Summary};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Bumped when a field of a JSON document changes meaning or goes; adding one keeps it.
pub(crate) const SCHEMA_VERSION: u32 = 1;

/// `summary.json`: one scenario's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct RunDocument {
    pub(crate) schema_version: u32,
    pub(crate) natsim_version: String,
    /// Always `"run"`.
    pub(crate) kind: String,
    pub(crate) scenario: ScenarioInfo,
    pub(crate) recommendation: Recommendation,
    pub(crate) candidates: Vec<CandidateResult>,
    pub(crate) objectives: Vec<ObjectiveInForce>,
    /// Assumptions of the model itself, true for every candidate (docs/model.md).
    pub(crate) model_assumptions: Vec<String>,
    /// Each default a candidate rests on, once, with the candidates that rest on it.
    pub(crate) assumptions: Vec<AssumptionUsed>,
    /// Notes about the input that did not stop the run (also printed on stderr).
    pub(crate) warnings: Vec<String>,
    /// `--cloudwatch`: the comparison with the measured metrics, one line each (empty without).
    pub(crate) calibration: Vec<String>,
    /// Each candidate's workloads, candidate-major (`summary_by_workload.csv`'s rows); absent
    /// from documents written before per-workload figures.
    #[serde(default)]
    pub(crate) workloads: Vec<WorkloadResult>,
}

/// One workload's figures through one candidate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct WorkloadResult {
    pub(crate) candidate: String,
    pub(crate) workload: String,
    /// Its own connections meet the objectives about them (drop rate, refused connections, p99
    /// slowdown, availability, carried bytes).
    pub(crate) meets_objectives: bool,
    pub(crate) missed: Vec<Missed>,
    /// Every per-workload figure, by its `summary_by_workload.csv` column name.
    pub(crate) figures: BTreeMap<String, Option<f64>>,
    /// Half-widths of their 95 % confidence intervals; `null` with one replication.
    pub(crate) ci95: Option<BTreeMap<String, Option<f64>>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ScenarioInfo {
    pub(crate) name: String,
    pub(crate) region: String,
    pub(crate) duration_s: f64,
    pub(crate) warmup_s: f64,
    pub(crate) seed: u64,
    pub(crate) replications: u32,
    /// `[scenario] traffic_scale` (1 when absent from an older document).
    #[serde(default = "unscaled")]
    pub(crate) traffic_scale: f64,
}

fn unscaled() -> f64 {
    1.0
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Recommendation {
    /// The recommended candidate's name; `null` when none meets the objectives.
    pub(crate) candidate: Option<String>,
    pub(crate) kind: Option<String>,
    pub(crate) monthly_usd: Option<f64>,
    /// The console's sentence ("recommended: …", or why there is none).
    pub(crate) headline: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct CandidateResult {
    pub(crate) name: String,
    pub(crate) kind: String,
    pub(crate) recommended: bool,
    pub(crate) meets_objectives: bool,
    pub(crate) performance: Performance,
    /// The bill projected to a 730-hour month, by line.
    pub(crate) monthly_cost_usd: CostLines,
    /// The bill of the simulated time, by line.
    pub(crate) run_cost_usd: CostLines,
    /// The objectives missed, in objective order.
    pub(crate) missed: Vec<Missed>,
    /// The limits behind the misses: whose limit (AWS's or an assumed default) and the fix.
    pub(crate) causes: Vec<String>,
    /// Why it is not recommended, one line each (the first says what it missed or what it costs
    /// more); empty for the recommended candidate.
    pub(crate) reason: Vec<String>,
    /// When its network credits first ran out, seconds into the run.
    pub(crate) credits_exhausted_at_s: Option<f64>,
    /// Every figure of `summary.csv`, by its column name; `null` where the run has none.
    pub(crate) figures: BTreeMap<String, Option<f64>>,
    /// Half-widths of the figures' 95 % confidence intervals; `null` with one replication.
    pub(crate) ci95: Option<BTreeMap<String, Option<f64>>>,
}

/// The figures the console table and the objectives look at.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Performance {
    pub(crate) mean_gbps: Option<f64>,
    pub(crate) peak_gbps: Option<f64>,
    /// Refused connections / attempted connections.
    pub(crate) conn_fail_rate: Option<f64>,
    pub(crate) conn_failed: Option<f64>,
    /// Dropped bytes / offered bytes.
    pub(crate) drop_rate: Option<f64>,
    pub(crate) fct_p99_s: Option<f64>,
    /// The percentile counts transfers still open at the end at their age: a lower bound.
    pub(crate) fct_p99_at_least: bool,
    pub(crate) slowdown_p99: Option<f64>,
    pub(crate) slowdown_p99_at_least: bool,
    pub(crate) availability: Option<f64>,
    pub(crate) carried_ratio: Option<f64>,
    pub(crate) utilization: Option<f64>,
}

/// Declares [`CostLines`] from the one list of a bill's lines: each line's field (with its serde
/// attributes) and its label in reports, in the order reports list them.
macro_rules! cost_lines {
    ($($(#[$attr:meta])* $field:ident => $label:literal),* $(,)?) => {
        /// A bill by line: in USD in the document (`CostLines<f64>`), or anything else kept line
        /// by line, such as `natsim diff`'s change of each line or the summary's metrics behind
        /// each ([`METRICS`]). `hours` holds the device's own hours (instances or NAT gateways),
        /// `standby` a fallback's standby NAT gateways, `endpoints` the interface endpoints' hours
        /// and data processing. `standby`, `storage` and `endpoints` came after schema version 1's
        /// first documents, which read back as 0 (and whose `hours` include the standby gateways).
        ///
        /// A new line is a line of `cost_lines!` and of [`METRICS`]; the document, `natsim diff`
        /// and the Markdown comment follow. The bill plot (`plot::run::BILL_LINES`) keeps its own
        /// list, as it splits `endpoints` in two and stacks in another order; a test there holds
        /// the two together.
        #[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
        pub(crate) struct CostLines<T = f64> {
            $($(#[$attr])* pub(crate) $field: T,)*
        }

        /// How many lines a bill has, total included.
        const LINES: usize = [$($label),*].len();

        impl CostLines {
            /// The lines' labels, in the order reports list them (total last): the order of
            /// [`CostLines::values`]. Every `CostLines` has them; they sit on `CostLines<f64>`
            /// only so that `CostLines::LABELS` needs no type argument.
            pub(crate) const LABELS: [&'static str; LINES] = [$($label),*];
        }

        impl<T: Copy> CostLines<T> {
            /// The lines' values, in [`CostLines::LABELS`]' order (the fields', the JSON's).
            pub(crate) fn values(self) -> [T; LINES] {
                [$(self.$field),*]
            }

            /// The lines from their values in [`CostLines::LABELS`]' order.
            fn from_values([$($field),*]: [T; LINES]) -> Self {
                CostLines { $($field),* }
            }
        }
    };
}

cost_lines! {
    hours => "hours",
    #[serde(default)]
    standby => "standby",
    processing => "processing",
    egress => "egress",
    cross_az => "cross-AZ",
    ipv4 => "IPv4",
    #[serde(default)]
    storage => "EBS",
    #[serde(default)]
    endpoints => "endpoints",
    total => "total",
}

impl<T: Copy> CostLines<T> {
    /// The same `value` on every line.
    pub(crate) fn splat(value: T) -> Self {
        Self::from_values([value; LINES])
    }

    /// The lines with their labels, in the order reports list them (total last).
    pub(crate) fn labelled(self) -> [(&'static str, T); LINES] {
        let values = self.values();
        std::array::from_fn(|i| (CostLines::LABELS[i], values[i]))
    }

    /// Each line through `f`.
    pub(crate) fn map<U: Copy>(self, f: impl FnMut(T) -> U) -> CostLines<U> {
        CostLines::from_values(self.values().map(f))
    }

    /// Line by line, `self`'s value with `other`'s.
    pub(crate) fn zip<U: Copy>(self, other: CostLines<U>) -> CostLines<(T, U)> {
        let (mine, theirs) = (self.values(), other.values());
        CostLines::from_values(std::array::from_fn(|i| (mine[i], theirs[i])))
    }
}

/// The summary's metrics behind each line of a bill, added up, as (the bill projected to a
/// month's, the simulated time's): the interface endpoints' line is their hours and their data
/// processing.
pub(crate) const METRICS: CostLines<&[(Metric, Metric)]> = CostLines {
    hours: &[(Metric::MonthlyFixedUsd, Metric::CostFixedUsd)],
    standby: &[(Metric::MonthlyStandbyUsd, Metric::CostStandbyUsd)],
    processing: &[(Metric::MonthlyProcessingUsd, Metric::CostProcessingUsd)],
    egress: &[(Metric::MonthlyTransferUsd, Metric::CostTransferUsd)],
    cross_az: &[(Metric::MonthlyCrossAzUsd, Metric::CostCrossAzUsd)],
    ipv4: &[(Metric::MonthlyIpv4Usd, Metric::CostIpv4Usd)],
    storage: &[(Metric::MonthlyStorageUsd, Metric::CostStorageUsd)],
    endpoints: &[
        (
            Metric::MonthlyEndpointHoursUsd,
            Metric::CostEndpointHoursUsd,
        ),
        (
            Metric::MonthlyEndpointProcessingUsd,
            Metric::CostEndpointProcessingUsd,
        ),
    ],
    total: &[(Metric::CostMonthlyUsd, Metric::CostTotalUsd)],
};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Missed {
    /// The `[slo]` key of the objective.
    pub(crate) objective: String,
    /// What missed it, in words ("refused connections 67.4 % > 0.10 %").
    pub(crate) text: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ObjectiveInForce {
    /// The `[slo]` key.
    pub(crate) key: String,
    /// `null`: switched off by the scenario.
    pub(crate) limit: Option<f64>,
    /// The limit is natsim's default, not the scenario's.
    pub(crate) default: bool,
    pub(crate) text: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct AssumptionUsed {
    /// The candidate key that overrides it.
    pub(crate) key: String,
    pub(crate) value: String,
    pub(crate) basis: String,
    pub(crate) candidates: Vec<String>,
}

/// The document of one scenario's result. `warnings` are the notes its input raised;
/// `calibration` the lines of a `--cloudwatch` comparison (empty without one).
pub(crate) fn run_document(
    scenario: &Scenario,
    result: &ScenarioResult,
    warnings: &[String],
    calibration: &[String],
) -> RunDocument {
    let winner = result.verdict.recommended.map(|c| &result.summaries[c]);
    RunDocument {
        schema_version: SCHEMA_VERSION,
        natsim_version: env!("CARGO_PKG_VERSION").to_string(),
        kind: "run".to_string(),
        scenario: ScenarioInfo {
            name: scenario.name.clone(),
            region: scenario.region.clone(),
            duration_s: scenario.duration_ns as f64 / 1e9,
            warmup_s: scenario.warmup_ns as f64 / 1e9,
            seed: scenario.seed,
            replications: scenario.replications,
            traffic_scale: scenario.traffic_scale,
        },
        recommendation: Recommendation {
            candidate: winner.map(|w| w.name.clone()),
            kind: winner.map(|w| w.kind.to_string()),
            monthly_usd: winner.map(|w| w.get(Metric::CostMonthlyUsd)),
            headline: result.verdict.headline.clone(),
        },
        candidates: result
            .summaries
            .iter()
            .map(|s| candidate(s, reason_lines(result, s.candidate)))
            .collect(),
        objectives: scenario
            .slo
            .listed()
            .zip(scenario.slo.describe())
            .map(|(o, text)| ObjectiveInForce {
                key: o.key().to_string(),
                limit: scenario.slo.limit(o).value,
                default: scenario.slo.limit(o).is_default,
                text,
            })
            .collect(),
        model_assumptions: MODEL_ASSUMPTIONS.iter().map(|a| a.to_string()).collect(),
        assumptions: grouped_assumptions(scenario)
            .into_iter()
            .map(|(a, names)| AssumptionUsed {
                key: a.key.clone(),
                value: a.value.clone(),
                basis: a.basis.clone(),
                candidates: names.iter().map(|n| n.to_string()).collect(),
            })
            .collect(),
        warnings: warnings.to_vec(),
        calibration: calibration.to_vec(),
        workloads: result
            .by_workload
            .iter()
            .map(|w| workload(&result.summaries[w.candidate].name, w))
            .collect(),
    }
}

fn workload(candidate: &str, w: &WorkloadSummary) -> WorkloadResult {
    let by_name = |values: &dyn Fn(Metric) -> Option<f64>| {
        per_workload_metrics()
            .iter()
            .map(|&m| (m.name().to_string(), values(m)))
            .collect::<BTreeMap<_, _>>()
    };
    WorkloadResult {
        candidate: candidate.to_string(),
        workload: w.name.clone(),
        meets_objectives: w.meets_slo(),
        missed: w
            .missed
            .iter()
            .zip(&w.slo_failures)
            .map(|(o, text)| Missed {
                objective: o.key().to_string(),
                text: text.clone(),
            })
            .collect(),
        figures: by_name(&|m| finite(w.get(m))),
        ci95: w
            .ci95(Metric::ConnAttempts)
            .map(|_| by_name(&|m| w.ci95(m).and_then(finite))),
    }
}

/// The verdict's reason for `candidate`, one line each (none for the winner).
fn reason_lines(result: &ScenarioResult, candidate: usize) -> Vec<String> {
    result
        .verdict
        .reasons
        .iter()
        .find(|(c, _)| *c == candidate)
        .map(|(_, reason)| reason.lines().map(String::from).collect())
        .unwrap_or_default()
}

fn candidate(s: &Summary, reason: Vec<String>) -> CandidateResult {
    let value = |m: Metric| finite(s.get(m));
    let by_name = |values: &dyn Fn(Metric) -> Option<f64>| {
        Metric::ALL
            .iter()
            .map(|&m| (m.name().to_string(), values(m)))
            .collect::<BTreeMap<_, _>>()
    };
    CandidateResult {
        name: s.name.clone(),
        kind: s.kind.to_string(),
        recommended: s.recommended,
        meets_objectives: s.meets_slo,
        performance: Performance {
            mean_gbps: value(Metric::MeanGbps),
            peak_gbps: value(Metric::PeakGbps),
            conn_fail_rate: value(Metric::ConnFailRate),
            conn_failed: value(Metric::ConnFailed),
            drop_rate: value(Metric::DropRate),
            fct_p99_s: value(Metric::FctP99S),
            fct_p99_at_least: s.get(Metric::FctP99LowerBound) > 0.0,
            slowdown_p99: value(Metric::SlowdownP99),
            slowdown_p99_at_least: s.get(Metric::SlowdownP99LowerBound) > 0.0,
            availability: value(Metric::Availability),
            carried_ratio: value(Metric::CarriedRatio),
            utilization: value(Metric::Utilization),
        },
        monthly_cost_usd: bill(s, |(month, _)| month),
        run_cost_usd: bill(s, |(_, run)| run),
        missed: s
            .missed
            .iter()
            .zip(&s.slo_failures)
            .map(|(o, text)| Missed {
                objective: o.key().to_string(),
                text: text.clone(),
            })
            .collect(),
        causes: s.causes.clone(),
        reason,
        credits_exhausted_at_s: s.credits_exhausted_at_s,
        figures: by_name(&value),
        ci95: s
            .ci95
            .as_ref()
            .map(|_| by_name(&|m| s.ci95(m).and_then(finite))),
    }
}

/// `s`'s bill by line, the month's or the simulated time's as `pick` says: each line the sum of
/// its [`METRICS`] (in their order, so two add as `a + b`: `Sum` for f64 starts from -0.0, which
/// leaves every value as it is).
fn bill(s: &Summary, pick: fn((Metric, Metric)) -> Metric) -> CostLines {
    METRICS.map(|metrics| metrics.iter().map(|&m| s.get(pick(m))).sum())
}

/// A figure for JSON, which has no NaN or infinity: those become `null`.
fn finite(value: f64) -> Option<f64> {
    value.is_finite().then_some(value)
}

#[cfg(test)]
mod tests {
    use super::CostLines;

    /// `values` and `from_values` keep the lines in the order of the fields, which is the JSON's,
    /// so a table built from `values` under `LABELS` lists them as the document does.
    #[test]
    fn a_bills_values_keep_the_order_of_its_fields() {
        let lines = CostLines::from_values(std::array::from_fn(|i| i));
        assert_eq!(
            serde_json::to_string(&lines).unwrap(),
            r#"{"hours":0,"standby":1,"processing":2,"egress":3,"cross_az":4,"ipv4":5,"storage":6,"endpoints":7,"total":8}"#
        );
        assert_eq!(lines.values(), std::array::from_fn(|i| i));
        assert_eq!(lines.labelled()[6], ("EBS", 6));
    }
}
