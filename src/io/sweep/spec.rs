//! The `[sweep]` table: which scenario keys to vary, over which values, and how one point edits
//! the scenario's raw TOML.
//!
//! Owns the sweep contract. Each entry names a key path (`candidate[1].instance_type`) and gives a
//! list of values or a range `{ from, to, steps, scale = "linear" | "log" }` (both ends included).
//! The points are the Cartesian product, the first key varying slowest. Ranges that make no sense
//! are refused with the fix, before anything runs. It edits `toml::Table`s only: it never checks
//! what a value means (the scenario parser does, per point), runs a simulation or touches a file.

use crate::io::scenario::ScenarioError;
use crate::io::scenario::keypath::{KeyPath, Missing, PATH_HINT, kind_of};
use crate::util::echo;
use toml::Value;

/// Most points one sweep may have; beyond it a typo (steps = 1000000) would run for days.
pub(crate) const MAX_POINTS: usize = 100_000;
/// Significant digits kept for the inside points of a range, so `param_*` columns read cleanly
/// and the value written is exactly the value simulated.
const RANGE_DIGITS: usize = 6;

/// The parsed `[sweep]` table, keys in the order they appear in the file.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SweepSpec {
    pub(crate) params: Vec<Param>,
}

/// One swept key.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Param {
    /// The key path as written, e.g. `workload[0].rate_per_s`.
    pub(crate) key: String,
    /// `param_` + the key path with every run of non-alphanumerics turned into `_`.
    pub(crate) column: String,
    pub(crate) values: Vec<Value>,
    pub(crate) path: KeyPath,
}

type Result<T> = std::result::Result<T, ScenarioError>;

impl SweepSpec {
    /// Reads a `[sweep]` table. `order` lists its keys as they appear in the file (TOML tables
    /// forget it), see [`key_order`]; keys missing from it go last.
    pub(crate) fn parse(table: &toml::Table, order: &[String]) -> Result<SweepSpec> {
        if table.is_empty() {
            return Err(ScenarioError::new(
                "sweep",
                "the [sweep] table is empty",
                "add a key path with its values, e.g. \"workload[0].rate_per_s\" = [10, 100, 1000]",
            ));
        }
        let mut keys: Vec<&String> = table.keys().collect();
        keys.sort_by_key(|k| order.iter().position(|o| o == *k).unwrap_or(usize::MAX));
        let mut params: Vec<Param> = Vec::with_capacity(keys.len());
        for key in keys {
            let param = parse_param(key, &table[key.as_str()])?;
            if let Some(other) = params.iter().find(|p| p.column == param.column) {
                return Err(ScenarioError::new(
                    param_path(key),
                    format!(
                        "\"{}\" and \"{}\" give the same column {}",
                        other.key, param.key, param.column
                    ),
                    "sweep each key once",
                ));
            }
            params.push(param);
        }
        let spec = SweepSpec { params };
        spec.checked_point_count()?;
        Ok(spec)
    }

    /// Number of points: the product of every key's number of values.
    pub(crate) fn point_count(&self) -> usize {
        self.params.iter().map(|p| p.values.len()).product()
    }

    fn checked_point_count(&self) -> Result<usize> {
        let count = self
            .params
            .iter()
            .try_fold(1usize, |n, p| n.checked_mul(p.values.len()));
        if let Some(n) = count.filter(|&n| n <= MAX_POINTS) {
            return Ok(n);
        }
        let sizes: Vec<String> = self
            .params
            .iter()
            .map(|p| p.values.len().to_string())
            .collect();
        let total = count.map_or_else(|| "more".to_string(), |n| n.to_string());
        Err(ScenarioError::new(
            "sweep",
            format!(
                "{} = {total} points, more than the {MAX_POINTS} a sweep may have",
                sizes.join(" × ")
            ),
            "use fewer steps or values, or split the sweep into several files",
        ))
    }

    /// Each key's value index at `point`; the last key varies fastest.
    pub(crate) fn indices(&self, point: usize) -> Vec<usize> {
        let mut rest = point;
        let mut indices = vec![0; self.params.len()];
        for (slot, param) in indices.iter_mut().zip(&self.params).rev() {
            let n = param.values.len().max(1);
            *slot = rest % n;
            rest /= n;
        }
        indices
    }

    /// The values of `point`, one per key.
    pub(crate) fn values(&self, point: usize) -> Vec<&Value> {
        self.indices(point)
            .into_iter()
            .zip(&self.params)
            .map(|(i, p)| &p.values[i])
            .collect()
    }

