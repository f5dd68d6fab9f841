//! natsim: a discrete-event performance and cost simulator for AWS internet egress.
//!
//! See ARCHITECTURE.md for the code map and the invariants each module keeps.

pub mod batch;
pub mod catalog;
pub mod cli;
pub mod confidence;
pub mod cost;
pub mod device;
pub mod diagnosis;
pub mod echo;
pub mod engine;
pub mod estimate;
pub mod fluid;
pub mod objectives;
pub mod recommend;
pub mod report;
pub mod scenario;
pub mod sim;
pub mod stats;
pub mod summary;
pub mod sweep;
pub mod units;
pub mod workload;
