#!/usr/bin/env bash
# Benchmark (issue 4): tunes the BLIS-style SGEMM of kernels/sgemm/ with
# the loop (pipelines/tune.mk) under a fixed budget, then measures the
# best configuration found against OpenBLAS's cblas_sgemm, side by side
# in the same run, on the same problem:
#
#   one  N=1024, one core: -D MAXT=1, everything pinned to core 0
#        (taskset -c 0), OPENBLAS_NUM_THREADS=1
#   all  N=2048, every core: -D MAXT=$(nproc), OPENBLAS_NUM_THREADS=$(nproc)
#
# The best record is not trusted as it stands: it is proposed again with
# ar-propose --from, built and measured with more runs (ar-bench --repeat),
# alternating PAIRS times with OpenBLAS, both timed the same way (median
# of the runs after warm-up, each call alone).  OpenBLAS is measured as
# the environment gives it and, where the processor has AVX-512 and the
# environment does not set OPENBLAS_CORETYPE, also with
# OPENBLAS_CORETYPE=$OB_CORETYPE (default SkylakeX): OpenBLAS 0.3.21 does
# not know the newest Xeons and falls back to its Prescott (SSE3) kernels,
# a comparison that would flatter us.  The ratio is against the faster.
#
# Prints one JSON line per measurement and, per case, a summary line
#   {"case", "M", "N", "K", "threads", "evals", "strategy", "tuned_gflops",
#    "params", "ours_gflops", "openblas": [{"coretype", "core", "gflops"}],
#    "openblas_gflops", "openblas_core", "ratio", "pair_ratio_median",
#    "loadavg": [start, end]}
# ratio is the median of ours over the median of OpenBLAS's;
# pair_ratio_median the median of the ratios within each pair.
# Results in BENCHMARKS.md.
#
# usage: pipelines/bench/matmul-cpu/run.sh [one|all]...
# environment: ROUNDS (25) BATCH (8): the budget, ROUNDS * BATCH
#   evaluations; STRATEGY (random; grid also works); SEED (1); PAIRS (3);
#   REPEAT (11): runs timed in each re-measurement; OUT (runs/bench-matmul-cpu).
# A finished tuning is not run again (tune.mk): remove OUT/one or OUT/all to
# start it over; the re-measurement is made anew each time.
set -euo pipefail
cd "$(dirname "$0")/../../.."
here=pipelines/bench/matmul-cpu
study=kernels/sgemm/cpu.json
rounds=${ROUNDS:-25} batch=${BATCH:-8} strategy=${STRATEGY:-random}
seed=${SEED:-1} pairs=${PAIRS:-3} repeat=${REPEAT:-11}
out=${OUT:-runs/bench-matmul-cpu}
cases=("$@")
[ ${#cases[@]} -gt 0 ] || cases=(one all)

make -s all
mkdir -p build/bench "$out"
cc -O2 -Wall -Wextra -o build/bench/openblas_sgemm $here/openblas_sgemm.c \
    -lopenblas
ncpu=$(nproc)
cpu=$(lscpu | sed -n 's/^Model name: *//p')
echo "# $cpu, $ncpu cores; budget $rounds x $batch = $((rounds * batch)) evaluations ($strategy)" >&2
cores=("")
if [ -z "${OPENBLAS_CORETYPE:-}" ] && grep -qw avx512f /proc/cpuinfo; then
	cores+=("${OB_CORETYPE:-SkylakeX}")
fi

run_case() {
	local name=$1 n threads pin=() defs dir best p k line
	case $name in
	one) n=1024 threads=1 pin=(taskset -c 0) ;;
	all) n=2048 threads=$ncpu ;;
	*) echo "run.sh: unknown case '$name' (one, all)" >&2; return 2 ;;
	esac
	defs="-D M=$n -D N=$n -D K=$n -D MAXT=$threads"
	dir=$out/$name
	echo "# $name: tuning N=$n, $threads thread(s)" >&2
	# The machine is shared: the load average before and after says how
	# much else ran beside the measurements.
	local load0 t0=$EPOCHREALTIME
	load0=$(cut -d' ' -f1 /proc/loadavg)
	"${pin[@]}" make -s -f pipelines/tune.mk STUDY=$study OUT="$dir" \
	    DEFS="$defs" ROUNDS="$rounds" BATCH="$batch" \
	    STRATEGY="$strategy" SEED="$seed" >&2
	# The wall time of the tuning, kept for a later run that finds it
	# done and only measures again.
	local wall
	if [ ! -s "$dir/tune_wall_s" ] || [ "$dir/history.jsonl" -nt "$dir/tune_wall_s" ]; then
		awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f\n", b - a }' \
		    >"$dir/tune_wall_s"
	fi
	wall=$(cat "$dir/tune_wall_s")

	# The best of the history, proposed again and built once.
	best=$(jq -c -s '[.[] | select(.status == "ok")] | max_by(.score)' \
	    "$dir/history.jsonl")
	[ "$best" != null ] || { echo "run.sh: $name: nothing ok" >&2; return 1; }
	# shellcheck disable=SC2086
	jq -c .params <<<"$best" |
	    bin/ar-propose -s $study $defs --from - |
	    bin/ar-compile -s $study $defs --cache "$dir/cache" \
	    >"$dir/best.built.jsonl"

	: >"$dir/remeasure.jsonl"
	for p in $(seq "$pairs"); do
		# shellcheck disable=SC2086
		"${pin[@]}" bin/ar-bench -s $study $defs --cache "$dir/cache" \
		    --warmup 2 --repeat "$repeat" "$dir/best.built.jsonl" |
		    bin/ar-score -s $study $defs |
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
	     params: $best.params, ours_gflops: $ours, openblas: $ob,
	     openblas_gflops: $top.gflops, openblas_core: $top.core,
	     ratio: (if $ours == null then null
	         else ($ours / $top.gflops * 1000 | round / 1000) end),
	     pair_ratio_median: ($pr * 1000 | round / 1000)}' \
	    "$dir/remeasure.jsonl")
	echo "$line"
	jq -r '"\(.case): N=\(.N), \(.threads) thread(s): ours \(.ours_gflops) GFLOP/s, OpenBLAS (\(.openblas_core)) \(.openblas_gflops) GFLOP/s, ratio \(.ratio)"' <<<"$line" >&2
}

for c in "${cases[@]}"; do
	run_case "$c"
done
