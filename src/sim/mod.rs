//! One run: one candidate, one replication, the scenario's workload pushed through its device.
//!
//! Owns the connection life cycle (arrival → admission → request bytes out → response bytes in →
//! idle hold → close → release delay → slot freed) and the bookkeeping of what happened. The
//! device decides limits; the workload decides demand; this module connects the two and counts.
//!
//! Invariants: per connection, offered = delivered + dropped + still in flight at the end;
//! statistics cover connections that arrive in [warmup, duration); cost covers all of
//! [0, duration). Nothing here reads a clock, a file or the environment.

mod connection;
mod record;

pub use record::{Figures, Interval, RunOutput};

use crate::cost::{self, Usage};
use crate::device::{Direction, Egress, Finished};
use crate::engine::{self, EventQueue, Model, Nanos, Streams};
use crate::fluid::{ClassSpec, FlowProgress};
use crate::scenario::{Candidate, Protocol, Scenario};
use crate::units::ns_to_seconds;
use crate::workload::{Arrival, Generator};
use connection::{Connection, Phase, Slab};
use record::Recorder;

/// Length of one time-series interval.
pub const SAMPLE_INTERVAL_NS: Nanos = 60 * 1_000_000_000;

/// Runs `scenario`'s candidate `candidate` for replication `replication`.
pub fn run_candidate(scenario: &Scenario, candidate: usize, replication: u32) -> RunOutput {
    let seed = Streams::replication_seed(scenario.seed, replication);
    let mut simulation = Simulation::new(scenario, candidate, seed);
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

/// Per-class facts the event handlers need without going back to the scenario.
#[derive(Debug, Clone)]
struct ClassInfo {
    protocol: Protocol,
    rate_cap_bps: f64,
    crosses_az: bool,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Event {
    HoldEnd { connection: u32, idle_cut: bool },
    Release { connection: u32 },
    DeviceTick,
    Sample,
}

struct Simulation<'a> {
    scenario: &'a Scenario,
    candidate: &'a Candidate,
    egress: Egress,
    generator: Generator,
    classes: Vec<ClassInfo>,
    connections: Slab,
    recorder: Recorder,
    finished: Vec<Finished>,
    /// Next arrival time per workload (`None` once past the horizon).
    next_arrivals: Vec<Option<Nanos>>,
}

impl<'a> Simulation<'a> {
    fn new(scenario: &'a Scenario, candidate_index: usize, seed: u64) -> Self {
        let candidate = &scenario.candidates[candidate_index];
        let specs: Vec<ClassSpec> = scenario
            .workloads
            .iter()
            .map(|w| ClassSpec {
                cap_bytes_per_s: w.rate_cap_bps / 8.0,
                elastic: w.protocol == Protocol::Tcp,
                packet_bytes: w.packet_bytes,
            })
            .collect();
        let generator = Generator::new(&scenario.workloads, &Streams::new(seed));
        let egress = Egress::new(&candidate.device, &specs, generator.destination_count());
        let classes = scenario
            .workloads
            .iter()
            .map(|w| ClassInfo {
                protocol: w.protocol,
                rate_cap_bps: w.rate_cap_bps,
                crosses_az: w.az != candidate.az,
            })
            .collect();
        Simulation {
            scenario,
            candidate,
            egress,
            generator,
            classes,
            connections: Slab::default(),
            recorder: Recorder::new(scenario.warmup_ns, scenario.duration_ns),
            finished: Vec::new(),
            next_arrivals: vec![None; scenario.workloads.len()],
        }
    }

    fn schedule_start(&mut self, queue: &mut EventQueue<Event>) {
        for class in 0..self.classes.len() as u32 {
            self.next_arrivals[class as usize] =
                self.generator
                    .next_arrival(class, 0, self.scenario.duration_ns);
        }
        if let Some(interval) = self.egress.tick_interval() {
            queue.push(interval, Event::DeviceTick);
        }
        queue.push(SAMPLE_INTERVAL_NS, Event::Sample);
    }

    fn on_arrival(&mut self, now: Nanos, class: u32, queue: &mut EventQueue<Event>) {
        self.next_arrivals[class as usize] =
            self.generator
                .next_arrival(class, now, self.scenario.duration_ns);
        let arrival = self.generator.draw(class);
        let in_window = self.recorder.in_window(now);
        self.recorder.on_attempt(now, &arrival, in_window);
        match self.egress.admit(arrival.destination) {
            Err(refusal) => self.recorder.on_refused(refusal, &arrival, in_window),
            Ok(path) => {
                let id = self
                    .connections
                    .insert(Connection::new(now, path, &arrival, in_window));
                self.recorder.on_admitted(now);
                self.start_transfer(now, id, &arrival, queue);
            }
        }
    }

    /// Starts the first phase with bytes to move, or finishes at once when there are none.
    fn start_transfer(
        &mut self,
        now: Nanos,
        id: u32,
        arrival: &Arrival,
        queue: &mut EventQueue<Event>,
    ) {
        if arrival.request_bytes > 0.0 {
            self.start_phase(now, id, Direction::Out, arrival.request_bytes);
        } else if arrival.response_bytes > 0.0 {
            self.start_phase(now, id, Direction::In, arrival.response_bytes);
        } else {
            self.on_transfer_done(now, id, queue);
        }
    }

    fn start_phase(&mut self, now: Nanos, id: u32, direction: Direction, bytes: f64) {
        let connection = self.connections.get_mut(id);
        let mark =
            self.egress
                .start_flow(now, connection.path, direction, connection.class, id, bytes);
        connection.phase = match direction {
            Direction::Out => Phase::Request,
            Direction::In => Phase::Response,
        };
        connection.mark = mark;
    }

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
        let response_bytes = connection.response_bytes;
        if direction == Direction::Out && response_bytes > 0.0 {
            self.start_phase(now, id, Direction::In, response_bytes);
        } else {
            self.on_transfer_done(now, id, queue);
        }
    }

    /// Transfer complete: record its completion time, then hold the connection idle.
    fn on_transfer_done(&mut self, now: Nanos, id: u32, queue: &mut EventQueue<Event>) {
        let connection = self.connections.get_mut(id);
        connection.phase = Phase::Holding;
        let class = &self.classes[connection.class as usize];
        self.recorder
            .on_transfer_done(now, connection, class.rate_cap_bps);
        let idle_timeout = self.egress.idle_timeout_ns(class.protocol);
        let hold = connection.hold_ns;
        if hold == 0 {
            self.close(now, id, queue);
        } else if hold >= idle_timeout {
            queue.push(
                now.saturating_add(idle_timeout),
                Event::HoldEnd {
                    connection: id,
                    idle_cut: true,
                },
            );
        } else {
            queue.push(
                now + hold,
                Event::HoldEnd {
                    connection: id,
                    idle_cut: false,
                },
            );
        }
    }

    fn close(&mut self, now: Nanos, id: u32, queue: &mut EventQueue<Event>) {
        let connection = self.connections.get_mut(id);
        connection.phase = Phase::Closed;
        self.recorder.on_closed(now, connection);
        let delay = self
            .egress
            .release_delay_ns(self.classes[connection.class as usize].protocol);
        if delay == 0 {
            self.release(id);
        } else {
            queue.push(now.saturating_add(delay), Event::Release { connection: id });
        }
    }

    fn release(&mut self, id: u32) {
        let connection = self.connections.remove(id);
        self.egress.release(connection.path, connection.destination);
    }

    fn on_sample(&mut self, now: Nanos, queue: &mut EventQueue<Event>) {
        self.egress.advance(now);
        let usage = self.usage_until(now);
        self.recorder.sample(
            now,
            &self.egress,
            cost::bill(&usage, &self.scenario.prices).total_usd(),
        );
        queue.push(now + SAMPLE_INTERVAL_NS, Event::Sample);
    }

    /// What the candidate used from time 0 to `now` (links advanced to `now`).
    fn usage_until(&self, now: Nanos) -> Usage {
        let (mut out_bytes, mut in_bytes, mut cross_az_bytes) = (0.0, 0.0, 0.0);
        for path in self.egress.paths() {
            out_bytes += path.out.totals().delivered_bytes;
            in_bytes += path.inbound.totals().delivered_bytes;
            for (class, info) in self.classes.iter().enumerate() {
                if info.crosses_az {
                    cross_az_bytes += path.out.class_delivered_bytes(class as u32)
                        + path.inbound.class_delivered_bytes(class as u32);
                }
            }
        }
        let hours = ns_to_seconds(now) / 3600.0;
        Usage::measure(
            &self.candidate.device,
            &self.scenario.prices,
            hours,
            out_bytes,
            in_bytes,
            cross_az_bytes,
        )
    }

    fn finish(
        mut self,
        candidate: usize,
        replication: u32,
        seed: u64,
        loop_counts: engine::LoopCounts,
    ) -> RunOutput {
        let horizon = self.scenario.duration_ns;
        self.egress.advance(horizon);
        // Bytes still moving: credit what got through, the rest is in flight.
        for connection in self.connections.iter_mut() {
            let direction = match connection.phase {
                Phase::Request => Direction::Out,
                Phase::Response => Direction::In,
                _ => continue,
            };
            let progress = self.egress.paths()[connection.path as usize]
                .link(direction)
                .progress(&connection.mark);
            connection.settle(direction, progress);
        }
        let usage = self.usage_until(horizon);
        let bill = cost::bill(&usage, &self.scenario.prices);
        // Closes the last interval (a no-op when the previous sample fell exactly on the horizon).
        self.recorder
            .sample(horizon, &self.egress, bill.total_usd());
        let figures = self
            .recorder
            .figures(horizon, &self.connections, &self.egress);
        RunOutput {
            candidate,
            replication,
            seed,
            figures,
            usage,
            bill,
            monthly_bill: cost::bill(&usage.monthly(), &self.scenario.prices),
            diagnostics: self.egress.diagnostics(),
            timeseries: self.recorder.into_intervals(),
            events: loop_counts.events + loop_counts.deadlines,
        }
    }
}

