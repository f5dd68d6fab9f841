//! `runs.csv`: the sweep's journal, one line per finished run, appended as runs finish and read
//! back by `--resume`.
//!
//! Owns the journal's format: `point, param_*..., candidate, replication, seed`, one column per
//! figure (named like `summary.csv`'s), then `credits_exhausted_at_s`. Figures are written in
//! Rust's shortest exact form, so a resumed sweep aggregates the very same bits as an
//! uninterrupted one. Text in, text out: the CLI opens, appends and flushes the file.

use crate::io::report::csv::line;
use crate::io::sweep::Record;
use crate::io::sweep::plan::Plan;
use crate::results::summary::Metric;

/// What `--resume` found in an existing journal.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Resumed {
    /// Finished runs, each once, in file order.
    pub(crate) records: Vec<Record>,
    /// Length in bytes of the journal's complete lines; a line cut short by an interruption
    /// (no newline yet) lies beyond it and is dropped.
    pub(crate) complete_len: usize,
}

/// The header line.
pub(crate) fn header(plan: &Plan) -> String {
    let mut columns = vec!["point".to_string()];
    columns.extend(plan.spec.params.iter().map(|p| p.column.clone()));
    columns.extend(["candidate", "replication", "seed"].map(String::from));
    columns.extend(Metric::ALL.iter().map(|m| m.name().to_string()));
    columns.push("credits_exhausted_at_s".into());
    line(columns)
}

/// The line of one finished run.
pub(crate) fn entry(plan: &Plan, record: &Record) -> String {
    let scenario = &plan.points[record.point].scenario;
    let mut fields = vec![record.point.to_string()];
    fields.extend(plan.param_texts(record.point));
    fields.push(scenario.candidates[record.candidate].name.clone());
    fields.push(record.replication.to_string());
    fields.push(record.seed.to_string());
    // `{}` on f64 is the shortest text that parses back to the same bits (NaN and inf too).
    fields.extend(record.values.iter().map(|v| v.to_string()));
    fields.push(
        record
            .credits_exhausted_at_s
            .map(|s| s.to_string())
            .unwrap_or_default(),
    );
    line(fields)
}

/// Reads a journal written for `plan`. Refuses (with the problem, for the caller to add the
/// file and the fix) a journal whose header or any line's point, values or candidate do not
/// belong to this sweep.
pub(crate) fn read(plan: &Plan, text: &str) -> Result<Resumed, String> {
    let complete_len = text.rfind('\n').map_or(0, |i| i + 1);
    let complete = &text[..complete_len];
    let mut lines = complete.lines();
    let expected = header(plan);
    match lines.next() {
        Some(found) if found == expected.trim_end() => {}
        Some(_) => {
            return Err(
                "its header does not match this sweep's keys or natsim's figures".to_string(),
            );
        }
        None => {
            return Ok(Resumed {
                records: Vec::new(),
                complete_len: 0,
            });
        }
    }
    let mut records: Vec<Record> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (i, text) in lines.enumerate() {
        let record =
            parse_entry(plan, text).map_err(|problem| format!("line {}: {problem}", i + 2))?;
        if seen.insert(record.key()) {
            records.push(record);
        }
    }
    Ok(Resumed {
        records,
        complete_len,
    })
}

fn parse_entry(plan: &Plan, text: &str) -> Result<Record, String> {
    let fields = crate::io::report::csv::split_line(text);
    let params = plan.spec.params.len();
    let expected = 1 + params + 3 + Metric::ALL.len() + 1;
    if fields.len() != expected {
        return Err(format!("{} fields, expected {expected}", fields.len()));
    }
    let point: usize = fields[0]
        .parse()
        .ok()
        .filter(|&p| p < plan.points.len())
        .ok_or_else(|| format!("point \"{}\" is not a point of this sweep", fields[0]))?;
    if fields[1..=params] != plan.param_texts(point)[..] {
        return Err(format!(
            "point {point} has values {:?}, this sweep gives {:?}",
            &fields[1..=params],
            plan.param_texts(point)
        ));
    }
    let scenario = &plan.points[point].scenario;
    let name = &fields[params + 1];
    let candidate = scenario
        .candidates
        .iter()
        .position(|c| &c.name == name)
        .ok_or_else(|| format!("point {point} has no candidate \"{name}\""))?;
    let replication: u32 = fields[params + 2]
        .parse()
        .ok()
        .filter(|&r| r < scenario.replications)
        .ok_or_else(|| format!("replication \"{}\" is out of range", fields[params + 2]))?;
    let seed: u64 = fields[params + 3]
        .parse()
        .map_err(|_| format!("seed \"{}\" is not a whole number", fields[params + 3]))?;
    let figures = &fields[params + 4..params + 4 + Metric::ALL.len()];
    let values = figures
        .iter()
        .map(|f| f.parse::<f64>())
        .collect::<Result<Vec<f64>, _>>()
        .map_err(|_| "a figure is not a number".to_string())?;
    let credits = &fields[expected - 1];
    let credits_exhausted_at_s = match credits.as_str() {
        "" => None,
        text => Some(
            text.parse::<f64>()
                .map_err(|_| format!("credits_exhausted_at_s \"{text}\" is not a number"))?,
        ),
    };
    Ok(Record {
        point,
        candidate,
        replication,
        seed,
        values,
        credits_exhausted_at_s,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCENARIO: &str = r#"
[scenario]
name = "journal"
duration = "2m"
replications = 2

[sweep]
"candidate[0].ips" = [1, 2]

[[workload]]
rate_per_s = 1

[[candidate]]
name = "gw-one"
kind = "nat_gateway"
"#;

    fn record(point: usize, replication: u32) -> Record {
        Record {
            point,
            candidate: 0,
            replication,
            seed: 7,
            values: (0..Metric::ALL.len())
                .map(|i| 0.1 * i as f64 + 1.0 / 3.0)
                .collect(),
            credits_exhausted_at_s: (replication == 1).then_some(12.5),
        }
    }

    #[test]
    fn entries_read_back_bit_for_bit_and_cut_lines_are_dropped() {
        let plan = Plan::from_text(SCENARIO, "j.toml").unwrap();
        let mut text = header(&plan);
        text.push_str(&entry(&plan, &record(1, 1)));
        text.push_str(&entry(&plan, &record(0, 0)));
        text.push_str(&entry(&plan, &record(0, 0)));
        let full = text.len();
        text.push_str("0,1,gw-o");
        let resumed = read(&plan, &text).unwrap();
        assert_eq!(resumed.records, vec![record(1, 1), record(0, 0)]);
        assert_eq!(resumed.complete_len, full);
    }

    #[test]
    fn a_journal_from_another_sweep_is_refused() {
        let plan = Plan::from_text(SCENARIO, "j.toml").unwrap();
        let other = Plan::from_text(&SCENARIO.replace("[1, 2]", "[1, 3]"), "j.toml").unwrap();
        let mut text = header(&other);
        text.push_str(&entry(&other, &record(1, 0)));
        let err = read(&plan, &text).unwrap_err();
        assert!(err.contains("line 2") && err.contains("point 1"), "{err}");
        assert!(read(&plan, "point,x\n").unwrap_err().contains("header"));
    }
}
