//! A parsed record reduced to what the join needs, on the reader's thread (`super::stream`
//! runs the reading and the join on two threads): its status counted (rule 1), its endpoints
//! chosen (rule 2) and oriented into a 5-tuple (rule 3), its interface and AZ ids interned, the
//! NAT addresses it reveals (rule 5) and its S3/DynamoDB service told. The join sees only these.

use super::AwsService;
use super::hash::Fast;
use super::record::{Action, LogStatus, Record};
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// TCP flag bits (`tcp-flags` is the OR of the flags seen in the interval).
const SYN: u16 = 0x02;
const ACK: u16 = 0x10;

/// No id (an interface or AZ the record does not name).
pub(crate) const NONE: u32 = u32::MAX;

/// What a record is to the join.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    NoData,
    SkipData,
    Rejected,
    /// Lacks a field the join needs.
    Incomplete,
    /// Both ends private.
    Internal,
    /// Both ends public and nothing tells the client.
    Unoriented,
    /// A flow to join.
    Flow,
}

/// A record as the join takes it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Reduced {
    pub(crate) status: Status,
    /// Interned interface id (`NONE` for NODATA, SKIPDATA and REJECT records).
    pub(crate) interface: u32,
    /// `srcaddr`/`dstaddr` where they differ from the packet's address: a NAT's (rule 5).
    pub(crate) intermediate: [Option<IpAddr>; 2],
    pub(crate) key: Key,
    /// The record's source is the client (its bytes are the request's).
    pub(crate) outbound: bool,
    /// Interned AZ id, or `NONE`.
    pub(crate) az: u32,
    pub(crate) start_s: u64,
    pub(crate) end_s: u64,
    /// Also set for an unoriented record (counted).
    pub(crate) bytes: u64,
    pub(crate) packets: u64,
    pub(crate) service: Option<AwsService>,
}

impl Reduced {
    fn counted(status: Status) -> Self {
        Reduced {
            status,
            interface: NONE,
            intermediate: [None, None],
            key: Key::default(),
            outbound: false,
            az: NONE,
            start_s: 0,
            end_s: 0,
            bytes: 0,
            packets: 0,
            service: None,
        }
    }
}

/// Turns records into [`Reduced`] ones, keeping the names it interned.
#[derive(Default)]
pub(crate) struct Reducer {
    interfaces: Names,
    azs: Names,
    /// Names already handed to the join (`new_names`).
    sent: (usize, usize),
}

