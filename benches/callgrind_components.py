#!/usr/bin/env python3
"""Instructions per connection by component, from a callgrind profile of the runs alone.

With inlining, most of a run is one function (`engine::run`), so the profile is split by the
source file each instruction came from (callgrind's line tables), grouped into the engine's and
the model's parts. docs/benchmarks.md explains how to make the profile:

    cargo build --release --config 'profile.release.package.natsim.debug="line-tables-only"'
    valgrind --tool=callgrind --toggle-collect='*run_candidate_observed*' \\
        --callgrind-out-file=runs.out target/release/natsim run FILE --threads 1 --out /tmp/x
    python3 benches/callgrind_components.py runs.out CONNECTIONS
"""

import collections
import re
import subprocess
import sys

# First match wins: (component, pattern on the source file's path).
COMPONENTS = [
    ("event queue", r"src/engine/queue\.rs|collections/vec_deque"),
    ("run loop", r"src/engine/mod\.rs"),
    ("link sharing (fluid)", r"src/engine/fluid\.rs|collections/binary_heap"),
    ("gateway, packet bucket", r"src/model/device/"),
    ("simulation handlers", r"src/model/sim/(mod|fleet|connection)\.rs"),
    ("recorder, histograms", r"src/model/sim/record\.rs|src/engine/stats\.rs"),
    ("workload draws", r"src/model/(workload|zipf)\.rs|rand_distr|rand_pcg|/rand-|libm|math/"),
    ("time conversions", r"src/util/units\.rs"),
    ("Rust std, inlined (Vec, slices, Option)", r"library/|/rustc/"),
]


def main():
    profile, connections = sys.argv[1], float(sys.argv[2])
    text = subprocess.run(
        ["callgrind_annotate", "--threshold=100", profile], capture_output=True, text=True, check=True
    ).stdout
    totals = collections.Counter()
    for line in text.splitlines():
        match = re.match(r"\s*([\d,]+) \(\s*[\d.]+%\)\s+(\S+?):", line)
        if not match:
            continue
        count, path = int(match.group(1).replace(",", "")), match.group(2)
        component = next((name for name, pattern in COMPONENTS if re.search(pattern, path)), "other")
        totals[component] += count
    total = sum(totals.values())
    print(f"{'component':42} {'per connection':>15}")
    for name, _ in COMPONENTS + [("other", "")]:
        print(f"{name:42} {totals[name] / connections:>15,.0f}")
    print(f"{'all':42} {total / connections:>15,.0f}  ({total:,} instructions)")


if __name__ == "__main__":
    main()
