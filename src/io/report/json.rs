//! The JSON documents of `--format json` other than a run's (`document`): a batch, a sweep,
//! `validate` and `catalog`, and the one writer every JSON document goes through.
//!
//! Each document opens with `schema_version` ([`SCHEMA_VERSION`], shared by all of them) and
//! `kind`, and is described by its file in `docs/schema/` (a test validates real output against
//! each). Reads results, never changes them; figures JSON cannot hold (NaN, infinity) are `null`.

use super::document::{RunDocument, SCHEMA_VERSION};
use super::sweep::SweepStats;
use crate::io::catalog::{
    Catalog, InstanceType, NatGatewayDefaults, NatInstanceDefaults, PriceBasis,
};
use crate::io::sweep::aggregate::{PointResult, Winner};
use crate::io::sweep::plan::Plan;
use crate::results::summary::Metric;
use serde::Serialize;
use std::collections::BTreeMap;

/// A document as pretty-printed JSON text, ending in a newline. serde_json writes floats in
/// their shortest round-trip form, so the text is the same on every platform and run.
pub(crate) fn to_text(document: &impl Serialize) -> String {
    let mut text = serde_json::to_string_pretty(document)
        .unwrap_or_else(|e| format!("{{\"error\": {:?}}}", e.to_string()));
    text.push('\n');
    text
}

fn version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}

/// `natsim run A.toml B.toml --format json`: every scenario that ran, and every one that failed.
#[derive(Debug, Serialize)]
pub(crate) struct BatchDocument {
    pub(crate) schema_version: u32,
    pub(crate) natsim_version: String,
    pub(crate) kind: &'static str,
    pub(crate) runs: Vec<BatchRun>,
    /// One message per scenario file that did not run (exit code 2).
    pub(crate) errors: Vec<String>,
}

/// One scenario of a batch: its file as given, its output folder, its `summary.json`.
#[derive(Debug, Serialize)]
pub(crate) struct BatchRun {
    pub(crate) file: String,
    pub(crate) output: String,
    pub(crate) summary: RunDocument,
}

pub(crate) fn batch_document(runs: Vec<BatchRun>, errors: Vec<String>) -> BatchDocument {
    BatchDocument {
        schema_version: SCHEMA_VERSION,
        natsim_version: version(),
        kind: "batch",
        runs,
        errors,
    }
}

/// `natsim sweep --format json`: each point's swept values, winner and candidates.
#[derive(Debug, Serialize)]
pub(crate) struct SweepDocument {
    pub(crate) schema_version: u32,
    pub(crate) natsim_version: String,
    pub(crate) kind: &'static str,
    pub(crate) scenario: String,
    /// The swept key paths, in the order of `[sweep]`; the last is the one crossovers follow.
    pub(crate) params: Vec<String>,
    pub(crate) runs: SweepRuns,
    pub(crate) crossovers: usize,
    pub(crate) points: Vec<SweepPoint>,
    /// Where each candidate first misses the objectives along the last swept key
    /// (`breaks.csv`): empty when the last key has one value.
    pub(crate) breaks: Vec<SweepBreak>,
    pub(crate) warnings: Vec<String>,
}

/// One candidate on one line along the last swept key (the other keys held at `values`).
#[derive(Debug, Serialize)]
pub(crate) struct SweepBreak {
    /// The other swept keys' values on this line.
    pub(crate) values: BTreeMap<String, serde_json::Value>,
    pub(crate) candidate: String,
    /// The last value of the last key where it met the objectives before its first miss.
    pub(crate) meets_up_to: Option<serde_json::Value>,
    /// The first value where it misses them; `null` when it never does.
    pub(crate) first_miss_at: Option<serde_json::Value>,
    /// What it misses there, in words, then the limits behind it.
    pub(crate) missed: Vec<String>,
    pub(crate) causes: Vec<String>,
}

/// How the sweep went (wall time and threads are this machine's; the results do not depend on
/// them).
#[derive(Debug, Serialize)]
pub(crate) struct SweepRuns {
    pub(crate) total: usize,
    pub(crate) resumed: usize,
    pub(crate) wall_s: f64,
    pub(crate) threads: usize,
}

impl From<SweepStats> for SweepRuns {
    fn from(stats: SweepStats) -> Self {
        SweepRuns {
            total: stats.runs_total,
            resumed: stats.runs_resumed,
            wall_s: stats.wall_s,
            threads: stats.threads,
        }
    }
}

#[derive(Debug, Serialize)]
pub(crate) struct SweepPoint {
    pub(crate) point: usize,
    /// Swept key → value, as simulated.
    pub(crate) values: BTreeMap<String, serde_json::Value>,
    pub(crate) recommended: Option<String>,
    pub(crate) monthly_usd: Option<f64>,
    /// The winner differs from the previous point's along the last swept key.
    pub(crate) crossover: bool,
    pub(crate) candidates: Vec<SweepCandidate>,
}

