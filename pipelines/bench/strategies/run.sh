#!/usr/bin/env bash
# The strategy benchmark (issue 6): every strategy on every replay study of
# examples/replay, SEEDS seeds each, the mean fraction of optimum (optimum
# time over the whole file / best time found) after each budget, under
# two protocols, and warm starts across GPUs.  Results in BENCHMARKS.md.
#
#   pipelines/bench/strategies/run.sh            the whole benchmark
#   SEEDS=3 DATASETS='MI50_convolution_15x15' STRATEGIES='random auto' \
#       pipelines/bench/strategies/run.sh        a part of it
#
# Each run is the loop of pipelines/tune.mk (EVALS, BATCH, seed and round
# as tune.mk passes them) simulated in one process by sim.c, which runs the
# same library code as the programs; tests/strategies-sim.bats checks that
# it proposes exactly what the pipeline proposes.  A strategy does not know
# its budget, so one run of the largest budget gives every smaller one as
# a prefix: the figure at 50 is exactly what a study of EVALS=50 finds.
#
# Protocols: (a) an evaluation is a configuration proposed, which is always
# valid (ours); (b) Schoonhoven et al. (2022), where a search over the
# whole Cartesian product spends evaluations on configurations that break
# a constraint: sim.c reports the expected fraction when the budget is
# drawn from the product and only the valid draws are evaluations.  For
# random search that is exactly their protocol; for the other strategies
# it charges each evaluation what a uniform draw from the product would.
#
# Environment:
#   SEEDS (20)  BUDGETS ('25 50 100 200 400')  BATCH (8)
#   DATASETS    names of examples/replay/NAME.json (all of them)
#   STRATEGIES  ('random anneal ga bo rl auto')
#   TRANSFER    1 to measure warm starts (1); TRANSFER_STRATEGY (auto),
#               PRIOR_EVALS (200): the history a warm start learns from.
#               Each warm run says on stderr, seed by seed, whether its
#               prior held up in its trial round (lib/search.c); trial.sh,
#               after this, tabulates that
#   KT          1 to run Kernel Tuner's strategies too (0; see kerneltuner.py)
#   JOBS        runs at a time (the number of cores)
#   OUT         where results go (build/bench/strategies); a run whose
#               file is there is not made again
#
# Time (2-core Xeon, shared, 2026-11-28): one seed of everything took 158 s
# of CPU for the 72 runs (bo 25-77 s a run, auto 6-22 s, the others about
# a second) and 77 s for the 18 warm starts and 9 priors, so the default
# 20 seeds need about 4,700 s of CPU: 40 minutes on two idle cores.  KT=1
# adds about 2.5 hours at the default seeds and budgets (kerneltuner.sh).
set -euo pipefail
cd "$(dirname "$0")/../../.."
here=pipelines/bench/strategies
seeds=${SEEDS:-20} batch=${BATCH:-8}
budgets=${BUDGETS:-25 50 100 200 400}
strategies=${STRATEGIES:-random anneal ga bo rl auto}
out=${OUT:-build/bench/strategies}
jobs=${JOBS:-$(nproc)}
if [ -z "${DATASETS:-}" ]; then
	DATASETS=$(cd examples/replay && ls *.json | sed 's/\.json$//')
fi
# One line, one space between names: the transfer below matches " NAME ".
DATASETS=$(printf '%s ' $DATASETS)
DATASETS=${DATASETS% }
max=$(tr ' ' '\n' <<<"$budgets" | sort -n | tail -n 1)
blist=$(tr ' ' ',' <<<"$budgets")

# The programs and the simulator, built apart from bin/.
make -s O=build/bench all
mkdir -p "$out/runs" "$out/prior"
# shellcheck disable=SC2046
cc -std=c11 -O2 -Wall -Wextra -Werror -Ilib -D_GNU_SOURCE "$here/sim.c" \
    build/bench/obj/libar.a $(sed -n 's/^LDLIBS = //p' Makefile) -o build/bench/sim
sim=build/bench/sim
# Runs are kept by name, and the name holds the simulator's hash, so that
# a changed strategy is measured again rather than read from an old file.
code=$(sha256sum "$sim" | cut -c 1-8)
tag=s$seeds.e$max.b$batch.$code

