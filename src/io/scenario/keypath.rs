//! Key paths into a scenario's raw TOML: `workload[0].rate_per_s`, `candidate[1].instance_type`,
//! `prices.instance_usd_per_hour."t4g.nano"`, and setting the value one names.
//!
//! Owns the key-path syntax that sweeps (`[sweep]`) and `--set` share, and the checks along the
//! way: each list index must exist, a key into a list or an index into a table is refused with
//! the fix. It edits `toml::Table`s only and never says whether a value is right for its key
//! (the scenario parser does, with the same key path in its error).

use super::ScenarioError;
use crate::util::echo;
use toml::Value;

/// How to write a key path, for hints.
pub(crate) const PATH_HINT: &str = "write a key path like \"workload[0].rate_per_s\" or \"candidate[1].instance_type\", in double quotes";

/// A parsed key path.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct KeyPath {
    steps: Vec<Step>,
}

/// One step of a key path: a table key, or an index into a list (`[[candidate]]` tables).
#[derive(Debug, Clone, PartialEq)]
enum Step {
    Key(String),
    Index(usize),
}

/// What to do about a table that is missing on the way to the key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Missing {
    /// Refuse: every table on the way must exist (a sweep edits the scenario as written).
    Refuse,
    /// Create it (`--set slo.max_drop_rate=0.01` on a file without `[slo]`); the parser then
    /// says whether the scenario takes such a table.
    Create,
}

impl KeyPath {
    /// `a.b[2].c` or `prices.instance_usd_per_hour."t4g.nano"` into steps; the problem in words
    /// when it is not a key path.
    pub(crate) fn parse(key: &str) -> Result<KeyPath, String> {
        let mut steps = Vec::new();
        let mut rest = key;
        loop {
            let (name, after) = if let Some(quoted) = rest.strip_prefix('"') {
                let end = quoted
                    .find('"')
                    .ok_or_else(|| format!("{} has an unclosed quote", echo::quoted(key)))?;
                (&quoted[..end], &quoted[end + 1..])
            } else {
                let end = rest
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
                    .unwrap_or(rest.len());
                (&rest[..end], &rest[end..])
            };
            if name.is_empty() {
                return Err(format!(
                    "{} is not a key path: a key is missing",
                    echo::quoted(key)
                ));
            }
            steps.push(Step::Key(name.to_string()));
            rest = after;
            while let Some(inner) = rest.strip_prefix('[') {
                let end = inner
                    .find(']')
                    .ok_or_else(|| format!("{} has an unclosed [", echo::quoted(key)))?;
                let index = inner[..end].parse::<usize>().map_err(|_| {
                    format!(
                        "{} in {} is not a list index",
                        echo::quoted(&inner[..end]),
                        echo::quoted(key)
                    )
                })?;
                steps.push(Step::Index(index));
                rest = &inner[end + 1..];
            }
            if rest.is_empty() {
                break;
            }
            rest = rest.strip_prefix('.').ok_or_else(|| {
                format!(
                    "{} is not a key path: unexpected {}",
                    echo::quoted(key),
                    echo::quoted(rest)
                )
            })?;
        }
        Ok(KeyPath { steps })
    }

    /// The first key of the path (`workload` in `workload[0].rate_per_s`).
    pub(crate) fn first_key(&self) -> Option<&str> {
        match self.steps.first() {
            Some(Step::Key(key)) => Some(key),
            _ => None,
        }
    }

    /// The path as the scenario parser names keys in its errors: `workload[0].rate_per_s`,
    /// with a key that holds a dot in quotes.
    pub(crate) fn canonical(&self) -> String {
        let mut text = String::new();
        for step in &self.steps {
            extend_path(&mut text, step);
        }
        text
    }

