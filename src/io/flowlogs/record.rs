//! One flow-log record: a line split by its format into typed values. `-` (not applicable, or
//! a field with no value such as NODATA's addresses) is `None`. Strings borrow from the line,
//! so parsing allocates nothing.

use super::error::FlowLogError;
use super::format::{Field, Format};
use crate::util::echo;
use std::net::{IpAddr, Ipv4Addr};

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
        let bytes = line.as_bytes();
        let mut at = 0;
        // The addresses parsed, source and destination: `pkt-srcaddr` usually repeats
        // `srcaddr`, and `pkt-dstaddr` `dstaddr`.
        let mut seen: [Option<(&str, IpAddr)>; 2] = [None, None];
        for (i, &field) in format.fields.iter().enumerate() {
            let Some((from, to)) = next_word(bytes, &mut at) else {
                return Err(count_error(format.fields.len(), i));
            };
            if field == Field::Other || bytes[from..to] == *b"-" {
                continue;
            }
            let word = &line[from..to];
            let side = match field {
                Field::SrcAddr | Field::PktSrcAddr => 0,
                Field::DstAddr | Field::PktDstAddr => 1,
                _ => {
                    record.set(field, word)?;
                    continue;
                }
            };
            let ip = match seen[side] {
                Some((text, ip)) if text == word => ip,
                _ => address(word, field.name())?,
            };
            seen[side] = Some((word, ip));
            record.set_address(field, ip);
        }
        if next_word(bytes, &mut at).is_some() {
            let found = line.split_ascii_whitespace().count();
            return Err(count_error(format.fields.len(), found));
        }
        Ok(record)
    }

    /// A numeric field from a typed (Parquet) column, checked as the text would be.
    pub(crate) fn set_number(&mut self, field: Field, value: i64) -> Result<(), FlowLogError> {
        fn fits<E>(
            value: i64,
            name: &'static str,
            what: &'static str,
        ) -> impl Fn(E) -> FlowLogError {
            move |_| bad_value(name, &value.to_string(), what)
        }
        let fits = |name: &'static str, what: &'static str| fits(value, name, what);
        let count = |name: &'static str| u64::try_from(value).map_err(fits(name, "a count"));
        match field {
            Field::SrcPort => {
                self.srcport =
                    Some(u16::try_from(value).map_err(fits("srcport", "a port (0 to 65535)"))?)
            }
            Field::DstPort => {
                self.dstport =
                    Some(u16::try_from(value).map_err(fits("dstport", "a port (0 to 65535)"))?)
            }
            Field::Protocol => {
                self.protocol = Some(
                    u8::try_from(value)
                        .map_err(fits("protocol", "an iana protocol number (0 to 255)"))?,
                )
            }
            Field::TcpFlags => {
                self.tcp_flags =
                    Some(u16::try_from(value).map_err(fits("tcp-flags", "a bit mask"))?)
            }
            Field::Packets => self.packets = Some(count("packets")?),
            Field::Bytes => self.bytes = Some(count("bytes")?),
            Field::Start => {
                self.start_s = Some(u64::try_from(value).map_err(fits("start", "unix seconds"))?)
            }
            Field::End => {
                self.end_s = Some(u64::try_from(value).map_err(fits("end", "unix seconds"))?)
            }
            _ => {}
        }
        Ok(())
    }

    /// An address field, already parsed.
    fn set_address(&mut self, field: Field, ip: IpAddr) {
        match field {
            Field::SrcAddr => self.srcaddr = Some(ip),
            Field::DstAddr => self.dstaddr = Some(ip),
            Field::PktSrcAddr => self.pkt_srcaddr = Some(ip),
            Field::PktDstAddr => self.pkt_dstaddr = Some(ip),
            _ => {}
        }
    }

    pub(crate) fn set(&mut self, field: Field, word: &'a str) -> Result<(), FlowLogError> {
        match field {
            Field::InterfaceId => self.interface_id = Some(word),
            Field::SrcAddr => self.srcaddr = Some(address(word, "srcaddr")?),
            Field::DstAddr => self.dstaddr = Some(address(word, "dstaddr")?),
            Field::PktSrcAddr => self.pkt_srcaddr = Some(address(word, "pkt-srcaddr")?),
            Field::PktDstAddr => self.pkt_dstaddr = Some(address(word, "pkt-dstaddr")?),
            Field::SrcPort => self.srcport = Some(number(word, "srcport", "a port (0 to 65535)")?),
            Field::DstPort => self.dstport = Some(number(word, "dstport", "a port (0 to 65535)")?),
            Field::Protocol => {
                self.protocol = Some(number(
                    word,
                    "protocol",
                    "an iana protocol number (0 to 255)",
                )?)
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

/// The next word of `bytes` from `*at` (as `split_ascii_whitespace` splits), as a range.
#[inline]
fn next_word(bytes: &[u8], at: &mut usize) -> Option<(usize, usize)> {
    let mut i = *at;
    while i < bytes.len() && bytes[i].is_ascii_whitespace() {
        i += 1;
    }
    if i == bytes.len() {
        *at = i;
        return None;
    }
    let from = i;
    let end = word_end(bytes, i);
    *at = end;
    Some((from, end))
}

/// The first ASCII whitespace byte at or after `i` (or the end). Eight bytes at a time: a word
/// of `x` flags the bytes below 0x21 (`(x − 0x21…) & !x & 0x80…`; the lowest flag is always a
/// true one), and a flagged byte that is a control character but not whitespace is part of the
/// word, as `split_ascii_whitespace` has it.
#[inline]
fn word_end(bytes: &[u8], mut i: usize) -> usize {
    const LOW: u64 = 0x2121_2121_2121_2121;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    while i + 8 <= bytes.len() {
        let x = u64::from_le_bytes(bytes[i..i + 8].try_into().expect("8 bytes"));
        let flags = x.wrapping_sub(LOW) & !x & HIGH;
        if flags == 0 {
            i += 8;
            continue;
        }
        let at = i + (flags.trailing_zeros() / 8) as usize;
        if bytes[at].is_ascii_whitespace() {
            return at;
        }
        i = at + 1;
    }
    while i < bytes.len() && !bytes[i].is_ascii_whitespace() {
        i += 1;
    }
    i
}

fn address(word: &str, field: &str) -> Result<IpAddr, FlowLogError> {
    if let Some(v4) = plain_ipv4(word.as_bytes()) {
        return Ok(IpAddr::V4(v4));
    }
    word.parse()
        .map_err(|_| bad_value(field, word, "an ipv4 or ipv6 address"))
}

/// A dotted quad in its one canonical spelling (four decimal octets, no leading zero), which
/// std's parser accepts with the same value; anything else goes to std's parser.
#[inline]
pub(crate) fn plain_ipv4(word: &[u8]) -> Option<Ipv4Addr> {
    let mut octets = [0u8; 4];
    let mut rest = word;
    for (k, octet) in octets.iter_mut().enumerate() {
        let digits = rest
            .iter()
            .take(3)
            .take_while(|b| b.is_ascii_digit())
            .count();
        if digits == 0 || (digits > 1 && rest[0] == b'0') {
            return None;
        }
        let value = rest[..digits]
            .iter()
            .fold(0u32, |v, &b| v * 10 + u32::from(b - b'0'));
        *octet = u8::try_from(value).ok()?;
        rest = &rest[digits..];
        if k < 3 {
            rest = rest.strip_prefix(b".")?;
        }
    }
    rest.is_empty().then_some(Ipv4Addr::from(octets))
}

/// The value of 1 to 19 ASCII digits (no sign), which cannot overflow a `u64`.
#[inline]
fn digits(word: &[u8]) -> Option<u64> {
    if word.is_empty() || word.len() > 19 {
        return None;
    }
    let mut value = 0u64;
    for &b in word {
        let d = b.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        value = value * 10 + u64::from(d);
    }
    Some(value)
}

fn number<T: std::str::FromStr + TryFrom<u64>>(
    word: &str,
    field: &str,
    what: &str,
) -> Result<T, FlowLogError> {
    // Plain digits in range are what std's parser returns; the rest (a sign, overflow, junk)
    // goes to it for the same answer.
    if let Some(value) = digits(word.as_bytes())
        && let Ok(value) = T::try_from(value)
    {
        return Ok(value);
    }
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

    const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/flowlogs/");

    /// The records of an AWS example file (header or default format), by line.
    fn fixture(name: &str) -> Vec<Record<'static>> {
        let text = std::fs::read_to_string(format!("{FIXTURES}{name}")).unwrap();
        let text: &'static str = Box::leak(text.into_boxed_str());
        let mut lines = text.lines().peekable();
        let format = match lines.peek() {
            Some(first) if Format::is_header(first) => {
                Format::parse(lines.next().unwrap()).unwrap()
            }
            _ => Format::default_v2(),
        };
        lines.map(|l| Record::parse(l, &format).unwrap()).collect()
    }

    fn ip(text: &str) -> Option<IpAddr> {
        Some(text.parse().unwrap())
    }

    #[test]
    fn aws_default_examples_parse_to_the_documented_values() {
        let records = fixture("aws-default.log");
        let ssh = &records[0];
        assert_eq!(ssh.interface_id, Some("eni-1235b8ca123456789"));
        assert_eq!(
            (ssh.srcaddr, ssh.dstaddr),
            (ip("172.31.16.139"), ip("172.31.16.21"))
        );
        assert_eq!(
            (ssh.srcport, ssh.dstport, ssh.protocol),
            (Some(20641), Some(22), Some(6))
        );
        assert_eq!((ssh.packets, ssh.bytes), (Some(20), Some(4249)));
        assert_eq!(
            (ssh.start_s, ssh.end_s),
            (Some(1418530010), Some(1418530070))
        );
        assert_eq!(
            (ssh.action, ssh.log_status),
            (Some(Action::Accept), Some(LogStatus::Ok))
        );
        assert_eq!(records[1].action, Some(Action::Reject));
        assert_eq!(records[1].dstport, Some(3389));
        let nodata = &records[2];
        assert_eq!(nodata.log_status, Some(LogStatus::NoData));
        assert_eq!(
            (nodata.srcaddr, nodata.bytes, nodata.action),
            (None, None, None)
        );
        assert_eq!(nodata.start_s, Some(1431280876));
        assert_eq!(records[3].log_status, Some(LogStatus::SkipData));
        assert_eq!(records[3].interface_id, Some("eni-11111111aaaaaaaaa"));
        assert_eq!(
            (records[4].protocol, records[4].bytes),
            (Some(1), Some(336))
        );
        assert_eq!(records[5].action, Some(Action::Reject));
        assert_eq!(
            records[6].srcaddr,
            ip("2001:db8:1234:a100:8d6e:3477:df66:f105")
        );
        assert_eq!(records[6].bytes, Some(8855));
    }

    #[test]
    fn aws_custom_examples_parse_to_the_documented_values() {
        let flags = fixture("aws-tcp-flags.log");
        assert_eq!(flags.len(), 8);
        let tcp_flags: Vec<_> = flags.iter().map(|r| r.tcp_flags.unwrap()).collect();
        assert_eq!(tcp_flags, [2, 18, 2, 18, 1, 1, 3, 19]);
        // The guide's format puts bytes before packets.
        assert_eq!(
            (flags[5].bytes, flags[5].packets),
            (Some(23294588), Some(15774))
        );
        assert_eq!(
            flags[7].srcport,
            Some(5001),
            "a double space is one separator"
        );

        let nat = fixture("aws-nat-gateway.log");
        assert_eq!(
            (nat[0].dstaddr, nat[0].pkt_dstaddr),
            (ip("10.0.0.220"), ip("203.0.113.5"))
        );
        assert_eq!(
            (nat[3].srcaddr, nat[3].pkt_srcaddr),
            (ip("10.0.0.220"), ip("203.0.113.5"))
        );
        assert_eq!(nat[4].interface_id, Some("eni-1111aaaa2222bbbb3"));
        assert_eq!((nat[4].srcport, nat[4].bytes), (None, None));

        let tgw = fixture("aws-transit-gateway.log");
        assert_eq!(
            (tgw[2].srcaddr, tgw[2].pkt_srcaddr),
            (ip("10.40.1.175"), ip("10.20.33.164"))
        );

        let s3 = fixture("aws-traffic-path.log");
        assert_eq!(s3[0].pkt_src_aws_service, Some("S3"));
        assert_eq!(
            (s3[0].pkt_dst_aws_service, s3[0].az_id),
            (None, Some("apse2-az3"))
        );
        assert_eq!(s3[1].pkt_dst_aws_service, Some("S3"));
        assert_eq!(
            (s3[1].packets, s3[1].bytes, s3[1].tcp_flags),
            (Some(7), Some(471), Some(3))
        );
    }

    #[test]
    fn words_split_as_split_ascii_whitespace_splits() {
        let lines = [
            "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249",
            "  leading and  double\tspaces\r\n",
            "a\u{1}b c\u{7f}d\u{c}e\u{b}f ünï cödé 12345678 123456789 1234567\u{0}8",
            "",
            "x",
            "exactly8 exactly8x 7chars!",
        ];
        for line in lines {
            let bytes = line.as_bytes();
            let mut at = 0;
            let mut words = Vec::new();
            while let Some((from, to)) = next_word(bytes, &mut at) {
                words.push(&line[from..to]);
            }
            let expected: Vec<&str> = line.split_ascii_whitespace().collect();
            assert_eq!(words, expected, "{line:?}");
        }
    }

    #[test]
    fn plain_ipv4_agrees_with_std() {
        for word in [
            "10.0.0.1",
            "255.255.255.255",
            "0.0.0.0",
            "1.2.3",
            "1.2.3.4.5",
            "01.2.3.4",
            "1.2.3.256",
            "1..3.4",
            "1.2.3.",
            ".1.2.3",
            "1.2.3.4 ",
            "1000.2.3.4",
            "1.2.3.04",
            "a.b.c.d",
            "",
            "2001:db8::1",
            "192.168.100.200",
        ] {
            let std: Option<Ipv4Addr> = word.parse().ok();
            match plain_ipv4(word.as_bytes()) {
                Some(ip) => assert_eq!(Some(ip), std, "{word}"),
                // Not the plain spelling: std's parser decides (and refuses all of these).
                None => assert!(std.is_none() || word.contains(':'), "{word}"),
            }
        }
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
