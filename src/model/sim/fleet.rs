//! A candidate's deployments: one device, or one per AZ that has clients (`per_az = true`, the
//! layout AWS recommends), with each workload routed to a device in its own AZ when there is
//! one, else to the first deployment (paying cross-AZ both ways). A regional NAT gateway is one
//! per AZ too, but only its home AZ (the candidate's `az`) is there from the start: the others
//! appear after the expansion delay, and until then their clients cross to the home AZ.
//!
//! Owns routing and path numbering: paths are numbered across deployments (a deployment's
//! paths follow the previous one's), so the simulation addresses any path with one `u32` and
//! never needs to know how many deployments there are. The first deployment is held in place
//! and the others in a vector: a one-device fleet (most candidates) reaches its device with no
//! indirection, and its paths need no search.
//!
//! Generic over the [`Device`] kind, so the simulation's calls reach the device without a
//! `match` or a vtable; every deployment is of the one kind the run chose.

use crate::engine::fluid::{FlowId, FlowMark, FlowProgress};
use crate::engine::{NEVER, Nanos};
use crate::model::device::credits::Reserve;
use crate::model::device::{
    Billing, Device, Diagnostics, Direction, Outcome, Path, PathCapacity, Refusal,
};
use crate::model::scenario::{AzOutage, Candidate, Protocol, Workload};

#[derive(Debug, Clone)]
pub(crate) struct Fleet<D> {
    /// The first deployment (the home AZ's), often the only one. Held in place rather than in
    /// `others`, so the calls of every connection reach a lone device without going through a
    /// vector's pointer and index check.
    first: Deployment<D>,
    /// The deployments after the first, in deployment order (empty for one device).
    others: Vec<Deployment<D>>,
    /// The first path of `others[0]` ([`u32::MAX`] when there is none): every path below it is
    /// the first deployment's own, numbered as it numbers them.
    others_from: u32,
    /// Only the first device can have a deadline: no other deployment and no AZ outage edge
    /// pending. Kept as `az_events` empties, so the check before each event is one flag.
    alone: bool,
    /// Deployment serving each workload.
    route: Vec<usize>,
    scratch: Outcome,
    /// AZ outage edges not yet applied, latest first: (time, goes down?, deployment).
    az_events: Vec<(Nanos, bool, usize)>,
}

#[derive(Debug, Clone)]
struct Deployment<D> {
    az: String,
    device: D,
    first_path: u32,
    /// When the deployment starts carrying traffic (and billing): 0, or a regional NAT
    /// gateway's expansion into this AZ.
    active_from: Nanos,
}

impl<D: Device> Fleet<D> {
    /// Deploys `candidate` for `workloads`; `new_device(i)` builds deployment i's device (with
    /// its own random stream).
    pub(crate) fn new(
        candidate: &Candidate,
        workloads: &[Workload],
        az_outages: &[AzOutage],
        mut new_device: impl FnMut(u64) -> D,
    ) -> Self {
        // Every deployment has the same configuration: the first answers whether the device
        // expands into the other AZs (a regional NAT gateway).
        let first = new_device(0);
        let expansion = first.expansion_ns();
        let mut azs: Vec<&str> = vec![&candidate.az];
        if candidate.per_az || expansion.is_some() {
            azs.clear();
            if expansion.is_some() {
                azs.push(&candidate.az);
            }
            for w in workloads {
                if !azs.contains(&w.az.as_str()) {
                    azs.push(&w.az);
                }
            }
        }
        let mut first_path = 0u32;
        let mut first = Some(first);
        let deployments: Vec<Deployment<D>> = azs
            .iter()
            .enumerate()
            .map(|(index, az)| {
                let device = first.take().unwrap_or_else(|| new_device(index as u64));
                let deployment = Deployment {
                    az: az.to_string(),
                    first_path,
                    device,
                    active_from: if index == 0 {
                        0
                    } else {
                        expansion.unwrap_or(0)
                    },
                };
                first_path += deployment.device.path_count() as u32;
                deployment
            })
            .collect();
        let route = workloads
            .iter()
            .map(|w| deployments.iter().position(|d| d.az == w.az).unwrap_or(0))
            .collect();
        let mut az_events: Vec<(Nanos, bool, usize)> = Vec::new();
        for outage in az_outages {
            for index in (0..deployments.len()).filter(|&i| deployments[i].az == outage.az) {
                az_events.push((outage.at_ns, true, index));
                az_events.push((outage.at_ns.saturating_add(outage.for_ns), false, index));
            }
        }
        // Latest first, so the next edge pops off the end; at equal times "back up" sorts
        // before "down" in time order (false < true), so back-to-back outages stay down.
        az_events.sort_by(|a, b| b.cmp(a));
        let mut deployments = deployments.into_iter();
        let first = deployments
            .next()
            .expect("a fleet has at least one deployment");
        let others: Vec<Deployment<D>> = deployments.collect();
        Fleet {
            first,
            others_from: others.first().map_or(u32::MAX, |d| d.first_path),
            alone: others.is_empty() && az_events.is_empty(),
            others,
            route,
            scratch: Outcome::default(),
            az_events,
        }
    }

