#!/bin/bash
# template.sh -- kernels/sgemm's template tuned here (one core, N=1024,
# 96 evaluations of auto), then measured beside the best that run.sh
# found for matmul one (runs/xform/matmul-one), three times in turn.
set -euo pipefail
cd "$(dirname "$0")/../../.."
BIN=${AR_BIN:-$PWD/bin}
out=runs/xform/sgemm-one
mkdir -p $out
export OMP_NUM_THREADS=1
echo "== sgemm template one core, $(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg)"
d="-D M=1024 -D N=1024 -D K=1024 -D MAXT=1"
t0=$(date +%s)
taskset -c 0 make -s -f pipelines/tune.mk BIN=$BIN STUDY=kernels/sgemm/cpu.json OUT=$out EVALS=96 BATCH=8 STRATEGY=auto SEED=1 JOBS=1 DEFS="$d" >/dev/null
echo "tuned sgemm: $(wc -l <$out/history.jsonl) evaluations in $(( $(date +%s) - t0 )) s"
best=$(jq -sc 'map(select(.status == "ok")) | min_by(.time_s) | {params}' $out/history.jsonl)
echo "template best: $best"
m=runs/xform/matmul-one
export AR_VARIANTS=$m/variants
: >$out/remeasure.jsonl
for pass in 1 2 3; do
	echo "$best" | $BIN/ar-propose -s kernels/sgemm/cpu.json $d --from - | $BIN/ar-compile -s kernels/sgemm/cpu.json $d --cache $out/cache |
	    taskset -c 0 $BIN/ar-bench -s kernels/sgemm/cpu.json $d --cache $out/cache --warmup 2 --repeat 11 |
	    jq -c --argjson p $pass '{name: "template", pass: $p, status, time_s}' >>$out/remeasure.jsonl
	for s in xform rl; do
		grep "^best-$s " $m/candidates | cut -d' ' -f3- | $BIN/ar-propose -s $m/study.json -D N=1024 --from - |
		    $BIN/ar-compile -s $m/study.json -D N=1024 --cache $m/cache |
		    taskset -c 0 $BIN/ar-bench -s $m/study.json -D N=1024 --cache $m/cache --warmup 2 --repeat 11 |
		    jq -c --arg n best-$s --argjson p $pass '{name: $n, pass: $p, status, time_s}' >>$out/remeasure.jsonl
	done
done
jq -rs 'group_by(.name) | .[] | "\(.[0].name)\t\(map(.time_s) | sort | .[1]) s\t\(2 * 1073741824 / (map(.time_s) | sort | .[1]) / 1e9 * 100 | round / 100) GFLOP/s"' $out/remeasure.jsonl
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
