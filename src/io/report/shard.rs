//! `shard.json`: who wrote a shard's journal, so a merge can refuse shards that do not belong
//! together.
//!
//! Owns the format: the shard (`shard` of `shards`, counted from 0), its run count and the
//! plan's, natsim's version, the scenario file as the shard was given it with its `--set`
//! overrides, and FNV-1a hashes of the scenario text (as `scenario.toml` keeps it) and of the
//! catalog the points were read against. Two shards merge only if everything but `shard` and
//! `runs` is equal. Text in, text out: the CLI reads and writes the
//! file.

use serde::{Deserialize, Serialize};

/// The file's name inside a shard's folder.
pub(crate) const SHARD_FILE: &str = "shard.json";
/// The `format` field: bumped when a field changes meaning.
const FORMAT: &str = "natsim-shard-1";

/// What `shard.json` holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ShardInfo {
    pub(crate) format: String,
    pub(crate) natsim_version: String,
    /// The scenario file's path as the shard's command line gave it: what a rerun command names
    /// and where a replayed workload's flow logs are found.
    pub(crate) scenario_file: String,
    /// `--set` as `KEY=VALUE` arguments, applied to the file before its points.
    pub(crate) set: Vec<String>,
    pub(crate) scenario_fnv1a64: String,
    pub(crate) catalog_fnv1a64: String,
    pub(crate) shard: usize,
    pub(crate) shards: usize,
    /// Runs in this shard.
    pub(crate) runs: usize,
    /// Runs in the whole sweep.
    pub(crate) plan_runs: usize,
}

/// The fields a shard is identified by, before the shard's own place in the split.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Source<'a> {
    pub(crate) scenario_file: &'a str,
    pub(crate) set: &'a [String],
    pub(crate) scenario_text: &'a str,
    pub(crate) catalog_fnv1a64: u64,
}

impl ShardInfo {
    /// The identity of shard `shard` of `shards` (with `runs` of the plan's `plan_runs`) of the
    /// sweep in `source`, written by this natsim.
    pub(crate) fn new(
        source: Source<'_>,
        (shard, shards): (usize, usize),
        runs: usize,
        plan_runs: usize,
    ) -> ShardInfo {
        ShardInfo {
            format: FORMAT.to_string(),
            natsim_version: env!("CARGO_PKG_VERSION").to_string(),
            scenario_file: source.scenario_file.to_string(),
            set: source.set.to_vec(),
            scenario_fnv1a64: hex(super::manifest::fnv1a64(source.scenario_text.as_bytes())),
            catalog_fnv1a64: hex(source.catalog_fnv1a64),
            shard,
            shards,
            runs,
            plan_runs,
        }
    }

    /// The file's text.
    pub(crate) fn render(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }

    /// Reads the file's text; the problem otherwise, for the caller to add the file and the fix.
    pub(crate) fn parse(text: &str) -> Result<ShardInfo, String> {
        let info: ShardInfo = serde_json::from_str(text)
            .map_err(|e| format!("not a shard.json natsim wrote: {e}"))?;
        if info.format != FORMAT {
            return Err(format!(
                "format \"{}\", this natsim reads \"{FORMAT}\"",
                info.format
            ));
        }
        if info.shards == 0 || info.shard >= info.shards {
            return Err(format!(
                "shard {} of {} is not a shard",
                info.shard, info.shards
            ));
        }
        Ok(info)
    }

    /// How `self` differs from `other` in what must be equal for the two to merge: the first
    /// difference, named, or `None`.
    pub(crate) fn mismatch(&self, other: &ShardInfo) -> Option<String> {
        let fields = [
            (
                "natsim version",
                &self.natsim_version,
                &other.natsim_version,
            ),
            (
                "scenario text (FNV-1a)",
                &self.scenario_fnv1a64,
                &other.scenario_fnv1a64,
            ),
            (
                "catalog (FNV-1a)",
                &self.catalog_fnv1a64,
                &other.catalog_fnv1a64,
            ),
        ];
        for (what, mine, theirs) in fields {
            if mine != theirs {
                return Some(format!("{what} {mine} against {theirs}"));
            }
        }
        if self.set != other.set {
            return Some(format!("--set {:?} against {:?}", self.set, other.set));
        }
        if self.shards != other.shards {
            return Some(format!(
                "a split into {} shards against one into {}",
                self.shards, other.shards
            ));
        }
        if self.plan_runs != other.plan_runs {
            return Some(format!(
                "{} runs in the sweep against {}",
                self.plan_runs, other.plan_runs
            ));
        }
        None
    }
}

/// A hash as `shard.json` and `manifest.json` write it.
pub(crate) fn hex(hash: u64) -> String {
    format!("{hash:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(text: &str, shard: usize) -> ShardInfo {
        let source = Source {
            scenario_file: "s.toml",
            set: &[],
            scenario_text: text,
            catalog_fnv1a64: 7,
        };
        ShardInfo::new(source, (shard, 4), 3, 12)
    }

    #[test]
    fn reads_back_what_it_writes() {
        let written = info("[scenario]\n", 2);
        assert_eq!(ShardInfo::parse(&written.render()).unwrap(), written);
        assert!(written.render().contains("\"shards\": 4"));
    }

    #[test]
    fn refuses_what_it_did_not_write() {
        assert!(
            ShardInfo::parse("{}")
                .unwrap_err()
                .contains("not a shard.json")
        );
        let mut other = info("[scenario]\n", 1);
        other.format = "natsim-shard-9".into();
        assert!(
            ShardInfo::parse(&other.render())
                .unwrap_err()
                .contains("natsim-shard-9")
        );
        other.format = FORMAT.into();
        other.shard = 4;
        assert!(ShardInfo::parse(&other.render()).is_err());
    }

    #[test]
    fn shards_of_other_files_or_splits_do_not_match() {
        let a = info("[scenario]\n", 0);
        assert_eq!(a.mismatch(&info("[scenario]\n", 3)), None);
        let text = a.mismatch(&info("[scenario] \n", 1)).unwrap();
        assert!(text.starts_with("scenario text"), "{text}");
        let mut split = info("[scenario]\n", 1);
        split.shards = 8;
        assert!(a.mismatch(&split).unwrap().contains("one into 8"));
        let mut version = info("[scenario]\n", 1);
        version.natsim_version = "0.0.1".into();
        assert!(a.mismatch(&version).unwrap().contains("natsim version"));
    }
}
