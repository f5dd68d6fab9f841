//! `report.html` for a run and for a sweep, and a batch's `index.html`: one self-contained page (inline CSS and SVG, no
//! scripts, nothing fetched) with the table, the recommendation and its reasons, the plots, the
//! assumptions, and the scenario as written with its seed.
//!
//! Reads results and the plots' SVG text; never changes them. Every piece of user text (names,
//! reasons, the scenario file) goes through [`escape`].

use super::batch::BatchEntry;
use super::table::{MODEL_ASSUMPTIONS, grouped_assumptions, summary_rows};
use crate::io::scenario::Scenario;
use crate::io::sweep::aggregate::{PointResult, Winner};
use crate::io::sweep::plan::Plan;
use crate::results::batch::ScenarioResult;
use crate::results::summary::Metric;
use std::fmt::Write;

const STYLE: &str = "body{font-family:sans-serif;max-width:1240px;margin:2em auto;padding:0 1em;color:#222}\
table{border-collapse:collapse;margin:1em 0;display:block;max-width:100%;overflow-x:auto;font-size:0.9em}th,td{border:1px solid #ccc;padding:3px 8px;text-align:left}\
th{background:#f0f0f0}tr.win td{font-weight:bold}pre{background:#f6f6f6;padding:1em;overflow-x:auto}\
figure{margin:1em 0}svg{max-width:100%;height:auto}";

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

/// The page for `natsim run`. `plots` are (name, SVG text); `scenario_text` is the file as read.
pub(crate) fn run_report(
    scenario: &Scenario,
    result: &ScenarioResult,
    plots: &[(&str, String)],
    scenario_text: &str,
) -> String {
    let mut out = open(&format!("natsim: {}", scenario.name));
    let _ = writeln!(
        out,
        "<p>region {} · {:.2} h simulated, warmup {:.0} s · seed {} · {} replication(s)</p>",
        escape(&scenario.region),
        scenario.duration_ns as f64 / 3.6e12,
        scenario.warmup_ns as f64 / 1e9,
        scenario.seed,
        scenario.replications
    );
    let (header, rows) = summary_rows(result);
    out.push_str("<h2>Summary</h2>\n");
    let winners: Vec<bool> = result.summaries.iter().map(|s| s.recommended).collect();
    table(&mut out, &header, &rows, &winners);
    out.push_str("<h2>Recommendation</h2>\n");
    let _ = writeln!(out, "<p>{}</p>\n<ul>", escape(&result.verdict.headline));
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
    out.push_str("</ul>\n");
    objectives(&mut out, scenario);
    figures(&mut out, plots);
    assumptions(&mut out, scenario);
    close(out, scenario_text)
}

/// The objectives in force, defaults marked.
fn objectives(out: &mut String, scenario: &Scenario) {
    out.push_str("<p>Objectives in force (set them in [slo]; \"off\" drops one):</p>\n<ul>\n");
    for line in scenario.slo.describe() {
        let _ = writeln!(out, "<li>{}</li>", escape(&line));
    }
    out.push_str("</ul>\n");
}

/// The page for `natsim sweep`: each point's monthly cost per candidate, the winners, the plots.
pub(crate) fn sweep_report(
    plan: &Plan,
    results: &[PointResult],
    winners: &[Winner],
    plots: &[(&str, String)],
    scenario_text: &str,
) -> String {
    let base = &plan.points[0].scenario;
    let mut out = open(&format!("natsim sweep: {}", base.name));
    let keys: Vec<&str> = plan.spec.params.iter().map(|p| p.key.as_str()).collect();
    let _ = writeln!(
        out,
        "<p>region {} · {} point(s) over {} · seed {} · {} replication(s)</p>",
        escape(&base.region),
        plan.points.len(),
        escape(&keys.join(", ")),
        base.seed,
        base.replications
    );
    out.push_str(
        "<h2>Monthly cost per point</h2>\n<p>USD per month; <i>misses</i> marks a candidate that fails the objectives; the recommended candidate is in bold.</p>\n",
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
    crossovers(&mut out, plan, results, winners);
    figures(&mut out, plots);
    if plots.is_empty() {
        out.push_str("<p>No plots: they are drawn when the last swept key is numeric and the keys before it take at most 8 combinations.</p>\n");
    }
    assumptions(&mut out, base);
    close(out, scenario_text)
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
    out.push_str("<h2>Crossovers</h2>\n<ul>\n");
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
    row.push(if traffic >= 10.0 {
        format!("{traffic:.0}")
    } else {
        format!("{traffic:.2}")
    });
    for s in &result.summaries {
        let cost = format!("{:.2}", s.get(Metric::CostMonthlyUsd));
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

/// `index.html` of a batch: one row per scenario with its recommendation and a link to its own
/// `report.html`, then the files that failed and why.
pub(crate) fn batch_index(entries: &[BatchEntry], failures: &[String]) -> String {
    let mut out = open("natsim batch");
    let _ = writeln!(
        out,
        "<p>{} scenario(s) ran; {} file(s) failed.</p>",
        entries.len(),
        failures.len()
    );
    out.push_str("<table>\n<tr><th>scenario</th><th>file</th><th>recommended</th><th>month $</th><th>meet the objectives</th></tr>\n");
    for entry in entries {
        let winner = entry.summaries.iter().find(|s| s.recommended);
        let meeting = entry.summaries.iter().filter(|s| s.meets_slo).count();
        let _ = writeln!(
            out,
            "<tr><td><a href=\"{}/report.html\">{}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{meeting} of {}</td></tr>",
            escape(&percent_encode(&entry.scenario)),
            escape(&entry.scenario),
            escape(&entry.file),
            winner.map_or("none meets the objectives".to_string(), |s| escape(&s.name)),
            winner.map_or(String::new(), |s| format!(
                "{:.2}",
                s.get(Metric::CostMonthlyUsd)
            )),
            entry.summaries.len()
        );
    }
    out.push_str("</table>\n");
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
            match cell.strip_prefix("**") {
                Some(rest) => {
                    let _ = write!(out, "<td><b>{}</b></td>", escape(rest));
                }
                None => {
                    let _ = write!(out, "<td>{}</td>", escape(cell));
                }
            }
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</table>\n");
}

/// The plots, inline. plotters' SVG has no XML declaration and no ids, so several fit one page.
fn figures(out: &mut String, plots: &[(&str, String)]) {
    if plots.is_empty() {
        return;
    }
    out.push_str("<h2>Plots</h2>\n");
    for (name, svg) in plots {
        let _ = writeln!(
            out,
            "<figure id=\"{0}\">\n{svg}\n<figcaption>{0}.svg</figcaption>\n</figure>",
            escape(name)
        );
    }
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
    use super::escape;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            escape("<a href=\"x\">&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;"
        );
    }
}
