//! One run: one candidate, one replication, the scenario's workload pushed through its device.
//!
//! Owns the connection life cycle (arrival → admission → request bytes out → response bytes in →
//! idle hold → close → release delay → slot freed) and the bookkeeping of what happened. The
//! device decides limits; the workload decides demand; this module connects the two and counts.
//! [`run_candidate`] is the one place that picks the device's concrete type from the candidate's
//! configuration; everything under it is generic over [`Device`], so each kind gets its own
//! compiled event loop with no dispatch inside.
//!
//! Invariants: per connection, offered = delivered + dropped + still in flight at the end;
//! statistics cover connections that arrive in [warmup, duration); cost covers all of
//! [0, duration). Nothing here reads a clock, a file or the environment.

mod connection;
pub(crate) mod fleet;
mod record;
mod tally;

pub(crate) use record::{Bound, Figures, Interval, RunOutput};

use crate::engine::fluid::{ClassSpec, FlowProgress, PacketModel};
use crate::engine::rng::StreamRng;
use crate::engine::{self, EventQueue, Model, NEVER, Nanos, Streams};
use crate::model::cost::{self, Metered, Usage};
use crate::model::device::fallback::Fallback;
use crate::model::device::internet_gateway::Clients;
use crate::model::device::nat_gateway::Gateway;
use crate::model::device::nat_instance::Instances;
use crate::model::device::proxy::Proxies;
use crate::model::device::{Device, Direction, Outcome};
use crate::model::scenario::{Candidate, DeviceConfig, Protocol, Scenario};
use crate::model::sim::fleet::Fleet;
use crate::model::workload::Generator;
use crate::util::units::ns_to_seconds;
use connection::{Connection, Phase, Slab};
use record::Recorder;

/// Length of one time-series interval.
pub(crate) const SAMPLE_INTERVAL_NS: Nanos = 60 * 1_000_000_000;

/// Runs `scenario`'s candidate `candidate` for replication `replication`. The one place that
/// chooses the device's type: each arm runs a simulation compiled for that kind.
pub fn run_candidate(scenario: &Scenario, candidate: usize, replication: u32) -> RunOutput {
    run_candidate_observed(scenario, candidate, replication, &|_| {})
}

/// [`run_candidate`], telling `progress` the simulated time covered (in nanoseconds) at every
/// time-series sample, so a caller can show how far a long run has come. It only watches: the
/// run is the same with any `progress`.
pub(crate) fn run_candidate_observed(
    scenario: &Scenario,
    candidate: usize,
    replication: u32,
    progress: &(dyn Fn(Nanos) + Sync),
) -> RunOutput {
    let run = Run {
        scenario,
        candidate,
        replication,
        progress,
    };
    match &scenario.candidates[candidate].device {
        DeviceConfig::NatGateway(c) => {
            run.with(|classes, destinations, _| Gateway::new(c, classes, destinations))
        }
        DeviceConfig::NatInstance(c) => match &c.failures.fallback {
            None => run.with(|classes, _, failures| Instances::new(c, classes, failures)),
            Some(fallback) => run.with(|classes, destinations, failures| {
                Fallback::new(c, fallback, classes, destinations, failures)
            }),
        },
        DeviceConfig::InternetGateway(c) => run.with(|classes, _, _| Clients::new(c, classes)),
        DeviceConfig::Proxy(c) => {
            run.with(|classes, _, failures| Proxies::new(c, classes, failures))
        }
    }
}

/// Which run: a candidate of a scenario, one replication.
struct Run<'a> {
    scenario: &'a Scenario,
    candidate: usize,
    replication: u32,
    progress: &'a (dyn Fn(Nanos) + Sync),
}

impl Run<'_> {
    /// The run on devices that `new_device(classes, destinations, failures)` builds: the link
    /// classes, the number of destinations, and the deployment's own failure stream.
    fn with<D: Device>(
        self,
        new_device: impl Fn(&[ClassSpec], usize, StreamRng) -> D,
    ) -> RunOutput {
        let Run {
            scenario,
            candidate,
            replication,
            progress,
        } = self;
        let seed = Streams::replication_seed(scenario.seed, replication);
        let mut simulation = Simulation::new(scenario, candidate, seed, new_device);
        simulation.progress = Some(progress);
        let mut queue = EventQueue::new();
        simulation.schedule_start(&mut queue);
        let counts = engine::run(
            &mut simulation,
            &mut queue,
            scenario.warmup_ns,
            scenario.duration_ns,
        );
        simulation.finish(candidate, replication, seed, counts)
    }
}

