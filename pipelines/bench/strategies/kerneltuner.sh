#!/usr/bin/env bash
# Kernel Tuner as a comparator for the strategy benchmark: its own
# strategies in its simulation mode, on the same cache files, the same
# seeds and budgets and the same fraction of optimum (kerneltuner.py).
# Kernel Tuner is installed from PyPI into a throwaway virtual environment
# under build/ (KT_VENV): it is never a dependency of the toolkit.
#
# Each seed and budget is a run of its own (its strategies take the
# budget as an input), so this costs more than the simulator: the six
# strategies, 20 seeds, the five budgets and the 12 files took about
# 2,900 s on one core (Kernel Tuner 1.5.0, a 2-core Xeon, 2026-12-07),
# bayes_opt 1,837 s of it (about 320 s a GEMM file).  bayes_opt is not
# reproducible from the seed (it draws from entropy of its own); the other
# strategies are.
#
# Environment: KT_SEEDS or SEEDS (20), KT_BUDGETS or BUDGETS ('25 50 100
# 200 400'), DATASETS (all of examples/replay), KT_STRATEGIES
# ('random_sample genetic_algorithm dual_annealing simulated_annealing
# greedy_ils bayes_opt'), KT_VERSION (the newest), JOBS (cores), OUT
# (build/bench/strategies): per-seed lines in
# OUT/kt/DATASET.STRATEGY.sSEEDS.jsonl, one file per run, kept.
set -euo pipefail
cd "$(dirname "$0")/../../.."
here=pipelines/bench/strategies
seeds=${KT_SEEDS:-${SEEDS:-20}}
budgets=${KT_BUDGETS:-${BUDGETS:-25 50 100 200 400}}
strategies=${KT_STRATEGIES:-random_sample genetic_algorithm dual_annealing simulated_annealing greedy_ils bayes_opt}
out=${OUT:-build/bench/strategies}
jobs=${JOBS:-$(nproc)}
venv=${KT_VENV:-build/kt-venv}
if [ -z "${DATASETS:-}" ]; then
	DATASETS=$(cd examples/replay && ls *.json | sed 's/\.json$//')
fi

# A venv cannot be moved into place (its scripts name its folder), so a
# stamp says that the install finished.
if [ ! -e "$venv/.installed" ]; then
	rm -rf "$venv"
	python3 -m venv "$venv"
	"$venv/bin/pip" install -q "kernel_tuner${KT_VERSION:+==$KT_VERSION}"
	touch "$venv/.installed"
fi
ver=$("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("kernel_tuner"))')
echo "# Kernel Tuner $ver ($venv)" >&2
mkdir -p "$out/kt"

# kt_to FILE DATASET STRATEGY: one file of per-seed lines, atomically.
kt_to() {
	local t0=$EPOCHREALTIME
	"$venv/bin/python" "$here/kerneltuner.py" --study "examples/replay/$2.json" \
	    --strategy "$3" --seeds "0:$((seeds - 1))" --budgets "${budgets// /,}" >"$1.tmp"
	mv "$1.tmp" "$1"
	printf "%7.1f s  %s\n" "$(bc <<<"$EPOCHREALTIME - $t0")" "${1##*/}" >&2
}
export -f kt_to
export venv here seeds budgets

for d in $DATASETS; do
	for s in $strategies; do
		f=$out/kt/$d.$s.s$seeds.jsonl
		[ -e "$f" ] || printf 'kt_to %s %s %s\0' "$f" "$d" "$s"
	done
done | xargs -0 -r -P "$jobs" -I{} bash -c {}
