//! One row per candidate: the figures of its runs, averaged over replications, and whether they
//! meet the user's objectives.
//!
//! Figures are named by [`Metric`], whose names are the `summary.csv` columns (units in the
//! names). The column set is a contract: add, don't rename.

pub mod by_workload;
pub(crate) mod diagnosis;

pub(crate) use crate::model::objectives::percent;

use crate::model::cost::{BYTES_PER_GB, HOURS_PER_MONTH};
use crate::model::objectives::{self, Measured, Objective};
use crate::model::scenario::{Assumption, Scenario};
use crate::model::sim::{Figures, RunOutput};
use crate::util::units::ns_to_seconds;

macro_rules! metrics {
    ($($variant:ident => $name:literal),* $(,)?) => {
        /// A numeric summary figure.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Metric { $($variant),* }
        impl Metric {
            /// Every metric, in column order.
            pub const ALL: &'static [Metric] = &[$(Metric::$variant),*];
            /// The column name, with its unit.
            pub fn name(self) -> &'static str {
                match self { $(Metric::$variant => $name),* }
            }
        }
    };
}

metrics! {
    OfferedGb => "offered_gb",
    OutGb => "out_gb",
    InGb => "in_gb",
    DroppedGb => "dropped_gb",
    DropRate => "drop_rate",
    ConnAttempts => "conn_attempts",
    ConnFailed => "conn_failed",
    ConnFailRate => "conn_fail_rate",
    FailPortAllocation => "fail_port_allocation",
    FailConntrack => "fail_conntrack",
    IdleTimeouts => "idle_timeouts",
    PacketsDropped => "packets_dropped",
    MeanGbps => "mean_gbps",
    PeakGbps => "peak_gbps",
    FctMeanS => "fct_mean_s",
    FctP50S => "fct_p50_s",
    FctP99S => "fct_p99_s",
    SlowdownP99 => "slowdown_p99",
    CostFixedUsd => "cost_fixed_usd",
    CostProcessingUsd => "cost_processing_usd",
    CostTransferUsd => "cost_transfer_usd",
    CostCrossAzUsd => "cost_cross_az_usd",
    CostIpv4Usd => "cost_ipv4_usd",
    CostTotalUsd => "cost_total_usd",
    CostMonthlyUsd => "cost_monthly_usd",
    // Beyond the v1 contract's list: the usage each cost line bills, and model checks.
    RefusedGb => "refused_gb",
    InFlightGb => "in_flight_gb",
    ConnCompleted => "conn_completed",
    OpenConnMean => "open_conn_mean",
    SojournMeanS => "sojourn_mean_s",
    BilledDeviceHours => "billed_device_hours",
    BilledProcessedGb => "billed_processed_gb",
    BilledEgressGb => "billed_egress_gb",
    BilledCrossAzGb => "billed_cross_az_gb",
    BilledIpv4Hours => "billed_ipv4_hours",
    MonthlyFixedUsd => "monthly_fixed_usd",
    MonthlyProcessingUsd => "monthly_processing_usd",
    MonthlyTransferUsd => "monthly_transfer_usd",
    MonthlyCrossAzUsd => "monthly_cross_az_usd",
    MonthlyIpv4Usd => "monthly_ipv4_usd",
    PeakCapacityGbps => "peak_capacity_gbps",
    // Failures and endpoints (issue 3).
    ConnReset => "conn_reset",
    OutageS => "outage_s",
    Availability => "availability",
    FailOutage => "fail_outage",
    EndpointGb => "endpoint_gb",
    FailUnsupported => "fail_unsupported",
    FailDns => "fail_dns",
    BilledStandbyGatewayHours => "billed_standby_gateway_hours",
    // The workload's traffic at a month's scale: a sweep's natural x axis (issue 4).
    MonthlyTrafficGb => "monthly_traffic_gb",
    // Keeping up, censored percentiles, headroom and reserves (issue 8).
    OfferedGbps => "offered_gbps",
    CarriedRatio => "carried_ratio",
    BacklogGb => "backlog_gb",
    FctCensored => "fct_censored",
    FctP99LowerBound => "fct_p99_lower_bound",
    SlowdownP99LowerBound => "slowdown_p99_lower_bound",
    Utilization => "utilization",
    UtilizationPeak => "utilization_peak",
    UtilizationSustained => "utilization_sustained",
    CreditDepth => "credit_depth",
    CreditDrainPerHour => "credit_drain_per_h",
    // The options users ask about next (issue 14): EBS volumes, interface endpoints, IPv6
    // through an egress-only internet gateway, and the addresses a partner must allowlist.
    CostStorageUsd => "cost_storage_usd",
    CostEndpointHoursUsd => "cost_endpoint_hours_usd",
    CostEndpointProcessingUsd => "cost_endpoint_processing_usd",
    BilledStorageGbMonths => "billed_storage_gb_months",
    BilledEndpointHours => "billed_endpoint_hours",
    BilledEndpointGb => "billed_endpoint_gb",
    MonthlyStorageUsd => "monthly_storage_usd",
    MonthlyEndpointHoursUsd => "monthly_endpoint_hours_usd",
    MonthlyEndpointProcessingUsd => "monthly_endpoint_processing_usd",
    InterfaceEndpointGb => "interface_endpoint_gb",
    Ipv6Gb => "ipv6_gb",
    EgressIps => "egress_ips",
    EgressIpsFixed => "egress_ips_fixed",
    // A fallback's standby NAT gateways, a line of their own (issue 14's monthly bill).
    CostStandbyUsd => "cost_standby_usd",
    MonthlyStandbyUsd => "monthly_standby_usd",
}

