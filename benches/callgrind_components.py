#!/usr/bin/env python3
"""Instructions per connection by component, from a callgrind profile of the runs alone.

With inlining, most of a run is one function (`engine::run`), so each instruction is charged to
the innermost natsim source file on its inlining chain (standard-library code inlined into a
natsim function counts for that function), and the files are grouped into the engine's and the
model's parts. docs/benchmarks.md explains how to make the profile:

    cargo build --release --config 'profile.release.package.natsim.debug="line-tables-only"'
    valgrind --tool=callgrind --dump-instr=yes --toggle-collect='*run_candidate_observed*' \\
        --callgrind-out-file=runs.out target/release/natsim run FILE --threads 1 --out /tmp/x
    python3 benches/callgrind_components.py runs.out target/release/natsim CONNECTIONS
"""

import collections
import re
import subprocess
import sys

# First match wins: (component, pattern on the natsim source file an instruction is charged to,
# or on the library it runs in).
COMPONENTS = [
    # Out-of-line library code only one part calls: sorting (the queue's runs), binary heaps
    # (the links' finish tags).
    ("event queue", r"src/engine/queue\.rs|slice/sort/"),
    ("run loop", r"src/engine/mod\.rs"),
    ("link sharing (fluid)", r"src/engine/fluid\.rs|collections/binary_heap"),
    ("gateway, packet bucket", r"src/model/device/"),
    ("simulation handlers", r"src/model/sim/(mod|fleet|connection)\.rs"),
    ("recorder, histograms", r"src/model/sim/(record|tally)\.rs|src/engine/stats\.rs"),
    ("workload draws", r"src/model/(workload|zipf|exponential)\.rs|rand_distr|rand_pcg|/rand-|libm"),
    ("time conversions", r"src/util/units\.rs"),
]


def self_costs(profile):
    """Self instructions per (object, address) in a callgrind file made with --dump-instr=yes."""
    costs = collections.Counter()
    names, obj, addr, skip = {}, "", 0, False
    for line in open(profile):
        match = re.match(r"c?ob=\((\d+)\)(?: (.*))?", line)
        if match:
            if match.group(2):
                names[match.group(1)] = match.group(2).strip()
            if line.startswith("ob="):
                obj = names.get(match.group(1), "")
            continue
        if line.startswith("calls="):
            skip = True  # the next cost line is the call's inclusive cost
            continue
        if not line[:1] or line[0] not in "0123456789+-*":
            continue
        fields = line.split()
        position = fields[0]
        if position.startswith("0x"):
            addr = int(position, 16)
        elif position[0] in "+-":
            addr += int(position, 0) if position[1:].startswith("0x") else int(position)
        if skip:
            skip = False
        elif len(fields) >= 3:
            costs[(obj, addr)] += int(fields[2])
    return costs


def charged_files(binary, addresses):
    """Per address, the innermost natsim source file on its inlining chain (addr2line -i), or
    the library file it runs in when no natsim function inlined it."""
    files = {}
    for start in range(0, len(addresses), 2000):
        batch = addresses[start : start + 2000]
        out = subprocess.run(
            ["addr2line", "-i", "-a", "-e", binary] + [hex(a) for a in batch],
            capture_output=True, text=True, check=True,
        ).stdout
        frames = {}
        for line in out.splitlines():
            if line.startswith("0x"):
                current = frames.setdefault(int(line, 16), [])
            else:
                current.append(line.split(" (discriminator")[0].rsplit(":", 1)[0])
        for addr, chain in frames.items():
            ours = [f for f in chain if re.search(r"(^|/)src/", f) and "/rustc/" not in f and "/.cargo/" not in f]
            files[addr] = ours[0] if ours else "library:" + (chain[0] if chain else "?")
    return files


def main():
    profile, binary, connections = sys.argv[1], sys.argv[2], float(sys.argv[3])
    costs = self_costs(profile)
    ours = sorted({addr for (obj, addr) in costs if obj.endswith(binary.rsplit("/", 1)[-1])})
    files = charged_files(binary, ours)
    totals = collections.Counter()
    for (obj, addr), count in costs.items():
        path = files.get(addr, obj) if obj.endswith(binary.rsplit("/", 1)[-1]) else obj
        component = next((name for name, pattern in COMPONENTS if re.search(pattern, path or "")), "other")
        totals[component] += count
    total = sum(totals.values())
    print(f"{'component':28} {'per connection':>15}")
    for name, _ in COMPONENTS + [("other", "")]:
        print(f"{name:28} {totals[name] / connections:>15,.0f}")
    print(f"{'all':28} {total / connections:>15,.0f}  ({total:,} instructions)")


if __name__ == "__main__":
    main()
