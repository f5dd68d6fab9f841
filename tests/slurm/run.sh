#!/usr/bin/env bash
# Issue 12's check on a real scheduler: a single-node Slurm cluster (tests/slurm/cluster.sh)
# runs natsim sweeps as array jobs through deploy/slurm/, and each merged result is compared
# byte for byte with the one-machine sweep of the same file.
#
#   bash tests/slurm/run.sh          # from the repository root; CI's Slurm step
#
# Checks, each a job submission as a user would make it:
#   1. scenarios/sweep-traffic.toml as a 4-task array plus the dependent merge: every file the
#      merge writes (sweep.csv, sweep.parquet, winners.csv, breaks.csv, plots, report.html, runs.csv,
#      manifest.json) equals the one-machine sweep's;
#   2. the same with task 2 killed mid-run: the merge fails (exit 2) naming shard 2 and the
#      command that reruns it; task 2 resubmitted alone resumes its finished runs, and the
#      merge after it gives the same bytes;
#   3. a shard missing at merge time (array 0,1,3): the merge names shard 2's runs and command;
#   4. shards from two scenario files in one folder: the merge refuses them (exit 2).
# Prints the wall times of the one-machine sweep (1 thread) and of the 4-task array.
# Needs root (apt-get and the daemons) and natsim built with `cargo build --release`.
set -euo pipefail
cd "$(dirname "$0")/../.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-${NATSIM_CI_CACHE:-$HOME/.cache/natsim-ci-target}}"
cargo build --release --quiet
export NATSIM="$CARGO_TARGET_DIR/release/natsim"

state="$(mktemp -d /tmp/natsim-slurm.XXXXXX)"
trap 'bash tests/slurm/cluster.sh stop "$state"' EXIT
SLURM_CONF="$(bash tests/slurm/cluster.sh start "$state")"
export SLURM_CONF
work="$state/work"
mkdir -p "$work"
passed=0

fail() {
  echo "slurm check failed: $*" >&2
  echo "slurm checks: $passed passed, 1 failed"
  exit 1
}

# Waits for job $1 to end; prints its state and exit code ("COMPLETED 0:0").
wait_job() {
  local id="$1" deadline=$((SECONDS + 900)) line state
  while :; do
    line="$(scontrol show job "$id" -o 2>/dev/null | head -n 1)"
    state="$(grep -o 'JobState=[A-Z_]*' <<<"$line" | cut -d= -f2)"
    case "$state" in
      COMPLETED | FAILED | CANCELLED | TIMEOUT | NODE_FAIL | OUT_OF_MEMORY | BOOT_FAIL | DEADLINE)
        echo "$state $(grep -o 'ExitCode=[0-9:]*' <<<"$line" | cut -d= -f2)"
        return
        ;;
    esac
    [ "$SECONDS" -lt "$deadline" ] || fail "job $id still ${state:-unknown} after 900 s"
    sleep 0.5
  done
}

# Asserts that every file of the one-machine sweep in $1 has the same bytes in $2.
same_files() {
  local name count=0
  for name in $(ls "$1"); do
    cmp -s "$1/$name" "$2/$name" || fail "$2/$name differs from the one-machine $1/$name"
    count=$((count + 1))
  done
  [ "$count" -ge 8 ] || fail "only $count files in $1"
  echo "$count files"
}

# A small sweep (24 runs of 5 simulated minutes) for the failure cases.
small_sweep() {
  cat > "$1" <<TOML
[scenario]
name = "slurm-small"
duration = "5m"
warmup = "30s"
replications = 2
seed = $2

[sweep]
"candidate[1].instance_type" = ["t4g.nano", "c6gn.medium"]
"workload[0].rate_per_s" = { from = 1, to = 100, steps = 3, scale = "log" }

[[workload]]
rate_per_s = 10
request_bytes = "1KB"
response_bytes = "10KB"

[[candidate]]
name = "natgw"
kind = "nat_gateway"

[[candidate]]
name = "instance"
kind = "nat_instance"
instance_type = "t4g.nano"
TOML
}

scenario=scenarios/sweep-traffic.toml
echo "-- one machine: natsim sweep $scenario --threads 1"
started=$SECONDS
"$NATSIM" sweep "$scenario" --out "$work/one" --threads 1 > "$work/one.log" 2> "$work/one.err"
one_s=$((SECONDS - started))
grep '^sweep ' "$work/one.log"

echo "-- 1. a 4-task array and the dependent merge (deploy/slurm/submit.sh)"
started=$SECONDS
read -r _ array _ merge <<<"$(bash deploy/slurm/submit.sh "$scenario" "$work/array" 4)"
result="$(wait_job "$merge")"
array_s=$((SECONDS - started))
[ "$result" = "COMPLETED 0:0" ] || fail "merge job $merge ended $result: $(cat "$work"/array/logs/merge-*.out)"
for k in 0 1 2 3; do
  [ "$(wait_job "${array}_$k")" = "COMPLETED 0:0" ] || fail "array task $k did not complete"
