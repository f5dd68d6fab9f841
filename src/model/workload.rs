//! Turns workload descriptions into a stream of connection arrivals.
//!
//! Each workload draws from its own named random streams (arrivals, sizes, destinations, hold),
//! seeded independently of any device, so every candidate sees the same arrivals: differences
//! between candidates are the devices', not noise (common random numbers).
//!
//! A replayed workload (`flow_logs`) takes its arrivals from a recorded trace instead
//! ([`Replay`], parsed and validated in `io::scenario`; this module reads no file): each recorded
//! connection arrives at its recorded time with its recorded bytes and destination, and
//! `flow_logs_scale` adds independent copies drawn from the workload's own `replay` stream. The
//! trace is shared by every run (behind an `Arc`, on disk for flow logs) and each run walks it
//! with its own reader, holding about a second of pending copies.

use crate::engine::{Nanos, Streams, rng::StreamRng};
use crate::model::exponential::Exponential;
use crate::model::scenario::{Dist, Recorded, RecordedReader, Replay, Workload};
use crate::model::zipf::Zipf;
use crate::util::units::{NS_PER_S, seconds_to_ns};
use rand::RngExt;
use rand_distr::{Distribution, LogNormal, Pareto};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::sync::Arc;

/// One connection as the workload asks for it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Arrival {
    pub(crate) class: u32,
    /// Global destination index (workloads own disjoint ranges).
    pub(crate) destination: u32,
    pub(crate) request_bytes: f64,
    pub(crate) response_bytes: f64,
    pub(crate) hold_ns: Nanos,
    /// Bound for S3 or DynamoDB in the region (a gateway endpoint could carry it).
    pub(crate) aws_service: bool,
    /// Bound for another AWS service: its index in the workload's `aws_services` (an interface
    /// endpoint could carry it).
    pub(crate) interface_service: Option<u16>,
    /// Bound for the internet over IPv6 (an egress-only internet gateway could carry it).
    pub(crate) ipv6: bool,
}

/// A sampler for a [`Dist`], built once so drawing is cheap.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Sampler {
    Constant(f64),
    Exponential(Exponential),
    LogNormal(LogNormal<f64>),
    Pareto(Pareto<f64>),
}

impl Sampler {
    /// Builds a sampler; the distribution's parameters were validated by the scenario parser,
    /// and anything degenerate falls back to the constant mean rather than failing.
    pub(crate) fn new(dist: Dist) -> Self {
        let constant = Sampler::Constant(dist.mean().max(0.0));
        if dist.mean() <= 0.0 {
            return constant;
        }
        match dist {
            Dist::Constant(value) => Sampler::Constant(value),
            Dist::Exponential { mean } => Exponential::new(1.0 / mean)
                .map(Sampler::Exponential)
                .unwrap_or(constant),
            Dist::LogNormal { mean, cv } => {
                // For a lognormal, cv² = exp(σ²) − 1 and mean = exp(μ + σ²/2).
                let sigma2 = (1.0 + cv * cv).ln();
                LogNormal::new(mean.ln() - sigma2 / 2.0, sigma2.sqrt())
                    .map(Sampler::LogNormal)
                    .unwrap_or(constant)
            }
            Dist::Pareto { mean, shape } => Pareto::new(mean * (shape - 1.0) / shape, shape)
                .map(Sampler::Pareto)
                .unwrap_or(constant),
        }
    }

    // Always: LLVM's choice flips with unrelated changes elsewhere in the crate (merging issue
    // 14's routes moved it out of `Generator::draw`, 36 M instructions on benchmark (a)).
    #[inline(always)]
    pub(crate) fn sample(&self, rng: &mut StreamRng) -> f64 {
        // The usual hold first, on its own: one comparison instead of the match's jump table.
        if let Sampler::Exponential(d) = self {
            return d.sample(rng);
        }
        match self {
            Sampler::Constant(value) => *value,
            Sampler::Exponential(d) => d.sample(rng),
            Sampler::LogNormal(d) => d.sample(rng),
            Sampler::Pareto(d) => d.sample(rng),
        }
    }
}

/// Arrival generator for all workloads of a scenario.
#[derive(Debug)]
pub(crate) struct Generator {
    classes: Vec<ClassGenerator>,
    destination_count: usize,
}

