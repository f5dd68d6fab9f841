//! A run's figures: the monthly bill by line (`cost`), throughput against the capacity that
//! binds (`throughput`), utilisation against what each option holds indefinitely
//! (`utilization`), refusals and drops (`refusals`); with `--cloudwatch`, the `calibration`
//! figure; and a batch's bills. Each with its caption.

use super::ticks::Unit;
use super::{
    Axis, Bars, Figure, Lines, MEASURED_COLOR, Marks, Panel, Segment, Series, Shape, Stroke,
    time_unit,
};
use crate::engine::fluid::Limit;
use crate::io::cloudwatch::Metric as CloudWatchMetric;
use crate::io::cloudwatch::calibrate::Calibration;
use crate::io::cloudwatch::{format_utc_minute, period_text};
use crate::io::report::batch::BatchEntry;
use crate::io::scenario::Scenario;
use crate::model::objectives::Objective;
use crate::model::sim::{Bound, Interval};
use crate::results::batch::ScenarioResult;
use crate::results::summary::{Metric, Summary};

/// The lines of a monthly bill, in the order the bars stack them: (metric, legend label, colour).
/// The first five are always shown; the others ([`bill_lines`]) only when a candidate pays them.
///
/// The run document's bill (`document::CostLines`) is the list of lines the tables and
/// `natsim diff` share; this one is the plot's own, as its order (which decides what is always
/// shown), labels and colours are the figure's, and it stacks the interface endpoints' hours and
/// processing apart where the document adds them up. Its metrics are the month's behind the
/// document's lines (`document::METRICS`), total aside, each once; a test holds the two together.
pub(crate) const BILL_LINES: [(Metric, &str, usize); 9] = [
    (Metric::MonthlyFixedUsd, "hours (gateway or instances)", 0),
    (Metric::MonthlyProcessingUsd, "NAT gateway processing", 3),
    (Metric::MonthlyTransferUsd, "data transfer out (egress)", 1),
    (Metric::MonthlyCrossAzUsd, "cross-AZ transfer", 4),
    (Metric::MonthlyIpv4Usd, "public IPv4 addresses", 7),
    (
        Metric::MonthlyStandbyUsd,
        "standby NAT gateway (fallback) hours",
        8,
    ),
    (Metric::MonthlyStorageUsd, "instances' EBS volumes", 5),
    (
        Metric::MonthlyEndpointHoursUsd,
        "interface endpoint hours",
        2,
    ),
    (
        Metric::MonthlyEndpointProcessingUsd,
        "interface endpoint processing",
        6,
    ),
];

/// The bill's lines for `summaries`: every line some candidate pays, and the first five always,
/// so a bill's lines add up to its total and bills without endpoints keep their columns.
pub(crate) fn bill_lines(summaries: &[&Summary]) -> Vec<(Metric, &'static str, usize)> {
    BILL_LINES
        .iter()
        .enumerate()
        .filter(|&(i, &(metric, _, _))| i < 5 || summaries.iter().any(|s| s.get(metric) > 0.0))
        .map(|(_, &line)| line)
        .collect()
}

/// The figures of a run: `cost`, `throughput`, `utilization`, `refusals`.
pub(crate) fn run_figures(scenario: &Scenario, result: &ScenarioResult) -> Vec<Figure> {
    vec![
        bill_figure(scenario, result),
        throughput_figure(scenario, result),
        utilization_figure(scenario, result),
        refusals_figure(scenario, result),
    ]
}

/// Dollars with thousands separators and cents: `$2,301.70`.
pub(crate) fn dollars(value: f64) -> String {
    let cents = (value.abs() * 100.0).round() as u64;
    let whole = (cents / 100).to_string();
    let mut grouped = String::new();
    for (i, digit) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    let sign = if value < 0.0 { "-" } else { "" };
    format!("{sign}${grouped}.{:02}", cents % 100)
}

/// The text right of a bill's bar: its total (± its 95 % half-width with replications), and
/// (with `verdict`) whether it is recommended or misses the objectives.
fn bill_note(summary: &Summary, verdict: bool) -> String {
    let total = summary.get(Metric::CostMonthlyUsd);
    let mut note = dollars(total);
    if let Some(half) = summary.ci95(Metric::CostMonthlyUsd) {
        note.push_str(&format!(" ± {}", dollars(half)));
    }
    if !verdict {
        return note;
    }
    if summary.recommended {
        note.push_str("  ★ recommended");
    } else if !summary.meets_slo {
        note.push_str("  misses the objectives");
    }
    note
}

