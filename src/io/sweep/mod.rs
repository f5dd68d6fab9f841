//! Parameter sweeps: one scenario, some of its keys varied over lists or ranges, every point run
//! for every candidate and replication on all cores.
//!
//! - `spec`: the `[sweep]` table, its points and how a point edits the raw TOML;
//! - `plan`: every point checked into a `Scenario` before anything runs, the runs they need, and
//!   running them with rayon;
//! - `shard`: the runs split N ways for array jobs, shard K running only its own;
//! - `aggregate`: per-run figures into per-point summaries, recommendations and winners.
//!
//! Invariant: results never depend on the thread count or on which run finished first: runs are
//! aggregated in (point, candidate, replication) order from figures that survive a trip through
//! `runs.csv` bit for bit. Nothing here touches the filesystem; the CLI does.

pub(crate) mod aggregate;
pub mod plan;
pub mod shard;
pub(crate) mod spec;

/// The figures of one finished run: what `runs.csv` keeps and aggregation needs.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub(crate) point: usize,
    pub(crate) candidate: usize,
    pub(crate) replication: u32,
    pub(crate) seed: u64,
    /// Indexed like [`crate::results::summary::Metric::ALL`].
    pub(crate) values: Vec<f64>,
    pub(crate) credits_exhausted_at_s: Option<f64>,
}

impl Record {
    /// The key runs are ordered and deduplicated by.
    pub(crate) fn key(&self) -> (usize, usize, u32) {
        (self.point, self.candidate, self.replication)
    }
}
