#!/usr/bin/env bash
# Benchmark: how fast ar-report reads a large history (issue 18: "--text
# on a 100,000-record history in under 2 s, and the page in under 10 s").
# The history is made cheaply and for real: a replay study of a synthetic
# Kernel Tuner cache file of 10^5 configurations
# (tests/fixtures/report/big.jq with dims=5: five parameters of ten values,
# one crashing corner), brute-forced through ar-propose --strategy grid |
# ar-bench | ar-score, so that every record is a distinct configuration,
# 99,000 of them ok.  Then the median wall time of `repeats` runs of
#   text   ar-report -s STUDY --text HISTORY
#   page   ar-report -s STUDY -o PAGE HISTORY
# (importance gp, the default), and the same two for a study of two
# objectives (text2, page2: minimize time_s, maximize params.b; its
# records get their "objectives" from jq, since ar-score ranks every
# record of such a study and would take minutes here), each printed as
# one JSON line:
#   {"method", "records", "bytes", "seconds", "runs", "target_s", "load", "cpu"}
# with the page's size, the load average before the runs and the CPU model.
# Results in BENCHMARKS.md.  Run it on an idle machine.
#
# usage: pipelines/bench/report.sh [repeats] [dims]
#   dims: the space has 10^dims configurations (5: 100,000 records)
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ -z "${AR_BIN:-}" ]; then
	make -s all
	AR_BIN=$PWD/bin
fi
export PATH="$AR_BIN:$PATH"
reps=${1:-3} dims=${2:-5}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

jq -n --argjson dims "$dims" -f tests/fixtures/report/big.jq >"$dir/big.json"
study=$dir/study.json
printf '{"name": "big", "backend": "replay", "source": "big.json"}\n' >"$study"
hist=$dir/history.jsonl
ar-propose -s "$study" --strategy grid -n $((10 ** dims)) | ar-bench -s "$study" |
    ar-score -s "$study" >"$hist"
records=$(wc -l <"$hist")
study2=$dir/two.json
printf '{"name": "big", "backend": "replay", "source": "big.json", "objectives": ["minimize time_s", "maximize params.b"]}\n' >"$study2"
hist2=$dir/two.jsonl
jq -c 'if .status == "ok" then .objectives = [.time_s, .params.b] else . end' "$hist" >"$hist2"
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)

# shellcheck source=pipelines/bench/wall.sh
. pipelines/bench/wall.sh

for method in text page text2 page2; do
	load=$(cut -d' ' -f1-3 /proc/loadavg)
	case $method in
	text)
		runs=$(wall_times ar-report -s "$study" --text "$hist")
		bytes=$(ar-report -s "$study" --text "$hist" | wc -c) target=2 ;;
	page)
		runs=$(wall_times ar-report -s "$study" -o "$dir/page.html" "$hist")
		bytes=$(wc -c <"$dir/page.html") target=10 ;;
	text2)
		runs=$(wall_times ar-report -s "$study2" --text "$hist2")
		bytes=$(ar-report -s "$study2" --text "$hist2" | wc -c) target=2 ;;
	page2)
		runs=$(wall_times ar-report -s "$study2" -o "$dir/page.html" "$hist2")
		bytes=$(wc -c <"$dir/page.html") target=10 ;;
	esac
	jq -nc --arg method "$method" --argjson records "$records" \
	    --argjson bytes "$bytes" --arg runs "$runs" --argjson target "$target" \
	    --arg load "$load" --arg cpu "$cpu" \
	    '($runs | split(" ") | map(tonumber)) as $r | ($r | sort) as $s |
	    {method: $method, records: $records, bytes: $bytes,
	      seconds: (if ($s | length) % 2 == 1 then $s[($s | length - 1) / 2]
	          else ($s[($s | length) / 2 - 1] + $s[($s | length) / 2]) / 2 end),
	      runs: $r, target_s: $target, load: $load, cpu: $cpu}'
done
