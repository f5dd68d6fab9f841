//! A run against measured CloudWatch metrics: each NAT gateway candidate's per-interval series,
//! averaged over replications, beside the measured one.
//!
//! *Alignment:* natsim's time zero is the measured series' first timestamp (over all metrics):
//! a replayed trace starts at its first flow-log record, so give CloudWatch's `--start-time`
//! as the logs' first minute. A measured point at time t stands for the period
//! [t − t0, t − t0 + P) of the run, P the file's period (the smallest spacing of its
//! timestamps), and is compared with natsim's one-minute intervals that start in it: the sum
//! of their figures for the sums and counts, and the largest open-connection count sampled at
//! their ends for ActiveConnectionCount (so query that one with the Maximum statistic, the
//! others with Sum). Measured points outside the run are left out and counted.
//! The metric's natsim figure: BytesOutToDestination and BytesInFromDestination the bytes
//! delivered toward the internet and back, ConnectionAttemptCount the connections arriving,
//! ErrorPortAllocation the port-allocation refusals, PacketsDropCount the dropped packets,
//! IdleTimeoutCount the connections the idle timeout cut (in the interval of the cut). A metric
//! natsim does not simulate (`Metric::simulated`) has no figure: its rows carry the measured
//! value alone and it is reported as not simulated, never compared with a zero.
//!
//! The error is (natsim − measured) / measured, for each point and for the metric's total
//! (the sums, or the means for ActiveConnectionCount); undefined where the measured figure is 0
//! and natsim's is not.

use super::{Measured, Metric};
use crate::model::scenario::Scenario;
use crate::model::sim::Interval;
use crate::results::batch::ScenarioResult;

/// The share natsim's bytes may miss the measured bytes by before the calibration says so.
pub(crate) const BYTES_TOLERANCE: f64 = 0.05;

/// Said when the file has neither byte metric: the traffic itself goes unchecked.
pub(crate) const NO_BYTES: &str = "the file has neither BytesOutToDestination nor BytesInFromDestination, so the scenario's traffic is not checked; query them with the Sum statistic";

/// One measured point and natsim's figure for it (`None`: not simulated).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Row {
    pub(crate) candidate: String,
    pub(crate) interval: usize,
    /// Seconds from the first measured timestamp.
    pub(crate) offset_s: i64,
    pub(crate) metric: Metric,
    pub(crate) measured: f64,
    pub(crate) natsim: Option<f64>,
}

/// A metric's total over the compared points, for one candidate (`natsim` is `None` when the
/// metric is not simulated).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Total {
    pub(crate) candidate: String,
    pub(crate) metric: Metric,
    pub(crate) points: usize,
    pub(crate) measured: f64,
    pub(crate) natsim: Option<f64>,
}

impl Total {
    /// The total's error, `None` when undefined or not simulated.
    pub(crate) fn error(&self) -> Option<f64> {
        self.natsim.and_then(|n| relative_error(self.measured, n))
    }

    /// Whether this is a byte metric natsim misses by more than [`BYTES_TOLERANCE`] (or with
    /// an undefined error).
    pub(crate) fn misses_bytes(&self) -> bool {
        is_bytes(self.metric)
            && self.natsim.is_some()
            && self.error().is_none_or(|e| e.abs() > BYTES_TOLERANCE)
    }
}

/// The metrics the traffic is judged on: the bytes each way through the gateway.
pub(crate) fn is_bytes(metric: Metric) -> bool {
    matches!(
        metric,
        Metric::BytesOutToDestination | Metric::BytesInFromDestination
    )
}

/// A run's NAT gateway candidates against one measured file.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Calibration {
    /// The CloudWatch file as named.
    pub(crate) source: String,
    /// The first measured timestamp (natsim's time zero), Unix seconds, and the period.
    pub(crate) start_s: i64,
    pub(crate) period_s: i64,
    /// The replications natsim's figures are averaged over.
    pub(crate) replications: usize,
    /// The NAT gateway candidates compared, in the scenario's order.
    pub(crate) candidates: Vec<String>,
    pub(crate) rows: Vec<Row>,
    pub(crate) totals: Vec<Total>,
    /// Measured points outside the run (per candidate, the same for each).
    pub(crate) outside: usize,
    /// The file's results that name no NAT gateway metric, quoted.
    pub(crate) ignored: Vec<String>,
}

/// (natsim − measured) / measured; 0 when both are 0, `None` when only the measured one is.
pub(crate) fn relative_error(measured: f64, natsim: f64) -> Option<f64> {
    if measured != 0.0 {
        Some((natsim - measured) / measured)
    } else if natsim == 0.0 {
        Some(0.0)
    } else {
        None
    }
}

/// The candidates CloudWatch's NAT gateway metrics describe: the `nat_gateway` ones.
pub(crate) fn gateway_candidates(scenario: &Scenario) -> Vec<usize> {
    (0..scenario.candidates.len())
        .filter(|&c| scenario.candidates[c].device.kind() == "nat_gateway")
        .collect()
}

