//! `--set KEY=VALUE`: scenario keys changed from the command line, with the key paths sweeps use.
//!
//! Owns the argument's syntax and how a value is read: TOML first (`200`, `2.5`, `true`,
//! `"text"`, `[1, 2]`, `{ dist = "lognormal", mean = "200KB", cv = 2 }`), and plain text when it
//! is not TOML (`2h`, `200KB`, `us-west-2`, `t4g.nano`), so the common cases need no shell quoting.
//! The overrides edit the raw table before the scenario parser sees it, so a bad value fails
//! exactly as it would in the file, naming the same key path. Tables missing on the way are
//! created (`--set slo.max_drop_rate=0.01` on a file without `[slo]`); list entries are not.

use super::ScenarioError;
use super::keypath::{KeyPath, Missing, PATH_HINT};
use crate::util::echo;
use toml::Value;

const SYNTAX_HINT: &str =
    "write --set KEY=VALUE, e.g. --set workload[0].rate_per_s=200 or --set scenario.duration=4h";

/// Every `--set` of one command, in the order given.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Overrides {
    items: Vec<Override>,
}

/// One `--set KEY=VALUE`.
#[derive(Debug, Clone, PartialEq)]
struct Override {
    /// The key path as written.
    key: String,
    path: KeyPath,
    value: Value,
}

impl Overrides {
    /// No overrides.
    pub const NONE: Overrides = Overrides { items: Vec::new() };

    /// Reads `--set` arguments; the problem in words (naming the argument) when one is not
    /// `KEY=VALUE` with a key path, or a key is set twice.
    pub fn parse(args: &[String]) -> Result<Overrides, String> {
        let mut items: Vec<Override> = Vec::with_capacity(args.len());
        for arg in args {
            let item = parse_one(arg)?;
            if let Some(earlier) = items
                .iter()
                .find(|o| o.path.canonical() == item.path.canonical())
            {
                return Err(format!(
                    "--set {}: the key is set twice (also by --set {}); keep one",
                    echo::short(&item.key),
                    echo::short(&earlier.key)
                ));
            }
            items.push(item);
        }
        Ok(Overrides { items })
    }

    /// Applies every override to the scenario's raw table, in order.
    pub(crate) fn apply(&self, root: &mut toml::Table) -> Result<(), ScenarioError> {
        for item in &self.items {
            let owner = format!("--set {}", echo::short(&item.key));
            item.path
                .set(root, item.value.clone(), Missing::Create, &owner)?;
        }
        Ok(())
    }

    /// The `--set` whose key is `path` (in the parser's spelling), if any.
    pub(crate) fn key_setting(&self, path: &KeyPath) -> Option<&str> {
        let wanted = path.canonical();
        self.items
            .iter()
            .find(|o| o.path.canonical() == wanted)
            .map(|o| o.key.as_str())
    }

    /// `file` as errors name it: with the overrides, so a bad value reads as the command's.
    pub(crate) fn label(&self, file: &str) -> String {
        if self.items.is_empty() {
            return file.to_string();
        }
        format!("{file} (with --set {})", self.assignments().join(", "))
    }

    /// The overrides as `--set` arguments, `KEY=VALUE` with the value as TOML: they parse back
    /// to the same overrides (a sweep's shards record them for the merge).
    pub(crate) fn args(&self) -> Vec<String> {
        self.items
            .iter()
            .map(|o| format!("{}={}", o.key, o.value))
            .collect()
    }

    /// The scenario text as it ran: the file, then the overrides as TOML comments, so
    /// report.html and a sweep's scenario.toml say what changed and a resumed sweep with other
    /// overrides is told apart.
    pub(crate) fn annotate(&self, text: &str) -> String {
        if self.items.is_empty() {
            return text.to_string();
        }
        let mut out = text.to_string();
        if !out.ends_with('\n') {
            out.push('\n');
        }
        out.push_str("\n# natsim --set (applied on top of the file above):\n");
        for assignment in self.assignments() {
            out.push_str(&format!("#   {}\n", echo::visible(&assignment)));
        }
        out
    }

    fn assignments(&self) -> Vec<String> {
        self.items
            .iter()
            .map(|o| format!("{} = {}", echo::short(&o.key), shown(&o.value)))
            .collect()
    }
}

/// A value as TOML, cut like [`echo::short`], with only control characters escaped (a quoted
/// string keeps its quotes readable).
fn shown(value: &Value) -> String {
    let text = value.to_string();
    let cut: String = if text.chars().count() > echo::MAX_CHARS {
        let head: String = text.chars().take(echo::MAX_CHARS - 3).collect();
        format!("{head}…")
    } else {
        text
    };
    echo::visible(&cut).into_owned()
}

