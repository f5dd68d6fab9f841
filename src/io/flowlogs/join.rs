//! Records into connections, by the rules in the module header (`super`), as a stream: each
//! 5-tuple's records per interface are summed into segments (a new one after a gap longer than
//! the NAT gateway's idle timeout), and a segment is closed, checked against rule 5 (a NAT
//! gateway's second view, a connection's views from other interfaces) and handed on as soon as
//! no record read in time order can join it any more.
//!
//! **When a segment closes.** The input's clock is the latest `start` of a record joined so far
//! (the watermark). Records may arrive out of order by up to [`LATE_TOLERANCE_S`]; a segment
//! whose `end` plus the gap is more than that behind the watermark closes, because a record
//! that could still join it would have to start more than the tolerance behind the watermark.
//! Such a record is late: it is counted (`late_records`, `late_bytes`) and left out, never
//! joined to a connection already handed on. So memory holds the segments of the last
//! gap + tolerance of the input, not the whole input.
//!
//! **Rule 5 while streaming.** A closing segment is a duplicate view when a view of its
//! 5-tuple on a better-ranked interface overlaps it (within the gap): every such view is then
//! still open (it shares the 5-tuple's chain) or has closed already and marked this one
//! `shadowed` on its way out. Ranks and the NAT's addresses are those learned by then.
//!
//! Speed: the 5-tuple is packed into a fixed-size key hashed with a small multiply-fold hasher,
//! a 5-tuple's segments on every interface hang off one map entry as a linked chain, segments
//! live in a slab whose slots are reused, and the closing times wait in a heap (a segment that
//! grew is put back with its new time when its old one comes up).

use super::record::{Action, LogStatus, Record};
use super::{AwsService, Counts, Joined};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hash, Hasher};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// TCP flag bits (`tcp-flags` is the OR of the flags seen in the interval).
const SYN: u16 = 0x02;
const ACK: u16 = 0x10;

/// The gap rule: a 5-tuple seen again more than this long after its last record ended (the
/// next record's `start` minus the last `end`) is a new connection. The NAT gateway's idle
/// timeout (`[nat_gateway] idle_timeout_s` in the catalog): after it the gateway has dropped
/// the translation, so traffic on the same 5-tuple is a new connection.
pub(crate) const GAP_S: u64 = 350;

/// How far behind the latest record a record may start and still be joined: AWS's longest
/// aggregation interval (10 minutes), within which a file's records are not in time order, plus
/// 5 minutes for files delivered out of step (files are read in the order of their first
/// record). Records later than this are counted as late and left out.
pub const LATE_TOLERANCE_S: u64 = 900;

const NONE: u32 = u32::MAX;

/// A multiply-fold hasher (FxHash's step, with a folded 128-bit product at the end so the low
/// bits the table indexes by depend on every input bit). Not DoS-resistant; flow logs are the
/// user's own data.
#[derive(Default, Clone, Copy)]
pub(crate) struct FoldHasher(u64);

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl Hasher for FoldHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(word));
        }
    }
    #[inline]
    fn write_u8(&mut self, n: u8) {
        self.write_u64(u64::from(n));
    }
    #[inline]
    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }
    #[inline]
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(SEED);
    }
    #[inline]
    fn write_u128(&mut self, n: u128) {
        self.write_u64(n as u64);
        self.write_u64((n >> 64) as u64);
    }
    #[inline]
    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }
    #[inline]
    fn finish(&self) -> u64 {
        let product = u128::from(self.0) * u128::from(SEED);
        (product as u64) ^ ((product >> 64) as u64)
    }
}

type Fast = BuildHasherDefault<FoldHasher>;

/// An address packed for hashing and ordering: IPv4 as its 32 bits, IPv6 as its 128, with a
/// flag; ordered as `SocketAddr` orders (every IPv4 before every IPv6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct End {
    v6: bool,
    ip: u128,
    port: u16,
}

