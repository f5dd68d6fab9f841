//! Helpers every layer may use: units (sizes, durations, rates and their ceilings) and the
//! quoting of user text in messages. Invariant: imports nothing from the crate.

pub mod echo;
pub(crate) mod units;