#[derive(Debug)]
struct ClassGenerator {
    arrivals: StreamRng,
    sizes: StreamRng,
    destinations: StreamRng,
    holds: StreamRng,
    endpoint: StreamRng,
    endpoint_share: f64,
    /// Where a connection that is not bound for S3/DynamoDB goes: an AWS service, IPv6 or IPv4
    /// (`route`, a stream of its own so that workloads without these shares draw as before).
    route: Route,
    /// Interarrival times at the peak of the profile; thinning brings them down to the hour's rate.
    interarrival_at_peak: Exponential,
    /// Profile multipliers divided by their maximum (acceptance probabilities), empty when flat.
    acceptance: Vec<f64>,
    request: Sampler,
    response: Sampler,
    /// Whether both sizes are constant: `draw` then takes `constant_size_values` (each already
    /// `max(0.0)`, as `draw` takes a drawn size) instead of the two samplers, which draw no
    /// random number for a constant either.
    constant_sizes: bool,
    constant_size_values: (f64, f64),
    hold: Sampler,
    zipf: Option<Zipf>,
    /// Whether every connection goes to the workload's one destination over IPv4 internet: no
    /// Zipf, no S3/DynamoDB share, no AWS services nor IPv6 share. Then `draw` skips the
    /// destination, endpoint and route draws, none of which would draw a random number.
    fixed_route: bool,
    /// Whether every connection is alike but for its hold: drawn (not replayed), a flat
    /// profile, a fixed route and constant sizes. `Generator::arrive` then tests this one flag
    /// instead of those four.
    uniform: bool,
    first_destination: u32,
    /// A replayed workload's cursor over its trace (the Poisson fields above then go unused).
    replay: Option<ReplayCursor>,
}

impl Generator {
    pub(crate) fn new(workloads: &[Workload], streams: &Streams) -> Self {
        let mut first_destination = 0u32;
        let classes = workloads
            .iter()
            .enumerate()
            .map(|(index, w)| {
                let index = index as u64;
                let peak = w.profile.iter().cloned().fold(0.0, f64::max);
                let (peak_rate, acceptance) = if w.profile.is_empty() || peak <= 0.0 {
                    (w.rate_per_s, Vec::new())
                } else {
                    (
                        w.rate_per_s * peak,
                        w.profile.iter().map(|m| m / peak).collect(),
                    )
                };
                let (request, response) = (
                    Sampler::new(w.request_bytes),
                    Sampler::new(w.response_bytes),
                );
                let constant_sizes = match (request, response) {
                    (Sampler::Constant(request), Sampler::Constant(response)) => {
                        Some((request.max(0.0), response.max(0.0)))
                    }
                    _ => None,
                };
                let flat = acceptance.is_empty();
                let zipf = (w.destinations > 1)
                    .then(|| Zipf::new(w.destinations as f64, w.zipf_exponent))
                    .flatten();
                let route = Route::new(w, streams.stream("route", index));
                // `draw` takes the endpoint share only when it is above 0 (so not NaN either).
                let draws_endpoint = w.endpoint_share > 0.0;
                let fixed_route = zipf.is_none() && !draws_endpoint && !route.draws;
                let class = ClassGenerator {
                    arrivals: streams.stream("arrivals", index),
                    sizes: streams.stream("sizes", index),
                    destinations: streams.stream("destinations", index),
                    holds: streams.stream("hold", index),
                    endpoint: streams.stream("endpoint", index),
                    endpoint_share: w.endpoint_share,
                    route,
                    interarrival_at_peak: Exponential::new(peak_rate.max(1e-12))
                        .unwrap_or(Exponential::new(1.0).expect("1 is a valid rate")),
                    acceptance,
                    request,
                    response,
                    constant_sizes: constant_sizes.is_some(),
                    constant_size_values: constant_sizes.unwrap_or_default(),
                    hold: Sampler::new(w.hold_s),
                    zipf,
                    fixed_route,
                    uniform: w.replay.is_none() && flat && fixed_route && constant_sizes.is_some(),
                    first_destination,
                    replay: w
                        .replay
                        .as_ref()
                        .map(|trace| ReplayCursor::new(trace, streams.stream("replay", index))),
                };
                first_destination = first_destination.saturating_add(w.destinations);
                class
            })
            .collect();
        Generator {
            classes,
            destination_count: first_destination as usize,
        }
    }

    /// Total destinations over all workloads (size of a per-destination table).
    pub(crate) fn destination_count(&self) -> usize {
        self.destination_count
    }