/// Bars of monthly bills by line, one per summary, named `names`; with `verdict`, each note
/// says whether its candidate is recommended or misses the objectives.
fn bill_bars(title: &str, names: Vec<String>, summaries: &[&Summary], verdict: bool) -> Bars {
    let has_ci = summaries
        .iter()
        .any(|s| s.ci95(Metric::CostMonthlyUsd).is_some());
    Bars {
        title: title.to_string(),
        value: Axis::new("USD per 730-hour month", Unit::Usd, false),
        categories: names,
        segments: bill_lines(summaries)
            .into_iter()
            .map(|(metric, label, color)| Segment {
                label: label.to_string(),
                color,
                values: summaries.iter().map(|s| s.get(metric)).collect(),
            })
            .collect(),
        notes: summaries.iter().map(|s| bill_note(s, verdict)).collect(),
        errors: has_ci.then(|| {
            summaries
                .iter()
                .map(|s| s.ci95(Metric::CostMonthlyUsd).unwrap_or(0.0))
                .collect()
        }),
    }
}

/// What the bill's caption says about the replications.
fn replications_note(replications: u32) -> String {
    if replications > 1 {
        format!(
            " Each line is the mean over {replications} replications; the whisker and ± give the total's 95 % confidence interval."
        )
    } else {
        String::new()
    }
}

/// `cost`: each candidate's bill for a 730-hour month at the run's traffic, by line.
fn bill_figure(scenario: &Scenario, result: &ScenarioResult) -> Figure {
    let summaries: Vec<&Summary> = result.summaries.iter().collect();
    let names = summaries.iter().map(|s| s.name.clone()).collect();
    let standby = summaries
        .iter()
        .any(|s| s.get(Metric::BilledStandbyGatewayHours) > 0.0);
    Figure {
        name: "cost",
        caption: format!(
            "Each candidate's bill for a 730-hour month at the run's traffic, stacked by line: hours of the NAT gateway or instances{}, NAT gateway processing per GB, data transfer out to the internet, cross-AZ transfer, public IPv4 addresses (the monthly_*_usd columns of summary.csv). The text right of each bar is the month's total; ★ marks the recommended candidate, the cheapest that meets the objectives.{}",
            if standby {
                " (with a fallback's standby NAT gateway)"
            } else {
                ""
            },
            replications_note(scenario.replications)
        ),
        panels: vec![Panel::Bars(bill_bars(
            "monthly bill by line",
            names,
            &summaries,
            true,
        ))],
    }
}

/// `batch`: the recommended candidate's monthly bill in each scenario of a batch, by line
/// (scenarios where none meets the objectives are left out). `None` when no scenario has one.
pub(crate) fn batch_figure(entries: &[BatchEntry]) -> Option<Figure> {
    let winners: Vec<(&BatchEntry, &Summary)> = entries
        .iter()
        .filter_map(|e| e.summaries.iter().find(|s| s.recommended).map(|s| (e, s)))
        .collect();
    if winners.is_empty() {
        return None;
    }
    let names = winners
        .iter()
        .map(|(e, s)| format!("{}: {}", e.scenario, s.name))
        .collect();
    let summaries: Vec<&Summary> = winners.iter().map(|(_, s)| *s).collect();
    Some(Figure {
        name: "batch",
        caption: "For each scenario, its recommended candidate (named after the colon) and that candidate's bill for a 730-hour month, stacked by line as in each report's cost chart. Scenarios where no candidate meets the objectives have no bar.".into(),
        panels: vec![Panel::Bars(bill_bars(
            "recommended option's monthly bill, per scenario",
            names,
            &summaries,
            false,
        ))],
    })
}

/// Candidate `index`'s line over a time series: solid (dashes break up on a jagged line),
/// told apart by colour, width, marker shape and the legend at its end.
fn minute_line(index: usize, name: &str, points: Vec<(f64, f64)>) -> Series {
    Series {
        stroke: Stroke::Solid,
        ..Series::candidate(index, name, points)
    }
}

