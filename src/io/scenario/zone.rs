//! Availability-zone names as users write them: the zone letter (`"a"`) or the full name
//! (`"us-east-1a"`, as Terraform and the console spell it).
//!
//! Owns the one rule that keeps a zone from turning into two: both spellings resolve to the
//! letter, a full name must be in the scenario's region, and anything else (an AZ ID such as
//! `"use1-az1"`, an empty or long string) is refused, since a misspelt zone would otherwise be a
//! zone of its own and bill cross-AZ traffic nobody meant. Reads the `az` key of a workload,
//! candidate or outage; knows nothing else of those tables.

use super::reader::{Result, Section};
use crate::util::echo;

/// The zone a workload or candidate sits in when its table gives no `az`.
pub(super) const DEFAULT: &str = "a";

/// The `az` key, if given, as its zone letter: "a" and "us-east-1a" are one zone in us-east-1.
/// Clients and devices in different zones pay cross-AZ transfer.
pub(super) fn read(s: &mut Section<'_>, region: &str) -> Result<Option<String>> {
    let Some(az) = s.string("az")? else {
        return Ok(None);
    };
    match resolve(az, region) {
        Zone::Letter(letter) => Ok(Some(letter)),
        Zone::Refused { problem, hint } => Err(s.error("az", problem, hint)),
    }
}

/// What a zone name resolved to, or why it is refused.
pub(super) enum Zone {
    Letter(String),
    Refused { problem: String, hint: String },
}

/// Resolves `text` in `region` to its zone letter.
pub(super) fn resolve(text: &str, region: &str) -> Zone {
    let hint_both =
        format!("write the zone letter like \"a\", or the full name like \"{region}a\"");
    if let Some(letter) = letter(text) {
        return Zone::Letter(letter.to_string());
    }
    if let Some(letter) = text.strip_prefix(region).and_then(letter) {
        return Zone::Letter(letter.to_string());
    }
    let shown = echo::quoted(text);
    if let Some(other) = text
        .get(..text.len().saturating_sub(1))
        .filter(|prefix| looks_like_region(prefix) && letter(&text[prefix.len()..]).is_some())
    {
        return Zone::Refused {
            problem: format!("{shown} is in {other}, but scenario.region is {region}"),
            hint: format!(
                "an AZ of {region} is written \"a\" or \"{region}a\"; or set scenario.region = \"{other}\""
            ),
        };
    }
    if looks_like_zone_id(text) {
        return Zone::Refused {
            problem: format!("{shown} is an AZ ID, not a zone name"),
            hint: format!(
                "{hint_both}; `aws ec2 describe-availability-zones` maps IDs to names, which differ by account"
            ),
        };
    }
    if text.len() == 1 && text.chars().all(|c| c.is_ascii_uppercase()) {
        return Zone::Refused {
            problem: format!("{shown} is upper case"),
            hint: format!("write it as \"{}\"", text.to_ascii_lowercase()),
        };
    }
    Zone::Refused {
        problem: format!("{shown} is not an availability zone"),
        hint: hint_both,
    }
}

/// A zone letter: one of a–z, lower case, as AWS names them.
fn letter(text: &str) -> Option<&str> {
    (text.len() == 1 && text.as_bytes()[0].is_ascii_lowercase()).then_some(text)
}

/// `us-east-1`, `ap-northeast-2`, `us-gov-west-1`: letters, then letters, then a number.
fn looks_like_region(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    parts.len() >= 3
        && parts[..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
        && parts[parts.len() - 1].bytes().all(|b| b.is_ascii_digit())
        && !parts[parts.len() - 1].is_empty()
}

/// `use1-az1`: AWS's account-independent zone IDs.
fn looks_like_zone_id(text: &str) -> bool {
    text.split_once("-az").is_some_and(|(region, number)| {
        !region.is_empty()
            && region.bytes().all(|b| b.is_ascii_alphanumeric())
            && !number.is_empty()
            && number.bytes().all(|b| b.is_ascii_digit())
    })
}
