//! A key-path-aware reader over a parsed TOML table, for scenario parsing.
//!
//! Owns the generic part of reading user input: typed access to one table's keys (strings,
//! whole numbers, numbers, sizes, durations, rates, distributions), range checks, and the
//! rejection of unknown keys with a "did you mean" hint. Every error names the key path
//! (`workload[0].response_bytes.cv`), quotes the bad value and says how to fix it. It knows no
//! scenario keys beyond what callers ask for, and never panics on any input.

use toml::Value;

use super::{Dist, ScenarioError};
use crate::io::scenario::suggest::{closest, edit_distance};
use crate::util::echo;
use crate::util::units;

pub(super) type Result<T> = std::result::Result<T, ScenarioError>;

/// One table of the scenario file, with its key path and the keys callers asked for.
pub(super) struct Section<'a> {
    path: String,
    table: &'a toml::Table,
    /// Keys this section accepts: every key a caller asked for, present or not.
    known: Vec<&'static str>,
}

/// Ceiling of every Gbps key: 100 Tbps, as for rates written with a unit (`units::MAX_RATE_BPS`).
pub(super) const MAX_GBPS: f64 = 100_000.0;
/// Ceiling of every price: a million dollars (an hour, or a GB) is a typo, not a price.
pub(super) const MAX_USD: f64 = 1e6;

/// A range a number must fall in. Each variant says what an error should tell the user.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Check {
    /// Zero or more.
    NonNegative,
    /// Greater than zero.
    Positive,
    /// In [0, 1].
    Fraction,
    /// In (0, 1].
    PositiveFraction,
    /// At least this value.
    AtLeast(f64),
    /// Greater than this value.
    Above(f64),
    /// In [low, high].
    Between(f64, f64),
    /// In (0, high]: a positive figure with a sane ceiling (a typo of a few powers of ten is
    /// refused rather than simulated).
    PositiveAtMost(f64),
}

/// What a distribution's values are: sizes (bytes) or durations (seconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Quantity {
    Size,
    Duration,
}

impl<'a> Section<'a> {
    pub(crate) fn new(path: impl Into<String>, table: &'a toml::Table) -> Self {
        Section {
            path: path.into(),
            table,
            known: Vec::new(),
        }
    }

    pub(crate) fn path(&self) -> &str {
        &self.path
    }

    /// The key path of `key` in this section, quoting keys that are not bare TOML keys.
    pub(crate) fn path_of(&self, key: &str) -> String {
        let bare = !key.is_empty()
            && key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        // A key is user text too: a 100,000-character one is cut, a control character escaped.
        let key = if bare {
            echo::short(key)
        } else {
            format!("\"{}\"", echo::short(key))
        };
        if self.path.is_empty() {
            key
        } else {
            format!("{}.{key}", self.path)
        }
    }

    pub(crate) fn error(
        &self,
        key: &str,
        problem: impl Into<String>,
        hint: impl Into<String>,
    ) -> ScenarioError {
        ScenarioError::new(self.path_of(key), problem, hint)
    }

