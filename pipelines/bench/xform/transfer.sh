#!/bin/bash
# transfer.sh -- does the rl policy learned on one kernel start another
# one faster?  (issue 16)
#
#   pipelines/bench/xform/transfer.sh PRIOR_HISTORY KERNEL MODE [EVALS]
#
#   PRIOR_HISTORY  the history of an rl run on another kernel, e.g.
#                  runs/xform/matmul-one/rl/history.jsonl from run.sh
#   KERNEL MODE    the target, as run.sh takes them (stencil one, ...)
#   EVALS          evaluations of each run (200)
#
# Environment: AR_BIN (bin/), N (1024), OUT (runs/xform), SEED (1).
#
# Two rl runs of the target from its naive source: cold (a uniform
# policy) and warm (tune.mk PRIOR=, ar-learn --prior: the policy starts
# from what the prior's records taught it).  The prior's records map
# onto the target's knobs by name (tile_i, vec_j, ...); the knob "order"
# is left out of the target's menu, since the orders of two nests are
# not the same values ("ijk" is no order of a two-loop nest) and a record
# that gives a knob a value the target lacks does not map at all.
# Prints, for each run, the evaluations it took to reach 90% of the cold
# run's best (by time_s), and each run's best.
set -euo pipefail

prior=${1:?usage: transfer.sh PRIOR_HISTORY KERNEL MODE [EVALS]}
k=${2:?usage: transfer.sh PRIOR_HISTORY KERNEL MODE [EVALS]}
mode=${3:?usage: transfer.sh PRIOR_HISTORY KERNEL MODE [EVALS]}
evals=${4:-200}
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
BIN=${AR_BIN:-$ROOT/bin}
N=${N:-1024}
SEED=${SEED:-1}
out=${OUT:-$ROOT/runs/xform}/transfer-$k-$mode
src=$ROOT/kernels/$k
prior=$(realpath "$prior")
mkdir -p "$out"
export AR_VARIANTS=$out/variants

case $mode in
one)	pin="taskset -c 0"; export OMP_NUM_THREADS=1
	ops='["tile","unroll","vec","ileave","dist","jam"]' ;;
all)	pin=""
	ops='["par","tile","unroll","vec","ileave","dist","jam"]' ;;
*)	echo "transfer.sh: MODE is one or all" >&2; exit 2 ;;
esac
jq --arg d "$src" --argjson ops "$ops" '.source = "\($d)/naive.c" |
    .reference.source = "\($d)/" + .reference.source |
    .transform.ops = $ops' "$src/naive.json" >"$out/study.json"

echo "== transfer $prior -> $k $mode N=$N, $(date -u +%FT%TZ)," \
    "load $(cut -d' ' -f1-3 /proc/loadavg)"
for run in cold warm; do
	p=
	[ $run = warm ] && p=$prior
	$pin make -s -f "$ROOT/pipelines/tune.mk" BIN="$BIN" \
	    STUDY="$out/study.json" OUT="$out/$run" EVALS="$evals" BATCH=8 \
	    STRATEGY=rl SEED="$SEED" JOBS=1 DEFS="-D N=$N" PRIOR="$p" \
	    BENCH="${TUNE_BENCH---repeat 3 --timeout 1}" CACHE="$out/cache" >/dev/null
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
cold=$(jq -s 'map(select(.status == "ok") | .time_s) | min' \
    "$out/cold/history.jsonl")
for run in cold warm; do
	jq -rs --arg r "$run" --argjson c "$cold" '
	    [foreach .[] as $x (null; if $x.status == "ok" and
	      (. == null or $x.time_s < .) then $x.time_s else . end)] as $b
	    | ([range(0; length)] | map(select($b[.] != null and
	      $b[.] <= $c / 0.9)) | first) as $i
	    | "\($r): 90% of the cold best at evaluation \(if $i == null then "never" else $i + 1 end) of \(length); best \($b[-1]) s"' \
	    "$out/$run/history.jsonl"
done