/// natsim's figure for a simulated metric in one interval (`None` for the others).
fn figure(metric: Metric, interval: &Interval) -> Option<f64> {
    Some(match metric {
        Metric::BytesOutToDestination => interval.out_bytes,
        Metric::BytesInFromDestination => interval.in_bytes,
        Metric::ActiveConnectionCount => interval.open_connections as f64,
        Metric::ConnectionAttemptCount => interval.conn_attempts as f64,
        Metric::ErrorPortAllocation => interval.refused_port_allocation as f64,
        Metric::PacketsDropCount => interval.packets_dropped,
        Metric::IdleTimeoutCount => interval.idle_timeouts as f64,
        _ => return None,
    })
}

/// Compares every NAT gateway candidate of `result` with `measured` by the rules above.
pub(crate) fn calibrate(
    scenario: &Scenario,
    result: &ScenarioResult,
    measured: &Measured,
) -> Calibration {
    let mut rows = Vec::new();
    let mut totals = Vec::new();
    let mut outside = 0;
    let mut candidates = Vec::new();
    let run_end_s = crate::util::units::ns_to_seconds(scenario.duration_ns);
    for candidate in gateway_candidates(scenario) {
        let name = scenario.candidates[candidate].name.clone();
        candidates.push(name.clone());
        let runs: Vec<&[Interval]> = result
            .runs
            .iter()
            .filter(|r| r.candidate == candidate)
            .map(|r| r.timeseries.as_slice())
            .collect();
        outside = 0;
        for series in &measured.series {
            let simulated = series.metric.simulated();
            let mut total = Total {
                candidate: name.clone(),
                metric: series.metric,
                points: 0,
                measured: 0.0,
                natsim: simulated.then_some(0.0),
            };
            for (interval, &(at, value)) in series.points.iter().enumerate() {
                let offset_s = at - measured.start_s;
                if offset_s as f64 >= run_end_s {
                    outside += 1;
                    continue;
                }
                let natsim = simulated.then(|| {
                    let period = (offset_s as f64, (offset_s + measured.period_s) as f64);
                    mean_over_runs(series.metric, &runs, period)
                });
                total.points += 1;
                total.measured += value;
                total.natsim = total.natsim.zip(natsim).map(|(t, n)| t + n);
                rows.push(Row {
                    candidate: name.clone(),
                    interval,
                    offset_s,
                    metric: series.metric,
                    measured: value,
                    natsim,
                });
            }
            if !series.metric.is_sum() && total.points > 0 {
                total.measured /= total.points as f64;
                total.natsim = total.natsim.map(|n| n / total.points as f64);
            }
            totals.push(total);
        }
    }
    Calibration {
        source: measured.source.clone(),
        start_s: measured.start_s,
        period_s: measured.period_s,
        replications: scenario.replications as usize,
        candidates,
        rows,
        totals,
        outside,
        ignored: measured.ignored.clone(),
    }
}

/// natsim's figure for the measured period `[from, to)` seconds, averaged over the runs: the sum
/// of the one-minute intervals starting in it, or their largest value for a level.
fn mean_over_runs(metric: Metric, runs: &[&[Interval]], (from, to): (f64, f64)) -> f64 {
    let per_run = runs.iter().map(|timeseries| {
        let inside = timeseries
            .iter()
            .filter(|i| i.start_s >= from - 1e-9 && i.start_s < to - 1e-9)
            .filter_map(|i| figure(metric, i));
        if metric.is_sum() {
            inside.sum::<f64>()
        } else {
            inside.fold(0.0, f64::max)
        }
    });
    per_run.sum::<f64>() / runs.len().max(1) as f64
}

impl Calibration {
    /// One line per candidate and simulated metric, one per metric natsim does not simulate,
    /// the points and results left out, then [`Calibration::warnings`].
    pub(crate) fn lines(&self) -> Vec<String> {
        let mut lines = Vec::new();
        for t in &self.totals {
            let what = if t.metric.is_sum() { "total" } else { "mean" };
            let Some(natsim) = t.natsim else {
                continue;
            };
            lines.push(format!(
                "calibration: {} {}: {what} measured {}, natsim {}, error {} over {} point(s)",
                t.candidate,
                t.metric.name(),
                short(t.measured),
                short(natsim),
                percent(t.error()),
                t.points
            ));
        }
        for (metric, because) in self.not_simulated() {
            lines.push(format!(
                "calibration: {}: not simulated ({because}); read, not compared",
                metric.name()
            ));
        }
        if self.outside > 0 {
            lines.push(format!(
                "calibration: {} measured point(s) fall after the scenario's duration and were left out",
                self.outside
            ));
        }
        if self.bytes_compared().is_empty() {
            lines.push(format!("calibration: {NO_BYTES}"));
        }
        if !self.ignored.is_empty() {
            lines.push(format!(
                "calibration: ignored {} result(s) that name no NAT gateway metric: {}",
                self.ignored.len(),
                self.ignored.join(", ")
            ));
        }
        lines.extend(
            self.warnings()
                .into_iter()
                .map(|w| format!("calibration: WARNING: {w}")),
        );
        lines
    }

