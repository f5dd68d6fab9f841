//! What a run will take before it starts: connections, engine events, time on this machine, peak
//! memory; and, above [`MAX_WALL_S`] or [`MAX_BYTES`], the knob that makes it smaller.
//!
//! Owns the cost model of a run and the limits past which the CLI asks for `--yes`. Arithmetic
//! on a checked [`Scenario`] only: no clock, no file. The rates are measurements, not promises
//! (docs/reliability.md says how each was taken); the estimate is for telling a two-second run
//! from a two-week one, and errs long.

use crate::io::scenario::{DeviceConfig, Scenario, ScenarioError};
use crate::model::device::nat_instance;
use crate::model::sim::{Interval, SAMPLE_INTERVAL_NS};
use crate::util::units::ns_to_seconds;

/// Connections one thread simulates per second of wall time: 1.5 M, measured on the 2-core
/// build VM under a load average of 4 (1.9 M on a calm host, 2.2 M in the engine benchmark).
pub(crate) const CONNECTIONS_PER_S: f64 = 1.5e6;
/// Engine events per connection (arrival, transfer ends, hold end, release): the benchmark's
/// 8.9 M events/s over 2.2 M connections/s.
pub(crate) const EVENTS_PER_CONNECTION: f64 = 4.0;
/// Wall time per event for each host beyond the first: an internet gateway's clients, a fleet's
/// instances. The hosts' deadlines are scanned at every event: 10,000 clients took 25.7 s for
/// 12,000 connections, about 50 ns per host per event.
pub(crate) const HOST_SCAN_S: f64 = 50e-9;
/// Memory held per open connection (slab entry, flow, heap entries, growth slack): 1.34 M open
/// connections measured 325 MB more than 98,000.
pub(crate) const BYTES_PER_OPEN_CONNECTION: f64 = 300.0;
/// Memory per host (links, credit and packet buckets): 100,000 clients measured 86 MB more than
/// 10,000.
pub(crate) const BYTES_PER_HOST: f64 = 1_000.0;
/// Memory per destination (a workload's Zipf table and the gateway's per-destination ports):
/// 10 M destinations measured 39 MB.
pub(crate) const BYTES_PER_DESTINATION: f64 = 4.0;
/// The process before any run: binary, catalog, thread stacks.
pub(crate) const BASE_BYTES: f64 = 30e6;

/// Longest expected wall time natsim starts without `--yes`: 10 minutes. Every shipped scenario
/// and sweep takes seconds; beyond this a mistake costs more than asking.
pub(crate) const MAX_WALL_S: f64 = 600.0;
/// Most expected memory natsim starts without `--yes`: 4 GiB, what a laptop can spare.
pub(crate) const MAX_BYTES: f64 = 4.0 * 1024.0 * 1024.0 * 1024.0;

/// The work of a set of runs (one scenario's candidates × replications, or a whole sweep).
#[derive(Debug, Clone, PartialEq)]
pub struct Work {
    pub(crate) runs: u64,
    pub connections: f64,
    pub(crate) events: f64,
    /// Wall time of all runs on one thread.
    pub cpu_s: f64,
    /// The longest single run: no number of threads finishes sooner.
    pub(crate) longest_run_s: f64,
    /// Memory of the largest single run while it runs.
    pub(crate) run_bytes: f64,
    /// Memory kept after runs finish (every run's time series, for `natsim run`).
    pub(crate) kept_bytes: f64,
    /// What to turn down if this is too much (the largest term).
    pub(crate) knob: Knob,
}

/// A scenario key that makes the work smaller, and what to say about it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Knob {
    pub(crate) key_path: String,
    pub(crate) hint: String,
}

impl Work {
    /// Expected wall time on `threads` workers.
    pub(crate) fn wall_s(&self, threads: usize) -> f64 {
        let parallel = threads.clamp(1, self.runs.max(1) as usize) as f64;
        (self.cpu_s / parallel).max(self.longest_run_s)
    }

    /// Expected peak memory with `threads` runs at once.
    pub fn peak_bytes(&self, threads: usize) -> f64 {
        let at_once = threads.clamp(1, self.runs.max(1) as usize) as f64;
        BASE_BYTES + at_once * self.run_bytes + self.kept_bytes
    }

    /// One line: "3 run(s), 2.2 M connections, 8.6 M events, about 2 s on 2 thread(s), peak
    /// memory about 40 MB".
    pub(crate) fn describe(&self, threads: usize) -> String {
        format!(
            "{} run(s), {} connections, {} events, {} on {threads} thread(s), peak memory about {}",
            self.runs,
            count(self.connections),
            count(self.events),
            duration(self.wall_s(threads)),
            bytes(self.peak_bytes(threads))
        )
    }

