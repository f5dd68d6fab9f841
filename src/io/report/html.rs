//! `report.html` for a run and for a sweep, and a batch's `index.html`: one self-contained page (inline CSS and SVG, no
//! scripts, nothing fetched) with the table, the recommendation and its reasons, a run's
//! calibration against CloudWatch (with `--cloudwatch`), the plots, the assumptions, and the
//! scenario as written with its seed.
//!
//! Reads results and the plots' SVG text; never changes them. Every piece of user text (names,
//! reasons, the scenario file) goes through [`escape`].

use super::batch::BatchEntry;
use super::plot::{BILL_LINES, Drawn, dollars};
use super::table::{
    MODEL_ASSUMPTIONS, confidence_note, grouped_assumptions, hidden_misses, summary_rows,
    traffic_note, workload_rows,
};
use crate::io::cloudwatch::Metric as CloudWatchMetric;
use crate::io::cloudwatch::calibrate::{BYTES_TOLERANCE, Calibration, NO_BYTES, percent};
use crate::io::cloudwatch::{format_utc_minute, period_text};
use crate::io::scenario::Scenario;
use crate::io::sweep::aggregate::{Break, PointResult, Winner};
use crate::io::sweep::plan::Plan;
use crate::results::batch::ScenarioResult;
use crate::results::summary::Metric;
use std::fmt::Write;

const STYLE: &str = "body{font-family:sans-serif;max-width:1240px;margin:2em auto;padding:0 1em;color:#222}\
table{border-collapse:collapse;margin:1em 0;display:block;max-width:100%;overflow-x:auto;font-size:0.9em}th,td{border:1px solid #ccc;padding:3px 8px;text-align:left}\
th{background:#f0f0f0}tr.win td{font-weight:bold}pre{background:#f6f6f6;padding:1em;overflow-x:auto}\
figure{margin:1em 0}svg{max-width:100%;height:auto}figcaption{max-width:60em}\
td.num{text-align:right;font-variant-numeric:tabular-nums}td.miss{color:#a40000;font-weight:bold}\
.warn{background:#fff4d6;border-left:4px solid #d08c00;padding:0.5em 1em}\
.ok{background:#eaf6ea;border-left:4px solid #3a913a;padding:0.5em 1em}\
p.headline{font-size:1.15em}.note{background:#eef4fb;border-left:4px solid #3b7dc4;padding:0.5em 1em}\
p.ci{font-size:0.9em;color:#444}figcaption{font-size:0.92em;color:#333;margin-top:0.3em}";

/// Escapes text for HTML element content and double-quoted attributes.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// A run's calibration against CloudWatch and its figure's SVG text (none when every
/// simulated metric was zero throughout).
pub(crate) struct CalibrationPage<'a> {
    pub(crate) calibration: &'a Calibration,
    pub(crate) plot: Option<&'a Drawn>,
}

