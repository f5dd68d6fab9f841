#!/usr/bin/env python3
"""natsim against a SimPy model of the same workload, side by side (issue 15).

The workload is benchmark (a) of docs/benchmarks.md made a port workload: one hot destination,
1,000 new connections a second (Poisson), 1 KB up and 4 KB down, each then held idle for an
exponential minute, through a NAT gateway with one public IP (55,000 ports to the destination,
so about one connection in ten is refused once the ports fill), for 20 simulated minutes:
1.2 M connections.

The SimPy model does what natsim does for these connections, event by event: Poisson arrivals;
a port taken per connection and refused (ErrorPortAllocation) when all 55,000 are in use; the
request and then the response moved over the gateway's two 5 Gbps links, each shared max-min
fairly among the flows on it (at most 5 Gbps a flow), completions recomputed whenever a flow
starts or ends; the idle hold, cut at the 350 s idle timeout; the port freed at close;
completion times and slowdowns recorded in a histogram. It leaves out what natsim adds on top:
the packet allowance and its token bucket, the gateway's scaling ramp, per-minute time series,
cost and the report files. So the comparison flatters SimPy, if anything.

Each runs in its own process, one after the other, on one core: natsim as `natsim run FILE
--threads 1` (timed whole: reading, running, writing its CSV, plots and report), the SimPy model
in this script's process. The figures printed are CPU seconds (user + system) of each. natsim
takes about half a second, where a host's timing noise is a good part of the figure, so it runs
`--repeat` times (5 by default) and the ratio is taken against its median, with the range beside.

    python3 -m venv ~/.cache/natsim-simpy-venv
    ~/.cache/natsim-simpy-venv/bin/pip install simpy==4.1.2
    cargo build --release
    ~/.cache/natsim-simpy-venv/bin/python benches/simpy_compare.py [--natsim PATH] [--minutes N] [--repeat N]
"""

import argparse
import math
import os
import random
import resource
import subprocess
import sys
import tempfile
import time

import simpy

RATE_PER_S = 1000.0
REQUEST_BYTES = 1000.0
RESPONSE_BYTES = 4000.0
HOLD_MEAN_S = 60.0
IDLE_TIMEOUT_S = 350.0
PORTS = 55_000
LINK_BYTES_PER_S = 5e9 / 8
FLOW_CAP_BYTES_PER_S = 5e9 / 8

SCENARIO = """[scenario]
name = "simpy-comparison"
duration = "{minutes}m"
warmup = 0
seed = 1

[[workload]]
rate_per_s = 1000
request_bytes = "1KB"
response_bytes = "4KB"
hold = {{ dist = "exponential", mean = "60s" }}
destinations = 1

[[candidate]]
name = "natgw"
kind = "nat_gateway"
ips = 1
"""


class Link:
    """One direction of the gateway: processor sharing with a per-flow cap (max-min fair on one
    bottleneck). A controller process sleeps until the next flow finishes and is woken whenever
    a flow starts."""

    def __init__(self, env):
        self.env = env
        self.flows = {}  # flow id -> [bytes left, done event]
        self.last = 0.0
        self.next_id = 0
        self.wake = env.event()
        env.process(self.run())

    def rate(self):
        n = len(self.flows)
        return min(FLOW_CAP_BYTES_PER_S, LINK_BYTES_PER_S / n) if n else 0.0

    def advance(self):
        moved = self.rate() * (self.env.now - self.last)
        for flow in self.flows.values():
            flow[0] -= moved
        self.last = self.env.now

    def transfer(self, size):
        self.advance()
        done = self.env.event()
        self.flows[self.next_id] = [size, done]
        self.next_id += 1
        if not self.wake.triggered:
            self.wake.succeed()
        return done

    def run(self):
        while True:
            if not self.flows:
                yield self.wake
                self.wake = self.env.event()
                continue
            first = min(left for left, _ in self.flows.values())
            wait = max(first, 0.0) / self.rate()
            yield self.env.timeout(wait) | self.wake
            if self.wake.triggered:
                self.wake = self.env.event()
            self.advance()
            for flow_id in [i for i, (left, _) in self.flows.items() if left <= 1e-3]:
                self.flows.pop(flow_id)[1].succeed()


class Histogram:
    """Log-bucketed, 64 buckets per power of two, as natsim's."""

    def __init__(self):
        self.counts = {}
        self.count = 0
        self.total = 0.0

    def record(self, value):
        self.count += 1
        self.total += value
        bucket = math.floor(math.log2(max(value, 1e-9)) * 64)
        self.counts[bucket] = self.counts.get(bucket, 0) + 1

    def quantile(self, q):
        rank = max(1, math.ceil(q * self.count))
        seen = 0
        for bucket in sorted(self.counts):
            seen += self.counts[bucket]
            if seen >= rank:
                return 2 ** ((bucket + 0.5) / 64)
        return 0.0


