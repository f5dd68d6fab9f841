//! natsim's one integration-test binary (ripgrep style): oracles, cost identities, determinism,
//! the CLI's error contract, flow logs into connections and replayed, every shipped scenario, batches, sweeps and their shards, the output
//! formats against their JSON schemas, `diff`, and the validation against published figures.

#[path = "it/support.rs"]
mod support;

#[path = "it/batch.rs"]
mod batch;
#[path = "it/calibration.rs"]
mod calibration;
#[path = "it/catalog_import.rs"]
mod catalog_import;
#[path = "it/cli.rs"]
mod cli;
#[path = "it/cost.rs"]
mod cost;
#[path = "it/determinism.rs"]
mod determinism;
#[path = "it/diff.rs"]
mod diff;
#[path = "it/egress_options.rs"]
mod egress_options;
#[path = "it/fit.rs"]
mod fit;
#[path = "it/flowlogs.rs"]
mod flowlogs;
#[path = "it/formats.rs"]
mod formats;
#[path = "it/fuzz.rs"]
mod fuzz;
#[path = "it/hardening.rs"]
mod hardening;
#[path = "it/infracost.rs"]
mod infracost;
#[path = "it/layers.rs"]
mod layers;
#[path = "it/objectives.rs"]
mod objectives;
#[path = "it/oracles.rs"]
mod oracles;
#[path = "it/replay.rs"]
mod replay;
#[path = "it/replay_az.rs"]
mod replay_az;
#[path = "it/replay_ci.rs"]
mod replay_ci;
#[path = "it/reports.rs"]
mod reports;
#[path = "it/scenarios.rs"]
mod scenarios;
#[path = "it/schema.rs"]
mod schema;
#[path = "it/set.rs"]
mod set;
#[path = "it/shard.rs"]
mod shard;
#[path = "it/sweep.rs"]
mod sweep;
#[path = "it/traffic.rs"]
mod traffic;
#[path = "it/validation.rs"]
mod validation;
#[path = "it/workloads.rs"]
mod workloads;
