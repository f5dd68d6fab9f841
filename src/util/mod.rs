//! Helpers every layer may use: units (sizes, durations, rates and their ceilings), the
//! quoting of user text in messages and the edit distance behind "did you mean".
//! Invariant: imports nothing from the crate.

pub mod echo;
pub(crate) mod suggest;
pub(crate) mod units;
