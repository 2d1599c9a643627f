#!/usr/bin/env bash
# Benchmark (issue 21): compile throughput of the opencl backend.  The
# same N distinct variants of a study (ar-propose --seed 1) are built by
# ar-compile (clBuildProgram, in a child process a variant) with -j 1
# and with -j 2, each
# into a fresh cache, alternating (-j 1, -j 2, -j 1, ...) so that the
# load of a shared machine falls on both alike; REPEATS runs of each, the
# median.  Both caches start empty: ar-compile's (--cache) and, on
# PoCL, PoCL's own (POCL_CACHE_DIR).  On PoCL clBuildProgram takes the source to LLVM IR for the
# device; the machine code of a kernel is made at its first launch with
# a work-group size (in ar-bench's warm-up), and is not counted here.
#
# Prints one JSON line per run,
#   {"jobs", "study", "device", "variants", "ok", "seconds", "cpu_s",
#    "variants_per_s"}
# (seconds: wall time of the whole ar-compile run; cpu_s: its user and
# system time), then a summary line {"study", "variants", "j1", "j2",
# "speedup", "loadavg": [start, end]} with the medians of variants_per_s.
# The runs are timed under LOCK (/tmp/ar/bench.lock; empty: none).
# Results in BENCHMARKS.md.
#
# usage: pipelines/bench/opencl/compile.sh [study] [variants] [repeats]
#   defaults: kernels/gemm/opencl.json, 40, 3.  AR_BIN names other
#   programs than bin/'s; DEVICE the OpenCL device (the study's).
set -euo pipefail
cd "$(dirname "$0")/../../.."
if [ -z "${AR_BIN:-}" ]; then
	make -s all
	AR_BIN=bin
fi
study=${1:-kernels/gemm/opencl.json}
n=${2:-40}
reps=${3:-3}
lock=${LOCK-/tmp/ar/bench.lock}
dev=()
[ -z "${DEVICE:-}" ] || dev=(--device "$DEVICE")
dir=build/bench/opencl/compile
rm -rf "$dir"
mkdir -p "$dir"

"$AR_BIN/ar-propose" -s "$study" -n "$n" --seed 1 >"$dir/variants.jsonl"
n=$(wc -l <"$dir/variants.jsonl")
echo "# $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores;" \
    "$n variants of $study" >&2

# run JOBS REP: one ar-compile run into a cache of its own, and PoCL's
# cache of its own too: PoCL keeps every program it built, keyed by its
# source and options, in POCL_CACHE_DIR (~/.cache/pocl by default), and a
# second build of the same variant there is a lookup (0.07 s a variant
# where a build takes 0.6 s).
run() {
	local out=$dir/j$1-$2.jsonl
	POCL_CACHE_DIR=$PWD/$dir/pocl-j$1-$2 /usr/bin/time -o "$dir/j$1-$2.time" -f '%e %U %S' "$AR_BIN/ar-compile" \
	    -s "$study" "${dev[@]}" -j "$1" --cache "$dir/cache-j$1-$2" \
	    "$dir/variants.jsonl" >"$out"
	tail -n 1 "$dir/j$1-$2.time" | awk -v j="$1" -v s="$study" -v n="$n" \
	    -v d="${DEVICE:-}" \
	    -v ok="$(jq -s 'map(select(.compile.status == "ok")) | length' "$out")" \
	    '{ printf "{\"jobs\":%d,\"study\":\"%s\",\"device\":\"%s\",\"variants\":%d,\"ok\":%d,\"seconds\":%s,\"cpu_s\":%.2f,\"variants_per_s\":%.3f}\n",
	        j, s, d, n, ok, $1, $2 + $3, n / $1 }' | tee -a "$dir/runs.jsonl"
}

load0=$(cut -d' ' -f1 /proc/loadavg)
[ -z "$lock" ] || exec {fd}>>"$lock"
[ -z "$lock" ] || flock "$fd"
for i in $(seq "$reps"); do
	run 1 "$i"
	run 2 "$i"
done
[ -z "$lock" ] || exec {fd}>&-

jq -s -c --arg s "$study" --argjson n "$n" \
    --argjson load "[$load0, $(cut -d' ' -f1 /proc/loadavg)]" '
	def median: sort | if length % 2 == 1 then .[length / 2 | floor]
	    else (.[length / 2 - 1] + .[length / 2]) / 2 end;
	def of(j): map(select(.jobs == j) | .variants_per_s) | median;
	{study: $s, variants: $n, ok: (map(.ok) | min), j1: of(1), j2: of(2),
	 speedup: ((of(2) / of(1)) * 1000 | round / 1000), loadavg: $load}' \
    "$dir/runs.jsonl"