# sim_to FILE ARGS...: runs the simulator into FILE, atomically, unless
# FILE is there already.
sim_to() {
	local f=$1 t0=$EPOCHREALTIME
	shift
	[ -e "$f" ] && return 0
	"$sim" "$@" >"$f.tmp"
	mv "$f.tmp" "$f"
	printf "%7.1f s  %s\n" "$(bc <<<"$EPOCHREALTIME - $t0")" "${f##*/}" >&2
}
export -f sim_to
export sim

echo "# $(date -u +%FT%TZ) $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores, JOBS=$jobs" >&2
start=$SECONDS
for d in $DATASETS; do
	for s in $strategies; do
		printf '%s\0' "sim_to $out/runs/$d.$s.$tag.jsonl -s examples/replay/$d.json \
--strategy $s --seeds 0:$((seeds - 1)) --evals $max --batch $batch --budgets $blist"
	done
done | xargs -0 -P "$jobs" -I{} bash -c {}

# Warm starts: for each pair of GPUs that share a kernel, a history of
# PRIOR_EVALS evaluations on the source (seed 1000, so that no target seed
# shares its draws) warms the target's model (ar-learn --prior); against
# the cold runs of the same strategy, evaluations to reach 0.95 of optimum.
families=(
	"convolution_milo_A100 convolution_milo_A4000 convolution_milo_MI250X"
	"dedispersion_milo_A100 dedispersion_milo_A4000 dedispersion_milo_MI250X"
	"gemm_RTX_3090 GEMM_V100_mean32 GEMM_K20_mean32"
)
tstrat=${TRANSFER_STRATEGY:-auto} pevals=${PRIOR_EVALS:-200}
if [ "${TRANSFER:-1}" = 1 ]; then
	for fam in "${families[@]}"; do
		for src in $fam; do
			[[ " $DATASETS " == *" $src "* ]] || continue
			p=$out/prior/$src.$tstrat.e$pevals.$code.jsonl
			[ -e "$p" ] || printf '%s\0' "$sim -s examples/replay/$src.json --strategy $tstrat \
--seed 1000 --evals $pevals --batch $batch --history $p.tmp >/dev/null && mv $p.tmp $p"
		done
	done | xargs -0 -r -P "$jobs" -I{} bash -c {}
	for fam in "${families[@]}"; do
		for dst in $fam; do
			[[ " $DATASETS " == *" $dst "* ]] || continue
			for src in $fam; do
				[ "$src" != "$dst" ] && [[ " $DATASETS " == *" $src "* ]] || continue
				printf '%s\0' "sim_to $out/runs/$dst.$tstrat.from-$src.$tag.jsonl \
-s examples/replay/$dst.json --strategy $tstrat --seeds 0:$((seeds - 1)) --evals $max \
--batch $batch --budgets $blist --prior $out/prior/$src.$tstrat.e$pevals.$code.jsonl"
			done
			# The cold runs, if the strategy was not in STRATEGIES.
			printf '%s\0' "sim_to $out/runs/$dst.$tstrat.$tag.jsonl -s examples/replay/$dst.json \
--strategy $tstrat --seeds 0:$((seeds - 1)) --evals $max --batch $batch --budgets $blist"
		done
	done | xargs -0 -P "$jobs" -I{} bash -c {}
fi

if [ "${KT:-0}" = 1 ]; then
	SEEDS=$seeds BUDGETS=$budgets DATASETS=$DATASETS OUT=$out \
	    "$here/kerneltuner.sh"
fi

# One line per dataset, strategy (and prior) and budget.
res=$out/results.$tag.jsonl
for d in $DATASETS; do
	cat "$out/runs/$d".*."$tag".jsonl
	if [ "${KT:-0}" = 1 ]; then cat "$out/kt/$d".*.s"${KT_SEEDS:-$seeds}".jsonl; fi
done | "$here/aggregate.sh" >"$res.tmp"
mv "$res.tmp" "$res"
echo "# $((SECONDS - start)) s; results in $res" >&2
"$here/table.sh" "$res" | tee "$out/table.$tag.md"