/// The page for `natsim run`. `plots` are the run's figures as drawn (the `cost` figure goes
/// with the bill, the others under "Capacity and load"); `scenario_text` is the file as read.
///
/// Sections, in order: the recommendation and its reasons; the monthly bill; the summary table
/// and the objectives in force; the calibration (with `--cloudwatch`); capacity and load; the
/// assumptions; the scenario file.
pub(crate) fn run_report(
    scenario: &Scenario,
    result: &ScenarioResult,
    plots: &[Drawn],
    calibration: Option<&CalibrationPage<'_>>,
    scenario_text: &str,
) -> String {
    let mut out = open(&format!("natsim: {}", scenario.name));
    let _ = writeln!(
        out,
        "<p>region {} · {:.2} h simulated, warmup {:.0} s · seed {} · {} replication(s){}</p>",
        escape(&scenario.region),
        scenario.duration_ns as f64 / 3.6e12,
        scenario.warmup_ns as f64 / 1e9,
        scenario.seed,
        scenario.replications,
        traffic_note(scenario)
    );
    recommendation(&mut out, scenario, result);
    let (bill_plots, other_plots): (Vec<&Drawn>, Vec<&Drawn>) =
        plots.iter().partition(|p| p.name == "cost");
    bill(&mut out, scenario, result, &bill_plots);
    out.push_str("<section id=\"summary\">\n<h2>Summary</h2>\n");
    let (header, rows) = summary_rows(result);
    let winners: Vec<bool> = result.summaries.iter().map(|s| s.recommended).collect();
    table(&mut out, &header, &rows, &winners);
    if let Some(note) = confidence_note(scenario.replications) {
        let _ = writeln!(out, "<p class=\"ci\">{}.</p>", escape(&note));
    }
    endpoint_note(&mut out, result);
    objectives(&mut out, scenario);
    out.push_str("</section>\n");
    if scenario.workloads.len() > 1 {
        workloads_section(&mut out, scenario, result);
    }
    if let Some(page) = calibration {
        calibration_section(&mut out, page);
    }
    if !other_plots.is_empty() {
        out.push_str("<section id=\"load\">\n<h2>Capacity and load</h2>\n");
        figures(&mut out, &other_plots);
        out.push_str("</section>\n");
    }
    assumptions(&mut out, scenario);
    close(out, scenario_text)
}

/// The answer first: the headline, boxed green when a candidate is recommended and amber when
/// none meets the objectives, then why each other candidate loses.
fn recommendation(out: &mut String, scenario: &Scenario, result: &ScenarioResult) {
    let class = if result.verdict.recommended.is_some() {
        "ok"
    } else {
        "warn"
    };
    let _ = writeln!(
        out,
        "<section id=\"recommendation\">\n<h2>Recommendation</h2>\n<p class=\"{class} headline\">{}</p>\n<ul>",
        escape(&result.verdict.headline)
    );
    for (candidate, reason) in &result.verdict.reasons {
        let name = &scenario.candidates[*candidate].name;
        let mut lines = reason.lines();
        let _ = write!(
            out,
            "<li><b>{}</b>: {}",
            escape(name),
            escape(lines.next().unwrap_or(""))
        );
        let details: Vec<&str> = lines.collect();
        if !details.is_empty() {
            out.push_str("<ul>");
            for line in details {
                let _ = write!(out, "<li>{}</li>", escape(line));
            }
            out.push_str("</ul>");
        }
        out.push_str("</li>\n");
    }
    out.push_str("</ul>\n</section>\n");
}

/// The monthly bill: its chart, then the lines as a table (± the 95 % half-width of the total
/// with replications).
fn bill(out: &mut String, scenario: &Scenario, result: &ScenarioResult, plots: &[&Drawn]) {
    out.push_str("<section id=\"bill\">\n<h2>Monthly bill</h2>\n");
    figures(out, plots);
    let mut header: Vec<&str> = vec!["candidate"];
    header.extend(BILL_LINES.iter().map(|(_, label, _)| *label));
    header.push("month total");
    let rows: Vec<Vec<String>> = result
        .summaries
        .iter()
        .map(|s| {
            let mut row = vec![s.name.clone()];
            row.extend(
                BILL_LINES
                    .iter()
                    .map(|(metric, _, _)| dollars(s.get(*metric))),
            );
            let mut total = dollars(s.get(Metric::CostMonthlyUsd));
            if let Some(half) = s.ci95(Metric::CostMonthlyUsd).filter(|h| h.is_finite()) {
                total.push_str(&format!(" ± {}", dollars(half)));
            }
            row.push(total);
            row
        })
        .collect();
    let winners: Vec<bool> = result.summaries.iter().map(|s| s.recommended).collect();
    table(out, &header, &rows, &winners);
    let standby: Vec<&str> = result
        .summaries
        .iter()
        .filter(|s| s.get(Metric::BilledStandbyGatewayHours) > 0.0)
        .map(|s| s.name.as_str())
        .collect();
    if !standby.is_empty() {
        let _ = writeln!(
            out,
            "<p>The hours of {} include a standby NAT gateway (the fallback), billed whether it carries anything or not.</p>",
            escape(&standby.join(", "))
        );
    }
    if let Some(note) = confidence_note(scenario.replications) {
        let _ = writeln!(out, "<p class=\"ci\">{}.</p>", escape(&note));
    }
    out.push_str("</section>\n");
}