    /// Adds another set of runs (a sweep's points).
    pub(crate) fn add(&mut self, other: Work) {
        let knob = if other.cpu_s > self.cpu_s {
            other.knob.clone()
        } else {
            self.knob.clone()
        };
        *self = Work {
            runs: self.runs + other.runs,
            connections: self.connections + other.connections,
            events: self.events + other.events,
            cpu_s: self.cpu_s + other.cpu_s,
            longest_run_s: self.longest_run_s.max(other.longest_run_s),
            run_bytes: self.run_bytes.max(other.run_bytes),
            kept_bytes: self.kept_bytes + other.kept_bytes,
            knob,
        };
    }

    /// Why this is too big to start without `--yes`, naming the knob that makes it smaller; or
    /// `None` when it is within [`MAX_WALL_S`] and [`MAX_BYTES`].
    pub(crate) fn refusal(&self, threads: usize) -> Option<ScenarioError> {
        let wall_s = self.wall_s(threads);
        let peak = self.peak_bytes(threads);
        let problem = if wall_s > MAX_WALL_S {
            format!(
                "{} connections in {} run(s) would take {} on {threads} thread(s), more than the {} natsim starts without --yes",
                count(self.connections),
                self.runs,
                duration(wall_s),
                "10 minutes"
            )
        } else if peak > MAX_BYTES {
            format!(
                "the runs would need about {} of memory, more than the {} natsim starts without --yes",
                bytes(peak),
                bytes(MAX_BYTES)
            )
        } else {
            return None;
        };
        Some(ScenarioError::new(
            self.knob.key_path.clone(),
            problem,
            format!("{}; or pass --yes to run it anyway", self.knob.hint),
        ))
    }
}

/// The work of every candidate × replication of `scenario`, keeping every run's time series
/// (as `natsim run` does).
pub fn scenario_work(scenario: &Scenario) -> Work {
    let mut work = runs_work(scenario);
    work.kept_bytes = work.runs as f64 * series_bytes(scenario);
    work
}

/// The work of every candidate × replication of `scenario`, keeping only each run's figures (as
/// a sweep does).
pub(crate) fn runs_work(scenario: &Scenario) -> Work {
    let duration_s = ns_to_seconds(scenario.duration_ns);
    let per_workload: Vec<f64> = scenario
        .workloads
        .iter()
        .map(|w| w.rate_per_s * profile_mean(&w.profile, duration_s) * duration_s)
        .collect();
    let connections: f64 = per_workload.iter().sum();
    let replications = f64::from(scenario.replications);
    let costs: Vec<RunCost> = (0..scenario.candidates.len())
        .map(|c| run_cost(scenario, c, connections))
        .collect();
    let cpu_one: f64 = costs.iter().map(|c| c.cpu_s).sum();
    let runs = costs.len() as u64 * u64::from(scenario.replications);
    let work = Work {
        runs,
        connections: connections * runs as f64,
        events: connections * runs as f64 * EVENTS_PER_CONNECTION,
        cpu_s: cpu_one * replications,
        longest_run_s: costs.iter().map(|c| c.cpu_s).fold(0.0, f64::max),
        run_bytes: costs.iter().map(|c| c.bytes).fold(0.0, f64::max),
        kept_bytes: 0.0,
        knob: Knob {
            key_path: String::new(),
            hint: String::new(),
        },
    };
    Work {
        knob: knob(scenario, &per_workload, &costs, &work),
        ..work
    }
}

/// One candidate's single run.
struct RunCost {
    cpu_s: f64,
    bytes: f64,
    /// Share of `cpu_s` spent scanning hosts (an internet gateway's clients).
    host_share: f64,
    /// Share of `bytes` held by open connections, and by hosts.
    open_share: f64,
    host_bytes_share: f64,
}

fn run_cost(scenario: &Scenario, candidate: usize, connections: f64) -> RunCost {
    let device = &scenario.candidates[candidate].device;
    let hosts = hosts(scenario, candidate);
    let base_s = connections / CONNECTIONS_PER_S;
    let scan_s = connections * EVENTS_PER_CONNECTION * (hosts - 1.0).max(0.0) * HOST_SCAN_S;
    let open: f64 = scenario
        .workloads
        .iter()
        .map(|w| peak_rate(w) * sojourn_s(w, device))
        .sum();
    let destinations: f64 = scenario
        .workloads
        .iter()
        .map(|w| f64::from(w.destinations))
        .sum();
    let open_bytes = open * BYTES_PER_OPEN_CONNECTION;
    let host_bytes = hosts * BYTES_PER_HOST;
    let bytes =
        open_bytes + host_bytes + destinations * BYTES_PER_DESTINATION + series_bytes(scenario);
    RunCost {
        cpu_s: base_s + scan_s,
        bytes,
        host_share: scan_s / (base_s + scan_s).max(f64::MIN_POSITIVE),
        open_share: open_bytes / bytes.max(f64::MIN_POSITIVE),
        host_bytes_share: host_bytes / bytes.max(f64::MIN_POSITIVE),
    }
}

