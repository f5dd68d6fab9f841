//! A workload's ways out besides the internet over IPv4: the keys `aws_services` (shares bound
//! for AWS services an interface endpoint can reach), `ipv6_share` (internet connections that
//! can go over IPv6) and `allowlisted` (its destinations allowlist source addresses).
//!
//! Owns those keys, their ranges and the check that the shares of a workload's connections add
//! up to at most 1 with its S3/DynamoDB share. Drawn and replayed workloads read them alike
//! (after a replay's S3/DynamoDB share is known). Knows nothing of candidates: which of these
//! ways a candidate takes is `candidate.rs`'s.

use toml::Value;

use super::reader::{self, Check, Result, Section};
use super::{AwsService, ScenarioError};
use crate::util::echo;

/// Longest service name: AWS's endpoint service names are short (`"ecr.dkr"`, `"logs"`).
const MAX_SERVICE_NAME: usize = 64;

/// The routes of a workload whose S3/DynamoDB share is `endpoint_share`.
pub(super) struct Routes {
    pub(super) aws_services: Vec<AwsService>,
    pub(super) ipv6_share: f64,
    pub(super) allowlisted: bool,
}

pub(super) fn read(s: &mut Section<'_>, endpoint_share: f64) -> Result<Routes> {
    let aws_services = read_services(s, endpoint_share)?;
    let ipv6_share = s.number("ipv6_share", Check::Fraction)?.unwrap_or(0.0);
    let allowlisted = s.boolean("allowlisted")?.unwrap_or(false);
    Ok(Routes {
        aws_services,
        ipv6_share,
        allowlisted,
    })
}

/// `aws_services = { "ecr.dkr" = 0.2, sts = 0.01 }`: each service's share of all connections.
fn read_services(s: &mut Section<'_>, endpoint_share: f64) -> Result<Vec<AwsService>> {
    let path = s.path_of("aws_services");
    let hint = "give each AWS service's share of the connections, e.g. aws_services = { \"ecr.dkr\" = 0.2, sts = 0.01 }";
    let table = match s.raw("aws_services") {
        None => return Ok(Vec::new()),
        Some(Value::Table(table)) => table,
        Some(v) => return Err(reader::type_error(&path, v, "a table of shares", hint)),
    };
    let mut services = Vec::with_capacity(table.len());
    for (name, value) in table {
        let key = format!("{path}.{}", quoted_key(name));
        check_name(&key, name)?;
        let share = reader::number_in(&key, value, Check::Fraction)?;
        services.push(AwsService {
            name: name.clone(),
            share,
        });
    }
    let total: f64 = services.iter().map(|s| s.share).sum::<f64>() + endpoint_share;
    if total > 1.0 + 1e-9 {
        let problem = format!(
            "the shares add up to {total:.4} of the connections with the S3/DynamoDB share ({endpoint_share}), more than 1"
        );
        let hint = "lower them: each is a share of all the workload's connections";
        return Err(ScenarioError::new(path, problem, hint));
    }
    Ok(services)
}

/// A service name as interface endpoints spell it, without `com.amazonaws.<region>.`.
fn check_name(path: &str, name: &str) -> Result<()> {
    if matches!(name, "s3" | "dynamodb") {
        let problem = format!("\"{name}\" goes through a free gateway endpoint in natsim");
        let hint = "give its share as endpoint_share and set s3_gateway_endpoint = true on the candidates that use one";
        return Err(ScenarioError::new(path, problem, hint));
    }
    let valid = !name.is_empty()
        && name.len() <= MAX_SERVICE_NAME
        && name.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-');
    if valid {
        return Ok(());
    }
    let problem = format!("{} is not an endpoint service name", echo::quoted(name));
    let hint = "use the service part of com.amazonaws.<region>.<service>, in lower case: \"ecr.api\", \"ecr.dkr\", \"sts\", \"logs\"";
    Err(ScenarioError::new(path, problem, hint))
}

/// A key as a key path writes it: bare when TOML allows it, quoted otherwise (`"ecr.dkr"`).
pub(super) fn quoted_key(name: &str) -> String {
    let bare = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if bare {
        name.to_string()
    } else {
        format!("\"{}\"", name.escape_default())
    }
}
