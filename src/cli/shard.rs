//! `natsim sweep FILE --shard K/N`: which shard this process runs, where its folder is, and what
//! its folder holds.
//!
//! Owns the shard's place in the split (from the flag, or from the scheduler's array index:
//! `SLURM_ARRAY_TASK_ID` with `SLURM_ARRAY_TASK_COUNT`, `AWS_BATCH_JOB_ARRAY_INDEX`, Kubernetes'
//! `JOB_COMPLETION_INDEX`), the folder name `shard-K-of-N` under the sweep's `--out`, and a
//! shard folder's files: `scenario.toml` and `runs.csv` as a sweep writes them (so `--resume`
//! works the same), `shard.json` (who wrote the runs, `io::report::shard`) and `manifest.json`
//! once every run of the shard is in. The split itself is `io::sweep::shard`'s.
//!
//! Invariant: a finished shard's folder is the same bytes however often its task was killed,
//! retried or resumed, and whatever its thread count: `runs.csv` is rewritten in (point,
//! candidate, replication) order once its last run is in.

use crate::io::catalog::Catalog;
use crate::io::report::journal;
use crate::io::report::manifest::{self, Header, fnv1a64};
use crate::io::report::shard::{SHARD_FILE, ShardInfo, Source};
use crate::io::report::{write_atomically, write_output};
use crate::io::sweep::Record;
use crate::io::sweep::plan::Plan;
use crate::io::sweep::shard::{MAX_SHARDS, Shard};
use anyhow::{Context, Result, anyhow};
use rayon::prelude::*;
use std::path::{Path, PathBuf};

/// The scheduler variables an array task's index is read from, in the order they are tried.
const INDEX_VARIABLES: [&str; 3] = [
    "SLURM_ARRAY_TASK_ID",
    "AWS_BATCH_JOB_ARRAY_INDEX",
    "JOB_COMPLETION_INDEX",
];

/// `--shard`'s value as given: `K/N`, `auto/N` or `auto`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShardSpec {
    Given(Shard),
    /// K from the scheduler's index; N given, or from `SLURM_ARRAY_TASK_COUNT`.
    Auto {
        count: Option<usize>,
    },
}

impl ShardSpec {
    /// Parses `--shard`'s value (clap's value parser: the error is printed under the flag).
    pub fn parse(text: &str) -> Result<ShardSpec, String> {
        let usage = "write K/N with 0 <= K < N (shard K of N, counted from 0), auto/N (K from the scheduler's array index) or auto (K and N from Slurm's array)";
        let (index, count) = match text.split_once('/') {
            Some((index, count)) => (index.trim(), Some(count.trim())),
            None => (text.trim(), None),
        };
        let count = match count {
            Some(count) => Some(
                count
                    .parse::<usize>()
                    .ok()
                    .filter(|&n| (1..=MAX_SHARDS).contains(&n))
                    .ok_or_else(|| {
                        format!("\"{count}\" is not a shard count from 1 to {MAX_SHARDS}; {usage}")
                    })?,
            ),
            None => None,
        };
        if index == "auto" {
            return Ok(ShardSpec::Auto { count });
        }
        let Some(count) = count else {
            return Err(format!("\"{text}\" gives no shard count; {usage}"));
        };
        index
            .parse::<usize>()
            .ok()
            .and_then(|index| Shard::new(index, count))
            .map(ShardSpec::Given)
            .ok_or_else(|| format!("\"{text}\" is not a shard; {usage}"))
    }

    /// The shard this process runs, reading the scheduler's variables through `var` for `auto`.
    pub(crate) fn resolve(self, var: impl Fn(&str) -> Option<String>) -> Result<Shard> {
        let count = match self {
            ShardSpec::Given(shard) => return Ok(shard),
            ShardSpec::Auto { count } => count,
        };
        let Some((name, value)) = INDEX_VARIABLES
            .iter()
            .find_map(|name| var(name).map(|value| (*name, value)))
        else {
            return Err(anyhow!(
                "--shard auto: none of {} is set, so this is not an array task; give the shard as --shard K/N",
                INDEX_VARIABLES.join(", ")
            ));
        };
        let index: usize = value.trim().parse().map_err(|_| {
            anyhow!(
                "--shard auto: {name} is \"{value}\", not an index; give the shard as --shard K/N"
            )
        })?;
        let count = match count {
            Some(count) => count,
            None => slurm_count(name, &var)?,
        };
        Shard::new(index, count).ok_or_else(|| {
            anyhow!(
                "--shard auto: {name} is {index}, not below the shard count {count}; number the array's tasks 0 to {} (Slurm: --array=0-{}), and give the shard count as --shard auto/N when the array holds fewer tasks (a resubmitted task)",
                count - 1,
                count - 1
            )
        })
    }
}

