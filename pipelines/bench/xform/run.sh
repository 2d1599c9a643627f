#!/bin/bash
# run.sh -- the transformation search against the compiler's own
# optimisers (issue 16), for one kernel on one core or on all of them.
#
#   pipelines/bench/xform/run.sh KERNEL MODE [EVALS] [STRATEGIES]
#
#   KERNEL      matmul, stencil or transpose (kernels/KERNEL/naive.json)
#   MODE        one: one core (everything pinned to core 0 with taskset,
#                    OMP_NUM_THREADS=1, no par in the menu)
#               all: every core (par in the menu, threads as the study
#                    lists them)
#   EVALS       evaluations of each strategy (200)
#   STRATEGIES  the strategies to run from the naive source ("xform rl")
#
# Environment: AR_BIN (bin/), N (1024), OUT (runs/xform), SEED (1),
# TUNE_BENCH (ar-bench options while tuning: "--repeat 3 --timeout 1":
# the naive matmul takes 7 s a run at N=1024, and a variant as slow as
# that is not worth three runs).
#
# Each strategy tunes the naive source through pipelines/tune.mk (BATCH 8)
# at N.  Then, in the same run, the candidates are measured again, in
# turn, three times (ar-bench --warmup 2 --repeat 11, median), each
# through the same sandbox and verification:
#   naive       the naive source at the study's flags (clang -O3
#               -march=native -fopenmp), every knob off
#   polly       the same with -mllvm -polly (all: and -polly-parallel)
#   polly-sm    the same with -mllvm -polly-vectorizer=stripmine too
#   best-S      the best configuration strategy S found
#   template    matmul only: kernels/sgemm's BLIS-style template at its
#               tuned best of BENCHMARKS.md (issue 4)
# and for each strategy the evaluations it took to reach 90% of its own
# best.  Take /tmp/ar/bench.lock (or any lock of yours) around it: one
# timing at a time.
set -euo pipefail

k=${1:?usage: run.sh KERNEL MODE [EVALS] [STRATEGIES]}
mode=${2:?usage: run.sh KERNEL MODE [EVALS] [STRATEGIES]}
evals=${3:-200}
strats=${4:-"xform rl"}
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
BIN=${AR_BIN:-$ROOT/bin}
N=${N:-1024}
SEED=${SEED:-1}
out=${OUT:-$ROOT/runs/xform}/$k-$mode
src=$ROOT/kernels/$k
mkdir -p "$out"
export AR_VARIANTS=$out/variants

case $mode in
one)	pin="taskset -c 0"; export OMP_NUM_THREADS=1
	ops='["tile","unroll","vec","ileave","dist","jam","order"]'
	polly='["-mllvm","-polly"]' ;;
all)	pin=""; unset OMP_NUM_THREADS
	ops='["par","tile","unroll","vec","ileave","dist","jam","order"]'
	polly='["-mllvm","-polly","-mllvm","-polly-parallel"]' ;;
*)	echo "run.sh: MODE is one or all" >&2; exit 2 ;;
esac

# The study with absolute paths, the menu of the mode, and its Polly twins.
jq --arg d "$src" --argjson ops "$ops" '.source = "\($d)/naive.c" |
    .reference.source = "\($d)/" + .reference.source |
    .transform.ops = $ops' "$src/naive.json" >"$out/study.json"
jq --argjson p "$polly" '.compile.flags += $p' "$out/study.json" \
    >"$out/polly.json"
jq '.compile.flags += ["-mllvm", "-polly-vectorizer=stripmine"]' \
    "$out/polly.json" >"$out/polly-sm.json"

echo "== $k $mode N=$N, $(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg)" \
    "$(lscpu | sed -n 's/^Model name: *//p'), $(nproc --all) cores"
for s in $strats; do
	t0=$(date +%s)
	$pin make -s -f "$ROOT/pipelines/tune.mk" BIN="$BIN" \
	    STUDY="$out/study.json" OUT="$out/$s" EVALS="$evals" BATCH=8 \
	    STRATEGY="$s" SEED="$SEED" JOBS=1 DEFS="-D N=$N" \
	    BENCH="${TUNE_BENCH---repeat 3 --timeout 1}" CACHE="$out/cache" >/dev/null
	echo "tuned $s: $(wc -l <"$out/$s/history.jsonl") evaluations in" \
	    "$(( $(date +%s) - t0 )) s, load $(cut -d' ' -f1-3 /proc/loadavg)"
