#!/usr/bin/env bash
# Benchmark (issue 20): does it pay to spend budget on re-measuring
# promising candidates?  On a replay study every configuration has one
# true time (the file's); sim.c --noise SIGMA multiplies each measurement
# by log-normal noise, exp(SIGMA Z), so that a search sees what it would
# on a noisy machine, and the figure is the TRUE fraction of optimum of
# the configuration finally chosen (optimum / its true time), at the same
# budget of EVALS evaluations, re-measurements included, for:
#
#   none          every evaluation a new configuration; the chosen one
#                 is the best single measurement
#   remeasure:R   each round spends up to R of its BATCH on measuring the
#                 R best so far again; the search sees the mean of each
#                 one's measurements, and the chosen one is the best mean
#                 of those measured more than once ("all": of all)
#   confirm:K:R   the last K*R evaluations measure the top K again, R
#                 times each, as tune.mk's confirm does, and the best by
#                 its median over the odd passes is chosen ("all": by the
#                 mean of all R instead)
#
# The table gives, per dataset and noise, the mean over SEEDS seeds of
# the chosen configuration's true fraction of optimum, and last the
# "oracle": the true fraction of the best configuration the run measured
# (what a noise-free choice among the same measurements would get).
# Deterministic: a simulation, no timing, no lock.
#
#   pipelines/bench/strategies/remeasure.sh
#   SEEDS=3 DATASETS=gemm_RTX_3090 pipelines/bench/strategies/remeasure.sh
#
# Environment: SEEDS (20)  EVALS (200)  BATCH (8)  STRATEGY (auto)
#   DATASETS  names of examples/replay/NAME.json (gemm_RTX_3090
#             convolution_milo_A100 dedispersion_milo_A100)
#   NOISES    ('0.03 0.1')
#   POLICIES  ('none remeasure:2 confirm:5:4')
#   O         the build of the library (build/bench)
#   JOBS      runs at a time (the number of cores)
#   OUT       where runs go (build/bench/remeasure); a run whose file is
#             there is not made again
set -euo pipefail
cd "$(dirname "$0")/../../.."
here=pipelines/bench/strategies
seeds=${SEEDS:-20} evals=${EVALS:-200} batch=${BATCH:-8}
strategy=${STRATEGY:-auto} o=${O:-build/bench}
datasets=${DATASETS:-gemm_RTX_3090 convolution_milo_A100 dedispersion_milo_A100}
noises=${NOISES:-0.03 0.1}
policies=${POLICIES:-none remeasure:2 confirm:5:4}
out=${OUT:-build/bench/remeasure} jobs=${JOBS:-$(nproc)}

make -s O="$o" all
mkdir -p "$out"
# shellcheck disable=SC2046
cc -std=c11 -O2 -Wall -Wextra -Werror -Ilib -D_GNU_SOURCE "$here/sim.c" \
    "$o/obj/libar.a" $(sed -n 's/^LDLIBS = //p' Makefile) -o "$o/sim"
sim=$o/sim
code=$(sha256sum "$sim" | cut -c 1-8)
echo "# $(date -u +%FT%TZ) $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores, JOBS=$jobs" >&2

# The runs, one file each (made atomically, kept by the simulator's hash).
for d in $datasets; do
	for n in $noises; do
		for p in $policies; do
			case $p in
			none) args= ;;
			remeasure:*) args="--remeasure ${p#remeasure:}" ;;
			confirm:*) args="--confirm ${p#confirm:}" ;;
			*) echo "remeasure.sh: unknown policy '$p'" >&2; exit 2 ;;
			esac
			f=$out/$d.n$n.$p.s$seeds.e$evals.b$batch.$strategy.$code.jsonl
			[ -e "$f" ] && continue
			printf '%s\0' "$sim -s examples/replay/$d.json --strategy \
$strategy --seeds 0:$((seeds - 1)) --evals $evals --batch $batch --budgets \
$evals --noise $n $args >$f.tmp && mv $f.tmp $f"
		done
	done
done | xargs -0 -r -P "$jobs" -I{} nice -n 5 bash -c {}

# The table: rows dataset x noise, columns the policies.
for d in $datasets; do
	for n in $noises; do
		for p in $policies; do
			jq -c --arg p "$p" '. + {policy: $p}' \
			    "$out/$d.n$n.$p.s$seeds.e$evals.b$batch.$strategy.$code.jsonl"
		done
	done
done | jq -rs --arg pol "$policies" --argjson seeds "$seeds" \
    --argjson evals "$evals" '
    def f3: . * 1000 | round / 1000 | tostring |
	if test("\\.") then . + "000" | .[:5] else . + ".000" end;
    def mean: add / length;
    ($pol | split(" ")) as $ps |
    "TRUE fraction of optimum of the configuration chosen, mean of \($seeds) seeds, \($evals) evaluations (re-measurements included):",
    "",
    "| dataset | noise | " + ($ps | map(if . != "none" then
	., . + " (all)" else . end) | join(" | ")) + " | oracle (none) |",
    "| --- | ---: |" + ($ps | map(if . != "none" then
	" ---: | ---: |" else " ---: |" end) | join("")) + " ---: |",
    (group_by([.dataset, .noise])[] |
	. as $g | "| \(.[0].dataset) | \(.[0].noise) | " +
	($ps | map(. as $p | $g | map(select(.policy == $p)) |
	    (map(.chosen) | mean | f3),
	    (if $p != "none" then map(.chosen_all) | mean | f3
	    else empty end)) | join(" | ")) +
	" | \($g | map(select(.policy == "none") | .found) | mean | f3) |"),
    (group_by(.noise)[] | . as $g |
	"| mean | \(.[0].noise) | " +
	($ps | map(. as $p | $g | map(select(.policy == $p)) |
	    (map(.chosen) | mean | f3),
	    (if $p != "none" then map(.chosen_all) | mean | f3
	    else empty end)) | join(" | ")) +
	" | \($g | map(select(.policy == "none") | .found) | mean | f3) |")'