/// Hosts a candidate simulates: an internet gateway's clients, a fleet's instances.
fn hosts(scenario: &Scenario, candidate: usize) -> f64 {
    let c = &scenario.candidates[candidate];
    let deployments = if c.per_az {
        let mut zones: Vec<&str> = scenario.workloads.iter().map(|w| w.az.as_str()).collect();
        zones.sort_unstable();
        zones.dedup();
        zones.len() as f64
    } else {
        1.0
    };
    match &c.device {
        DeviceConfig::InternetGateway(config) => f64::from(config.public_ips()),
        DeviceConfig::NatInstance(config) => f64::from(config.count) * deployments,
        DeviceConfig::Proxy(config) => f64::from(config.instance.count) * deployments,
        DeviceConfig::NatGateway(_) => deployments,
    }
}

/// Seconds a connection's record is held: its transfer at its own cap, its idle hold (cut at the
/// device's idle timeout), then the device's release delay.
fn sojourn_s(w: &crate::io::scenario::Workload, device: &DeviceConfig) -> f64 {
    let transfer_s = (w.request_bytes.mean() + w.response_bytes.mean()) * 8.0 / w.rate_cap_bps;
    let udp = w.protocol == crate::io::scenario::Protocol::Udp;
    let (idle_ns, release_ns) = match device {
        DeviceConfig::NatGateway(c) => (c.idle_timeout_ns, c.release_delay_ns),
        DeviceConfig::NatInstance(c) => instance_timers(c, udp),
        DeviceConfig::Proxy(c) => instance_timers(&c.instance, udp),
        DeviceConfig::InternetGateway(_) => (u64::MAX, 0),
    };
    transfer_s + w.hold_s.mean().min(ns_to_seconds(idle_ns)) + ns_to_seconds(release_ns)
}

fn instance_timers(c: &nat_instance::Config, udp: bool) -> (u64, u64) {
    if udp {
        (c.idle_timeout_udp_ns, c.release_delay_udp_ns)
    } else {
        (c.idle_timeout_tcp_ns, c.release_delay_tcp_ns)
    }
}

/// New connections a second at the busiest hour of the profile.
fn peak_rate(w: &crate::io::scenario::Workload) -> f64 {
    w.rate_per_s * w.profile.iter().copied().fold(1.0_f64, f64::max)
}

/// The profile's mean multiplier over `duration_s` (hourly, repeating; 1 without a profile).
fn profile_mean(profile: &[f64], duration_s: f64) -> f64 {
    if profile.is_empty() || duration_s <= 0.0 {
        return 1.0;
    }
    let hours = duration_s / 3600.0;
    let cycle: f64 = profile.iter().sum();
    let cycles = (hours / profile.len() as f64).floor();
    let mut total = cycles * cycle;
    let mut left = hours - cycles * profile.len() as f64;
    for &multiplier in profile {
        if left <= 0.0 {
            break;
        }
        total += multiplier * left.min(1.0);
        left -= 1.0;
    }
    total / hours
}

/// Memory of one run's per-minute time series.
fn series_bytes(scenario: &Scenario) -> f64 {
    let samples = (scenario.duration_ns / SAMPLE_INTERVAL_NS + 1) as f64;
    samples * std::mem::size_of::<Interval>() as f64
}