    /// Time of the next arrival of `class` after `now`, or `None` past `horizon`.
    #[inline(always)]
    pub(crate) fn next_arrival(&mut self, class: u32, now: Nanos, horizon: Nanos) -> Option<Nanos> {
        self.classes[class as usize].next_arrival(now, horizon)
    }

    /// Draws what the arriving connection of `class` wants (after its `next_arrival`).
    pub(crate) fn draw(&mut self, class: u32) -> Arrival {
        self.classes[class as usize].draw(class)
    }

    /// A connection of `class` arriving at `now`: the time of the class's next arrival (`None`
    /// past `horizon`), then what this one wants. The same draws in the same order as
    /// taking the next arrival's time and then drawing this connection separately (a replay
    /// hands out an arrival's time before its connection), with the workload and its kind
    /// looked up once.
    #[inline(always)]
    pub(crate) fn arrive(
        &mut self,
        class: u32,
        now: Nanos,
        horizon: Nanos,
    ) -> (Option<Nanos>, Arrival) {
        let g = &mut self.classes[class as usize];
        if g.uniform {
            let next = g.next_poisson_arrival::<true>(now, horizon);
            return (next, g.draw_connection::<true>(class));
        }
        if g.replay.is_some() {
            let next = g.next_arrival(now, horizon);
            return (next, g.draw(class));
        }
        let next = g.next_poisson_arrival::<false>(now, horizon);
        (next, g.draw_connection::<false>(class))
    }
}

impl ClassGenerator {
    #[inline(always)]
    fn next_arrival(&mut self, now: Nanos, horizon: Nanos) -> Option<Nanos> {
        if let Some(replay) = &mut self.replay {
            return replay.next_arrival(now, horizon);
        }
        self.next_poisson_arrival::<false>(now, horizon)
    }

    /// The next arrival of a drawn (not replayed) workload: exponential gaps at the profile's
    /// peak rate, thinned to the hour's rate. `FLAT`: the caller knows the profile is flat.
    #[inline(always)]
    fn next_poisson_arrival<const FLAT: bool>(
        &mut self,
        now: Nanos,
        horizon: Nanos,
    ) -> Option<Nanos> {
        let mut t = now;
        loop {
            let gap_s = self.interarrival_at_peak.sample(&mut self.arrivals);
            // Beyond u64 is beyond the horizon too.
            t = match t.checked_add(seconds_to_ns(gap_s).max(1)) {
                Some(t) if t < horizon => t,
                _ => return None,
            };
            if FLAT || self.acceptance.is_empty() {
                return Some(t);
            }
            let hour = (t as f64 / (3600.0 * NS_PER_S)) as usize % self.acceptance.len();
            if self.arrivals.random::<f64>() < self.acceptance[hour] {
                return Some(t);
            }
        }
    }

    #[inline(always)]
    fn draw(&mut self, class: u32) -> Arrival {
        let Some(replay) = &mut self.replay else {
            return self.draw_connection::<false>(class);
        };
        let (recorded, destination) = replay.draw();
        let (interface_service, ipv6) = self.route.draw(recorded.aws_service);
        Arrival {
            class,
            destination: self.first_destination + destination,
            request_bytes: recorded.request_bytes,
            response_bytes: recorded.response_bytes,
            hold_ns: seconds_to_ns(self.hold.sample(&mut self.holds)),
            aws_service: recorded.aws_service,
            interface_service,
            ipv6,
        }
    }

    /// What a connection of a drawn (not replayed) workload wants. `UNIFORM`: the caller knows
    /// the workload is `uniform`.
    #[inline(always)]
    fn draw_connection<const UNIFORM: bool>(&mut self, class: u32) -> Arrival {
        let (offset, aws_service, interface_service, ipv6) = if UNIFORM || self.fixed_route {
            (0, false, None, false)
        } else {
            let offset = match &self.zipf {
                Some(zipf) => (zipf.sample(&mut self.destinations) as u32).saturating_sub(1),
                None => 0,
            };
            let aws_service =
                self.endpoint_share > 0.0 && self.endpoint.random::<f64>() < self.endpoint_share;
            let (interface_service, ipv6) = self.route.draw(aws_service);
            (offset, aws_service, interface_service, ipv6)
        };
        // The request's size is drawn before the response's, from the same stream.
        let (request_bytes, response_bytes) = if UNIFORM || self.constant_sizes {
            self.constant_size_values
        } else {
            (
                self.request.sample(&mut self.sizes).max(0.0),
                self.response.sample(&mut self.sizes).max(0.0),
            )
        };
        Arrival {
            class,
            destination: self.first_destination + offset,
            request_bytes,
            response_bytes,
            hold_ns: seconds_to_ns(self.hold.sample(&mut self.holds)),
            aws_service,
            interface_service,
            ipv6,
        }
    }
}