impl Reducer {
    pub(crate) fn reduce(&mut self, r: &Record<'_>) -> Reduced {
        match r.log_status {
            Some(LogStatus::NoData) => return Reduced::counted(Status::NoData),
            Some(LogStatus::SkipData) => return Reduced::counted(Status::SkipData),
            Some(LogStatus::Ok) | None => {}
        }
        if r.action == Some(Action::Reject) {
            return Reduced::counted(Status::Rejected);
        }
        let mut out = Reduced::counted(Status::Incomplete);
        out.interface = self.interfaces.id(r.interface_id.unwrap_or("-"));
        for (i, (plain, packet)) in [(r.srcaddr, r.pkt_srcaddr), (r.dstaddr, r.pkt_dstaddr)]
            .into_iter()
            .enumerate()
        {
            if let (Some(plain), Some(packet)) = (plain, packet)
                && plain != packet
            {
                out.intermediate[i] = Some(plain);
            }
        }
        let (Some(src), Some(dst), Some(sport), Some(dport), Some(protocol), Some(bytes)) = (
            r.pkt_srcaddr.or(r.srcaddr),
            r.pkt_dstaddr.or(r.dstaddr),
            r.srcport,
            r.dstport,
            r.protocol,
            r.bytes,
        ) else {
            return out;
        };
        let (Some(start_s), Some(end_s)) = (r.start_s, r.end_s) else {
            return out;
        };
        out.bytes = bytes;
        // IPv4 both ends (nearly every record): oriented and keyed on the 32-bit addresses.
        let orientation = match (src, dst) {
            (IpAddr::V4(s), IpAddr::V4(d)) => {
                let (s, d) = (u32::from(s), u32::from(d));
                let orientation = orient_with(
                    is_private_v4(s),
                    is_private_v4(d),
                    sport.cmp(&dport),
                    r.tcp_flags,
                );
                if let Orientation::Outbound | Orientation::Inbound = orientation {
                    let outbound = matches!(orientation, Orientation::Outbound);
                    let ((c, cp), (v, vp)) = if outbound {
                        ((s, sport), (d, dport))
                    } else {
                        ((d, dport), (s, sport))
                    };
                    out.key = Key::v4(protocol, c, cp, v, vp);
                }
                orientation
            }
            _ => {
                let (src, dst) = (SocketAddr::new(src, sport), SocketAddr::new(dst, dport));
                let orientation = orient(src, dst, r.tcp_flags);
                let (client, server) = match orientation {
                    Orientation::Outbound => (src, dst),
                    _ => (dst, src),
                };
                out.key = Key::new(protocol, client, server);
                orientation
            }
        };
        out.outbound = match orientation {
            Orientation::Outbound => true,
            Orientation::Inbound => false,
            Orientation::Internal => {
                out.status = Status::Internal;
                return out;
            }
            Orientation::Unknown => {
                out.status = Status::Unoriented;
                return out;
            }
        };
        out.status = Status::Flow;
        out.az = r.az_id.map_or(NONE, |az| self.azs.id(az));
        out.start_s = start_s;
        out.end_s = end_s;
        out.packets = r.packets.unwrap_or(0);
        let service = if out.outbound {
            r.pkt_dst_aws_service
        } else {
            r.pkt_src_aws_service
        };
        out.service = service.and_then(AwsService::from_field);
        out
    }

    /// The interface and AZ ids interned since the last call (their ids follow on from the
    /// ones before), for the join's copy of the names.
    pub(crate) fn new_names(&mut self) -> (Vec<Box<str>>, Vec<Box<str>>) {
        let interfaces = self.interfaces.names[self.sent.0..].to_vec();
        let azs = self.azs.names[self.sent.1..].to_vec();
        self.sent = (self.interfaces.names.len(), self.azs.names.len());
        (interfaces, azs)
    }
}

/// Strings seen many times (interface and AZ ids), kept once and named by number.
#[derive(Default)]
struct Names {
    index: HashMap<Box<str>, u32, Fast>,
    names: Vec<Box<str>>,
    /// The last name asked for: records of one interface often come in runs.
    last: Option<u32>,
}

impl Names {
    #[inline]
    fn id(&mut self, name: &str) -> u32 {
        if let Some(last) = self.last
            && *self.names[last as usize] == *name
        {
            return last;
        }
        let id = match self.index.get(name) {
            Some(&id) => id,
            None => {
                let id = self.names.len() as u32;
                self.names.push(name.into());
                self.index.insert(name.into(), id);
                id
            }
        };
        self.last = Some(id);
        id
    }
}

/// One connection's 5-tuple, oriented client → server, in 38 bytes: each address as 16
/// big-endian bytes (IPv4 in the last four), with a bit each saying which are IPv6.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Key {
    pub(crate) protocol: u8,
    /// Bit 0: the client is IPv6; bit 1: the server is.
    v6: u8,
    client_port: u16,
    server_port: u16,
    client_ip: [u8; 16],
    server_ip: [u8; 16],
}

impl Key {
    pub(crate) fn new(protocol: u8, client: SocketAddr, server: SocketAddr) -> Self {
        let bytes = |ip: IpAddr| match ip {
            IpAddr::V4(v4) => Ipv4Addr::to_ipv6_compatible(&v4).octets(),
            IpAddr::V6(v6) => v6.octets(),
        };
        Key {
            protocol,
            v6: u8::from(client.is_ipv6()) | u8::from(server.is_ipv6()) << 1,
            client_port: client.port(),
            server_port: server.port(),
            client_ip: bytes(client.ip()),
            server_ip: bytes(server.ip()),
        }
    }

