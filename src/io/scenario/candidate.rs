//! `[[candidate]]` tables into [`Candidate`]s: the keys every kind shares, then the kind's own.
//!
//! Owns the common keys (`name`, `kind`, `az`, `per_az`, `s3_gateway_endpoint`,
//! `interface_endpoints`, `egress_only_igw`), the checks that span them (distinct names, a key of
//! another kind, `per_az` or `egress_only_igw` where it cannot apply, an interface endpoint no
//! workload uses) and the default-AZ assumption. Resolves `kind` through the table in `kinds/` and leaves every other key
//! to that kind's reader; knows no kind by name.

use super::kinds::{self, Context, Kind};
use super::reader::{Result, Section};
use super::{Assumption, Candidate, ScenarioError, Workload, zone};
use crate::util::echo;
use toml::Value;

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
    let interface_endpoints = read_interface_endpoints(&mut s, context.workloads)?;
    let per_az = s.boolean("per_az")?.unwrap_or(false);
    if per_az && !kind.zonal {
        let hint = format!("remove per_az: {} already serves every AZ", kind.noun);
        let problem = format!("per_az does not apply to {}", kind.noun);
        return Err(s.error("per_az", problem, hint));
    }
    let egress_only_igw = s.boolean("egress_only_igw")?.unwrap_or(false);
    if egress_only_igw && !kind.zonal {
        let problem = format!("egress_only_igw does not apply to {}", kind.noun);
        let hint = "remove it: behind an internet gateway each client sends IPv6 itself, as it sends IPv4; egress_only_igw moves IPv6 off a NAT gateway, NAT instances or a proxy";
        return Err(s.error("egress_only_igw", problem, hint));
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
        interface_endpoints,
        egress_only_igw,
        per_az,
        assumptions,
    })
}

/// `interface_endpoints = ["ecr.dkr", "sts"]`: the services the candidate has an interface
/// endpoint for, each one some workload sends to (`aws_services`), none twice.
fn read_interface_endpoints(s: &mut Section<'_>, workloads: &[Workload]) -> Result<Vec<String>> {
    let path = s.path_of("interface_endpoints");
    let hint = "list the AWS services to reach through interface endpoints, e.g. interface_endpoints = [\"ecr.api\", \"ecr.dkr\", \"sts\"]";
    let items = match s.raw("interface_endpoints") {
        None => return Ok(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(v) => {
            return Err(super::reader::type_error(
                &path,
                v,
                "a list of service names",
                hint,
            ));
        }
    };
    let mut used: Vec<&str> = workloads
        .iter()
        .flat_map(|w| w.aws_services.iter().map(|a| a.name.as_str()))
        .collect();
    used.sort_unstable();
    used.dedup();
    let mut names: Vec<String> = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let at = format!("{path}[{i}]");
        let name = super::reader::as_str(&at, item)?;
        if names.iter().any(|n| n == name) {
            let problem = format!("{} is listed twice", echo::quoted(name));
            return Err(ScenarioError::new(at, problem, "list each service once"));
        }
        if !used.contains(&name) {
            let problem = format!(
                "no workload sends to {} (aws_services), so the endpoint would bill its hours and carry nothing",
                echo::quoted(name)
            );
            let list = if used.is_empty() {
                "give a workload aws_services = { ... } with its share of connections to the service".to_string()
            } else {
                format!("services the workloads name: {}", used.join(", "))
            };
            let hint = super::suggest::did_you_mean(name, used.iter().copied(), &list);
            return Err(ScenarioError::new(at, problem, hint));
        }
        names.push(name.to_string());
    }
    Ok(names)
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