/// Where a workload's connection goes when it is not bound for S3/DynamoDB: to one of its AWS
/// services, or to the internet over IPv6 or IPv4. One uniform draw per such connection, from
/// the workload's own `route` stream, and none at all for a workload without `aws_services` or
/// `ipv6_share` (so its other streams, and every result, stay as they were).
#[derive(Debug, Clone)]
struct Route {
    rng: StreamRng,
    /// Cumulative probabilities of each AWS service given "not S3/DynamoDB": a service's share
    /// of all connections over 1 − `endpoint_share`, so that its share of all connections is
    /// what the workload says.
    services: Vec<f64>,
    ipv6_share: f64,
    /// Whether any connection can go elsewhere than IPv4 internet (one flag read per
    /// connection instead of two fields).
    draws: bool,
}

impl Route {
    fn new(w: &Workload, rng: StreamRng) -> Self {
        let rest = 1.0 - w.endpoint_share;
        let mut cumulative = 0.0;
        let services = w
            .aws_services
            .iter()
            .map(|s| {
                cumulative += if rest > 0.0 { s.share / rest } else { 0.0 };
                cumulative
            })
            .collect();
        Route {
            rng,
            draws: !w.aws_services.is_empty() || w.ipv6_share > 0.0,
            services,
            ipv6_share: w.ipv6_share,
        }
    }

    /// (AWS service, IPv6) for a connection; `s3` is whether it goes to S3/DynamoDB.
    fn draw(&mut self, s3: bool) -> (Option<u16>, bool) {
        if s3 || !self.draws {
            return (None, false);
        }
        let u = self.rng.random::<f64>();
        if let Some(index) = self.services.iter().position(|&c| u < c) {
            return (Some(index as u16), false);
        }
        // What is left is internet-bound: IPv6 with its share of that rest.
        let taken = self.services.last().copied().unwrap_or(0.0).min(1.0);
        let internet = 1.0 - taken;
        let ipv6 = internet > 0.0 && (u - taken) < self.ipv6_share * internet;
        (None, ipv6)
    }
}

/// A copy of a recorded connection, due at `at_ns`: ordered by time, then by the order in which
/// it was made (unique), so equal times leave in a fixed order.
#[derive(Debug, Clone, Copy)]
struct Instance {
    at_ns: Nanos,
    sequence: u64,
    recorded: Recorded,
    destination: u32,
}

impl Instance {
    fn order(&self) -> (Nanos, u64) {
        (self.at_ns, self.sequence)
    }
}

impl PartialEq for Instance {
    fn eq(&self, other: &Self) -> bool {
        self.order() == other.order()
    }
}

impl Eq for Instance {}

impl PartialOrd for Instance {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Instance {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.order().cmp(&other.order())
    }
}

/// One run's walk over a shared trace. Copies are made as the walk reaches their recorded
/// connection and wait in `pending` until due: a copy is at most a second late (its jitter), so
/// `pending` holds about a second of arrivals, whatever the trace's length.
struct ReplayCursor {
    trace: Arc<Replay>,
    reader: Box<dyn RecordedReader>,
    /// The next recorded connection to copy, read ahead; `None` once the walk is over.
    upcoming: Option<Recorded>,
    pending: BinaryHeap<Reverse<Instance>>,
    /// Handed out by `next_arrival`, not yet drawn (the simulation asks for the next arrival
    /// before it draws the current one).
    due: VecDeque<Instance>,
    sequence: u64,
    rng: StreamRng,
}

impl std::fmt::Debug for ReplayCursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReplayCursor")
            .field("trace", &self.trace)
            .field("upcoming", &self.upcoming)
            .field("pending", &self.pending.len())
            .field("sequence", &self.sequence)
            .finish()
    }
}

