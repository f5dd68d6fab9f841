//! A flow log's format: the fields of each record, in order. Either AWS's default version-2
//! format or a custom one named by the header line of an S3-delivered text file. Knows every
//! field name AWS documents (versions 2 to 8); only the fields the join reads get their own
//! variant, the rest are checked for spelling and skipped.

use super::error::FlowLogError;
use crate::util::echo;
use crate::util::suggest::closest;

/// A field of a record that the reader keeps; every other documented field is `Other`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Field {
    InterfaceId,
    SrcAddr,
    DstAddr,
    SrcPort,
    DstPort,
    Protocol,
    Packets,
    Bytes,
    Start,
    End,
    Action,
    LogStatus,
    TcpFlags,
    AzId,
    PktSrcAddr,
    PktDstAddr,
    PktSrcAwsService,
    PktDstAwsService,
    Other,
}

/// The default (version 2) format, which cannot be changed.
pub(crate) const DEFAULT_FORMAT: &str = "version account-id interface-id srcaddr dstaddr srcport \
     dstport protocol packets bytes start end action log-status";

/// Every field name AWS documents for VPC Flow Logs (user guide, "Available fields").
const KNOWN: &[(&str, Field)] = &[
    ("version", Field::Other),
    ("account-id", Field::Other),
    ("interface-id", Field::InterfaceId),
    ("srcaddr", Field::SrcAddr),
    ("dstaddr", Field::DstAddr),
    ("srcport", Field::SrcPort),
    ("dstport", Field::DstPort),
    ("protocol", Field::Protocol),
    ("packets", Field::Packets),
    ("bytes", Field::Bytes),
    ("start", Field::Start),
    ("end", Field::End),
    ("action", Field::Action),
    ("log-status", Field::LogStatus),
    ("vpc-id", Field::Other),
    ("subnet-id", Field::Other),
    ("instance-id", Field::Other),
    ("tcp-flags", Field::TcpFlags),
    ("type", Field::Other),
    ("pkt-srcaddr", Field::PktSrcAddr),
    ("pkt-dstaddr", Field::PktDstAddr),
    ("region", Field::Other),
    ("az-id", Field::AzId),
    ("sublocation-type", Field::Other),
    ("sublocation-id", Field::Other),
    ("pkt-src-aws-service", Field::PktSrcAwsService),
    ("pkt-dst-aws-service", Field::PktDstAwsService),
    ("flow-direction", Field::Other),
    ("traffic-path", Field::Other),
    ("ecs-cluster-arn", Field::Other),
    ("ecs-cluster-name", Field::Other),
    ("ecs-container-instance-arn", Field::Other),
    ("ecs-container-instance-id", Field::Other),
    ("ecs-container-id", Field::Other),
    ("ecs-second-container-id", Field::Other),
    ("ecs-service-name", Field::Other),
    ("ecs-task-definition-arn", Field::Other),
    ("ecs-task-arn", Field::Other),
    ("ecs-task-id", Field::Other),
    ("reject-reason", Field::Other),
    ("resource-id", Field::Other),
    ("encryption-status", Field::Other),
];

/// The fields of one file's records, in order.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Format {
    pub(crate) fields: Vec<Field>,
}

impl Format {
    pub(crate) fn default_v2() -> Self {
        Format::parse(DEFAULT_FORMAT).expect("the default format names known fields")
    }

    /// A format from its field names (a header line), each name known and named once.
    pub(crate) fn parse(header: &str) -> Result<Self, FlowLogError> {
        let mut fields = Vec::new();
        let mut seen: Vec<&str> = Vec::new();
        for name in header.split_ascii_whitespace() {
            let Some(&(_, field)) = KNOWN.iter().find(|(known, _)| *known == name) else {
                return Err(unknown_field(name));
            };
            if seen.contains(&name) {
                return Err(FlowLogError::new(
                    format!("field {} is named twice in the header", echo::quoted(name)),
                    "name each field once, as AWS writes the header",
                ));
            }
            seen.push(name);
            fields.push(field);
        }
        if fields.is_empty() {
            return Err(FlowLogError::new("the header names no fields", ""));
        }
        Ok(Format { fields })
    }

    /// Whether `line` is a header: every word a lowercase name (letters and hyphens, starting
    /// with a letter). No record can look like this: records carry numbers, ids with digits,
    /// uppercase words (`ACCEPT`, `OK`) or `-`.
    pub(crate) fn is_header(line: &str) -> bool {
        let mut words = line.split_ascii_whitespace().peekable();
        words.peek().is_some()
            && words.all(|w| {
                w.starts_with(|c: char| c.is_ascii_lowercase())
                    && w.chars().all(|c| c.is_ascii_lowercase() || c == '-')
            })
    }
}

impl Field {
    /// The name AWS gives the field (the first, for `Other`).
    pub(crate) fn name(self) -> &'static str {
        KNOWN
            .iter()
            .find(|(_, f)| *f == self)
            .map_or("-", |(name, _)| name)
    }
}

/// The field AWS names `name` (with hyphens), if it documents one.
pub(crate) fn known_field(name: &str) -> Option<Field> {
    KNOWN
        .iter()
        .find(|(known, _)| *known == name)
        .map(|&(_, f)| f)
}

fn unknown_field(name: &str) -> FlowLogError {
    let hint = match closest(name, KNOWN.iter().map(|(k, _)| *k), 3) {
        Some(best) => format!("did you mean \"{best}\"? field names are AWS's, with hyphens"),
        None => "field names are AWS's, with hyphens (see \"available fields\" in the vpc user \
                 guide)"
            .to_string(),
    };
    FlowLogError::new(
        format!("unknown field {} in the header", echo::quoted(name)),
        hint,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_format_has_fourteen_fields() {
        let format = Format::default_v2();
        assert_eq!(format.fields.len(), 14);
        assert_eq!(format.fields[3], Field::SrcAddr);
        assert!(!format.fields.contains(&Field::PktSrcAddr));
    }

    #[test]
    fn headers_are_told_from_records() {
        assert!(Format::is_header(DEFAULT_FORMAT));
        assert!(Format::is_header(
            "instance-id interface-id srcaddr dstaddr"
        ));
        assert!(!Format::is_header(
            "- eni-1235b8ca123456789 10.0.1.5 10.0.0.220"
        ));
        assert!(!Format::is_header(
            "2 123456789010 eni-1 - - - - - - - 1 2 - NODATA"
        ));
        assert!(!Format::is_header(""));
    }

    #[test]
    fn bad_headers_say_what_and_how() {
        let cases = [
            (
                "version pkt-srcadr",
                "unknown field \"pkt-srcadr\" in the header; did you mean \"pkt-srcaddr\"?",
            ),
            (
                "version az_id",
                "unknown field \"az_id\" in the header; did you mean \"az-id\"?",
            ),
            (
                "srcaddr srcaddr",
                "field \"srcaddr\" is named twice in the header",
            ),
        ];
        for (header, expected) in cases {
            let error = Format::parse(header)
                .unwrap_err()
                .at("f.log", 1)
                .to_string();
            assert!(error.starts_with("f.log:1: "), "{error}");
            assert!(error.contains(expected), "{header}: {error}");
        }
    }
}
