#!/usr/bin/env bash
# Benchmark: what loading a Kernel Tuner cache file costs a replay study
# (issue 6: "loading a 20 MB cache file takes well under a second").  For
# each study of examples/replay (or those given), the median wall time of
# `repeats` runs of:
#   gunzip         gzip -dcf FILE >/dev/null: decompression alone, for scale
#   propose-count  ar-propose -s STUDY --count: the study loaded, the params
#                  read from the head of the file, the space counted
#   bench-one      ar-bench -s STUDY on one record: the whole file loaded
#                  and indexed, one look-up
# Prints one JSON line per study and method:
#   {"study", "file_bytes", "json_bytes", "records", "method", "seconds", "runs"}
# Results in BENCHMARKS.md.  Run it on an idle machine, pinned to a core.
#
# usage: pipelines/bench/replay-load.sh [repeats] [study...]
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ -z "${AR_BIN:-}" ]; then
	make -s all
	AR_BIN=$PWD/bin
fi
export PATH="$AR_BIN:$PATH"
reps=${1:-5}
shift || true
[ $# -gt 0 ] || set -- examples/replay/*.json

# shellcheck source=pipelines/bench/wall.sh
. pipelines/bench/wall.sh

bench_one() {
	ar-bench -s "$1" <"$2"
}

tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
for study in "$@"; do
	src=$(dirname "$study")/$(jq -r .source "$study")
	bytes=$(wc -c <"$src")
	json=$(gzip -dcf "$src" | wc -c)
	records=$(gzip -dcf "$src" | jq '.cache | length')
	ar-propose -s "$study" -n 1 --strategy random --seed 1 >"$tmp"
	for method in gunzip propose-count bench-one; do
		case $method in
		gunzip) runs=$(wall_times gzip -dcf "$src") ;;
		propose-count) runs=$(wall_times ar-propose -s "$study" --count) ;;
		bench-one) runs=$(wall_times bench_one "$study" "$tmp") ;;
		esac
		jq -nc --arg study "$study" --argjson file_bytes "$bytes" \
		    --argjson json_bytes "$json" --argjson records "$records" \
		    --arg method "$method" --arg runs "$runs" \
		    '($runs | split(" ") | map(tonumber)) as $r | ($r | sort) as $s |
		    {study: $study, file_bytes: $file_bytes, json_bytes: $json_bytes,
		      records: $records, method: $method,
		      seconds: (if ($s | length) % 2 == 1 then $s[($s | length - 1) / 2]
		          else ($s[($s | length) / 2 - 1] + $s[($s | length) / 2]) / 2 end),
		      runs: $r}'
	done
done
