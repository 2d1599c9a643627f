#!/usr/bin/env bash
# Benchmark (issues 6 and 20): what one round of the loop costs the search
# itself, learn + propose for a batch of 8, on a history of N records, for
# every strategy.  The history is N distinct configurations in rounds of
# 8: on a replay study (default the GEMM space of the RTX 3090, 15
# params, 17,956 valid configurations) a random search written by the
# benchmark's simulator; on kernels/sgemm/cpu.json (926,340 valid, the
# one study with room for N = 100,000) the records of
# overhead-history.sh.  The model is rebuilt from the first N - 8
# records, and the round then is
#
#   ar-learn -s S -m M < last 8 records  &&
#   ar-propose -s S -H history -m M -n 8 --strategy X --seed 1
#
# on a fresh copy of that model each time.  Prints one JSON line per
# strategy and program directory: the median and min wall seconds of RUNS
# runs.  With several directories in BINS (an older tree's beside this
# one) each run of a strategy goes through them in turn, so that a drift
# of the machine's pace touches both alike; the history and model are
# made by the first.  With LOCK set, the runs (not the build nor the
# history) hold flock on that file.
# Targets (issue 20): under 1 s for every strategy at N = 100,000; auto
# at most 1.5 x bo at N = 10,000.
#
# usage: pipelines/bench/overhead.sh [RUNS]   (default 7)
# environment: STUDY (examples/replay/gemm_RTX_3090.json), N (10000),
#   STRATEGIES ('grid random anneal ga bo rl auto'), BINS (build/bench/bin,
#   built first; when set, nothing is built), LOCK (none)
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-7}
study=${STUDY:-examples/replay/gemm_RTX_3090.json}
n=${N:-10000}
strategies=${STRATEGIES:-grid random anneal ga bo rl auto}
bins=${BINS:-}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

if [ -z "$bins" ]; then
	make -s O=build/bench all
	bins=build/bench/bin
fi
set -- $bins
bin=$1
if grep -q '"backend": *"replay"' "$study"; then
	# The simulator is linked with the first tree's library, and built
	# from that tree's sources when it is one (a worktree), for they
	# must agree on the structs; else from this tree's.
	tree=${bin%/bin} src=.
	[ ! -f "$tree/lib/search.h" ] || src=$tree
	cc -std=c11 -O2 -Wall -Wextra -Werror -I"$src/lib" -D_GNU_SOURCE \
	    "$src/pipelines/bench/strategies/sim.c" "$tree/obj/libar.a" \
	    $(sed -n 's/^LDLIBS = //p' Makefile) -o "$dir/sim"
	"$dir/sim" -s "$study" --strategy random --seed 1 --evals "$n" \
	    --batch 8 --history "$dir/h.jsonl" >/dev/null
elif [ "$study" = kernels/sgemm/cpu.json ]; then
	# A copy, so that the runs see one version of a study that is
	# still being worked on (the history would not fit another).
	mkdir "$dir/sgemm"
	cp kernels/sgemm/cpu.json kernels/sgemm/*.c "$dir/sgemm"
	study=$dir/sgemm/cpu.json
	pipelines/bench/overhead-history.sh "$bin" "$study" "$n" \
	    >"$dir/h.jsonl"
else
	echo "overhead.sh: $study: a replay study or kernels/sgemm/cpu.json" >&2
	exit 2
fi
[ "$(wc -l <"$dir/h.jsonl")" = "$n" ] ||
    { echo "overhead.sh: the history has not $n records" >&2; exit 1; }
head -n $((n - 8)) "$dir/h.jsonl" >"$dir/head.jsonl"
tail -n 8 "$dir/h.jsonl" >"$dir/last.jsonl"
"$bin/ar-learn" -s "$study" -m "$dir/m0.json" --rebuild "$dir/head.jsonl" \
    >/dev/null

# "BIN SECONDS" lines, sorted, as one JSON line for each BIN.
summarise() {
	awk -v s="$1" '
	function out(m) {
		m = k % 2 ? t[(k + 1) / 2] : (t[k / 2] + t[k / 2 + 1]) / 2
		printf "{\"strategy\":\"%s\",\"bin\":\"%s\",\"runs\":%d," \
		    "\"median_s\":%.4f,\"min_s\":%.4f}\n", s, b, k, m, t[1]
	}
	$1 != b { if (k) out(); b = $1; k = 0 }
	{ t[++k] = $2 }
	END { if (k) out() }'
}

measure() {
	set -euo pipefail
	echo "# $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores;" \
	    "$n records of ${STUDY:-$study}" \
	    "($("$bin/ar-propose" -s "$study" --count) valid configurations);" \
	    "load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
	for s in $strategies; do
		for r in $(seq "$runs"); do
			for b in $bins; do
				cp "$dir/m0.json" "$dir/m.json"
				t0=$EPOCHREALTIME
				"$b/ar-learn" -s "$study" -m "$dir/m.json" \
				    <"$dir/last.jsonl" >/dev/null
				"$b/ar-propose" -s "$study" -H "$dir/h.jsonl" \
				    -m "$dir/m.json" -n 8 --strategy "$s" \
				    --seed 1 >"$dir/out.jsonl"
				t1=$EPOCHREALTIME
				[ "$(wc -l <"$dir/out.jsonl")" = 8 ] || {
					echo "overhead.sh: $b: $s proposed" \
					    "$(wc -l <"$dir/out.jsonl")" >&2
					exit 1
				}
				awk -v b="$b" -v t0="$t0" -v t1="$t1" \
				    'BEGIN { printf "%s %.6f\n", b, t1 - t0 }'
			done
		done | sort -k1,1 -k2n | summarise "$s"
	done
	echo "# load at the end $(cut -d' ' -f1-3 /proc/loadavg)" >&2
}

if [ -n "${LOCK:-}" ]; then
	export -f measure summarise
	export dir study n strategies runs bins bin STUDY
	flock "$LOCK" bash -c measure
else
	measure
fi