/// N from Slurm's array size, for `--shard auto`.
fn slurm_count(index_name: &str, var: &impl Fn(&str) -> Option<String>) -> Result<usize> {
    let hint = "give the shard count: --shard auto/N";
    if index_name != "SLURM_ARRAY_TASK_ID" {
        return Err(anyhow!(
            "--shard auto: {index_name} gives this task's index but not the array's size; {hint}"
        ));
    }
    let value = var("SLURM_ARRAY_TASK_COUNT")
        .ok_or_else(|| anyhow!("--shard auto: SLURM_ARRAY_TASK_COUNT is not set; {hint}"))?;
    value
        .trim()
        .parse::<usize>()
        .ok()
        .filter(|&n| (1..=MAX_SHARDS).contains(&n))
        .ok_or_else(|| anyhow!("--shard auto: SLURM_ARRAY_TASK_COUNT is \"{value}\"; {hint}"))
}

/// `shard-K-of-N`, K zero-padded to N's width so the folders list in order.
pub(crate) fn dir_name(shard: Shard) -> String {
    let width = shard.count.to_string().len();
    format!("shard-{:0width$}-of-{}", shard.index, shard.count)
}

/// What a shard's files are stamped with besides its place in the split.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Stamp<'a> {
    pub(crate) plan: &'a Plan,
    pub(crate) source: Source<'a>,
}

impl Stamp<'_> {
    /// `shard.json` for `shard`, whose runs number `runs`.
    pub(crate) fn info(&self, shard: Shard, runs: usize) -> ShardInfo {
        ShardInfo::new(
            self.source,
            (shard.index, shard.count),
            runs,
            self.plan.jobs().len(),
        )
    }
}

/// FNV-1a of a catalog's contents (not its file's bytes, which `--catalog` and the built-in one
/// do not share): `Catalog` holds only ordered maps, so its Debug text is the same on every
/// machine for the same prices, types and defaults.
pub(crate) fn catalog_fnv1a64(catalog: &Catalog) -> u64 {
    fnv1a64(format!("{catalog:?}").as_bytes())
}

/// Writes `shard.json` into a new shard folder.
pub(crate) fn write_info(dir: &Path, info: &ShardInfo) -> Result<()> {
    write_output(&dir.join(SHARD_FILE), info.render())?;
    Ok(())
}

/// Reads a shard folder's `shard.json`.
pub(crate) fn read_info(dir: &Path) -> Result<ShardInfo> {
    let path = dir.join(SHARD_FILE);
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    ShardInfo::parse(&text).map_err(|problem| anyhow!("{}: {problem}", path.display()))
}

/// Rewrites `dir/runs.csv` with `records` in (point, candidate, replication) order, each once:
/// the same file whatever order the runs finished in.
pub(crate) fn write_sorted_journal(dir: &Path, plan: &Plan, records: &[Record]) -> Result<()> {
    let path = dir.join("runs.csv");
    write_atomically(&path, sorted_journal(plan, records))
        .with_context(|| format!("cannot write {}", path.display()))
}

/// `runs.csv`'s text for `records`, sorted and deduplicated.
pub(crate) fn sorted_journal(plan: &Plan, records: &[Record]) -> String {
    let mut sorted: Vec<&Record> = records.iter().collect();
    sorted.sort_by_key(|r| r.key());
    sorted.dedup_by_key(|r| r.key());
    // Formatting every figure is most of the work; the lines are joined in order.
    let lines: Vec<String> = sorted
        .par_iter()
        .map(|record| journal::entry(plan, record))
        .collect();
    let mut text = journal::header(plan);
    text.reserve(lines.iter().map(String::len).sum());
    for line in lines {
        text.push_str(&line);
    }
    text
}

/// Writes the folder of a finished shard of `plan` (the sweep in `text`, read from `file`,
/// against the built-in catalog) under `root`, from `records`, its runs, as
/// `natsim sweep FILE --shard K/N --out ROOT` leaves it. For benchmarks and tests that need
/// many shards without running every task; returns the folder.
pub fn write_shard(
    root: &Path,
    (file, text): (&str, &str),
    plan: &Plan,
    shard: Shard,
    records: &[Record],
) -> Result<PathBuf> {
    let dir = root.join(dir_name(shard));
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let stamp = Stamp {
        plan,
        source: Source {
            scenario_file: file,
            set: &[],
            scenario_text: text,
            catalog_fnv1a64: catalog_fnv1a64(Catalog::embedded()),
        },
    };
    write_output(&dir.join("scenario.toml"), text)?;
    write_info(&dir, &stamp.info(shard, records.len()))?;
    write_sorted_journal(&dir, plan, records)?;
    close(&dir, plan)?;
    Ok(dir)
}

