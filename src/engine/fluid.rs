//! Fluid bandwidth sharing on one bottleneck: max-min fair with per-flow caps, O(log n) per event.
//!
//! A `Link` is one direction of one device. Flows belong to classes (one per workload); every
//! flow of a class has the same cap and so, under max-min fairness on a single bottleneck, the
//! same rate. Each class therefore keeps a virtual clock of "bytes per flow so far" and a min-heap
//! of finish tags (clock at start + size; a class's only flow, the common case, keeps its tag in a
//! slot beside the heap): adding or finishing a flow is a heap operation, and a
//! rate change touches only the K class clocks, never the n flows (processor-sharing virtual time,
//! Valente; SimGrid's lazy update). K is the number of workloads, a handful.
//!
//! Elastic (TCP) flows progress at their allocated rate. Inelastic (UDP) flows send at their cap
//! whatever happens; what exceeds their allocation is lost. Both take part in the same max-min
//! allocation, so UDP cannot starve TCP (an assumption: real queues favour neither cleanly).
//!
//! Packets: no packet is ever an event. Each class charges a fixed number of packets per payload
//! byte it moves ([`PacketModel`]: TCP data segments of the MSS one way, a delayed ACK per two
//! segments the other way, and the 7 packets of a handshake and teardown per connection, spread
//! over the class's mean transfer; UDP datagrams). The ACKs a flow causes travel the other way
//! but are charged to the flow that causes them, because the limit they count against, AWS's
//! packets-per-second allowance, takes both directions together. A link carries two budgets,
//! bytes per second and packets per second; its water level is the lower of the two levels
//! (every flow uses both, so one common level is exactly max-min fair in bytes). The link's owner
//! decides its packet budget: it shares the device's one allowance between the two links with
//! [`split_packet_allowance`], from each link's packet demand (its packet rate were packets
//! unlimited): each gets what it wants while the two fit, else a share in proportion to its
//! demand (a shaper that queues and drops without looking at direction). Owners also let a
//! millisecond of allowance through at any rate (a token bucket, `device::hosts`), so only
//! sustained load is held. Demand does not depend on the allowance, so a rebalance settles in one
//! step. Per event: O(log n) heap work plus O(K) water-filling.
//!
//! Invariants: rates change only inside `recompute`, which every state change calls; clocks are
//! advanced to `now` before any change; `delivered ≤ sent` for every class; the packet rate never
//! exceeds the allowance when any flow is below its cap.

use crate::engine::Nanos;
use crate::util::units::{at_least_zero, span_to_seconds};
use std::cmp::{Ordering, Reverse};
use std::collections::{BinaryHeap, HashSet};

/// A link's next completion when no flow will finish: after every real instant, so the earliest
/// of several is a plain `min`.
pub(crate) const NEVER: Nanos = Nanos::MAX;

/// Identifies a flow to its owner (the simulation uses the connection's slot).
pub(crate) type FlowId = u32;

/// A class's flows all share these.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct ClassSpec {
    /// Per-flow ceiling, bytes per second.
    pub(crate) cap_bytes_per_s: f64,
    /// TCP slows down when short of capacity; UDP keeps sending and loses the excess.
    pub(crate) elastic: bool,
    /// Packets charged per payload byte moved, both directions together (see [`PacketModel`]).
    pub(crate) packets_per_byte: f64,
}

/// How a class's connections turn payload bytes into packets, both directions together.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum PacketModel {
    /// Data segments of up to `mss_bytes` one way, a delayed ACK per two segments the other way
    /// (RFC 1122 §4.2.3.2 allows ACKing every second full segment; assumed, no SACK or loss),
    /// and the handshake and teardown once per connection.
    Tcp { mss_bytes: f64 },
    /// Datagrams of `datagram_bytes`, nothing else.
    Udp { datagram_bytes: f64 },
}

/// SYN, SYN-ACK, ACK.
pub(crate) const TCP_OPEN_PACKETS: f64 = 3.0;
/// FIN and its ACK, each way.
pub(crate) const TCP_CLOSE_PACKETS: f64 = 4.0;
/// Delayed ACK: one ACK per this many data segments (and at least one per transfer).
pub(crate) const TCP_SEGMENTS_PER_ACK: f64 = 2.0;

impl PacketModel {
    /// Packets one connection moving `request_bytes` out and `response_bytes` in puts through a
    /// device, both directions together. A connection that moves no bytes costs no packets here:
    /// natsim charges packets through the bytes that flow.
    pub(crate) fn packets_per_connection(&self, request_bytes: f64, response_bytes: f64) -> f64 {
        match *self {
            PacketModel::Tcp { mss_bytes } => {
                let transfer = |bytes: f64| {
                    let segments = (bytes.max(0.0) / mss_bytes).ceil();
                    segments + (segments / TCP_SEGMENTS_PER_ACK).ceil()
                };
                let handshakes = if request_bytes + response_bytes > 0.0 {
                    TCP_OPEN_PACKETS + TCP_CLOSE_PACKETS
                } else {
                    0.0
                };
                transfer(request_bytes) + transfer(response_bytes) + handshakes
            }
            PacketModel::Udp { datagram_bytes } => {
                (request_bytes.max(0.0) + response_bytes.max(0.0)) / datagram_bytes
            }
        }
    }

    /// Packets charged per payload byte for a class whose connections move these mean sizes:
    /// a connection's packets spread evenly over its bytes, so a link charges them as the bytes
    /// flow. Sizes are means, so segments are counted at the mean size (assumed; a distribution
    /// with many small transfers has a few more partly filled segments). 0 when nothing moves.
    pub(crate) fn packets_per_byte(
        &self,
        mean_request_bytes: f64,
        mean_response_bytes: f64,
    ) -> f64 {
        let bytes = mean_request_bytes.max(0.0) + mean_response_bytes.max(0.0);
        if bytes <= 0.0 {
            return 0.0;
        }
        self.packets_per_connection(mean_request_bytes, mean_response_bytes) / bytes
    }
}

