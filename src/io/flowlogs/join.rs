//! Records into connections, by the rules in the module header (`super`), as a stream: each
//! 5-tuple's records per interface are summed into segments (a new one after a gap longer than
//! the NAT gateway's idle timeout), and a segment is closed, checked against rule 5 (a NAT
//! gateway's second view, a connection's views from other interfaces) and handed on as soon as
//! no record read in time order can join it any more. Takes records already reduced
//! (`reduce`) on the reader's thread.
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
//! **Speed.** The work is memory-bound (a busy gateway keeps hundreds of thousands of segments
//! open), so each record touches as few places as it can: the 5-tuple's map entry and its
//! segment. Segments live in a slab whose slots are reused, chained both ways per 5-tuple, so
//! closing one needs no map lookup: a closed chain head leaves its map entry behind, stale
//! (an entry carries its slot's generation, which moves on when the slot is freed), and stale
//! entries are swept out when they reach half the live ones. Closing times wait in a ring of one-second
//! buckets (`Calendar`; a segment that grew is put back with its new time when its old one comes
//! up).

use super::hash::{Fast, FastMap};
use super::reduce::{Key, NONE, Reduced, Status};
use super::{AwsService, Counts, Joined};
use std::collections::{BTreeMap, HashSet};
use std::net::IpAddr;

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

/// Stale map entries are swept out once they are half the open segments and this many more:
/// a sweep is a pass over the map, so it comes after at least that many segments closed.
const STALE_SLACK: usize = 4_096;

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
    /// Records joined; 0 for a free slot, and for a segment merged into another (freed when its
    /// closing time comes up).
    records: u64,
    /// Interned AZ id, or `NONE`.
    az: u32,
    interface: u32,
    /// The 5-tuple's other segments (other interfaces, other times): `prev` is `NONE` for the
    /// chain's head, which the map names.
    next: u32,
    prev: u32,
    service: Option<AwsService>,
    /// A better-ranked view of the same connection has closed (rule 5): this one is a duplicate.
    shadowed: bool,
}

/// Seconds the closing ring covers ahead of its earliest bucket: more than the gap, the
/// tolerance and AWS's longest record (10 minutes) together, so only a record far out of the
/// ordinary ends beyond it.
const RING_S: u64 = 4_096;

/// Slots by closing second: a ring of one bucket a second for the [`RING_S`] seconds from
/// `base`, and a map for the rare times beyond. Buckets leave in time order; a bucket's slots in
/// the order they came.
#[derive(Debug)]
struct Calendar {
    ring: Vec<Vec<u32>>,
    /// The earliest second a bucket may hold; `None` until the first push.
    base: Option<u64>,
    /// Slots in the ring (to jump over empty stretches of time).
    in_ring: usize,
    far: BTreeMap<u64, Vec<u32>>,
}

impl Default for Calendar {
    fn default() -> Self {
        Calendar {
            ring: vec![Vec::new(); RING_S as usize],
            base: None,
            in_ring: 0,
            far: BTreeMap::new(),
        }
    }
}

impl Calendar {
    fn push(&mut self, due: u64, at: u32) {
        let base = *self.base.get_or_insert(due);
        // Never before the bucket being worked through: it is then due at once.
        let due = due.max(base);
        if due - base < RING_S {
            self.ring[(due % RING_S) as usize].push(at);
            self.in_ring += 1;
        } else {
            self.far.entry(due).or_default().push(at);
        }
    }

    /// The earliest non-empty bucket of a second below `until`, taken out with its second.
    fn pop_before(&mut self, until: u64) -> Option<(u64, Vec<u32>)> {
        let base = self.base.as_mut()?;
        while *base < until {
            if let Some(entry) = self.far.first_entry()
                && *entry.key() == *base
            {
                return Some((*base, entry.remove()));
            }
            let bucket = &mut self.ring[(*base % RING_S) as usize];
            if !bucket.is_empty() {
                self.in_ring -= bucket.len();
                return Some((*base, std::mem::take(bucket)));
            }
            if self.in_ring == 0 {
                // Nothing in the ring: jump to the first far second (or to `until`).
                *base = self.far.keys().next().copied().unwrap_or(until).min(until);
            } else {
                *base += 1;
            }
        }
        None
    }

    /// An emptied bucket back, to keep its allocation.
    fn give_back(&mut self, due: u64, bucket: Vec<u32>) {
        let slot = &mut self.ring[(due % RING_S) as usize];
        if slot.is_empty() && slot.capacity() < bucket.capacity() {
            *slot = bucket;
        }
    }
}

