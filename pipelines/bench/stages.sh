#!/usr/bin/env bash
# Benchmark: the per-record overhead of ar-score and ar-learn (issue 3) on
# a history of 100,000 records of the size the loop writes (about 540
# bytes each, as pipelines/bench/propose.sh builds it), with `jq -c .` over
# the same file in the same run for scale.  Each command runs `repeats`
# times; the figures are medians.  Prints one JSON line per command:
#   {"method", "records", "repeats", "seconds", "us_per_record", "runs"}
# Results in BENCHMARKS.md.
#
# usage: pipelines/bench/stages.sh [repeats]
set -euo pipefail
cd "$(dirname "$0")/../.."
make -s all bin/ar-propose bin/ar-score bin/ar-learn
reps=${1:-5}
dir=build/bench
mkdir -p $dir
hist=$dir/history-100k.jsonl
space=pipelines/bench/space/study.json
# The same history as pipelines/bench/propose.sh, which shares the file.
if [ ! -s $hist ]; then
	bin/ar-propose -s $space -n 100000 --seed 1 |
	    jq -c '. + {artifact: "cache/\(.id[0:2])/\(.id).so",
	        compile: {status: "ok", seconds: 0.41234, log: ""},
	        status: "ok", time_s: 0.012345678,
	        times: {n: 10, min: 0.0121, median: 0.012345678, mean: 0.01236, sd: 0.0001},
	        verify: {max_abs_err: 1.2e-6, max_rel_err: 3.4e-7},
	        cost_s: 0.6, host: "bench", metrics: {gflops: 108.5},
	        objective: 0.012345678, score: -0.012345678}' >$hist
fi
n=$(wc -l <$hist)
# The bench space's study with metrics of the three kinds a study has (a
# field over params and constants, a nested field, a metric of a metric),
# its source named from here so that the ids stay those of the history.
study=$dir/stages-study.json
jq --arg src "$PWD/pipelines/bench/space/noop.c" '. + {source: $src,
    metrics: {gflops: "2 * MWG * NWG * K / time_s / 1e9",
        spread: "times.sd / times.median",
        per_thread: "gflops / (MDIMC * NDIMC)"},
    objective: "minimize time_s"}' $space >$study
bin/ar-score -s $study $hist >$dir/scored.jsonl
bin/ar-score -s $study --csv $hist >$dir/scored.csv
tail -n 8 $dir/scored.jsonl >$dir/round.jsonl
bin/ar-learn -s $study -m $dir/model.json --rebuild $dir/scored.jsonl >/dev/null
echo "# $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; history $n lines, $(du -m $hist | cut -f1) MB" >&2

# bench METHOD RECORDS COMMAND...: runs COMMAND (output to /dev/null)
# $reps times and prints the median.
bench() {
	local method=$1 records=$2 t0 t1 runs=() i
	shift 2
	for i in $(seq "$reps"); do
		t0=$EPOCHREALTIME
		"$@" >/dev/null
		t1=$EPOCHREALTIME
		runs+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')")
	done
	printf '%s\n' "${runs[@]}" | sort -n | awk -v m="$method" -v n="$records" \
	    -v r="$reps" -v all="$(IFS=,; echo "${runs[*]}")" '
	    { t[NR] = $1 }
	    END {
		med = NR % 2 ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2
		printf "{\"method\":\"%s\",\"records\":%d,\"repeats\":%d,\"seconds\":%.3f,\"us_per_record\":%.2f,\"runs\":[%s]}\n",
		    m, n, r, med, med * 1e6 / n, all
	    }'
}

bench "jq -c ." "$n" jq -c . $hist
bench "ar-score (JSON lines in and out)" "$n" bin/ar-score -s $study $hist
bench "ar-score --objective 'maximize metrics.gflops'" "$n" \
    bin/ar-score -s $study --objective 'maximize metrics.gflops' $dir/scored.jsonl
bench "ar-score --csv (records parsed whole)" "$n" bin/ar-score -s $study --csv $hist
bench "ar-score (CSV in)" "$n" bin/ar-score -s $study $dir/scored.csv
bench "ar-learn --rebuild" "$n" \
    bin/ar-learn -s $study -m $dir/model-rebuilt.json --rebuild $dir/scored.jsonl
bench "ar-learn --rebuild (CSV in)" "$n" \
    bin/ar-learn -s $study -m $dir/model-csv.json --rebuild $dir/scored.csv
# One round of 8 records into the model of the whole history: what the
# loop pays per round (the records are learned again each time; only the
# time counts here).
bench "ar-learn one round of 8 (incremental)" 8 \
    bin/ar-learn -s $study -m $dir/model.json $dir/round.jsonl
