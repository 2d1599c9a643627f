#!/usr/bin/env bash
# Discovers matrix multiplication schemes of low rank with flip-graph
# random walks, one bounded walk per evaluation, later rounds starting
# from the best schemes of the history.  One command:
#
#   examples/discovery/run.sh 2x2     16 evaluations: Strassen's rank 7, seconds
#   examples/discovery/run.sh 3x3     48 evaluations: Laderman's rank 23, minutes
#   examples/discovery/run.sh 4x4     30 minutes of walks over GF(2)
#
# EVALS= (2x2, 3x3) or SECONDS_BUDGET= (4x4: seconds of walks, cost_s),
# BATCH=, STRATEGY= and OUT= override the budget and the loop; BIN= names
# the toolkit's programs (else the checkout's, built by make).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
size=${1:-2x2}
case $size in
2x2) budget=(EVALS="${EVALS:-16}") batch=8 ;;
3x3) budget=(EVALS="${EVALS:-48}") batch=8 ;;
4x4) budget=(SECONDS="${SECONDS_BUDGET:-1800}") batch=4 ;;
*) echo "usage: $0 [2x2|3x3|4x4]" >&2; exit 2 ;;
esac
if [ -z "${BIN:-}" ]; then
	make -s -C "$root"
	BIN=$root/bin
fi
make -s -C "$here"
make -s -f "$root/pipelines/tune.mk" BIN="$BIN" STUDY="$here/study-$size.json" \
    OUT="${OUT:-$root/runs/discovery-$size}" "${budget[@]}" \
    BATCH="${BATCH:-$batch}" ${STRATEGY:+STRATEGY="$STRATEGY"}
