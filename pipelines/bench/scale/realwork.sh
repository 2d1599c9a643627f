#!/usr/bin/env bash
# Benchmark (issue 19): real work over hosts on this machine.  The CPU
# SGEMM study (kernels/matmul/cpu.json, -D N=$N, its bench settings:
# warmup 1, repeat 5) tuned for EVALS evaluations in rounds of BATCH
# (STRATEGY=random: what it proposes does not depend on the timings, so
# every run must propose the same configurations), on a fresh OUT each
# time, so that every candidate is compiled (gcc -O3) and measured:
#
#   local  no HOSTS, JOBS=2 (tune.mk's default: two compilations at once,
#          the measurements one at a time)
#   w1     HOSTS=1/w1: one worker over loopback ssh (tests/loopback-ssh)
#   w2     HOSTS=1/w1,1/w2: two workers, each compiling and measuring its
#          half of the round, at the same time as the other
#
# Each timing holds the bench lock; REPS runs each, medians.  Then the
# records of all the runs are compared: the same ids, rounds, params and
# statuses in the same order (only host and the timings may differ), and
# the time_s of each configuration between the cases, to show how much two
# measurements at once on this machine disturb each other: the ratio, per
# configuration measured ok, of its median time_s over the case's runs to
# its median time_s in w1's runs, and of w1's first run to the median of
# its others (the noise of one worker alone).  Prints a comment line with the processor and
# load, then JSON lines:
#   {"case", "runs": [s...], "median_s", "speedup", "load"}     (speedup: w1's median over this)
#   {"same_records": true|false, "runs": N, "records": N}
#   {"time_ratio": "CASE/w1", "configs", "median", "p10", "p90"}
# Results in BENCHMARKS.md.
#
# usage: pipelines/bench/scale/realwork.sh
# environment: REPS (3), N (256), EVALS (32), BATCH (16), O (build/scale),
#   LOCK.  About 3 minutes on 2 cores.
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$here/common.sh"
reps=${REPS:-3} size=${N:-256} evals=${EVALS:-32} batch=${BATCH:-16}
study=$root/kernels/matmul/cpu.json

"$root/tests/loopback-ssh" start "$dir/ssh" w1 w2
undo+=("'$root/tests/loopback-ssh' stop '$dir/ssh'")
ssh="ssh -F $dir/ssh/ssh_config"
cpu_line >&2

for c in w1 w2 local; do
	case $c in
	local) args=() ;;
	w1) args=(HOSTS=1/w1 SSH="$ssh") ;;
	w2) args=("HOSTS=1/w1,1/w2" SSH="$ssh") ;;
	esac
	load=$(load1)
	runs=()
	for ((r = 0; r < reps; r++)); do
		d=$dir/$c-$r
		mkdir -p "$d"
		runs+=("$(timed tune "$d" OUT=out DEFS="-D N=$size" EVALS="$evals" \
		    BATCH="$batch" STRATEGY=random "${args[@]}")")
		[ "$(wc -l <"$d/out/history.jsonl")" = "$evals" ] ||
		    { echo "realwork.sh: $c run $r made $(wc -l <"$d/out/history.jsonl") records" >&2; exit 1; }
	done
	m=$(printf '%s\n' "${runs[@]}" | median)
	[ "$c" != w1 ] || one=$m
	printf '{"case":"%s","runs":[%s],"median_s":%s,"speedup":%s,"load":%s}\n' "$c" \
	    "$(IFS=,; echo "${runs[*]}")" "$m" \
	    "$(awk -v a="$one" -v b="$m" 'BEGIN { printf "%.2f", a / b }')" "$load"
done

# The same records in every run, but for the host and the timings.
content() { jq -c '{id, round, strategy, params, status}' "$1"; }
same=true
for h in "$dir"/*/out/history.jsonl; do
	cmp -s <(content "$dir/w1-0/out/history.jsonl") <(content "$h") || same=false
done
printf '{"same_records":%s,"runs":%d,"records":%d,"statuses":%s}\n' "$same" "$((3 * reps))" \
    "$evals" "$(jq -sc 'group_by(.status) | map({key: .[0].status, value: length}) | from_entries' \
    "$dir/w1-0/out/history.jsonl")"

# ratio A B: the time_s of each configuration measured ok, the median over
# the runs A (a glob) over that over the runs B, its median and 10th and
# 90th percentiles.
ratio() {
	jq -sc --arg a "$1" --arg b "$2" '
	    def med: sort | if length % 2 == 1 then .[length / 2 | floor]
	        else (.[length / 2 - 1] + .[length / 2]) / 2 end;
	    def times($c): map(select(.case == $c and .status == "ok"))
	        | group_by(.id) | map({key: .[0].id, value: (map(.time_s) | med)}) | from_entries;
	    def pct($p): sort | .[(length - 1) * $p | round];
	    times($a) as $x | times($b) as $y
	    | [$x | keys[] | select($y[.] != null) | $x[.] / $y[.]] as $r
	    | {time_ratio: "\($a)/\($b)", configs: ($r | length),
	       median: ($r | med * 1000 | round / 1000),
	       p10: ($r | pct(0.1) * 1000 | round / 1000),
	       p90: ($r | pct(0.9) * 1000 | round / 1000)}' \
	    <(for h in "$dir"/*/out/history.jsonl; do
		c=${h#"$dir"/} c=${c%%/*}
		jq -c --arg c "${c%-*}" --arg r "${c##*-}" '{id, status, time_s} as $t
		    | $t + {case: $c}, if $c == "w1" then $t + {case: "w1.\(if $r == "0" then 0 else "rest" end)"} else empty end' "$h"
	    done)
}
ratio w2 w1
ratio local w1
ratio w1.0 w1.rest