impl ReplayCursor {
    fn new(trace: &Arc<Replay>, rng: StreamRng) -> Self {
        let mut reader = trace.trace().reader();
        ReplayCursor {
            trace: Arc::clone(trace),
            upcoming: reader.next(),
            reader,
            pending: BinaryHeap::new(),
            due: VecDeque::new(),
            sequence: 0,
            rng,
        }
    }

    /// The next copy's time (at or after the last one's), or `None` once past `horizon`.
    fn next_arrival(&mut self, now: Nanos, horizon: Nanos) -> Option<Nanos> {
        while let Some(recorded) = self.upcoming
            && self
                .pending
                .peek()
                .is_none_or(|Reverse(c)| recorded.at_ns <= c.at_ns)
        {
            self.copy(recorded);
            self.upcoming = self.reader.next();
        }
        let Reverse(copy) = self.pending.pop()?;
        debug_assert!(copy.at_ns >= now, "replayed arrivals leave in time order");
        if copy.at_ns >= horizon {
            self.pending.clear();
            self.upcoming = None;
            return None;
        }
        self.due.push_back(copy);
        Some(copy.at_ns)
    }

    /// The recorded connection behind the arrival last handed out, and its destination.
    fn draw(&mut self) -> (Recorded, u32) {
        let copy = self
            .due
            .pop_front()
            .expect("the simulation draws only an arrival next_arrival handed out");
        (copy.recorded, copy.destination)
    }