    /// Declares `key` accepted and returns its value, if present.
    pub(crate) fn raw(&mut self, key: &'static str) -> Option<&'a Value> {
        if !self.known.contains(&key) {
            self.known.push(key);
        }
        self.table.get(key)
    }

    /// Whether the user wrote `key` (without declaring it).
    pub(crate) fn has(&self, key: &str) -> bool {
        self.table.contains_key(key)
    }

    /// The value of a required key. When it is missing but an unknown key looks like a typo of
    /// it, the error points at the typo instead.
    pub(crate) fn required(&mut self, key: &'static str, hint: &str) -> Result<&'a Value> {
        if let Some(value) = self.raw(key) {
            return Ok(value);
        }
        let typo = self
            .table
            .keys()
            .filter(|k| !self.known.contains(&k.as_str()))
            .find(|k| edit_distance(k, key) <= 2);
        Err(match typo {
            Some(typo) => self.error(
                typo,
                format!("unknown key {}", echo::quoted(typo)),
                format!("did you mean \"{key}\"?"),
            ),
            None => self.error(key, "required key is missing", hint),
        })
    }

    pub(crate) fn string(&mut self, key: &'static str) -> Result<Option<&'a str>> {
        self.raw(key)
            .map(|v| as_str(&self.path_of(key), v))
            .transpose()
    }

    pub(crate) fn required_string(&mut self, key: &'static str, hint: &str) -> Result<&'a str> {
        let value = self.required(key, hint)?;
        as_str(&self.path_of(key), value)
    }

    /// A name that becomes part of a path or a CSV cell: letters, digits, `.`, `_`, `-`.
    pub(crate) fn name(&mut self, key: &'static str) -> Result<Option<String>> {
        match self.string(key)? {
            Some(name) => self.checked_name(key, name).map(Some),
            None => Ok(None),
        }
    }

    pub(crate) fn required_name(&mut self, key: &'static str, hint: &str) -> Result<String> {
        let name = self.required_string(key, hint)?;
        self.checked_name(key, name)
    }

    pub(crate) fn required_number(
        &mut self,
        key: &'static str,
        check: Check,
        hint: &str,
    ) -> Result<f64> {
        let value = self.required(key, hint)?;
        number_in(&self.path_of(key), value, check)
    }

    /// Every entry, for tables whose keys are data (instance type names), not settings.
    pub(crate) fn entries(&self) -> impl Iterator<Item = (&'a String, &'a Value)> + use<'a> {
        self.table.iter()
    }

    pub(crate) fn boolean(&mut self, key: &'static str) -> Result<Option<bool>> {
        match self.raw(key) {
            None => Ok(None),
            Some(Value::Boolean(b)) => Ok(Some(*b)),
            Some(v) => Err(type_error(
                &self.path_of(key),
                v,
                "true or false",
                "write true or false, without quotes",
            )),
        }
    }

    /// A whole number in `low..=high`.
    pub(crate) fn int(&mut self, key: &'static str, low: i64, high: i64) -> Result<Option<i64>> {
        self.raw(key)
            .map(|v| int_in(&self.path_of(key), v, low, high))
            .transpose()
    }

    pub(crate) fn number(&mut self, key: &'static str, check: Check) -> Result<Option<f64>> {
        self.raw(key)
            .map(|v| number_in(&self.path_of(key), v, check))
            .transpose()
    }

    pub(crate) fn size_bytes(&mut self, key: &'static str, check: Check) -> Result<Option<f64>> {
        self.raw(key)
            .map(|v| quantity(&self.path_of(key), v, Quantity::Size, check))
            .transpose()
    }

    /// A duration in seconds. With `Check::Positive` it must also be at least 1 ns.
    pub(crate) fn duration_s(&mut self, key: &'static str, check: Check) -> Result<Option<f64>> {
        self.raw(key)
            .map(|v| quantity(&self.path_of(key), v, Quantity::Duration, check))
            .transpose()
    }

    pub(crate) fn rate_bps(&mut self, key: &'static str, check: Check) -> Result<Option<f64>> {
        self.raw(key)
            .map(|v| rate(&self.path_of(key), v, check))
            .transpose()
    }

    /// A sub-table (`[scenario]` or `key = { ... }`).
    pub(crate) fn table(&mut self, key: &'static str) -> Result<Option<Section<'a>>> {
        match self.raw(key) {
            None => Ok(None),
            Some(Value::Table(table)) => Ok(Some(Section::new(self.path_of(key), table))),
            Some(v) => Err(type_error(
                &self.path_of(key),
                v,
                "a table",
                &format!("write it as a [{key}] table"),
            )),
        }
    }

    /// An array of tables (`[[workload]]`), each with its indexed key path (`workload[1]`).
    pub(crate) fn tables(&mut self, key: &'static str) -> Result<Option<Vec<Section<'a>>>> {
        let path = self.path_of(key);
        let hint = format!("write one [[{key}]] (double brackets) per entry");
        let items = match self.raw(key) {
            None => return Ok(None),
            Some(Value::Array(items)) => items,
            Some(v) => return Err(type_error(&path, v, "an array of tables", &hint)),
        };
        let mut sections = Vec::with_capacity(items.len());
        for (index, item) in items.iter().enumerate() {
            let item_path = format!("{path}[{index}]");
            match item {
                Value::Table(table) => sections.push(Section::new(item_path, table)),
                v => return Err(type_error(&item_path, v, "a table", &hint)),
            }
        }
        Ok(Some(sections))
    }

    /// A size or duration, or a distribution table of them
    /// (`{ dist = "lognormal", mean = "200KB", cv = 2.0 }`).
    pub(crate) fn dist(&mut self, key: &'static str, what: Quantity) -> Result<Option<Dist>> {
        let path = self.path_of(key);
        match self.raw(key) {
            None => Ok(None),
            Some(Value::Table(table)) => dist_table(Section::new(path, table), what).map(Some),
            Some(v) => Ok(Some(Dist::Constant(quantity(
                &path,
                v,
                what,
                Check::NonNegative,
            )?))),
        }
    }

    fn checked_name(&self, key: &str, name: &str) -> Result<String> {
        let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
        let problem = if name.is_empty() {
            Some("the name is empty".to_string())
        } else if name.chars().count() > 64 {
            Some(format!(
                "{} is longer than 64 characters",
                echo::quoted(name)
            ))
        } else if !name.chars().all(allowed) || name.chars().all(|c| c == '.') {
            Some(format!(
                "{} has characters a folder or file name cannot safely hold",
                echo::quoted(name)
            ))
        } else {
            None
        };
        match problem {
            Some(problem) => Err(self.error(
                key,
                problem,
                "use letters, digits, '.', '_' and '-' only, e.g. \"quickstart\"",
            )),
            None => Ok(name.to_string()),
        }
    }

    /// Refuses any key no caller asked for, suggesting the closest accepted one.
    pub(crate) fn finish(self) -> Result<()> {
        let Some(unknown) = self
            .table
            .keys()
            .find(|k| !self.known.contains(&k.as_str()))
        else {
            return Ok(());
        };
        let is_table = |v: &Value| {
            v.is_table()
                || v.as_array()
                    .is_some_and(|a| !a.is_empty() && a.iter().all(Value::is_table))
        };
        let what = if self.table.get(unknown).is_some_and(is_table) {
            "table"
        } else {
            "key"
        };
        let max_distance = 2.max(unknown.len() / 3);
        let hint = match closest(unknown, self.known.iter().copied(), max_distance) {
            Some(best) => format!("did you mean \"{best}\"?"),
            None => {
                let mut accepted = self.known.clone();
                accepted.sort_unstable();
                format!("accepted keys here: {}", accepted.join(", "))
            }
        };
        let problem = format!("unknown {what} {}", echo::quoted(unknown));
        Err(self.error(unknown, problem, hint))
    }
}

/// The value as the user wrote it, shortened for messages.
pub(super) fn shown(value: &Value) -> String {
    if let Value::String(text) = value {
        return echo::quoted(text);
    }
    let text = value.to_string();
    let text = text.trim();
    if text.chars().count() > 48 {
        format!("{}...", text.chars().take(45).collect::<String>())
    } else {
        text.to_string()
    }
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::String(_) => "a string",
        Value::Integer(_) => "a whole number",
        Value::Float(_) => "a number",
        Value::Boolean(_) => "a boolean",
        Value::Datetime(_) => "a date",
        Value::Array(_) => "an array",
        Value::Table(_) => "a table",
    }
}

pub(super) fn type_error(path: &str, value: &Value, expected: &str, hint: &str) -> ScenarioError {
    let problem = format!(
        "{} is {}, expected {expected}",
        shown(value),
        kind_of(value)
    );
    ScenarioError::new(path, problem, hint)
}

pub(super) fn as_str<'v>(path: &str, value: &'v Value) -> Result<&'v str> {
    match value {
        Value::String(s) => Ok(s),
        v => Err(type_error(path, v, "a string", "write it in double quotes")),
    }
}

/// A whole number in `low..=high`; floats are refused even when whole, so the file says what it
/// means.
pub(super) fn int_in(path: &str, value: &Value, low: i64, high: i64) -> Result<i64> {
    let hint = format!("use a whole number from {low} to {high}");
    let n = match value {
        Value::Integer(n) => *n,
        Value::Float(f) => {
            let problem = format!("{} is not a whole number", shown(value));
            let hint = if f.fract() == 0.0 {
                format!("write it without the decimal point: {f:.0}")
            } else {
                hint
            };
            return Err(ScenarioError::new(path, problem, hint));
        }
        v => return Err(type_error(path, v, "a whole number", &hint)),
    };
    if n < 0 && low >= 0 {
        return Err(ScenarioError::new(path, format!("{n} is negative"), hint));
    }
    if n < low || n > high {
        return Err(ScenarioError::new(
            path,
            format!("{n} is not between {low} and {high}"),
            hint,
        ));
    }
    Ok(n)
}

/// A finite number (integer or float) passing `check`.
pub(super) fn number_in(path: &str, value: &Value, check: Check) -> Result<f64> {
    let n = match value {
        Value::Integer(n) => *n as f64,
        Value::Float(f) => *f,
        v => {
            return Err(type_error(
                path,
                v,
                "a number",
                "write a number without quotes, e.g. 0.5",
            ));
        }
    };
    if !n.is_finite() {
        return Err(ScenarioError::new(
            path,
            format!("{} is not a finite number", shown(value)),
            check.hint(),
        ));
    }
    check.apply(path, n, &shown(value))
}

/// A size (bytes) or duration (seconds): a plain number, or a string with a unit.
pub(super) fn quantity(path: &str, value: &Value, what: Quantity, check: Check) -> Result<f64> {
    let n = match value {
        Value::String(text) => {
            let parsed = match what {
                Quantity::Size => units::parse_size_bytes(text),
                Quantity::Duration => units::parse_duration_s(text),
            };
            parsed.map_err(|message| split_units_error(path, &message))?
        }
        Value::Integer(_) | Value::Float(_) => return checked_quantity(path, value, what, check),
        v => {
            let (expected, hint) = match what {
                Quantity::Size => (
                    "a size",
                    "write bytes (2000) or a size with a unit like \"2KB\"",
                ),
                Quantity::Duration => (
                    "a duration",
                    "write seconds (350) or a duration like \"350s\", \"5m\", \"2h\"",
                ),
            };
            return Err(type_error(path, v, expected, hint));
        }
    };
    let seconds_or_bytes = check.apply(path, n, &shown(value))?;
    let seconds_or_bytes = within_bounds(path, value, what, seconds_or_bytes)?;
    positive_duration_resolves(path, value, what, check, seconds_or_bytes)
}

fn checked_quantity(path: &str, value: &Value, what: Quantity, check: Check) -> Result<f64> {
    let n = number_in(path, value, check)?;
    let n = within_bounds(path, value, what, n)?;
    positive_duration_resolves(path, value, what, check, n)
}

/// A size or duration no larger than natsim accepts. Checked after the unit is applied: "1e308d"
/// is a finite number of days but not a finite number of seconds.
fn within_bounds(path: &str, value: &Value, what: Quantity, n: f64) -> Result<f64> {
    let (max, max_text, units) = match what {
        Quantity::Size => (
            units::MAX_SIZE_BYTES,
            units::MAX_SIZE_TEXT,
            "\"KB\", \"MB\", \"GB\"",
        ),
        Quantity::Duration => (
            units::MAX_DURATION_S,
            units::MAX_DURATION_TEXT,
            "\"s\", \"m\", \"h\", \"d\"",
        ),
    };
    if n.is_finite() && n <= max {
        return Ok(n);
    }
    let what = match what {
        Quantity::Size => "a size",
        Quantity::Duration => "a duration",
    };
    Err(ScenarioError::new(
        path,
        format!("{} is more than {max_text}", shown(value)),
        format!("{what} is at most {max_text}; check the number and the unit ({units})"),
    ))
}

/// A duration that must be positive must also survive the conversion to whole nanoseconds.
fn positive_duration_resolves(
    path: &str,
    value: &Value,
    what: Quantity,
    check: Check,
    seconds: f64,
) -> Result<f64> {
    if what == Quantity::Duration && check == Check::Positive && units::seconds_to_ns(seconds) == 0
    {
        return Err(ScenarioError::new(
            path,
            format!("{} is shorter than 1 ns", shown(value)),
            check.hint(),
        ));
    }
    Ok(seconds)
}

/// A rate in bits per second; only strings with a unit are accepted.
pub(super) fn rate(path: &str, value: &Value, check: Check) -> Result<f64> {
    let bps = match value {
        Value::String(text) => {
            units::parse_rate_bps(text).map_err(|message| split_units_error(path, &message))?
        }
        Value::Integer(_) | Value::Float(_) => {
            let problem = format!("{} is not a rate", shown(value));
            return Err(ScenarioError::new(
                path,
                problem,
                "a rate needs a unit: write \"5Gbps\" or \"200Mbps\"",
            ));
        }
        v => {
            return Err(type_error(
                path,
                v,
                "a rate",
                "write a rate with a unit like \"5Gbps\"",
            ));
        }
    };
    let bps = check.apply(path, bps, &shown(value))?;
    if bps.is_finite() && bps <= units::MAX_RATE_BPS {
        return Ok(bps);
    }
    Err(ScenarioError::new(
        path,
        format!("{} is more than {}", shown(value), units::MAX_RATE_TEXT),
        format!(
            "a rate is at most {}; check the number and the unit (\"Mbps\", \"Gbps\")",
            units::MAX_RATE_TEXT
        ),
    ))
}

/// `units` errors read "<problem>; <how to write it>": split them into problem and hint.
fn split_units_error(path: &str, message: &str) -> ScenarioError {
    match message.split_once("; ") {
        Some((problem, hint)) => ScenarioError::new(path, problem, hint),
        None => ScenarioError::new(path, message, ""),
    }
}

impl Check {
    /// Returns `value` if it passes, else an error quoting `shown` (the value as written).
    pub(crate) fn apply(self, path: &str, value: f64, shown: &str) -> Result<f64> {
        let ok = match self {
            Check::NonNegative => value >= 0.0,
            Check::Positive => value > 0.0,
            Check::Fraction => (0.0..=1.0).contains(&value),
            Check::PositiveFraction => value > 0.0 && value <= 1.0,
            Check::AtLeast(min) => value >= min,
            Check::Above(min) => value > min,
            Check::Between(low, high) => (low..=high).contains(&value),
            Check::PositiveAtMost(high) => value > 0.0 && value <= high,
        };
        if ok {
            return Ok(value);
        }
        let negative_not_allowed = match self {
            Check::NonNegative
            | Check::Positive
            | Check::Fraction
            | Check::PositiveFraction
            | Check::PositiveAtMost(_) => true,
            Check::AtLeast(min) | Check::Above(min) | Check::Between(min, _) => min >= 0.0,
        };
        let problem = if value < 0.0 && negative_not_allowed {
            format!("{shown} is negative")
        } else {
            match self {
                Check::NonNegative => format!("{shown} is negative"),
                Check::Positive => format!("{shown} is zero, must be greater than 0"),
                Check::Fraction => format!("{shown} is not between 0 and 1"),
                Check::PositiveFraction => format!("{shown} is not above 0 and at most 1"),
                Check::AtLeast(min) => format!("{shown} is below {min}"),
                Check::Above(min) => format!("{shown} must be greater than {min}"),
                Check::Between(low, high) => format!("{shown} is not between {low} and {high}"),
                Check::PositiveAtMost(high) if value > high => {
                    format!("{shown} is more than {}", plain(high))
                }
                Check::PositiveAtMost(_) => format!("{shown} is zero, must be greater than 0"),
            }
        };
        Err(ScenarioError::new(path, problem, self.hint()))
    }

    pub(crate) fn hint(self) -> String {
        match self {
            Check::NonNegative => "use 0 or more".to_string(),
            Check::Positive => "use a value greater than 0".to_string(),
            Check::Fraction => "use a fraction from 0 to 1, e.g. 0.001".to_string(),
            Check::PositiveFraction => "use a fraction above 0 and at most 1, e.g. 0.8".to_string(),
            Check::AtLeast(min) => format!("use {min} or more"),
            Check::Above(min) => format!("use a value greater than {min}"),
            Check::Between(low, high) => format!("use a value from {low} to {high}"),
            Check::PositiveAtMost(high) => {
                format!("use a value above 0 and at most {}", plain(high))
            }
        }
    }
}

/// A ceiling as people read it: 100000, not 1e5.
fn plain(value: f64) -> String {
    if value == value.trunc() && value.abs() < 1e16 {
        format!("{}", value as i64)
    } else {
        value.to_string()
    }
}

const DISTS: &str = "\"constant\", \"exponential\", \"lognormal\" or \"pareto\"";

/// `{ dist = ..., mean = ..., cv = ... }`: the mean in the quantity's unit, shape parameters as
/// plain numbers.
fn dist_table(mut s: Section<'_>, what: Quantity) -> Result<Dist> {
    let kind = s.required_string("dist", &format!("add dist = {DISTS}"))?;
    for (key, owner) in [
        ("value", "constant"),
        ("cv", "lognormal"),
        ("shape", "pareto"),
    ] {
        if s.has(key)
            && kind != owner
            && ["constant", "exponential", "lognormal", "pareto"].contains(&kind)
        {
            let problem = format!("\"{key}\" does not apply to dist = {}", echo::quoted(kind));
            return Err(s.error(
                key,
                problem,
                format!("{key} belongs to dist = \"{owner}\"; remove it or change dist"),
            ));
        }
    }
    let mean_hint = match what {
        Quantity::Size => "add mean, e.g. mean = \"200KB\"",
        Quantity::Duration => "add mean, e.g. mean = \"30s\"",
    };
    let read_mean = |s: &mut Section<'_>, check: Check| -> Result<f64> {
        let value = s.required("mean", mean_hint)?;
        quantity(&s.path_of("mean"), value, what, check)
    };
    let dist = match kind {
        "constant" => {
            if s.has("value") && s.has("mean") {
                return Err(s.error("mean", "both value and mean are given", "give one of them"));
            }
            s.raw("mean");
            let key = if s.has("mean") { "mean" } else { "value" };
            let value = s.required(key, "add value, e.g. value = 1000")?;
            Dist::Constant(quantity(&s.path_of(key), value, what, Check::NonNegative)?)
        }
        "exponential" => Dist::Exponential {
            mean: read_mean(&mut s, Check::Positive)?,
        },
        "lognormal" => {
            let mean = read_mean(&mut s, Check::Positive)?;
            let cv_hint = "add cv, the coefficient of variation (std dev / mean), e.g. cv = 2.0";
            // Beyond 100 the lognormal's σ² = ln(1 + cv²) puts nearly all of the mean in draws
            // rarer than any run makes: a typo, not a distribution.
            let cv = number_in(
                &s.path_of("cv"),
                s.required("cv", cv_hint)?,
                Check::PositiveAtMost(100.0),
            )?;
            Dist::LogNormal { mean, cv }
        }
        "pareto" => {
            let mean = read_mean(&mut s, Check::Positive)?;
            let shape_hint = "add shape, the tail index α > 1, e.g. shape = 1.5";
            let shape = number_in(
                &s.path_of("shape"),
                s.required("shape", shape_hint)?,
                Check::Above(1.0),
            )?;
            Dist::Pareto { mean, shape }
        }
        other => {
            let problem = format!("unknown dist {}", echo::quoted(other));
            return Err(s.error("dist", problem, format!("use {DISTS}")));
        }
    };
    s.finish()?;
    Ok(dist)
}

#[cfg(test)]
mod tests;