    /// One sentence for each byte metric a candidate misses by more than [`BYTES_TOLERANCE`].
    pub(crate) fn warnings(&self) -> Vec<String> {
        self.totals
            .iter()
            .filter(|t| t.misses_bytes())
            .map(|t| {
                format!(
                    "{}'s {} misses the measured bytes by {} (more than {:.0} %): the scenario's traffic is not the measured traffic",
                    t.candidate,
                    t.metric.name(),
                    percent(t.error()),
                    BYTES_TOLERANCE * 100.0
                )
            })
            .collect()
    }

    /// The byte metrics measured (each once), which the traffic is judged on.
    pub(crate) fn bytes_compared(&self) -> Vec<Metric> {
        let mut metrics: Vec<Metric> = self
            .totals
            .iter()
            .map(|t| t.metric)
            .filter(|&m| is_bytes(m))
            .collect();
        metrics.sort();
        metrics.dedup();
        metrics
    }

    /// The simulated metrics measured, split into those with a non-zero figure (measured or
    /// natsim's) at some point, worth a chart, and those zero throughout.
    pub(crate) fn charted(&self) -> (Vec<Metric>, Vec<Metric>) {
        let mut metrics: Vec<Metric> = self
            .totals
            .iter()
            .filter(|t| t.natsim.is_some())
            .map(|t| t.metric)
            .collect();
        metrics.sort();
        metrics.dedup();
        metrics.into_iter().partition(|&m| {
            self.rows
                .iter()
                .any(|r| r.metric == m && (r.measured != 0.0 || r.natsim.is_some_and(|n| n != 0.0)))
        })
    }

    /// The measured metrics natsim does not simulate, once each, with the reason.
    pub(crate) fn not_simulated(&self) -> Vec<(Metric, &'static str)> {
        let mut metrics: Vec<(Metric, &'static str)> = self
            .totals
            .iter()
            .filter_map(|t| Some((t.metric, t.metric.not_simulated_because()?)))
            .collect();
        metrics.sort_by_key(|m| m.0);
        metrics.dedup_by_key(|m| m.0);
        metrics
    }
}

/// `+1.23 %`, or `undefined (measured 0)`.
pub(crate) fn percent(error: Option<f64>) -> String {
    match error {
        Some(e) => format!("{:+.2} %", e * 100.0),
        None => "undefined (measured 0)".to_string(),
    }
}

fn short(value: f64) -> String {
    if value.abs() >= 1e6 {
        format!("{value:.4e}")
    } else {
        format!("{}", (value * 100.0).round() / 100.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn total(metric: Metric, measured: f64, natsim: Option<f64>) -> Total {
        Total {
            candidate: "natgw".into(),
            metric,
            points: 3,
            measured,
            natsim,
        }
    }

    fn calibration(totals: Vec<Total>) -> Calibration {
        Calibration {
            source: "cw.json".into(),
            start_s: 0,
            period_s: 60,
            replications: 1,
            candidates: vec!["natgw".into()],
            rows: Vec::new(),
            totals,
            outside: 1,
            ignored: vec!["\"CPUUtilization\"".into()],
        }
    }

    #[test]
    fn bytes_missed_by_more_than_5_percent_are_said_plainly() {
        let lines = calibration(vec![
            total(Metric::BytesOutToDestination, 100.0, Some(104.0)),
            total(Metric::BytesInFromDestination, 100.0, Some(90.0)),
            total(Metric::ActiveConnectionCount, 10.0, Some(20.0)),
            total(Metric::ErrorPortAllocation, 0.0, Some(2.0)),
        ])
        .lines();
        assert_eq!(
            lines[0],
            "calibration: natgw BytesOutToDestination: total measured 100, natsim 104, error +4.00 % over 3 point(s)"
        );
        assert!(lines[2].contains("mean measured 10, natsim 20, error +100.00 %"));
        assert!(lines[3].contains("undefined (measured 0)"));
        assert!(lines[4].contains("1 measured point(s) fall after"));
        assert!(
            lines[5].contains(
                "ignored 1 result(s) that name no NAT gateway metric: \"CPUUtilization\""
            )
        );
        let warnings: Vec<_> = lines.iter().filter(|l| l.contains("WARNING")).collect();
        assert_eq!(warnings.len(), 1, "{lines:?}");
        assert!(
            warnings[0].contains("BytesInFromDestination misses the measured bytes by -10.00 %")
        );
    }

    #[test]
    fn a_metric_natsim_does_not_simulate_is_said_so_once_and_never_compared() {
        let mut totals = vec![
            total(Metric::BytesOutToSource, 5e6, None),
            total(Metric::BytesOutToDestination, 100.0, Some(100.0)),
        ];
        totals.push(Total {
            candidate: "natgw-2".into(),
            ..totals[0].clone()
        });
        let c = calibration(totals);
        let lines = c.lines();
        let said: Vec<_> = lines
            .iter()
            .filter(|l| l.contains("BytesOutToSource"))
            .collect();
        assert_eq!(said.len(), 1, "{lines:?}");
        assert!(said[0].contains("not simulated"), "{}", said[0]);
        assert!(!said[0].contains("error"), "{}", said[0]);
        assert!(c.warnings().is_empty());
        assert_eq!(c.totals[0].error(), None);
    }
}
