//! One flow-log record: a line split by its format into typed values. `-` (not applicable, or
//! a field with no value such as NODATA's addresses) is `None`. Strings borrow from the line,
//! so parsing allocates nothing.

use super::error::FlowLogError;
use super::format::{Field, Format};
use crate::util::echo;
use std::net::IpAddr;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    Accept,
    Reject,
}

/// `log-status`: OK (a flow), NODATA (no traffic in the interval), SKIPDATA (records lost in
/// the interval: traffic that cannot be attributed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LogStatus {
    Ok,
    NoData,
    SkipData,
}

/// A record's values; each is `None` when the format lacks the field or the line says `-`.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Record<'a> {
    pub(crate) interface_id: Option<&'a str>,
    pub(crate) srcaddr: Option<IpAddr>,
    pub(crate) dstaddr: Option<IpAddr>,
    pub(crate) srcport: Option<u16>,
    pub(crate) dstport: Option<u16>,
    pub(crate) protocol: Option<u8>,
    pub(crate) packets: Option<u64>,
    pub(crate) bytes: Option<u64>,
    /// Seconds since the Unix epoch.
    pub(crate) start_s: Option<u64>,
    pub(crate) end_s: Option<u64>,
    pub(crate) action: Option<Action>,
    pub(crate) log_status: Option<LogStatus>,
    pub(crate) tcp_flags: Option<u16>,
    pub(crate) az_id: Option<&'a str>,
    pub(crate) pkt_srcaddr: Option<IpAddr>,
    pub(crate) pkt_dstaddr: Option<IpAddr>,
    pub(crate) pkt_src_aws_service: Option<&'a str>,
    pub(crate) pkt_dst_aws_service: Option<&'a str>,
}

impl<'a> Record<'a> {
    /// `line` split by `format`; the error names the field and quotes the bad value (the caller
    /// adds file and line).
    pub(crate) fn parse(line: &'a str, format: &Format) -> Result<Self, FlowLogError> {
        let mut record = Record::default();
        let mut words = line.split_ascii_whitespace();
        for (i, &field) in format.fields.iter().enumerate() {
            let Some(word) = words.next() else {
                return Err(count_error(format.fields.len(), i));
            };
            if word != "-" {
                record.set(field, word)?;
            }
        }
        if words.next().is_some() {
            let found = line.split_ascii_whitespace().count();
            return Err(count_error(format.fields.len(), found));
        }
        Ok(record)
    }

    fn set(&mut self, field: Field, word: &'a str) -> Result<(), FlowLogError> {
        match field {
            Field::InterfaceId => self.interface_id = Some(word),
            Field::SrcAddr => self.srcaddr = Some(address(word, "srcaddr")?),
            Field::DstAddr => self.dstaddr = Some(address(word, "dstaddr")?),
            Field::PktSrcAddr => self.pkt_srcaddr = Some(address(word, "pkt-srcaddr")?),
            Field::PktDstAddr => self.pkt_dstaddr = Some(address(word, "pkt-dstaddr")?),
            Field::SrcPort => self.srcport = Some(number(word, "srcport", "a port (0 to 65535)")?),
            Field::DstPort => self.dstport = Some(number(word, "dstport", "a port (0 to 65535)")?),
            Field::Protocol => {
                self.protocol = Some(number(word, "protocol", "an iana protocol number (0 to 255)")?)
            }
            Field::Packets => self.packets = Some(number(word, "packets", "a count")?),
            Field::Bytes => self.bytes = Some(number(word, "bytes", "a count")?),
            Field::Start => self.start_s = Some(number(word, "start", "unix seconds")?),
            Field::End => self.end_s = Some(number(word, "end", "unix seconds")?),
            Field::TcpFlags => self.tcp_flags = Some(number(word, "tcp-flags", "a bit mask")?),
            Field::AzId => self.az_id = Some(word),
            Field::PktSrcAwsService => self.pkt_src_aws_service = Some(word),
            Field::PktDstAwsService => self.pkt_dst_aws_service = Some(word),
            Field::Action => self.action = Some(action(word)?),
            Field::LogStatus => self.log_status = Some(log_status(word)?),
            Field::Other => {}
        }
        Ok(())
    }
}

