#!/usr/bin/env bash
# Runs the sweep-traffic sweep and executes notebooks/sweep-traffic.ipynb headless.
#
#   bash notebooks/run.sh              # sweep (cargo, release build), then the notebook
#   bash notebooks/run.sh --no-sweep   # the notebook only, on the sweep.parquet already there
#
# Environment:
#   NATSIM_VENV           virtual environment to use (default ~/.cache/natsim-notebook-venv). It
#                         is rebuilt when notebooks/requirements.txt or the Python version changes.
#   NATSIM_SWEEP_PARQUET  read this sweep.parquet instead; the sweep is then not run.
#   PYTHON                interpreter that creates the venv (default python3).
#   CARGO_TARGET_DIR      honoured by cargo as usual.
#
# The executed copy (notebook.ipynb) and the chart (notebook_cost.png) go into the sweep's own
# folder, beside the sweep.parquet read; the committed notebook is never modified. Exits non-zero
# if any cell raises, for example when the sweep file is missing a column.
set -euo pipefail

usage() {
    sed -n '2,16p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

run_sweep=1
for arg in "$@"; do
    case "$arg" in
        --no-sweep) run_sweep=0 ;;
        -h | --help)
            usage
            exit 0
            ;;
        *)
            echo "run.sh: unknown argument '$arg'" >&2
            usage >&2
            exit 2
            ;;
    esac
done

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"

# A relative NATSIM_SWEEP_PARQUET means relative to where run.sh was called from.
parquet=""
if [[ -n "${NATSIM_SWEEP_PARQUET:-}" ]]; then
    if [[ ! -f "$NATSIM_SWEEP_PARQUET" ]]; then
        echo "run.sh: NATSIM_SWEEP_PARQUET=$NATSIM_SWEEP_PARQUET: no such file" >&2
        exit 1
    fi
    parquet="$(cd "$(dirname "$NATSIM_SWEEP_PARQUET")" && pwd)/$(basename "$NATSIM_SWEEP_PARQUET")"
fi

cd "$repo"
requirements="$here/requirements.txt"
notebook="$here/sweep-traffic.ipynb"
kernel=natsim-notebook

# --- the virtual environment ------------------------------------------------------------------
venv="${NATSIM_VENV:-$HOME/.cache/natsim-notebook-venv}"
python="${PYTHON:-python3}"
stamp="$venv/.natsim-requirements"
want="$(sha256sum "$requirements" | cut -d' ' -f1) $("$python" -c 'import sys; print(sys.version.split()[0])') $kernel"
if [[ -x "$venv/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
    echo "run.sh: reusing $venv" >&2
else
    # Only ever delete a folder that is a virtual environment (or empty): NATSIM_VENV could be
    # pointed at something else by mistake.
    if [[ -d "$venv" && -n "$(ls -A "$venv")" && ! -f "$venv/pyvenv.cfg" ]]; then
        echo "run.sh: $venv exists and is not a virtual environment; set NATSIM_VENV elsewhere" >&2
        exit 1
    fi
    echo "run.sh: building $venv from notebooks/requirements.txt" >&2
    rm -rf "$venv"
    "$python" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements"
    # A kernelspec inside the venv, under a name of its own, so that the kernel is this venv's
    # Python whatever "python3" kernels the user has installed elsewhere.
    "$venv/bin/python" -m ipykernel install --prefix "$venv" --name "$kernel" \
        --display-name "Python (natsim notebooks)" >/dev/null
    echo "$want" >"$stamp" # last, so an interrupted build is redone next time
fi

# --- the sweep ---------------------------------------------------------------------------------
if [[ -n "$parquet" ]]; then
    echo "run.sh: NATSIM_SWEEP_PARQUET is set; reading $parquet, not running the sweep" >&2
else
    parquet="$repo/output/sweep-traffic/sweep/sweep.parquet"
    if [[ "$run_sweep" == 1 ]]; then
        echo "run.sh: running the sweep (cargo run --release)" >&2
        cargo run --release --quiet -- sweep scenarios/sweep-traffic.toml --out output/sweep-traffic/sweep
    fi
    if [[ ! -f "$parquet" ]]; then
        echo "run.sh: $parquet does not exist; run without --no-sweep to produce it" >&2
        exit 1
    fi
fi

# --- the notebook ------------------------------------------------------------------------------
# The executed copy sits with the sweep it read, so each sweep's folder holds its own.
executed="$(dirname "$parquet")/notebook.ipynb"
# The kernel starts in notebooks/, as Jupyter would start it; the notebook finds the sweep file
# from there, or through NATSIM_SWEEP_PARQUET.
if [[ -n "${NATSIM_SWEEP_PARQUET:-}" ]]; then export NATSIM_SWEEP_PARQUET="$parquet"; fi
export JUPYTER_PLATFORM_DIRS=1 # jupyter_core's future default; silences its warning
echo "run.sh: executing notebooks/sweep-traffic.ipynb" >&2
"$venv/bin/python" - "$notebook" "$executed" "$here" "$kernel" <<'PY'
import os
import re
import shutil
import sys
import tempfile

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from traitlets.config import Config

source, target, cwd, kernel = sys.argv[1:5]
nb = nbformat.read(source, as_version=4)
kernelspec = dict(nb.metadata.get("kernelspec", {}))
# The kernel talks over Unix sockets in a private folder: no TCP port, no plain-text warning.
sockets = tempfile.mkdtemp(prefix="natsim-kernel-")
config = Config()
config.KernelManager.transport = "ipc"
config.KernelManager.ip = os.path.join(sockets, "kernel")  # absolute: kernel and client agree
client = NotebookClient(
    nb, kernel_name=kernel, timeout=600, config=config, resources={"metadata": {"path": cwd}}
)
failure = None
try:
    client.execute()
except CellExecutionError as error:
    failure = error
finally:
    shutil.rmtree(sockets, ignore_errors=True)
# Keep the committed notebook's kernelspec so the copy opens anywhere.
if kernelspec:
    nb.metadata["kernelspec"] = kernelspec
nbformat.write(nb, target)  # also when a cell failed: the copy shows where
if failure is not None:
    if failure.ename == "SweepDataError":  # the notebook's own checks: their message is enough
        print(f"run.sh: the sweep file does not fit the notebook:\n{failure.evalue}", file=sys.stderr)
    else:  # anything else: the cell and its traceback, without terminal colours
        print(re.sub(r"\x1b\[[0-9;]*m", "", str(failure)), file=sys.stderr)
        print(f"\nrun.sh: the notebook failed: {failure.ename}: {failure.evalue}", file=sys.stderr)
    print(f"run.sh: the partly executed copy is {target}", file=sys.stderr)
    sys.exit(1)
PY

png="$(dirname "$parquet")/notebook_cost.png"
echo "executed notebook: ${executed#"$repo"/}"
echo "chart:             ${png#"$repo"/}"