    /// Every deployment, in deployment order.
    fn deployments(&self) -> impl Iterator<Item = &Deployment<D>> {
        std::iter::once(&self.first).chain(&self.others)
    }

    fn deployments_mut(&mut self) -> impl Iterator<Item = &mut Deployment<D>> {
        std::iter::once(&mut self.first).chain(&mut self.others)
    }

    /// Deployment `index` (0 is the first).
    fn deployment(&self, index: usize) -> &Deployment<D> {
        match index {
            0 => &self.first,
            _ => &self.others[index - 1],
        }
    }

    #[inline]
    fn deployment_mut(&mut self, index: usize) -> &mut Deployment<D> {
        match index {
            0 => &mut self.first,
            _ => &mut self.others[index - 1],
        }
    }

    /// The AZ of the device behind each path, in path order, with the path.
    pub(crate) fn paths(&self) -> impl Iterator<Item = (&str, &Path)> {
        self.deployments().flat_map(|d| {
            (0..d.device.path_count() as u32).map(move |p| (d.az.as_str(), d.device.path(p)))
        })
    }

    pub(crate) fn path(&self, path: u32) -> &Path {
        let (device, local) = self.locate(path);
        device.path(local)
    }

    /// Bytes processed by NAT gateways across deployments (what the processing charge bills).
    pub(crate) fn processed_bytes(&self) -> f64 {
        self.deployments().map(|d| d.device.processed_bytes()).sum()
    }

    /// What each deployment bills; every deployment shares one configuration, so the first one
    /// answers for all.
    /// Whether the device's paths sit in their clients' AZs (no cross-AZ traffic to reach it).
    pub(crate) fn in_clients_az(&self) -> bool {
        self.first.device.in_clients_az()
    }

    pub(crate) fn billing(&self) -> Billing {
        self.first.device.billing()
    }

    /// Hours each deployment has existed by `now`, in deployment order (what its hours bill).
    pub(crate) fn deployment_hours(&self, now: Nanos) -> Vec<f64> {
        self.deployments()
            .map(|d| crate::util::units::ns_to_seconds(now.saturating_sub(d.active_from)) / 3600.0)
            .collect()
    }

    #[inline]
    pub(crate) fn admit(
        &mut self,
        now: Nanos,
        workload: usize,
        destination: u32,
    ) -> Result<u32, Refusal> {
        if self.others.is_empty() {
            // One device serves every workload.
            return self.first.device.admit(now, workload, destination);
        }
        let mut index = self.route[workload];
        if self.deployment(index).active_from > now {
            // Not there yet (a regional gateway still expanding): the home AZ carries it.
            index = 0;
        }
        let deployment = self.deployment_mut(index);
        deployment
            .device
            .admit(now, workload, destination)
            .map(|local| deployment.first_path + local)
    }

    /// Time an admitted connection waits for the device's CPU before its bytes move.
    #[inline]
    pub(crate) fn processing_delay(&mut self, now: Nanos, path: u32) -> Nanos {
        let (device, local) = self.locate_mut(path);
        device.processing_delay(now, local)
    }

    #[inline]
    pub(crate) fn release(&mut self, path: u32, destination: u32) {
        let (device, local) = self.locate_mut(path);
        device.release(local, destination);
    }

    #[inline]
    pub(crate) fn start_flow(
        &mut self,
        now: Nanos,
        path: u32,
        direction: Direction,
        class: u32,
        flow: FlowId,
        bytes: f64,
    ) -> FlowMark {
        let (device, local) = self.locate_mut(path);
        device.start_flow(now, local, direction, class, flow, bytes)
    }

    /// Removes a flow before it finishes (its client went away) and returns what it moved.
    pub(crate) fn stop_flow(
        &mut self,
        now: Nanos,
        path: u32,
        direction: Direction,
        flow: FlowId,
        mark: &FlowMark,
    ) -> FlowProgress {
        let (device, local) = self.locate_mut(path);
        device.stop_flow(now, local, direction, flow, mark)
    }

