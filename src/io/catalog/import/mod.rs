//! `natsim catalog import`: a catalog file from AWS's own data.
//!
//! Reads `aws ec2 describe-instance-types` JSON (vCPUs, memory, baseline and peak bandwidth) and
//! AWS Price List data: the bulk offer files (CSV `index.csv` or JSON `index.json`, of AmazonEC2,
//! AmazonVPC and AWSDataTransfer, whole or per region, plain or gzip) and `aws pricing
//! get-products` output. Each file's kind is told from its content. Writes nothing itself: it
//! returns the catalog's text, which passes the same checks as the built-in one (the CLI writes
//! it). The parts: `describe` (instance types), `offer_csv` and `json` (the readers), `price`
//! (which product is which figure), `assemble` (regions and instances, complete or left out) and
//! `render` (the text).
//!
//! Invariant: every figure written comes from a record of the input and its `source` names the
//! file and SKU; a missing price is reported (region, figure), never derived or guessed; two
//! records that disagree are an error naming both; a malformed record is an error naming the
//! file and record.

mod assemble;
mod describe;
mod json;
mod offer_csv;
mod price;
mod render;

use super::Catalog;
use flate2::bufread::MultiGzDecoder;
use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

/// The imported catalog and what the import has to say about it.
#[derive(Debug)]
pub(crate) struct Imported {
    /// The catalog file's text.
    pub(crate) text: String,
    pub(crate) regions: Vec<String>,
    pub(crate) instance_types: usize,
    /// Regions and instance types left out, and why; prices skipped.
    pub(crate) notes: Vec<String>,
}

/// Imports `paths` into a catalog; `regions` limits the regions written (empty: every complete
/// one). `base` gives the device defaults (`[nat_gateway]`, `[nat_instance]`) copied over.
pub(crate) fn import(
    paths: &[PathBuf],
    regions: &[String],
    base: &Catalog,
) -> Result<Imported, String> {
    let mut specs: BTreeMap<String, describe::Spec> = BTreeMap::new();
    let mut no_baseline = BTreeSet::new();
    let mut priced = Vec::new();
    let mut offers: Vec<price::Offer> = Vec::new();
    let mut inputs = Vec::new();
    let mut notes = Vec::new();
    for path in paths {
        let file = file_name(path);
        let at = |problem: String| format!("{}: {problem}", path.display());
        match read_file(path, &file, offers.len(), &mut priced).map_err(at)? {
            Found::Types(values) => {
                let count = values.len();
                let mut left_out: BTreeMap<String, Vec<String>> = BTreeMap::new();
                for (index, value) in values.into_iter().enumerate() {
                    match describe::read(value, index, &file).map_err(at)? {
                        describe::Described::Spec(spec) => {
                            add_spec(&mut specs, spec).map_err(at)?
                        }
                        describe::Described::LeftOut { name, why } => {
                            left_out.entry(why).or_default().push(name.clone());
                            no_baseline.insert(name);
                        }
                    }
                }
                for (why, names) in left_out {
                    notes.push(format!(
                        "{}: {} instance type(s) left out, AWS gives no baseline bandwidth for them ({why}): {}",
                        path.display(),
                        names.len(),
                        assemble::listed(&names)
                    ));
                }
                inputs.push(render::Input {
                    file: file.clone(),
                    what: format!("aws ec2 describe-instance-types, {count} instance type(s)"),
                });
            }
            Found::Prices {
                offer,
                other_currency,
            } => {
                if other_currency > 0 {
                    notes.push(format!(
                        "{}: {other_currency} price(s) not in USD skipped (natsim prices in USD)",
                        path.display()
                    ));
                }
                inputs.push(render::Input::prices(&offer));
                offers.push(offer);
            }
        }
    }
    if offers.is_empty() {
        return Err(
            "none of the files is an AWS Price List (offer CSV or JSON, or get-products output); the prices come from there (docs/catalog.md)"
                .into(),
        );
    }
    if inputs.len() == offers.len() {
        notes.push("no describe-instance-types output given: the catalog has no instance types, so nat_instance and proxy candidates cannot run with it".into());
    }
    let assembled = assemble::assemble(&specs, &no_baseline, &priced, &offers, regions)?;
    notes.extend(assembled.notes.iter().cloned());
    let text = render::render(&inputs, &assembled, &base.nat_gateway, &base.nat_instance)?;
    Catalog::from_toml(&text).map_err(|problem| {
        format!("the imported catalog does not pass the catalog's checks: {problem}")
    })?;
    Ok(Imported {
        text,
        regions: assembled.regions.keys().cloned().collect(),
        instance_types: assembled.instances.len(),
        notes,
    })
}

/// The same type in two describe files must have the same figures.
fn add_spec(
    specs: &mut BTreeMap<String, describe::Spec>,
    spec: describe::Spec,
) -> Result<(), String> {
    if let Some(earlier) = specs.get(&spec.name) {
        let same = (
            earlier.vcpus,
            earlier.memory_gib,
            earlier.baseline_gbps,
            earlier.burst_gbps,
        ) == (
            spec.vcpus,
            spec.memory_gib,
            spec.baseline_gbps,
            spec.burst_gbps,
        );
        if !same {
            return Err(format!(
                "{} is also in {} with other figures; give one describe-instance-types output per type",
                spec.name, earlier.file
            ));
        }
        return Ok(());
    }
    specs.insert(spec.name.clone(), spec);
    Ok(())
}

/// What one file gave.
enum Found {
    Types(Vec<serde_json::Value>),
    Prices {
        offer: price::Offer,
        other_currency: u64,
    },
}

/// Reads one file, whatever its kind (told from its first bytes), gzip or not.
fn read_file(
    path: &Path,
    file: &str,
    offer: usize,
    priced: &mut Vec<price::Priced>,
) -> Result<Found, String> {
    let opened = File::open(path).map_err(|e| format!("cannot open: {e}; check the path"))?;
    let mut plain = BufReader::with_capacity(1 << 16, opened);
    let gzip = plain
        .fill_buf()
        .map_err(|e| format!("cannot read: {e}"))?
        .starts_with(&[0x1f, 0x8b]);
    let mut reader: Box<dyn BufRead> = if gzip {
        Box::new(BufReader::with_capacity(
            1 << 16,
            MultiGzDecoder::new(plain),
        ))
    } else {
        Box::new(plain)
    };
    let head = reader.fill_buf().map_err(|e| format!("cannot read: {e}"))?;
    let start = head
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .map_or(&head[..0], |i| &head[i..]);
    if start.starts_with(b"{") {
        return Ok(match json::read(reader, file, offer, priced)? {
            json::Contents::InstanceTypes(values) => Found::Types(values),
            json::Contents::Prices {
                offer,
                other_currency,
            } => Found::Prices {
                offer,
                other_currency,
            },
        });
    }
    if start.starts_with(b"\"FormatVersion\"") || start.starts_with(b"FormatVersion,") {
        let (offer, other_currency) = offer_csv::read(reader, file, offer, priced)?;
        return Ok(Found::Prices {
            offer,
            other_currency,
        });
    }
    let shown: String = String::from_utf8_lossy(&start[..start.len().min(24)]).into_owned();
    Err(format!(
        "not describe-instance-types or get-products JSON, nor an AWS Price List file (JSON, or CSV starting \"FormatVersion\"); it starts with {}",
        crate::util::echo::quoted(&shown)
    ))
}

/// The file's name, as sources cite it (the folders are the user's, not the data's).
fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}