impl Metric {
    /// The last metric of the v1 contract's column list; `meets_slo` and `recommended` follow it.
    pub(crate) const LAST_CONTRACT: Metric = Metric::CostMonthlyUsd;
}

/// A candidate's aggregated result.
#[derive(Debug, Clone)]
pub struct Summary {
    pub(crate) candidate: usize,
    pub name: String,
    pub kind: &'static str,
    pub(crate) replications: u32,
    /// Mean over replications, indexed like [`Metric::ALL`].
    pub values: Vec<f64>,
    /// Half-width of each figure's 95 % confidence interval (Student's t over replications),
    /// indexed like [`Metric::ALL`]; `None` with one replication, where the spread is unknown.
    pub(crate) ci95: Option<Vec<f64>>,
    pub meets_slo: bool,
    /// Each objective missed, as "what > limit" text.
    pub slo_failures: Vec<String>,
    /// The objectives missed, in the order of `slo_failures`.
    pub missed: Vec<Objective>,
    /// The limits behind the misses: what bound, whether AWS's or a default, and the fix.
    pub(crate) causes: Vec<String>,
    pub recommended: bool,
    /// When network credits first ran out (earliest over replications), seconds.
    pub credits_exhausted_at_s: Option<f64>,
    pub(crate) assumptions: Vec<Assumption>,
    /// The objectives in force, one line each, defaults marked.
    pub objectives: Vec<String>,
    pub(crate) seed: u64,
}

impl Summary {
    pub fn get(&self, metric: Metric) -> f64 {
        self.values[metric as usize]
    }

    /// The half-width of `metric`'s 95 % confidence interval; `None` with one replication.
    pub fn ci95(&self, metric: Metric) -> Option<f64> {
        self.ci95.as_ref().map(|c| c[metric as usize])
    }

    /// The objectives missed and the causes behind them, as one text ("" when it meets them):
    /// what the console, report.html and the CSV's `slo_failures` say.
    pub fn misses_with_causes(&self) -> String {
        let mut text = self.slo_failures.join(", ");
        if !self.causes.is_empty() {
            text.push_str(": ");
            text.push_str(&self.causes.join("; "));
        }
        text
    }
}

