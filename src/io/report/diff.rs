//! `natsim diff A B`: two run documents compared, candidate by candidate (matched by name), and
//! the recommendation's change with the reason for it; laid out as a table, JSON or Markdown.
//!
//! Reads [`RunDocument`]s only (made now from a scenario, or read back from a `summary.json` by
//! [`read_document`]), so comparing two scenarios and comparing two output folders are the same
//! arithmetic. "Why" quotes the verdicts' own reasons: the old winner's reason to lose in B, the
//! new winner's in A. Never touches the filesystem.

use super::document::{CandidateResult, CostLines, RunDocument, SCHEMA_VERSION};
use super::markdown::{escape, table as markdown_table};
use super::table::aligned;
use crate::model::objectives::{availability_percent, percent};
use serde::Serialize;
use std::fmt::Write;

/// One side of a diff: where it came from (a scenario file or an output folder) and its result.
pub(crate) struct Side {
    pub(crate) source: String,
    pub(crate) document: RunDocument,
}

/// The comparison, as `--format json` prints it (`docs/schema/natsim-diff.schema.json`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct DiffDocument {
    schema_version: u32,
    natsim_version: String,
    kind: &'static str,
    a: SideInfo,
    b: SideInfo,
    recommendation: RecommendationChange,
    candidates: Vec<CandidateChange>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