    /// Checks every key path against the scenario: each table and list on the way must exist
    /// (the last key may be absent, e.g. an optional override; the parser then checks that the
    /// scenario accepts it).
    pub(crate) fn check_paths(&self, root: &toml::Table) -> Result<()> {
        for param in &self.params {
            let mut copy = root.clone();
            param.apply(&mut copy, Value::Boolean(false))?;
        }
        Ok(())
    }
}

impl Param {
    /// Sets this key to `value` in the scenario's raw table; every table on the way must exist.
    pub(crate) fn apply(&self, root: &mut toml::Table, value: Value) -> Result<()> {
        self.path
            .set(root, value, Missing::Refuse, &param_path(&self.key))
    }
}

/// The keys of `[sweep]` in the order the file writes them (a `toml::Table` sorts its keys);
/// empty when the text is not valid TOML (the scenario parser reports that first).
pub(crate) fn key_order(text: &str) -> Vec<String> {
    let Ok(document) = toml::de::DeTable::parse(text) else {
        return Vec::new();
    };
    let sweep = document
        .get_ref()
        .iter()
        .find(|(key, _)| key.get_ref().as_ref() == "sweep");
    let Some((_, value)) = sweep else {
        return Vec::new();
    };
    let toml::de::DeValue::Table(table) = value.get_ref() else {
        return Vec::new();
    };
    let mut keys: Vec<(usize, String)> = table
        .iter()
        .map(|(key, _)| (key.span().start, key.get_ref().to_string()))
        .collect();
    keys.sort();
    keys.into_iter().map(|(_, key)| key).collect()
}

/// A value as `param_*` columns show it: strings bare, numbers in Rust's shortest exact form,
/// anything else as inline TOML.
pub(crate) fn value_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Integer(n) => n.to_string(),
        Value::Float(x) => x.to_string(),
        other => other.to_string(),
    }
}

/// `key = value` as written in a point's description.
pub(crate) fn assignment(param: &Param, value: &Value) -> String {
    match value {
        Value::String(text) => format!("{} = {}", echo::short(&param.key), echo::quoted(text)),
        other => format!(
            "{} = {}",
            echo::short(&param.key),
            echo::short(&value_text(other))
        ),
    }
}

fn param_path(key: &str) -> String {
    format!("sweep.\"{}\"", echo::short(key))
}

fn parse_param(key: &str, value: &Value) -> Result<Param> {
    let path = KeyPath::parse(key)
        .map_err(|problem| ScenarioError::new(param_path(key), problem, PATH_HINT))?;
    if path.first_key() == Some("sweep") {
        return Err(ScenarioError::new(
            param_path(key),
            "a sweep cannot change its own [sweep] table",
            PATH_HINT,
        ));
    }
    let values = match value {
        Value::Array(items) if items.is_empty() => {
            return Err(ScenarioError::new(
                param_path(key),
                "the list of values is empty",
                "give at least one value, e.g. [10, 100]",
            ));
        }
        Value::Array(items) => items.clone(),
        Value::Table(range) => parse_range(key, range)?,
        other => {
            return Err(ScenarioError::new(
                param_path(key),
                format!(
                    "{} is {}, not values to sweep",
                    value_text(other),
                    kind_of(other)
                ),
                "give a list, [\"t4g.nano\", \"c6gn.medium\"], or a range, { from = 10, to = 1000, steps = 3, scale = \"log\" }",
            ));
        }
    };
    Ok(Param {
        key: key.to_string(),
        column: column_name(key),
        values,
        path,
    })
}

fn column_name(key: &str) -> String {
    let mut name = String::from("param_");
    let mut gap = false;
    for c in key.chars() {
        if c.is_ascii_alphanumeric() {
            if gap && !name.ends_with('_') {
                name.push('_');
            }
            name.push(c);
            gap = false;
        } else {
            gap = true;
        }
    }
    name
}