/// The figures of one run, indexed like [`Metric::ALL`].
pub(crate) fn run_values(run: &RunOutput) -> Vec<f64> {
    Metric::ALL
        .iter()
        .map(|&metric| run_value(run, metric))
        .collect()
}

/// One figure of a run: its connections' and links' ([`figure_value`]), or its bill's, usage's
/// and device's.
fn run_value(run: &RunOutput, metric: Metric) -> f64 {
    if let Some(value) = figure_value(&run.figures, metric) {
        return value;
    }
    let f = &run.figures;
    match metric {
        Metric::CostFixedUsd => run.bill.fixed_usd,
        Metric::CostProcessingUsd => run.bill.processing_usd,
        Metric::CostTransferUsd => run.bill.transfer_usd,
        Metric::CostCrossAzUsd => run.bill.cross_az_usd,
        Metric::CostIpv4Usd => run.bill.ipv4_usd,
        Metric::CostTotalUsd => run.bill.total_usd(),
        Metric::CostMonthlyUsd => run.monthly_bill.total_usd(),
        Metric::BilledDeviceHours => run.usage.device_hours,
        Metric::BilledProcessedGb => run.usage.processed_gb,
        Metric::BilledEgressGb => run.usage.egress_gb,
        Metric::BilledCrossAzGb => run.usage.cross_az_gb,
        Metric::BilledIpv4Hours => run.usage.ipv4_hours,
        Metric::MonthlyFixedUsd => run.monthly_bill.fixed_usd,
        Metric::MonthlyProcessingUsd => run.monthly_bill.processing_usd,
        Metric::MonthlyTransferUsd => run.monthly_bill.transfer_usd,
        Metric::MonthlyCrossAzUsd => run.monthly_bill.cross_az_usd,
        Metric::MonthlyIpv4Usd => run.monthly_bill.ipv4_usd,
        Metric::PeakCapacityGbps => run.diagnostics.peak_capacity_bps / 1e9,
        Metric::BilledStandbyGatewayHours => run.usage.standby_gateway_hours,
        Metric::Utilization => f
            .utilization_peak
            .max(f.utilization_sustained)
            .max(f.credit_depth),
        Metric::UtilizationPeak => f.utilization_peak,
        Metric::UtilizationSustained => f.utilization_sustained,
        Metric::CreditDepth => f.credit_depth,
        Metric::CreditDrainPerHour => f.credit_drain_per_hour,
        Metric::CostStorageUsd => run.bill.storage_usd,
        Metric::CostEndpointHoursUsd => run.bill.endpoint_hours_usd,
        Metric::CostEndpointProcessingUsd => run.bill.endpoint_processing_usd,
        Metric::BilledStorageGbMonths => run.usage.storage_gb_months,
        Metric::BilledEndpointHours => run.usage.endpoint_hours,
        Metric::BilledEndpointGb => run.usage.endpoint_gb,
        Metric::MonthlyStorageUsd => run.monthly_bill.storage_usd,
        Metric::MonthlyEndpointHoursUsd => run.monthly_bill.endpoint_hours_usd,
        Metric::MonthlyEndpointProcessingUsd => run.monthly_bill.endpoint_processing_usd,
        // The addresses are the candidate's (its allowlisted workloads' as a whole).
        Metric::EgressIps => f.egress_ips,
        Metric::EgressIpsFixed => flag(f.egress_ips_fixed),
        Metric::CostStandbyUsd => run.bill.standby_usd,
        Metric::MonthlyStandbyUsd => run.monthly_bill.standby_usd,
        // Every other metric is a figure.
        _ => f64::NAN,
    }
}