impl Model for Simulation<'_> {
    type Event = Event;

    /// The device's next deadline or the next arrival, whichever is first. Arrivals live here
    /// rather than in the event queue: there is one pending per workload, and keeping them out
    /// of the heap saves a push and a pop per connection.
    fn next_deadline(&self) -> Option<Nanos> {
        self.next_arrivals
            .iter()
            .fold(self.egress.next_deadline(), |a, &b| {
                crate::device::earliest(a, b)
            })
    }

    /// Device work due at `now` first (finished flows, credit switches), then arrivals in
    /// workload order: a fixed order, so runs are deterministic.
    fn on_deadline(&mut self, now: Nanos, queue: &mut EventQueue<Event>) {
        if self.egress.next_deadline().is_some_and(|due| due <= now) {
            let mut finished = std::mem::take(&mut self.finished);
            let connections = &self.connections;
            self.egress
                .on_deadline(now, |flow| connections.get(flow).mark, &mut finished);
            for done in finished.drain(..) {
                self.on_flow_finished(now, done.direction, done.flow, done.progress, queue);
            }
            self.finished = finished;
        }
        for class in 0..self.next_arrivals.len() {
            if self.next_arrivals[class] == Some(now) {
                self.on_arrival(now, class as u32, queue);
            }
        }
    }

    fn on_event(&mut self, now: Nanos, event: Event, queue: &mut EventQueue<Event>) {
        match event {
            Event::HoldEnd {
                connection,
                idle_cut,
            } => {
                if idle_cut {
                    self.recorder
                        .on_idle_timeout(self.connections.get(connection));
                }
                self.close(now, connection, queue);
            }
            Event::Release { connection } => self.release(connection),
            Event::DeviceTick => {
                self.egress.on_tick(now);
                if let Some(interval) = self.egress.tick_interval() {
                    queue.push(now + interval, Event::DeviceTick);
                }
            }
            Event::Sample => self.on_sample(now, queue),
        }
    }

    fn on_warmup_end(&mut self, now: Nanos) {
        self.egress.advance(now);
        self.recorder.on_warmup_end(now, &self.egress);
    }
}
