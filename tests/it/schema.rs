//! A validator for the subset of JSON Schema (draft 2020-12) that `docs/schema/*.schema.json`
//! use, so the tests check natsim's JSON against the published schemas without a dependency:
//! `type` (one or several), `properties`, `required`, `additionalProperties` (a flag or a
//! schema), `items`, `enum`, `const`, `minimum`, `anyOf` and `$ref` (to `#/$defs/…` in the same
//! file, or to another file of docs/schema/). Annotations (`title`, `description`, `$schema`,
//! `$id`, `$defs`) are skipped; any other keyword fails the check, so a schema cannot lean on a
//! rule this validator would silently ignore. Its own test proves it rejects what it should.

use crate::support::repo_root;
use serde_json::Value;

/// The schema `docs/schema/<name>`, parsed.
pub fn load(name: &str) -> Value {
    let path = repo_root().join("docs/schema").join(name);
    let text =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every place `document` breaks `docs/schema/<name>`, as "json/pointer: problem"; empty when
/// it conforms.
pub fn errors(name: &str, document: &Value) -> Vec<String> {
    let root = load(name);
    let mut errors = Vec::new();
    check(&root, &root, document, "", &mut errors);
    errors
}

/// Panics with every error unless `document` conforms to `docs/schema/<name>`.
pub fn assert_valid(name: &str, document: &Value) {
    let errors = errors(name, document);
    assert!(
        errors.is_empty(),
        "{name}: the document breaks its schema:\n  {}",
        errors.join("\n  ")
    );
}

const ANNOTATIONS: [&str; 5] = ["title", "description", "$schema", "$id", "$defs"];

fn check(root: &Value, schema: &Value, value: &Value, at: &str, errors: &mut Vec<String>) {
    let Some(rules) = schema.as_object() else {
        panic!("schema at {at}: not an object: {schema}");
    };
    for (keyword, rule) in rules {
        match keyword.as_str() {
            k if ANNOTATIONS.contains(&k) => {}
            "$ref" => check_ref(root, rule, value, at, errors),
            "type" => check_type(rule, value, at, errors),
            "const" if value != rule => errors.push(format!("{at}: {value} is not {rule}")),
            "enum" if !rule.as_array().unwrap().contains(value) => {
                errors.push(format!("{at}: {value} is not one of {rule}"))
            }
            "minimum" => {
                if let Some(x) = value.as_f64()
                    && x < rule.as_f64().unwrap()
                {
                    errors.push(format!("{at}: {x} is below the minimum {rule}"));
                }
            }
            "required" => {
                if let Some(object) = value.as_object() {
                    for key in rule.as_array().unwrap() {
                        let key = key.as_str().unwrap();
                        if !object.contains_key(key) {
                            errors.push(format!("{at}: required key {key:?} is missing"));
                        }
                    }
                }
            }
            "properties" => {
                if let Some(object) = value.as_object() {
                    for (key, sub) in rule.as_object().unwrap() {
                        if let Some(v) = object.get(key) {
                            check(root, sub, v, &format!("{at}/{key}"), errors);
                        }
                    }
                }
            }
            "additionalProperties" => check_additional(root, rules, rule, value, at, errors),
            "items" => {
                if let Some(items) = value.as_array() {
                    for (i, item) in items.iter().enumerate() {
                        check(root, rule, item, &format!("{at}/{i}"), errors);
                    }
                }
            }
            "anyOf" => {
                let fits = rule.as_array().unwrap().iter().any(|sub| {
                    let mut inner = Vec::new();
                    check(root, sub, value, at, &mut inner);
                    inner.is_empty()
                });
                if !fits {
                    errors.push(format!("{at}: {value} fits none of anyOf"));
                }
            }
            "const" | "enum" => {}
            other => panic!("schema at {at}: keyword {other:?} is not supported by this validator"),
        }
    }
}

/// `#/$defs/name` in the current file, `file.json` or `file.json#/$defs/name` in docs/schema/.
fn check_ref(root: &Value, reference: &Value, value: &Value, at: &str, errors: &mut Vec<String>) {
    let reference = reference.as_str().unwrap();
    let (file, pointer) = reference.split_once('#').unwrap_or((reference, ""));
    let other;
    let document = if file.is_empty() {
        root
    } else {
        other = load(file);
        &other
    };
    let target = document
        .pointer(pointer)
        .unwrap_or_else(|| panic!("schema at {at}: $ref {reference} points nowhere"));
    check(document, target, value, at, errors);
}

fn check_type(rule: &Value, value: &Value, at: &str, errors: &mut Vec<String>) {
    let names: Vec<&str> = match rule {
        Value::String(name) => vec![name],
        Value::Array(names) => names.iter().map(|n| n.as_str().unwrap()).collect(),
        _ => panic!("schema at {at}: bad type {rule}"),
    };
    let fits = names.iter().any(|&name| match name {
        "object" => value.is_object(),
        "array" => value.is_array(),
        "string" => value.is_string(),
        "number" => value.is_number(),
        "integer" => value.is_u64() || value.is_i64(),
        "boolean" => value.is_boolean(),
        "null" => value.is_null(),
        other => panic!("schema at {at}: unknown type {other}"),
    });
    if !fits {
        errors.push(format!("{at}: {value} is not of type {rule}"));
    }
}

fn check_additional(
    root: &Value,
    rules: &serde_json::Map<String, Value>,
    rule: &Value,
    value: &Value,
    at: &str,
    errors: &mut Vec<String>,
) {
    let Some(object) = value.as_object() else {
        return;
    };
    let declared = rules.get("properties").and_then(Value::as_object);
    for (key, v) in object {
        if declared.is_some_and(|d| d.contains_key(key)) {
            continue;
        }
        match rule {
            Value::Bool(true) => {}
            Value::Bool(false) => errors.push(format!("{at}: key {key:?} is not in the schema")),
            sub => check(root, sub, v, &format!("{at}/{key}"), errors),
        }
    }
}

/// A change that breaks a document.
type Edit = dyn Fn(&mut Value);

/// The validator itself: every rule it claims fails a document that breaks it.
#[test]
fn the_schema_validator_rejects_what_breaks_a_schema() {
    let good: Value = serde_json::from_str(
        r#"{"schema_version": 1, "natsim_version": "0", "kind": "validate", "file": "f.toml",
            "scenario": "s", "workloads": 1, "candidates": 2, "sweep": null,
            "estimate": {"runs": 2, "connections": 10.0, "events": 40.0, "threads": 2,
                         "wall_s": 0.1, "peak_memory_bytes": 1e6, "above_limits": false,
                         "text": "2 run(s)"},
            "warnings": []}"#,
    )
    .unwrap();
    assert_valid("natsim-validate.schema.json", &good);
    let broken = |edit: &Edit| {
        let mut doc = good.clone();
        edit(&mut doc);
        errors("natsim-validate.schema.json", &doc)
    };
    let cases: [(&str, &Edit); 7] = [
        ("required", &|d| {
            d.as_object_mut().unwrap().remove("file");
        }),
        ("not of type", &|d| d["workloads"] = Value::from("one")),
        ("not in the schema", &|d| d["extra"] = Value::from(1)),
        ("is not 1", &|d| d["schema_version"] = Value::from(2)),
        ("below the minimum", &|d| d["candidates"] = Value::from(0)),
        ("fits none of anyOf", &|d| d["sweep"] = Value::from("big")),
        ("/estimate/above_limits", &|d| {
            d["estimate"]["above_limits"] = Value::from("no")
        }),
    ];
    for (expected, edit) in cases {
        let found = broken(edit);
        assert!(
            found.iter().any(|e| e.contains(expected)),
            "{expected}: {found:?}"
        );
    }
    // A $ref into another file is followed: a batch's run summary is checked against the run
    // schema.
    let batch: Value = serde_json::from_str(
        r#"{"schema_version": 1, "natsim_version": "0", "kind": "batch",
            "runs": [{"file": "a.toml", "output": "out/a", "summary": {"kind": "run"}}],
            "errors": []}"#,
    )
    .unwrap();
    let found = errors("natsim-batch.schema.json", &batch);
    assert!(
        found
            .iter()
            .any(|e| e.starts_with("/runs/0/summary: required key \"scenario\"")),
        "{found:?}"
    );
}
