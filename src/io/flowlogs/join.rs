//! Records into connections, by the rules in the module header (`super`): one pass that sums
//! each 5-tuple's records per interface, then a finish that drops a NAT gateway's second view
//! and a connection's views from other interfaces, so each connection counts once.

use super::record::{Action, LogStatus, Record};
use super::{AwsService, Connection, Counts};
use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, SocketAddr};

/// TCP flag bits (`tcp-flags` is the OR of the flags seen in the interval).
const SYN: u16 = 0x02;
const ACK: u16 = 0x10;

/// One connection as seen on one interface: the 5-tuple oriented client → server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct Key {
    protocol: u8,
    client: SocketAddr,
    server: SocketAddr,
    interface: u32,
}

#[derive(Debug, Default)]
struct Sums {
    request_bytes: u64,
    response_bytes: u64,
    request_packets: u64,
    response_packets: u64,
    start_s: u64,
    end_s: u64,
    az: Option<u32>,
    service: Option<AwsService>,
    records: u64,
}

/// Strings seen many times (interface and AZ ids), kept once and named by number.
#[derive(Default)]
struct Names {
    index: HashMap<Box<str>, u32>,
    names: Vec<Box<str>>,
}

impl Names {
    fn id(&mut self, name: &str) -> u32 {
        if let Some(&id) = self.index.get(name) {
            return id;
        }
        let id = self.names.len() as u32;
        self.names.push(name.into());
        self.index.insert(name.into(), id);
        id
    }
}

#[derive(Default)]
pub(crate) struct Joiner {
    sums: HashMap<Key, Sums>,
    names: Names,
    /// Addresses of intermediate interfaces (a NAT gateway's): seen in `srcaddr`/`dstaddr`
    /// where the packet's own address (`pkt-srcaddr`/`pkt-dstaddr`) differs.
    intermediate_addrs: HashSet<IpAddr>,
    intermediate_interfaces: HashSet<u32>,
    pub(crate) counts: Counts,
}

impl Joiner {
    pub(crate) fn add(&mut self, r: &Record<'_>) {
        self.counts.records += 1;
        match r.log_status {
            Some(LogStatus::NoData) => return self.counts.nodata_records += 1,
            Some(LogStatus::SkipData) => return self.counts.skipdata_records += 1,
            Some(LogStatus::Ok) | None => {}
        }
        if r.action == Some(Action::Reject) {
            return self.counts.rejected_records += 1;
        }
        let interface = self.names.id(r.interface_id.unwrap_or("-"));
        self.learn_intermediate(r, interface);
        let (Some(src), Some(dst), Some(sport), Some(dport), Some(protocol), Some(bytes)) = (
            r.pkt_srcaddr.or(r.srcaddr),
            r.pkt_dstaddr.or(r.dstaddr),
            r.srcport,
            r.dstport,
            r.protocol,
            r.bytes,
        ) else {
            return self.counts.incomplete_records += 1;
        };
        let (Some(start_s), Some(end_s)) = (r.start_s, r.end_s) else {
            return self.counts.incomplete_records += 1;
        };
        let (src, dst) = (SocketAddr::new(src, sport), SocketAddr::new(dst, dport));
        let outbound = match orient(src, dst, r.tcp_flags) {
            Orientation::Outbound => true,
            Orientation::Inbound => false,
            Orientation::Internal => return self.counts.internal_records += 1,
            Orientation::Unknown => {
                self.counts.unoriented_bytes += bytes;
                return self.counts.unoriented_records += 1;
            }
        };
        let (client, server) = if outbound { (src, dst) } else { (dst, src) };
        let az = r.az_id.map(|az| self.names.id(az));
        let key = Key {
            protocol,
            client,
            server,
            interface,
        };
        let sums = self.sums.entry(key).or_insert_with(|| Sums {
            start_s,
            end_s,
            ..Sums::default()
        });
        let packets = r.packets.unwrap_or(0);
        if outbound {
            sums.request_bytes += bytes;
            sums.request_packets += packets;
        } else {
            sums.response_bytes += bytes;
            sums.response_packets += packets;
        }
        sums.start_s = sums.start_s.min(start_s);
        sums.end_s = sums.end_s.max(end_s);
        sums.az = sums.az.or(az);
        let service = if outbound {
            r.pkt_dst_aws_service
        } else {
            r.pkt_src_aws_service
        };
        sums.service = sums.service.or(service.and_then(AwsService::from_field));
        sums.records += 1;
    }

    fn learn_intermediate(&mut self, r: &Record<'_>, interface: u32) {
        for (plain, packet) in [(r.srcaddr, r.pkt_srcaddr), (r.dstaddr, r.pkt_dstaddr)] {
            if let (Some(plain), Some(packet)) = (plain, packet)
                && plain != packet
            {
                self.intermediate_addrs.insert(plain);
                self.intermediate_interfaces.insert(interface);
            }
        }
    }

    /// The connections, each once, ordered by start then 5-tuple (whatever the input order).
    pub(crate) fn finish(mut self) -> (Vec<Connection>, Counts) {
        let mut views: Vec<(Key, Sums)> = self.sums.drain().collect();
        // A NAT gateway's internet-side view: its own address as the client.
        let before = views.len();
        views.retain(|(key, _)| !self.intermediate_addrs.contains(&key.client.ip()));
        self.counts.nat_second_side_connections = (before - views.len()) as u64;
        // The same 5-tuple on several interfaces: keep the intermediate interface's view,
        // else the one on the interface whose id sorts first.
        let rank = |key: &Key| {
            let intermediate = self.intermediate_interfaces.contains(&key.interface);
            (
                !intermediate,
                self.names.names[key.interface as usize].clone(),
            )
        };
        views.sort_by_cached_key(|(key, _)| (key.protocol, key.client, key.server, rank(key)));
        let mut out: Vec<Connection> = Vec::with_capacity(views.len());
        let mut last: Option<(u8, SocketAddr, SocketAddr)> = None;
        for (key, sums) in views {
            let tuple = (key.protocol, key.client, key.server);
            if last == Some(tuple) {
                self.counts.duplicate_view_connections += 1;
                continue;
            }
            last = Some(tuple);
            out.push(self.connection(key, sums));
        }
        out.sort_by_key(|c| (c.start_s, c.end_s, c.protocol, c.client, c.server));
        self.counts.connections = out.len() as u64;
        (out, self.counts)
    }

    fn connection(&self, key: Key, sums: Sums) -> Connection {
        let name = |id: u32| self.names.names[id as usize].to_string();
        Connection {
            interface_id: name(key.interface),
            protocol: key.protocol,
            client: key.client,
            server: key.server,
            request_bytes: sums.request_bytes,
            response_bytes: sums.response_bytes,
            request_packets: sums.request_packets,
            response_packets: sums.response_packets,
            start_s: sums.start_s,
            end_s: sums.end_s,
            az_id: sums.az.map(name),
            service: sums.service,
            records: sums.records,
        }
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
    match (is_private(src.ip()), is_private(dst.ip())) {
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
    match src.port().cmp(&dst.port()) {
        std::cmp::Ordering::Greater => Orientation::Outbound,
        std::cmp::Ordering::Less => Orientation::Inbound,
        std::cmp::Ordering::Equal => Orientation::Unknown,
    }
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
}
