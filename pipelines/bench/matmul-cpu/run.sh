#!/usr/bin/env bash
# Benchmark (issues 4 and 20): tunes the BLIS-style SGEMM of
# kernels/sgemm/ with the loop (pipelines/tune.mk) under a fixed budget,
# at the size it is judged at, then measures the best configuration found
# against OpenBLAS's cblas_sgemm, side by side in the same run, on the
# same problem:
#
#   one    N=1024, one core: -D MAXT=1, everything pinned to core 0
#          (taskset -c 0), OPENBLAS_NUM_THREADS=1
#   all    N=2048, every core: -D MAXT=$(nproc), OPENBLAS_NUM_THREADS=$(nproc)
#   cross  what tuning at one size and judging at another costs: the
#          study is tuned at N=1024 on every core (OUT/all-1024), and its
#          best is measured at N=2048 alternating with the best of `all`
#          (tuned at N=2048; `all` is tuned first if it is not done)
#
# The best record is not trusted as it stands.  With CONFIRM=1 (the
# default) tune.mk's `confirm` measures the top CONFIRM_TOP of the history
# again, CONFIRM_REPEAT times each, interleaved, and the confirmed best is
# taken (the winner's curse, issue 20); CONFIRM=0 takes the history's best
# score.  That best is proposed again with ar-propose --from, built and
# measured with more runs (ar-bench --repeat), alternating PAIRS times
# with OpenBLAS, both timed the same way (median of the runs after
# warm-up, each call alone).  OpenBLAS is measured as the environment
# gives it and, where the environment does not set OPENBLAS_CORETYPE, at
# each core type of OB_CORETYPES that the processor can run (default
# "SkylakeX Cooperlake": AVX-512, and AVX-512 with BF16; OpenBLAS 0.3.21
# has nothing newer, and does not know the newest Xeons: left alone it
# falls back to its Prescott (SSE3) kernels, a comparison that would
# flatter us).  The ratio is against the fastest.
#
# Prints one JSON line per measurement and, per case, a summary line
#   {"case", "M", "N", "K", "threads", "evals", "strategy", "tuned_gflops",
#    "params", "ours_gflops", "openblas": [{"coretype", "core", "gflops"}],
#    "openblas_gflops", "openblas_core", "ratio", "pair_ratio_median",
#    "loadavg": [start, end]}
# ratio is the median of ours over the median of OpenBLAS's;
# pair_ratio_median the median of the ratios within each pair.  `cross`
# prints {"case": "cross", "N", "tuned_at": [{"N", "params", "gflops"}],
#   "ratio", "pair_ratio_median", "loadavg"}: ratio is the median at
# N=2048 of the best tuned at 1024 over that of the best tuned at 2048.
# Results in BENCHMARKS.md.
#
# usage: pipelines/bench/matmul-cpu/run.sh [one|all|cross]...
# environment: ROUNDS (25) BATCH (8): the budget, ROUNDS * BATCH
#   evaluations; STRATEGY (random; any of ar-propose's); SEED (1); PAIRS
#   (3); REPEAT (11): runs timed in each re-measurement; CONFIRM (1),
#   CONFIRM_TOP (5), CONFIRM_REPEAT (12); OB_CORETYPES; BIN (bin: the
#   programs, built by `make` when left alone); OUT (runs/bench-matmul-cpu);
#   NICE (none): the run's priority against the rest of the machine, e.g.
#   -10 (root only).  Where the kernel groups processes by session
#   (/proc/sys/kernel/sched_autogroup_enabled), nice(1) ranks a process
#   only within its session, and a session of six busy processes gets six
#   times the CPU of a benchmark's: so the run goes into a session of its
#   own (setsid) and gives that session NICE (/proc/self/autogroup) as
#   well as itself.  OpenBLAS and ours run in it alike.
# A finished tuning is not run again (tune.mk): remove OUT/one or OUT/all to
# start it over; the confirmation and the re-measurement are made anew
# each time the history changes, and the re-measurement each time.
set -euo pipefail
# shellcheck source=pipelines/bench/matmul-cpu/common.sh
source "$(dirname "$0")/common.sh"
cd "$(dirname "$0")/../../.."
here=pipelines/bench/matmul-cpu
study=kernels/sgemm/cpu.json
rounds=${ROUNDS:-25} batch=${BATCH:-8} strategy=${STRATEGY:-random}
seed=${SEED:-1} pairs=${PAIRS:-3} repeat=${REPEAT:-11}
confirm=${CONFIRM:-1} ctop=${CONFIRM_TOP:-5} crepeat=${CONFIRM_REPEAT:-12}
out=${OUT:-runs/bench-matmul-cpu}
cases=("$@")
[ ${#cases[@]} -gt 0 ] || cases=(one all)

if [ -z "${BIN:-}" ]; then
	make -s all
	bin=bin
else
	bin=$BIN
fi
mkdir -p build/bench "$out"
cc -O2 -Wall -Wextra -o build/bench/openblas_sgemm $here/openblas_sgemm.c \
    -lopenblas
ncpu=$(nproc)
cpu=$(lscpu | sed -n 's/^Model name: *//p')
echo "# $cpu, $ncpu cores; budget $rounds x $batch = $((rounds * batch)) evaluations ($strategy)" >&2
# OpenBLAS's core types: the environment's, and each forced one the
# processor has the instructions for (a core type without them would die
# of SIGILL).
cores=("")
if [ -z "${OPENBLAS_CORETYPE:-}" ]; then
	for k in ${OB_CORETYPES:-SkylakeX Cooperlake}; do
		case $k in
		SkylakeX) need=(avx512f avx512bw avx512vl avx512dq) ;;
		Cooperlake) need=(avx512f avx512bw avx512vl avx512dq avx512_bf16) ;;
		*) need=() ;;
		esac
		for f in "${need[@]}"; do
			grep -qw "$f" /proc/cpuinfo || continue 2
		done
		cores+=("$k")
	done
