//! The layer rule, checked from the source text (issue 10).
//!
//! natsim's layers, bottom to top, are the folders under src/: `util` → `engine` → `model` →
//! `results` → `io` → `cli` (src/cli.rs belongs to `cli`; src/lib.rs and src/main.rs to none).
//! Every `crate::` path in a file under src/ (comment lines skipped) is an import, and:
//!
//! - **up**: a file never names a module of a higher layer;
//! - **sideways**: inside a layer, its modules (the second folder level, e.g. `io::report`,
//!   `io::sweep`, `model::device`) may use each other only without a cycle; a layer's own root
//!   (`engine/mod.rs`, `cli.rs`) declares its children and is left out.
//!
//! Proof that it fails: `bad_imports_are_named` feeds the same check a deliberate bad import
//! (`use crate::model::device::Device;` in src/engine/queue.rs, and a report ↔ sweep cycle) and
//! asserts the message names the file, the line and the rule.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The layers, bottom first: a folder under src/ and its rank.
const LAYERS: &[(&str, usize)] = &[
    ("util", 0),
    ("engine", 1),
    ("model", 2),
    ("results", 3),
    ("io", 4),
    ("cli", 5),
];

#[test]
fn no_import_breaks_the_layer_rule() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    collect(&root, &root, &mut files);
    assert!(files.len() > 50, "src/ should hold natsim's modules");
    let problems = check(&files);
    assert!(
        problems.is_empty(),
        "the layer rule is broken:\n{}",
        problems.join("\n")
    );
}

#[test]
fn bad_imports_are_named() {
    let file = |path: &str, text: &str| (path.to_string(), text.to_string());
    let up = check(&[file(
        "engine/queue.rs",
        "//! q\nuse crate::model::device::Device;\n",
    )]);
    assert_eq!(
        up,
        ["src/engine/queue.rs:2: `use crate::model::device::Device;` goes up from engine to model"]
    );
    let comment = check(&[file("engine/queue.rs", "/// see [`crate::model::sim`]\n")]);
    assert!(comment.is_empty(), "comments are not imports: {comment:?}");
    let cycle = check(&[
        file("io/report/sweep.rs", "use crate::io::sweep::plan::Plan;\n"),
        file(
            "io/sweep/plan.rs",
            "fn f() { crate::io::report::csv::line(&[]); }\n",
        ),
        file("io/sweep/mod.rs", "pub mod plan;\n"),
        file("io/report/mod.rs", "pub mod sweep;\n"),
    ]);
    assert_eq!(cycle.len(), 1, "{cycle:?}");
    assert!(
        cycle[0].starts_with("src/io/report/sweep.rs:1: `use crate::io::sweep::plan::Plan;`")
            && cycle[0]
                .ends_with("sideways import in a cycle: io::report → io::sweep → io::report"),
        "{}",
        cycle[0]
    );
}

/// Every .rs file under `dir`, as (path relative to src/, text).
fn collect(root: &Path, dir: &Path, out: &mut Vec<(String, String)>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            collect(root, &path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let relative = path
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            out.push((relative, std::fs::read_to_string(&path).unwrap()));
        }
    }
}

/// One line per broken rule: `src/<file>:<line>: <the line> <what it breaks>`.
fn check(files: &[(String, String)]) -> Vec<String> {
    let units: BTreeSet<String> = files.iter().filter_map(|(p, _)| unit_of_file(p)).collect();
    let mut problems = Vec::new();
    // Sideways edges between units of one layer, each with the first line that makes it.
    let mut edges: BTreeMap<(String, String), String> = BTreeMap::new();
    for (path, text) in files {
        let Some(from) = layer_of(path.split('/').next().unwrap().trim_end_matches(".rs")) else {
            continue; // lib.rs, main.rs
        };
        let from_unit = unit_of_file(path);
        for (number, line) in text.lines().enumerate() {
            let code = line.trim_start();
            if code.starts_with("//") {
                continue;
            }
            let place = format!("src/{path}:{}: `{}`", number + 1, code.trim_end());
            for target in crate_paths(code) {
                let Some(to) = layer_of(target[0]) else {
                    continue;
                };
                if to > from {
                    problems.push(format!(
                        "{place} goes up from {} to {}",
                        LAYERS[from].0, LAYERS[to].0
                    ));
                } else if to == from {
                    let to_unit = unit_of_path(&target, &units);
                    if let (Some(a), Some(b)) = (&from_unit, to_unit)
                        && *a != b
                    {
                        edges.entry((a.clone(), b)).or_insert(place.clone());
                    }
                }
            }
        }
    }
    for ((a, b), place) in &edges {
        if let Some(back) = path_between(&edges, b, a) {
            let cycle: Vec<&str> = std::iter::once(a.as_str())
                .chain(back.iter().map(|s| s.as_str()))
                .collect();
            // Reported once, at the edge that leaves the cycle's smallest unit.
            if cycle.iter().all(|u| *u >= a.as_str()) {
                problems.push(format!(
                    "{place} is a sideways import in a cycle: {}",
                    cycle.join(" → ")
                ));
            }
        }
    }
    problems
}

fn layer_of(folder: &str) -> Option<usize> {
    LAYERS
        .iter()
        .find(|(name, _)| *name == folder)
        .map(|&(_, rank)| rank)
}

/// A file's unit: its layer and its module below it (`io/report/csv.rs` → `io::report`); a
/// layer's root (`engine/mod.rs`, `cli.rs`) has none.
fn unit_of_file(path: &str) -> Option<String> {
    let parts: Vec<&str> = path.trim_end_matches(".rs").split('/').collect();
    match parts.as_slice() {
        [layer, module, ..] if *module != "mod" => Some(format!("{layer}::{module}")),
        _ => None,
    }
}

/// The unit a path names (`crate::io::report::csv::line` → `io::report`), if it names one.
fn unit_of_path(target: &[&str], units: &BTreeSet<String>) -> Option<String> {
    let unit = format!("{}::{}", target[0], target.get(1)?);
    units.contains(&unit).then_some(unit)
}

/// The segments after each `crate::` in a line (`crate::{a, b}` is not used in natsim).
fn crate_paths(code: &str) -> Vec<Vec<&str>> {
    let mut out = Vec::new();
    for (at, _) in code.match_indices("crate::") {
        let before = code[..at].chars().last();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
            continue; // `$crate::`, `natsim_crate::`
        }
        let rest = &code[at + "crate::".len()..];
        let end = rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
            .unwrap_or(rest.len());
        out.push(rest[..end].split("::").filter(|s| !s.is_empty()).collect());
    }
    out
}

/// The units on a path from `from` to `to` along `edges` (ending with `to`), if there is one.
fn path_between(
    edges: &BTreeMap<(String, String), String>,
    from: &str,
    to: &str,
) -> Option<Vec<String>> {
    let mut seen = BTreeSet::new();
    let mut stack = vec![vec![from.to_string()]];
    while let Some(route) = stack.pop() {
        let last = route.last().unwrap().clone();
        if last == to {
            return Some(route);
        }
        if !seen.insert(last.clone()) {
            continue;
        }
        for (a, b) in edges.keys() {
            if *a == last {
                let mut next = route.clone();
                next.push(b.clone());
                stack.push(next);
            }
        }
    }
    None
}
