//! The fuzz step for the scenario parser and validator, on the stable toolchain: a seeded
//! mutation loop over the shipped scenarios and every input that ever failed, for a bounded time.
//!
//! Every input must either parse (then, when it is small, run without panicking) or be refused
//! with an error that names where: a key path, or a line and column for broken TOML, one line
//! long, with no control characters. A failing input is saved to tests/fuzz/regressions/ and
//! replayed by `fuzz_regressions_replay` from then on. `NATSIM_FUZZ_SECONDS` bounds the loop
//! (default 3 s; CI gives it a minute) and `NATSIM_FUZZ_SEED` picks the sequence (default 9),
//! so a failure is reproduced by the seed it prints.

use crate::support::{repo_root, run_cli, stderr, write_file};
use natsim::cli::estimate;
use natsim::io::scenario::{Scenario, ScenarioError, parse_scenario};
use natsim::io::sweep::plan::Plan;
use rand::{RngExt, SeedableRng};
use rand_pcg::Pcg64Mcg;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Values that broke, or nearly broke, natsim: overflows after units, non-finite numbers, AZ
/// spellings, control characters, wrong types, long text.
const VALUES: &[&str] = &[
    "\"1e308d\"",
    "\"1e308KB\"",
    "\"1e308Gbps\"",
    "1e308",
    "-1e308",
    "-1",
    "0",
    "0.0",
    "nan",
    "inf",
    "-inf",
    "\"\"",
    "\"us-east-1a\"",
    "\"us-west-2b\"",
    "\"use1-az1\"",
    "\"A\"",
    "\"z\"",
    "\"bell\\u0007\"",
    "\"esc\\u001b[31m\"",
    "\"rlo\\u202e\"",
    "[]",
    "{}",
    "[1, 2, 3]",
    "{ dist = \"pareto\", mean = \"1e308KB\", shape = 1.0000001 }",
    "{ dist = \"lognormal\", mean = 1, cv = 1e-300 }",
    "{ dist = \"exponential\", mean = \"1e-12s\" }",
    "{ dist = \"constant\", value = 0 }",
    "true",
    "1979-05-27T07:32:00Z",
    "\"5Gbps\"",
    "\"0.5ns\"",
    "\"1e-300s\"",
    "\"366d\"",
    "\"100Tbps\"",
    "18446744073709551615",
    "9223372036854775807",
    "4294967296",
    "\"off\"",
    "\"nat_gateway\"",
    "\"internet_gateway\"",
    "\"t4g.nano\"",
];

/// Whole lines to drop in: tables, events, keys that reach across the file.
const LINES: &[&str] = &[
    "[[event]]\nkind = \"az_outage\"\naz = \"b\"\nat = \"1m\"\nfor = \"1m\"",
    "[[event]]\nkind = \"instance_failure\"\ncandidate = \"natgw\"\nat = \"1m\"",
    "[slo]\nmax_drop_rate = 0.5",
    "[prices]\ninstance_usd_per_hour = { \"t4g.nano\" = 1e308 }",
    "[[workload]]\nrate_per_s = 1\naz = \"us-east-1b\"",
    "[[candidate]]\nname = \"igw\"\nkind = \"internet_gateway\"",
    "[sweep]\n\"workload[0].rate_per_s\" = { from = 1, to = 10, steps = 3 }",
    "per_az = true",
    "mode = \"regional\"",
    "az = \"us-east-1c\"",
    "clients = 1000000",
    "replications = 3",
    "a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q.r.s.t.u.v.w.x.y.z.a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q.r.s.t.u.v.w.x.y.z.a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q.r.s.t.u.v.w.x.y.z.a.b.c = 1",
];

/// Characters to insert: TOML syntax, controls, a wide character.
const CHARS: &[char] = &[
    '"', '\'', '[', ']', '{', '}', '=', '.', ',', '#', '\n', '\r', '\t', '\u{7}', '\u{0}', '\\',
    'é', '🙂', '-', '_', 'e', '9',
];

fn seconds() -> f64 {
    std::env::var("NATSIM_FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3.0)
}

fn seed() -> u64 {
    std::env::var("NATSIM_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(9)
}

fn regressions_dir() -> PathBuf {
    repo_root().join("tests/fuzz/regressions")
}

/// The shipped scenarios and every saved regression.
fn corpus() -> Vec<(PathBuf, String)> {
    let mut files: Vec<PathBuf> = [repo_root().join("scenarios"), regressions_dir()]
        .iter()
        .flat_map(|dir| std::fs::read_dir(dir).into_iter().flatten())
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let text = String::from_utf8_lossy(&std::fs::read(&p).unwrap()).into_owned();
            (p, text)
        })
        .collect()
}

/// What an input did: parsed (and its sweep, if any, planned; run when small), or refused.
enum Outcome {
    Parsed { ran: bool },
    Refused(ScenarioError),
}