/// Shares a device's packets-per-second allowance (both directions together, as AWS counts it)
/// between its two links, given the packet rate each would carry were packets unlimited. While
/// the two demands fit, each link may use all the other leaves; beyond that each gets a share in
/// proportion to its demand, as a shaper that drops without regard to direction would leave it.
#[inline]
pub(crate) fn split_packet_allowance(allowance_pps: f64, demand_pps: [f64; 2]) -> [f64; 2] {
    let [a, b] = demand_pps;
    if a + b <= allowance_pps {
        return [allowance_pps - b, allowance_pps - a];
    }
    let share = allowance_pps / (a + b);
    [a * share, b * share]
}

/// What a flow needs to remember to settle its accounts when it ends.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct FlowMark {
    pub(crate) class: u32,
    pub(crate) size_bytes: f64,
    /// Class delivered-clock reading when the flow started.
    pub(crate) delivered_at_start: f64,
    pub(crate) sent_at_start: f64,
}

/// Bytes a flow sent and got through, read when it finishes or when the run ends.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub(crate) struct FlowProgress {
    pub(crate) sent_bytes: f64,
    pub(crate) delivered_bytes: f64,
}

/// Which constraint sets the link's capacity now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Limit {
    Bandwidth,
    PacketsPerSecond,
}

/// One direction of one device.
#[derive(Debug, Clone)]
pub(crate) struct Link {
    classes: Vec<ClassState>,
    /// Class indices by ascending cap, for water-filling.
    by_cap: Vec<usize>,
    bandwidth_bytes_per_s: f64,
    /// This link's part of its device's packets-per-second allowance (set by the owner).
    packet_allowance: f64,
    /// Packets per second its flows would carry were packets unlimited (bandwidth-bound rates).
    packet_demand: f64,
    last_update: Nanos,
    active_flows: u32,
    /// A class outside which every class is idle, with no tag: set when a flow starts on an
    /// idle link, dropped ([`NO_CLASS`]) when one of another class joins it. The passes over
    /// the classes in `advance_busy` and `take_finished` look at it alone, which is what they
    /// do anyway with the others idle: the common case of one flow at a time.
    sole: u32,
    delivered_rate: f64,
    sent_rate: f64,
    packet_rate: f64,
    limit: Limit,
    totals: LinkTotals,
    /// When the next flow finishes at current rates ([`NEVER`] for none); refreshed whenever
    /// rates change.
    next_completion: Nanos,
}

/// Cumulative, time-based byte and packet counts since time 0.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct LinkTotals {
    pub(crate) sent_bytes: f64,
    pub(crate) delivered_bytes: f64,
    pub(crate) delivered_packets: f64,
    pub(crate) dropped_packets: f64,
}

#[derive(Debug, Clone)]
struct ClassState {
    spec: ClassSpec,
    active: u32,
    /// Bytes per flow sent so far (the progress clock finish tags are set against).
    sent_clock: f64,
    /// Bytes per flow delivered so far.
    delivered_clock: f64,
    sent_rate: f64,
    delivered_rate: f64,
    finish: BinaryHeap<Reverse<FinishTag>>,
    /// The tag of the class's only pending flow, kept out of `finish`: a class's flows are
    /// nearly always alone, and a slot costs none of a heap's push, peek and clear. `Some` only
    /// while `finish` is empty (so the class has exactly one running flow); a second flow
    /// moves it into the heap, which then serves until the class is idle again.
    lone: Option<FinishTag>,
    /// Tags of flows removed before they finished, still somewhere in `finish` (lazy deletion:
    /// a binary heap cannot remove from its middle). Never the heap's head: `prune` pops them as
    /// they surface. Empty but for client outages, so the hot path only checks `is_empty`; a
    /// hash set, so an outage that cuts thousands of flows costs O(1) per surfacing tag.
    removed: HashSet<(u64, FlowId)>,
    delivered_bytes_total: f64,
    dropped_packets_total: f64,
}

impl ClassState {
    /// The earliest pending tag: the lone slot's, else the heap's head.
    #[inline]
    fn head(&self) -> Option<FinishTag> {
        match self.lone {
            Some(tag) => Some(tag),
            None => self.finish.peek().map(|Reverse(tag)| *tag),
        }
    }

    /// What a flow of this class that just finished moved, from its mark.
    #[inline(always)]
    fn finished_progress(&self, mark: &FlowMark) -> FlowProgress {
        if self.spec.elastic {
            // An elastic flow ends when all its bytes are through: its size, without reading
            // the clocks (which may disagree by a rounding error that must not read as loss).
            return FlowProgress {
                sent_bytes: mark.size_bytes,
                delivered_bytes: mark.size_bytes,
            };
        }
        let delivered_bytes = self.delivered_clock - mark.delivered_at_start;
        // An inelastic flow that was never short of capacity delivered it all; within a
        // millionth of a byte per byte is rounding, not loss.
        let short = mark.size_bytes - delivered_bytes;
        let delivered_bytes = if short <= mark.size_bytes * 1e-9 {
            mark.size_bytes
        } else {
            delivered_bytes.min(mark.size_bytes)
        };
        FlowProgress {
            sent_bytes: mark.size_bytes,
            delivered_bytes,
        }
    }