/// Per-workload facts the event handlers need without going back to the scenario.
#[derive(Debug, Clone)]
struct ClassInfo {
    protocol: Protocol,
    rate_cap_bps: f64,
    az: String,
    /// Link classes of its internet-bound and its AWS-bound (S3, DynamoDB and the other AWS
    /// services) connections.
    flow_classes: [u32; 2],
    /// Per AWS service of the workload (`aws_services`), whether the candidate has an interface
    /// endpoint for it.
    endpoints: Vec<bool>,
}

/// Connections that skip the candidate's device, and what carries them instead. None of them
/// meets a device limit; each is billed as its own line (or not at all).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Bypass {
    /// S3/DynamoDB through a gateway endpoint: free.
    GatewayEndpoint,
    /// Another AWS service through an interface endpoint: per hour and per GB.
    InterfaceEndpoint,
    /// IPv6 through an egress-only internet gateway: internet egress only.
    EgressOnlyIgw,
}

/// Bytes that skipped the device over the whole run (cost covers the whole run; the recorder's
/// figures only the window).
#[derive(Debug, Clone, Copy, Default)]
struct Bypassed {
    /// Request bytes sent to the internet over IPv6 (billed as internet egress).
    ipv6_out_bytes: f64,
    /// Both directions through interface endpoints (billed as endpoint processing).
    endpoint_bytes: f64,
}

/// Starts `connection`'s flow in `direction` (its request or its response bytes) under flow id
/// `id`, and enters that phase. A function of the fields it needs rather than a method, so a
/// caller that holds the connection starts its flow without looking it up again.
#[inline(always)]
fn start_phase<D: Device>(
    egress: &mut Fleet<D>,
    device_changed: &std::cell::Cell<bool>,
    now: Nanos,
    id: u32,
    connection: &mut Connection,
    direction: Direction,
) {
    let (bytes, phase) = match direction {
        Direction::Out => (connection.request_bytes, Phase::Request),
        Direction::In => (connection.response_bytes, Phase::Response),
    };
    device_changed.set(true);
    connection.mark = egress.start_flow(
        now,
        connection.path,
        direction,
        connection.flow_class,
        id,
        bytes,
    );
    connection.phase = phase;
}

/// Starts `connection`'s first phase with bytes to move (its request's, else its response's);
/// false when it has none, so the caller finishes it at once.
#[inline(always)]
fn start_first_phase<D: Device>(
    egress: &mut Fleet<D>,
    device_changed: &std::cell::Cell<bool>,
    now: Nanos,
    id: u32,
    connection: &mut Connection,
) -> bool {
    let Some(direction) = connection.first_direction() else {
        return false;
    };
    start_phase(egress, device_changed, now, id, connection, direction);
    true
}

/// The link classes: one per workload for internet-bound traffic, plus one for traffic to AWS
/// services (S3/DynamoDB or another service: alike, but billed apart, as it pays no internet
/// egress) where a workload has an `endpoint_share` or `aws_services`. Fewer classes, less work
/// per event. Each class charges the packets of its workload's mean connection (data, ACKs,
/// handshake) per byte it moves; see `fluid`.
fn flow_classes(workloads: &[crate::model::scenario::Workload]) -> (Vec<ClassSpec>, Vec<[u32; 2]>) {
    let mut specs = Vec::new();
    let mut map = Vec::new();
    for w in workloads {
        let spec = ClassSpec {
            cap_bytes_per_s: w.rate_cap_bps / 8.0,
            elastic: w.protocol == Protocol::Tcp,
            packets_per_byte: packet_model(w)
                .packets_per_byte(w.request_bytes.mean(), w.response_bytes.mean()),
        };
        let internet = specs.len() as u32;
        specs.push(spec);
        let aws = if w.endpoint_share > 0.0 || !w.aws_services.is_empty() {
            specs.push(spec);
            internet + 1
        } else {
            internet
        };
        map.push([internet, aws]);
    }
    (specs, map)
}

