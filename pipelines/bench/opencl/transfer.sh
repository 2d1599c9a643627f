#!/usr/bin/env bash
# Benchmark (issue 21): transfer for real.  The PoCL GEMM study
# (kernels/gemm/opencl.json at M = N = K = N, default 1024) is tuned
# warm, from a GPU history of the same space (tune.mk's PRIOR=, ar-learn
# --prior), and cold, with the same budget, strategy, seed and ar-bench
# settings as run.sh's tunings (common.sh), and the two histories are
# compared as measured.
#
# The prior: a history of FROM (default
# examples/replay/gemm_RTX_3090.json, CLBlast's Xgemm on an RTX 3090,
# replayed) made by tune.mk with the same strategy, PRIOR_EVALS (200)
# evaluations, seed PRIOR_SEED (1000; another seed than the studies',
# as the strategy benchmark's transfer does), its params cut down to
# the study's parameters (a replay may carry one the study has not, such
# as PRECISION, and ar-propose takes no point with a parameter it does
# not know).  The cold start is run.sh's tuning at N (OUT/N) when that
# has at least EVALS records and was made with the same settings (its
# tune.args, common.sh), else a tuning of its own (OUT/cold-N-sSEED):
# either way a cold run of this budget, as a tuning's first EVALS
# records are what a tuning of EVALS would have measured.
#
# What is compared, from the first measurements of each history (GFLOP/s
# = 2 N^3 / time_s): the best at 8, 16, 32, 64, 100 and EVALS
# evaluations; the evaluations each needed to reach 0.8, 0.9 and 0.95
# of the cold run's best at the budget (null: never); and whether
# ar-propose kept the prior after its trial round (its message in the
# warm run's log).  The measurements are of one run each on a shared
# machine: a difference of a few percent between two bests is within
# their noise, and one seed is one draw: run it with SEED=1, 2, 3, ...
#
# Prints one JSON line per run {"run", "N", "evals", "best_gflops",
# "best_at": {EVALS: GFLOP/s}, "reach": {fraction: evaluations},
# "failed"} and a summary {"N", "evals", "prior", "prior_verdict",
# "cold", "warm", "loadavg": [start, end]}.  Tuning is done under LOCK
# (/tmp/ar/bench.lock; empty: none).  Results in BENCHMARKS.md.
#
# usage: pipelines/bench/opencl/transfer.sh
# environment: N (1024), FROM, PRIOR_EVALS (200), PRIOR_SEED (1000), and
#   those of common.sh: EVALS (200), BATCH (8), STRATEGY (auto), SEED
#   (1), TIMEOUT, CODEGEN_S, MIN_GFLOPS, TUNE_BENCH, DEVICE, STUDY, BIN, OUT, LOCK,
#   NICE.
set -euo pipefail
# shellcheck source=pipelines/bench/opencl/common.sh
source "$(dirname "$0")/common.sh"
cd "$(dirname "$0")/../../.."
n=${N:-1024}
from=${FROM:-examples/replay/gemm_RTX_3090.json}
prior_evals=${PRIOR_EVALS:-200} prior_seed=${PRIOR_SEED:-1000}
use_bin
mkdir -p "$out"
pdir=$out/prior-$(basename "$from" .json)-$strategy-$prior_evals-$prior_seed
echo "# $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores;" \
    "$study at N=$n, $evals evaluations ($strategy, seed $seed)," \
    "prior $prior_evals of $from (seed $prior_seed)" >&2

# The prior: a replay, so no lock (it times nothing).
make -s -f pipelines/tune.mk STUDY="$from" OUT="$pdir" EVALS="$prior_evals" \
    BATCH="$batch" BIN="$bin" STRATEGY="$strategy" SEED="$prior_seed" >&2
jq -c --argjson keys "$(jq -c '.params | keys' "$study")" \
    '.params |= with_entries(select(.key as $k | $keys | index($k)))' \
    "$pdir/history.jsonl" >"$pdir/prior.jsonl"

load0=$(cut -d' ' -f1 /proc/loadavg)
cold=$out/$n
if [ ! -s "$cold/history.jsonl" ] ||
    [ "$(wc -l <"$cold/history.jsonl")" -lt "$evals" ] ||
    [ "$(cat "$cold/tune.args" 2>/dev/null)" != "$(tune_args "$n")" ]; then
	cold=$out/cold-$n-s$seed
	hold
	tune_mk "$n" "$cold" >&2
	release
fi
warm=$out/warm-$n-s$seed-$(basename "$pdir")
hold
tune_mk "$n" "$warm" PRIOR="$pdir/prior.jsonl" 2>&1 | tee "$warm.log" >&2
release
verdict=$(grep -o 'the prior [^:]*: .*' "$warm.log" | head -n 1 || :)

# curve RUN FILE: the line of one history, its first EVALS records.
# shellcheck disable=SC2016
curve='
	def gf: if .status == "ok" and (.time_s | numbers) > 0
	    then 2 * $n * $n * $n / .time_s / 1e9 else 0 end;
	def r1: . * 10 | round / 10;
	.[:$evals] | [foreach .[] as $r (0; [., ($r | gf)] | max)] as $c |
	{run: $run, N: $n, evals: length, best_gflops: ($c[-1] | r1),
	 best_at: ([8, 16, 32, 64, 100, $evals] | map(select(. <= ($c | length))) |
	     unique | map({key: tostring, value: ($c[. - 1] | r1)}) | from_entries),
	 reach: ([0.8, 0.9, 0.95] | map(. as $f | {key: tostring,
	     value: ([$c | to_entries[] | select(.value >= $f * $target)][0].key |
	         if . == null then null else . + 1 end)}) | from_entries),
	 failed: map(select(.status != "ok")) | length}'
# shellcheck disable=SC2016
target=$(jq -s --argjson n "$n" --argjson evals "$evals" \
    '.[:$evals] | map(select(.status == "ok" and (.time_s | numbers) > 0) |
     2 * $n * $n * $n / .time_s / 1e9) | max // 0' "$cold/history.jsonl")
c=$(jq -s -c --arg run cold --argjson n "$n" --argjson evals "$evals" \
    --argjson target "$target" "$curve" "$cold/history.jsonl")
w=$(jq -s -c --arg run warm --argjson n "$n" --argjson evals "$evals" \
    --argjson target "$target" "$curve" "$warm/history.jsonl")
echo "$c"
echo "$w"
jq -n -c --argjson c "$c" --argjson w "$w" --argjson n "$n" \
    --argjson evals "$evals" --arg prior "$pdir/prior.jsonl" \
    --arg from "$from" --arg verdict "$verdict" \
    --argjson load "[$load0, $(cut -d' ' -f1 /proc/loadavg)]" \
    '{N: $n, evals: $evals, prior: $prior, from: $from,
      prior_verdict: $verdict, cold: $c, warm: $w,
      warm_over_cold: ($w.best_gflops / $c.best_gflops * 1000 | round / 1000),
      loadavg: $load}'
