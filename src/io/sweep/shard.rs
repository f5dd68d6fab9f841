//! A sweep's runs split into N shards, for array jobs (Slurm, AWS Batch, Kubernetes Indexed
//! Jobs): shard K of N runs only its own runs, and a merge of all N gives what one machine would.
//!
//! Owns the split. The runs are taken longest first (expected work, ties in (point, candidate,
//! replication) order, as `Plan::longest_first` orders them) and dealt to the shards like cards,
//! back and forth: 0, 1, …, N−1, N−1, …, 1, 0, 0, 1, … Every shard gets a run of each size
//! class in turn, so the shards' run counts differ by at most one and their expected work by
//! at most one run's. The split is a function of the plan and N alone: every task of an array
//! computes the same one, whatever order the tasks start in, and the merge checks each run
//! against it. Results never depend on the split: the merge aggregates the runs in (point,
//! candidate, replication) order, as one machine does.

use super::Record;
use super::plan::{Job, Plan};

/// Most shards a sweep splits into: above this many array tasks a scheduler's own limits bind
/// first (Slurm's default `MaxArraySize` is 1001, AWS Batch's array size at most 10,000).
pub const MAX_SHARDS: usize = 100_000;

/// One shard of a split: `index` of `count`, counted from 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl Shard {
    /// Shard `index` of `count`; `None` unless `index < count <= MAX_SHARDS`.
    pub fn new(index: usize, count: usize) -> Option<Shard> {
        (index < count && count <= MAX_SHARDS).then_some(Shard { index, count })
    }
}

/// The shard of every run of `plan` split `count` ways, indexed like [`Plan::jobs`].
pub fn assign(plan: &Plan, count: usize) -> Vec<usize> {
    let jobs = plan.jobs();
    let mut order: Vec<usize> = (0..jobs.len()).collect();
    // Work is the same for every run of a point, so compare each point's once.
    let work: Vec<f64> = plan
        .points
        .iter()
        .enumerate()
        .map(|(point, _)| {
            plan.work(&Job {
                point,
                candidate: 0,
                replication: 0,
            })
        })
        .collect();
    order.sort_by(|&a, &b| {
        work[jobs[b].point]
            .total_cmp(&work[jobs[a].point])
            .then(jobs[a].cmp(&jobs[b]))
    });
    let mut shard_of = vec![0; jobs.len()];
    for (position, &job) in order.iter().enumerate() {
        let (round, seat) = (position / count, position % count);
        shard_of[job] = if round % 2 == 0 {
            seat
        } else {
            count - 1 - seat
        };
    }
    shard_of
}

/// The runs of `shard`, in (point, candidate, replication) order.
pub fn jobs_of(plan: &Plan, shard: Shard) -> Vec<Job> {
    plan.jobs()
        .into_iter()
        .zip(assign(plan, shard.count))
        .filter(|&(_, s)| s == shard.index)
        .map(|(job, _)| job)
        .collect()
}

/// `records` (finished runs of `plan`) grouped by their shard of `count`, each group in the
/// order given. For benchmarks and tests that write shard journals from one run of the plan.
pub fn group(plan: &Plan, count: usize, records: Vec<Record>) -> Vec<Vec<Record>> {
    let shard_of = assign(plan, count);
    let index = JobIndex::new(plan);
    let mut groups = vec![Vec::new(); count];
    for record in records {
        groups[shard_of[index.of(&record)]].push(record);
    }
    groups
}

/// Where each run sits in [`Plan::jobs`]'s (point, candidate, replication) order.
pub(crate) struct JobIndex {
    /// The index of each point's first run.
    first: Vec<usize>,
    /// Each point's replications.
    replications: Vec<usize>,
}

impl JobIndex {
    pub(crate) fn new(plan: &Plan) -> JobIndex {
        let mut first = Vec::with_capacity(plan.points.len());
        let mut next = 0;
        for point in &plan.points {
            first.push(next);
            next += point.scenario.candidates.len() * point.scenario.replications as usize;
        }
        let replications = plan
            .points
            .iter()
            .map(|p| p.scenario.replications as usize)
            .collect();
        JobIndex {
            first,
            replications,
        }
    }

    pub(crate) fn of(&self, record: &Record) -> usize {
        self.first[record.point]
            + record.candidate * self.replications[record.point]
            + record.replication as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 7 points of growing work × 3 candidates × 2 replications = 42 runs.
    const SCENARIO: &str = r#"
[scenario]
name = "split"
duration = "2m"
replications = 2

[sweep]
"workload[0].rate_per_s" = [1, 2, 4, 8, 16, 32, 64]

[[workload]]
rate_per_s = 1

[[candidate]]
name = "a"
kind = "nat_gateway"

[[candidate]]
name = "b"
kind = "nat_gateway"

[[candidate]]
name = "c"
kind = "nat_gateway"
"#;

    #[test]
    fn every_run_lands_in_exactly_one_shard_and_counts_differ_by_at_most_one() {
        let plan = Plan::from_text(SCENARIO, "s.toml").unwrap();
        let runs = plan.jobs().len();
        for count in [1, 2, 3, 4, 5, 16, 41, 42, 43, 100] {
            let assigned = assign(&plan, count);
            assert_eq!(assigned.len(), runs);
            let mut sizes = vec![0; count];
            for &s in &assigned {
                sizes[s] += 1;
            }
            let (min, max) = (sizes.iter().min().unwrap(), sizes.iter().max().unwrap());
            assert!(max - min <= 1, "{count} shards: sizes {sizes:?}");
            let union: usize = (0..count)
                .map(|index| jobs_of(&plan, Shard::new(index, count).unwrap()).len())
                .sum();
            assert_eq!(union, runs, "{count} shards");
        }
    }

    #[test]
    fn expected_work_is_balanced_to_within_one_run() {
        let plan = Plan::from_text(SCENARIO, "s.toml").unwrap();
        let longest = plan.jobs().iter().map(|j| plan.work(j)).fold(0.0, f64::max);
        for count in [2, 3, 4, 6] {
            let shards: Vec<f64> = (0..count)
                .map(|index| {
                    let shard = Shard::new(index, count).unwrap();
                    jobs_of(&plan, shard).iter().map(|j| plan.work(j)).sum()
                })
                .collect();
            let spread = shards.iter().fold(0.0, |m: f64, &w| m.max(w))
                - shards.iter().fold(f64::INFINITY, |m: f64, &w| m.min(w));
            assert!(spread <= longest, "{count} shards: {shards:?}");
        }
        // Dealt back and forth, 4 ways: the 6 heaviest runs (point 6) go 0, 1, 2, 3, 3, 2.
        let heaviest: Vec<usize> = assign(&plan, 4)[36..].to_vec();
        assert_eq!(heaviest, [0, 1, 2, 3, 3, 2]);
    }

    #[test]
    fn shard_indices_are_checked() {
        assert_eq!(Shard::new(3, 4), Some(Shard { index: 3, count: 4 }));
        assert_eq!(Shard::new(4, 4), None);
        assert_eq!(Shard::new(0, 0), None);
        assert_eq!(Shard::new(0, MAX_SHARDS + 1), None);
    }
}
