#!/usr/bin/env bash
# Benchmark (issue 20): how the threads share the work, alone.  The best
# configuration of run.sh's `all` case (its confirmed best, else its best
# score) is measured at N=2048 on every core with each value of PAR, the
# rest unchanged, alternating PAIRS times (ar-bench --warmup 2 --repeat
# REPEAT, the median of the runs):
#   0  rows, one panel of B packed together between two barriers a KC step
#   1  whole NC panels dealt out dynamically, a panel of B each
#   2  the jr loop: a range of the slivers of B each, the whole block of A
#   3  rows, a panel of B each
# (kernels/sgemm/sgemm.c).  Prints one JSON line per measurement, then
#   {"case": "split", "N", "threads", "params", "par": [{"PAR", "gflops"}],
#    "loadavg": [start, end]}
# with the median of each.  Run `run.sh all` first.
#
# usage: pipelines/bench/matmul-cpu/split.sh
# environment: PAIRS (3) REPEAT (11) BIN (bin) NICE (none: see run.sh)
#   OUT (runs/bench-matmul-cpu, run.sh's)
set -euo pipefail
# shellcheck source=pipelines/bench/matmul-cpu/common.sh
source "$(dirname "$0")/common.sh"
cd "$(dirname "$0")/../../.."
study=kernels/sgemm/cpu.json
pairs=${PAIRS:-3} repeat=${REPEAT:-11} bin=${BIN:-bin}
out=${OUT:-runs/bench-matmul-cpu}
ncpu=$(nproc)
defs="-D M=2048 -D N=2048 -D K=2048 -D MAXT=$ncpu"
dir=$out/split
best=$(best_of "$out/all")
[ "$best" != null ] || { echo "split.sh: no best in $out/all: run run.sh all" >&2; exit 1; }
mkdir -p "$dir"
load0=$(cut -d' ' -f1 /proc/loadavg)
# shellcheck disable=SC2086
for p in 0 1 2 3; do
	jq -c --argjson p "$p" --argjson t "$ncpu" '.params | .PAR = $p | .THREADS = $t' <<<"$best"
done | "$bin"/ar-propose -s $study $defs --from - |
    "$bin"/ar-compile -s $study $defs --cache "$dir/cache" >"$dir/built.jsonl"
: >"$dir/remeasure.jsonl"
for p in $(seq "$pairs"); do
	# shellcheck disable=SC2086
	"$bin"/ar-bench -s $study $defs --cache "$dir/cache" --warmup 2 \
	    --repeat "$repeat" "$dir/built.jsonl" |
	    "$bin"/ar-score -s $study $defs |
	    jq -c --argjson p "$p" '{case: "split", pass: $p, PAR: .params.PAR,
	        status, time_s, gflops: .metrics.gflops}' |
	    tee -a "$dir/remeasure.jsonl"
done
jq -s -c --argjson best "$best" --argjson t "$ncpu" \
    --argjson load "[$load0, $(cut -d' ' -f1 /proc/loadavg)]" '
    def med: sort | if length == 0 then null
        elif length % 2 == 1 then .[(length - 1) / 2]
        else (.[length / 2 - 1] + .[length / 2]) / 2 end;
    {case: "split", N: 2048, threads: $t, params: ($best.params | del(.PAR)),
     par: (group_by(.PAR) | map({PAR: .[0].PAR,
         gflops: (map(select(.status == "ok") | .gflops) | med)})),
     loadavg: $load}' "$dir/remeasure.jsonl"
