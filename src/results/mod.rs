//! Results: runs into figures and decisions. A scenario's candidates × replications run
//! (`batch`), their summaries with confidence intervals and diagnoses (`summary`), and the
//! recommendation (`recommend`). Invariant: imports only `model`, `engine` and `util`; no I/O.

pub mod batch;
pub mod confidence;
pub(crate) mod recommend;
pub mod summary;