/// Says, for each candidate that sent bytes through an S3/DynamoDB gateway endpoint, what share
/// of the offered bytes went past the device: delivered through the device sits below offered
/// by that much with nothing dropped.
fn endpoint_note(out: &mut String, result: &ScenarioResult) {
    let through_endpoint: Vec<String> = result
        .summaries
        .iter()
        .filter(|s| s.get(Metric::EndpointGb) > 0.0)
        .map(|s| {
            let share = s.get(Metric::EndpointGb) / s.get(Metric::OfferedGb).max(f64::MIN_POSITIVE);
            format!("{} {}", s.name, crate::results::summary::percent(share))
        })
        .collect();
    if through_endpoint.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "<p class=\"note\" id=\"endpoint-note\">Bytes through the S3/DynamoDB gateway endpoint, past the device, as a share of the offered bytes: {}. They count as delivered here (none of them is dropped), but not in the device's throughput: in the throughput chart, delivered through the device sits below offered by them.</p>",
        escape(&through_endpoint.join(", "))
    );
}

/// Each workload's figures through each candidate (a scenario with more than one workload): which
/// workload suffers where the summary blends them.
fn workloads_section(out: &mut String, scenario: &Scenario, result: &ScenarioResult) {
    out.push_str("<section id=\"workloads\">\n<h2>Per workload</h2>\n<p>Each workload's own connections through each candidate, judged against the objectives about them (drop rate, refused connections, p99 slowdown, availability, carried bytes); the summary above blends the workloads. Every figure is in <code>summary_by_workload.csv</code>, each minute in <code>timeseries_by_workload.csv</code>.</p>\n");
    let (header, rows) = workload_rows(scenario, result);
    let winners: Vec<bool> = result
        .by_workload
        .iter()
        .map(|w| result.summaries[w.candidate].recommended)
        .collect();
    table(out, &header, &rows, &winners);
    if let Some(note) = hidden_misses(scenario, result) {
        let _ = writeln!(out, "<p class=\"warn\">{}</p>", escape(&note));
    }
    out.push_str("</section>\n");
}

/// Where each candidate first misses the objectives along the last swept key (`breaks.csv`).
fn breaks_section(out: &mut String, plan: &Plan, results: &[PointResult], breaks: &[Break]) {
    let (Some(along), false) = (plan.spec.params.last(), breaks.is_empty()) else {
        return;
    };
    let _ = writeln!(
        out,
        "<section id=\"breaks\">\n<h2>What breaks first</h2>\n<p>Where each candidate first misses the objectives along <code>{}</code>, and the limit behind it (<code>breaks.csv</code>).</p>\n<ul>",
        escape(&along.key)
    );
    for text in super::sweep::break_texts(plan, results, breaks) {
        let _ = write!(
            out,
            "<li><b>{}</b>: {}",
            escape(&text.who),
            escape(&text.what)
        );
        if !text.causes.is_empty() {
            out.push_str("<ul>");
            for cause in &text.causes {
                let _ = write!(out, "<li>{}</li>", escape(cause));
            }
            out.push_str("</ul>");
        }
        out.push_str("</li>\n");
    }
    out.push_str("</ul>\n</section>\n");
}