done
echo "merged sweep equals the one-machine sweep: $(same_files "$work/one" "$work/array")"
echo "wall time: one machine, 1 thread: ${one_s} s; 4 array tasks of 1 CPU on this $(nproc)-CPU node, merge included: ${array_s} s"
passed=$((passed + 1))

echo "-- 2. task 2 killed mid-run, then resubmitted alone"
killed="$work/killed"
read -r _ array _ merge <<<"$(bash deploy/slurm/submit.sh "$scenario" "$killed" 4)"
journal="$killed/shard-2-of-4/runs.csv"
deadline=$((SECONDS + 600))
until [ -f "$journal" ] && [ "$(grep -c '' "$journal")" -ge 2 ]; do
  [ "$SECONDS" -lt "$deadline" ] || fail "shard 2 never finished a run"
  sleep 0.05
done
scancel "${array}_2"
[ ! -f "$killed/shard-2-of-4/manifest.json" ] || fail "task 2 finished before it was killed"
finished_before=$(($(grep -c '' "$journal") - 1))
result="$(wait_job "$merge")"
[ "$result" = "FAILED 2:0" ] || fail "the merge after a killed task ended $result, expected exit 2"
grep -q 'shard 2 of 4:' "$killed"/logs/merge-*.out || fail "the merge log does not name shard 2"
grep -q -- "--shard 2/4 --out $killed --resume" "$killed"/logs/merge-*.out \
  || fail "the merge log does not give the command that reruns shard 2"
echo "killed task 2 after $finished_before run(s); the merge refused (exit 2):"
grep -A1 'shard 2 of 4:' "$killed"/logs/merge-*.out | cut -c1-160
again=$(sbatch --parsable --array=2 --output="$killed/logs/again-%A_%a.out" \
  deploy/slurm/sweep.sbatch "$scenario" "$killed" 4)
merge=$(sbatch --parsable --dependency="afterok:$again" --output="$killed/logs/merge-again-%j.out" \
  deploy/slurm/merge.sbatch "$killed")
result="$(wait_job "$merge")"
[ "$result" = "COMPLETED 0:0" ] || fail "the merge after the resubmitted task ended $result"
grep -Eq '\([1-9][0-9]* resumed\)' "$killed"/logs/again-*.out \
  || fail "the resubmitted task did not resume: $(cat "$killed"/logs/again-*.out)"
grep -o 'shard 2 of 4 · .*resumed)' "$killed"/logs/again-*.out
echo "merged sweep equals the one-machine sweep: $(same_files "$work/one" "$killed")"
passed=$((passed + 1))

echo "-- 3. a shard missing at merge time"
small_sweep "$work/small.toml" 42
"$NATSIM" sweep "$work/small.toml" --out "$work/small-one" --threads 2 > /dev/null 2>&1
missing="$work/missing"
mkdir -p "$missing/logs"
array=$(sbatch --parsable --array=0,1,3 --output="$missing/logs/sweep-%A_%a.out" \
  deploy/slurm/sweep.sbatch "$work/small.toml" "$missing" 4)
merge=$(sbatch --parsable --dependency="afterany:$array" --output="$missing/logs/merge-%j.out" \
  deploy/slurm/merge.sbatch "$missing")
result="$(wait_job "$merge")"
[ "$result" = "FAILED 2:0" ] || fail "the merge without shard 2 ended $result, expected exit 2"
grep -q 'shard 2 of 4: not found' "$missing"/logs/merge-*.out || fail "shard 2 not named"
grep -q -- "run it: natsim sweep $work/small.toml --shard 2/4 --out $missing" "$missing"/logs/merge-*.out \
  || fail "no command for shard 2: $(cat "$missing"/logs/merge-*.out)"
grep 'shard 2 of 4' "$missing"/logs/merge-*.out | cut -c1-160
[ ! -f "$missing/sweep.csv" ] || fail "a refused merge wrote sweep.csv"
passed=$((passed + 1))

echo "-- 4. shards of two scenario files in one folder"
small_sweep "$work/reseeded.toml" 43
mixed="$work/mixed"
mkdir -p "$mixed/logs"
first=$(sbatch --parsable --array=0-1 --output="$mixed/logs/sweep-%A_%a.out" \
  deploy/slurm/sweep.sbatch "$work/small.toml" "$mixed" 4)
second=$(sbatch --parsable --array=2-3 --output="$mixed/logs/sweep-%A_%a.out" \
  deploy/slurm/sweep.sbatch "$work/reseeded.toml" "$mixed" 4)
merge=$(sbatch --parsable --dependency="afterany:$first:$second" \
  --output="$mixed/logs/merge-%j.out" deploy/slurm/merge.sbatch "$mixed")
result="$(wait_job "$merge")"
[ "$result" = "FAILED 2:0" ] || fail "the merge of two files' shards ended $result, expected exit 2"
grep -q 'not a shard of the same sweep' "$mixed"/logs/merge-*.out \
  || fail "mismatch not named: $(cat "$mixed"/logs/merge-*.out)"
cut -c1-160 "$mixed"/logs/merge-*.out
[ ! -f "$mixed/sweep.csv" ] || fail "a refused merge wrote sweep.csv"
passed=$((passed + 1))

echo "slurm checks: $passed passed, 0 failed"
