//! `--format markdown`: a compact comparison ready to paste into a pull-request comment, in the
//! manner of infracost's: a headline with the recommendation, one table, why the others lose,
//! and the cost lines, objectives and assumptions folded under `<details>`.
//!
//! Built from the JSON documents (`document::RunDocument` and those of `json`), never from the
//! results, so a comment made now and one made from a `summary.json` read back say the same.
//! Every piece of text that is not natsim's own layout goes through [`escape`], so a candidate
//! name or a reason never breaks a table or turns into a link, HTML or math.

use super::document::{CandidateResult, RunDocument};
use super::json::{BatchDocument, SweepDocument, ValidateDocument};
use crate::model::objectives::{availability_percent, percent};
use std::fmt::Write;

/// Points beyond which a sweep's comment lists only the crossovers (as the console does).
const MAX_POINTS_LISTED: usize = 40;

/// The comment for one run.
pub(crate) fn run(doc: &RunDocument) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "### natsim: {}\n", escape(&doc.scenario.name));
    let _ = writeln!(out, "{}\n", headline(&doc.recommendation.headline));
    let header = [
        "candidate",
        "kind",
        "USD/month",
        "refused",
        "dropped",
        "p99 slowdown",
        "availability",
        "objectives",
    ];
    let right = [false, false, true, true, true, true, true, false];
    let rows: Vec<Vec<String>> = doc.candidates.iter().map(summary_row).collect();
    out.push_str(&table(&header, &right, &rows));
    let losers: Vec<&CandidateResult> = doc
        .candidates
        .iter()
        .filter(|c| !c.reason.is_empty())
        .collect();
    if !losers.is_empty() {
        out.push_str("\n**Why the others lose**\n\n");
        for c in losers {
            let mut lines = c.reason.iter();
            let first = lines.next().map_or(String::new(), |l| escape(l));
            let _ = writeln!(out, "- **{}**: {first}", escape(&c.name));
            for line in lines {
                let _ = writeln!(out, "  - {}", escape(line));
            }
        }
    }
    if doc.workloads.len() > doc.candidates.len() {
        details(&mut out, "Per workload", &workload_table(doc));
    }
    details(&mut out, "Monthly cost by line (USD)", &cost_table(doc));
    details(&mut out, "Objectives and assumptions", &objectives(doc));
    if !doc.warnings.is_empty() || !doc.calibration.is_empty() {
        let lines: Vec<String> = doc
            .warnings
            .iter()
            .chain(&doc.calibration)
            .map(|w| format!("- {}\n", escape(w)))
            .collect();
        details(&mut out, "Notes", &lines.concat());
    }
    let s = &doc.scenario;
    let _ = writeln!(
        out,
        "\n<sub>natsim {} · region {} · {} h simulated, warmup {} s · seed {} · {} replication(s)</sub>",
        escape(&doc.natsim_version),
        escape(&s.region),
        trimmed(s.duration_s / 3600.0, 2),
        trimmed(s.warmup_s, 0),
        s.seed,
        s.replications
    );
    out
}

/// Every run of a batch, one comment section each, then the files that failed.
pub(crate) fn batch(doc: &BatchDocument) -> String {
    let sections: Vec<String> = doc.runs.iter().map(|r| run(&r.summary)).collect();
    let mut out = sections.join("\n");
    if !doc.errors.is_empty() {
        out.push_str("\n**Scenarios that did not run**\n\n");
        for error in &doc.errors {
            let _ = writeln!(out, "- {}", escape(error));
        }
    }
    out
}