/// The calibration section: what was compared with what, the verdict on the bytes, the totals
/// with their errors, the chart, and the metrics read but not simulated.
fn calibration_section(out: &mut String, page: &CalibrationPage<'_>) {
    let c = page.calibration;
    let points = c
        .rows
        .iter()
        .filter(|r| Some(&r.candidate) == c.candidates.first())
        .map(|r| r.offset_s)
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    let _ = writeln!(
        out,
        "<section id=\"calibration\">\n<h2>Calibration against CloudWatch</h2>\n<p>The NAT gateway candidate(s) {} against the metrics in <code>{}</code>: {points} point(s), one per {}, from {}, which is natsim's time zero; natsim's figures are the mean of {} replication(s). Every point is in <code>calibration.csv</code>.</p>",
        c.candidates
            .iter()
            .map(|n| format!("<b>{}</b>", escape(n)))
            .collect::<Vec<_>>()
            .join(", "),
        escape(&c.source),
        period_text(c.period_s),
        format_utc_minute(c.start_s),
        c.replications
    );
    let warnings = c.warnings();
    let bytes = c.bytes_compared();
    if bytes.is_empty() {
        let _ = writeln!(
            out,
            "<p class=\"warn\"><b>Warning:</b> {}.</p>",
            escape(NO_BYTES)
        );
    } else if warnings.is_empty() {
        let _ = writeln!(
            out,
            "<p class=\"ok\">The simulated bytes are within {:.0} % of the measured bytes ({}).</p>",
            BYTES_TOLERANCE * 100.0,
            bytes
                .iter()
                .map(|m| m.name())
                .collect::<Vec<_>>()
                .join(", ")
        );
    } else {
        for w in &warnings {
            let _ = writeln!(out, "<p class=\"warn\"><b>Warning:</b> {}.</p>", escape(w));
        }
    }
    calibration_table(out, c);
    if let Some(plot) = page.plot {
        figure(out, plot, "calibration-plot");
    }
    let unsimulated = c.not_simulated();
    if !unsimulated.is_empty() {
        out.push_str("<p>Read but not simulated, so not compared:</p>\n<ul>\n");
        for (metric, because) in unsimulated {
            let _ = writeln!(out, "<li>{}: {}</li>", metric.name(), escape(because));
        }
        out.push_str("</ul>\n");
    }
    let mut notes = Vec::new();
    if c.outside > 0 {
        notes.push(format!(
            "{} measured point(s) fall after the scenario's duration and were left out.",
            c.outside
        ));
    }
    if !c.ignored.is_empty() {
        notes.push(format!(
            "Ignored results that name no NAT gateway metric: {}.",
            c.ignored.join(", ")
        ));
    }
    for note in notes {
        let _ = writeln!(out, "<p>{}</p>", escape(&note));
    }
    out.push_str("</section>\n");
}

/// The totals per candidate and simulated metric, with their errors; a byte metric that misses
/// by more than the tolerance is marked.
fn calibration_table(out: &mut String, c: &Calibration) {
    out.push_str("<table>\n<tr><th>candidate</th><th>metric</th><th>compared</th><th>measured</th><th>natsim</th><th>error</th><th>points</th></tr>\n");
    for t in &c.totals {
        let Some(natsim) = t.natsim else {
            continue;
        };
        let compared = if t.metric.is_sum() {
            "total (Sum)"
        } else {
            "mean of the periods' Maximum"
        };
        let class = if t.misses_bytes() { "num miss" } else { "num" };
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{compared}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"{class}\">{}</td><td class=\"num\">{}</td></tr>",
            escape(&t.candidate),
            t.metric.name(),
            readable(t.metric, t.measured),
            readable(t.metric, natsim),
            escape(&percent(t.error())),
            t.points
        );
    }
    out.push_str("</table>\n");
}

/// A metric's figure for the table: bytes with an SI prefix and four significant digits
/// (`7.399 MB`, `521.0 MB`), counts whole with thousands separators, anything fractional with
/// two decimals.
fn readable(metric: CloudWatchMetric, value: f64) -> String {
    if matches!(
        metric,
        CloudWatchMetric::BytesOutToDestination | CloudWatchMetric::BytesInFromDestination
    ) {
        for (scale, prefix) in [(1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")] {
            if value.abs() >= scale {
                let v = value / scale;
                let decimals = (3 - v.abs().log10().floor() as i32).clamp(0, 3) as usize;
                return format!("{v:.decimals$} {prefix}B");
            }
        }
        return format!("{value:.0} B");
    }
    if value.fract() == 0.0 && value.abs() < 1e15 {
        let digits = format!("{}", value.abs() as u64);
        let mut grouped = String::new();
        for (i, d) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                grouped.push(',');
            }
            grouped.push(d);
        }
        return if value < 0.0 {
            format!("-{grouped}")
        } else {
            grouped
        };
    }
    format!("{value:.2}")
}

