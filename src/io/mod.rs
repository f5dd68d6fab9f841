//! Input and output: the catalog (data), CloudWatch NAT gateway metrics (and the calibration against them), VPC Flow Logs (records joined into connections), scratch files (`spill`: external sorts, replayed traces), scenario files into the model's types, sweeps (their
//! specification, plan and aggregation), and the report writers. Invariant: the only layer, with
//! `cli`, that reads text formats or writes files; lower layers never import it.

pub mod catalog;
pub mod cloudwatch;
pub mod fit;
pub mod flowlogs;
pub mod report;
pub mod scenario;
pub(crate) mod spill;
pub mod sweep;