/// Most points a time-series line gets: a longer run's minutes are averaged in buckets, so a day
/// of bursty minutes reads as a line rather than a barcode.
const MAX_TIME_POINTS: usize = 300;

/// Minutes per drawn point for a series of `minutes` rows.
fn minutes_per_point(minutes: usize) -> usize {
    minutes.div_ceil(MAX_TIME_POINTS).max(1)
}

/// `points` averaged in buckets of `per_point` (x: each bucket's first; y: the mean of its
/// finite values, NaN when it has none).
fn bucketed(points: Vec<(f64, f64)>, per_point: usize) -> Vec<(f64, f64)> {
    if per_point <= 1 {
        return points;
    }
    points
        .chunks(per_point)
        .map(|bucket| {
            let finite: Vec<f64> = bucket
                .iter()
                .map(|p| p.1)
                .filter(|y| y.is_finite())
                .collect();
            let y = if finite.is_empty() {
                f64::NAN
            } else {
                finite.iter().sum::<f64>() / finite.len() as f64
            };
            (bucket[0].0, y)
        })
        .collect()
}

/// What a time-series caption says about its points: per minute, or the mean of several.
fn per_point_text(per_point: usize) -> String {
    if per_point <= 1 {
        "per minute".into()
    } else {
        format!("per minute, each point the mean of {per_point} minutes")
    }
}

/// Replication 0's time series of `candidate` (every run has one).
fn series_of(result: &ScenarioResult, candidate: usize) -> &[Interval] {
    result
        .runs
        .iter()
        .find(|r| r.candidate == candidate && r.replication == 0)
        .map(|r| r.timeseries.as_slice())
        .unwrap_or(&[])
}

/// "bandwidth", "packets per second", or both in the order they first bound.
fn limits_text(bounds: impl Iterator<Item = Option<Bound>>) -> String {
    let mut seen: Vec<Limit> = Vec::new();
    for bound in bounds.flatten() {
        if !seen.contains(&bound.limit) {
            seen.push(bound.limit);
        }
    }
    let name = |limit: &Limit| match limit {
        Limit::Bandwidth => "bandwidth",
        Limit::PacketsPerSecond => "packets per second",
    };
    match seen.as_slice() {
        [] => "none".into(),
        [one] => name(one).into(),
        [first, second, ..] => format!("{}, then {}", name(first), name(second)),
    }
}

/// The replications part of a time-series caption.
fn replication_0(replications: u32) -> String {
    if replications > 1 {
        format!(
            " of replication 0 (of {replications}; the tables give every figure's 95 % confidence interval)"
        )
    } else {
        String::new()
    }
}

