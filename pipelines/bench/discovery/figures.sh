#!/usr/bin/env bash
# The figures of examples/discovery (BENCHMARKS.md, "Algorithm discovery:
# flip graphs"): runs the example's studies from scratch, each timed, and
# says what each reached and when.
#
#   pipelines/bench/discovery/figures.sh [2x2|3x3|4x4|all]   (default 2x2 3x3)
#   pipelines/bench/discovery/figures.sh --report OUT        (a finished run)
#
# 4x4 takes 30 minutes (SECONDS_BUDGET=1800 of walks).  Runs go to
# runs/discovery-SIZE (removed first), under nice -n 10.  BIN= names the
# toolkit's programs, as for run.sh.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)

# What a finished run reached: per field, the best rank, how many
# evaluations got it, and the first: its place and the cost_s spent up to
# and including it.  The rounds, so that a run under way reports too.
report() {
	jq -s -r '
	    [to_entries[] | select(.value.status == "ok") |
	     {i: (.key + 1), r: .value.output.rank, f: .value.output.field,
	      from: .value.output.from}] as $ok |
	    (map(.cost_s // 0) | [foreach .[] as $c (0; . + $c)]) as $cum |
	    "\(length) evaluations, \($ok | length) ok, \(map(.cost_s // 0) | add | . * 1000 | round / 1000) s of walks (cost_s)",
	    ($ok | group_by(.f)[] | (map(.r) | min) as $b | map(select(.r == $b)) |
	     "  \(.[0].f): best rank \($b), reached by \(length); first at evaluation \(.[0].i) after \($cum[.[0].i - 1] * 1000 | round / 1000) s of walks, starting from \(.[0].from)")
	' "$1"/rounds/[0-9][0-9][0-9].jsonl
}

if [ "${1:-}" = --report ]; then
	report "$2"
	exit 0
fi
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(2x2 3x3)
[ "${sizes[0]}" = all ] && sizes=(2x2 3x3 4x4)
echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores"
for s in "${sizes[@]}"; do
	out=$root/runs/discovery-$s
	rm -rf "$out"
	echo "== $s: examples/discovery/run.sh $s (nice -n 10), load before: $(cut -d' ' -f1-3 /proc/loadavg)"
	/usr/bin/time -f "wall %e s, cpu %U s user + %S s sys" \
	    nice -n 10 env OUT="$out" "$root/examples/discovery/run.sh" "$s" \
	    2>&1 | grep -v '^round '
	echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
	report "$out"
done