struct SideInfo {
    source: String,
    scenario: String,
    region: String,
    seed: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
struct RecommendationChange {
    before: Option<String>,
    after: Option<String>,
    changed: bool,
    monthly_usd: Change,
    /// In words: what the old winner hit in B, or what kept the new one out in A.
    why: String,
}

/// A figure before (A) and after (B), and B − A; `null` where a side has no figure.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
struct Change {
    before: Option<f64>,
    after: Option<f64>,
    change: Option<f64>,
}

impl Change {
    /// A change within a millionth of a millionth of the figure is 0: floating-point noise, or
    /// a `summary.json` read back (serde_json reads a float to within a unit in the last
    /// place, not always to the bit), not a difference between the designs.
    fn of(before: Option<f64>, after: Option<f64>) -> Self {
        let change = before.zip(after).map(|(a, b)| {
            if (b - a).abs() <= 1e-12 * a.abs().max(b.abs()) {
                0.0
            } else {
                b - a
            }
        });
        Change {
            before,
            after,
            change,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
struct CandidateChange {
    name: String,
    kind: String,
    /// `both`, or `a` / `b` for a candidate only one side has.
    present: &'static str,
    meets_objectives: BoolChange,
    recommended: BoolChange,
    /// Each monthly line's change.
    monthly_cost_usd: CostLines<Change>,
    conn_fail_rate: Change,
    conn_failed: Change,
    drop_rate: Change,
    availability: Change,
    fct_p99_s: Change,
    slowdown_p99: Change,
    /// The `[slo]` keys of the objectives missed on each side.
    missed_before: Vec<String>,
    missed_after: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
struct BoolChange {
    before: Option<bool>,
    after: Option<bool>,
}

impl DiffDocument {
    /// Whether the recommended candidate differs (to or from none included).
    pub(crate) fn changed(&self) -> bool {
        self.recommendation.changed
    }
}

/// Compares `a` (before) with `b` (after). Candidates are listed in A's order, then those only
/// B has, in B's order.
pub(crate) fn compare(a: &Side, b: &Side) -> DiffDocument {
    let (da, db) = (&a.document, &b.document);
    let mut candidates: Vec<CandidateChange> = da
        .candidates
        .iter()
        .map(|ca| candidate_change(Some(ca), find(db, &ca.name)))
        .collect();
    candidates.extend(
        db.candidates
            .iter()
            .filter(|cb| find(da, &cb.name).is_none())
            .map(|cb| candidate_change(None, Some(cb))),
    );
    let (before, after) = (
        da.recommendation.candidate.clone(),
        db.recommendation.candidate.clone(),
    );
    DiffDocument {
        schema_version: SCHEMA_VERSION,
        natsim_version: env!("CARGO_PKG_VERSION").to_string(),
        kind: "diff",
        a: side_info(a),
        b: side_info(b),
        recommendation: RecommendationChange {
            changed: before != after,
            why: why(da, db),
            before,
            after,
            monthly_usd: Change::of(da.recommendation.monthly_usd, db.recommendation.monthly_usd),
        },
        candidates,
    }
}

/// A `summary.json`'s text as a run document; `file` names it in errors. Refuses another kind
/// of document and a schema newer than this natsim reads, saying what to do instead.
pub(crate) fn read_document(text: &str, file: &str) -> Result<RunDocument, String> {
    let value: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| format!("{file}: not valid JSON: {e}; rerun the natsim run that wrote it"))?;
    let version = value.get("schema_version").and_then(|v| v.as_u64());
    match version {
        None => {
            return Err(format!(
                "{file}: schema_version: missing or not a number; this is not a natsim summary.json"
            ));
        }
        Some(v) if v > u64::from(SCHEMA_VERSION) => {
            return Err(format!(
                "{file}: schema_version: {v} is newer than this natsim reads ({SCHEMA_VERSION}); use the natsim that wrote it, or rerun the scenario with this one"
            ));
        }
        Some(_) => {}
    }
    match value.get("kind").and_then(|k| k.as_str()) {
        Some("run") => {}
        other => {
            return Err(format!(
                "{file}: kind: {} is not a run's document; give a `natsim run` output folder (a batch's runs are in its sub-folders)",
                other.map_or("missing".to_string(), |k| format!("{k:?}"))
            ));
        }
    }
    serde_json::from_str(text).map_err(|e| {
        format!("{file}: {e}; the file does not follow docs/schema/natsim-run.schema.json: rerun the natsim run that wrote it")
    })
}

/// The diff as the console shows it.
pub(crate) fn render(doc: &DiffDocument) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "diff A: {} ({}) → B: {} ({})\n",
        doc.a.scenario, doc.a.source, doc.b.scenario, doc.b.source
    );
    let _ = writeln!(
        out,
        "recommendation: {}\n",
        recommendation_text(doc, &|s| s.to_string())
    );
    let _ = writeln!(out, "monthly cost, USD: change B − A by line");
    let (header, rows) = cost_rows(doc, &|s| s.to_string());
    out.push_str(&aligned(&header, &rows));
    let _ = writeln!(out, "\nperformance: A → B");
    let (header, rows) = performance_rows(doc, &|s| s.to_string());
    out.push_str(&aligned(&header, &rows));
    out
}

/// The diff as a pull-request comment.
pub(crate) fn markdown(doc: &DiffDocument) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "### natsim diff: {} → {}\n",
        escape(&doc.a.source),
        escape(&doc.b.source)
    );
    let verdict = if doc.recommendation.changed {
        "**Recommendation changed:**"
    } else {
        "**Recommendation unchanged:**"
    };
    let text = recommendation_text(doc, &escape);
    let text = text
        .strip_prefix("changed: ")
        .or_else(|| text.strip_prefix("unchanged: "))
        .unwrap_or(&text);
    let _ = writeln!(out, "{verdict} {text}\n");
    out.push_str("Monthly cost, USD (change B − A by line):\n\n");
    let (header, rows) = cost_rows(doc, &escape);
    let right: Vec<bool> = (0..header.len()).map(|c| c > 0).collect();
    out.push_str(&markdown_table(&header, &right, &rows));
    out.push_str("\nPerformance (A → B):\n\n");
    let (header, rows) = performance_rows(doc, &escape);
    let right: Vec<bool> = (0..header.len()).map(|c| c > 0).collect();
    out.push_str(&markdown_table(&header, &right, &rows));
    out
}

fn find<'a>(doc: &'a RunDocument, name: &str) -> Option<&'a CandidateResult> {
    doc.candidates.iter().find(|c| c.name == name)
}

fn side_info(side: &Side) -> SideInfo {
    let s = &side.document.scenario;
    SideInfo {
        source: side.source.clone(),
        scenario: s.name.clone(),
        region: s.region.clone(),
        seed: s.seed,
    }
}

