#!/usr/bin/env bash
# Submits a natsim sweep to Slurm as N array tasks plus a merge job that waits for all of them
# (docs/sharding.md):
#
#   bash deploy/slurm/submit.sh FILE DIR N [extra sbatch options, for both jobs...]
#
# Prints the two job ids ("array <id> merge <id>"). Logs go to DIR/logs/. The merge depends on
# the array with afterany, so it runs even when a task failed, and its log then says what to
# rerun. DIR must be on storage that every node sees.
set -euo pipefail
usage="usage: submit.sh FILE DIR N [sbatch options...]"
file="${1:?$usage}"
dir="${2:?$usage}"
shards="${3:?$usage}"
shift 3
here="$(cd "$(dirname "$0")" && pwd)"
mkdir -p "$dir/logs"
array=$(sbatch --parsable "$@" --array="0-$((shards - 1))" \
  --output="$dir/logs/sweep-%A_%a.out" "$here/sweep.sbatch" "$file" "$dir" "$shards")
array="${array%%;*}"
merge=$(sbatch --parsable "$@" --dependency="afterany:$array" \
  --output="$dir/logs/merge-%j.out" "$here/merge.sbatch" "$dir")
merge="${merge%%;*}"
echo "array $array merge $merge"