impl Segment {
    /// Whether a record or segment from `start_s` to `end_s` is within the gap of this one.
    #[inline]
    fn touches(&self, start_s: u64, end_s: u64) -> bool {
        start_s <= self.end_s.saturating_add(GAP_S) && self.start_s <= end_s.saturating_add(GAP_S)
    }
}

/// A 5-tuple's chain head in the map: its slot, and the slot's generation then.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Head {
    at: u32,
    generation: u32,
}

/// Where closed connections go.
pub(crate) type Sink<'s> = dyn FnMut(&Joined<'_>) + 's;

#[derive(Default)]
pub(crate) struct Joiner {
    /// Each open 5-tuple's chain head (IPv4 ones packed, the rest by their key), and stale
    /// entries left by closed heads.
    heads_v4: FastMap<(u64, u64), Head>,
    heads: FastMap<Key, Head>,
    /// Open segments (and merged ones waiting to be freed), in slots reused through `free`.
    segments: Vec<Segment>,
    free: Vec<u32>,
    /// Each slot's generation, moved on when the slot is freed: a map entry naming a slot of
    /// another generation is stale (a small array, so checking costs no trip to the slab).
    generations: Vec<u32>,
    /// The slots closing at each second (a slot's `end` plus the gap when it was queued); a
    /// slot has exactly one entry while it is in use.
    closing: Calendar,
    /// The latest `start` of a record joined so far.
    watermark: u64,
    /// The reader's interned names, by id.
    interfaces: Vec<Box<str>>,
    azs: Vec<Box<str>>,
    /// Addresses of intermediate interfaces (a NAT gateway's): seen in `srcaddr`/`dstaddr`
    /// where the packet's own address (`pkt-srcaddr`/`pkt-dstaddr`) differs.
    intermediate_addrs: HashSet<IpAddr, Fast>,
    intermediate_interfaces: HashSet<u32, Fast>,
    pub(crate) counts: Counts,
}

impl Joiner {
    /// Names the reader interned since the last batch (ids follow on).
    pub(crate) fn learn_names(&mut self, interfaces: Vec<Box<str>>, azs: Vec<Box<str>>) {
        self.interfaces.extend(interfaces);
        self.azs.extend(azs);
    }

    /// Joins `r`, handing `sink` every connection that can no longer grow.
    pub(crate) fn add(&mut self, r: &Reduced, sink: &mut Sink<'_>) {
        self.counts.records += 1;
        match r.status {
            Status::NoData => return self.counts.nodata_records += 1,
            Status::SkipData => return self.counts.skipdata_records += 1,
            Status::Rejected => return self.counts.rejected_records += 1,
            _ => {}
        }
        for plain in r.intermediate.iter().flatten() {
            self.intermediate_addrs.insert(*plain);
            self.intermediate_interfaces.insert(r.interface);
        }
        match r.status {
            Status::Incomplete => return self.counts.incomplete_records += 1,
            Status::Internal => return self.counts.internal_records += 1,
            Status::Unoriented => {
                self.counts.unoriented_bytes += r.bytes;
                return self.counts.unoriented_records += 1;
            }
            _ => {}
        }
        if r.start_s.saturating_add(LATE_TOLERANCE_S) < self.watermark {
            self.counts.late_bytes += r.bytes;
            return self.counts.late_records += 1;
        }
        if r.start_s > self.watermark {
            self.watermark = r.start_s;
            self.close_due(sink);
        }
        let at = self.segment(r.key, r.interface, r.start_s, r.end_s);
        let s = &mut self.segments[at as usize];
        if r.outbound {
            s.request_bytes += r.bytes;
            s.request_packets += r.packets;
        } else {
            s.response_bytes += r.bytes;
            s.response_packets += r.packets;
        }
        s.start_s = s.start_s.min(r.start_s);
        s.end_s = s.end_s.max(r.end_s);
        if s.az == NONE {
            s.az = r.az;
        }
        s.service = s.service.or(r.service);
        s.records += 1;
    }

    /// Closes every segment still open (the input has ended), soonest first.
    pub(crate) fn finish(mut self, sink: &mut Sink<'_>) -> Counts {
        self.watermark = u64::MAX;
        self.close_due(sink);
        self.counts
    }

    /// Segments in use now (for tests of the memory bound).
    #[cfg(test)]
    fn open_segments(&self) -> usize {
        self.segments.len() - self.free.len()
    }