/// A sweep: the winner of each point (only the crossovers beyond 40 points).
pub(crate) fn sweep(doc: &SweepDocument) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "### natsim sweep: {}\n", escape(&doc.scenario));
    let last = doc.params.last().map_or(String::new(), |p| escape(p));
    let _ = writeln!(
        out,
        "{} point(s), {} run(s); {} crossover(s) along {last}.\n",
        doc.points.len(),
        doc.runs.total,
        doc.crossovers
    );
    let listed: Vec<_> = if doc.points.len() <= MAX_POINTS_LISTED {
        doc.points.iter().collect()
    } else {
        let _ = writeln!(
            out,
            "Only the crossovers are listed; every point is in winners.csv.\n"
        );
        doc.points.iter().filter(|p| p.crossover).collect()
    };
    let mut header: Vec<&str> = vec!["point"];
    header.extend(doc.params.iter().map(String::as_str));
    header.extend(["recommended", "USD/month", "crossover"]);
    let mut right = vec![true];
    right.extend(doc.params.iter().map(|_| true));
    right.extend([false, true, false]);
    let rows: Vec<Vec<String>> = listed
        .iter()
        .map(|p| {
            let mut row = vec![p.point.to_string()];
            row.extend(doc.params.iter().map(|k| {
                p.values
                    .get(k)
                    .map_or(String::new(), |v| escape(&json_value_text(v)))
            }));
            match (&p.recommended, p.monthly_usd) {
                (Some(name), Some(usd)) => row.extend([escape(name), format!("{usd:.2}")]),
                _ => row.extend(["none meets the objectives".to_string(), String::new()]),
            }
            row.push(if p.crossover { "yes" } else { "" }.to_string());
            row
        })
        .collect();
    let header: Vec<String> = header.iter().map(|h| escape(h)).collect();
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    out.push_str(&table(&header, &right, &rows));
    if !doc.breaks.is_empty() {
        let _ = writeln!(out, "\n**What breaks first along {last}**\n");
        for b in &doc.breaks {
            let held: Vec<String> = b
                .values
                .iter()
                .map(|(k, v)| format!("{} = {}", escape(k), escape(&json_value_text(v))))
                .collect();
            let who = if held.is_empty() {
                escape(&b.candidate)
            } else {
                format!("[{}] {}", held.join(", "), escape(&b.candidate))
            };
            let what = match (&b.first_miss_at, &b.meets_up_to) {
                (None, _) => "meets the objectives at every value".to_string(),
                (Some(miss), up_to) => format!(
                    "{}misses at {}: {}",
                    up_to.as_ref().map_or(String::new(), |v| format!(
                        "meets them up to {}, ",
                        escape(&json_value_text(v))
                    )),
                    escape(&json_value_text(miss)),
                    escape(&b.missed.join(", "))
                ),
            };
            let _ = writeln!(out, "- **{who}**: {what}");
        }
    }
    out
}

/// The per-workload figures: which workload suffers where the summary blends them.
fn workload_table(doc: &RunDocument) -> String {
    let header = [
        "candidate",
        "workload",
        "GB/month",
        "refused",
        "dropped",
        "p99 FCT s",
        "p99 slowdown",
        "objectives",
    ];
    let right = [false, false, true, true, true, true, true, false];
    let figure =
        |w: &super::document::WorkloadResult, name: &str| w.figures.get(name).copied().flatten();
    let rows: Vec<Vec<String>> = doc
        .workloads
        .iter()
        .map(|w| {
            vec![
                escape(&w.candidate),
                escape(&w.workload),
                figure(w, "monthly_traffic_gb").map_or("-".into(), |v| format!("{v:.0}")),
                figure(w, "conn_fail_rate").map_or("-".into(), percent),
                figure(w, "drop_rate").map_or("-".into(), percent),
                figure(w, "fct_p99_s").map_or("-".into(), super::table::three_digits),
                figure(w, "slowdown_p99").map_or("-".into(), |v| format!("{v:.1}")),
                if w.meets_objectives {
                    "✅ meets".to_string()
                } else {
                    format!(
                        "❌ {}",
                        escape(
                            &w.missed
                                .iter()
                                .map(|m| m.text.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        )
                    )
                },
            ]
        })
        .collect();
    table(&header, &right, &rows)
}

/// `validate`: the file is sound, its size, and what running it would take.
pub(crate) fn validate(doc: &ValidateDocument) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "### natsim validate: {}\n", escape(&doc.file));
    let _ = writeln!(
        out,
        "- ok: scenario {} with {} workload(s) and {} candidate(s)",
        escape(&doc.scenario),
        doc.workloads,
        doc.candidates
    );
    if let Some(sweep) = &doc.sweep {
        let _ = writeln!(
            out,
            "- sweep of {} point(s), {} run(s) in all",
            sweep.points, sweep.runs
        );
    }
    let _ = writeln!(
        out,
        "- estimate: {}{}",
        escape(&doc.estimate.text),
        if doc.estimate.above_limits {
            "; above the limits: `natsim run` will ask for `--yes`"
        } else {
            ""
        }
    );
    for warning in &doc.warnings {
        let _ = writeln!(out, "- {}", escape(warning));
    }
    out
}

