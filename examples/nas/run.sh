#!/usr/bin/env bash
# The architecture search on the digits data set: an MLP trained in C
# (mlp.c, OpenBLAS), the most accurate on validation with the fewest
# parameters.  One command:
#
#   examples/nas/run.sh            (EVALS=100 BATCH=8 by default)
#
# OUT= the output folder (runs/nas), BIN= the toolkit's programs (bin/),
# and tune.mk's other variables (STRATEGY=, SEED=, BENCH=) pass through.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
[ -n "${BIN:-}" ] || make -s -C "$root"
make -s -C "$here"
exec make -s -f "$root/pipelines/tune.mk" STUDY="$here/study.json" \
    OUT="${OUT:-$root/runs/nas}" EVALS="${EVALS:-100}" BATCH="${BATCH:-8}" \
    ${BIN:+BIN="$BIN"}
