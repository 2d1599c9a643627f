#!/usr/bin/env bash
# make demo: tunes the cache-blocked matrix multiply of kernels/matmul/ on
# this CPU through the whole loop, propose | compile | bench | score, round
# by round (pipelines/tune.mk), then prints the best configuration found
# beside the naive reference.  A few minutes on a 2-core machine.
set -euo pipefail
cd "$(dirname "$0")/.."
study=kernels/matmul/cpu.json
out=runs/demo
rounds=${ROUNDS:-8} batch=${BATCH:-8}
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)

# A demo starts over; the build cache stays, so a second demo compiles less.
rm -rf "$out/rounds" "$out/history.jsonl" "$out/model.json" "$out/learn.jsonl"
echo "== tuning $study (N=512) on ${cpu:-this CPU}: $rounds rounds of $batch"
start=$(date +%s.%N)
make -s -f pipelines/tune.mk STUDY=$study OUT=$out ROUNDS="$rounds" \
    BATCH="$batch" SEED=1
end=$(date +%s.%N)

echo
echo "== where the time went"
jq -s --argjson wall "$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')" -r '
    (map(.compile.seconds // 0) | add) as $c |
    (map((.cost_s // 0) - (.compile.seconds // 0)) | add) as $b |
    "wall \($wall * 100 | round / 100) s for \(length) candidates; " +
    "compiling \($c * 100 | round / 100) s, measuring \($b * 100 | round / 100) s " +
    "(summed over candidates; stages overlap in the pipe)"' "$out/history.jsonl"
echo
echo "== best against the naive reference (matmul_ref.c), same inputs"
jq -r '.best as $b | if $b == null then "nothing measured ok" else
    "best:      \($b.metrics.gflops * 100 | round / 100) GFLOP/s  (\($b.params | to_entries | map("\(.key)=\(.value)") | join(" ")))",
    "reference: \($b.metrics.ref_gflops * 100 | round / 100) GFLOP/s",
    "speedup:   \($b.metrics.speedup * 10 | round / 10)x" end' "$out/model.json"
echo
echo "history: $out/history.jsonl    try: jq -c 'select(.status == \"ok\") | [.metrics.gflops, .params]' $out/history.jsonl | sort -rn | head"