/// A Markdown table (GitHub's pipe tables), numbers right-aligned where `right` says so.
/// Cells are written as given: callers escape text that is not theirs.
pub(crate) fn table(header: &[&str], right: &[bool], rows: &[Vec<String>]) -> String {
    let mut out = format!("| {} |\n|", header.join(" | "));
    for c in 0..header.len() {
        out.push_str(if right.get(c).copied().unwrap_or(false) {
            "--:|"
        } else {
            ":--|"
        });
    }
    out.push('\n');
    for row in rows {
        let _ = writeln!(out, "| {} |", row.join(" | "));
    }
    out
}

/// Text made inert in Markdown: characters that would start a link, HTML, code, emphasis, math
/// or a table cell are escaped with a backslash (CommonMark lets any ASCII punctuation be), and
/// control characters become spaces. Underscores inside a word are left alone (`nf_conntrack_max`
/// stays readable): GitHub never reads those as emphasis.
pub(crate) fn escape(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    for (i, &c) in chars.iter().enumerate() {
        let word = |j: Option<usize>| {
            j.and_then(|j| chars.get(j))
                .is_some_and(|c| c.is_alphanumeric())
        };
        match c {
            '_' if word(i.checked_sub(1)) && word(Some(i + 1)) => out.push(c),
            // `<` opens HTML only before a letter, `/`, `!` or `?` ("< 730 h" stays as it is).
            '<' if !chars
                .get(i + 1)
                .is_some_and(|n| n.is_ascii_alphabetic() || matches!(n, '/' | '!' | '?')) =>
            {
                out.push(c)
            }
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '|' | '~' | '&' | '$' => {
                out.push('\\');
                out.push(c);
            }
            '#' | '>' | '+' | '-' | '=' if i == 0 => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// The headline with its first words in bold: "**Recommended:** fck-nat-c6gn.medium (…)".
fn headline(text: &str) -> String {
    match text.strip_prefix("recommended: ") {
        Some(rest) => format!("**Recommended:** {}", escape(rest)),
        None => format!("**No recommendation:** {}", escape(text)),
    }
}

fn summary_row(c: &CandidateResult) -> Vec<String> {
    let p = &c.performance;
    let at_least = |flag: bool| if flag { "≥ " } else { "" };
    vec![
        if c.recommended {
            format!("**{}** (recommended)", escape(&c.name))
        } else {
            escape(&c.name)
        },
        escape(&c.kind),
        format!("{:.2}", c.monthly_cost_usd.total),
        p.conn_fail_rate.map_or("-".into(), percent),
        p.drop_rate.map_or("-".into(), percent),
        p.slowdown_p99.map_or("-".into(), |v| {
            format!("{}{v:.1}", at_least(p.slowdown_p99_at_least))
        }),
        p.availability.map_or("-".into(), availability_percent),
        if c.meets_objectives {
            "✅ meets".to_string()
        } else {
            "❌ misses".to_string()
        },
    ]
}

fn cost_table(doc: &RunDocument) -> String {
    let labels: Vec<&str> = ["candidate"]
        .into_iter()
        .chain(
            doc.candidates
                .first()
                .map(|c| c.monthly_cost_usd.labelled().map(|(label, _)| label))
                .unwrap_or_default(),
        )
        .collect();
    let right: Vec<bool> = (0..labels.len()).map(|c| c > 0).collect();
    let rows: Vec<Vec<String>> = doc
        .candidates
        .iter()
        .map(|c| {
            std::iter::once(escape(&c.name))
                .chain(
                    c.monthly_cost_usd
                        .labelled()
                        .iter()
                        .map(|(_, usd)| format!("{usd:.2}")),
                )
                .collect()
        })
        .collect();
    table(&labels, &right, &rows)
        + "\nhours: instances or NAT gateways; standby: a fallback's standby NAT gateway; egress: data transfer to the internet; EBS: the instances' gp3 volumes; endpoints: interface endpoints' hours and GB.\n"
}

fn objectives(doc: &RunDocument) -> String {
    let mut out =
        String::from("Objectives in force (set them in `[slo]`; `\"off\"` drops one):\n\n");
    for o in &doc.objectives {
        let _ = writeln!(out, "- {}", escape(&o.text));
    }
    if !doc.assumptions.is_empty() {
        out.push_str(
            "\nAssumptions these results rest on (set the key on a candidate to override):\n\n",
        );
        for a in &doc.assumptions {
            let _ = writeln!(
                out,
                "- {} = {} ({}): {}",
                escape(&a.key),
                escape(&a.value),
                escape(&a.candidates.join(", ")),
                escape(&a.basis)
            );
        }
    }
    out.push_str("\nModel assumptions behind every result (docs/model.md):\n\n");
    for a in &doc.model_assumptions {
        let _ = writeln!(out, "- {}", escape(a));
    }
    out
}

/// A folded section: GitHub shows the summary and opens the body on a click.
fn details(out: &mut String, summary: &str, body: &str) {
    let _ = write!(
        out,
        "\n<details><summary>{summary}</summary>\n\n{body}\n</details>\n"
    );
}

/// `value` with at most `decimals` decimals and no trailing zeros.
fn trimmed(value: f64, decimals: usize) -> String {
    let text = format!("{value:.decimals$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

/// A swept value as the CSV writes it: numbers and flags as written, text without quotes.
fn json_value_text(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::{escape, table};

    #[test]
    fn escape_keeps_user_text_inert_and_words_readable() {
        let cases = [
            ("natgw", "natgw"),
            ("nf_conntrack_max", "nf_conntrack_max"),
            ("_lead and trail_", "\\_lead and trail\\_"),
            ("a|b", "a\\|b"),
            ("<script>", "\\<script>"),
            ("[x](http://e)", "\\[x\\](http://e)"),
            ("costs $5 ($7 vs $2)", "costs \\$5 (\\$7 vs \\$2)"),
            ("# title", "\\# title"),
            ("- item", "\\- item"),
            ("67.4 % > 0.10 %", "67.4 % > 0.10 %"),
            ("credits last 20 h < 730 h", "credits last 20 h < 730 h"),
            ("a <b>, <!-- x", "a \\<b>, \\<!-- x"),
            ("line\nbreak", "line break"),
            ("`code` *em*", "\\`code\\` \\*em\\*"),
        ];
        for (text, expected) in cases {
            assert_eq!(escape(text), expected, "{text:?}");
        }
    }

    #[test]
    fn tables_align_numbers_right() {
        let text = table(
            &["name", "USD"],
            &[false, true],
            &[vec!["a".into(), "1.00".into()]],
        );
        assert_eq!(text, "| name | USD |\n|:--|--:|\n| a | 1.00 |\n");
    }
}