/// Parses `text` (and plans its sweep, and runs it when small) and checks the contract; the
/// problem, if any, in words.
fn check(text: &str) -> Result<Outcome, String> {
    let parsed = catch_unwind(AssertUnwindSafe(|| parse_scenario(text, "fuzz.toml")))
        .map_err(|_| "the parser panicked".to_string())?;
    let scenario = match parsed {
        Err(err) => {
            check_error(&err)?;
            return Ok(Outcome::Refused(err));
        }
        Ok(scenario) => scenario,
    };
    if scenario.has_sweep {
        let plan = catch_unwind(AssertUnwindSafe(|| Plan::from_text(text, "fuzz.toml")))
            .map_err(|_| "the sweep planner panicked".to_string())?;
        if let Err(err) = plan {
            check_error(&err)?;
            return Ok(Outcome::Refused(err));
        }
    }
    Ok(Outcome::Parsed {
        ran: run_if_small(&scenario)?,
    })
}

/// An error must say where (key path, or line and column, or the whole file), on one line.
fn check_error(err: &ScenarioError) -> Result<(), String> {
    let message = err.to_string();
    let whole_file = [
        "the file is empty",
        "the file has no settings, only comments",
    ];
    let located = !err.key_path.is_empty()
        || err.problem.contains(" at line ")
        || whole_file.contains(&err.problem.as_str());
    let problems = [
        (!err.file.starts_with("fuzz.toml"), "does not name the file"),
        (!located, "names no key path and no line"),
        (
            message.chars().any(char::is_control),
            "holds a control character",
        ),
        (message.len() > 3_000, "is longer than 3,000 bytes"),
        (
            starts_with_a_capital_word(&err.problem) || err.problem.ends_with('.'),
            "is not lowercase without a final period",
        ),
    ];
    match problems.iter().find(|(bad, _)| *bad) {
        Some((_, what)) => Err(format!("the error {what}: {message:.500}")),
        None => Ok(()),
    }
}

/// "Invalid value": a sentence, not a value the message echoes ("NaN is a number", "A").
fn starts_with_a_capital_word(text: &str) -> bool {
    let word = text.split_whitespace().next().unwrap_or_default();
    let mut chars = word.chars();
    chars.next().is_some_and(char::is_uppercase)
        && word.len() > 3
        && chars.all(|c| c.is_ascii_lowercase())
}

/// Runs a parsed scenario when it is small enough to take milliseconds: the engine must not
/// panic on anything the parser accepts. Says whether it ran.
fn run_if_small(scenario: &Scenario) -> Result<bool, String> {
    let work = estimate::scenario_work(scenario);
    if work.connections > 20_000.0 || work.cpu_s > 0.05 || work.peak_bytes(1) > 300e6 {
        return Ok(false);
    }
    catch_unwind(AssertUnwindSafe(|| {
        natsim::results::batch::run_scenario(scenario)
    }))
    .map(|_| true)
    .map_err(|_| "the simulation panicked on a scenario the parser accepted".to_string())
}

/// Applies one random mutation to `text`.
fn mutate(text: &str, rng: &mut Pcg64Mcg) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    if lines.is_empty() {
        lines.push(String::new());
    }
    let line = rng.random_range(0..lines.len());
    match rng.random_range(0..9u32) {
        0 | 1 => {
            // A value replaced: the most telling mutation, so the most frequent.
            if let Some((key, _)) = lines[line].split_once('=') {
                let value = VALUES[rng.random_range(0..VALUES.len())];
                lines[line] = format!("{key}= {value}");
            }
        }
        2 => {
            lines.remove(line);
        }
        3 => {
            let copy = lines[line].clone();
            lines.insert(line, copy);
        }
        4 => {
            let other = rng.random_range(0..lines.len());
            lines.swap(line, other);
        }
        5 => lines.insert(line, LINES[rng.random_range(0..LINES.len())].to_string()),
        6 => {
            let mut chars: Vec<char> = lines[line].chars().collect();
            let at = rng.random_range(0..=chars.len());
            chars.insert(at, CHARS[rng.random_range(0..CHARS.len())]);
            lines[line] = chars.into_iter().collect();
        }
        7 => {
            // A number scaled by powers of ten, or its sign flipped.
            let factor = ["e300", "e-300", "000000", "-"][rng.random_range(0..4)];
            if let Some(at) = lines[line].find(|c: char| c.is_ascii_digit()) {
                let end = lines[line][at..]
                    .find(|c: char| !c.is_ascii_digit() && c != '.')
                    .map_or(lines[line].len(), |e| at + e);
                let number = &lines[line][at..end];
                let changed = if factor == "-" {
                    format!("-{number}")
                } else {
                    format!("{number}{factor}")
                };
                lines[line].replace_range(at..end, &changed);
            }
        }
        _ => {
            // A key renamed by a character, as a typo would.
            if let Some(at) = lines[line].find('=') {
                let cut = rng.random_range(0..=at);
                if lines[line].is_char_boundary(cut) {
                    lines[line].insert(cut, 'x');
                }
            }
        }
    }
    let mut out = lines.join("\n");
    out.push('\n');
    out
}