#[derive(Debug, Serialize)]
pub(crate) struct SweepCandidate {
    pub(crate) name: String,
    pub(crate) kind: String,
    pub(crate) meets_objectives: bool,
    pub(crate) monthly_usd: f64,
    /// What missed each objective, in words.
    pub(crate) missed: Vec<String>,
}

pub(crate) fn sweep_document(
    plan: &Plan,
    results: &[PointResult],
    winners: &[Winner],
    stats: SweepStats,
    warnings: &[String],
) -> SweepDocument {
    let first = &plan.points[0].scenario;
    let points = winners
        .iter()
        .map(|w| {
            let result = &results[w.point];
            let winner = w.recommended.map(|c| &result.summaries[c]);
            SweepPoint {
                point: w.point,
                values: plan
                    .spec
                    .params
                    .iter()
                    .zip(&plan.points[w.point].values)
                    .map(|(p, v)| (p.key.clone(), toml_to_json(v)))
                    .collect(),
                recommended: winner.map(|s| s.name.clone()),
                monthly_usd: winner.map(|s| s.get(Metric::CostMonthlyUsd)),
                crossover: w.crossover,
                candidates: result
                    .summaries
                    .iter()
                    .map(|s| SweepCandidate {
                        name: s.name.clone(),
                        kind: s.kind.to_string(),
                        meets_objectives: s.meets_slo,
                        monthly_usd: s.get(Metric::CostMonthlyUsd),
                        missed: s.slo_failures.clone(),
                    })
                    .collect(),
            }
        })
        .collect();
    SweepDocument {
        schema_version: SCHEMA_VERSION,
        natsim_version: version(),
        kind: "sweep",
        scenario: first.name.clone(),
        params: plan.spec.params.iter().map(|p| p.key.clone()).collect(),
        runs: stats.into(),
        crossovers: winners.iter().filter(|w| w.crossover).count(),
        points,
        breaks: sweep_breaks(plan, results),
        warnings: warnings.to_vec(),
    }
}

fn sweep_breaks(plan: &Plan, results: &[PointResult]) -> Vec<SweepBreak> {
    let others = plan.spec.params.len().saturating_sub(1);
    let along = |point: usize| {
        plan.points[point]
            .values
            .last()
            .map(toml_to_json)
            .unwrap_or(serde_json::Value::Null)
    };
    crate::io::sweep::aggregate::breaks(plan, results)
        .into_iter()
        .map(|b| {
            let at_miss = b.first_miss.map(|p| &results[p].summaries[b.candidate]);
            SweepBreak {
                values: plan.spec.params[..others]
                    .iter()
                    .zip(&plan.points[b.line].values)
                    .map(|(p, v)| (p.key.clone(), toml_to_json(v)))
                    .collect(),
                candidate: results[b.line].summaries[b.candidate].name.clone(),
                meets_up_to: b.last_met.map(along),
                first_miss_at: b.first_miss.map(along),
                missed: at_miss.map_or_else(Vec::new, |s| s.slo_failures.clone()),
                causes: at_miss.map_or_else(Vec::new, |s| s.causes.clone()),
            }
        })
        .collect()
}

/// A swept value as JSON: numbers stay numbers, anything else becomes its text.
fn toml_to_json(value: &toml::Value) -> serde_json::Value {
    match value {
        toml::Value::Integer(n) => serde_json::Value::from(*n),
        toml::Value::Float(x) => serde_json::Number::from_f64(*x)
            .map_or(serde_json::Value::Null, serde_json::Value::Number),
        toml::Value::Boolean(b) => serde_json::Value::Bool(*b),
        other => serde_json::Value::String(crate::io::sweep::spec::value_text(other)),
    }
}

/// `natsim validate --format json`: the checked file and what running it would take.
#[derive(Debug, Serialize)]
pub(crate) struct ValidateDocument {
    pub(crate) schema_version: u32,
    pub(crate) natsim_version: String,
    pub(crate) kind: &'static str,
    pub(crate) file: String,
    pub(crate) scenario: String,
    pub(crate) workloads: usize,
    pub(crate) candidates: usize,
    /// The `[sweep]` table's size; `null` without one.
    pub(crate) sweep: Option<ValidateSweep>,
    pub(crate) estimate: Estimate,
    pub(crate) warnings: Vec<String>,
}

#[derive(Debug, Serialize)]
pub(crate) struct ValidateSweep {
    pub(crate) points: usize,
    pub(crate) runs: usize,
}

/// The work estimate of `validate` (docs/reliability.md).
#[derive(Debug, Serialize)]
pub(crate) struct Estimate {
    pub(crate) runs: u64,
    pub(crate) connections: f64,
    pub(crate) events: f64,
    pub(crate) threads: usize,
    pub(crate) wall_s: f64,
    pub(crate) peak_memory_bytes: f64,
    /// `natsim run` would ask for `--yes`.
    pub(crate) above_limits: bool,
    /// The estimate in words, as the table format prints it.
    pub(crate) text: String,
}