fn candidate_change(a: Option<&CandidateResult>, b: Option<&CandidateResult>) -> CandidateChange {
    let either = a.or(b).map_or((String::new(), String::new()), |c| {
        (c.name.clone(), c.kind.clone())
    });
    let figure = |f: fn(&CandidateResult) -> Option<f64>| Change::of(a.and_then(f), b.and_then(f));
    let cost = |c: Option<&CandidateResult>| match c {
        Some(c) => c.monthly_cost_usd.map(Some),
        None => CostLines::splat(None),
    };
    let missed = |c: Option<&CandidateResult>| {
        c.map(|c| c.missed.iter().map(|m| m.objective.clone()).collect())
            .unwrap_or_default()
    };
    CandidateChange {
        name: either.0,
        kind: either.1,
        present: match (a, b) {
            (Some(_), Some(_)) => "both",
            (Some(_), None) => "a",
            _ => "b",
        },
        meets_objectives: BoolChange {
            before: a.map(|c| c.meets_objectives),
            after: b.map(|c| c.meets_objectives),
        },
        recommended: BoolChange {
            before: a.map(|c| c.recommended),
            after: b.map(|c| c.recommended),
        },
        monthly_cost_usd: cost(a)
            .zip(cost(b))
            .map(|(before, after)| Change::of(before, after)),
        conn_fail_rate: figure(|c| c.performance.conn_fail_rate),
        conn_failed: figure(|c| c.performance.conn_failed),
        drop_rate: figure(|c| c.performance.drop_rate),
        availability: figure(|c| c.performance.availability),
        fct_p99_s: figure(|c| c.performance.fct_p99_s),
        slowdown_p99: figure(|c| c.performance.slowdown_p99),
        missed_before: missed(a),
        missed_after: missed(b),
    }
}

/// Why the recommendation is what it is in B, compared with A, in the verdicts' own words.
fn why(a: &RunDocument, b: &RunDocument) -> String {
    let reason = |doc: &RunDocument, name: &str| {
        find(doc, name).map(|c| c.reason.first().cloned().unwrap_or_default())
    };
    let (before, after) = (
        a.recommendation.candidate.as_deref(),
        b.recommendation.candidate.as_deref(),
    );
    match (before, after) {
        (Some(x), Some(y)) if x == y => format!("{x} is recommended in both"),
        (None, None) => "no candidate meets the objectives in either".to_string(),
        (Some(x), after) => {
            let old = match reason(b, x) {
                Some(r) => format!("in B, {x}: {r}"),
                None => format!("{x} is not a candidate in B"),
            };
            match after {
                None => format!("no candidate meets the objectives in B; {old}"),
                Some(y) => match reason(a, y) {
                    Some(r) => format!("{old}; in A, {y}: {r}"),
                    None => format!("{old}; {y} is new in B"),
                },
            }
        }
        (None, Some(y)) => match reason(a, y) {
            Some(r) => format!("{y} meets the objectives in B; in A, {y}: {r}"),
            None => format!("{y} is new in B and meets the objectives"),
        },
    }
}

/// "unchanged: X (USD a → b a month); why" or "changed: X → Y; why", with user text through
/// `esc`.
fn recommendation_text(doc: &DiffDocument, esc: &dyn Fn(&str) -> String) -> String {
    let r = &doc.recommendation;
    let name = |n: &Option<String>| n.as_deref().map_or("none".to_string(), esc);
    let usd = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.2}"));
    if r.changed {
        format!(
            "changed: {} → {} ({} → {} USD a month); {}",
            name(&r.before),
            name(&r.after),
            usd(r.monthly_usd.before),
            usd(r.monthly_usd.after),
            esc(&r.why)
        )
    } else {
        format!(
            "unchanged: {} ({} → {} USD a month); {}",
            name(&r.after),
            usd(r.monthly_usd.before),
            usd(r.monthly_usd.after),
            esc(&r.why)
        )
    }
}

/// The cost table: per candidate the change of each monthly line (the run document's lines, in
/// its order), then the total A → B.
fn cost_rows(
    doc: &DiffDocument,
    esc: &dyn Fn(&str) -> String,
) -> (Vec<&'static str>, Vec<Vec<String>>) {
    let header = [&["candidate"], CostLines::LABELS.as_slice(), &["A → B"]].concat();
    let rows = doc
        .candidates
        .iter()
        .map(|c| {
            let l = c.monthly_cost_usd;
            std::iter::once(label(c, esc))
                .chain(l.values().map(|change| signed(change.change)))
                .chain(std::iter::once(arrow(l.total, &|v| format!("{v:.2}"))))
                .collect()
        })
        .collect();
    (header, rows)
}