    /// An IPv4 5-tuple from its addresses as numbers.
    #[inline]
    fn v4(protocol: u8, client: u32, client_port: u16, server: u32, server_port: u16) -> Self {
        let bytes = |ip: u32| {
            let mut out = [0u8; 16];
            out[12..].copy_from_slice(&ip.to_be_bytes());
            out
        };
        Key {
            protocol,
            v6: 0,
            client_port,
            server_port,
            client_ip: bytes(client),
            server_ip: bytes(server),
        }
    }

    fn ip(bytes: [u8; 16], v6: bool) -> IpAddr {
        if v6 {
            IpAddr::V6(Ipv6Addr::from(bytes))
        } else {
            IpAddr::V4(Ipv4Addr::new(bytes[12], bytes[13], bytes[14], bytes[15]))
        }
    }

    pub(crate) fn client_ip(&self) -> IpAddr {
        Key::ip(self.client_ip, self.v6 & 1 != 0)
    }

    pub(crate) fn client(&self) -> SocketAddr {
        SocketAddr::new(self.client_ip(), self.client_port)
    }

    pub(crate) fn server(&self) -> SocketAddr {
        SocketAddr::new(Key::ip(self.server_ip, self.v6 & 2 != 0), self.server_port)
    }

    /// An IPv4 5-tuple in 104 bits (protocol, client address and port; server address and
    /// port), for the smaller map (24 bytes an entry).
    #[inline]
    pub(crate) fn packed_v4(&self) -> Option<(u64, u64)> {
        let low = |ip: &[u8; 16]| u64::from(u32::from_be_bytes([ip[12], ip[13], ip[14], ip[15]]));
        (self.v6 == 0).then(|| {
            (
                u64::from(self.protocol)
                    | low(&self.client_ip) << 8
                    | u64::from(self.client_port) << 40,
                low(&self.server_ip) | u64::from(self.server_port) << 32,
            )
        })
    }
}

impl Hash for Key {
    #[inline]
    fn hash<H: Hasher>(&self, state: &mut H) {
        for ip in [&self.client_ip, &self.server_ip] {
            let (high, low) = ip.split_at(8);
            state.write_u64(u64::from_le_bytes(high.try_into().expect("8 bytes")));
            state.write_u64(u64::from_le_bytes(low.try_into().expect("8 bytes")));
        }
        state.write_u64(
            u64::from(self.protocol)
                | u64::from(self.client_port) << 8
                | u64::from(self.server_port) << 24
                | u64::from(self.v6) << 40,
        );
    }
}

enum Orientation {
    /// The record's source is the client.
    Outbound,
    /// The record's destination is the client.
    Inbound,
    /// Both ends private: not internet egress.
    Internal,
    /// Both ends public and nothing tells the client.
    Unknown,
}

/// Which end of a record is the client: the private end when exactly one is private; when both
/// are public (IPv6, or addresses AWS reports as public), a SYN without ACK marks the client,
/// a SYN-ACK the server, else the higher (ephemeral) port is the client's.
fn orient(src: SocketAddr, dst: SocketAddr, tcp_flags: Option<u16>) -> Orientation {
    orient_with(
        is_private(src.ip()),
        is_private(dst.ip()),
        src.port().cmp(&dst.port()),
        tcp_flags,
    )
}

