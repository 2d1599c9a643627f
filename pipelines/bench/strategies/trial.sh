#!/usr/bin/env bash
# The trial of a prior (lib/search.c, prior_check), pair by pair: in the
# first round of a warm start the strategies see only the prior's four
# best points, beside their own proposals, and the prior is kept when
# the best of its points scores at least as well as the best of theirs.
# For each pair of run.sh's transfer, over SEEDS seeds: the fraction of
# optimum of the best of the prior's points measured in that round (its
# four best, and any other of its points the search proposed itself),
# mean over the seeds; the mean and largest of the search's own best; in
# how many seeds the prior was kept.  Read off the verdict ar-propose
# (here sim) says in the round after the trial.
#
#   pipelines/bench/strategies/trial.sh      after run.sh made the priors
#
# Environment: SEEDS (20), OUT (build/bench/strategies), as run.sh's;
# PRIOR_EVALS (200), TRANSFER_STRATEGY (auto).
set -euo pipefail
cd "$(dirname "$0")/../../.."
seeds=${SEEDS:-20} out=${OUT:-build/bench/strategies}
tstrat=${TRANSFER_STRATEGY:-auto} pevals=${PRIOR_EVALS:-200}
sim=build/bench/sim
[ -x "$sim" ] || { echo "trial.sh: no $sim: run run.sh first" >&2; exit 2; }
code=$(sha256sum "$sim" | cut -c 1-8)
families=(
	"convolution_milo_A100 convolution_milo_A4000 convolution_milo_MI250X"
	"dedispersion_milo_A100 dedispersion_milo_A4000 dedispersion_milo_MI250X"
	"gemm_RTX_3090 GEMM_V100_mean32 GEMM_K20_mean32"
)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "| dataset | prior from | prior's best, mean | own best, mean | own best, max | kept |"
echo "| --- | --- | ---: | ---: | ---: | ---: |"
for fam in "${families[@]}"; do
	for dst in $fam; do
		for src in $fam; do
			[ "$src" != "$dst" ] || continue
			p=$out/prior/$src.$tstrat.e$pevals.$code.jsonl
			[ -e "$p" ] || { echo "trial.sh: no $p: run run.sh first" >&2; exit 2; }
			# One round and one more proposal: the verdict is said
			# when the second round is proposed.
			"$sim" -s "examples/replay/$dst.json" --strategy "$tstrat" \
			    --seeds "0:$((seeds - 1))" --evals 9 --batch 8 \
			    --prior "$p" >"$tmp/out" 2>"$tmp/err"
			opt=$(jq -s '.[0].optimum_s' "$tmp/out")
			sed -n 's/.*the prior \(holds up\|misleads\): .* scores \([^,]*\), the search.s own best \([^;]*\);.*/\1\t\2\t\3/p' "$tmp/err" |
			    jq -R -r -s --argjson opt "$opt" --arg d "$dst" --arg s "$src" '
				def frac: if test("^none") then 0 else $opt / (- tonumber) end;
				def f3: . * 1000 | round / 1000;
				split("\n") | map(select(. != "") | split("\t")) |
				"| \($d) | \($s) | \(map(.[1] | frac) | add / length | f3) | \(map(.[2] | frac) | add / length | f3) | \(map(.[2] | frac) | max | f3) | \(map(select(.[0] == "holds up")) | length)/\(length) |"'
		done
	done
done