impl End {
    fn new(addr: SocketAddr) -> Self {
        match addr.ip() {
            IpAddr::V4(v4) => End {
                v6: false,
                ip: u128::from(u32::from(v4)),
                port: addr.port(),
            },
            IpAddr::V6(v6) => End {
                v6: true,
                ip: u128::from(v6),
                port: addr.port(),
            },
        }
    }

    fn ip(self) -> IpAddr {
        if self.v6 {
            IpAddr::V6(Ipv6Addr::from(self.ip))
        } else {
            IpAddr::V4(Ipv4Addr::from(self.ip as u32))
        }
    }

    fn addr(self) -> SocketAddr {
        SocketAddr::new(self.ip(), self.port)
    }
}

/// One connection's 5-tuple, oriented client → server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Key {
    protocol: u8,
    client: End,
    server: End,
}

impl Hash for Key {
    #[inline]
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.client.ip as u64);
        state.write_u64((self.client.ip >> 64) as u64 ^ (self.server.ip >> 64) as u64);
        state.write_u64(self.server.ip as u64);
        state.write_u64(
            u64::from(self.protocol)
                | u64::from(self.client.port) << 8
                | u64::from(self.server.port) << 24
                | u64::from(self.client.v6) << 40
                | u64::from(self.server.v6) << 41,
        );
    }
}

impl Key {
    /// An IPv4 5-tuple in 104 bits (protocol, two addresses, two ports), for the smaller map.
    #[inline]
    fn packed_v4(&self) -> Option<u128> {
        (!self.client.v6 && !self.server.v6).then(|| {
            u128::from(self.protocol)
                | self.client.ip << 8
                | u128::from(self.client.port) << 40
                | self.server.ip << 56
                | u128::from(self.server.port) << 88
        })
    }
}

/// One connection as seen on one interface: its 5-tuple's records there, without a gap
/// longer than [`GAP_S`].
#[derive(Debug)]
struct Segment {
    key: Key,
    request_bytes: u64,
    response_bytes: u64,
    request_packets: u64,
    response_packets: u64,
    start_s: u64,
    end_s: u64,
    /// Records joined; 0 once merged into another segment (the slot is freed when its closing
    /// time comes up).
    records: u64,
    az: Option<u32>,
    interface: u32,
    /// The 5-tuple's next segment (another interface, or another time), or `NONE`.
    next: u32,
    service: Option<AwsService>,
    /// A better-ranked view of the same connection has closed (rule 5): this one is a duplicate.
    shadowed: bool,
}

impl Segment {
    /// Whether a record or segment from `start_s` to `end_s` is within the gap of this one.
    #[inline]
    fn touches(&self, start_s: u64, end_s: u64) -> bool {
        start_s <= self.end_s.saturating_add(GAP_S) && self.start_s <= end_s.saturating_add(GAP_S)
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

/// Where closed connections go.
pub(crate) type Sink<'s> = dyn FnMut(&Joined<'_>) + 's;

#[derive(Default)]
pub(crate) struct Joiner {
    /// Each open 5-tuple's first segment: IPv4 ones packed, the rest by their key.
    heads_v4: HashMap<u128, u32, Fast>,
    heads: HashMap<Key, u32, Fast>,
    /// Open segments (and merged ones waiting to be freed), in slots reused through `free`.
    segments: Vec<Segment>,
    free: Vec<u32>,
    /// Each slot's closing time (its `end` plus the gap when it was queued), soonest first; a
    /// slot has exactly one entry while it is in use.
    closing: BinaryHeap<Reverse<(u64, u32)>>,
    /// The latest `start` of a record joined so far.
    watermark: u64,
    names: Names,
    az_names: Names,
    /// Addresses of intermediate interfaces (a NAT gateway's): seen in `srcaddr`/`dstaddr`
    /// where the packet's own address (`pkt-srcaddr`/`pkt-dstaddr`) differs.
    intermediate_addrs: HashSet<IpAddr, Fast>,
    intermediate_interfaces: HashSet<u32, Fast>,
    pub(crate) counts: Counts,
}

impl Joiner {
    /// Joins `r`, handing `sink` every connection that can no longer grow.
    pub(crate) fn add(&mut self, r: &Record<'_>, sink: &mut Sink<'_>) {
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
        if start_s.saturating_add(LATE_TOLERANCE_S) < self.watermark {
            self.counts.late_bytes += bytes;
            return self.counts.late_records += 1;
        }
        if start_s > self.watermark {
            self.watermark = start_s;
            self.close_due(sink);
        }
        let (client, server) = if outbound { (src, dst) } else { (dst, src) };
        let az = r.az_id.map(|az| self.az_names.id(az));
        let key = Key {
            protocol,
            client: End::new(client),
            server: End::new(server),
        };
        let at = self.segment(key, interface, start_s, end_s);
        let s = &mut self.segments[at as usize];
        let packets = r.packets.unwrap_or(0);
        if outbound {
            s.request_bytes += bytes;
            s.request_packets += packets;
        } else {
            s.response_bytes += bytes;
            s.response_packets += packets;
        }
        s.start_s = s.start_s.min(start_s);
        s.end_s = s.end_s.max(end_s);
        s.az = s.az.or(az);
        let service = if outbound {
            r.pkt_dst_aws_service
        } else {
            r.pkt_src_aws_service
        };
        s.service = s.service.or(service.and_then(AwsService::from_field));
        s.records += 1;
    }