/// A figure that [`Figures`] alone gives (what its connections did and what its links carried),
/// the same for a candidate and for one of its workloads; `None` for the bill's, the usage's and
/// the device's figures.
pub(crate) fn figure_value(f: &Figures, metric: Metric) -> Option<f64> {
    let gb = |bytes: f64| bytes / BYTES_PER_GB;
    // The window's traffic at a month's scale: every arrival, admitted or refused, so the figure
    // is the workload's and the same for every candidate, whatever each one refuses.
    let month_per_window = if f.window_s > 0.0 {
        HOURS_PER_MONTH * 3600.0 / f.window_s
    } else {
        0.0
    };
    let ratio = |a: f64, b: f64| if b > 0.0 { a / b } else { 0.0 };
    Some(match metric {
        Metric::OfferedGb => gb(f.offered_bytes),
        Metric::OutGb => gb(f.out_bytes),
        Metric::InGb => gb(f.in_bytes),
        Metric::DroppedGb => gb(f.dropped_bytes),
        Metric::DropRate => ratio(f.dropped_bytes, f.offered_bytes),
        Metric::ConnAttempts => f.conn_attempts as f64,
        Metric::ConnFailed => f.conn_failed() as f64,
        Metric::ConnFailRate => ratio(f.conn_failed() as f64, f.conn_attempts as f64),
        Metric::FailPortAllocation => f.fail_port_allocation as f64,
        Metric::FailConntrack => f.fail_conntrack as f64,
        Metric::IdleTimeouts => f.idle_timeouts as f64,
        Metric::PacketsDropped => f.packets_dropped,
        Metric::MeanGbps => f.mean_bps / 1e9,
        Metric::PeakGbps => f.peak_bps / 1e9,
        Metric::FctMeanS => f.fct_mean_s,
        Metric::FctP50S => f.fct_p50_s,
        Metric::FctP99S => f.fct_p99_s,
        Metric::SlowdownP99 => f.slowdown_p99,
        Metric::RefusedGb => gb(f.refused_bytes),
        Metric::InFlightGb => gb(f.in_flight_bytes),
        Metric::ConnCompleted => f.completed as f64,
        Metric::OpenConnMean => f.open_mean,
        Metric::SojournMeanS => f.sojourn_mean_s,
        Metric::ConnReset => f.conn_reset as f64,
        Metric::OutageS => f.outage_s,
        Metric::Availability => f.availability,
        Metric::FailOutage => f.fail_outage as f64,
        Metric::EndpointGb => gb(f.endpoint_bytes),
        Metric::FailUnsupported => f.fail_unsupported as f64,
        Metric::FailDns => f.fail_dns as f64,
        Metric::MonthlyTrafficGb => gb(f.offered_bytes + f.refused_bytes) * month_per_window,
        Metric::OfferedGbps => ratio(f.offered_bytes * 8.0, f.window_s) / 1e9,
        Metric::CarriedRatio => {
            let carried_or_moving = f.offered_bytes - f.dropped_bytes;
            if carried_or_moving > 0.0 {
                1.0 - f.backlog_bytes / carried_or_moving
            } else {
                1.0
            }
        }
        Metric::BacklogGb => gb(f.backlog_bytes),
        Metric::FctCensored => f.censored as f64,
        Metric::FctP99LowerBound => flag(f.fct_p99_lower_bound),
        Metric::SlowdownP99LowerBound => flag(f.slowdown_p99_lower_bound),
        Metric::InterfaceEndpointGb => gb(f.interface_endpoint_bytes),
        Metric::Ipv6Gb => gb(f.ipv6_bytes),
        _ => return None,
    })
}

/// A flag as a figure: averaged over replications it is the share where it held.
fn flag(value: bool) -> f64 {
    if value { 1.0 } else { 0.0 }
}

/// Aggregates a candidate's runs (at least one) and checks them against the objectives.
pub(crate) fn summarize(scenario: &Scenario, candidate: usize, runs: &[&RunOutput]) -> Summary {
    let per_run: Vec<Vec<f64>> = runs.iter().map(|run| run_values(run)).collect();
    let credits_exhausted_at_s = runs
        .iter()
        .filter_map(|r| r.diagnostics.credits_exhausted_at)
        .min()
        .map(ns_to_seconds);
    summarize_values(scenario, candidate, &per_run, credits_exhausted_at_s)
}