/// The objectives in force, defaults marked.
fn objectives(out: &mut String, scenario: &Scenario) {
    out.push_str("<p>Objectives in force (set them in [slo]; \"off\" drops one):</p>\n<ul>\n");
    for line in scenario.slo.describe() {
        let _ = writeln!(out, "<li>{}</li>", escape(&line));
    }
    out.push_str("</ul>\n");
}

/// The page for `natsim sweep`: the winner along the sweep and each crossover with its reason
/// first, then the plots, each point's monthly cost per candidate, the assumptions.
pub(crate) fn sweep_report(
    plan: &Plan,
    results: &[PointResult],
    winners: &[Winner],
    breaks: &[Break],
    plots: &[Drawn],
    scenario_text: &str,
) -> String {
    let base = &plan.points[0].scenario;
    let mut out = open(&format!("natsim sweep: {}", base.name));
    let keys: Vec<&str> = plan.spec.params.iter().map(|p| p.key.as_str()).collect();
    let _ = writeln!(
        out,
        "<p>region {} · {} point(s) over {} · {:.2} h simulated per point, warmup {:.0} s · seed {} · {} replication(s)</p>",
        escape(&base.region),
        plan.points.len(),
        escape(&keys.join(", ")),
        base.duration_ns as f64 / 3.6e12,
        base.warmup_ns as f64 / 1e9,
        base.seed,
        base.replications
    );
    out.push_str("<section id=\"recommendation\">\n<h2>Recommendation along the sweep</h2>\n");
    winner_ranges(&mut out, plan, results, winners);
    crossovers(&mut out, plan, results, winners);
    out.push_str("</section>\n");
    breaks_section(&mut out, plan, results, breaks);
    if plots.is_empty() {
        out.push_str("<p>No plots: they are drawn when the last swept key is numeric and the keys before it take at most 8 combinations.</p>\n");
    } else {
        out.push_str("<section id=\"plots\">\n<h2>Plots</h2>\n");
        figures(&mut out, &plots.iter().collect::<Vec<_>>());
        out.push_str("</section>\n");
    }
    out.push_str(
        "<section id=\"points\">\n<h2>Monthly cost per point</h2>\n<p>USD per month; <i>misses</i> marks a candidate that fails the objectives; the recommended candidate is in bold.</p>\n",
    );
    let mut header: Vec<&str> = vec!["point"];
    header.extend(keys.iter().copied());
    header.push("traffic GB/month");
    header.extend(base.candidates.iter().map(|c| c.name.as_str()));
    header.extend(["recommended", "crossover"]);
    let rows: Vec<Vec<String>> = winners
        .iter()
        .map(|w| sweep_row(plan, &results[w.point], w))
        .collect();
    table(&mut out, &header, &rows, &[]);
    if let Some(note) = confidence_note(base.replications) {
        let _ = writeln!(out, "<p class=\"ci\">{}.</p>", escape(&note));
    }
    out.push_str("</section>\n");
    assumptions(&mut out, base);
    close(out, scenario_text)
}

