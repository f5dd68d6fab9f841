//! Engine throughput benchmark (`cargo bench`): simulated connections and engine events per
//! second of wall time, single-threaded, on the two shapes the brief names.
//!
//! (a) one hot destination, 1,000 new connections/s, each held 60 s, through a NAT gateway;
//! (b) about 10,000 concurrent connections sharing one bottleneck (UDP flows of fixed duration
//!     offered at twice a NAT instance's capacity, so every flow is cut to its fair share).

use natsim::io::scenario::parse_scenario;
use natsim::model::sim::run_candidate;
use std::time::Instant;

const HOT_DESTINATION: &str = r#"
[scenario]
name = "bench-hot-destination"
duration = "1h"
seed = 1

[[workload]]
rate_per_s = 1000
request_bytes = "1KB"
response_bytes = "4KB"
hold = { dist = "exponential", mean = "60s" }
destinations = 1

[[candidate]]
name = "natgw"
kind = "nat_gateway"
ips = 2
"#;

const SHARED_BOTTLENECK: &str = r#"
[scenario]
name = "bench-shared-bottleneck"
duration = "10m"
seed = 1

[[workload]]
protocol = "udp"
rate_per_s = 1000
request_bytes = 0
response_bytes = "1.25MB"
rate_cap = "1Mbps"
destinations = 1000

[[candidate]]
name = "instance"
kind = "nat_instance"
instance_type = "c6gn.xlarge"
baseline_gbps = 5
burst_gbps = 5
pps_limit = 1e12
conntrack_max = 10000000
"#;

fn bench(label: &str, text: &str) {
    let scenario = parse_scenario(text, label).expect("benchmark scenario parses");
    let mut best: Option<(f64, u64, u64)> = None;
    for _ in 0..3 {
        let start = Instant::now();
        let run = run_candidate(&scenario, 0, 0);
        let wall_s = start.elapsed().as_secs_f64();
        let connections = run.figures.conn_attempts;
        if best.is_none_or(|(w, _, _)| wall_s < w) {
            best = Some((wall_s, connections, run.events));
        }
    }
    let (wall_s, connections, events) = best.expect("three runs");
    println!(
        "{label}: {connections} connections, {events} events in {wall_s:.3} s wall (best of 3) = {:.2} M connections/s, {:.2} M events/s",
        connections as f64 / wall_s / 1e6,
        events as f64 / wall_s / 1e6
    );
}

fn main() {
    bench(
        "(a) hot destination, 1,000 conn/s held 60 s, 1 h simulated",
        HOT_DESTINATION,
    );
    bench(
        "(b) ~10,000 concurrent flows on one bottleneck, 10 min simulated",
        SHARED_BOTTLENECK,
    );
}