/// Saves a failing input under tests/fuzz/regressions/ (named by its hash, so it is saved once).
fn save_regression(text: &str) -> PathBuf {
    let hash = text.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    let path = regressions_dir().join(format!("fuzz-{hash:016x}.toml"));
    std::fs::create_dir_all(regressions_dir()).unwrap();
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn fuzz_mutated_scenarios_never_panic_and_name_where() {
    let corpus = corpus();
    let (seed, budget) = (seed(), Duration::from_secs_f64(seconds()));
    let mut rng = Pcg64Mcg::seed_from_u64(seed);
    let started = Instant::now();
    let (mut tried, mut refused, mut ran, mut cli_checked) = (0u64, 0u64, 0u64, 0u64);
    while started.elapsed() < budget {
        let (origin, base) = &corpus[rng.random_range(0..corpus.len())];
        let mut text = base.clone();
        for _ in 0..rng.random_range(1..=4u32) {
            text = mutate(&text, &mut rng);
        }
        tried += 1;
        let failure = match check(&text) {
            Err(problem) => Some(problem),
            Ok(Outcome::Refused(err)) => {
                refused += 1;
                // The binary too, now and then: exit 2 with the same key path, no panic.
                if refused % 40 == 1 && cli_checked < 25 {
                    cli_checked += 1;
                    cli_refuses(&text, &err).err()
                } else {
                    None
                }
            }
            Ok(Outcome::Parsed { ran: true }) => {
                ran += 1;
                None
            }
            Ok(Outcome::Parsed { ran: false }) => None,
        };
        if let Some(problem) = failure {
            let saved = save_regression(&text);
            panic!(
                "fuzz seed {seed}, input {tried} (a mutation of {}): {problem}\nsaved as {}; it is replayed by fuzz_regressions_replay from now on",
                origin.display(),
                saved.display()
            );
        }
    }
    eprintln!(
        "fuzz: seed {seed}, {tried} inputs in {:.1} s, {refused} refused, {ran} simulated, {cli_checked} through the binary",
        started.elapsed().as_secs_f64()
    );
    assert!(tried > 0);
}

/// `natsim validate` on `text` exits 2 and names the same key path, without panicking.
fn cli_refuses(text: &str, err: &ScenarioError) -> Result<(), String> {
    let dir = crate::support::scratch("fuzz-cli");
    let file = write_file(&dir, "fuzz.toml", text);
    cli_contract(&file, Some(err))
}

/// Exit 0 or 2, never a panic; on 2, `error: FILE: ` and the key path (when known).
fn cli_contract(file: &Path, err: Option<&ScenarioError>) -> Result<(), String> {
    let output = run_cli(&["validate", file.to_str().unwrap()]);
    let stderr = stderr(&output);
    if stderr.contains("panicked") {
        return Err(format!("natsim validate panicked: {stderr}"));
    }
    match output.status.code() {
        Some(0) => Ok(()),
        Some(2) => {
            let named = stderr.starts_with(&format!("error: {}: ", file.display()));
            let keyed = err.is_none_or(|e| e.key_path.is_empty() || stderr.contains(&e.key_path));
            if named && keyed {
                Ok(())
            } else {
                Err(format!(
                    "exit 2 without the file and key path: {stderr:.500}"
                ))
            }
        }
        other => Err(format!("exit {other:?}: {stderr:.500}")),
    }
}

/// Every input that ever failed: the contract holds, the first line's `# expect:` (when given)
/// holds, and the binary exits 0 or 2 on it.
#[test]
fn fuzz_regressions_replay() {
    let mut replayed = 0;
    for (path, text) in corpus()
        .into_iter()
        .filter(|(p, _)| p.starts_with(regressions_dir()))
    {
        let name = path.display();
        let outcome = check(&text).unwrap_or_else(|problem| panic!("{name}: {problem}"));
        if let Some(expect) = text
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("# expect: "))
        {
            match (&outcome, expect.trim()) {
                (Outcome::Parsed { .. }, "ok") => {}
                (Outcome::Refused(err), expected) if expected.starts_with("line ") => {
                    let at = format!("at {expected},");
                    assert!(err.problem.contains(&at), "{name}: {err}");
                }
                (Outcome::Refused(err), expected) => {
                    assert_eq!(err.key_path, expected, "{name}: {err}");
                }
                (Outcome::Parsed { .. }, expected) => {
                    panic!("{name}: parsed, expected {expected}")
                }
            }
        }
        let err = match &outcome {
            Outcome::Refused(err) => Some(err),
            Outcome::Parsed { .. } => None,
        };
        cli_contract(&path, err).unwrap_or_else(|problem| panic!("{name}: {problem}"));
        replayed += 1;
    }
    assert!(
        replayed >= 10,
        "tests/fuzz/regressions/ holds the issue 9 inputs"
    );
}