/// The answer at a glance: along the last swept key (for each combination of the keys before
/// it), which candidate is recommended over which range of points, with the traffic there.
fn winner_ranges(out: &mut String, plan: &Plan, results: &[PointResult], winners: &[Winner]) {
    let Some(last) = plan.spec.params.last() else {
        return;
    };
    let per_group = last.values.len().max(1);
    let name = |point: usize, c: Option<usize>| {
        c.map_or("no candidate meets the objectives".to_string(), |c| {
            plan.points[point].scenario.candidates[c].name.clone()
        })
    };
    let traffic = |point: usize| {
        let gb = results[point]
            .summaries
            .first()
            .map_or(0.0, |s| s.get(Metric::MonthlyTrafficGb));
        thousands(&traffic_text(gb))
    };
    let value = |point: usize| plan.param_texts(point).last().cloned().unwrap_or_default();
    out.push_str("<ul class=\"answer\">\n");
    for group in winners.chunks(per_group) {
        let first = group[0].point;
        let fixed: Vec<String> = plan.spec.params[..plan.spec.params.len() - 1]
            .iter()
            .zip(plan.param_texts(first))
            .map(|(p, v)| format!("{} = {v}", p.key))
            .collect();
        let mut spans = Vec::new();
        let mut start = 0;
        for i in 1..=group.len() {
            if i == group.len() || group[i].recommended != group[start].recommended {
                let (a, b) = (group[start].point, group[i - 1].point);
                let range = if a == b {
                    format!(
                        "at {} GB a month (point {a}; {} = {})",
                        traffic(a),
                        last.key,
                        value(a)
                    )
                } else {
                    format!(
                        "from {} to {} GB a month (points {a} to {b}; {} from {} to {})",
                        traffic(a),
                        traffic(b),
                        last.key,
                        value(a),
                        value(b)
                    )
                };
                spans.push(format!(
                    "<b>{}</b> {}",
                    escape(&name(a, group[start].recommended)),
                    escape(&range)
                ));
                start = i;
            }
        }
        let prefix = if fixed.is_empty() {
            String::new()
        } else {
            format!("{}: ", escape(&fixed.join(", ")))
        };
        let _ = writeln!(out, "<li>{prefix}{}</li>", spans.join("; then "));
    }
    out.push_str("</ul>\n");
}

/// Thousands separated by commas in the whole part of a number's text: `97,938`, `9.32`.
fn thousands(text: &str) -> String {
    let (whole, rest) = text.split_at(text.find('.').unwrap_or(text.len()));
    let mut grouped = String::new();
    for (i, digit) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    grouped + rest
}

/// Monthly traffic as the sweep table shows it: whole GB from 10 up, else two decimals.
fn traffic_text(traffic: f64) -> String {
    if traffic >= 10.0 {
        format!("{traffic:.0}")
    } else {
        format!("{traffic:.2}")
    }
}

/// Each crossover, with why the previous winner lost there (its reason from that point's
/// recommendation).
fn crossovers(out: &mut String, plan: &Plan, results: &[PointResult], winners: &[Winner]) {
    let changes: Vec<&Winner> = winners.iter().filter(|w| w.crossover).collect();
    if changes.is_empty() {
        out.push_str(
            "<p>No crossover: the same candidate is recommended along the last swept key.</p>\n",
        );
        return;
    }
    out.push_str("<h3>Crossovers, and why the previous winner lost there</h3>\n<ul>\n");
    let name = |point: usize, c: Option<usize>| {
        c.map_or("no candidate".to_string(), |c| {
            plan.points[point].scenario.candidates[c].name.clone()
        })
    };
    for w in changes {
        let previous = winners[w.point - 1].recommended;
        let values: Vec<String> = plan
            .spec
            .params
            .iter()
            .zip(plan.param_texts(w.point))
            .map(|(p, v)| format!("{} = {v}", p.key))
            .collect();
        let verdict = &results[w.point].verdict;
        let why = previous
            .and_then(|p| verdict.reasons.iter().find(|(c, _)| *c == p))
            .map_or(String::new(), |(_, reason)| {
                format!(": {}", reason.lines().collect::<Vec<_>>().join("; "))
            });
        let _ = writeln!(
            out,
            "<li>point {} ({}): <b>{}</b> replaces {}{}</li>",
            w.point,
            escape(&values.join(", ")),
            escape(&name(w.point, w.recommended)),
            escape(&name(w.point, previous)),
            escape(&why)
        );
    }
    out.push_str("</ul>\n");
}