    /// Closes every segment still open (the input has ended), soonest first.
    pub(crate) fn finish(mut self, sink: &mut Sink<'_>) -> Counts {
        self.watermark = u64::MAX;
        self.close_due(sink);
        self.counts
    }

    /// Open segments now (for tests of the memory bound).
    #[cfg(test)]
    fn open_segments(&self) -> usize {
        self.segments.len() - self.free.len()
    }

    /// Closes the segments no record within the tolerance of the watermark can reach.
    fn close_due(&mut self, sink: &mut Sink<'_>) {
        while let Some(&Reverse((due, at))) = self.closing.peek() {
            if due.saturating_add(LATE_TOLERANCE_S) >= self.watermark && self.watermark < u64::MAX
            {
                return;
            }
            self.closing.pop();
            let s = &self.segments[at as usize];
            if s.records == 0 {
                self.free.push(at);
            } else if s.end_s.saturating_add(GAP_S) > due {
                // It grew since it was queued: wait for its new time.
                let due = s.end_s.saturating_add(GAP_S);
                self.closing.push(Reverse((due, at)));
            } else {
                self.close(at, sink);
                self.free.push(at);
            }
        }
    }

    /// The segment a record of `key` on `interface` from `start_s` to `end_s` joins: the one
    /// within the gap (merging any others the record bridges), else a new one.
    #[inline]
    fn segment(&mut self, key: Key, interface: u32, start_s: u64, end_s: u64) -> u32 {
        let fresh = |next: u32| Segment {
            key,
            request_bytes: 0,
            response_bytes: 0,
            request_packets: 0,
            response_packets: 0,
            start_s,
            end_s,
            records: 0,
            az: None,
            interface,
            next,
            service: None,
            shadowed: false,
        };
        let new_at = self
            .free
            .last()
            .copied()
            .unwrap_or(self.segments.len() as u32);
        let slot = match key.packed_v4() {
            Some(packed) => self.heads_v4.entry(packed).or_insert(NONE),
            None => self.heads.entry(key).or_insert(NONE),
        };
        let head = *slot;
        if head != NONE {
            let s = &self.segments[head as usize];
            // The common case: the one segment, on this interface, within the gap.
            if s.interface == interface && s.next == NONE && s.touches(start_s, end_s) {
                return head;
            }
        }
        *slot = new_at;
        // Walk the chain: the first segment on this interface within the gap takes the
        // record, and any later one it also reaches is merged into it.
        let (mut found, mut prev, mut at) = (NONE, NONE, head);
        while at != NONE {
            let next = self.segments[at as usize].next;
            let s = &self.segments[at as usize];
            if s.interface == interface && s.touches(start_s, end_s) {
                if found == NONE {
                    found = at;
                    prev = at;
                } else {
                    self.merge(found, at);
                    self.segments[prev as usize].next = next;
                }
            } else {
                prev = at;
            }
            at = next;
        }
        if found != NONE {
            // No new segment: the chain keeps its head.
            *self.head_slot(&key) = head;
            return found;
        }
        let segment = fresh(head);
        if self.free.pop().is_some() {
            self.segments[new_at as usize] = segment;
        } else {
            self.segments.push(segment);
        }
        self.closing
            .push(Reverse((end_s.saturating_add(GAP_S), new_at)));
        new_at
    }