/// `throughput`: one panel per candidate.
fn throughput_figure(scenario: &Scenario, result: &ScenarioResult) -> Figure {
    let (scale_s, unit) = time_unit(scenario.duration_ns as f64 / 1e9);
    let x = Axis::new("time", unit, false);
    let per_point = minutes_per_point(series_of(result, 0).len());
    let mut any_endpoint = false;
    let panels = scenario
        .candidates
        .iter()
        .enumerate()
        .map(|(c, candidate)| {
            let rows = series_of(result, c);
            let line = |f: &dyn Fn(&Interval) -> f64| -> Vec<(f64, f64)> {
                let points = rows.iter().map(|r| (r.start_s / scale_s, f(r))).collect();
                bucketed(points, per_point)
            };
            let mut series = vec![
                Series::styled(
                    "offered",
                    7,
                    Stroke::Solid,
                    Shape::Circle,
                    line(&|r| r.offered_bps / 1e9),
                ),
                Series::styled(
                    "delivered through the device",
                    0,
                    Stroke::Solid,
                    Shape::Square,
                    line(&|r| r.delivered_bps / 1e9),
                ),
            ];
            if rows.iter().any(|r| r.bypassed_bps > 0.0) {
                any_endpoint = true;
                // Named for what carried the bytes: the gateway endpoint alone, or with
                // interface endpoints or an egress-only internet gateway beside it.
                let label = if rows.iter().all(|r| r.bypassed_bps == r.endpoint_bps) {
                    "via the S3/DynamoDB gateway endpoint (past the device)"
                } else {
                    "past the device (endpoints, egress-only internet gateway)"
                };
                series.push(Series::styled(
                    label,
                    2,
                    Stroke::Dotted,
                    Shape::Triangle,
                    line(&|r| r.bypassed_bps / 1e9),
                ));
            }
            series.push(Series::styled(
                format!(
                    "capacity now, set by {}",
                    limits_text(rows.iter().map(|r| r.capacity))
                ),
                1,
                Stroke::Dashed,
                Shape::Diamond,
                line(&|r| r.capacity.map_or(f64::NAN, |b| b.value / 1e9)),
            ));
            series.push(Series::styled(
                format!(
                    "sustained capacity, set by {}",
                    limits_text(rows.iter().map(|r| r.sustained))
                ),
                4,
                Stroke::LongDashed,
                Shape::Cross,
                line(&|r| r.sustained.map_or(f64::NAN, |b| b.value / 1e9)),
            ));
            Panel::Lines(Lines {
                title: format!(
                    "{}: throughput against capacity (log scale)",
                    candidate.name
                ),
                x: x.clone(),
                y: Axis::new("both directions", Unit::Gbps, true),
                series,
                markers: Vec::new(),
                limits: Vec::new(),
            })
        })
        .collect();
    let endpoint = if any_endpoint {
        " Bytes a candidate sends through an S3/DynamoDB gateway endpoint, interface endpoints or an egress-only internet gateway never reach its device: they are drawn on their own line, and delivered through the device sits below offered by them with nothing dropped."
    } else {
        ""
    };
    Figure {
        name: "throughput",
        caption: format!(
            "One panel per candidate, {}{}, both directions together, on a log scale. Offered: the bytes of every connection arriving that minute, refused ones included. Delivered: what the device moved that minute. Capacity now: the most the device could move of traffic shaped like what it has carried (its bandwidth each way over that direction's share of the bytes, or its packets per second times the bytes per packet, whichever is lower: the legend names the limit that binds). Sustained capacity: the same from what the device holds indefinitely (baseline bandwidth without burst credits, a NAT gateway scaled to its maximum).{endpoint}",
            per_point_text(per_point),
            replication_0(scenario.replications)
        ),
        panels,
    }
}

/// `utilization`: the busiest path's load over what it holds indefinitely, per minute.
fn utilization_figure(scenario: &Scenario, result: &ScenarioResult) -> Figure {
    let (scale_s, unit) = time_unit(scenario.duration_ns as f64 / 1e9);
    let per_point = minutes_per_point(series_of(result, 0).len());
    let series = scenario
        .candidates
        .iter()
        .enumerate()
        .map(|(c, candidate)| {
            let rows = series_of(result, c);
            let packets = rows
                .iter()
                .filter(|r| {
                    r.utilization.limit == Limit::PacketsPerSecond && r.utilization.value > 0.0
                })
                .count();
            let label = if packets * 2 > rows.len() {
                format!("{} (packets per second)", candidate.name)
            } else {
                candidate.name.clone()
            };
            let points = rows
                .iter()
                .map(|r| (r.start_s / scale_s, r.utilization.value))
                .collect();
            minute_line(c, &label, bucketed(points, per_point))
        })
        .collect();
    let limit = scenario.slo.limit(Objective::MaxUtilization).value;
    let limits = limit
        .map(|l| {
            vec![(
                l,
                format!(
                    "objective: utilisation ≤ {}",
                    Objective::MaxUtilization.show(l)
                ),
            )]
        })
        .unwrap_or_default();
    Figure {
        name: "utilization",
        caption: format!(
            "Per candidate, {}{}: the busiest instance's or gateway's load over what it holds indefinitely, on a log scale: the higher of either direction's bytes over its baseline bandwidth (a NAT gateway's maximum) and its packets over its packet allowance; the legend says when packets per second is the higher for most minutes. Above 100 %, an instance is spending burst credits it cannot keep. The dashed line is the utilisation objective; the objective itself judges the statistics window's mean, the busiest minute against burst bandwidth and the credits drawn (the summary's utilization column).",
            per_point_text(per_point),
            replication_0(scenario.replications)
        ),
        panels: vec![Panel::Lines(Lines {
            title: "utilisation of sustained capacity (log scale)".into(),
            x: Axis::new("time", unit, false),
            y: Axis::new("busiest path", Unit::Percent, true),
            series,
            markers: Vec::new(),
            limits,
        })],
    }
}

