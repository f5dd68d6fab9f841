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
//! IdleTimeoutCount the connections the idle timeout cut.
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

/// One measured point and natsim's figure for it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Row {
    pub(crate) candidate: String,
    pub(crate) interval: usize,
    /// Seconds from the first measured timestamp.
    pub(crate) offset_s: i64,
    pub(crate) metric: Metric,
    pub(crate) measured: f64,
    pub(crate) natsim: f64,
}

/// A metric's total over the compared points, for one candidate.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Total {
    pub(crate) candidate: String,
    pub(crate) metric: Metric,
    pub(crate) points: usize,
    pub(crate) measured: f64,
    pub(crate) natsim: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Calibration {
    pub(crate) rows: Vec<Row>,
    pub(crate) totals: Vec<Total>,
    /// Measured points outside the run (per candidate, the same for each).
    pub(crate) outside: usize,
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

fn figure(metric: Metric, interval: &Interval) -> f64 {
    match metric {
        Metric::BytesOutToDestination => interval.out_bytes,
        Metric::BytesInFromDestination => interval.in_bytes,
        Metric::ActiveConnectionCount => interval.open_connections as f64,
        Metric::ConnectionAttemptCount => interval.conn_attempts as f64,
        Metric::ErrorPortAllocation => interval.refused_port_allocation as f64,
        Metric::PacketsDropCount => interval.packets_dropped,
        Metric::IdleTimeoutCount => interval.idle_timeouts as f64,
    }
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
    let run_end_s = crate::util::units::ns_to_seconds(scenario.duration_ns);
    for candidate in gateway_candidates(scenario) {
        let name = scenario.candidates[candidate].name.clone();
        let runs: Vec<_> = result
            .runs
            .iter()
            .filter(|r| r.candidate == candidate)
            .collect();
        outside = 0;
        for series in &measured.series {
            let mut total = Total {
                candidate: name.clone(),
                metric: series.metric,
                points: 0,
                measured: 0.0,
                natsim: 0.0,
            };
            for (interval, &(at, value)) in series.points.iter().enumerate() {
                let offset_s = at - measured.start_s;
                let (from, to) = (offset_s as f64, (offset_s + measured.period_s) as f64);
                if from >= run_end_s {
                    outside += 1;
                    continue;
                }
                let per_run = runs.iter().map(|run| {
                    let inside = run
                        .timeseries
                        .iter()
                        .filter(|i| i.start_s >= from - 1e-9 && i.start_s < to - 1e-9)
                        .map(|i| figure(series.metric, i));
                    if series.metric.is_sum() {
                        inside.sum::<f64>()
                    } else {
                        inside.fold(0.0, f64::max)
                    }
                });
                let natsim = per_run.sum::<f64>() / runs.len().max(1) as f64;
                total.points += 1;
                total.measured += value;
                total.natsim += natsim;
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
                total.natsim /= total.points as f64;
            }
            totals.push(total);
        }
    }
    Calibration {
        rows,
        totals,
        outside,
    }
}

impl Calibration {
    /// One line per candidate and metric, then a warning for each byte metric natsim misses by
    /// more than [`BYTES_TOLERANCE`].
    pub(crate) fn lines(&self) -> Vec<String> {
        let mut lines = Vec::new();
        for t in &self.totals {
            let what = if t.metric.is_sum() { "total" } else { "mean" };
            lines.push(format!(
                "calibration: {} {}: {what} measured {}, natsim {}, error {} over {} point(s)",
                t.candidate,
                t.metric.name(),
                short(t.measured),
                short(t.natsim),
                percent(relative_error(t.measured, t.natsim)),
                t.points
            ));
        }
        if self.outside > 0 {
            lines.push(format!(
                "calibration: {} measured point(s) fall after the scenario's duration and were left out",
                self.outside
            ));
        }
        for t in self.totals.iter().filter(|t| {
            matches!(
                t.metric,
                Metric::BytesOutToDestination | Metric::BytesInFromDestination
            )
        }) {
            let error = relative_error(t.measured, t.natsim);
            if error.is_none_or(|e| e.abs() > BYTES_TOLERANCE) {
                lines.push(format!(
                    "calibration: WARNING: {}'s {} misses the measured bytes by {} (more than {:.0} %): the scenario's traffic is not the measured traffic",
                    t.candidate,
                    t.metric.name(),
                    percent(error),
                    BYTES_TOLERANCE * 100.0
                ));
            }
        }
        lines
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

    fn total(metric: Metric, measured: f64, natsim: f64) -> Total {
        Total {
            candidate: "natgw".into(),
            metric,
            points: 3,
            measured,
            natsim,
        }
    }

    #[test]
    fn bytes_missed_by_more_than_5_percent_are_said_plainly() {
        let calibration = Calibration {
            rows: Vec::new(),
            totals: vec![
                total(Metric::BytesOutToDestination, 100.0, 104.0),
                total(Metric::BytesInFromDestination, 100.0, 90.0),
                total(Metric::ActiveConnectionCount, 10.0, 20.0),
                total(Metric::ErrorPortAllocation, 0.0, 2.0),
            ],
            outside: 1,
        };
        let lines = calibration.lines();
        assert_eq!(
            lines[0],
            "calibration: natgw BytesOutToDestination: total measured 100, natsim 104, error +4.00 % over 3 point(s)"
        );
        assert!(lines[2].contains("mean measured 10, natsim 20, error +100.00 %"));
        assert!(lines[3].contains("undefined (measured 0)"));
        assert!(lines[4].contains("1 measured point(s) fall after"));
        let warnings: Vec<_> = lines.iter().filter(|l| l.contains("WARNING")).collect();
        assert_eq!(warnings.len(), 1, "{lines:?}");
        assert!(
            warnings[0].contains("BytesInFromDestination misses the measured bytes by -10.00 %")
        );
    }
}
