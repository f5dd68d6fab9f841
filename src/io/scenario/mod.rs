//! Scenario files: TOML text into the model's validated [`Scenario`].
//!
//! Parsing starts in [`parse`]: it reads TOML text into `toml::Table` (the raw form), walks it
//! with key paths (each table in its own module, each candidate kind in `kinds/`; parse.rs has
//! the map), resolves catalog defaults and returns a [`Scenario`] (its types live in
//! `model::scenario`, re-exported here) or a [`ScenarioError`] naming the file, key path,
//! problem and fix.

mod candidate;
pub(crate) mod error;
mod events;
pub(crate) mod keypath;
mod kinds;
pub mod overrides;
pub(crate) mod parse;
mod reader;
pub(crate) mod replay;
mod setting;
pub mod source;
pub(crate) mod suggest;
mod workload;
mod zone;

pub use crate::model::scenario::*;
pub use error::ScenarioError;
pub use overrides::Overrides;
pub use parse::{parse_scenario, parse_scenario_file};
pub(crate) use source::read_scenario_file;

#[cfg(test)]
mod hardening_tests;
#[cfg(test)]
mod parse_tests;
#[cfg(test)]
mod traffic_tests;