    /// Makes the copies of `recorded`: ⌊scale⌋, plus one with probability scale − ⌊scale⌋.
    /// The first is the recorded connection itself (its time and destination); each further one
    /// arrives up to a second later (flow logs time connections to the second) and goes to the
    /// destination of a recorded connection drawn at random, so copies follow the trace's
    /// destination mix without repeating its exact 5-tuples.
    fn copy(&mut self, recorded: Recorded) {
        let scale = self.trace.scale();
        let whole = scale.floor();
        let extra = scale > whole && self.rng.random::<f64>() < scale - whole;
        let count = whole as u64 + u64::from(extra);
        for k in 0..count {
            let (at_ns, destination) = if k == 0 {
                (recorded.at_ns, recorded.destination)
            } else {
                let jitter_ns = (self.rng.random::<f64>() * NS_PER_S) as Nanos;
                let other = self.rng.random_range(0..self.trace.len());
                (
                    recorded.at_ns.saturating_add(jitter_ns),
                    self.trace.trace().destination(other),
                )
            };
            self.pending.push(Reverse(Instance {
                at_ns,
                sequence: self.sequence,
                recorded,
                destination,
            }));
            self.sequence += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::scenario::{Dropped, Protocol};

    /// A drawn workload turned into a replay of `trace` (times in seconds, destinations dense).
    fn replayed(trace: &[(u64, u32)], scale: f64) -> Workload {
        let connections = trace
            .iter()
            .map(|&(at_s, destination)| Recorded {
                at_ns: at_s * NS_PER_S as u64,
                request_bytes: 100.0 + at_s as f64,
                response_bytes: 1_000.0,
                destination,
                aws_service: false,
            })
            .collect();
        let destinations = trace.iter().map(|t| t.1 + 1).max().unwrap_or(1);
        let replay = Replay::new(connections, destinations, scale, Dropped::default());
        Workload {
            name: "replay".into(),
            az: "a".into(),
            clients: 1,
            rate_per_s: 1.0,
            profile: Vec::new(),
            request_bytes: Dist::Constant(1.0),
            response_bytes: Dist::Constant(1.0),
            rate_cap_bps: 5e9,
            hold_s: Dist::Constant(0.0),
            protocol: Protocol::Tcp,
            http: true,
            destinations: replay.destinations(),
            zipf_exponent: 1.0,
            packet_bytes: 1_448.0,
            mss_bytes: 1_448.0,
            endpoint_share: 0.0,
            aws_services: Vec::new(),
            ipv6_share: 0.0,
            allowlisted: false,
            client_instance_type: None,
            client_bps: None,
            replay: Some(Arc::new(replay)),
        }
    }

    /// Every arrival of class 0 before `horizon`, as the simulation takes them: the next time
    /// first, then the draw of the current one (`arrive`).
    fn arrivals(generator: &mut Generator, horizon: Nanos) -> Vec<(Nanos, Arrival)> {
        let mut out = Vec::new();
        let mut next = generator.next_arrival(0, 0, horizon);
        while let Some(now) = next {
            let (after, arrival) = generator.arrive(0, now, horizon);
            next = after;
            out.push((now, arrival));
        }
        out
    }

    #[test]
    fn arrive_draws_what_next_arrival_then_draw_do() {
        // A uniform workload (drawn, flat, one destination, constant sizes), and one with
        // every draw: a profile, Zipf destinations, lognormal responses, endpoint and IPv6
        // shares. `arrive` takes its own paths for both; the draws must be the same.
        let mut uniform = replayed(&[(0, 0)], 1.0);
        uniform.replay = None;
        uniform.rate_per_s = 200.0;
        uniform.request_bytes = Dist::Constant(1_000.0);
        uniform.response_bytes = Dist::Constant(4_000.0);
        uniform.hold_s = Dist::Exponential { mean: 60.0 };
        uniform.destinations = 1;
        let mut mixed = uniform.clone();
        mixed.profile = vec![1.0, 0.4];
        mixed.destinations = 50;
        mixed.response_bytes = Dist::LogNormal {
            mean: 200_000.0,
            cv: 2.0,
        };
        mixed.endpoint_share = 0.2;
        mixed.ipv6_share = 0.1;
        let horizon = 2 * 3_600 * NS_PER_S as u64;
        for (workload, is_uniform) in [(uniform, true), (mixed, false)] {
            let workloads = [workload];
            let mut together = Generator::new(&workloads, &Streams::new(3));
            let mut apart = Generator::new(&workloads, &Streams::new(3));
            assert_eq!(together.classes[0].uniform, is_uniform);
            let mut next = together.next_arrival(0, 0, horizon);
            assert_eq!(next, apart.next_arrival(0, 0, horizon));
            let mut count = 0;
            while let Some(now) = next {
                let (after, arrival) = together.arrive(0, now, horizon);
                assert_eq!(after, apart.next_arrival(0, now, horizon));
                assert_eq!(arrival, apart.draw(0));
                next = after;
                count += 1;
            }
            assert!(count > 100_000, "{count} arrivals");
        }
    }

    #[test]
    fn a_replay_arrives_at_the_recorded_times_with_the_recorded_bytes() {
        let trace = [(5, 1), (0, 0), (5, 0), (3, 2), (7_200, 0)];
        let workloads = [replayed(&trace, 1.0)];
        let mut generator = Generator::new(&workloads, &Streams::new(1));
        assert_eq!(generator.destination_count(), 3);
        let got = arrivals(&mut generator, 3_600 * NS_PER_S as u64);
        let times: Vec<u64> = got.iter().map(|(t, _)| t / NS_PER_S as u64).collect();
        assert_eq!(times, [0, 3, 5, 5]);
        let destinations: Vec<u32> = got.iter().map(|(_, a)| a.destination).collect();
        assert_eq!(destinations, [0, 2, 1, 0]);
        for (t, a) in &got {
            assert_eq!(a.request_bytes, 100.0 + (t / NS_PER_S as u64) as f64);
            assert_eq!(a.response_bytes, 1_000.0);
        }
    }

    #[test]
    fn a_scaled_replay_copies_each_connection_within_a_second_in_time_order() {
        let trace: Vec<(u64, u32)> = (0..1_000).map(|i| (i / 10, (i % 7) as u32)).collect();
        let horizon = 3_600 * NS_PER_S as u64;
        for (scale, low, high) in [(2.0, 2_000, 2_000), (1.5, 1_430, 1_570), (0.5, 430, 570)] {
            let workloads = [replayed(&trace, scale)];
            let mut generator = Generator::new(&workloads, &Streams::new(7));
            let got = arrivals(&mut generator, horizon);
            assert!((low..=high).contains(&got.len()), "{scale}: {}", got.len());
            assert!(
                got.windows(2).all(|w| w[0].0 <= w[1].0),
                "{scale}: time order"
            );
            for (t, a) in &got {
                let recorded_s = (a.request_bytes - 100.0) as u64;
                let late_ns = t - recorded_s * NS_PER_S as u64;
                assert!(
                    late_ns < NS_PER_S as u64,
                    "{scale}: a copy is under a second late"
                );
                assert!(a.destination < 7);
            }
            let again = arrivals(&mut Generator::new(&workloads, &Streams::new(7)), horizon);
            assert_eq!(got, again, "{scale}: the same seed replays the same copies");
        }
    }
}