    #[inline]
    pub(crate) fn next_deadline(&self) -> Nanos {
        if self.alone {
            // The common case, asked once per event: one device, no AZ outage pending.
            return self.first.device.next_deadline();
        }
        let devices = self
            .deployments()
            .fold(NEVER, |at, d| at.min(d.device.next_deadline()));
        devices.min(self.az_events.last().map_or(NEVER, |e| e.0))
    }

    /// Runs every deployment that is due, numbering what it reports with global paths.
    #[inline]
    pub(crate) fn on_deadline(
        &mut self,
        now: Nanos,
        marks: impl Fn(FlowId) -> FlowMark + Copy,
        outcome: &mut Outcome,
    ) {
        if self.alone {
            // The common case: the caller only calls when `next_deadline` is due, and with one
            // device and no AZ event that deadline is the device's own; asking again would
            // cost as much as the work.
            self.first.device.on_deadline(now, marks, outcome);
            return;
        }
        let scratch = &mut self.scratch;
        for d in std::iter::once(&mut self.first).chain(&mut self.others) {
            if d.device.next_deadline() > now {
                continue;
            }
            if d.first_path == 0 {
                // Paths of the first deployment need no renumbering: report straight through.
                d.device.on_deadline(now, marks, outcome);
            } else {
                d.device.on_deadline(now, marks, scratch);
                move_renumbered(scratch, d.first_path, outcome);
            }
        }
        while self.az_events.last().is_some_and(|e| e.0 <= now) {
            let Some((_, down, index)) = self.az_events.pop() else {
                break;
            };
            // `deployment_mut` by hand: it would borrow all of `self`, and `scratch` is needed
            // beside the deployment below.
            let d = match index {
                0 => &mut self.first,
                _ => &mut self.others[index - 1],
            };
            if !down {
                d.device.restore(now);
                continue;
            }
            d.device.fail(now, marks, &mut self.scratch);
            move_renumbered(&mut self.scratch, d.first_path, outcome);
        }
        self.alone = self.others.is_empty() && self.az_events.is_empty();
    }

    pub(crate) fn advance(&mut self, now: Nanos) {
        self.deployments_mut().for_each(|d| d.device.advance(now));
    }

    /// Capacity per direction now, summed over each deployment's paths, then over deployments.
    pub(crate) fn capacity_bps(&self, direction: Direction) -> f64 {
        self.deployments()
            .map(|d| {
                (0..d.device.path_count() as u32)
                    .map(|p| d.device.path(p).link(direction).bandwidth_bps())
                    .sum::<f64>()
            })
            .sum()
    }

    /// Packets per second allowed now, summed over every path of every deployment.
    pub(crate) fn packet_limit_pps(&self) -> f64 {
        self.deployments()
            .map(|d| {
                (0..d.device.path_count() as u32)
                    .map(|p| d.device.packet_limit_pps(p))
                    .sum::<f64>()
            })
            .sum()
    }

    pub(crate) fn tick_interval(&self) -> Option<Nanos> {
        self.first.device.tick_interval()
    }

    pub(crate) fn tick(&mut self, now: Nanos) {
        self.deployments_mut().for_each(|d| d.device.tick(now));
    }

    /// Every deployment shares one configuration, so the first one answers for all.
    #[inline]
    pub(crate) fn idle_timeout_ns(&self, protocol: Protocol) -> u64 {
        self.first.device.idle_timeout_ns(protocol)
    }

    #[inline]
    pub(crate) fn release_delay_ns(&self, protocol: Protocol) -> u64 {
        self.first.device.release_delay_ns(protocol)
    }

    /// Every path's capacity, in path order.
    pub(crate) fn path_capacities(&self) -> Vec<PathCapacity> {
        self.deployments()
            .flat_map(|d| d.device.path_capacities())
            .collect()
    }

    /// The worst credit reserve over the deployments at `now` (links advanced there).
    pub(crate) fn reserve(&self, now: Nanos) -> Reserve {
        self.deployments()
            .map(|d| d.device.reserve(now))
            .fold(Reserve::default(), Reserve::worst)
    }

    pub(crate) fn diagnostics(&self) -> Diagnostics {
        let all: Vec<Diagnostics> = self.deployments().map(|d| d.device.diagnostics()).collect();
        Diagnostics {
            credits_exhausted_at: all.iter().filter_map(|d| d.credits_exhausted_at).min(),
            peak_capacity_bps: all.iter().map(|d| d.peak_capacity_bps).fold(0.0, f64::max),
        }
    }