fn sweep_row(plan: &Plan, result: &PointResult, winner: &Winner) -> Vec<String> {
    let mut row = vec![winner.point.to_string()];
    row.extend(plan.param_texts(winner.point));
    let traffic = result
        .summaries
        .first()
        .map_or(0.0, |s| s.get(Metric::MonthlyTrafficGb));
    row.push(traffic_text(traffic));
    for s in &result.summaries {
        let mut cost = format!("{:.2}", s.get(Metric::CostMonthlyUsd));
        if let Some(half) = s.ci95(Metric::CostMonthlyUsd).filter(|h| h.is_finite()) {
            cost.push_str(&format!(" ± {half:.2}"));
        }
        row.push(match (s.meets_slo, s.recommended) {
            (_, true) => format!("**{cost}"),
            (true, false) => cost,
            (false, false) => format!("{cost} misses"),
        });
    }
    row.push(
        winner
            .recommended
            .map_or("none".to_string(), |c| result.summaries[c].name.clone()),
    );
    row.push(if winner.crossover { "yes" } else { "" }.into());
    row
}

/// `index.html` of a batch: one row per scenario with its recommendation, its monthly cost and
/// the cheaper candidates that miss the objectives (with the first objective each misses),
/// linking each scenario's own `report.html`; then the chart of the recommended bills, and the
/// files that failed and why.
pub(crate) fn batch_index(
    entries: &[BatchEntry],
    failures: &[String],
    plot: Option<&Drawn>,
) -> String {
    let mut out = open("natsim batch");
    let _ = writeln!(
        out,
        "<p>{} scenario(s) ran; {} file(s) failed.</p>",
        entries.len(),
        failures.len()
    );
    out.push_str("<section id=\"recommendation\">\n<h2>Recommendations</h2>\n");
    out.push_str("<table>\n<tr><th>scenario</th><th>file</th><th>recommended</th><th>month $</th><th>meet the objectives</th><th>cheaper, but missing the objectives</th></tr>\n");
    for entry in entries {
        let winner = entry.summaries.iter().find(|s| s.recommended);
        let meeting = entry.summaries.iter().filter(|s| s.meets_slo).count();
        let ceiling = winner.map_or(f64::INFINITY, |w| w.get(Metric::CostMonthlyUsd));
        let cheaper: Vec<String> = entry
            .summaries
            .iter()
            .filter(|s| !s.meets_slo && s.get(Metric::CostMonthlyUsd) < ceiling)
            .map(|s| {
                format!(
                    "{} ({})",
                    s.name,
                    s.slo_failures.first().map_or("", String::as_str)
                )
            })
            .collect();
        let _ = writeln!(
            out,
            "<tr><td><a href=\"{}/report.html\">{}</a></td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td>{meeting} of {}</td><td>{}</td></tr>",
            escape(&percent_encode(&entry.scenario)),
            escape(&entry.scenario),
            escape(&entry.file),
            winner.map_or("none meets the objectives".to_string(), |s| escape(&s.name)),
            winner.map_or(String::new(), |s| dollars(s.get(Metric::CostMonthlyUsd))),
            entry.summaries.len(),
            escape(&cheaper.join("; "))
        );
    }
    out.push_str("</table>\n</section>\n");
    if let Some(plot) = plot {
        out.push_str("<section id=\"bills\">\n<h2>Monthly bills</h2>\n");
        figure(&mut out, plot, plot.name);
        out.push_str("</section>\n");
    }
    if !failures.is_empty() {
        out.push_str("<h2>Failed</h2>\n<ul>\n");
        for failure in failures {
            let _ = writeln!(out, "<li><pre>{}</pre></li>", escape(failure));
        }
        out.push_str("</ul>\n");
    }
    out.push_str("</body>\n</html>\n");
    out
}

/// A folder name as a relative URL path segment: unreserved characters stay, the rest are
/// %-encoded byte by byte.
fn percent_encode(segment: &str) -> String {
    segment
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn open(title: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{0}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<h1>{0}</h1>\n",
        escape(title)
    )
}

fn close(mut out: String, scenario_text: &str) -> String {
    let _ = writeln!(
        out,
        "<h2>Scenario file</h2>\n<pre>{}</pre>\n</body>\n</html>",
        escape(scenario_text)
    );
    out
}