/// Writes a finished shard's `manifest.json`.
pub(crate) fn close(dir: &Path, plan: &Plan) -> Result<()> {
    let first = &plan.points[0].scenario;
    let header = Header {
        kind: "shard",
        scenario: Some(&first.name),
        seed: Some(first.seed),
    };
    let files = ["scenario.toml", SHARD_FILE, "runs.csv"].map(String::from);
    manifest::write(dir, &header, &files).map_err(|e| anyhow!(e))
}

/// `text` as one shell word: as it is when that is safe, else in single quotes.
pub(crate) fn shell_word(text: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "/._-+=:,@%".contains(c);
    if !text.is_empty() && text.chars().all(plain) {
        text.to_string()
    } else {
        format!("'{}'", text.replace('\'', "'\\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        }
    }

    fn shard(index: usize, count: usize) -> Shard {
        Shard::new(index, count).unwrap()
    }

    #[test]
    fn the_flag_reads_k_of_n_or_auto() {
        assert_eq!(ShardSpec::parse("3/4"), Ok(ShardSpec::Given(shard(3, 4))));
        assert_eq!(
            ShardSpec::parse("auto/64"),
            Ok(ShardSpec::Auto { count: Some(64) })
        );
        assert_eq!(
            ShardSpec::parse("auto"),
            Ok(ShardSpec::Auto { count: None })
        );
        for bad in ["4/4", "3", "-1/4", "1/0", "x/4", "1/100001", "auto/0", ""] {
            let err = ShardSpec::parse(bad).unwrap_err();
            assert!(err.contains("K/N"), "{bad}: {err}");
        }
    }

    #[test]
    fn auto_reads_each_schedulers_index() {
        let auto = |count| ShardSpec::Auto { count };
        let slurm = env(&[
            ("SLURM_ARRAY_TASK_ID", "2"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
        ]);
        assert_eq!(auto(None).resolve(&slurm).unwrap(), shard(2, 4));
        assert_eq!(auto(Some(8)).resolve(&slurm).unwrap(), shard(2, 8));
        let batch = env(&[("AWS_BATCH_JOB_ARRAY_INDEX", "63")]);
        assert_eq!(auto(Some(64)).resolve(&batch).unwrap(), shard(63, 64));
        let err = auto(None).resolve(&batch).unwrap_err().to_string();
        assert!(err.contains("--shard auto/N"), "{err}");
        let k8s = env(&[("JOB_COMPLETION_INDEX", "0")]);
        assert_eq!(auto(Some(3)).resolve(&k8s).unwrap(), shard(0, 3));
        // The flag's own K/N wins over the environment.
        let given = ShardSpec::Given(shard(1, 2));
        assert_eq!(given.resolve(&slurm).unwrap(), shard(1, 2));
    }

    #[test]
    fn auto_refuses_what_would_split_wrongly() {
        let auto = |count| ShardSpec::Auto { count };
        let err = auto(Some(4)).resolve(env(&[])).unwrap_err().to_string();
        assert!(err.contains("not an array task"), "{err}");
        // Resubmitting task 2 alone makes an array of one: its size is not the shard count.
        let resubmitted = env(&[
            ("SLURM_ARRAY_TASK_ID", "2"),
            ("SLURM_ARRAY_TASK_COUNT", "1"),
        ]);
        let err = auto(None).resolve(&resubmitted).unwrap_err().to_string();
        assert!(
            err.contains("not below the shard count 1") && err.contains("auto/N"),
            "{err}"
        );
        assert_eq!(auto(Some(4)).resolve(&resubmitted).unwrap(), shard(2, 4));
        let bad = env(&[("JOB_COMPLETION_INDEX", "two")]);
        assert!(auto(Some(4)).resolve(&bad).is_err());
    }

    #[test]
    fn folders_sort_in_shard_order_and_commands_quote_paths() {
        assert_eq!(dir_name(shard(3, 4)), "shard-3-of-4");
        assert_eq!(dir_name(shard(7, 1024)), "shard-0007-of-1024");
        assert_eq!(shell_word("out/sweep-1"), "out/sweep-1");
        assert_eq!(shell_word("my sweeps/it's"), "'my sweeps/it'\\''s'");
    }
}