    /// Seconds in [from, to) that clients had no egress, averaged over workloads by arrival rate:
    /// the time the device serving a workload was down (the share of its instances down), not
    /// counting time the workload's own AZ was down, since its clients were down too.
    pub(crate) fn client_outage_s(
        &self,
        workloads: &[Workload],
        az_outages: &[AzOutage],
        from: Nanos,
        to: Nanos,
    ) -> f64 {
        let total_rate: f64 = workloads.iter().map(|w| w.rate_per_s).sum();
        if total_rate <= 0.0 || to <= from {
            return 0.0;
        }
        workloads
            .iter()
            .enumerate()
            .map(|(index, w)| {
                let (down_s, paths) = self.workload_down(index, w, az_outages, from, to);
                w.rate_per_s / total_rate * down_s / paths
            })
            .sum()
    }

    /// [`Fleet::client_outage_s`] of each workload on its own, in workload order.
    pub(crate) fn client_outage_s_by_workload(
        &self,
        workloads: &[Workload],
        az_outages: &[AzOutage],
        from: Nanos,
        to: Nanos,
    ) -> Vec<f64> {
        workloads
            .iter()
            .enumerate()
            .map(|(index, w)| {
                if to <= from {
                    return 0.0;
                }
                let (down_s, paths) = self.workload_down(index, w, az_outages, from, to);
                down_s / paths
            })
            .collect()
    }

    /// Path-seconds in [from, to) that the device serving workload `index` was down while its
    /// clients were up, and the number of paths they are shared over (at least 1).
    fn workload_down(
        &self,
        index: usize,
        w: &Workload,
        az_outages: &[AzOutage],
        from: Nanos,
        to: Nanos,
    ) -> (f64, f64) {
        let clip = |a: Nanos, b: Nanos| (a.clamp(from, to), b.clamp(from, to));
        let (list, paths) = self.deployment(self.route[index]).device.outages();
        let own: Vec<(Nanos, Nanos)> = az_outages
            .iter()
            .filter(|o| o.az == w.az)
            .map(|o| clip(o.at_ns, o.at_ns.saturating_add(o.for_ns)))
            .collect();
        let down_ns: u64 = list
            .iter()
            .map(|&(_, start, end)| {
                let (a, b) = clip(start, end.unwrap_or(to));
                let clients_down: u64 = own
                    .iter()
                    .map(|&(x, y)| y.min(b).saturating_sub(x.max(a)))
                    .sum();
                (b - a).saturating_sub(clients_down)
            })
            .sum();
        (
            crate::util::units::ns_to_seconds(down_ns),
            paths.max(1) as f64,
        )
    }

    /// The device behind global path `path`, and the path's number on that device.
    #[inline]
    fn locate(&self, path: u32) -> (&D, u32) {
        if path < self.others_from {
            // The common case: the first (often only) deployment's path, numbered from 0.
            return (&self.first.device, path);
        }
        let d = self.other(path);
        (&d.device, path - d.first_path)
    }

    #[inline]
    fn locate_mut(&mut self, path: u32) -> (&mut D, u32) {
        if path < self.others_from {
            return (&mut self.first.device, path);
        }
        // `other`'s search, written out: a shared helper measured +2.1 M instructions on
        // benchmark (a), where this branch is never taken (codegen of the inlined fast path).
        let index = self.others.iter().rposition(|d| d.first_path <= path);
        let d = &mut self.others[index.expect("a path of a later deployment")];
        (&mut d.device, path - d.first_path)
    }

    /// The deployment after the first that owns `path` (at least `others_from`).
    fn other(&self, path: u32) -> &Deployment<D> {
        let index = self.others.iter().rposition(|d| d.first_path <= path);
        &self.others[index.expect("a path of a later deployment")]
    }
}

/// Moves what one deployment reported into `outcome`, its paths renumbered from `first_path`.
fn move_renumbered(from: &mut Outcome, first_path: u32, outcome: &mut Outcome) {
    if from.is_empty() {
        return;
    }
    if first_path == 0 {
        // The first (often only) deployment needs no renumbering: a plain move.
        outcome.finished.append(&mut from.finished);
        outcome.reset.append(&mut from.reset);
        outcome.failed.append(&mut from.failed);
        return;
    }
    let renumber = |mut f: crate::model::device::Finished| {
        f.path += first_path;
        f
    };
    outcome
        .finished
        .extend(from.finished.drain(..).map(renumber));
    outcome.reset.extend(from.reset.drain(..).map(renumber));
    outcome
        .failed
        .extend(from.failed.drain(..).map(|p| p + first_path));
}