/// A table; a row whose `bold` flag is set is marked as the winner. A cell starting with `**`
/// (used by the sweep table) is bold on its own.
fn table(out: &mut String, header: &[&str], rows: &[Vec<String>], bold: &[bool]) {
    out.push_str("<table>\n<tr>");
    for h in header {
        let _ = write!(out, "<th>{}</th>", escape(h));
    }
    out.push_str("</tr>\n");
    for (i, row) in rows.iter().enumerate() {
        let class = if bold.get(i).copied().unwrap_or(false) {
            " class=\"win\""
        } else {
            ""
        };
        let _ = write!(out, "<tr{class}>");
        for cell in row {
            // A figure and its interval, or a number and its unit, stay on one line.
            let keep = |text: &str| {
                escape(text)
                    .replace(" ± ", "\u{a0}±\u{a0}")
                    .replace(" %", "\u{a0}%")
            };
            match cell.strip_prefix("**") {
                Some(rest) => {
                    let _ = write!(out, "<td><b>{}</b></td>", keep(rest));
                }
                None => {
                    let _ = write!(out, "<td>{}</td>", keep(cell));
                }
            }
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</table>\n");
}

/// The plots, inline, each with its caption. plotters' SVG has no XML declaration and no ids,
/// so several fit one page.
fn figures(out: &mut String, plots: &[&Drawn]) {
    for plot in plots {
        figure(out, plot, plot.name);
    }
}

/// One plot in a `<figure>` with the id given, its caption naming its files and saying what it
/// shows.
fn figure(out: &mut String, plot: &Drawn, id: &str) {
    let _ = writeln!(
        out,
        "<figure id=\"{}\">\n{}\n<figcaption><b>{}.png</b> (and .svg): {}</figcaption>\n</figure>",
        escape(id),
        plot.svg,
        escape(plot.name),
        escape(&plot.caption)
    );
}

fn assumptions(out: &mut String, scenario: &Scenario) {
    out.push_str("<h2>Assumptions</h2>\n<p>Of the model, behind every result:</p>\n<ul>\n");
    for line in MODEL_ASSUMPTIONS {
        let _ = writeln!(out, "<li>{}</li>", escape(line));
    }
    out.push_str("</ul>\n");
    let grouped = grouped_assumptions(scenario);
    if grouped.is_empty() {
        return;
    }
    out.push_str(
        "<p>Of the candidates (set the key on a candidate to override):</p>\n<table>\n<tr><th>key</th><th>value</th><th>candidates</th><th>basis</th></tr>\n",
    );
    for (a, names) in grouped {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&a.key),
            escape(&a.value),
            escape(&names.join(", ")),
            escape(&a.basis)
        );
    }
    out.push_str("</table>\n");
}

#[cfg(test)]
mod tests {
    use super::{CloudWatchMetric, escape, readable};

    #[test]
    fn calibration_figures_read_with_their_units() {
        assert_eq!(
            readable(CloudWatchMetric::BytesOutToDestination, 7_399_300.0),
            "7.399 MB"
        );
        assert_eq!(
            readable(CloudWatchMetric::BytesInFromDestination, 520_963_000.0),
            "521.0 MB"
        );
        assert_eq!(
            readable(CloudWatchMetric::BytesInFromDestination, 2e9),
            "2.000 GB"
        );
        assert_eq!(
            readable(CloudWatchMetric::BytesInFromDestination, 512.0),
            "512 B"
        );
        assert_eq!(
            readable(CloudWatchMetric::ConnectionAttemptCount, 1818.0),
            "1,818"
        );
        assert_eq!(
            readable(CloudWatchMetric::ConnectionAttemptCount, 1_234_567.0),
            "1,234,567"
        );
        assert_eq!(
            readable(CloudWatchMetric::ActiveConnectionCount, 5.126),
            "5.13"
        );
    }

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            escape("<a href=\"x\">&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;"
        );
    }
}