impl ValidateDocument {
    pub(crate) fn new(
        file: String,
        scenario: &crate::io::scenario::Scenario,
        sweep: Option<ValidateSweep>,
        estimate: Estimate,
        warnings: Vec<String>,
    ) -> Self {
        ValidateDocument {
            schema_version: SCHEMA_VERSION,
            natsim_version: version(),
            kind: "validate",
            file,
            scenario: scenario.name.clone(),
            workloads: scenario.workloads.len(),
            candidates: scenario.candidates.len(),
            sweep,
            estimate,
            warnings,
        }
    }
}

/// `natsim catalog --format json`: the regions shown, the defaults with their sources, and every
/// instance type with the limits natsim derives for it and its price in each region shown.
#[derive(Debug, Serialize)]
pub(crate) struct CatalogDocument<'a> {
    schema_version: u32,
    natsim_version: String,
    kind: &'static str,
    regions: Vec<CatalogRegion<'a>>,
    nat_gateway: &'a NatGatewayDefaults,
    nat_instance: &'a NatInstanceDefaults,
    instances: Vec<CatalogInstance<'a>>,
}

#[derive(Debug, Serialize)]
struct CatalogRegion<'a> {
    name: &'a str,
    nat_gateway_usd_per_hour: f64,
    nat_gateway_usd_per_gb: f64,
    ipv4_usd_per_hour: f64,
    cross_az_usd_per_gb_each_way: f64,
    /// `null` in an imported catalog: no price is derived there.
    instance_price_factor: Option<f64>,
    /// Ascending; the last tier's `up_to_gb` is `null` (no upper end).
    egress_tiers: Vec<EgressTierJson>,
    source: &'a str,
}

#[derive(Debug, Serialize)]
struct EgressTierJson {
    up_to_gb: Option<f64>,
    usd_per_gb: f64,
}

#[derive(Debug, Serialize)]
struct CatalogInstance<'a> {
    name: &'a str,
    vcpus: u32,
    memory_gib: f64,
    baseline_gbps: f64,
    burst_gbps: f64,
    internet_cap_gbps: f64,
    burst_minutes: f64,
    pps_limit: f64,
    conntrack_max: u32,
    prices: Vec<InstancePrice<'a>>,
    source: &'a str,
}

#[derive(Debug, Serialize)]
struct InstancePrice<'a> {
    region: &'a str,
    usd_per_hour: f64,
    /// `listed` in the catalog, or `derived` (us-east-1 × the region's factor, assumed).
    basis: &'static str,
}

/// The catalog document for `natsim catalog [--region R] --format json`; the same regions as
/// the table, and the same error for an unknown one.
pub(crate) fn catalog_document<'a>(
    catalog: &'a Catalog,
    region: Option<&str>,
) -> Result<CatalogDocument<'a>, String> {
    let regions = super::catalog::regions_shown(catalog, region)?;
    Ok(CatalogDocument {
        schema_version: SCHEMA_VERSION,
        natsim_version: version(),
        kind: "catalog",
        regions: regions
            .iter()
            .map(|r| CatalogRegion {
                name: &r.name,
                nat_gateway_usd_per_hour: r.nat_gateway_usd_per_hour,
                nat_gateway_usd_per_gb: r.nat_gateway_usd_per_gb,
                ipv4_usd_per_hour: r.ipv4_usd_per_hour,
                cross_az_usd_per_gb_each_way: r.cross_az_usd_per_gb_each_way,
                instance_price_factor: r.instance_price_factor,
                egress_tiers: r
                    .egress_tiers
                    .iter()
                    .map(|t| EgressTierJson {
                        up_to_gb: t.up_to_gb.is_finite().then_some(t.up_to_gb),
                        usd_per_gb: t.usd_per_gb,
                    })
                    .collect(),
                source: &r.source,
            })
            .collect(),
        nat_gateway: &catalog.nat_gateway,
        nat_instance: &catalog.nat_instance,
        instances: super::catalog::instances_in_order(catalog)
            .into_iter()
            .map(|it| catalog_instance(catalog, it, &regions))
            .collect(),
    })
}

fn catalog_instance<'a>(
    catalog: &'a Catalog,
    it: &'a InstanceType,
    regions: &[&'a crate::io::catalog::Region],
) -> CatalogInstance<'a> {
    CatalogInstance {
        name: &it.name,
        vcpus: it.vcpus,
        memory_gib: it.memory_gib,
        baseline_gbps: it.baseline_gbps,
        burst_gbps: it.burst_gbps,
        internet_cap_gbps: catalog.internet_cap_bps(it) / 1e9,
        burst_minutes: catalog.burst_minutes(it),
        pps_limit: catalog.pps_limit(it),
        conntrack_max: catalog.conntrack_max(it),
        prices: regions
            .iter()
            .filter_map(|r| {
                let (usd_per_hour, basis) = catalog.instance_price(&it.name, &r.name)?;
                Some(InstancePrice {
                    region: &r.name,
                    usd_per_hour,
                    basis: match basis {
                        PriceBasis::Listed => "listed",
                        PriceBasis::DerivedByRegionFactor => "derived",
                    },
                })
            })
            .collect(),
        source: &it.source,
    }
}