    /// Pops removed flows off the head of `finish`, so the head is always a running flow.
    fn prune(&mut self) {
        while let Some(Reverse(head)) = self.finish.peek() {
            if !self.removed.remove(&head.key()) {
                break;
            }
            self.finish.pop();
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct FinishTag {
    tag: f64,
    flow: FlowId,
}
impl FinishTag {
    /// The tag as a hashable key (the bits of an exact sum, see `Link::remove`).
    fn key(&self) -> (u64, FlowId) {
        (self.tag.to_bits(), self.flow)
    }
}
impl PartialEq for FinishTag {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for FinishTag {}
impl PartialOrd for FinishTag {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for FinishTag {
    fn cmp(&self, other: &Self) -> Ordering {
        self.tag
            .total_cmp(&other.tag)
            .then(self.flow.cmp(&other.flow))
    }
}

/// [`Link`]'s `sole` when flows of more than one class may run: past any class's index, so
/// that `classes.get_mut(sole)` both tests for a sole class and finds it.
const NO_CLASS: u32 = u32::MAX;

/// Finish tags within this many bytes of the clock count as finished: float rounding must not
/// leave a flow a fraction of a byte short, waking the engine again a nanosecond later forever.
const FINISH_SLACK_BYTES: f64 = 1e-3;

impl Link {
    /// A link of `bandwidth_bps` that may carry `packet_allowance_pps` packets per second.
    pub(crate) fn new(
        classes: &[ClassSpec],
        bandwidth_bps: f64,
        packet_allowance_pps: f64,
    ) -> Self {
        let mut by_cap: Vec<usize> = (0..classes.len()).collect();
        by_cap.sort_by(|&a, &b| {
            classes[a]
                .cap_bytes_per_s
                .total_cmp(&classes[b].cap_bytes_per_s)
        });
        Link {
            classes: classes
                .iter()
                .map(|&spec| ClassState {
                    spec,
                    active: 0,
                    sent_clock: 0.0,
                    delivered_clock: 0.0,
                    sent_rate: 0.0,
                    delivered_rate: 0.0,
                    finish: BinaryHeap::new(),
                    lone: None,
                    removed: HashSet::new(),
                    delivered_bytes_total: 0.0,
                    dropped_packets_total: 0.0,
                })
                .collect(),
            by_cap,
            bandwidth_bytes_per_s: bandwidth_bps / 8.0,
            packet_allowance: packet_allowance_pps,
            packet_demand: 0.0,
            last_update: 0,
            active_flows: 0,
            sole: NO_CLASS,
            delivered_rate: 0.0,
            sent_rate: 0.0,
            packet_rate: 0.0,
            limit: Limit::Bandwidth,
            totals: LinkTotals::default(),
            next_completion: NEVER,
        }
    }

    /// Starts a flow of `size_bytes` (> 0) in `class` at `now`.
    #[inline(always)]
    pub(crate) fn add(
        &mut self,
        now: Nanos,
        class: u32,
        flow: FlowId,
        size_bytes: f64,
    ) -> FlowMark {
        self.advance(now);
        // An idle link's classes are all idle, and hold no tag (a removed one never outlives
        // its class's last running flow).
        debug_assert!(
            self.active_flows > 0
                || self
                    .classes
                    .iter()
                    .all(|s| s.active == 0 && s.finish.is_empty() && s.lone.is_none())
        );
        // One borrow of the class throughout (the link's own fields are disjoint from it), so
        // that the lone case below does not look the class up again.
        let state = &mut self.classes[class as usize];
        let tag = FinishTag {
            tag: state.sent_clock + size_bytes,
            flow,
        };
        if state.active == 0 {
            // An idle class holds no tag (a removed one never outlives its last running flow).
            debug_assert!(state.lone.is_none() && state.finish.is_empty());
            state.lone = Some(tag);
        } else {
            if let Some(lone) = state.lone.take() {
                state.finish.push(Reverse(lone));
            }
            state.finish.push(Reverse(tag));
        }
        state.active += 1;
        self.active_flows += 1;
        if self.active_flows == 1 {
            self.sole = class;
        } else if self.sole != class {
            self.sole = NO_CLASS;
        }
        let mark = FlowMark {
            class,
            size_bytes,
            delivered_at_start: state.delivered_clock,
            sent_at_start: state.sent_clock,
        };
        if self.active_flows == 1 {
            // `recompute` for the link's only flow, the common case by far (a flow with its
            // link to itself): the same arithmetic, expression for expression, without the
            // passes over the classes, which would skip every other one (idle, with no tag).
            // The packet-bound case goes the general way.
            let (delivered, sent, packets, completion) =
                Self::alone(state, self.bandwidth_bytes_per_s, tag.tag, self.last_update);
            self.delivered_rate = delivered;
            self.sent_rate = sent;
            self.packet_rate = packets;
            self.limit = Limit::Bandwidth;
            self.packet_demand = self.packet_rate;
            if self.packet_demand > self.packet_allowance {
                self.recompute();
            } else {
                self.next_completion = completion;
            }
        } else {
            self.recompute();
        }
        mark
    }

    /// The rates `recompute` gives a link whose only flow is the one just added to `state`
    /// (with finish tag `tag`), were its packets unlimited: the class's per-flow rates, set
    /// in place, then the link's delivered, sent and packet rates and its next completion.
    #[inline(always)]
    fn alone(
        state: &mut ClassState,
        bandwidth_bytes_per_s: f64,
        tag: f64,
        last_update: Nanos,
    ) -> (f64, f64, f64, Nanos) {
        // The flow just added found its class idle, so its tag, `tag`, is in the lone slot.
        debug_assert!(state.finish.is_empty());
        debug_assert_eq!(state.lone.map(|head| head.tag), Some(tag));
        let spec = state.spec;
        // `water_level(bandwidth, 1.0, |_| 1.0)`: one class, one flow.
        let fair = bandwidth_bytes_per_s.max(0.0) / 1.0;
        // `set_rates(level)` at the level `water_level` finds (infinite when the cap fits under
        // the fair share, else the fair share): `cap.min(level)` is then the cap or the fair
        // share, whichever the comparison chose (a NaN cap fails it and gets the share, as
        // `min` gives), without `min`'s NaN handling.
        state.delivered_rate = if spec.cap_bytes_per_s <= fair {
            spec.cap_bytes_per_s
        } else {
            fair
        };
        state.sent_rate = if spec.elastic {
            state.delivered_rate
        } else {
            spec.cap_bytes_per_s
        };
        // The sums over the classes `set_rates` forms, for one class of one flow: `x * 1.0` is
        // `x`, exactly, so the count drops out; the `0.0 +` stays (it turns a −0 into a +0).
        debug_assert_eq!(state.active, 1);
        let delivered = 0.0 + state.delivered_rate;
        let sent = 0.0 + state.sent_rate;
        let packets = 0.0 + state.delivered_rate * spec.packets_per_byte;
        // `refresh_next_completion()`: only this class has a head. Skipped where
        // refresh_next_completion skips: a rate at or below zero.
        let completion = if state.sent_rate > 0.0 || state.sent_rate.is_nan() {
            let seconds = at_least_zero(tag - state.sent_clock) / state.sent_rate;
            last_update.saturating_add(crate::util::units::seconds_to_ns_ceil(seconds))
        } else {
            NEVER
        };
        (delivered, sent, packets, completion)
    }

    /// When the next flow finishes at current rates, if any.
    #[cfg(test)]
    pub(crate) fn next_completion(&self) -> Option<Nanos> {
        (self.next_completion != NEVER).then_some(self.next_completion)
    }

    /// [`Link::next_completion`] as a plain instant, [`NEVER`] for none (a deadline rounded to
    /// `Nanos::MAX` reads as none too: nothing runs that late).
    #[inline]
    pub(crate) fn next_completion_at(&self) -> Nanos {
        self.next_completion
    }

    /// Recomputes the cached next completion from the clocks at `last_update`. O(K).
    fn refresh_next_completion(&mut self) {
        let mut earliest = NEVER;
        for state in &self.classes {
            let Some(head) = state.head() else {
                continue;
            };
            if state.sent_rate <= 0.0 {
                continue;
            }
            let seconds = at_least_zero(head.tag - state.sent_clock) / state.sent_rate;
            let at = self
                .last_update
                .saturating_add(crate::util::units::seconds_to_ns_ceil(seconds));
            earliest = earliest.min(at);
        }
        self.next_completion = earliest;
    }

    /// Advances to `now` and hands every finished flow, with its final progress, to `on_finished`.
    /// Always inlined (into the gateway's deadline): −4.2 M instructions on benchmark (a) once the
    /// handlers around it had shrunk (+4.5 M before; docs/benchmarks.md).
    #[inline(always)]
    pub(crate) fn take_finished(
        &mut self,
        now: Nanos,
        marks: impl Fn(FlowId) -> FlowMark,
        mut on_finished: impl FnMut(FlowId, FlowProgress),
    ) {
        self.advance(now);
        let sole = self.sole as usize;
        // As in `advance_busy`: one look-up tests for a sole class and finds it.
        let finished = match self.classes.get_mut(sole) {
            // The other classes are idle and hold no tag: nothing of theirs to look at.
            Some(state) => Self::take_finished_in(sole, state, &marks, &mut on_finished),
            None => {
                let mut finished = 0;
                for (class, state) in self.classes.iter_mut().enumerate() {
                    finished += Self::take_finished_in(class, state, &marks, &mut on_finished);
                }
                finished
            }
        };
        self.active_flows -= finished;
        if finished > 0 {
            self.recompute();
        } else {
            // Nothing finished (a credit deadline, or rounding left a flow a hair short): the
            // clocks moved, so the cached instant must be recomputed from them.
            self.refresh_next_completion();
        }
    }

    /// [`Link::take_finished`] for one class: hands over its finished flows, in tag order, and
    /// returns how many.
    #[inline(always)]
    fn take_finished_in(
        class: usize,
        state: &mut ClassState,
        marks: &impl Fn(FlowId) -> FlowMark,
        on_finished: &mut impl FnMut(FlowId, FlowProgress),
    ) -> u32 {
        if let Some(head) = state.lone {
            // The class's only flow (and no tag in the heap).
            if head.tag <= state.sent_clock + FINISH_SLACK_BYTES {
                state.lone = None;
                state.active -= 1;
                let mark = marks(head.flow);
                debug_assert_eq!(mark.class as usize, class, "a flow's mark names its class");
                on_finished(head.flow, state.finished_progress(&mark));
                return 1;
            }
            return 0;
        }
        let mut finished = 0;
        while let Some(Reverse(head)) = state.finish.peek() {
            let due = head.tag <= state.sent_clock + FINISH_SLACK_BYTES;
            if !due {
                break;
            }
            let flow = head.flow;
            if state.finish.len() == 1 {
                // The lone flow's tag (the common case): no sift, no out-of-line call.
                state.finish.clear();
            } else {
                state.finish.pop();
            }
            state.active -= 1;
            finished += 1;
            let mark = marks(flow);
            debug_assert_eq!(mark.class as usize, class, "a flow's mark names its class");
            on_finished(flow, state.finished_progress(&mark));
            if !state.removed.is_empty() {
                state.prune();
            }
        }
        finished
    }

    /// Removes every flow at `now` (the device under them failed), handing each one's progress
    /// so far to `on_cleared`.
    pub(crate) fn clear(
        &mut self,
        now: Nanos,
        marks: impl Fn(FlowId) -> FlowMark,
        mut on_cleared: impl FnMut(FlowId, FlowProgress),
    ) {
        self.advance(now);
        let mut flows = Vec::new();
        for state in &mut self.classes {
            let removed = std::mem::take(&mut state.removed);
            flows.extend(state.lone.take());
            flows.extend(
                state
                    .finish
                    .drain()
                    .map(|Reverse(tag)| tag)
                    .filter(|tag| !removed.contains(&tag.key())),
            );
            state.active = 0;
        }
        self.active_flows = 0;
        // Drained heaps come out in no particular order; sort so runs stay deterministic.
        flows.sort();
        for tag in flows {
            let mark = marks(tag.flow);
            on_cleared(tag.flow, self.progress(&mark));
        }
        self.recompute();
    }

    /// Removes a running flow at `now` before it finishes (its client went away) and returns what
    /// it sent and got through. The others speed up at once. O(log n) now, plus one heap pop when
    /// its tag surfaces.
    pub(crate) fn remove(&mut self, now: Nanos, flow: FlowId, mark: &FlowMark) -> FlowProgress {
        self.advance(now);
        let progress = self.progress(mark);
        let state = &mut self.classes[mark.class as usize];
        // The same sum `add` computed, so the same bits: the tag is found exactly.
        let tag = FinishTag {
            tag: mark.sent_at_start + mark.size_bytes,
            flow,
        };
        if state.lone.is_some_and(|lone| lone.key() == tag.key()) {
            // The class's only flow: nothing left in a heap to delete lazily.
            state.lone = None;
        } else {
            state.removed.insert(tag.key());
        }
        state.active -= 1;
        self.active_flows -= 1;
        state.prune();
        self.recompute();
        progress
    }

    /// Progress of a flow still running (for the end-of-run account of bytes in flight). Call
    /// after `advance`.
    pub(crate) fn progress(&self, mark: &FlowMark) -> FlowProgress {
        let state = &self.classes[mark.class as usize];
        FlowProgress {
            sent_bytes: state.sent_clock - mark.sent_at_start,
            delivered_bytes: state.delivered_clock - mark.delivered_at_start,
        }
    }

    /// Changes the link's capacity at `now` (a failure, a recovery).
    pub(crate) fn set_capacity(
        &mut self,
        now: Nanos,
        bandwidth_bps: f64,
        packet_allowance_pps: f64,
    ) {
        self.advance(now);
        self.bandwidth_bytes_per_s = bandwidth_bps.max(0.0) / 8.0;
        self.packet_allowance = packet_allowance_pps.max(0.0);
        self.recompute();
    }

    /// Changes the link's bandwidth at `now` (scaling, credits running out or coming back).
    pub(crate) fn set_bandwidth(&mut self, now: Nanos, bandwidth_bps: f64) {
        self.advance(now);
        self.bandwidth_bytes_per_s = bandwidth_bps.max(0.0) / 8.0;
        self.recompute();
    }

    /// Changes the link's part of its device's packet allowance at `now`; returns whether rates
    /// changed. Rates depend on the allowance only when it binds, before or after, so a rebalance
    /// that leaves a bandwidth-bound link bandwidth-bound costs nothing (the common case: the
    /// owner rebalances after every event).
    #[inline]
    pub(crate) fn set_packet_allowance(&mut self, now: Nanos, packet_allowance_pps: f64) -> bool {
        let allowance = packet_allowance_pps.max(0.0);
        if allowance == self.packet_allowance {
            return false;
        }
        let binds = |limit: f64| self.packet_demand > limit;
        let rates_change = binds(self.packet_allowance) || binds(allowance);
        if rates_change {
            self.advance(now);
        }
        self.packet_allowance = allowance;
        if rates_change {
            self.recompute();
        }
        rates_change
    }

    /// Packets per second this link's flows would carry were packets unlimited.
    #[inline]
    pub(crate) fn packet_demand(&self) -> f64 {
        self.packet_demand
    }

    pub(crate) fn packet_allowance(&self) -> f64 {
        self.packet_allowance
    }

    /// Moves every clock and total forward to `now` at the current rates.
    #[inline]
    pub(crate) fn advance(&mut self, now: Nanos) {
        if now <= self.last_update {
            return;
        }
        if self.active_flows == 0 {
            // Nothing moves: only the clock's reading changes.
            self.last_update = now;
            return;
        }
        self.advance_busy(now);
    }

    /// [`Link::advance`] over a gap in which flows ran.
    fn advance_busy(&mut self, now: Nanos) {
        // Both instants handled by the engine: a span within the run.
        let dt = span_to_seconds(now - self.last_update);
        self.last_update = now;
        // One look-up both tests for a sole class and finds it (`NO_CLASS` is past any index),
        // with no bounds-check panic left to keep a frame for.
        match self.classes.get_mut(self.sole as usize) {
            // The other classes are idle: the pass below would skip them.
            Some(state) => Self::advance_class(state, &mut self.totals, dt),
            None => {
                for state in &mut self.classes {
                    Self::advance_class(state, &mut self.totals, dt);
                }
            }
        }
        self.totals.sent_bytes += self.sent_rate * dt;
        self.totals.delivered_bytes += self.delivered_rate * dt;
    }

    /// [`Link::advance_busy`] for one class, over `dt` seconds; an idle class stays as it is.
    #[inline(always)]
    fn advance_class(state: &mut ClassState, totals: &mut LinkTotals, dt: f64) {
        if state.active == 0 {
            return;
        }
        state.sent_clock += state.sent_rate * dt;
        state.delivered_clock += state.delivered_rate * dt;
        let delivered = state.delivered_rate * state.active as f64 * dt;
        state.delivered_bytes_total += delivered;
        let lost_rate = state.sent_rate - state.delivered_rate;
        // Nothing lost (every elastic class, and UDP below its share) adds a zero to totals
        // that are never −0: skipped, the same bits.
        if lost_rate != 0.0 {
            let lost = lost_rate * state.active as f64 * dt;
            let dropped_packets = lost * state.spec.packets_per_byte;
            state.dropped_packets_total += dropped_packets;
            totals.dropped_packets += dropped_packets;
        }
        totals.delivered_packets += delivered * state.spec.packets_per_byte;
    }

    pub(crate) fn totals(&self) -> LinkTotals {
        self.totals
    }

    /// Bytes delivered so far for one class (time-based), for per-workload billing.
    pub(crate) fn class_delivered_bytes(&self, class: u32) -> f64 {
        self.classes[class as usize].delivered_bytes_total
    }

    /// Packets dropped so far for one class (time-based), for per-workload figures.
    pub(crate) fn class_dropped_packets(&self, class: u32) -> f64 {
        self.classes[class as usize].dropped_packets_total
    }

    /// Current configured bandwidth, bits per second.
    pub(crate) fn bandwidth_bps(&self) -> f64 {
        self.bandwidth_bytes_per_s * 8.0
    }

    /// Total delivered rate now, bits per second.
    pub(crate) fn delivered_bps(&self) -> f64 {
        self.delivered_rate * 8.0
    }

    #[inline]
    pub(crate) fn packet_rate(&self) -> f64 {
        self.packet_rate
    }

    #[cfg(test)]
    pub(crate) fn active_flows(&self) -> u32 {
        self.active_flows
    }

    #[cfg(test)]
    pub(crate) fn limit(&self) -> Limit {
        self.limit
    }

    /// Max-min fair water-filling over the classes: classes whose cap is below the fair share
    /// get their cap, the rest share what is left equally. The level is the bandwidth's, or the
    /// packet allowance's when the flows would exceed it at the bandwidth's level. O(K).
    #[inline]
    fn recompute(&mut self) {
        if self.active_flows == 0 {
            // What the general case below finds for an idle link, without the passes: every
            // sum empty, and no finish tag left (a removed tag never stays at a heap's head,
            // so an idle class's heap is empty). Half of all recomputes, at every last flow's
            // end.
            self.limit = Limit::Bandwidth;
            (self.delivered_rate, self.sent_rate, self.packet_rate) = (0.0, 0.0, 0.0);
            self.packet_demand = 0.0;
            self.next_completion = NEVER;
            return;
        }
        self.recompute_busy();
    }

    /// [`Link::recompute`] with flows running: apart, so that the idle case, inlined, does not
    /// pay for this one's registers.
    #[inline(never)]
    fn recompute_busy(&mut self) {
        let flows = self.active_flows as f64;
        let bandwidth_level = self.water_level(self.bandwidth_bytes_per_s, flows, |_| 1.0);
        self.limit = Limit::Bandwidth;
        self.set_rates(bandwidth_level);
        // At the bandwidth's level the packet rate is the demand; only beyond the allowance does
        // the packet level (the lower one then) set the rates.
        self.packet_demand = self.packet_rate;
        if self.packet_demand > self.packet_allowance {
            let weight: f64 = self
                .classes
                .iter()
                .map(|s| s.active as f64 * s.spec.packets_per_byte)
                .sum();
            let level =
                self.water_level(self.packet_allowance, weight, |spec| spec.packets_per_byte);
            self.limit = Limit::PacketsPerSecond;
            self.set_rates(level);
        }
        self.refresh_next_completion();
    }

    /// Every active class at min(cap, `level`); the link's totals of rates follow.
    fn set_rates(&mut self, level: f64) {
        let (mut delivered, mut sent, mut packets) = (0.0, 0.0, 0.0);
        // Idle classes keep stale rates: nothing reads them until a flow arrives, and that
        // arrival recomputes.
        for state in self.classes.iter_mut().filter(|s| s.active > 0) {
            state.delivered_rate = state.spec.cap_bytes_per_s.min(level);
            state.sent_rate = if state.spec.elastic {
                state.delivered_rate
            } else {
                state.spec.cap_bytes_per_s
            };
            let n = state.active as f64;
            delivered += state.delivered_rate * n;
            sent += state.sent_rate * n;
            packets += state.delivered_rate * n * state.spec.packets_per_byte;
        }
        self.delivered_rate = delivered;
        self.sent_rate = sent;
        self.packet_rate = packets;
    }

    /// The per-flow rate at which the active flows, each at min(cap, level), use exactly
    /// `capacity` of a resource of which a flow of class c takes `weight(c)` per byte
    /// (`total_weight` over all active flows); infinite when every flow fits at its cap. Classes
    /// by ascending cap: each one whose cap fits under the fair share of what is left takes its
    /// cap. O(K).
    fn water_level(
        &self,
        capacity: f64,
        total_weight: f64,
        weight: impl Fn(&ClassSpec) -> f64,
    ) -> f64 {
        let mut remaining = capacity;
        let mut weight_left = total_weight;
        for &class in &self.by_cap {
            let state = &self.classes[class];
            if state.active == 0 {
                continue;
            }
            if weight_left <= 0.0 {
                // Only flows that use none of this resource are left: it does not hold them.
                break;
            }
            let fair = remaining.max(0.0) / weight_left;
            if state.spec.cap_bytes_per_s <= fair {
                let class_weight = state.active as f64 * weight(&state.spec);
                remaining -= state.spec.cap_bytes_per_s * class_weight;
                weight_left -= class_weight;
            } else {
                return fair;
            }
        }
        f64::INFINITY
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GBPS: f64 = 1e9;
    const S: Nanos = 1_000_000_000;

    fn tcp(cap_bps: f64) -> ClassSpec {
        ClassSpec {
            cap_bytes_per_s: cap_bps / 8.0,
            elastic: true,
            packets_per_byte: 1e-3,
        }
    }

    fn drain(link: &mut Link, marks: &[FlowMark]) -> Vec<(Nanos, FlowId, FlowProgress)> {
        let mut out = Vec::new();
        while let Some(at) = link.next_completion() {
            link.take_finished(
                at,
                |flow| marks[flow as usize],
                |flow, progress| out.push((at, flow, progress)),
            );
        }
        out
    }

    #[test]
    fn two_equal_flows_share_then_the_survivor_speeds_up() {
        // 1 Gbps link, flows of 125 MB and 250 MB (1 and 2 Gbit), no caps in the way.
        let mut link = Link::new(&[tcp(100.0 * GBPS)], GBPS, f64::INFINITY);
        let marks = vec![link.add(0, 0, 0, 125e6), link.add(0, 0, 1, 250e6)];
        let finished = drain(&mut link, &marks);
        // Both at 0.5 Gbps: the first finishes at 2 s; the second has 1 Gbit left at 1 Gbps: 3 s.
        assert_eq!(finished.len(), 2);
        assert!((finished[0].0 as f64 / S as f64 - 2.0).abs() < 1e-6);
        assert!((finished[1].0 as f64 / S as f64 - 3.0).abs() < 1e-6);
        assert!((link.totals().delivered_bytes - 375e6).abs() < 1.0);
    }

    #[test]
    fn a_removed_flow_frees_its_share_and_never_finishes() {
        // Three equal flows of 125 MB on 1 Gbps. Flow 1 (the middle tag) is removed at 1.5 s,
        // having moved 1/3 Gbit/s × 1.5 s = 62.5 MB; flows 0 and 2 then share 1 Gbps.
        let mut link = Link::new(&[tcp(100.0 * GBPS)], GBPS, f64::INFINITY);
        let marks = vec![
            link.add(0, 0, 0, 125e6),
            link.add(0, 0, 1, 250e6),
            link.add(0, 0, 2, 375e6),
        ];
        let removed = link.remove(3 * S / 2, 1, &marks[1]);
        assert!(
            (removed.delivered_bytes - 62.5e6).abs() < 1.0,
            "{removed:?}"
        );
        assert_eq!(link.active_flows(), 2);
        let finished = drain(&mut link, &marks);
        let flows: Vec<FlowId> = finished.iter().map(|f| f.1).collect();
        assert_eq!(flows, [0, 2], "the removed flow never reports");
        // Flow 0: 62.5 MB left at 0.5 Gbps, done at 2.5 s. Flow 2 then has 250 MB left, alone at
        // 1 Gbps: done at 4.5 s.
        assert!((finished[0].0 as f64 / S as f64 - 2.5).abs() < 1e-6);
        assert!((finished[1].0 as f64 / S as f64 - 4.5).abs() < 1e-6);
        assert!((link.totals().delivered_bytes - (500e6 + 62.5e6)).abs() < 1.0);
        assert!(link.next_completion().is_none());
        // Removed tags do not come back: a later flow and a clear see only the running ones.
        let late = link.add(5 * S, 0, 3, 125e6);
        let removed_late = link.remove(5 * S, 3, &late);
        assert_eq!(removed_late.delivered_bytes, 0.0);
        assert!(link.next_completion().is_none());
        let again = link.add(5 * S, 0, 4, 125e6);
        let mut cleared = Vec::new();
        link.clear(5 * S, |_| again, |flow, _| cleared.push(flow));
        assert_eq!(cleared, [4]);
    }

    #[test]
    fn capped_class_leaves_the_rest_to_others() {
        // 1 Gbps; class 0 capped at 100 Mbps, class 1 uncapped: class 1 gets 900 Mbps.
        let mut link = Link::new(&[tcp(0.1 * GBPS), tcp(10.0 * GBPS)], GBPS, f64::INFINITY);
        link.add(0, 0, 0, 1e12);
        link.add(0, 1, 1, 1e12);
        link.advance(S);
        assert!((link.class_delivered_bytes(0) - 0.1e9 / 8.0).abs() < 1.0);
        assert!((link.class_delivered_bytes(1) - 0.9e9 / 8.0).abs() < 1.0);
    }

    #[test]
    fn udp_loses_what_exceeds_capacity() {
        let udp = ClassSpec {
            cap_bytes_per_s: 1e9 / 8.0,
            elastic: false,
            packets_per_byte: 1e-3,
        };
        let mut link = Link::new(&[udp], GBPS, f64::INFINITY);
        // Two 1 Gbps UDP flows of 1 s each on a 1 Gbps link: half of everything is lost.
        let marks = vec![link.add(0, 0, 0, 125e6), link.add(0, 0, 1, 125e6)];
        let finished = drain(&mut link, &marks);
        assert_eq!(finished.len(), 2);
        for (at, _, progress) in finished {
            assert!((at as f64 / S as f64 - 1.0).abs() < 1e-6);
            assert!((progress.delivered_bytes - 62.5e6).abs() < 1.0);
        }
        assert!((link.totals().dropped_packets - 125e3).abs() < 1e-3);
    }

    #[test]
    fn packet_rate_limit_binds_for_small_packets() {
        // 10 Gbps but only 100 kpps at 100-byte packets = 10 MB/s.
        let small = ClassSpec {
            cap_bytes_per_s: 1e12,
            elastic: true,
            packets_per_byte: 0.01,
        };
        let mut link = Link::new(&[small], 10.0 * GBPS, 100_000.0);
        link.add(0, 0, 0, 1e12);
        link.advance(S);
        assert_eq!(link.limit(), Limit::PacketsPerSecond);
        assert!((link.totals().delivered_bytes - 1e7).abs() < 1.0);
    }

    const MSS: f64 = 1448.0;

    fn bulk_tcp() -> ClassSpec {
        ClassSpec {
            cap_bytes_per_s: 5.0 * GBPS / 8.0,
            elastic: true,
            packets_per_byte: PacketModel::Tcp { mss_bytes: MSS }.packets_per_byte(1e9, 0.0),
        }
    }

    #[test]
    fn tcp_packets_are_segments_delayed_acks_and_the_handshake() {
        let tcp = PacketModel::Tcp { mss_bytes: MSS };
        // 10 full segments out, 5 ACKs back; a 1-byte response is 1 segment and its ACK; plus 3
        // to open and 4 to close.
        assert_eq!(
            tcp.packets_per_connection(10.0 * MSS, 1.0),
            10.0 + 5.0 + 2.0 + 7.0
        );
        // A tiny request/response: 1 + 1 each way, and the handshake dominates.
        assert_eq!(tcp.packets_per_connection(100.0, 100.0), 11.0);
        assert!((tcp.packets_per_byte(100.0, 100.0) - 11.0 / 200.0).abs() < 1e-15);
        // Bulk: 1.5 packets per segment, the handshake vanishes.
        let bulk = tcp.packets_per_byte(1e9, 0.0);
        assert!((bulk * MSS / 1.5 - 1.0).abs() < 1e-5, "{bulk}");
        // Nothing moves, nothing is charged.
        assert_eq!(tcp.packets_per_byte(0.0, 0.0), 0.0);
        let udp = PacketModel::Udp {
            datagram_bytes: 100.0,
        };
        assert_eq!(udp.packets_per_connection(1000.0, 500.0), 15.0);
        assert_eq!(udp.packets_per_byte(1000.0, 500.0), 0.01);
    }

    #[test]
    fn bulk_tcp_at_the_mss_is_bandwidth_bound() {
        // 5 Gbps of 1,448-byte segments and their ACKs: 431,630 + 215,815 packets per second,
        // inside a 1 Mpps allowance, so bandwidth is what binds.
        let mut link = Link::new(&[bulk_tcp()], 5.0 * GBPS, 1e6);
        link.add(0, 0, 0, 1e12);
        link.add(0, 0, 1, 1e12);
        assert_eq!(link.limit(), Limit::Bandwidth);
        assert!((link.delivered_bps() / (5.0 * GBPS) - 1.0).abs() < 1e-12);
        let expected_pps = 5.0 * GBPS / 8.0 / MSS * 1.5;
        assert!((link.packet_rate() / expected_pps - 1.0).abs() < 1e-5);
        assert_eq!(link.packet_demand(), link.packet_rate());
        link.advance(S);
        assert!((link.totals().delivered_packets / expected_pps - 1.0).abs() < 1e-5);
        // Below the demand the allowance binds and sets the byte rate: 500 kpps of the same
        // mix carry 500,000 / 1.5 segments of 1,448 bytes.
        assert!(link.set_packet_allowance(S, 5e5));
        assert_eq!(link.limit(), Limit::PacketsPerSecond);
        let bound_bps = 5e5 / 1.5 * MSS * 8.0;
        assert!((link.delivered_bps() / bound_bps - 1.0).abs() < 1e-5);
        assert!((link.packet_rate() - 5e5).abs() < 1e-6);
    }

    #[test]
    fn small_udp_datagrams_are_packet_bound_and_lose_the_excess() {
        // 64-byte datagrams at 1 Gbps offered on a 10 Gbps link with 1 Mpps: 64 MB/s get
        // through, the rest (61 MB/s) is dropped, 953,125 datagrams a second.
        let udp = ClassSpec {
            cap_bytes_per_s: GBPS / 8.0,
            elastic: false,
            packets_per_byte: PacketModel::Udp {
                datagram_bytes: 64.0,
            }
            .packets_per_byte(1.0, 0.0),
        };
        let mut link = Link::new(&[udp], 10.0 * GBPS, 1e6);
        link.add(0, 0, 0, 1e12);
        link.advance(S);
        assert_eq!(link.limit(), Limit::PacketsPerSecond);
        let totals = link.totals();
        assert!((totals.delivered_bytes - 64e6).abs() < 1.0);
        assert!((totals.delivered_packets - 1e6).abs() < 1e-3);
        assert!((totals.dropped_packets - (GBPS / 8.0 - 64e6) / 64.0).abs() < 1e-3);
    }

    #[test]
    fn packet_bound_classes_share_one_level_and_the_allowance_exactly() {
        // Bulk TCP and tiny request/response connections on one link with 200 kpps: both run at
        // one rate r, and r × (n_bulk × ppb_bulk + n_tiny × ppb_tiny) = 200,000.
        let tiny = ClassSpec {
            cap_bytes_per_s: 1e12,
            elastic: true,
            packets_per_byte: PacketModel::Tcp { mss_bytes: MSS }.packets_per_byte(100.0, 100.0),
        };
        let classes = [bulk_tcp(), tiny];
        let mut link = Link::new(&classes, 100.0 * GBPS, 2e5);
        link.add(0, 0, 0, 1e12);
        link.add(0, 1, 1, 1e12);
        link.add(0, 1, 2, 1e12);
        let rate = 2e5 / (classes[0].packets_per_byte + 2.0 * classes[1].packets_per_byte);
        assert!((link.delivered_bps() / 8.0 / (3.0 * rate) - 1.0).abs() < 1e-12);
        assert!((link.packet_rate() / 2e5 - 1.0).abs() < 1e-12);
    }

    #[test]
    fn one_allowance_is_shared_by_both_directions() {
        // While the demands fit, each link may use what the other leaves.
        assert_eq!(split_packet_allowance(1e6, [3e5, 2e5]), [8e5, 7e5]);
        assert_eq!(
            split_packet_allowance(f64::INFINITY, [3e5, 0.0])[0],
            f64::INFINITY
        );
        // Beyond it, shares in proportion to demand, adding up to the allowance.
        let [a, b] = split_packet_allowance(1e6, [1.5e6, 0.5e6]);
        assert!((a - 7.5e5).abs() < 1e-6 && (b - 2.5e5).abs() < 1e-6);
        // Bulk TCP out (its ACKs charged to it) next to small UDP in, on one 800 kpps device:
        // the ACKs count, so the upload gets 800k × 647k / (647k + 400k) packets a second.
        let udp_in = ClassSpec {
            cap_bytes_per_s: 400e3 * 100.0,
            elastic: false,
            packets_per_byte: 0.01,
        };
        let classes = [bulk_tcp(), udp_in];
        let (mut out, mut inbound) = (
            Link::new(&classes, 5.0 * GBPS, 8e5),
            Link::new(&classes, 5.0 * GBPS, 8e5),
        );
        out.add(0, 0, 0, 1e12);
        inbound.add(0, 1, 1, 1e12);
        let shares = split_packet_allowance(8e5, [out.packet_demand(), inbound.packet_demand()]);
        assert!(out.set_packet_allowance(0, shares[0]));
        assert!(inbound.set_packet_allowance(0, shares[1]));
        let bulk_demand = 5.0 * GBPS / 8.0 * classes[0].packets_per_byte;
        let expected_out_pps = 8e5 * bulk_demand / (bulk_demand + 4e5);
        assert!((out.packet_rate() / expected_out_pps - 1.0).abs() < 1e-9);
        assert!((out.packet_rate() + inbound.packet_rate() - 8e5).abs() < 1e-6);
        assert_eq!(out.limit(), Limit::PacketsPerSecond);
        // A rebalance that leaves a link bandwidth-bound does not touch its rates.
        let mut idle = Link::new(&classes, 5.0 * GBPS, 1e6);
        idle.add(0, 0, 0, 1e9);
        assert!(!idle.set_packet_allowance(0, 9e5));
        assert_eq!(idle.packet_allowance(), 9e5);
    }
}