    /// Sets this key to `value` in `root`. `owner` is the key path errors name (the sweep's
    /// `sweep."workload[9].rate_per_s"`, or `--set workload[9].rate_per_s`).
    pub(crate) fn set(
        &self,
        root: &mut toml::Table,
        value: Value,
        missing: Missing,
        owner: &str,
    ) -> Result<(), ScenarioError> {
        // Walk a `Value` cursor: tables and lists alternate along the path.
        let mut whole = Value::Table(std::mem::take(root));
        let outcome = Walk {
            owner,
            missing,
            path: self,
        }
        .set(&mut whole, value);
        if let Value::Table(table) = whole {
            *root = table;
        }
        outcome
    }
}

/// One walk down a path, with what its errors need.
struct Walk<'a> {
    owner: &'a str,
    missing: Missing,
    path: &'a KeyPath,
}

impl Walk<'_> {
    fn set(&self, root: &mut Value, value: Value) -> Result<(), ScenarioError> {
        let Some((last, parents)) = self.path.steps.split_last() else {
            return Err(self.error("the key path is empty".into(), PATH_HINT.into()));
        };
        let mut at = root;
        let mut walked = String::new();
        for (index, step) in parents.iter().enumerate() {
            let next = parents.get(index + 1).unwrap_or(last);
            at = self.step_into(at, step, next, &mut walked)?;
        }
        let parent = walked.clone();
        extend_path(&mut walked, last);
        match (last, at) {
            (Step::Key(key), Value::Table(table)) => {
                table.insert(key.clone(), value);
                Ok(())
            }
            (Step::Index(index), Value::Array(items)) => match items.get_mut(*index) {
                Some(slot) => {
                    *slot = value;
                    Ok(())
                }
                None => Err(self.missing_index(&walked, &parent, items.len())),
            },
            (step, other) => Err(self.mismatch(&parent, step, other)),
        }
    }

    /// The value at `step` inside `at`, which must exist (or is created, empty: a list when
    /// `next` indexes into it, else a table).
    fn step_into<'v>(
        &self,
        at: &'v mut Value,
        step: &Step,
        next: &Step,
        walked: &mut String,
    ) -> Result<&'v mut Value, ScenarioError> {
        let parent = walked.clone();
        extend_path(walked, step);
        match (step, at) {
            (Step::Key(key), Value::Table(table)) => {
                if self.missing == Missing::Create && !table.contains_key(key) {
                    let empty = match next {
                        Step::Index(_) => Value::Array(Vec::new()),
                        Step::Key(_) => Value::Table(toml::Table::new()),
                    };
                    table.insert(key.clone(), empty);
                }
                let known = keys_of(table);
                table.get_mut(key).ok_or_else(|| {
                    self.error(
                        format!("{walked} does not exist in the scenario"),
                        format!("keys there: {known}"),
                    )
                })
            }
            (Step::Index(index), Value::Array(items)) => {
                let len = items.len();
                items
                    .get_mut(*index)
                    .ok_or_else(|| self.missing_index(walked, &parent, len))
            }
            (step, other) => Err(self.mismatch(&parent, step, other)),
        }
    }

    fn missing_index(&self, walked: &str, parent: &str, len: usize) -> ScenarioError {
        self.error(
            format!("{walked} does not exist: the scenario has {len} {parent} entries"),
            format!("use an index from 0 to {}", len.saturating_sub(1)),
        )
    }

    /// `step` does not fit what `parent` holds: a key into a list, or an index into a table.
    fn mismatch(&self, parent: &str, step: &Step, found: &Value) -> ScenarioError {
        match (step, found) {
            (Step::Index(_), Value::Table(_)) => self.error(
                format!("{parent} is a table, not a list"),
                format!("drop the [index] after {parent}"),
            ),
            (Step::Key(_), Value::Array(_)) => self.error(
                format!("{parent} is a list of [[{parent}]] tables"),
                format!("pick one with an index, e.g. {parent}[0]"),
            ),
            (_, other) => self.error(
                format!("{parent} is {}, not a table", kind_of(other)),
                PATH_HINT.into(),
            ),
        }
    }

    fn error(&self, problem: String, hint: String) -> ScenarioError {
        ScenarioError::new(self.owner, problem, hint)
    }
}

