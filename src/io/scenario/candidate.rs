//! `[[candidate]]` tables into [`Candidate`]s: the keys every kind shares, then the kind's own.
//!
//! Owns the common keys (`name`, `kind`, `az`, `per_az`, `s3_gateway_endpoint`), the checks that
//! span them (distinct names, a key of another kind, `per_az` where it cannot apply) and the
//! default-AZ assumption. Resolves `kind` through the table in `kinds/` and leaves every other key
//! to that kind's reader; knows no kind by name.

use super::kinds::{self, Context, Kind};
use super::reader::{Result, Section};
use super::{Assumption, Candidate, ScenarioError, Workload, zone};
use crate::util::echo;

/// Every `[[candidate]]`, checked; at least one, with distinct names.
pub(super) fn read_all(
    sections: Option<Vec<Section<'_>>>,
    context: &Context<'_>,
) -> Result<Vec<Candidate>> {
    let sections = sections.filter(|s| !s.is_empty()).ok_or_else(|| {
        let hint = "add a [[candidate]] with name = \"natgw\" and kind = \"nat_gateway\"";
        ScenarioError::new("candidate", "no [[candidate]] to compare", hint)
    })?;
    let mut candidates: Vec<Candidate> = Vec::with_capacity(sections.len());
    for section in sections {
        let path = section.path().to_string();
        let candidate = read(section, context)?;
        if let Some(first) = candidates.iter().position(|c| c.name == candidate.name) {
            let problem = format!("duplicate candidate name \"{}\"", candidate.name);
            let hint =
                format!("candidate[{first}] already uses it; give each candidate its own name");
            return Err(ScenarioError::new(format!("{path}.name"), problem, hint));
        }
        candidates.push(candidate);
    }
    Ok(candidates)
}

fn read(mut s: Section<'_>, context: &Context<'_>) -> Result<Candidate> {
    let name = s.required_name(
        "name",
        "add name = \"natgw\"; it labels this candidate's rows",
    )?;
    let kind_hint = format!("add kind = \"nat_gateway\"; {}", kinds::list());
    let kind_name = s.required_string("kind", &kind_hint)?;
    let given_az = zone::read(&mut s, context.region)?;
    let kind = kinds::named(kind_name).ok_or_else(|| unknown_kind(&s, kind_name))?;
    let (device, mut assumptions) = (kind.read)(&mut s, context)?;
    let s3_gateway_endpoint = s.boolean("s3_gateway_endpoint")?.unwrap_or(false);
    let per_az = s.boolean("per_az")?.unwrap_or(false);
    if per_az && !kind.zonal {
        let hint = format!("remove per_az: {} already serves every AZ", kind.noun);
        let problem = format!("per_az does not apply to {}", kind.noun);
        return Err(s.error("per_az", problem, hint));
    }
    other_kinds_key(&s, kind)?;
    s.finish()?;
    if given_az.is_none() && kind.zonal && !per_az {
        assumptions.extend(default_az_note(context.workloads));
    }
    Ok(Candidate {
        name,
        az: given_az.unwrap_or_else(|| zone::DEFAULT.to_string()),
        device,
        s3_gateway_endpoint,
        per_az,
        assumptions,
    })
}

/// When a candidate without `az` sits in the default zone while clients sit elsewhere, the
/// cross-AZ bill comes from a default nobody wrote: say so among its assumptions, which the
/// printed report, summary.csv and report.html all show.
fn default_az_note(workloads: &[Workload]) -> Option<Assumption> {
    let mut elsewhere: Vec<&str> = workloads
        .iter()
        .map(|w| w.az.as_str())
        .filter(|az| *az != zone::DEFAULT)
        .collect();
    elsewhere.sort_unstable();
    elsewhere.dedup();
    if elsewhere.is_empty() {
        return None;
    }
    Some(Assumption {
        key: "az".to_string(),
        value: zone::DEFAULT.to_string(),
        basis: format!(
            "az not given, so the default; clients in {} cross AZs to reach it and pay cross-AZ \
             transfer: set az, or per_az = true",
            elsewhere.join(", ")
        ),
    })
}

/// A key of another kind gets a pointed message rather than "unknown key".
fn other_kinds_key(s: &Section<'_>, kind: &Kind) -> Result<()> {
    match kind.other_kinds_key(s) {
        Some((key, other)) => {
            let problem = format!(
                "\"{key}\" applies to kind = \"{}\", not \"{}\"",
                other.name, kind.name
            );
            Err(s.error(key, problem, format!("remove {key} or change kind")))
        }
        None => Ok(()),
    }
}

fn unknown_kind(s: &Section<'_>, kind: &str) -> ScenarioError {
    let names = kinds::ALL.iter().map(|k| k.name);
    let hint = super::suggest::did_you_mean(kind, names, &kinds::list());
    s.error("kind", format!("unknown kind {}", echo::quoted(kind)), hint)
}
