#!/usr/bin/env bash
# Benchmark (issue 7): what ar-bench's sandbox costs a kernel's time.
# Eight random configurations of a study (default kernels/matmul/cpu.json),
# built once, measured by ar-bench with the study's bench.sandbox true and
# false side by side, RUNS times each, alternating.  Prints the median,
# over variants and runs, of each variant's time_s in the sandbox over its
# time_s without, and the median wall seconds of each whole ar-bench.
# Then, RUNS times, what entering the sandbox costs a child and what the
# filters add to a system call they let through (sandbox_cost.c).
#
# usage: pipelines/bench/sandbox.sh [RUNS]   (default 3)
# environment: STUDY (kernels/matmul/cpu.json), N (8 variants)
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-3}
study=${STUDY:-kernels/matmul/cpu.json}
n=${N:-8}
# The order of the two in each run (ORDER="off on" to swap).
ORDER=${ORDER:-on off}
make -s all
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cp "$(dirname "$study")"/*.c "$dir/"
jq '.bench.sandbox = true' "$study" >"$dir/on.json"
jq '.bench.sandbox = false' "$study" >"$dir/off.json"
root=$PWD
# shellcheck disable=SC2046
cc -O2 -Ilib -D_GNU_SOURCE -o "$dir/sandbox_cost" pipelines/bench/sandbox_cost.c \
    lib/libar.a $(sed -n 's/^LDLIBS = //p' Makefile)
cd "$dir"
"$root/bin/ar-propose" -s on.json -n "$n" --strategy random --seed 2 |
    "$root/bin/ar-compile" -s on.json --cache cache >built.jsonl
for r in $(seq "$runs"); do
	for m in $ORDER; do
		t0=$EPOCHREALTIME
		"$root/bin/ar-bench" -s "$m.json" --cache cache built.jsonl >"$m.$r.jsonl"
		t1=$EPOCHREALTIME
		[ "$(jq -r 'select(.status == "ok") | 1' "$m.$r.jsonl" | wc -l)" = "$n" ] ||
		    { echo "sandbox.sh: not every variant was ok with bench.sandbox $m" >&2; exit 1; }
		awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }' >>"$m.wall"
	done
	# Each variant's time in the sandbox over its time without, this run.
	paste <(jq -r .time_s "on.$r.jsonl") <(jq -r .time_s "off.$r.jsonl") |
	    awk '{ print $1 / $2 }' >>ratios
done
med() {
	sort -g "$1" | awk '{ v[NR] = $1 } END { print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
awk -v r="$(med ratios)" -v lo="$(sort -g ratios | head -n 1)" \
    -v hi="$(sort -g ratios | tail -n 1)" -v on="$(med on.wall)" \
    -v off="$(med off.wall)" -v n="$n" -v runs="$runs" -v st="$study" 'BEGIN {
    printf "{\"study\":\"%s\",\"variants\":%d,\"runs\":%d,\"time_ratio_median\":%.3f,\"time_ratio_min\":%.3f,\"time_ratio_max\":%.3f,\"wall_on_s\":%.3f,\"wall_off_s\":%.3f}\n", st, n, runs, r, lo, hi, on, off }'
for r in $(seq "$runs"); do
	./sandbox_cost
done