class Gateway:
    def __init__(self, env):
        self.out = Link(env)
        self.inbound = Link(env)
        self.ports_in_use = 0
        self.attempts = 0
        self.refused = 0
        self.idle_timeouts = 0
        self.fct = Histogram()
        self.slowdown = Histogram()


def connection(env, gateway, rng):
    gateway.attempts += 1
    if gateway.ports_in_use >= PORTS:
        gateway.refused += 1
        return
    gateway.ports_in_use += 1
    start = env.now
    yield gateway.out.transfer(REQUEST_BYTES)
    yield gateway.inbound.transfer(RESPONSE_BYTES)
    fct = env.now - start
    gateway.fct.record(fct)
    gateway.slowdown.record(max(fct / ((REQUEST_BYTES + RESPONSE_BYTES) / FLOW_CAP_BYTES_PER_S), 1.0))
    hold = rng.expovariate(1.0 / HOLD_MEAN_S)
    if hold >= IDLE_TIMEOUT_S:
        gateway.idle_timeouts += 1
        hold = IDLE_TIMEOUT_S
    yield env.timeout(hold)
    gateway.ports_in_use -= 1


def arrivals(env, gateway, rng, horizon_s):
    while True:
        yield env.timeout(rng.expovariate(RATE_PER_S))
        if env.now >= horizon_s:
            return
        env.process(connection(env, gateway, rng))


def run_simpy(minutes):
    env = simpy.Environment()
    gateway = Gateway(env)
    rng = random.Random(1)
    horizon_s = minutes * 60.0
    env.process(arrivals(env, gateway, rng, horizon_s))
    env.run(until=horizon_s)
    return gateway


def median(runs):
    """The run with the median CPU time (the lower middle one for an even count)."""
    return sorted(runs)[(len(runs) - 1) // 2]


def cpu_seconds(usage):
    return usage.ru_utime + usage.ru_stime


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    here = os.path.dirname(os.path.abspath(__file__))
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(here, "..", "target"))
    parser.add_argument("--natsim", default=os.path.join(target, "release", "natsim"))
    parser.add_argument("--minutes", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=5, help="natsim runs; the median counts")
    args = parser.parse_args()
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")

    with tempfile.TemporaryDirectory() as folder:
        scenario = os.path.join(folder, "scenario.toml")
        with open(scenario, "w") as f:
            f.write(SCENARIO.format(minutes=args.minutes))
        natsim_runs = []  # (CPU s, wall s) per run
        for _ in range(args.repeat):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            wall = time.perf_counter()
            subprocess.run(
                [args.natsim, "run", scenario, "--threads", "1", "--yes", "--out", os.path.join(folder, "out")],
                check=True,
                stdout=subprocess.DEVNULL,
            )
            natsim_wall = time.perf_counter() - wall
            natsim_cpu = cpu_seconds(resource.getrusage(resource.RUSAGE_CHILDREN)) - cpu_seconds(before)
            natsim_runs.append((natsim_cpu, natsim_wall))
        natsim_cpu, natsim_wall = median(natsim_runs)
        with open(os.path.join(folder, "out", "summary.csv")) as f:
            header, row = f.read().splitlines()[:2]
        summary = dict(zip(header.replace('"', "").split(","), row.replace('"', "").split(",")))

    before = resource.getrusage(resource.RUSAGE_SELF)
    wall = time.perf_counter()
    gateway = run_simpy(args.minutes)
    simpy_wall = time.perf_counter() - wall
    simpy_cpu = cpu_seconds(resource.getrusage(resource.RUSAGE_SELF)) - cpu_seconds(before)

    print(f"workload: {args.minutes} min at 1,000 connections/s through one NAT gateway IP")
    print(f"{'':8} {'connections':>12} {'refused':>8} {'FCT p99 s':>10} {'CPU s':>8} {'wall s':>8}")
    print(
        f"{'natsim':8} {summary.get('conn_attempts', '?'):>12} {float(summary.get('conn_fail_rate', 'nan')) * 100:>7.1f}%"
        f" {float(summary.get('fct_p99_s', 'nan')):>10.3g} {natsim_cpu:>8.2f} {natsim_wall:>8.2f}"
    )
    print(
        f"{'SimPy':8} {gateway.attempts:>12} {gateway.refused / max(gateway.attempts, 1) * 100:>7.1f}%"
        f" {gateway.fct.quantile(0.99):>10.3g} {simpy_cpu:>8.2f} {simpy_wall:>8.2f}"
    )
    cpus = sorted(cpu for cpu, _ in natsim_runs)
    print(
        f"natsim is {simpy_cpu / natsim_cpu:.0f}x faster (CPU seconds, median of {len(cpus)} natsim runs;"
        f" {simpy_cpu / cpus[-1]:.0f}x to {simpy_cpu / cpus[0]:.0f}x over the runs: {', '.join(f'{c:.2f}' for c in cpus)} s)"
    )


if __name__ == "__main__":
    sys.exit(main())