fn count_error(expected: usize, found: usize) -> FlowLogError {
    FlowLogError::new(
        format!("expected {expected} fields, found {found}"),
        "each record has one value (or \"-\") per field of the header, or of the default \
         format when the file has no header",
    )
}

fn address(word: &str, field: &str) -> Result<IpAddr, FlowLogError> {
    word.parse().map_err(|_| bad_value(field, word, "an ipv4 or ipv6 address"))
}

fn number<T: std::str::FromStr>(word: &str, field: &str, what: &str) -> Result<T, FlowLogError> {
    word.parse().map_err(|_| bad_value(field, word, what))
}

fn action(word: &str) -> Result<Action, FlowLogError> {
    match word {
        "ACCEPT" => Ok(Action::Accept),
        "REJECT" => Ok(Action::Reject),
        _ => Err(bad_value("action", word, "ACCEPT, REJECT or -")),
    }
}

fn log_status(word: &str) -> Result<LogStatus, FlowLogError> {
    match word {
        "OK" => Ok(LogStatus::Ok),
        "NODATA" => Ok(LogStatus::NoData),
        "SKIPDATA" => Ok(LogStatus::SkipData),
        _ => Err(bad_value("log-status", word, "OK, NODATA or SKIPDATA")),
    }
}

fn bad_value(field: &str, word: &str, what: &str) -> FlowLogError {
    FlowLogError::new(
        format!("field {field} is {}, not {what}", echo::quoted(word)),
        format!("write {what} or \"-\" for not applicable"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn default(line: &str) -> Result<Record<'_>, String> {
        Record::parse(line, &Format::default_v2()).map_err(|e| e.at("f.log", 3).to_string())
    }

    #[test]
    fn malformed_records_name_the_field_and_value() {
        let ok = "2 1 eni-1 10.0.0.1 1.2.3.4 40000 443 6 10 1000 100 160 ACCEPT OK";
        assert!(default(ok).is_ok());
        let cases = [
            (
                "2 1 eni-1 10.0.0.1 1.2.3.4 40000 443 6 10 1000 100 160 ACCEPT",
                "f.log:3: expected 14 fields, found 13; each record has",
            ),
            (
                "2 1 eni-1 10.0.0.1 1.2.3.4 40000 443 6 10 1000 100 160 ACCEPT OK x",
                "f.log:3: expected 14 fields, found 15",
            ),
            (
                "2 1 eni-1 10.0.0.300 1.2.3.4 40000 443 6 10 1000 100 160 ACCEPT OK",
                "f.log:3: field srcaddr is \"10.0.0.300\", not an ipv4 or ipv6 address",
            ),
            (
                "2 1 eni-1 10.0.0.1 1.2.3.4 70000 443 6 10 1000 100 160 ACCEPT OK",
                "field srcport is \"70000\", not a port (0 to 65535); write a port",
            ),
            (
                "2 1 eni-1 10.0.0.1 1.2.3.4 40000 443 6 10 -5 100 160 ACCEPT OK",
                "field bytes is \"-5\", not a count",
            ),
            (
                "2 1 eni-1 10.0.0.1 1.2.3.4 40000 443 6 10 1000 100 160 accept OK",
                "field action is \"accept\", not ACCEPT, REJECT or -",
            ),
            (
                "2 1 eni-1 10.0.0.1 1.2.3.4 40000 443 6 10 1000 100 160 ACCEPT FINE",
                "field log-status is \"FINE\", not OK, NODATA or SKIPDATA",
            ),
        ];
        for (line, expected) in cases {
            let error = default(line).unwrap_err();
            assert!(error.contains(expected), "{line}\n{error}");
        }
    }
}
