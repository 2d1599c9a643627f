#!/usr/bin/env bash
# Tunes the traffic lights of a 4x4 SUMO grid in congestion: one cycle
# length, one north-south split and a green wave (offset steps per column
# and per row), for the least waiting time.  One command:
#
#   examples/traffic/run.sh            (EVALS=100 BATCH=8 by default)
#
# It makes the network and the demand (make -C examples/traffic), then
# runs the loop; each evaluation is one SUMO run of signals.py, about ten
# seconds.  BIN= names the programs (bin/ by default, built first), OUT=
# the run's folder (runs/traffic).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
if [ -z "${BIN:-}" ]; then
	make -s -C "$root"
	BIN=$root/bin
fi
make -s -C "$here"
exec make -s -f "$root/pipelines/tune.mk" BIN="$BIN" STUDY="$here/study.json" \
    OUT="${OUT:-$root/runs/traffic}" EVALS="${EVALS:-100}" BATCH="${BATCH:-8}"
