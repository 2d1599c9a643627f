#!/usr/bin/env bash
# Benchmark (issue 6): what one round of the loop costs the search itself,
# learn + propose for a batch of 8, on a 10,000-record history, for every
# strategy.  The history is a random search of 10,000 configurations of a
# replay study (default the GEMM space of the RTX 3090, 15 params, 17,956
# valid configurations), written by the benchmark's simulator; the model
# is rebuilt from the first 9,992 records, and the round then is
#
#   ar-learn -s S -m M < last 8 records  &&
#   ar-propose -s S -H history -m M -n 8 --strategy X --seed 1
#
# on a fresh copy of that model each time.  Prints one JSON line per
# strategy: the median and min wall seconds of RUNS runs.
# Targets: under 0.1 s for every strategy but bo, under 1 s for bo.
#
# usage: pipelines/bench/overhead.sh [RUNS]   (default 7)
# environment: STUDY (examples/replay/gemm_RTX_3090.json), N (10000),
#   STRATEGIES ('grid random anneal ga bo rl auto')
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-7}
study=${STUDY:-examples/replay/gemm_RTX_3090.json}
n=${N:-10000}
strategies=${STRATEGIES:-grid random anneal ga bo rl auto}

make -s O=build/bench all
cc -std=c11 -O2 -Wall -Wextra -Werror -Ilib -D_GNU_SOURCE \
    pipelines/bench/strategies/sim.c build/bench/obj/libar.a \
    $(sed -n 's/^LDLIBS = //p' Makefile) -o build/bench/sim
bin=build/bench/bin
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

build/bench/sim -s "$study" --strategy random --seed 1 --evals "$n" \
    --batch 8 --history "$dir/h.jsonl" >/dev/null
head -n $((n - 8)) "$dir/h.jsonl" >"$dir/head.jsonl"
tail -n 8 "$dir/h.jsonl" >"$dir/last.jsonl"
"$bin/ar-learn" -s "$study" -m "$dir/m0.json" --rebuild "$dir/head.jsonl" \
    >/dev/null
echo "# $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores;" \
    "$(wc -l <"$dir/h.jsonl") records of $study; load $(cut -d' ' -f1 /proc/loadavg)" >&2

for s in $strategies; do
	for r in $(seq "$runs"); do
		cp "$dir/m0.json" "$dir/m.json"
		t0=$EPOCHREALTIME
		"$bin/ar-learn" -s "$study" -m "$dir/m.json" <"$dir/last.jsonl" \
		    >/dev/null
		"$bin/ar-propose" -s "$study" -H "$dir/h.jsonl" -m "$dir/m.json" \
		    -n 8 --strategy "$s" --seed 1 >"$dir/out.jsonl"
		t1=$EPOCHREALTIME
		[ "$(wc -l <"$dir/out.jsonl")" = 8 ] ||
		    { echo "overhead.sh: $s proposed $(wc -l <"$dir/out.jsonl")" >&2; exit 1; }
		awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f\n", b - a }'
	done | sort -n | awk -v s="$s" '{ t[NR] = $1 }
	    END { m = NR % 2 ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2
	          printf "{\"strategy\":\"%s\",\"runs\":%d,\"median_s\":%.4f,\"min_s\":%.4f}\n", s, NR, m, t[1] }'
done