done

# The naive program's params: every knob off.
naive=$("$BIN/ar-propose" -s "$out/study.json" -D N=$N -n 1 \
    --strategy xform | jq -c '{params}')
# name study from-line, one a line.
{
	echo "naive $out/study.json $naive"
	echo "polly $out/polly.json $naive"
	echo "polly-sm $out/polly-sm.json $naive"
	for s in $strats; do
		best=$(jq -sc 'map(select(.status == "ok" and .time_s != null))
		    | min_by(.time_s) | {params}' "$out/$s/history.jsonl")
		echo "best-$s $out/study.json $best"
	done
	if [ "$k" = matmul ]; then
		if [ "$mode" = one ]; then
			t='{"params":{"VW":16,"MR":8,"NR":32,"KC":128,"MC":48,"NC":2048,"KU":1,"PF":8,"THREADS":1,"PAR":0}}'
		else
			t='{"params":{"VW":16,"MR":4,"NR":64,"KC":192,"MC":144,"NC":1536,"KU":2,"PF":4,"THREADS":2,"PAR":0}}'
		fi
		echo "template $ROOT/kernels/sgemm/cpu.json $t"
	fi
} >"$out/candidates"

defs="-D N=$N"
: >"$out/remeasure.jsonl"
for pass in 1 2 3; do
	while read -r name study from; do
		d=$defs
		case $name in template)
			d="-D M=$N -D N=$N -D K=$N"
			[ "$mode" = one ] && d="$d -D MAXT=1" ;;
		esac
		# shellcheck disable=SC2086
		echo "$from" | "$BIN/ar-propose" -s "$study" $d --from - |
		    "$BIN/ar-compile" -s "$study" $d --cache "$out/cache" |
		    $pin "$BIN/ar-bench" -s "$study" $d --cache "$out/cache" \
		    --warmup 2 --repeat 11 |
		    jq -c --arg n "$name" --argjson p $pass \
		    '{name: $n, pass: $p, status, time_s, error}' \
		    >>"$out/remeasure.jsonl"
	done <"$out/candidates"
done

# The figures: per candidate the median of its three medians, as GFLOP/s
# (matmul) or GB/s moved (8 bytes a cell: stencil, transpose).
unit=GB/s
work=$(awk -v n="$N" 'BEGIN { print 8 * n * n / 1e9 }')
[ "$k" = matmul ] && unit=GFLOP/s &&
    work=$(awk -v n="$N" 'BEGIN { print 2 * n * n * n / 1e9 }')
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
jq -rs --arg u "$unit" --argjson w "$work" '
    group_by(.name) | map({name: .[0].name,
      st: (map(.status) | unique | join(",")),
      t: (map(.time_s // empty) | sort | if length > 0 then .[length / 2 | floor] else null end)})
    | .[] | "\(.name)\t\(.st)\t\(if .t then (($w / .t) * 100 | round / 100 | tostring) + " " + $u else "-" end)"' \
    "$out/remeasure.jsonl"

# Evaluations to 90% of the strategy's own best (by time_s), and the
# best configuration's ops.
for s in $strats; do
	jq -rs --arg s "$s" '
	    [foreach .[] as $r (null; if $r.status == "ok" and $r.time_s != null
	      and (. == null or $r.time_s < .) then $r.time_s else . end)] as $b
	    | ($b[-1]) as $best
	    | ([range(0; length)] | map(select($b[.] != null and $b[.] <= $best / 0.9)) | first + 1) as $n90
	    | "\($s): \(length) evaluations, \(map(select(.status == "ok")) | length) ok, 90% of its best at evaluation \($n90); best ops \(map(select(.status == "ok" and .time_s == $best)) | first | .variant.ops | tostring)"' \
	    "$out/$s/history.jsonl"
done