/// The key that shrinks the largest term of `work`.
fn knob(scenario: &Scenario, per_workload: &[f64], costs: &[RunCost], work: &Work) -> Knob {
    let busiest = |values: &[f64]| {
        values
            .iter()
            .enumerate()
            .fold(
                (0, f64::MIN),
                |best, (i, &v)| if v > best.1 { (i, v) } else { best },
            )
            .0
    };
    let clients: Vec<f64> = scenario
        .workloads
        .iter()
        .map(|w| f64::from(w.clients))
        .collect();
    let heaviest = costs
        .iter()
        .enumerate()
        .fold((0, f64::MIN), |best, (i, c)| {
            if c.cpu_s > best.1 { (i, c.cpu_s) } else { best }
        })
        .0;
    let duration = span(ns_to_seconds(scenario.duration_ns));
    let time_bound = work.wall_s(2) > MAX_WALL_S || work.peak_bytes(2) <= MAX_BYTES;
    let cost = &costs[heaviest];
    if time_bound && cost.host_share > 0.5 || !time_bound && cost.host_bytes_share > 0.5 {
        let w = busiest(&clients);
        return Knob {
            key_path: format!("workload[{w}].clients"),
            hint: format!(
                "simulate fewer clients ({} now; candidate[{heaviest}] simulates each as a host of its own), or shorten scenario.duration ({duration})",
                scenario.workloads[w].clients
            ),
        };
    }
    if !time_bound && cost.open_share > 0.5 {
        let w = busiest(per_workload);
        return Knob {
            key_path: format!("workload[{w}].hold"),
            hint: "shorten the hold or lower rate_per_s: every open connection is held in memory"
                .to_string(),
        };
    }
    if !time_bound {
        return Knob {
            key_path: "scenario.duration".to_string(),
            hint: format!(
                "shorten duration ({duration}) or lower replications ({}): every run keeps a row per simulated minute",
                scenario.replications
            ),
        };
    }
    if scenario.replications > 1 && work.cpu_s / f64::from(scenario.replications) < MAX_WALL_S {
        return Knob {
            key_path: "scenario.replications".to_string(),
            hint: format!(
                "run fewer replications ({} now; 5 to 30 give useful confidence intervals)",
                scenario.replications
            ),
        };
    }
    let w = busiest(per_workload);
    Knob {
        key_path: format!("workload[{w}].rate_per_s"),
        hint: format!(
            "lower rate_per_s ({} new connections a second now) or shorten scenario.duration ({duration})",
            scenario.workloads[w].rate_per_s
        ),
    }
}

/// "8.6e11", "2.2 M", "12,000": a count as people read it.
fn count(n: f64) -> String {
    if n >= 1e12 {
        format!("{n:.1e}")
    } else if n >= 1e9 {
        format!("{:.1} G", n / 1e9)
    } else if n >= 1e6 {
        format!("{:.1} M", n / 1e6)
    } else if n >= 1e4 {
        format!("{:.0} k", n / 1e3)
    } else {
        format!("{n:.0}")
    }
}

/// "about 2 s", "about 14 min", "about 3.5 h", "about 12 days", or "under a second".
pub(crate) fn duration(s: f64) -> String {
    if s < 1.0 {
        "under a second".to_string()
    } else {
        format!("about {}", span(s))
    }
}

/// "2 s", "14 min", "3.5 h", "366 days": a length of time in its largest sensible unit.
fn span(s: f64) -> String {
    if s < 120.0 {
        format!("{s:.0} s")
    } else if s < 7_200.0 {
        format!("{:.0} min", s / 60.0)
    } else if s < 172_800.0 {
        format!("{:.1} h", s / 3_600.0)
    } else if s < 3.2e9 {
        format!("{:.0} days", s / 86_400.0)
    } else {
        format!("{:.1e} years", s / 31_557_600.0)
    }
}

/// "40 MB", "1.2 GiB".
fn bytes(b: f64) -> String {
    if b >= 1024.0 * 1024.0 * 1024.0 {
        format!("{:.1} GiB", b / (1024.0 * 1024.0 * 1024.0))
    } else {
        format!("{:.0} MB", b / 1e6)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_profile_mean_covers_whole_and_partial_hours() {
        let cases: [(&[f64], f64, f64); 5] = [
            (&[], 7_200.0, 1.0),
            (&[1.0, 0.0], 7_200.0, 0.5),
            (&[1.0, 0.0], 3_600.0, 1.0),
            (&[2.0], 1_800.0, 2.0),
            (
                &[1.0, 0.0, 0.5],
                5.5 * 3_600.0,
                (1.0 + 0.0 + 0.5 + 1.0 + 0.0 + 0.25) / 5.5,
            ),
        ];
        for (profile, duration_s, expected) in cases {
            let mean = profile_mean(profile, duration_s);
            assert!((mean - expected).abs() < 1e-12, "{profile:?}: {mean}");
        }
    }

    #[test]
    fn times_and_sizes_read_as_people_say_them() {
        let cases = [
            (0.4, "under a second"),
            (2.4, "about 2 s"),
            (600.0, "about 10 min"),
            (9_000.0, "about 2.5 h"),
            (8.6e5, "about 10 days"),
        ];
        for (s, text) in cases {
            assert_eq!(duration(s), text);
        }
        assert_eq!(count(8.6e11), "860.0 G");
        assert_eq!(count(8.6e12), "8.6e12");
        assert_eq!(bytes(4.0 * 1024.0 * 1024.0 * 1024.0), "4.0 GiB");
    }
}