/// `{ from, to, steps, scale }` into its values, both ends included.
fn parse_range(key: &str, range: &toml::Table) -> Result<Vec<Value>> {
    let path = |field: &str| format!("{}.{field}", param_path(key));
    let example = "e.g. { from = 10, to = 1000, steps = 3, scale = \"log\" }";
    for field in range.keys() {
        if !["from", "to", "steps", "scale"].contains(&field.as_str()) {
            return Err(ScenarioError::new(
                path(field),
                format!("unknown key {} in a range", echo::quoted(field)),
                format!(
                    "a range takes from, to, steps and scale; a key path must be quoted as one key, {PATH_HINT}"
                ),
            ));
        }
    }
    let number = |field: &str| -> Result<(f64, bool)> {
        match range.get(field) {
            Some(Value::Integer(n)) => Ok((*n as f64, true)),
            Some(Value::Float(x)) if x.is_finite() => Ok((*x, false)),
            Some(other) => Err(ScenarioError::new(
                path(field),
                format!("{} is not a finite number", value_text(other)),
                format!("write a number without quotes, {example}"),
            )),
            None => Err(ScenarioError::new(
                path(field),
                "required key is missing",
                format!("a range needs from, to and steps, {example}"),
            )),
        }
    };
    let (from, from_whole) = number("from")?;
    let (to, to_whole) = number("to")?;
    let steps = match range.get("steps") {
        Some(Value::Integer(n)) if *n >= 1 => usize::try_from(*n).unwrap_or(usize::MAX),
        Some(Value::Integer(n)) => {
            return Err(ScenarioError::new(
                path("steps"),
                format!("steps = {n} gives no points"),
                "use steps = 2 or more; both ends are included",
            ));
        }
        Some(other) => {
            return Err(ScenarioError::new(
                path("steps"),
                format!("{} is not a whole number", value_text(other)),
                "write the number of points, e.g. steps = 5",
            ));
        }
        None => {
            return Err(ScenarioError::new(
                path("steps"),
                "required key is missing",
                format!("add the number of points, both ends included, {example}"),
            ));
        }
    };
    let log = match range.get("scale") {
        None => false,
        Some(Value::String(s)) if s == "linear" => false,
        Some(Value::String(s)) if s == "log" => true,
        Some(other) => {
            return Err(ScenarioError::new(
                path("scale"),
                format!("unknown scale {}", value_text(other)),
                "use scale = \"linear\" (the default) or scale = \"log\"",
            ));
        }
    };
    check_range(key, from, to, steps, log)?;
    let whole = from_whole && to_whole;
    Ok((0..steps)
        .map(|i| range_value(from, to, steps, log, i))
        .map(|x| {
            if whole && x.fract() == 0.0 && x.abs() < 9.0e15 {
                Value::Integer(x as i64)
            } else {
                Value::Float(x)
            }
        })
        .collect())
}

fn check_range(key: &str, from: f64, to: f64, steps: usize, log: bool) -> Result<()> {
    let error = |field: &str, problem: String, hint: String| {
        Err(ScenarioError::new(
            format!("{}.{field}", param_path(key)),
            problem,
            hint,
        ))
    };
    if from > to {
        return error(
            "from",
            format!("from = {from} is greater than to = {to}"),
            format!("swap them: from = {to}, to = {from}"),
        );
    }
    if log && from <= 0.0 {
        return error(
            "from",
            format!("from = {from}, but a log scale cannot start at zero or below"),
            "start above zero, e.g. from = 1, or use scale = \"linear\"".into(),
        );
    }
    if steps > MAX_POINTS {
        return error(
            "steps",
            format!("steps = {steps} is more than {MAX_POINTS} points"),
            "use fewer steps".into(),
        );
    }
    if steps == 1 && from != to {
        return error(
            "steps",
            format!("steps = 1 gives one point, but from ({from}) and to ({to}) differ"),
            "use steps = 2 or more (both ends are included), or a list of one value".into(),
        );
    }
    if steps > 1 && from == to {
        return error(
            "to",
            format!("from and to are both {from}: {steps} identical points"),
            "widen the range, or give a list of one value".into(),
        );
    }
    Ok(())
}

