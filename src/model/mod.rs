//! The model: what is simulated. The validated scenario types, the devices, the workload's
//! traffic, one run of a candidate (`sim`), and what a run bills (`cost`) and is judged by
//! (`objectives`). Invariant: imports only `engine` and `util`; no parsing, no files.

pub(crate) mod cost;
pub(crate) mod device;
pub(crate) mod egress_ips;
pub(crate) mod exponential;
pub mod objectives;
pub(crate) mod scenario;
pub mod sim;
pub(crate) mod workload;
pub(crate) mod zipf;