    /// Closes the segments no record within the tolerance of the watermark can reach.
    fn close_due(&mut self, sink: &mut Sink<'_>) {
        // Segments whose closing second is below `until` are due.
        let until = if self.watermark == u64::MAX {
            u64::MAX
        } else {
            self.watermark.saturating_sub(LATE_TOLERANCE_S)
        };
        while let Some((due, mut bucket)) = self.closing.pop_before(until) {
            for &at in &bucket {
                let s = &self.segments[at as usize];
                if s.records == 0 {
                    self.release(at);
                } else if s.end_s.saturating_add(GAP_S) > due {
                    // It grew since it was queued: wait for its new time.
                    let due = s.end_s.saturating_add(GAP_S);
                    self.closing.push(due, at);
                } else {
                    self.close(at, sink);
                    self.segments[at as usize].records = 0;
                    self.release(at);
                }
            }
            bucket.clear();
            self.closing.give_back(due, bucket);
        }
        let open = self.segments.len() - self.free.len();
        if self.heads_v4.len() + self.heads.len() > open + open / 2 + STALE_SLACK {
            self.sweep_stale();
        }
    }

    /// Frees slot `at` (its map entry, if any, turns stale).
    fn release(&mut self, at: u32) {
        let generation = &mut self.generations[at as usize];
        *generation = generation.wrapping_add(1);
        self.free.push(at);
    }

    /// A map entry for the segment in slot `at` now.
    fn head(&self, at: u32) -> Head {
        Head {
            at,
            generation: self.generations[at as usize],
        }
    }

    /// Drops the map entries whose chain has closed.
    fn sweep_stale(&mut self) {
        let generations = &self.generations;
        let live = |h: &Head| generations[h.at as usize] == h.generation;
        self.heads_v4.retain(|_, h| live(h));
        self.heads.retain(|_, h| live(h));
    }

    /// The segment a record of `key` on `interface` from `start_s` to `end_s` joins: the one
    /// within the gap (merging any others the record bridges), else a new one.
    #[inline]
    fn segment(&mut self, key: Key, interface: u32, start_s: u64, end_s: u64) -> u32 {
        let new_at = self
            .free
            .last()
            .copied()
            .unwrap_or(self.segments.len() as u32);
        let new_head = Head {
            at: new_at,
            generation: self.generations.get(new_at as usize).copied().unwrap_or(0),
        };
        let slot = match key.packed_v4() {
            Some(packed) => self.heads_v4.entry(packed).or_insert(new_head),
            None => self.heads.entry(key).or_insert(new_head),
        };
        let entry = *slot;
        let live = entry != new_head && self.generations[entry.at as usize] == entry.generation;
        if !live {
            *slot = new_head;
            return self.create(key, interface, start_s, end_s, NONE);
        }
        let head = entry.at;
        let s = &self.segments[head as usize];
        // The common case: the one segment, on this interface, within the gap.
        if s.interface == interface && s.next == NONE && s.touches(start_s, end_s) {
            return head;
        }
        // Walk the chain: the first segment on this interface within the gap takes the
        // record, and any later one it also reaches is merged into it.
        let (mut found, mut at) = (NONE, head);
        while at != NONE {
            let next = self.segments[at as usize].next;
            let s = &self.segments[at as usize];
            if s.interface == interface && s.touches(start_s, end_s) {
                if found == NONE {
                    found = at;
                } else {
                    self.merge(found, at);
                }
            }
            at = next;
        }
        if found != NONE {
            return found;
        }
        match key.packed_v4() {
            Some(packed) => self.heads_v4.insert(packed, new_head),
            None => self.heads.insert(key, new_head),
        };
        self.segments[head as usize].prev = new_at;
        self.create(key, interface, start_s, end_s, head)
    }

    /// A new segment at the head of its chain (before `next`), queued to close.
    fn create(&mut self, key: Key, interface: u32, start_s: u64, end_s: u64, next: u32) -> u32 {
        let segment = Segment {
            key,
            request_bytes: 0,
            response_bytes: 0,
            request_packets: 0,
            response_packets: 0,
            start_s,
            end_s,
            records: 0,
            az: NONE,
            interface,
            next,
            prev: NONE,
            service: None,
            shadowed: false,
        };
        let at = match self.free.pop() {
            Some(at) => {
                self.segments[at as usize] = segment;
                at
            }
            None => {
                self.segments.push(segment);
                self.generations.push(0);
                self.segments.len() as u32 - 1
            }
        };
        self.closing.push(end_s.saturating_add(GAP_S), at);
        at
    }

    /// Takes segment `at` out of its 5-tuple's chain. A head with no successor leaves its map
    /// entry stale; a head with one hands the entry on (a lookup, rare).
    fn unlink(&mut self, at: u32) {
        let (prev, next) = {
            let s = &self.segments[at as usize];
            (s.prev, s.next)
        };
        if next != NONE {
            self.segments[next as usize].prev = prev;
        }
        if prev != NONE {
            self.segments[prev as usize].next = next;
        } else if next != NONE {
            let key = self.segments[at as usize].key;
            let head = self.head(next);
            match key.packed_v4() {
                Some(packed) => self.heads_v4.insert(packed, head),
                None => self.heads.insert(key, head),
            };
        }
        let s = &mut self.segments[at as usize];
        s.prev = NONE;
        s.next = NONE;
    }