/// `refusals`: refused connections and dropped packets per minute.
fn refusals_figure(scenario: &Scenario, result: &ScenarioResult) -> Figure {
    let (scale_s, unit) = time_unit(scenario.duration_ns as f64 / 1e9);
    let per_point = minutes_per_point(series_of(result, 0).len());
    let per_candidate = |f: &dyn Fn(&Interval) -> f64| -> Vec<Series> {
        scenario
            .candidates
            .iter()
            .enumerate()
            .map(|(c, candidate)| {
                let points = series_of(result, c)
                    .iter()
                    .map(|row| (row.start_s / scale_s, f(row)))
                    .collect();
                minute_line(c, &candidate.name, bucketed(points, per_point))
            })
            .collect()
    };
    let panel = |title: &str, y: &str, series: Vec<Series>| {
        let zero = series.iter().all(|s| s.points.iter().all(|p| p.1 == 0.0));
        Panel::Lines(Lines {
            title: if zero {
                format!("{title}: none, for every candidate")
            } else {
                title.to_string()
            },
            x: Axis::new("time", unit, false),
            y: Axis::new(y, Unit::Count, false),
            series,
            markers: Vec::new(),
            limits: Vec::new(),
        })
    };
    Figure {
        name: "refusals",
        caption: format!(
            "Per candidate, {}{}: connections the device refused (no source port, a full connection-tracking table, an outage, a proxy's DNS limit or a protocol it cannot carry), and packets it dropped (UDP beyond capacity, traffic over the packet allowance). Lines that coincide, often at 0, are named together in the legend.",
            per_point_text(per_point),
            replication_0(scenario.replications)
        ),
        panels: vec![
            panel(
                "refused connections per minute",
                "connections",
                per_candidate(&|row| row.conn_refused as f64),
            ),
            panel(
                "dropped packets per minute",
                "packets",
                per_candidate(&|row| row.packets_dropped),
            ),
        ],
    }
}

/// The `calibration` figure of a run with `--cloudwatch`: one panel per simulated metric that
/// is not zero throughout ([`Calibration::charted`]), the measured points in black with a dot
/// each and every NAT gateway candidate's figure for the same periods in its own colour (the
/// mean over the replications), against the time from the first measured point. `None` when
/// no metric is worth a panel.
pub(crate) fn calibration_figure(scenario: &Scenario, calibration: &Calibration) -> Option<Figure> {
    let (charted, zero) = calibration.charted();
    let last_s = calibration.rows.iter().map(|r| r.offset_s).max()?;
    let (scale_s, unit) = time_unit((last_s + calibration.period_s) as f64);
    let x_label = format!(
        "from {} (the first measured point)",
        format_utc_minute(calibration.start_s)
    );
    let period = period_text(calibration.period_s);
    let runs = match calibration.replications {
        1 => "1 run".to_string(),
        n => format!("mean of {n} runs"),
    };
    let panels: Vec<Panel> = charted
        .into_iter()
        .map(|metric| {
            let points = |candidate: &str, natsim: bool| -> Vec<(f64, f64)> {
                calibration
                    .rows
                    .iter()
                    .filter(|r| r.metric == metric && r.candidate == candidate)
                    .filter_map(|r| {
                        let y = if natsim { r.natsim? } else { r.measured };
                        Some((r.offset_s as f64 / scale_s, y))
                    })
                    .collect()
            };
            let first = calibration.candidates.first().map_or("", String::as_str);
            let measured = points(first, false);
            let mut series = vec![Series {
                marks: Marks::Every(vec![true; measured.len()]),
                ..Series::styled(
                    "measured (CloudWatch)",
                    MEASURED_COLOR,
                    Stroke::Solid,
                    Shape::Circle,
                    measured,
                )
            }];
            for name in &calibration.candidates {
                let index = scenario
                    .candidates
                    .iter()
                    .position(|c| &c.name == name)
                    .unwrap_or(0);
                series.push(Series::candidate(
                    index,
                    &format!("natsim {name} ({runs})"),
                    points(name, true),
                ));
            }
            let (y_label, y_unit) = calibration_unit(metric, &period);
            Panel::Lines(Lines {
                title: format!("{} per {period}", metric.name()),
                x: Axis::new(x_label.clone(), unit, false),
                y: Axis::new(y_label, y_unit, false),
                series,
                markers: Vec::new(),
                limits: Vec::new(),
            })
        })
        .collect();
    let left_out = if zero.is_empty() {
        String::new()
    } else {
        format!(
            " Not drawn, as both are 0 throughout: {}.",
            zero.iter().map(|m| m.name()).collect::<Vec<_>>().join(", ")
        )
    };
    (!panels.is_empty()).then(|| Figure {
        name: "calibration",
        caption: format!(
            "Each CloudWatch metric natsim simulates, per period, as measured (black, a dot per point) and as natsim's NAT gateway candidate(s) give it for the same periods (the mean over the replications). Bytes and counts are sums over the period; open connections its maximum.{left_out}"
        ),
        panels,
    })
}