    /// The slot holding `key`'s first segment (which exists).
    fn head_slot(&mut self, key: &Key) -> &mut u32 {
        match key.packed_v4() {
            Some(packed) => self.heads_v4.get_mut(&packed),
            None => self.heads.get_mut(key),
        }
        .expect("the key has a segment")
    }

    /// Takes segment `at` out of its 5-tuple's chain (and the 5-tuple out of the map when it
    /// was the last).
    fn unlink(&mut self, at: u32) {
        let key = self.segments[at as usize].key;
        let next = self.segments[at as usize].next;
        let head = *self.head_slot(&key);
        if head == at {
            if next != NONE {
                *self.head_slot(&key) = next;
            } else {
                match key.packed_v4() {
                    Some(packed) => self.heads_v4.remove(&packed),
                    None => self.heads.remove(&key),
                };
            }
            return;
        }
        let mut prev = head;
        while self.segments[prev as usize].next != at {
            prev = self.segments[prev as usize].next;
        }
        self.segments[prev as usize].next = next;
    }

    /// Moves segment `from`'s sums into `into` (a record bridged their gap).
    fn merge(&mut self, into: u32, from: u32) {
        let f = &mut self.segments[from as usize];
        let taken = (
            f.request_bytes,
            f.response_bytes,
            f.request_packets,
            f.response_packets,
            f.start_s,
            f.end_s,
            f.records,
            f.az,
            f.service,
            f.shadowed,
        );
        f.records = 0;
        f.next = NONE;
        let s = &mut self.segments[into as usize];
        s.request_bytes += taken.0;
        s.response_bytes += taken.1;
        s.request_packets += taken.2;
        s.response_packets += taken.3;
        s.start_s = s.start_s.min(taken.4);
        s.end_s = s.end_s.max(taken.5);
        s.records += taken.6;
        s.az = s.az.or(taken.7);
        s.service = s.service.or(taken.8);
        s.shadowed |= taken.9;
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

    /// Whether interface `a` ranks before `b` for rule 5: intermediate interfaces first, then
    /// by id.
    fn ranks_before(&self, a: u32, b: u32) -> bool {
        let rank = |id: u32| {
            (
                !self.intermediate_interfaces.contains(&id),
                &self.names.names[id as usize],
            )
        };
        rank(a) < rank(b)
    }

    /// Segment `at` can grow no more: out of its chain, checked against rule 5 (marking the
    /// worse-ranked views it overlaps), counted, and handed to `sink` unless dropped.
    fn close(&mut self, at: u32, sink: &mut Sink<'_>) {
        self.unlink(at);
        let (key, interface, start_s, end_s) = {
            let s = &self.segments[at as usize];
            (s.key, s.interface, s.start_s, s.end_s)
        };
        let mut shadowed = self.segments[at as usize].shadowed;
        if let Some(&head) = match key.packed_v4() {
            Some(packed) => self.heads_v4.get(&packed),
            None => self.heads.get(&key),
        } {
            let mut other = head;
            while other != NONE {
                let o = &self.segments[other as usize];
                let next = o.next;
                if o.records > 0 && o.interface != interface && o.touches(start_s, end_s) {
                    if self.ranks_before(o.interface, interface) {
                        shadowed = true;
                    } else {
                        self.segments[other as usize].shadowed = true;
                    }
                }
                other = next;
            }
        }
        // A NAT gateway's internet-side view: its own address as the client.
        if !self.intermediate_addrs.is_empty() && self.intermediate_addrs.contains(&key.client.ip())
        {
            self.counts.nat_second_side_connections += 1;
            return;
        }
        // The same connection on several interfaces: keep the intermediate interface's view,
        // else the one on the interface whose id sorts first.
        if shadowed {
            self.counts.duplicate_view_connections += 1;
            return;
        }
        self.counts.connections += 1;
        let s = &self.segments[at as usize];
        sink(&Joined {
            interface_id: &self.names.names[s.interface as usize],
            protocol: key.protocol,
            client: key.client.addr(),
            server: key.server.addr(),
            request_bytes: s.request_bytes,
            response_bytes: s.response_bytes,
            request_packets: s.request_packets,
            response_packets: s.response_packets,
            start_s: s.start_s,
            end_s: s.end_s,
            az_id: s.az.map(|id| &*self.az_names.names[id as usize]),
            service: s.service,
            records: s.records,
        });
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

    /// A default-format record: client 10.0.x.y:port to 203.0.113.1:443, `bytes` out.
    fn record(client: u32, port: u16, start_s: u64, end_s: u64, bytes: u64) -> Record<'static> {
        Record {
            interface_id: Some("eni-1"),
            srcaddr: Some(IpAddr::V4(Ipv4Addr::from(0x0a00_0000 | client))),
            dstaddr: Some("203.0.113.1".parse().unwrap()),
            srcport: Some(port),
            dstport: Some(443),
            protocol: Some(6),
            packets: Some(1),
            bytes: Some(bytes),
            start_s: Some(start_s),
            end_s: Some(end_s),
            action: Some(Action::Accept),
            log_status: Some(LogStatus::Ok),
            ..Record::default()
        }
    }

    #[test]
    fn memory_holds_the_open_connections_not_the_input() {
        // A day of 100 new one-minute connections a minute, each in one record, in time order:
        // 144,000 connections, of which about gap + tolerance + a minute's worth are open.
        let mut joiner = Joiner::default();
        let (mut handed_on, mut most_open) = (0u64, 0usize);
        let mut sink = |_: &Joined<'_>| handed_on += 1;
        for minute in 0..1_440u64 {
            for i in 0..100u32 {
                let start = 1_700_000_000 + minute * 60;
                let n = minute as u32 * 100 + i;
                joiner.add(&record(n >> 16, n as u16, start, start + 60, 10), &mut sink);
            }
            most_open = most_open.max(joiner.open_segments());
        }
        let window_minutes = (GAP_S + LATE_TOLERANCE_S).div_ceil(60) as usize + 2;
        assert!(most_open <= window_minutes * 100, "{most_open} open at once");
        assert!(joiner.segments.len() <= window_minutes * 100, "slots are reused");
        let counts = joiner.finish(&mut sink);
        assert_eq!((counts.connections, handed_on), (144_000, 144_000));
    }

    #[test]
    fn a_record_later_than_the_tolerance_is_counted_not_joined() {
        let mut joiner = Joiner::default();
        let mut out: Vec<(u64, u64, u64)> = Vec::new();
        let mut sink = |c: &Joined<'_>| out.push((c.start_s, c.end_s, c.request_bytes));
        joiner.add(&record(1, 40_000, 0, 60, 1), &mut sink);
        joiner.add(&record(2, 40_000, 5_000, 5_060, 2), &mut sink);
        // Out of order but within the tolerance: joined (the first connection's 5-tuple, more
        // than the gap after it: a connection of its own).
        joiner.add(&record(1, 40_000, 4_500, 4_560, 4), &mut sink);
        // Behind the watermark by more than the tolerance: late, whatever it would join.
        joiner.add(&record(1, 40_000, 100, 160, 8), &mut sink);
        let counts = joiner.finish(&mut sink);
        out.sort_unstable();
        assert_eq!(out, [(0, 60, 1), (4_500, 4_560, 4), (5_000, 5_060, 2)]);
        assert_eq!((counts.late_records, counts.late_bytes), (1, 8));
        assert_eq!(counts.records, 4);
    }

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