    /// Moves segment `from`'s sums into `into` (a record bridged their gap) and takes `from`
    /// out of the chain (it is never the head: the walk finds `into` first).
    fn merge(&mut self, into: u32, from: u32) {
        self.unlink(from);
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
        let s = &mut self.segments[into as usize];
        s.request_bytes += taken.0;
        s.response_bytes += taken.1;
        s.request_packets += taken.2;
        s.response_packets += taken.3;
        s.start_s = s.start_s.min(taken.4);
        s.end_s = s.end_s.max(taken.5);
        s.records += taken.6;
        if s.az == NONE {
            s.az = taken.7;
        }
        s.service = s.service.or(taken.8);
        s.shadowed |= taken.9;
    }

    /// Whether interface `a` ranks before `b` for rule 5: intermediate interfaces first, then
    /// by id.
    fn ranks_before(&self, a: u32, b: u32) -> bool {
        let rank = |id: u32| {
            (
                !self.intermediate_interfaces.contains(&id),
                &self.interfaces[id as usize],
            )
        };
        rank(a) < rank(b)
    }

    /// Rule 5 for closing segment `at` against the other views in its chain: marks those it
    /// outranks and overlaps, and says whether one outranks and overlaps it.
    fn outranked(&mut self, at: u32) -> bool {
        let (interface, start_s, end_s) = {
            let s = &self.segments[at as usize];
            (s.interface, s.start_s, s.end_s)
        };
        let mut shadowed = self.segments[at as usize].shadowed;
        for forward in [false, true] {
            let s = &self.segments[at as usize];
            let mut other = if forward { s.next } else { s.prev };
            while other != NONE {
                let o = &self.segments[other as usize];
                let following = if forward { o.next } else { o.prev };
                if o.records > 0 && o.interface != interface && o.touches(start_s, end_s) {
                    if self.ranks_before(o.interface, interface) {
                        shadowed = true;
                    } else {
                        self.segments[other as usize].shadowed = true;
                    }
                }
                other = following;
            }
        }
        shadowed
    }

    /// Segment `at` can grow no more: out of its chain, checked against rule 5, counted, and
    /// handed to `sink` unless dropped.
    fn close(&mut self, at: u32, sink: &mut Sink<'_>) {
        let s = &self.segments[at as usize];
        let shadowed = if s.prev == NONE && s.next == NONE {
            s.shadowed
        } else {
            self.outranked(at)
        };
        self.unlink(at);
        let s = &self.segments[at as usize];
        // A NAT gateway's internet-side view: its own address as the client.
        if !self.intermediate_addrs.is_empty()
            && self.intermediate_addrs.contains(&s.key.client_ip())
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
        sink(&Joined {
            interface_id: &self.interfaces[s.interface as usize],
            protocol: s.key.protocol,
            client: s.key.client(),
            server: s.key.server(),
            request_bytes: s.request_bytes,
            response_bytes: s.response_bytes,
            request_packets: s.request_packets,
            response_packets: s.response_packets,
            start_s: s.start_s,
            end_s: s.end_s,
            az_id: (s.az != NONE).then(|| &*self.azs[s.az as usize]),
            service: s.service,
            records: s.records,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::flowlogs::record::{Action, LogStatus, Record};
    use crate::io::flowlogs::reduce::Reducer;
    use std::net::Ipv4Addr;

    /// A default-format record, reduced: client 10.0.x.y:port to 203.0.113.1:443, `bytes` out.
    fn record(client: u32, port: u16, start_s: u64, end_s: u64, bytes: u64) -> Reduced {
        let mut reducer = Reducer::default();
        reducer.reduce(&Record {
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
        })
    }

    #[test]
    fn memory_holds_the_open_connections_not_the_input() {
        // A day of 100 new one-minute connections a minute, each in one record, in time order:
        // 144,000 connections, of which about gap + tolerance + a minute's worth are open.
        let mut joiner = Joiner::default();
        joiner.learn_names(vec!["eni-1".into()], Vec::new());
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
        assert!(
            most_open <= window_minutes * 100,
            "{most_open} open at once"
        );
        assert!(
            joiner.segments.len() <= window_minutes * 100,
            "slots are reused"
        );
        let counts = joiner.finish(&mut sink);
        assert_eq!((counts.connections, handed_on), (144_000, 144_000));
    }

    #[test]
    fn a_record_later_than_the_tolerance_is_counted_not_joined() {
        let mut joiner = Joiner::default();
        joiner.learn_names(vec!["eni-1".into()], Vec::new());
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
}