/// [`orient`] from whether each end is private and how the source port compares with the
/// destination's.
#[inline]
fn orient_with(
    src_private: bool,
    dst_private: bool,
    ports: std::cmp::Ordering,
    tcp_flags: Option<u16>,
) -> Orientation {
    match (src_private, dst_private) {
        (true, false) => return Orientation::Outbound,
        (false, true) => return Orientation::Inbound,
        (true, true) => return Orientation::Internal,
        (false, false) => {}
    }
    match tcp_flags.map(|f| f & (SYN | ACK)) {
        Some(SYN) => return Orientation::Outbound,
        Some(f) if f == SYN | ACK => return Orientation::Inbound,
        _ => {}
    }
    match ports {
        std::cmp::Ordering::Greater => Orientation::Outbound,
        std::cmp::Ordering::Less => Orientation::Inbound,
        std::cmp::Ordering::Equal => Orientation::Unknown,
    }
}

/// [`is_private`] for an IPv4 address as a number: 10/8, 172.16/12, 192.168/16, 100.64/10,
/// 127/8, 169.254/16.
#[inline]
fn is_private_v4(ip: u32) -> bool {
    ip >> 24 == 10
        || ip >> 20 == 0xac1
        || ip >> 16 == 0xc0a8
        || ip >> 22 == (100 << 2 | 1)
        || ip >> 24 == 127
        || ip >> 16 == 0xa9fe
}

/// Addresses that never leave the VPC as they are: RFC 1918, shared (100.64/10), loopback,
/// link-local, and IPv6 unique-local and link-local.
fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || (a == 100 && b & 0xc0 == 64)
        }
        IpAddr::V6(v6) => {
            let first = v6.segments()[0];
            v6.is_loopback() || first & 0xfe00 == 0xfc00 || first & 0xffc0 == 0xfe80
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_addresses() {
        for private in [
            "10.1.2.3",
            "172.31.0.1",
            "192.168.1.1",
            "100.64.0.1",
            "fd00::1",
            "fe80::1",
        ] {
            assert!(is_private(private.parse().unwrap()), "{private}");
        }
        for public in ["203.0.113.5", "100.128.0.1", "52.95.128.179", "2001:db8::1"] {
            assert!(!is_private(public.parse().unwrap()), "{public}");
        }
    }

    #[test]
    fn private_ipv4_as_numbers_agrees_with_the_address_rules() {
        for a in [0u32, 9, 10, 11, 100, 127, 128, 169, 172, 192, 203, 255] {
            for b in [0u32, 15, 16, 31, 32, 63, 64, 127, 128, 168, 191, 254, 255] {
                let ip = a << 24 | b << 16 | 0x0102;
                assert_eq!(
                    is_private_v4(ip),
                    is_private(IpAddr::V4(Ipv4Addr::from(ip))),
                    "{}",
                    Ipv4Addr::from(ip)
                );
            }
        }
    }

    #[test]
    fn both_public_ends_are_oriented_by_flags_then_ports() {
        let a: SocketAddr = "[2001:db8::1]:34892".parse().unwrap();
        let b: SocketAddr = "[2001:db8::2]:22".parse().unwrap();
        assert!(matches!(orient(a, b, None), Orientation::Outbound));
        assert!(matches!(orient(b, a, None), Orientation::Inbound));
        assert!(matches!(orient(b, a, Some(SYN)), Orientation::Outbound));
        assert!(matches!(
            orient(a, b, Some(SYN | ACK)),
            Orientation::Inbound
        ));
        assert!(matches!(orient(a, a, None), Orientation::Unknown));
    }

    #[test]
    fn a_key_gives_back_its_addresses() {
        for (client, server) in [
            ("10.0.0.1:40000", "203.0.113.5:443"),
            ("[2001:db8::1]:1", "198.51.100.7:0"),
            ("0.0.0.0:0", "[::ffff:1.2.3.4]:9"),
        ] {
            let (client, server): (SocketAddr, SocketAddr) =
                (client.parse().unwrap(), server.parse().unwrap());
            let key = Key::new(6, client, server);
            assert_eq!((key.client(), key.server()), (client, server));
            assert_eq!(
                key.packed_v4().is_some(),
                client.is_ipv4() && server.is_ipv4()
            );
        }
    }
}
