//! natsim: a discrete-event performance and cost simulator for AWS internet egress.
//!
//! Layers, bottom to top: `util` → `engine` → `model` → `results` → `io` → `cli`; a module
//! imports only from its own layer or below (tests/it/layers.rs checks it). See
//! ARCHITECTURE.md for the code map and the invariants each module keeps.

#![warn(unreachable_pub)]

pub mod cli;
pub(crate) mod engine;
pub mod io;
pub mod model;
pub mod results;
pub mod util;
