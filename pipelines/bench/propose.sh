#!/usr/bin/env bash
# Benchmark: ar-propose's overhead.  10,000 random proposals against a
# history of 100,000 records of the size ar-score writes (about 600 bytes
# each), in a space of 10^9 combinations.  Target (issue 2): under 1 s.
# `jq -c .` over the same history is timed beside it for scale.
#
# usage: pipelines/bench/propose.sh [repeats]
set -euo pipefail
cd "$(dirname "$0")/../.."
make -s all
reps=${1:-5}
study=pipelines/bench/space/study.json
dir=build/bench
mkdir -p $dir
hist=$dir/history-100k.jsonl
if [ ! -s $hist ]; then
	bin/ar-propose -s $study -n 100000 --seed 1 |
	    jq -c '. + {artifact: "cache/\(.id[0:2])/\(.id).so",
	        compile: {status: "ok", seconds: 0.41234, log: ""},
	        status: "ok", time_s: 0.012345678,
	        times: {n: 10, min: 0.0121, median: 0.012345678, mean: 0.01236, sd: 0.0001},
	        verify: {max_abs_err: 1.2e-6, max_rel_err: 3.4e-7},
	        cost_s: 0.6, host: "bench", metrics: {gflops: 108.5},
	        objective: 0.012345678, score: -0.012345678}' >$hist
fi
echo "# $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; history $(wc -l <$hist) lines, $(du -m $hist | cut -f1) MB" >&2
for i in $(seq "$reps"); do
	/usr/bin/time -f '{"method":"ar-propose -H (100k) -n 10000 random","seconds":%e,"max_rss_kb":%M}' \
	    bin/ar-propose -s $study -H $hist -n 10000 --seed "$i" >$dir/out.jsonl
	[ "$(wc -l <$dir/out.jsonl)" -eq 10000 ]
	/usr/bin/time -f '{"method":"jq -c . (100k)","seconds":%e,"max_rss_kb":%M}' \
	    jq -c . $hist >/dev/null
done