fn extend_path(walked: &mut String, step: &Step) {
    match step {
        Step::Key(key) => {
            if !walked.is_empty() {
                walked.push('.');
            }
            if key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            {
                walked.push_str(key);
            } else {
                walked.push_str(&format!("\"{}\"", key.escape_default()));
            }
        }
        Step::Index(index) => walked.push_str(&format!("[{index}]")),
    }
}

fn keys_of(table: &toml::Table) -> String {
    if table.is_empty() {
        return "none".into();
    }
    table.keys().cloned().collect::<Vec<_>>().join(", ")
}

/// A value's kind in words, for errors.
pub(crate) fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::String(_) => "a string",
        Value::Integer(_) => "a whole number",
        Value::Float(_) => "a number",
        Value::Boolean(_) => "true or false",
        Value::Datetime(_) => "a date",
        Value::Array(_) => "a list",
        Value::Table(_) => "a table",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn steps(key: &str) -> Vec<Step> {
        KeyPath::parse(key).unwrap().steps
    }

    #[test]
    fn key_paths_parse_and_print_as_the_parser_names_keys() {
        assert_eq!(
            steps("prices.instance_usd_per_hour.\"t4g.nano\""),
            vec![
                Step::Key("prices".into()),
                Step::Key("instance_usd_per_hour".into()),
                Step::Key("t4g.nano".into())
            ]
        );
        assert_eq!(
            KeyPath::parse("prices.instance_usd_per_hour.\"t4g.nano\"")
                .unwrap()
                .canonical(),
            "prices.instance_usd_per_hour.\"t4g.nano\""
        );
        assert_eq!(
            KeyPath::parse("workload[0].rate_per_s")
                .unwrap()
                .canonical(),
            "workload[0].rate_per_s"
        );
        for bad in ["a..b", "a[x]", "a[1", "", "a b", "\"a"] {
            assert!(KeyPath::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn set_edits_the_table_and_names_missing_parents() {
        let mut root: toml::Table =
            "[scenario]\nname = \"x\"\n[[candidate]]\nips = 1\n[[candidate]]\nips = 2\n"
                .parse()
                .unwrap();
        let path = KeyPath::parse("candidate[1].ips").unwrap();
        path.set(&mut root, Value::Integer(3), Missing::Refuse, "owner")
            .unwrap();
        assert_eq!(root["candidate"][1]["ips"], Value::Integer(3));
        for (key, expected) in [
            ("candidate[2].ips", "has 2 candidate entries"),
            ("candidate.ips", "pick one with an index"),
            ("scenarioo.name", "keys there: candidate, scenario"),
            ("scenario[0].name", "not a list"),
            ("scenario.name.x", "not a table"),
        ] {
            let err = KeyPath::parse(key)
                .unwrap()
                .set(
                    &mut root.clone(),
                    Value::Boolean(false),
                    Missing::Refuse,
                    key,
                )
                .expect_err(key)
                .to_string();
            assert!(err.contains(key) && err.contains(expected), "{key}: {err}");
        }
    }

    #[test]
    fn missing_tables_are_created_only_when_asked() {
        let mut root: toml::Table = "[scenario]\nname = \"x\"\n".parse().unwrap();
        let path = KeyPath::parse("slo.max_drop_rate").unwrap();
        assert!(
            path.set(&mut root.clone(), Value::Float(0.1), Missing::Refuse, "k")
                .is_err()
        );
        path.set(&mut root, Value::Float(0.1), Missing::Create, "k")
            .unwrap();
        assert_eq!(root["slo"]["max_drop_rate"], Value::Float(0.1));
        // A list entry is never created: its index must exist.
        let err = KeyPath::parse("candidate[0].ips")
            .unwrap()
            .set(&mut root, Value::Integer(1), Missing::Create, "k")
            .unwrap_err();
        assert!(err.to_string().contains("0 candidate entries"), "{err}");
    }
}