/// Aggregates a candidate's per-run figures (each indexed like [`Metric::ALL`], at least one run,
/// in replication order) and checks them against the objectives. Sweeps use it on figures read
/// back from their journal; the order of `per_run` fixes the order of every sum, so the result is
/// the same to the last bit whichever thread finished first.
pub(crate) fn summarize_values(
    scenario: &Scenario,
    candidate: usize,
    per_run: &[Vec<f64>],
    credits_exhausted_at_s: Option<f64>,
) -> Summary {
    let (values, ci95) = average(per_run, Metric::ALL.len());
    let spec = &scenario.candidates[candidate];
    let mut summary = Summary {
        candidate,
        name: spec.name.clone(),
        kind: spec.device.kind(),
        replications: per_run.len() as u32,
        values,
        ci95,
        meets_slo: true,
        slo_failures: Vec::new(),
        missed: Vec::new(),
        causes: Vec::new(),
        recommended: false,
        credits_exhausted_at_s,
        assumptions: spec.assumptions.clone(),
        objectives: scenario.slo.describe(),
        seed: scenario.seed,
    };
    let missed = objectives::misses(&scenario.slo, &measured(&summary));
    summary.missed = missed.iter().map(|m| m.objective).collect();
    summary.slo_failures = missed.into_iter().map(|m| m.text).collect();
    summary.meets_slo = summary.slo_failures.is_empty();
    summary.causes = crate::results::summary::diagnosis::causes(scenario, &summary);
    summary
}

/// The mean of each of the `columns` columns of `per_run` (runs in replication order), and with
/// two runs or more each column's 95 % half-width.
pub(crate) fn average(per_run: &[Vec<f64>], columns: usize) -> (Vec<f64>, Option<Vec<f64>>) {
    let n = per_run.len().max(1) as f64;
    let column = |i: usize| per_run.iter().map(move |v| v[i]);
    let values: Vec<f64> = (0..columns).map(|i| column(i).sum::<f64>() / n).collect();
    // One t quantile for every figure: they all have one value per run.
    let ci95 = crate::results::confidence::t_975(per_run.len()).map(|t| {
        (0..columns)
            .map(|i| {
                let figures: Vec<f64> = column(i).collect();
                crate::results::confidence::half_width_with(t, &figures)
            })
            .collect()
    });
    (values, ci95)
}

/// The figures the objectives judge, from a summary's averages.
pub(crate) fn measured(summary: &Summary) -> Measured {
    measured_from(|metric| summary.get(metric))
}

/// The figures the objectives judge, each read by `get`.
pub(crate) fn measured_from(get: impl Fn(Metric) -> f64) -> Measured {
    let drain = get(Metric::CreditDrainPerHour);
    Measured {
        drop_rate: get(Metric::DropRate),
        conn_fail_rate: get(Metric::ConnFailRate),
        slowdown_p99: get(Metric::SlowdownP99),
        slowdown_p99_lower_bound: get(Metric::SlowdownP99LowerBound) > 0.0,
        availability: get(Metric::Availability),
        carried_ratio: get(Metric::CarriedRatio),
        offered_gbps: get(Metric::OfferedGbps),
        carried_gbps: get(Metric::MeanGbps),
        backlog_gb: get(Metric::BacklogGb),
        utilization_peak: get(Metric::UtilizationPeak),
        utilization_sustained: get(Metric::UtilizationSustained),
        credit_depth: get(Metric::CreditDepth),
        credit_hours: if drain > 0.0 {
            1.0 / drain
        } else {
            f64::INFINITY
        },
        egress_ips: get(Metric::EgressIps),
        // The same in every replication (a property of the design), so the mean is 0 or 1.
        egress_ips_fixed: get(Metric::EgressIpsFixed) >= 1.0,
    }
}
