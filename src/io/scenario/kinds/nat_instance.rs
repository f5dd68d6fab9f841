//! A `kind = "nat_instance"` candidate (fck-nat and the like): its instances, as `instances`
//! reads them for a proxy too, and nothing more.
//!
//! Owns only the step from those instances to `DeviceConfig::NatInstance`; every key is
//! `instances.rs`'s or `failures.rs`'s.

use super::{Context, instances};
use crate::io::scenario::reader::{Result, Section};
use crate::io::scenario::{Assumption, DeviceConfig};

pub(super) fn read(
    s: &mut Section<'_>,
    context: &Context<'_>,
) -> Result<(DeviceConfig, Vec<Assumption>)> {
    let (config, notes) = instances::read(s, context)?;
    Ok((DeviceConfig::NatInstance(config), notes.into_vec()))
}
