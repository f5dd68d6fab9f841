//! Turns workload descriptions into a stream of connection arrivals.
//!
//! Each workload draws from its own named random streams (arrivals, sizes, destinations, hold),
//! seeded independently of any device, so every candidate sees the same arrivals: differences
//! between candidates are the devices', not noise (common random numbers).

use crate::engine::{Nanos, Streams, rng::StreamRng};
use crate::model::scenario::{Dist, Workload};
use crate::util::units::{NS_PER_S, seconds_to_ns};
use rand::RngExt;
use rand_distr::{Distribution, Exp, LogNormal, Pareto, Zipf};

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
}

/// A sampler for a [`Dist`], built once so drawing is cheap.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Sampler {
    Constant(f64),
    Exponential(Exp<f64>),
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
            Dist::Exponential { mean } => Exp::new(1.0 / mean)
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

    pub(crate) fn sample(&self, rng: &mut StreamRng) -> f64 {
        match self {
            Sampler::Constant(value) => *value,
            Sampler::Exponential(d) => d.sample(rng),
            Sampler::LogNormal(d) => d.sample(rng),
            Sampler::Pareto(d) => d.sample(rng),
        }
    }
}

/// Arrival generator for all workloads of a scenario.
#[derive(Debug, Clone)]
pub(crate) struct Generator {
    classes: Vec<ClassGenerator>,
    destination_count: usize,
}

#[derive(Debug, Clone)]
struct ClassGenerator {
    arrivals: StreamRng,
    sizes: StreamRng,
    destinations: StreamRng,
    holds: StreamRng,
    endpoint: StreamRng,
    endpoint_share: f64,
    /// Interarrival times at the peak of the profile; thinning brings them down to the hour's rate.
    interarrival_at_peak: Exp<f64>,
    /// Profile multipliers divided by their maximum (acceptance probabilities), empty when flat.
    acceptance: Vec<f64>,
    request: Sampler,
    response: Sampler,
    hold: Sampler,
    zipf: Option<Zipf<f64>>,
    first_destination: u32,
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
                let class = ClassGenerator {
                    arrivals: streams.stream("arrivals", index),
                    sizes: streams.stream("sizes", index),
                    destinations: streams.stream("destinations", index),
                    holds: streams.stream("hold", index),
                    endpoint: streams.stream("endpoint", index),
                    endpoint_share: w.endpoint_share,
                    interarrival_at_peak: Exp::new(peak_rate.max(1e-12))
                        .unwrap_or(Exp::new(1.0).expect("1 is a valid rate")),
                    acceptance,
                    request: Sampler::new(w.request_bytes),
                    response: Sampler::new(w.response_bytes),
                    hold: Sampler::new(w.hold_s),
                    zipf: (w.destinations > 1)
                        .then(|| Zipf::new(w.destinations as f64, w.zipf_exponent).ok())
                        .flatten(),
                    first_destination,
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
    pub(crate) fn next_arrival(&mut self, class: u32, now: Nanos, horizon: Nanos) -> Option<Nanos> {
        let generator = &mut self.classes[class as usize];
        let mut t = now;
        loop {
            let gap_s = generator
                .interarrival_at_peak
                .sample(&mut generator.arrivals);
            t = t.saturating_add(seconds_to_ns(gap_s).max(1));
            if t >= horizon {
                return None;
            }
            if generator.acceptance.is_empty() {
                return Some(t);
            }
            let hour = (t as f64 / (3600.0 * NS_PER_S)) as usize % generator.acceptance.len();
            if generator.arrivals.random::<f64>() < generator.acceptance[hour] {
                return Some(t);
            }
        }
    }

    /// Draws what the arriving connection of `class` wants.
    pub(crate) fn draw(&mut self, class: u32) -> Arrival {
        let g = &mut self.classes[class as usize];
        let offset = match &g.zipf {
            Some(zipf) => (zipf.sample(&mut g.destinations) as u32).saturating_sub(1),
            None => 0,
        };
        Arrival {
            class,
            destination: g.first_destination + offset,
            request_bytes: g.request.sample(&mut g.sizes).max(0.0),
            response_bytes: g.response.sample(&mut g.sizes).max(0.0),
            hold_ns: seconds_to_ns(g.hold.sample(&mut g.holds)),
            aws_service: g.endpoint_share > 0.0 && g.endpoint.random::<f64>() < g.endpoint_share,
        }
    }
}