fi

# tune NAME N THREADS: the tuning of OUT/NAME at N, THREADS threads at
# most (pinned to core 0 when one), and its confirmation; the best record
# on stdout.
tune() {
	local name=$1 n=$2 threads=$3 dir=$out/$1 pin=() defs t0 wall best
	[ "$threads" -gt 1 ] || pin=(taskset -c 0)
	defs="-D M=$n -D N=$n -D K=$n -D MAXT=$threads"
	echo "# $name: tuning N=$n, $threads thread(s)" >&2
	t0=$EPOCHREALTIME
	"${pin[@]}" make -s -f pipelines/tune.mk STUDY=$study OUT="$dir" \
	    DEFS="$defs" ROUNDS="$rounds" BATCH="$batch" BIN="$bin" \
	    STRATEGY="$strategy" SEED="$seed" >&2
	# The wall time of the tuning, kept for a later run that finds it
	# done and only measures again.
	if [ ! -s "$dir/tune_wall_s" ] || [ "$dir/history.jsonl" -nt "$dir/tune_wall_s" ]; then
		awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f\n", b - a }' \
		    >"$dir/tune_wall_s"
	fi
	if [ "$confirm" = 1 ]; then
		"${pin[@]}" make -s -f pipelines/tune.mk STUDY=$study OUT="$dir" \
		    DEFS="$defs" ROUNDS="$rounds" BATCH="$batch" BIN="$bin" \
		    STRATEGY="$strategy" SEED="$seed" CONFIRM_TOP="$ctop" \
		    CONFIRM_REPEAT="$crepeat" confirm >&2
	fi
	best=$(best_of "$dir" "$confirm")
	[ "$best" != null ] || { echo "run.sh: $name: nothing ok" >&2; return 1; }
	echo "$best"
}

# build DIR DEFS: the params of a record on stdin, proposed again under
# DEFS and built into DIR's cache; the built record on stdout.
build() {
	# shellcheck disable=SC2086
	jq -c .params | "$bin"/ar-propose -s $study $2 --from - |
	    "$bin"/ar-compile -s $study $2 --cache "$1/cache"
}

# ours DIR DEFS BUILT PIN...: one re-measurement of a built record.
ours() {
	local dir=$1 defs=$2 built=$3
	shift 3
	# shellcheck disable=SC2086
	"$@" "$bin"/ar-bench -s $study $defs --cache "$dir/cache" \
	    --warmup 2 --repeat "$repeat" "$built" |
	    "$bin"/ar-score -s $study $defs
}

