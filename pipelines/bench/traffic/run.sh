#!/usr/bin/env bash
# run.sh -- the traffic lights of examples/traffic against SUMO's own
# programs (issue 17), in one run.
#
#   pipelines/bench/traffic/run.sh [EVALS]
#
# Environment: AR_BIN (bin/), OUT (runs/bench-traffic), EVALS (100);
# NET=small END=700 runs it all on the test's 3x3 grid, in a minute or two.
#
#   1. the anchors on the demand tuned on (seed 1), through the same
#      driver (signals.py), the same sumo --seed and --end:
#        default    the fixed-time programs netgenerate built (90 s cycle)
#        actuated   the same network built with --tls.default-type actuated
#   2. the search: examples/traffic/run.sh, EVALS evaluations, OUT/search
#   3. robustness: the best timings, the default and the actuated programs
#      on 5 demands it was not tuned on (randomTrips seeds 11 to 15), and
#      the best timings with every offset 0 (what the green wave adds)
#
# Every run is a line of OUT/runs.jsonl: {"what", "demand", "params"?, and
# signals.py's output}.  OUT/summary.txt holds the table; it is printed.
# Simulations are not timings: run it under nice, any load will do; the
# wall time, CPU time and load average are printed with the figures.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
EX=$ROOT/examples/traffic
BIN=${AR_BIN:-$ROOT/bin}
OUT=${OUT:-$ROOT/runs/bench-traffic}
EVALS=${1:-${EVALS:-100}}
NET=${NET:-grid}
END=${END:-$(jq -r .problem.END "$EX/study.json")}
SEED=$(jq -r .problem.SEED "$EX/study.json")
ROBUST="11 12 13 14 15"

mkdir -p "$OUT"
load0=$(cut -d' ' -f1-3 /proc/loadavg)
t0=$(date +%s)
made=("net/$NET.net.xml" "net/$NET-actuated.net.xml")
for d in 1 $ROBUST; do made+=("net/$NET.$d.rou.xml"); done
make -s -C "$EX" "${made[@]}"
: >"$OUT/runs.jsonl"

# sim WHAT DEMAND NET [PARAMS-JSON]: one run of the driver, one line.
sim() {
	local what=$1 demand=$2 net=$3 p=${4:-}
	local args=(--net "net/$net.net.xml" --routes "net/$NET.$demand.rou.xml"
	    --end "$END" --seed "$SEED")
	if [ -n "$p" ]; then
		args+=(--cycle "$(jq -r .CYCLE <<<"$p")" --split "$(jq -r .SPLIT <<<"$p")"
		    --wave-x "$(jq -r .WAVE_X <<<"$p")" --wave-y "$(jq -r .WAVE_Y <<<"$p")")
	fi
	local r
	r=$(cd "$EX" && ./signals.py "${args[@]}" | tail -n 1)
	jq -c --arg w "$what" --argjson d "$demand" --argjson p "${p:-null}" \
	    '{what: $w, demand: $d} + (if $p then {params: $p} else {} end) + .' \
	    <<<"$r" | tee -a "$OUT/runs.jsonl"
}

sim default 1 "$NET"
sim actuated 1 "$NET-actuated"

DEFS="-D NET=$NET -D END=$END" OUT=$OUT/search EVALS=$EVALS BIN=$BIN "$EX/run.sh"

H=$OUT/search/history.jsonl
best=$(jq -s -c 'map(select(.status == "ok")) | min_by(.objective) | .params' "$H")
nowave=$(jq -c '.WAVE_X = 0 | .WAVE_Y = 0' <<<"$best")
# The evaluation at which the search first beat the default by 20%.
def=$(jq -s '.[0].objective_wait_s' "$OUT/runs.jsonl")
first20=$(jq -r -s --argjson d "$def" '[to_entries[] | select(.value.status == "ok"
    and .value.objective <= 0.8 * $d) | .key + 1] | first // "never"' "$H")

for d in $ROBUST; do
	sim best "$d" "$NET" "$best"
	sim default "$d" "$NET"
	sim actuated "$d" "$NET-actuated"
	sim best-nowave "$d" "$NET" "$nowave"
done
sim best-nowave 1 "$NET" "$nowave"

t1=$(date +%s)
times >"$OUT/times.txt"
load1=$(cut -d' ' -f1-3 /proc/loadavg)
{
	echo "traffic: net $NET, end $END s, demand seed 1 tuned on, seeds $ROBUST held out"
	echo "best of $(wc -l <"$H") evaluations: $best"
	echo "first evaluation 20% under the default: $first20"
	echo
	printf '%-12s %-10s %10s %10s %10s %8s\n' what demand objective mean_wait mean_trav unarr
	jq -s -r --argjson b "$(jq -s 'map(select(.status == "ok")) | min_by(.objective) | .output' "$H")" \
	    '([.[] | select(.demand == 1)] + [$b + {what: "best", demand: 1}]) | .[] |
	    [.what, "seed \(.demand)", .objective_wait_s, .mean_wait_s, .mean_travel_s, .not_arrived] | @tsv' \
	    "$OUT/runs.jsonl" | awk -F'\t' '{ printf "%-12s %-10s %10.2f %10.2f %10.2f %8d\n", $1, $2, $3, $4, $5, $6 }'
	echo
	echo "held-out seeds $ROBUST: mean (sd over the 5, min..max) of each seed's figure"
	jq -s -r 'map(select(.demand != 1)) | group_by(.what)[] |
	    def st(f): (map(f)) as $v | ($v | add / length) as $m |
	        [$m, ((($v | map((. - $m) * (. - $m)) | add) / (($v | length) - 1)) | sqrt),
	         ($v | min), ($v | max)];
	    [.[0].what, (st(.objective_wait_s) | map(. * 100 | round / 100) | "\(.[0]) (sd \(.[1]), \(.[2])..\(.[3]))"),
	     (st(.mean_wait_s) | map(. * 100 | round / 100) | "\(.[0]) (sd \(.[1]))"),
	     (map(.not_arrived) | add)] | @tsv' "$OUT/runs.jsonl" |
	    awk -F'\t' 'BEGIN { printf "%-12s %-34s %-22s %s\n", "what", "objective_wait_s", "mean_wait_s", "unarrived (sum)" }
	        { printf "%-12s %-34s %-22s %s\n", $1, $2, $3, $4 }'
	echo
	jq -s -r 'map(select(.demand != 1)) as $r |
	    def m(w): [$r[] | select(.what == w) | .objective_wait_s] | add / length;
	    def each(w): [$r[] | select(.what == w)] | sort_by(.demand) | map(.objective_wait_s);
	    "held out, best against default: \(((1 - m("best") / m("default")) * 1000 | round) / 10)% less waiting (objective); against actuated: \(((m("best") / m("actuated") - 1) * 1000 | round) / 10)% more",
	    "best under default on \([each("best"), each("default")] | transpose | map(select(.[0] < .[1])) | length) of 5 held-out seeds"' \
	    "$OUT/runs.jsonl"
	echo "wall $((t1 - t0)) s; load average $load0 at the start, $load1 at the end; $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p')"
	tail -n 1 "$OUT/times.txt" | awk '{ print "CPU time of the children: user " $1 ", system " $2 }'
} | tee "$OUT/summary.txt"
