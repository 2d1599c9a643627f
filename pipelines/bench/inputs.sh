#!/usr/bin/env bash
# Benchmark (issue 7): what bench.inputs "variant" costs.  Eight random
# configurations of a study (default kernels/matmul/cpu.json), built
# once, measured by ar-bench with the study's bench.inputs "shared" and
# "variant" side by side, RUNS times each, alternating; prints the
# median wall seconds of each and their ratio.  The cost is the
# reference run on every variant's inputs rather than once per shape.
#
# usage: pipelines/bench/inputs.sh [RUNS]   (default 3)
# environment: STUDY (kernels/matmul/cpu.json), N (8 variants)
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-3}
study=${STUDY:-kernels/matmul/cpu.json}
n=${N:-8}
make -s all
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
src=$(dirname "$study")
cp "$src"/*.c "$dir/"
jq '.bench.inputs = "shared"' "$study" >"$dir/shared.json"
jq '.bench.inputs = "variant"' "$study" >"$dir/variant.json"
root=$PWD
cd "$dir"
"$root/bin/ar-propose" -s shared.json -n "$n" --strategy random --seed 2 |
    "$root/bin/ar-compile" -s shared.json --cache cache >built.jsonl
for r in $(seq "$runs"); do
	for m in shared variant; do
		t0=$EPOCHREALTIME
		"$root/bin/ar-bench" -s "$m.json" --cache cache built.jsonl >out.jsonl
		t1=$EPOCHREALTIME
		[ "$(jq -r 'select(.status == "ok") | 1' out.jsonl | wc -l)" = "$n" ] ||
		    { echo "inputs.sh: not every variant was ok with $m" >&2; exit 1; }
		awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }' >>"$m.times"
	done
done
med() {
	sort -n "$1" | awk '{ v[NR] = $1 } END { print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
awk -v s="$(med shared.times)" -v v="$(med variant.times)" -v n="$n" -v st="$study" 'BEGIN {
    printf "{\"study\":\"%s\",\"variants\":%d,\"shared_s\":%.3f,\"variant_s\":%.3f,\"ratio\":%.2f}\n", st, n, s, v, v / s }'