run_case() {
	local name=$1 n threads pin=() defs dir best p k line wall load0
	case $name in
	one) n=1024 threads=1 pin=(taskset -c 0) ;;
	all) n=2048 threads=$ncpu ;;
	*) echo "run.sh: unknown case '$name' (one, all, cross)" >&2; return 2 ;;
	esac
	defs="-D M=$n -D N=$n -D K=$n -D MAXT=$threads"
	dir=$out/$name
	# The machine is shared: the load average before and after says how
	# much else ran beside the measurements.
	load0=$(cut -d' ' -f1 /proc/loadavg)
	best=$(tune "$name" "$n" "$threads")
	wall=$(cat "$dir/tune_wall_s")
	build "$dir" "$defs" <<<"$best" >"$dir/best.built.jsonl"

	: >"$dir/remeasure.jsonl"
	for p in $(seq "$pairs"); do
		ours "$dir" "$defs" "$dir/best.built.jsonl" "${pin[@]}" |
		    jq -c --arg c "$name" --argjson p "$p" \
		    '{case: $c, pair: $p, method: "ours", status, time_s,
		      gflops: .metrics.gflops, max_abs_err: .verify.max_abs_err}' |
		    tee -a "$dir/remeasure.jsonl"
		for k in "${cores[@]}"; do
			env ${k:+OPENBLAS_CORETYPE=$k} \
			    OPENBLAS_NUM_THREADS="$threads" "${pin[@]}" \
			    build/bench/openblas_sgemm "$n" "$n" "$n" 2 "$repeat" |
			    jq -c --arg c "$name" --argjson p "$p" --arg k "$k" \
			    '{case: $c, pair: $p, method: "openblas",
			      coretype: (if $k == "" then "(environment)" else $k end),
			      core, threads, time_s, gflops}' |
			    tee -a "$dir/remeasure.jsonl"
		done
	done
	line=$(jq -s -c --arg c "$name" --argjson n "$n" --argjson t "$threads" \
	    --argjson best "$best" --arg s "$strategy" --argjson wall "$wall" \
	    --argjson load "[$load0, $(cut -d' ' -f1 /proc/loadavg)]" \
	    --argjson e "$(wc -l <"$dir/history.jsonl")" '
	    def med: sort | if length == 0 then null
	        elif length % 2 == 1 then .[(length - 1) / 2]
	        else (.[length / 2 - 1] + .[length / 2]) / 2 end;
	    ([.[] | select(.method == "ours" and .status == "ok") | .gflops] |
	        med) as $ours |
	    ([.[] | select(.method == "openblas")] | group_by(.coretype) |
	        map({coretype: .[0].coretype, core: .[0].core,
	             gflops: (map(.gflops) | med)})) as $ob |
	    ($ob | max_by(.gflops)) as $top |
	    # The ratio within each pair, measured a few seconds apart.
	    (group_by(.pair) | map(
	        (map(select(.method == "ours" and .status == "ok"))[0].gflops) /
	        (map(select(.method == "openblas" and
	            .coretype == $top.coretype))[0].gflops)) | med) as $pr |
	    {case: $c, M: $n, N: $n, K: $n, threads: $t, evals: $e, strategy: $s,
	     tune_wall_s: $wall, loadavg: $load, tuned_gflops: $best.metrics.gflops,
	     confirmed_gflops: ($best.confirm.median // null |
	         if . == null then null else 2 * $n * $n * $n / . / 1e9 end),
	     params: $best.params, ours_gflops: $ours, openblas: $ob,
	     openblas_gflops: $top.gflops, openblas_core: $top.core,
	     ratio: (if $ours == null then null
	         else ($ours / $top.gflops * 1000 | round / 1000) end),
	     pair_ratio_median: ($pr * 1000 | round / 1000)}' \
	    "$dir/remeasure.jsonl")
	echo "$line"
	jq -r '"\(.case): N=\(.N), \(.threads) thread(s): ours \(.ours_gflops) GFLOP/s, OpenBLAS (\(.openblas_core)) \(.openblas_gflops) GFLOP/s, ratio \(.ratio)"' <<<"$line" >&2
}

# cross: the best tuned at N=1024 on every core against the best tuned at
# N=2048, both measured at N=2048, alternating PAIRS times.
cross() {
	local defs="-D M=2048 -D N=2048 -D K=2048 -D MAXT=$ncpu" dir=$out/cross
	local b1 b2 load0 p t line
	load0=$(cut -d' ' -f1 /proc/loadavg)
	b2=$(tune all 2048 "$ncpu")
	b1=$(tune all-1024 1024 "$ncpu")
	mkdir -p "$dir"
	build "$dir" "$defs" <<<"$b1" >"$dir/t1024.built.jsonl"
	build "$dir" "$defs" <<<"$b2" >"$dir/t2048.built.jsonl"
	: >"$dir/remeasure.jsonl"
	for p in $(seq "$pairs"); do
		for t in 1024 2048; do
			ours "$dir" "$defs" "$dir/t$t.built.jsonl" |
			    jq -c --argjson p "$p" --argjson t "$t" \
			    '{case: "cross", pair: $p, tuned_at: $t, status,
			      time_s, gflops: .metrics.gflops, params}' |
			    tee -a "$dir/remeasure.jsonl"
		done
	done
	line=$(jq -s -c --argjson load "[$load0, $(cut -d' ' -f1 /proc/loadavg)]" '
	    def med: sort | if length == 0 then null
	        elif length % 2 == 1 then .[(length - 1) / 2]
	        else (.[length / 2 - 1] + .[length / 2]) / 2 end;
	    def at($t): [.[] | select(.tuned_at == $t and .status == "ok")];
	    (at(1024) | map(.gflops) | med) as $a |
	    (at(2048) | map(.gflops) | med) as $b |
	    (group_by(.pair) | map((map(select(.tuned_at == 1024))[0].gflops) /
	        (map(select(.tuned_at == 2048))[0].gflops)) | med) as $pr |
	    {case: "cross", N: 2048, loadavg: $load,
	     tuned_at: [{N: 1024, params: at(1024)[0].params, gflops: $a},
	                {N: 2048, params: at(2048)[0].params, gflops: $b}],
	     ratio: (if $a == null or $b == null then null
	         else ($a / $b * 1000 | round / 1000) end),
	     pair_ratio_median: ($pr * 1000 | round / 1000)}' "$dir/remeasure.jsonl")
	echo "$line"
	jq -r '"cross: at N=2048, tuned at 1024 \(.tuned_at[0].gflops) GFLOP/s, tuned at 2048 \(.tuned_at[1].gflops) GFLOP/s, ratio \(.ratio)"' <<<"$line" >&2
}

for c in "${cases[@]}"; do
	if [ "$c" = cross ]; then
		cross
	else
		run_case "$c"
	fi
done
