#!/usr/bin/env bash
# Checks natsim's report.html pages in headless Chromium (Debian's chromium package, driven by
# playwright-core from npm; no browser download).
#
#   bash tests/browser/run.sh [REPORT.html ...]
#
# Default reports: output/quickstart/report.html and output/sweep-traffic/sweep/report.html (made by
# `natsim run scenarios/quickstart.toml` and `natsim sweep scenarios/sweep-traffic.toml`).
# A batch's index.html (`natsim run A.toml B.toml --out DIR`) is checked the same way.
# Installs chromium (and the DejaVu fonts) when /usr/bin/chromium is absent, runs `npm ci` when node_modules is missing
# or older than package-lock.json, proves the checker can fail on the fixtures, then checks each
# report: its sibling summary.csv, sweep.csv or batch.csv says which page it is (the
# recommendation must come first; a run's must itemise the monthly bill), which candidates (or
# scenarios) it must show and over how many replications (more than one: ± intervals), and a
# sibling calibration.csv (a run with --cloudwatch) makes the calibration section required.
# Every figure must have a caption that says what it shows.
# Screenshots go to output/browser/<name>.png. Paths are taken relative to the repository root.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"
chromium_bin="${CHROMIUM:-/usr/bin/chromium}"

say() { printf '== %s\n' "$*"; }
die() { printf 'tests/browser/run.sh: %s\n' "$*" >&2; exit 1; }

# --- Debian's chromium -----------------------------------------------------------------------
if [ ! -x "$chromium_bin" ]; then
  [ "$chromium_bin" = /usr/bin/chromium ] || die "CHROMIUM=$chromium_bin is not an executable"
  command -v apt-get >/dev/null || die "/usr/bin/chromium is missing and there is no apt-get to install Debian's chromium"
  sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null ||
      die "/usr/bin/chromium is missing; installing Debian's chromium needs root or sudo (apt-get install chromium)"
    sudo=(sudo)
  fi
  say "installing Debian's chromium"
  start=$SECONDS
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core </dev/null
  [ -x /usr/bin/chromium ] || die "apt-get installed chromium but /usr/bin/chromium is still missing"
  say "chromium installed in $((SECONDS - start)) s"
fi
# Debian's launcher script prints a harmless shell warning on stderr; keep only the version line.
say "$("$chromium_bin" --version 2>/dev/null || echo "chromium: version unknown")"

# --- playwright-core, pinned by package-lock.json --------------------------------------------
command -v node >/dev/null || die "node is missing (Node.js 20 or later is needed)"
command -v npm >/dev/null || die "npm is missing"
node_major="$(node -p 'process.versions.node.split(".")[0]')"
[ "$node_major" -ge 20 ] || die "node $(node --version) is too old: playwright-core needs 20 or later"
stamp="$here/node_modules/.natsim-lock.sha256"
lock_sum="$(sha256sum "$here/package-lock.json" | cut -d' ' -f1)"
if [ -f "$here/node_modules/playwright-core/package.json" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$lock_sum" ]; then
  say "node_modules matches package-lock.json"
else
  say "npm ci (tests/browser)"
  (cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
  printf '%s\n' "$lock_sum" >"$stamp"
fi

shots="$root/output/browser"
mkdir -p "$shots"
check() { node "$here/check-report.mjs" "$@"; }

# --- self-test: the checker must be able to fail ----------------------------------------------
# Each case: fixture, the FAIL kinds its output must name, then extra arguments.
expect_failure() {
  local fixture="$1" kinds="$2"
  shift 2
  local out rc=0
  out="$(check "$here/fixtures/$fixture" "$shots/selftest-${fixture%.html}.png" "$@" 2>&1)" || rc=$?
  if [ "$rc" -ne 1 ]; then
    printf '%s\n' "$out" >&2
    die "self-test: check-report.mjs exited $rc on fixtures/$fixture; expected 1 (the check found the defects)"
  fi
  local kind
  for kind in $kinds; do
    grep -q "FAIL $kind:" <<<"$out" ||
      { printf '%s\n' "$out" >&2; die "self-test: fixtures/$fixture did not fail with \"FAIL $kind:\""; }
  done
  say "self-test: fixtures/$fixture${*:+ $*} fails as it should ($kinds)"
}
say "self-test"
expect_failure broken.html "console-error page-error network table no-plot"
expect_failure blank.html "screenshot"
expect_failure good.html "candidates" --expect-candidates alpha,not-a-candidate
expect_failure good.html "calibration" --expect-candidates alpha,beta \
  --expect-calibration-from "$here/fixtures/calibration-expected.csv"
expect_failure good.html "workloads breaks" --expect-candidates alpha,beta \
  --expect-workloads-from "$here/fixtures/workloads-expected.csv" \
  --expect-breaks-from "$here/fixtures/breaks-expected.csv"
expect_failure muddled.html "recommendation bill caption ci" --kind run --expect-candidates alpha,beta \
  --expect-replications 3
check "$here/fixtures/good.html" "$shots/selftest-good.png" --kind run --expect-candidates alpha,beta \
  --expect-replications 3 >/dev/null ||
  die "self-test: fixtures/good.html should pass"
say "self-test: fixtures/good.html passes as it should"

# --- the reports ------------------------------------------------------------------------------
if [ "$#" -eq 0 ]; then
  set -- output/quickstart/report.html output/sweep-traffic/sweep/report.html
fi

# The scenario a report belongs to: output/<name>/report.html is a run's, and
# output/<name>/sweep/report.html a sweep's.
scenario_dir() {
  local dir
  dir="$(dirname "$1")"
  if [ "$(basename "$dir")" = "sweep" ]; then
    dir="$(dirname "$dir")"
  fi
  basename "$dir"
}

# The natsim command that writes a report, when scenarios/<name>.toml (or a scenarios/*/
# scenario.toml named so) exists; with --cloudwatch when a cloudwatch.json sits beside it.
maker() {
  local dir name toml
  dir="$(scenario_dir "$1")"
  for toml in scenarios/*.toml scenarios/*/scenario.toml; do
    [ -f "$toml" ] || continue
    name="$(sed -n 's/^name *= *"\(.*\)".*/\1/p' "$toml" | head -n 1)"
    if [ "$name" = "$dir" ] || [ "$(basename "$toml" .toml)" = "$dir" ]; then
      if grep -q '^\[sweep\]' "$toml"; then
        echo "cargo run --release -- sweep $toml"
      elif [ -f "$(dirname "$toml")/cloudwatch.json" ]; then
        echo "cargo run --release -- run $toml --cloudwatch $(dirname "$toml")/cloudwatch.json"
      else
        echo "cargo run --release -- run $toml"
      fi
      return
    fi
  done
  echo "natsim run (or natsim sweep) on the scenario that writes $(dirname "$1")"
}

failed=0
for report in "$@"; do
  if [ ! -f "$report" ]; then
    echo "tests/browser/run.sh: $report is missing; make it first with: $(maker "$report")" >&2
    failed=1
    continue
  fi
  # One screenshot per report: a sweep's is <name>-sweep.png, beside the run's <name>.png; a
  # batch's index.html is <folder>-index.png.
  name="$(scenario_dir "$report")"
  case "$report" in
    */sweep/report.html) name="$name-sweep" ;;
    */index.html) name="$name-index" ;;
  esac
  say "check $report"
  check "$report" "$shots/$name.png" || failed=1
done
[ "$failed" -eq 0 ] || die "report check failed"
say "all reports pass; screenshots in output/browser/"
