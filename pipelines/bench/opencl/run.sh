#!/usr/bin/env bash
# Benchmark (issue 21): tunes the OpenCL GEMM of kernels/gemm/opencl.json
# on an OpenCL device (PoCL on this CPU unless DEVICE= names another)
# with the loop (pipelines/tune.mk), 200 evaluations at the size it is
# judged at, then measures the best configuration found against CLBlast's
# CLBlastSgemm on the same device and OpenBLAS's cblas_sgemm on the same
# CPU, side by side in the same run, on the same problem in the same
# layout (clblast.c here).  Target: ours >= 1.0x CLBlast on PoCL.
#
# One case per size N (default 1024 and 2048): M = N = K = N.  The
# tuning (tune.mk, STRATEGY auto, seed SEED) is then confirmed by
# tune.mk's `confirm` (the top CONFIRM_TOP measured again CONFIRM_REPEAT
# times each, interleaved; the confirmed best is taken, not the luckiest
# first measurement).  That best is proposed again (ar-propose --from),
# built, and measured (ar-bench --warmup 2 --repeat REPEAT, the median of
# single runs, each timed by its OpenCL profiling event) alternating PAIRS
# times with clblast.c (CLBlast then OpenBLAS in one process, both the
# median of REPEAT single calls after 2 untimed ones, CLBlast timed from
# the call to the end of its last kernel; the two results are checked
# against each other and against sums in double, and a pair whose check
# fails stops the run).
#
# CLBlast is given the layout the study's kernel reads (LAYOUT, clblast.c's
# -l -a -b options): that of CLBlast's own Xgemm kernel, column-major with
# B stored transposed, so that CLBlast runs its GEMM kernel alone, with no
# helper kernel to transpose or pad (where N is a multiple of its tiles),
# as ours does.
#
# Timing budget.  A bad configuration of a GEMM on PoCL can take seconds
# a run at N=2048 (CLBlast's own takes 3); TIMEOUT (default: CODEGEN_S,
# 2 s, for PoCL's code generation on the first launch, and the time of
# the GEMM at MIN_GFLOPS, 8 GFLOP/s: 2.3 s at 1024, 4.1 s at 2048;
# common.sh) is ar-bench's --timeout in the tuning, so that such a
# configuration is a `timeout` record, not a minute of the budget, and
# TUNE_BENCH (default "--repeat 3") the other ar-bench options of the
# tuning.  The confirmation and the re-measurement use the study's own
# timeout unless BENCH_TIMEOUT sets one.
#
# Timing is done under LOCK (/tmp/ar/bench.lock; empty: no lock), taken
# for the tuning with its confirmation and again for the re-measurement,
# not while building the best; so do not wrap this script in flock(1) on
# the same file (it would wait for itself).  NICE as in ../matmul-cpu/common.sh.
#
# Prints one JSON line per measurement and, per case, a summary line
#   {"case", "N", "device", "evals", "strategy", "tune_wall_s",
#    "loadavg": [start, end], "tuned_gflops", "confirmed_gflops",
#    "params", "ours_gflops", "clblast_gflops", "openblas_gflops",
#    "openblas_core", "ratio_clblast", "ratio_openblas",
#    "pair_ratio_clblast", "max_abs_diff"}
# ratio_* is the median of ours over the median of the other's,
# pair_ratio_clblast the median of the ratios within each pair.
# Results in BENCHMARKS.md.
#
# usage: pipelines/bench/opencl/run.sh [N]...
# environment: EVALS (200), BATCH (8), STRATEGY (auto), SEED (1), PAIRS
#   (3), REPEAT (11), CONFIRM_TOP (5), CONFIRM_REPEAT (12), TIMEOUT,
#   CODEGEN_S (2), MIN_GFLOPS (8), TUNE_BENCH ("--repeat 3"), BENCH_TIMEOUT, DEVICE (the
#   study's device), LAYOUT ("-l col -a n -b t"), STUDY
#   (kernels/gemm/opencl.json), BIN (bin: built by `make` when left
#   alone), OUT (runs/bench-opencl), LOCK, NICE.
# A finished tuning is not run again (tune.mk): remove OUT/N to start it
# over; the confirmation is made again when the history changes, the
# re-measurement each time.
set -euo pipefail
# shellcheck source=pipelines/bench/opencl/common.sh
source "$(dirname "$0")/common.sh"
cd "$(dirname "$0")/../../.."
here=pipelines/bench/opencl
pairs=${PAIRS:-3} repeat=${REPEAT:-11}
ctop=${CONFIRM_TOP:-5} crepeat=${CONFIRM_REPEAT:-12}
layout=${LAYOUT:--l col -a n -b t}
cases=("$@")
[ ${#cases[@]} -gt 0 ] || cases=(1024 2048)

use_bin
mkdir -p build/bench/opencl "$out"
cc -O2 -Wall -Wextra -o build/bench/opencl/clblast $here/clblast.c \
    -lclblast -lOpenCL -lopenblas -lm
cl_dev=()
[ -z "${DEVICE:-}" ] || cl_dev=(-d "$DEVICE")
cpu=$(lscpu | sed -n 's/^Model name: *//p')
echo "# $cpu, $(nproc) cores; $study, budget $evals evaluations ($strategy, seed $seed)" >&2

# tune N: the tuning of OUT/N and its confirmation, under LOCK; the
# confirmed best record on stdout.
tune() {
	local n=$1 dir=$out/$1 t0 best
	echo "# N=$n: tuning, --timeout $(tune_timeout "$n") $tune_bench" >&2
	hold
	t0=$EPOCHREALTIME
	tune_mk "$n" "$dir" >&2
	if [ ! -s "$dir/tune_wall_s" ] || [ "$dir/history.jsonl" -nt "$dir/tune_wall_s" ]; then
		awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f\n", b - a }' \
		    >"$dir/tune_wall_s"
	fi
	# The confirmation measures as the re-measurement does, with the
	# study's timeout (or BENCH_TIMEOUT), all its runs.
	make -s -f pipelines/tune.mk STUDY="$study" OUT="$dir" \
	    DEFS="-D M=$n -D N=$n -D K=$n" EVALS="$evals" BATCH="$batch" \
	    BIN="$bin" STRATEGY="$strategy" SEED="$seed" \
	    CONFIRM_TOP="$ctop" CONFIRM_REPEAT="$crepeat" \
	    BENCH="${dev[*]} ${BENCH_TIMEOUT:+--timeout $BENCH_TIMEOUT}" \
	    confirm >&2
	release
	best=$(best_of "$dir" 1)
	[ "$best" != null ] || { echo "run.sh: N=$n: nothing ok" >&2; return 1; }
	echo "$best"
}

# remeasure N DEFS BUILT: PAIRS pairs of ours and clblast.c, one JSON line
# each.
remeasure() {
	local n=$1 defs=$2 built=$3 p
	for p in $(seq "$pairs"); do
		# shellcheck disable=SC2086
		"$bin"/ar-bench -s "$study" $defs "${dev[@]}" \
		    ${BENCH_TIMEOUT:+--timeout "$BENCH_TIMEOUT"} \
		    --cache "$out/$n/cache" --warmup 2 --repeat "$repeat" "$built" |
		    jq -c --argjson n "$n" --argjson p "$p" \
		    '{case: $n, pair: $p, method: "ours", status, time_s,
		      gflops: (if .status == "ok" then 2 * $n * $n * $n / .time_s / 1e9
		               else null end),
		      max_abs_err: .verify.max_abs_err}'
		# shellcheck disable=SC2086
		build/bench/opencl/clblast "${cl_dev[@]}" $layout -w 2 \
		    -r "$repeat" "$n" |
		    jq -c --argjson n "$n" --argjson p "$p" \
		    '{case: $n, pair: $p} + .'
	done
}

run_case() {
	local n=$1 dir=$out/$1 defs best load0 line
	case $n in
	'' | *[!0-9]*) echo "run.sh: '$n' is not a size" >&2; return 2 ;;
	esac
	defs="-D M=$n -D N=$n -D K=$n"
	load0=$(cut -d' ' -f1 /proc/loadavg)
	best=$(tune "$n")
	# shellcheck disable=SC2086
	jq -c .params <<<"$best" | "$bin"/ar-propose -s "$study" $defs --from - |
	    "$bin"/ar-compile -s "$study" $defs "${dev[@]}" --cache "$dir/cache" \
	    >"$dir/best.built.jsonl"
	hold
	remeasure "$n" "$defs" "$dir/best.built.jsonl" | tee "$dir/remeasure.jsonl"
	release
	if jq -e -s 'any(.method == "check" and
	    .max_abs_diff > 1e-3 * .max_abs)' "$dir/remeasure.jsonl" >/dev/null; then
		echo "run.sh: N=$n: CLBlast and OpenBLAS disagree" >&2
		return 1
	fi
	line=$(jq -s -c --argjson n "$n" --argjson best "$best" \
	    --arg s "$strategy" --argjson wall "$(cat "$dir/tune_wall_s")" \
	    --argjson load "[$load0, $(cut -d' ' -f1 /proc/loadavg)]" \
	    --argjson e "$(wc -l <"$dir/history.jsonl")" '
	    def med: sort | if length == 0 then null
	        elif length % 2 == 1 then .[(length - 1) / 2]
	        else (.[length / 2 - 1] + .[length / 2]) / 2 end;
	    def of($m): [.[] | select(.method == $m and (.gflops | numbers))] |
	        map(.gflops) | med;
	    def r3: if . == null then null else . * 1000 | round / 1000 end;
	    def r1: if . == null then null else . * 10 | round / 10 end;
	    of("ours") as $ours | of("clblast") as $cl | of("openblas") as $ob |
	    (group_by(.pair) | map(
	        (map(select(.method == "ours"))[0].gflops) as $a |
	        (map(select(.method == "clblast"))[0].gflops) as $b |
	        if $a == null or $b == null then empty else $a / $b end) |
	        med) as $pr |
	    {case: $n, N: $n, device: (map(select(.method == "clblast"))[0].device),
	     evals: $e, strategy: $s, tune_wall_s: $wall, loadavg: $load,
	     tuned_gflops: (2 * $n * $n * $n / $best.time_s / 1e9 | r1),
	     confirmed_gflops: ($best.confirm.median // null |
	         if . == null then null else 2 * $n * $n * $n / . / 1e9 end | r1),
	     params: $best.params, ours_gflops: ($ours | r1),
	     clblast_gflops: $cl, openblas_gflops: $ob,
	     openblas_core: (map(select(.method == "openblas"))[0].core),
	     ratio_clblast: (if $ours == null then null else $ours / $cl end | r3),
	     ratio_openblas: (if $ours == null then null else $ours / $ob end | r3),
	     pair_ratio_clblast: ($pr | r3),
	     max_abs_diff: (map(select(.method == "check") | .max_abs_diff) | max)}' \
	    "$dir/remeasure.jsonl")
	echo "$line"
	jq -r '"N=\(.N): ours \(.ours_gflops) GFLOP/s, CLBlast \(.clblast_gflops), OpenBLAS (\(.openblas_core)) \(.openblas_gflops); ours / CLBlast \(.ratio_clblast), ours / OpenBLAS \(.ratio_openblas)"' <<<"$line" >&2
}

for c in "${cases[@]}"; do
	run_case "$c"
done