/// How a workload's connections become packets.
fn packet_model(w: &crate::model::scenario::Workload) -> PacketModel {
    match w.protocol {
        Protocol::Tcp => PacketModel::Tcp {
            mss_bytes: w.mss_bytes,
        },
        Protocol::Udp => PacketModel::Udp {
            datagram_bytes: w.packet_bytes,
        },
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Event {
    /// `generation` tells a stale event (its connection was reset and the slot reused) from a
    /// live one.
    HoldEnd {
        connection: u32,
        generation: u32,
        idle_cut: bool,
    },
    Release {
        connection: u32,
        generation: u32,
    },
    /// A queued request got through the device's CPU; its bytes start moving.
    StartTransfer {
        connection: u32,
        generation: u32,
    },
    /// The clients of `az_outages[outage]` go down: their connections end.
    ClientsDown {
        outage: u32,
    },
    DeviceTick,
    Sample,
}

struct Simulation<'a, D> {
    scenario: &'a Scenario,
    candidate: &'a Candidate,
    egress: Fleet<D>,
    generator: Generator,
    classes: Vec<ClassInfo>,
    connections: Slab,
    recorder: Recorder,
    outcome: Outcome,
    /// Next arrival time per workload ([`NEVER`] once past the horizon).
    next_arrivals: Vec<Nanos>,
    /// The earliest of `next_arrivals`, kept as they change (the engine asks after every event).
    /// [`NEVER`] once past the horizon.
    first_arrival: Nanos,
    /// The device's next deadline as `next_deadline` last computed it.
    /// [`NEVER`] when there is none: plain instants make `next_deadline` a `min`.
    device_deadline: std::cell::Cell<Nanos>,
    /// The device changed since `device_deadline` was computed. Set before every call that may
    /// move a deadline (every `&mut` call on the fleet but `release`, which frees a port or a
    /// table entry and never touches a flow, a credit or a timer; once for a run of such calls
    /// within one event, as only `next_deadline` clears it); the engine asks for the next
    /// deadline after every event, and most events (idle holds ending, releases) leave the
    /// device as it was.
    device_changed: std::cell::Cell<bool>,
    /// Told the simulated time each sample covers (see [`run_candidate_observed`]).
    progress: Option<&'a (dyn Fn(Nanos) + Sync)>,
    bypassed: Bypassed,
    /// The candidate has a way past its device (a gateway or interface endpoint, an egress-only
    /// internet gateway): without one, arrivals skip the per-connection look at their route.
    any_bypass: bool,
    /// The candidate's interface endpoints × the AZs with clients (one endpoint ENI in each).
    endpoint_azs: u32,
}

impl<'a, D: Device> Simulation<'a, D> {
    fn new(
        scenario: &'a Scenario,
        candidate_index: usize,
        seed: u64,
        new_device: impl Fn(&[ClassSpec], usize, StreamRng) -> D,
    ) -> Self {
        let candidate = &scenario.candidates[candidate_index];
        let (specs, flow_classes) = flow_classes(&scenario.workloads);
        let streams = Streams::new(seed);
        let generator = Generator::new(&scenario.workloads, &streams);
        // Each deployment's own stream: failures never shift the workload's numbers.
        let failures = |deployment: u64| {
            streams.stream("failures", candidate_index as u64 * 1_000 + deployment)
        };
        let destinations = generator.destination_count();
        let egress = Fleet::new(
            candidate,
            &scenario.workloads,
            &scenario.az_outages,
            |deployment| new_device(&specs, destinations, failures(deployment)),
        );
        let capacities = egress.path_capacities();
        let classes: Vec<ClassInfo> = scenario
            .workloads
            .iter()
            .zip(&flow_classes)
            .map(|(w, &flow_classes)| ClassInfo {
                protocol: w.protocol,
                rate_cap_bps: w.rate_cap_bps,
                az: w.az.clone(),
                flow_classes,
                endpoints: w
                    .aws_services
                    .iter()
                    .map(|s| candidate.interface_endpoints.contains(&s.name))
                    .collect(),
            })
            .collect();
        Simulation {
            scenario,
            candidate,
            egress,
            generator,
            classes,
            connections: Slab::default(),
            recorder: Recorder::new(
                scenario.warmup_ns,
                scenario.duration_ns,
                capacities,
                flow_classes,
            ),
            outcome: Outcome::default(),
            next_arrivals: vec![NEVER; scenario.workloads.len()],
            first_arrival: NEVER,
            device_deadline: std::cell::Cell::new(NEVER),
            device_changed: std::cell::Cell::new(true),
            progress: None,
            bypassed: Bypassed::default(),
            any_bypass: candidate.s3_gateway_endpoint
                || !candidate.interface_endpoints.is_empty()
                || candidate.egress_only_igw,
            endpoint_azs: endpoint_azs(candidate, &scenario.workloads),
        }
    }

    fn schedule_start(&mut self, queue: &mut EventQueue<Event>) {
        for class in 0..self.classes.len() as u32 {
            self.next_arrivals[class as usize] = self
                .generator
                .next_arrival(class, 0, self.scenario.duration_ns)
                .unwrap_or(NEVER);
        }
        self.first_arrival = self.earliest_arrival();
        if let Some(interval) = self.egress.tick_interval() {
            queue.push(interval, Event::DeviceTick);
        }
        queue.push(SAMPLE_INTERVAL_NS, Event::Sample);
        for (outage, o) in self.scenario.az_outages.iter().enumerate() {
            if o.at_ns < self.scenario.duration_ns {
                let event = Event::ClientsDown {
                    outage: outage as u32,
                };
                queue.push(o.at_ns, event);
            }
        }
    }

    fn earliest_arrival(&self) -> Nanos {
        self.next_arrivals.iter().fold(NEVER, |a, &b| a.min(b))
    }

    #[inline]
    fn on_arrival(&mut self, now: Nanos, class: u32, queue: &mut EventQueue<Event>) {
        let (next, arrival) = self.generator.arrive(class, now, self.scenario.duration_ns);
        self.next_arrivals[class as usize] = next.unwrap_or(NEVER);
        // Clients in an AZ that is down send nothing (the arrival is still drawn, so every
        // candidate keeps seeing the same traffic).
        let az = &self.classes[class as usize].az;
        if self
            .scenario
            .az_outages
            .iter()
            .any(|o| &o.az == az && o.covers(now))
        {
            return;
        }
        let in_window = self.recorder.in_window(now);
        self.recorder.on_attempt(now, &arrival, in_window);
        let bypass = if self.any_bypass {
            self.bypass(&arrival)
        } else {
            None
        };
        if let Some(bypass) = bypass {
            let bytes = arrival.request_bytes + arrival.response_bytes;
            match bypass {
                Bypass::GatewayEndpoint => {}
                Bypass::InterfaceEndpoint => self.bypassed.endpoint_bytes += bytes,
                Bypass::EgressOnlyIgw => self.bypassed.ipv6_out_bytes += arrival.request_bytes,
            }
            let rate_cap_bps = self.classes[class as usize].rate_cap_bps;
            self.recorder
                .on_bypass(bypass, arrival, in_window, rate_cap_bps);
            return;
        }
        self.device_changed.set(true);
        match self.egress.admit(now, class as usize, arrival.destination) {
            Err(refusal) => self.recorder.on_refused(refusal, &arrival, in_window),
            Ok(path) => {
                let aws = arrival.aws_service || arrival.interface_service.is_some();
                let flow_class = self.classes[class as usize].flow_classes[aws as usize];
                let connection = Connection::new(now, path, flow_class, &arrival, in_window);
                self.recorder.on_admitted(now, class);
                // `device_changed` is still set from `admit`.
                match self.egress.processing_delay(now, path) {
                    0 => self.start_transfer(now, connection, queue),
                    delay => {
                        let queued = Connection {
                            phase: Phase::Queued,
                            ..connection
                        };
                        let (id, generation, _) = self.connections.insert(queued);
                        let event = Event::StartTransfer {
                            connection: id,
                            generation,
                        };
                        queue.push(now + delay, event);
                    }
                }
            }
        }
    }

    /// What carries `arrival` past the device, if anything: a gateway endpoint (S3/DynamoDB), an
    /// interface endpoint (an AWS service the candidate has one for), or an egress-only
    /// internet gateway (IPv6).
    #[inline]
    fn bypass(&self, arrival: &crate::model::workload::Arrival) -> Option<Bypass> {
        if arrival.aws_service {
            return self
                .candidate
                .s3_gateway_endpoint
                .then_some(Bypass::GatewayEndpoint);
        }
        if let Some(service) = arrival.interface_service {
            let endpoints = &self.classes[arrival.class as usize].endpoints;
            return endpoints
                .get(service as usize)
                .copied()
                .unwrap_or(false)
                .then_some(Bypass::InterfaceEndpoint);
        }
        (arrival.ipv6 && self.candidate.egress_only_igw).then_some(Bypass::EgressOnlyIgw)
    }

    /// Stores `connection`, just admitted with the device ready for it, and starts its first
    /// phase with bytes to move, or finishes at once when there are none.
    #[inline]
    fn start_transfer(
        &mut self,
        now: Nanos,
        connection: Connection,
        queue: &mut EventQueue<Event>,
    ) {
        let (id, _, stored) = self.connections.insert(connection);
        if !start_first_phase(&mut self.egress, &self.device_changed, now, id, stored) {
            self.on_transfer_done(now, id, queue);
        }
    }

    /// [`Simulation::start_transfer`] for a stored connection whose request waited for the
    /// device's CPU.
    fn start_queued_transfer(&mut self, now: Nanos, id: u32, queue: &mut EventQueue<Event>) {
        let connection = self.connections.get_mut(id);
        if !start_first_phase(&mut self.egress, &self.device_changed, now, id, connection) {
            self.on_transfer_done(now, id, queue);
        }
    }

    #[inline]
    fn on_flow_finished(
        &mut self,
        now: Nanos,
        direction: Direction,
        id: u32,
        progress: FlowProgress,
        queue: &mut EventQueue<Event>,
    ) {
        let connection = self.connections.get_mut(id);
        connection.settle(direction, progress);
        if direction == Direction::Out && connection.response_bytes > 0.0 {
            start_phase(
                &mut self.egress,
                &self.device_changed,
                now,
                id,
                connection,
                Direction::In,
            );
        } else {
            self.on_transfer_done(now, id, queue);
        }
    }

    /// Transfer complete: record its completion time, then hold the connection idle.
    #[inline(always)]
    fn on_transfer_done(&mut self, now: Nanos, id: u32, queue: &mut EventQueue<Event>) {
        let (generation, connection) = self.connections.get_mut_with_generation(id);
        connection.phase = Phase::Holding;
        let class = &self.classes[connection.class as usize];
        self.recorder
            .on_transfer_done(now, connection, class.rate_cap_bps);
        let idle_timeout = self.egress.idle_timeout_ns(class.protocol);
        let hold = connection.hold_ns;
        if hold == 0 {
            self.end_hold(now, id, generation, false, queue);
        } else if hold >= idle_timeout {
            let event = Event::HoldEnd {
                connection: id,
                generation,
                idle_cut: true,
            };
            queue.push(now.saturating_add(idle_timeout), event);
        } else {
            queue.push(
                now + hold,
                Event::HoldEnd {
                    connection: id,
                    generation,
                    idle_cut: false,
                },
            );
        }
    }

    /// The hold of connection `id`, stored with `generation`, ends at `now`: its client closes
    /// it, or the device cut it idle (`idle_cut`). Nothing happens if the connection is no
    /// longer holding (its client went down meanwhile, or its path failed). One look-up of
    /// the connection for the check, the close and the release. Always inlined into the run
    /// loop's event arm (−2.1 M instructions on benchmark (a)).
    #[inline(always)]
    fn end_hold(
        &mut self,
        now: Nanos,
        id: u32,
        generation: u32,
        idle_cut: bool,
        queue: &mut EventQueue<Event>,
    ) {
        let Some(connection) = self.connections.current_mut(id, generation) else {
            return;
        };
        if connection.phase != Phase::Holding {
            return;
        }
        if idle_cut {
            self.recorder.on_idle_timeout(connection);
        }
        connection.phase = Phase::Closed;
        self.recorder.on_closed(now, connection);
        let delay = self
            .egress
            .release_delay_ns(self.classes[connection.class as usize].protocol);
        if delay == 0 {
            // `release`, with the connection at hand.
            let (path, destination) = (connection.path, connection.destination);
            self.connections.discard(id);
            self.egress.release(path, destination);
        } else {
            queue.push(
                now.saturating_add(delay),
                Event::Release {
                    connection: id,
                    generation,
                },
            );
        }
    }

    #[inline(always)]
    fn release(&mut self, id: u32) {
        let connection = self.connections.get(id);
        let (path, destination) = (connection.path, connection.destination);
        self.connections.discard(id);
        self.egress.release(path, destination);
    }

    /// Everything the device reported at a deadline. Flows cut by a failure keep what they
    /// moved; flows that finished on a path that failed at the same instant do not go on to
    /// their next phase; then every connection on a failed path is reset.
    ///
    /// Reads `self.outcome` in place (nothing these handlers call touches it), then empties it
    /// for the next deadline.
    #[inline]
    fn on_device_outcome(&mut self, now: Nanos, queue: &mut EventQueue<Event>) {
        let outcome = &mut self.outcome;
        if let [done] = outcome.finished[..]
            && outcome.reset.is_empty()
            && outcome.failed.is_empty()
        {
            // One flow finished and nothing failed: the case of nearly every deadline.
            outcome.finished.clear();
            self.on_flow_finished(now, done.direction, done.flow, done.progress, queue);
            return;
        }
        self.on_device_outcome_in_full(now, queue);
    }

    /// [`Simulation::on_device_outcome`] when it is not one finished flow alone: several, none,
    /// or a flow reset or a path failed.
    #[inline(never)]
    fn on_device_outcome_in_full(&mut self, now: Nanos, queue: &mut EventQueue<Event>) {
        for index in 0..self.outcome.reset.len() {
            let cut = self.outcome.reset[index];
            self.connections
                .get_mut(cut.flow)
                .settle(cut.direction, cut.progress);
        }
        self.outcome.reset.clear();
        for index in 0..self.outcome.finished.len() {
            let done = self.outcome.finished[index];
            let on_failed_path = !self.outcome.failed.is_empty()
                && self
                    .outcome
                    .failed
                    .contains(&self.connections.get(done.flow).path);
            if on_failed_path {
                self.connections
                    .get_mut(done.flow)
                    .settle(done.direction, done.progress);
            } else {
                self.on_flow_finished(now, done.direction, done.flow, done.progress, queue);
            }
        }
        self.outcome.finished.clear();
        for index in 0..self.outcome.failed.len() {
            self.reset_path(now, self.outcome.failed[index]);
        }
        self.outcome.failed.clear();
    }

    /// The clients of an AZ went down at `now`: every connection they had open ends there,
    /// counted as a reset, whichever device (in any AZ) carries it; its running flow leaves
    /// the link, so the others speed up. The device keeps the connection's entry (port,
    /// conntrack slot) until its idle timeout, as a NAT keeps a mapping whose client fell silent.
    fn on_clients_down(&mut self, now: Nanos, outage: u32, queue: &mut EventQueue<Event>) {
        let az = &self.scenario.az_outages[outage as usize].az;
        let in_az: Vec<bool> = self.classes.iter().map(|c| &c.az == az).collect();
        let gone = self
            .connections
            .ids_where(|c| in_az[c.class as usize] && c.phase != Phase::Closed);
        for id in gone {
            let connection = self.connections.get(id);
            let running = match connection.phase {
                Phase::Request => Some(Direction::Out),
                Phase::Response => Some(Direction::In),
                _ => None,
            };
            if let Some(direction) = running {
                let (path, mark) = (connection.path, connection.mark);
                self.device_changed.set(true);
                let progress = self.egress.stop_flow(now, path, direction, id, &mark);
                self.connections.get_mut(id).settle(direction, progress);
            }
            let connection = self.connections.get_mut(id);
            self.recorder.on_reset(now, connection);
            connection.phase = Phase::Closed;
            let protocol = self.classes[connection.class as usize].protocol;
            let linger = self.egress.idle_timeout_ns(protocol);
            let event = Event::Release {
                connection: id,
                generation: self.connections.generation(id),
            };
            queue.push(now.saturating_add(linger), event);
        }
    }

    /// The device behind `path` failed: its connections are gone, and so is its table, so they
    /// leave without releasing anything; their pending events turn stale.
    fn reset_path(&mut self, now: Nanos, path: u32) {
        for id in self.connections.on_path(path) {
            let connection = self.connections.remove(id);
            if connection.phase != Phase::Closed {
                self.recorder.on_reset(now, &connection);
            }
        }
    }

    fn on_sample(&mut self, now: Nanos, queue: &mut EventQueue<Event>) {
        self.device_changed.set(true);
        self.egress.advance(now);
        let usage = self.usage_until(now);
        self.recorder.sample(
            now,
            &self.egress,
            cost::bill(&usage, &self.scenario.prices).total_usd(),
        );
        queue.push(now + SAMPLE_INTERVAL_NS, Event::Sample);
        if let Some(progress) = self.progress {
            progress(SAMPLE_INTERVAL_NS);
        }
    }

    /// What the candidate used from time 0 to `now` (links advanced to `now`).
    fn usage_until(&self, now: Nanos) -> Usage {
        let (mut egress_bytes, mut cross_az_bytes) = (0.0, 0.0);
        let in_clients_az = self.egress.in_clients_az();
        for (device_az, path) in self.egress.paths() {
            for info in &self.classes {
                let [internet, aws] = info.flow_classes;
                egress_bytes += path.out.class_delivered_bytes(internet);
                if !in_clients_az && info.az != device_az {
                    // The AWS-bound class is the internet one when the workload has none.
                    let classes: &[u32] = if aws == internet {
                        &[internet]
                    } else {
                        &[internet, aws]
                    };
                    for &class in classes {
                        cross_az_bytes += path.out.class_delivered_bytes(class)
                            + path.inbound.class_delivered_bytes(class);
                    }
                }
            }
        }
        let deployment_hours = self.egress.deployment_hours(now);
        let metered = Metered {
            elapsed_hours: ns_to_seconds(now) / 3600.0,
            deployment_hours: &deployment_hours,
            egress_bytes: egress_bytes + self.bypassed.ipv6_out_bytes,
            processed_bytes: self.egress.processed_bytes(),
            cross_az_bytes,
            endpoint_azs: self.endpoint_azs,
            endpoint_bytes: self.bypassed.endpoint_bytes,
        };
        Usage::measure(&self.egress.billing(), &self.scenario.prices, &metered)
    }

    fn finish(
        mut self,
        candidate: usize,
        replication: u32,
        seed: u64,
        loop_counts: engine::LoopCounts,
    ) -> RunOutput {
        let horizon = self.scenario.duration_ns;
        self.device_changed.set(true);
        self.egress.advance(horizon);
        // Bytes still moving: credit what got through, the rest is in flight.
        for connection in self.connections.iter_mut() {
            let direction = match connection.phase {
                Phase::Request => Direction::Out,
                Phase::Response => Direction::In,
                _ => continue,
            };
            let progress = self
                .egress
                .path(connection.path)
                .link(direction)
                .progress(&connection.mark);
            connection.settle(direction, progress);
        }
        let usage = self.usage_until(horizon);
        let bill = cost::bill(&usage, &self.scenario.prices);
        // Closes the last interval (a no-op when the previous sample fell exactly on the horizon).
        self.recorder
            .sample(horizon, &self.egress, bill.total_usd());
        let rate_caps_bps: Vec<f64> = self.classes.iter().map(|c| c.rate_cap_bps).collect();
        let (mut figures, mut by_workload) =
            self.recorder
                .figures(horizon, &self.connections, &self.egress, &rate_caps_bps);
        let reserve = self.egress.reserve(horizon);
        (figures.credit_depth, figures.credit_drain_per_hour) =
            (reserve.depth, reserve.drain_per_hour);
        let (warmup, workloads) = (self.scenario.warmup_ns, &self.scenario.workloads);
        let outages = &self.scenario.az_outages;
        figures.outage_s = self
            .egress
            .client_outage_s(workloads, outages, warmup, horizon);
        figures.availability = availability(figures.outage_s, figures.window_s);
        let outage_s = self
            .egress
            .client_outage_s_by_workload(workloads, outages, warmup, horizon);
        for (f, outage_s) in by_workload.iter_mut().zip(outage_s) {
            f.outage_s = outage_s;
            f.availability = availability(outage_s, f.window_s);
        }
        let addresses = crate::model::egress_ips::of(self.candidate, workloads, usage.ipv4_count);
        (figures.egress_ips, figures.egress_ips_fixed) = (addresses.count, addresses.fixed);
        let (timeseries, timeseries_by_workload) = self.recorder.into_intervals();
        RunOutput {
            candidate,
            replication,
            seed,
            figures,
            usage,
            bill,
            monthly_bill: cost::bill(&usage.monthly(), &self.scenario.prices),
            diagnostics: self.egress.diagnostics(),
            timeseries,
            by_workload,
            timeseries_by_workload,
            events: loop_counts.events + loop_counts.deadlines,
        }
    }
}

/// Interface endpoints × the AZs they sit in: each of the candidate's endpoints has an interface
/// in every AZ where a workload's clients sit, so no client crosses an AZ to reach one.
fn endpoint_azs(candidate: &Candidate, workloads: &[crate::model::scenario::Workload]) -> u32 {
    if candidate.interface_endpoints.is_empty() {
        return 0;
    }
    let mut azs: Vec<&str> = workloads.iter().map(|w| w.az.as_str()).collect();
    azs.sort_unstable();
    azs.dedup();
    (candidate.interface_endpoints.len() * azs.len()) as u32
}

/// 1 − outage / window (1 for an empty window).
fn availability(outage_s: f64, window_s: f64) -> f64 {
    if window_s > 0.0 {
        1.0 - outage_s / window_s
    } else {
        1.0
    }
}

impl<D: Device> Model for Simulation<'_, D> {
    type Event = Event;

    /// The device's next deadline or the next arrival, whichever is first. Arrivals live here
    /// rather than in the event queue: there is one pending per workload, and keeping them out
    /// of the heap saves a push and a pop per connection.
    #[inline]
    fn next_deadline(&self) -> Nanos {
        // Remembered for `on_deadline`, and until the device changes.
        if self.device_changed.replace(false) {
            self.device_deadline.set(self.egress.next_deadline());
        }
        self.device_deadline.get().min(self.first_arrival)
    }

    /// Device work due at `now` first (finished flows, credit switches, failures), then
    /// arrivals in workload order: a fixed order, so runs are deterministic.
    #[inline]
    fn on_deadline(&mut self, now: Nanos, queue: &mut EventQueue<Event>) {
        if self.device_deadline.get() <= now {
            let connections = &self.connections;
            self.device_changed.set(true);
            self.egress
                .on_deadline(now, |flow| connections.get(flow).mark, &mut self.outcome);
            self.on_device_outcome(now, queue);
        }
        if self.first_arrival == now {
            if let [_] = self.next_arrivals[..] {
                // One workload: its arrival is the one due, and its next is the first.
                self.on_arrival(now, 0, queue);
                self.first_arrival = self.next_arrivals[0];
                return;
            }
            for class in 0..self.next_arrivals.len() {
                if self.next_arrivals[class] == now {
                    self.on_arrival(now, class as u32, queue);
                }
            }
            self.first_arrival = self.earliest_arrival();
        }
    }

    #[inline]
    fn on_event(&mut self, now: Nanos, event: Event, queue: &mut EventQueue<Event>) {
        match event {
            Event::HoldEnd {
                connection,
                generation,
                idle_cut,
            } => self.end_hold(now, connection, generation, idle_cut, queue),
            Event::StartTransfer {
                connection,
                generation,
            } => {
                if self
                    .connections
                    .current_mut(connection, generation)
                    .is_some_and(|c| c.phase == Phase::Queued)
                {
                    self.start_queued_transfer(now, connection, queue);
                }
            }
            Event::Release {
                connection,
                generation,
            } => {
                if self.connections.is_current(connection, generation) {
                    self.release(connection);
                }
            }
            Event::ClientsDown { outage } => self.on_clients_down(now, outage, queue),
            Event::DeviceTick => {
                self.device_changed.set(true);
                self.egress.tick(now);
                if let Some(interval) = self.egress.tick_interval() {
                    queue.push(now + interval, Event::DeviceTick);
                }
            }
            Event::Sample => self.on_sample(now, queue),
        }
    }

    fn on_warmup_end(&mut self, now: Nanos) {
        self.device_changed.set(true);
        self.egress.advance(now);
        self.recorder.on_warmup_end(now, &self.egress);
    }
}