fn parse_one(arg: &str) -> Result<Override, String> {
    let Some(at) = split_at(arg) else {
        return Err(format!(
            "--set {}: not KEY=VALUE; {SYNTAX_HINT}",
            echo::quoted(arg)
        ));
    };
    let key = arg[..at].trim();
    let text = &arg[at + 1..];
    let path = KeyPath::parse(key)
        .map_err(|problem| format!("--set {}: {problem}; {PATH_HINT}", echo::quoted(arg)))?;
    let value =
        parse_value(text).map_err(|problem| format!("--set {}: {problem}", echo::short(key)))?;
    Ok(Override {
        key: key.to_string(),
        path,
        value,
    })
}

/// Where the `=` between key and value is: the first one outside a quoted key.
fn split_at(arg: &str) -> Option<usize> {
    let mut quoted = false;
    for (index, c) in arg.char_indices() {
        match c {
            '"' => quoted = !quoted,
            '=' if !quoted => return Some(index),
            _ => {}
        }
    }
    None
}

/// A value as TOML, or as plain text when it is not TOML and does not look like it was meant
/// to be (a broken list, table or quoted string is refused rather than read as text).
fn parse_value(text: &str) -> Result<Value, String> {
    let trimmed = text.trim();
    if trimmed.contains('\n') {
        return Err("the value spans several lines; give one value".into());
    }
    if let Ok(mut table) = format!("v = {trimmed}").parse::<toml::Table>()
        && table.len() == 1
        && let Some(value) = table.remove("v")
    {
        return Ok(value);
    }
    if trimmed.starts_with(['[', '{', '"', '\'']) {
        return Err(format!(
            "{} is not a TOML value; write a list as [1, 2], a table as {{ key = 1 }}, a string as \"text\" (quote the whole --set argument for the shell)",
            echo::quoted(trimmed)
        ));
    }
    Ok(Value::String(trimmed.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(text: &str) -> Value {
        parse_value(text).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[test]
    fn values_are_toml_with_plain_text_as_the_fallback() {
        assert_eq!(value("200"), Value::Integer(200));
        assert_eq!(value(" 2.5 "), Value::Float(2.5));
        assert_eq!(value("true"), Value::Boolean(true));
        assert_eq!(value("\"quoted\""), Value::String("quoted".into()));
        assert_eq!(
            value("[1, 2]"),
            Value::Array(vec![Value::Integer(1), Value::Integer(2)])
        );
        assert_eq!(
            value("{ dist = \"lognormal\", cv = 2 }")["cv"],
            Value::Integer(2)
        );
        for text in ["2h", "200KB", "us-west-2", "t4g.nano", "5Gbps", "off", ""] {
            assert_eq!(value(text), Value::String(text.into()), "{text}");
        }
        for broken in ["[1, 2", "{ a = }", "\"open", "1\nb = 2"] {
            assert!(parse_value(broken).is_err(), "{broken}");
        }
    }

    #[test]
    fn arguments_split_at_the_first_equals_outside_a_quoted_key() {
        let o = Overrides::parse(&["prices.instance_usd_per_hour.\"a=b\"=0.5".into()]).unwrap();
        assert_eq!(o.items[0].key, "prices.instance_usd_per_hour.\"a=b\"");
        assert_eq!(o.items[0].value, Value::Float(0.5));
        let o = Overrides::parse(&["scenario.name = x=y".into()]).unwrap();
        assert_eq!(o.items[0].value, Value::String("x=y".into()));
    }

    #[test]
    fn bad_arguments_name_themselves_and_the_fix() {
        for (args, expected) in [
            (vec!["workload[0].rate_per_s"], "not KEY=VALUE"),
            (vec!["=5"], "a key is missing"),
            (vec!["workload[x].rate_per_s=5"], "not a list index"),
            (vec!["a=[1,"], "not a TOML value"),
            (vec!["a.b=1", "a.\"b\"=2"], "set twice"),
        ] {
            let args: Vec<String> = args.into_iter().map(String::from).collect();
            let err = Overrides::parse(&args).expect_err(expected);
            assert!(err.starts_with("--set "), "{err}");
            assert!(err.contains(expected), "{expected}: {err}");
        }
    }

    #[test]
    fn apply_creates_tables_and_labels_say_what_was_set() {
        let o =
            Overrides::parse(&["slo.max_drop_rate=0.01".into(), "scenario.seed=7".into()]).unwrap();
        let mut root: toml::Table = "[scenario]\nname = \"x\"\n".parse().unwrap();
        o.apply(&mut root).unwrap();
        assert_eq!(root["slo"]["max_drop_rate"], Value::Float(0.01));
        assert_eq!(root["scenario"]["seed"], Value::Integer(7));
        assert_eq!(
            o.label("f.toml"),
            "f.toml (with --set slo.max_drop_rate = 0.01, scenario.seed = 7)"
        );
        assert!(o.annotate("x = 1").ends_with("#   scenario.seed = 7\n"));
        let bad = Overrides::parse(&["workload[2].rate_per_s=1".into()]).unwrap();
        let err = bad.apply(&mut root).unwrap_err();
        assert_eq!(err.key_path, "--set workload[2].rate_per_s");
    }
}