/// The y axis of a calibration panel: what is counted, per period, and its unit.
fn calibration_unit(metric: CloudWatchMetric, period: &str) -> (String, Unit) {
    match metric {
        CloudWatchMetric::BytesOutToDestination | CloudWatchMetric::BytesInFromDestination => {
            (format!("per {period}"), Unit::Bytes)
        }
        CloudWatchMetric::ActiveConnectionCount => {
            (format!("open connections (max per {period})"), Unit::Count)
        }
        CloudWatchMetric::ConnectionAttemptCount => {
            (format!("connections per {period}"), Unit::Count)
        }
        CloudWatchMetric::ErrorPortAllocation => (format!("refusals per {period}"), Unit::Count),
        CloudWatchMetric::PacketsDropCount => (format!("packets per {period}"), Unit::Count),
        CloudWatchMetric::IdleTimeoutCount => {
            (format!("connections cut per {period}"), Unit::Count)
        }
        _ => (format!("per {period}"), Unit::Count),
    }
}

#[cfg(test)]
mod tests {
    use super::{BILL_LINES, bucketed, dollars, minutes_per_point};
    use crate::io::report::document::METRICS;
    use crate::results::summary::Metric;

    /// A line added to the document's bill and not to the plot's (or the other way round) would
    /// leave the bars short of the total the tables give.
    #[test]
    fn the_bill_plot_stacks_each_metric_of_the_documents_bill_once() {
        let document: Vec<Metric> = METRICS
            .values()
            .into_iter()
            .filter(|metrics| *metrics != METRICS.total)
            .flatten()
            .map(|&(month, _)| month)
            .collect();
        let plot: Vec<Metric> = BILL_LINES.iter().map(|&(metric, _, _)| metric).collect();
        for metric in &document {
            let stacked = plot.iter().filter(|m| *m == metric).count();
            assert_eq!(stacked, 1, "{metric:?} is stacked {stacked} times");
        }
        assert_eq!(
            plot.len(),
            document.len(),
            "the plot stacks a metric no line of the document holds: {plot:?}"
        );
    }

    #[test]
    fn a_long_series_is_averaged_in_buckets() {
        assert_eq!(minutes_per_point(120), 1);
        assert_eq!(minutes_per_point(1440), 5);
        let points = vec![
            (0.0, 1.0),
            (1.0, 3.0),
            (2.0, f64::NAN),
            (3.0, 5.0),
            (4.0, 7.0),
        ];
        let same = bucketed(points.clone(), 1);
        assert_eq!(
            (same.len(), same[4]),
            (5, (4.0, 7.0)),
            "one minute a point: as it was"
        );
        let two = bucketed(points, 2);
        assert_eq!(two[0], (0.0, 2.0));
        assert_eq!(two[1], (2.0, 5.0), "NaN left out of the mean");
        assert_eq!(two[2], (4.0, 7.0));
    }

    #[test]
    fn dollars_read_as_a_bill() {
        assert_eq!(dollars(2301.7), "$2,301.70");
        assert_eq!(dollars(21.234), "$21.23");
        assert_eq!(dollars(0.0), "$0.00");
        assert_eq!(dollars(1_234_567.891), "$1,234,567.89");
    }
}