/// Point `i` of `steps` from `from` to `to`: the ends exact, the inside rounded to
/// [`RANGE_DIGITS`] significant digits.
fn range_value(from: f64, to: f64, steps: usize, log: bool, i: usize) -> f64 {
    if i == 0 {
        return from;
    }
    if i + 1 == steps {
        return to;
    }
    let fraction = i as f64 / (steps - 1) as f64;
    let x = if log {
        from * (to / from).powf(fraction)
    } else {
        from + (to - from) * fraction
    };
    // Through text, so the rounding is exact and the same on every platform.
    format!("{x:.prec$e}", prec = RANGE_DIGITS - 1)
        .parse()
        .unwrap_or(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(text: &str) -> Result<SweepSpec> {
        let root: toml::Table = text.parse().unwrap();
        let Some(Value::Table(sweep)) = root.get("sweep") else {
            panic!("test text has no [sweep]")
        };
        SweepSpec::parse(sweep, &key_order(text))
    }

    #[test]
    fn keys_keep_file_order_and_the_last_varies_fastest() {
        let s = spec("[sweep]\n\"z.b\" = [1, 2]\n\"a.c\" = [\"x\", \"y\", \"z\"]\n").unwrap();
        assert_eq!(s.params[0].key, "z.b");
        assert_eq!(s.point_count(), 6);
        assert_eq!(s.indices(0), vec![0, 0]);
        assert_eq!(s.indices(1), vec![0, 1]);
        assert_eq!(s.indices(3), vec![1, 0]);
        assert_eq!(value_text(s.values(5)[1]), "z");
    }

    #[test]
    fn log_ranges_are_clean_and_keep_their_ends() {
        let s = spec("[sweep]\n\"w[0].r\" = { from = 1, to = 1000, steps = 4, scale = \"log\" }\n")
            .unwrap();
        let values: Vec<String> = s.params[0].values.iter().map(value_text).collect();
        assert_eq!(values, ["1", "10", "100", "1000"]);
        assert_eq!(s.params[0].values[1], Value::Integer(10));
        let s = spec("[sweep]\n\"r\" = { from = 0.0004, to = 4.0, steps = 3, scale = \"log\" }\n")
            .unwrap();
        let values: Vec<String> = s.params[0].values.iter().map(value_text).collect();
        assert_eq!(values, ["0.0004", "0.04", "4"]);
        let s = spec("[sweep]\n\"r\" = { from = 0, to = 1, steps = 11 }\n").unwrap();
        assert_eq!(value_text(&s.params[0].values[3]), "0.3");
    }

    #[test]
    fn senseless_ranges_are_refused_with_the_fix() {
        let cases = [
            ("{ from = 1, to = 10, steps = 0 }", "gives no points"),
            ("{ from = 10, to = 1, steps = 3 }", "swap them"),
            ("{ from = 0, to = 10, steps = 3, scale = \"log\" }", "zero"),
            ("{ from = -5, to = 10, steps = 3, scale = \"log\" }", "zero"),
            (
                "{ from = 1, to = 10, steps = 3, scale = \"cubic\" }",
                "scale",
            ),
            ("{ from = 1, to = 10 }", "steps"),
            ("{ from = 1, to = 10, step = 3 }", "unknown key \"step\""),
            ("[]", "empty"),
            ("5", "not values to sweep"),
            ("{ from = 1, to = 2, steps = 200000 }", "100000"),
        ];
        for (range, expected) in cases {
            let err =
                spec(&format!("[sweep]\n\"workload[0].rate_per_s\" = {range}\n")).expect_err(range);
            let text = err.to_string();
            assert!(text.contains("workload[0].rate_per_s"), "{range}: {text}");
            assert!(text.contains(expected), "{range}: {text}");
        }
        let err = spec("[sweep]\n\"a\" = { from = 1, to = 1000, steps = 1000 }\n\"b\" = { from = 1, to = 1000, steps = 1000 }\n")
            .unwrap_err();
        assert!(err.to_string().contains("1000 × 1000"), "{err}");
    }

    #[test]
    fn key_paths_parse_and_columns_are_safe() {
        let s = spec("[sweep]\n\"candidate[1].instance_type\" = [\"t4g.nano\"]\n").unwrap();
        assert_eq!(s.params[0].column, "param_candidate_1_instance_type");
        for bad in ["a..b", "a[x]", "a[1", "sweep.x", "a b"] {
            let err = spec(&format!("[sweep]\n\"{bad}\" = [1]\n")).expect_err(bad);
            assert!(err.key_path.starts_with("sweep."), "{bad}: {err}");
        }
    }

    #[test]
    fn apply_edits_the_table_and_names_missing_parents() {
        let mut root: toml::Table =
            "[scenario]\nname = \"x\"\n[[candidate]]\nips = 1\n[[candidate]]\nips = 2\n"
                .parse()
                .unwrap();
        let s = spec("[sweep]\n\"candidate[1].ips\" = [3]\n").unwrap();
        s.params[0].apply(&mut root, Value::Integer(3)).unwrap();
        assert_eq!(root["candidate"][1]["ips"], Value::Integer(3));
        for (key, expected) in [
            ("candidate[2].ips", "has 2 candidate entries"),
            ("candidate.ips", "pick one with an index"),
            ("scenarioo.name", "keys there: candidate, scenario"),
            ("scenario[0].name", "not a list"),
            ("scenario.name.x", "not a table"),
        ] {
            let s = spec(&format!("[sweep]\n\"{key}\" = [1]\n")).unwrap();
            let err = s.check_paths(&root).expect_err(key).to_string();
            assert!(err.contains(key) && err.contains(expected), "{key}: {err}");
        }
    }
}