/// The performance table: refusals, drops, availability, p99s and the objectives, A → B.
fn performance_rows(
    doc: &DiffDocument,
    esc: &dyn Fn(&str) -> String,
) -> (Vec<&'static str>, Vec<Vec<String>>) {
    let header = vec![
        "candidate",
        "refused",
        "dropped",
        "availability",
        "FCT p99 s",
        "slowdown p99",
        "objectives",
    ];
    let meets = |v: Option<bool>| match v {
        Some(true) => "meets",
        Some(false) => "misses",
        None => "-",
    };
    let rows = doc
        .candidates
        .iter()
        .map(|c| {
            vec![
                label(c, esc),
                arrow(c.conn_fail_rate, &percent),
                arrow(c.drop_rate, &percent),
                arrow(c.availability, &availability_percent),
                arrow(c.fct_p99_s, &|v| format!("{v:.3}")),
                arrow(c.slowdown_p99, &|v| format!("{v:.1}")),
                format!(
                    "{} → {}",
                    meets(c.meets_objectives.before),
                    meets(c.meets_objectives.after)
                ),
            ]
        })
        .collect();
    (header, rows)
}

/// The candidate's name, marked when only one side has it.
fn label(c: &CandidateChange, esc: &dyn Fn(&str) -> String) -> String {
    match c.present {
        "a" => format!("{} (only in A)", esc(&c.name)),
        "b" => format!("{} (only in B)", esc(&c.name)),
        _ => esc(&c.name),
    }
}

/// "before → after", or the one side there is.
fn arrow(change: Change, show: &dyn Fn(f64) -> String) -> String {
    let side = |v: Option<f64>| v.map_or("-".to_string(), show);
    format!("{} → {}", side(change.before), side(change.after))
}

/// A change in dollars with its sign ("+3.65", "-0.12", "0"); "-" when a side is missing.
fn signed(change: Option<f64>) -> String {
    match change {
        None => "-".to_string(),
        Some(v) if v.abs() < 0.005 => "0".to_string(),
        Some(v) => format!("{v:+.2}"),
    }
}

#[cfg(test)]
mod tests {
    use super::{read_document, signed};

    /// Every way a summary.json can be wrong names the file and what is wrong with it.
    #[test]
    fn a_bad_summary_json_is_refused_naming_file_and_key() {
        let cases = [
            ("{not json", "not valid JSON"),
            ("{\"kind\": \"run\"}", "schema_version: missing"),
            (
                "{\"schema_version\": 99, \"kind\": \"run\"}",
                "schema_version: 99 is newer than this natsim reads (1)",
            ),
            (
                "{\"schema_version\": 1, \"kind\": \"sweep\"}",
                "kind: \"sweep\" is not a run's document",
            ),
            (
                "{\"schema_version\": 1, \"kind\": \"run\", \"natsim_version\": \"0\"}",
                "missing field `scenario`",
            ),
        ];
        for (text, expected) in cases {
            let error = read_document(text, "out/x/summary.json").unwrap_err();
            assert!(error.starts_with("out/x/summary.json: "), "{error}");
            assert!(error.contains(expected), "{text}: {error}");
        }
    }

    #[test]
    fn noise_is_no_change() {
        let change = super::Change::of(Some(44.063726998865604), Some(44.0637269988656));
        assert_eq!(change.change, Some(0.0));
        assert_eq!(super::Change::of(Some(1.0), None).change, None);
        assert_eq!(super::Change::of(Some(0.0), Some(3.65)).change, Some(3.65));
    }

    #[test]
    fn changes_carry_their_sign() {
        assert_eq!(signed(Some(3.651)), "+3.65");
        assert_eq!(signed(Some(-0.126)), "-0.13");
        assert_eq!(signed(Some(0.001)), "0");
        assert_eq!(signed(None), "-");
    }
}
