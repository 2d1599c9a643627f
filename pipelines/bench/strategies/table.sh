#!/usr/bin/env bash
# table.sh RESULTS.jsonl: the strategy benchmark's results (aggregate.sh)
# as markdown tables for BENCHMARKS.md, beside the published figures in
# ../shared/datasets/published (PUBLISHED= names another folder).
set -euo pipefail
res=${1:?usage: table.sh RESULTS.jsonl}
pub=${PUBLISHED:-$(cd "$(dirname "$0")/../../.." && pwd)/../shared/datasets/published}
kt14=$pub/kerneltuner_1.4_simulation_100evals.jsonl
csv=$pub/schoonhoven2022_results_long.csv
[ -e "$kt14" ] || kt14=/dev/null
[ -e "$csv" ] || csv=/dev/null

# The Schoonhoven et al. (2022) table as JSON lines (deterministic runs).
schoon() {
	tail -n +2 "$csv" | jq -R -c 'split(",") | select(.[0] == "deterministic") |
	    {kernel: .[1], space: .[2], algorithm: .[3], budget: (.[4] | tonumber),
	     mean: (.[5] | tonumber)}'
}

jq -r -n --slurpfile kt14 "$kt14" --slurpfile schoon <(schoon) '
def f3: if . == null then "–" else ((. * 1000 | round) as $n |
	"\($n / 1000 | floor).\($n % 1000 + 1000 | tostring | .[1:])") end;
def row(cells): "| " + (cells | map(tostring) | join(" | ")) + " |";
def name: if .tool == "autoresearch" then .strategy else "KT " + .strategy end;
# The mean of a list, null when it is empty or lacks a value.
def mean: if length == 0 or any(. == null) then null else add / length end;
# Our datasets that are spaces of the published study.
def schoon_space: {"GEMM_V100_mean32": "GEMM_V100_processed",
	"GEMM_K20_mean32": "GEMM_K20_processed",
	"MI50_convolution_15x15": "MI50_convolution_15x15_processed"}[.];
def family: if test("^(gemm|GEMM)") then "GEMM" elif test("onvolution") then "convolution"
	elif test("^dedispersion") then "dedispersion" elif test("^pnpoly") then "pnpoly" else . end;

[inputs] as $all | ($all | map(select(.prior == null))) as $cold |
($cold | map(.budget) | unique) as $budgets |
($cold | map(.dataset) | unique) as $datasets |
($cold | map(select(.tool == "autoresearch")) | map(.strategy) | unique) as $ours |
($cold | map(select(.tool != "autoresearch")) | map(.strategy) | unique) as $theirs |
($cold | map(.seeds) | unique | map(tostring) | join("/")) as $seeds |
def at(d; s; b): ($cold | map(select(.dataset == d and .strategy == s and .budget == b and .tool == "autoresearch")) | .[0]);
def kt(d; s; b): ($cold | map(select(.dataset == d and .strategy == s and .budget == b and .tool != "autoresearch")) | .[0]);

"### Mean fraction of optimum over the \($datasets | length) datasets (\($seeds) seeds)", "",
"Protocol (a): every evaluation is a valid configuration.", "",
row(["strategy"] + ($budgets | map(tostring))),
row(["---"] + ($budgets | map("---:"))),
($ours[] as $s | row([$s] + [$budgets[] as $b | [$datasets[] as $d | at($d; $s; $b).mean] | mean | f3])),
($theirs[] as $s | row(["KT " + $s] + [$budgets[] as $b | [$datasets[] as $d | kt($d; $s; $b).mean] | mean | f3])),
"",
"Protocol (b), Schoonhoven et al.: the budget is drawn from the Cartesian product, and configurations that break a constraint are spent evaluations.", "",
row(["strategy"] + ($budgets | map(tostring))),
row(["---"] + ($budgets | map("---:"))),
($ours[] as $s | row([$s] + [$budgets[] as $b | [$datasets[] as $d | at($d; $s; $b).mean_b] | mean | f3])),
"",
(select($theirs | length > 0) |
"Kernel Tuner: the mean number of distinct configurations a run evaluated, against its max_fevals (only the first max_fevals count).", "",
row(["strategy"] + ($budgets | map(tostring))),
row(["---"] + ($budgets | map("---:"))),
($theirs[] as $s | row(["KT " + $s] + [$budgets[] as $b | [$datasets[] as $d | kt($d; $s; $b).evals_mean] |
	mean | if . == null then "–" else (. * 10 | round / 10) end])), ""),
"### At 100 evaluations, per dataset, protocol (a)", "",
"KT 1.4 published: Kernel Tuner 1.4 in simulation mode, 20 seeds (datasets/published), its best strategy on that dataset and its random_sample.", "",
row(["dataset"] + $ours + ($theirs | map("KT " + .)) + ["KT 1.4 best (published)", "KT 1.4 random (published)"]),
row(["---"] + ([$ours[], $theirs[], 1, 2] | map("---:"))),
($datasets[] as $d | ($kt14 | map(select((.data | sub("\\.json(\\.gz)?$"; "")) == $d and .budget == 100))) as $p |
	row([$d] + [$ours[] as $s | at($d; $s; 100).mean | f3] + [$theirs[] as $s | kt($d; $s; 100).mean | f3] +
	[($p | max_by(.mean) | if . == null then "–" else "\(.mean | f3) \(.strategy)" end),
	 ($p | map(select(.strategy == "random_sample")) | .[0].mean | f3)])),
"",
"### Targets: auto at 100 evaluations", "",
row(["kernel", "datasets", "auto (a)", "auto (b)", "random (a)", "random (b)", "best single (a)", "published dual annealing (b)", "published random (b)"]),
row(["---", "---", "---:", "---:", "---:", "---:", "---:", "---:", "---:"]),
(["GEMM", "convolution"][] as $k | ($datasets | map(select(family == $k))) as $ds |
	($schoon | map(select(.kernel == $k and .budget == 100))) as $sp |
	row([$k, ($ds | join(" ")),
	 ([$ds[] as $d | at($d; "auto"; 100).mean] | mean | f3),
	 ([$ds[] as $d | at($d; "auto"; 100).mean_b] | mean | f3),
	 ([$ds[] as $d | at($d; "random"; 100).mean] | mean | f3),
	 ([$ds[] as $d | at($d; "random"; 100).mean_b] | mean | f3),
	 ([$ours[] as $s | select($s != "auto") | {s: $s, m: ([$ds[] as $d | at($d; $s; 100).mean] | mean)}] | max_by(.m) | "\(.m | f3) \(.s)"),
	 ($sp | map(select(.algorithm == "Dual annealing") | .mean) | mean | f3),
	 ($sp | map(select(.algorithm == "Random sampling") | .mean) | mean | f3)])),
"",
"Published: the mean over the published test GPUs of each kernel (a space of that kernel, not ours, except where the next table names one).", "",
"### The same spaces as Schoonhoven et al., protocol (b) against their published figures", "",
row(["dataset", "budget", "auto (b)", "random (b)", "published random", "published dual annealing", "published best"]),
row(["---", "---:", "---:", "---:", "---:", "---:", "---:"]),
($datasets[] as $d | ($d | schoon_space) as $space | select($space != null) |
	$budgets[] as $b | ($schoon | map(select(.space == $space and .budget == $b))) as $sp |
	row([$d, $b, (at($d; "auto"; $b).mean_b | f3), (at($d; "random"; $b).mean_b | f3),
	 ($sp | map(select(.algorithm == "Random sampling")) | .[0].mean | f3),
	 ($sp | map(select(.algorithm == "Dual annealing")) | .[0].mean | f3),
	 ($sp | max_by(.mean) | if . == null then "–" else "\(.mean | f3) \(.algorithm)" end)])),
"",
"### auto against the best single strategy, mean over datasets, protocol (a)", "",
row(["budget", "auto", "best single strategy", "auto >= best"]),
row(["---:", "---:", "---", "---"]),
($budgets[] as $b |
	([$ours[] as $s | select($s != "auto") | {s: $s, m: ([$datasets[] as $d | at($d; $s; $b).mean] | mean)}] | max_by(.m)) as $best |
	([$datasets[] as $d | at($d; "auto"; $b).mean] | mean) as $auto |
	row([$b, ($auto | f3), "\($best.m | f3) \($best.s)", (if $auto == null or $best.m == null then "–" elif $auto >= $best.m then "yes" else "no" end)])),
"",
(($all | map(select(.prior != null and .budget == ($budgets | max)))) as $warm | select($warm | length > 0) |
"### Transfer: evaluations to reach 0.95 of optimum, warm (ar-learn --prior) against cold", "",
"A run that never reached 0.95 counts as \($budgets | max) evaluations; reached = runs that did.", "",
row(["dataset", "prior from", "strategy", "cold", "warm", "warm / cold", "cold reached", "warm reached"]),
row(["---", "---", "---", "---:", "---:", "---:", "---:", "---:"]),
($warm[] as $w | ($cold | map(select(.tool == "autoresearch" and .dataset == $w.dataset and .strategy == $w.strategy and .budget == $w.budget)) | .[0]) as $c |
	row([$w.dataset, $w.prior, $w.strategy, ($c.to95 // null | if . == null then "–" else (. * 10 | round / 10) end),
	 ($w.to95 * 10 | round / 10), (if $c == null then "–" else ($w.to95 / $c.to95 | f3) end),
	 "\($c.reached95 // "–")/\($c.seeds // "–")", "\($w.reached95)/\($w.seeds)"])),
row(["mean", "", "", ([$warm[] as $w | $cold[] | select(.tool == "autoresearch" and .dataset == $w.dataset and .strategy == $w.strategy and .budget == $w.budget) | .to95] | mean | . * 10 | round / 10),
	([$warm[].to95] | mean | . * 10 | round / 10),
	([$warm[] as $w | $cold[] | select(.tool == "autoresearch" and .dataset == $w.dataset and .strategy == $w.strategy and .budget == $w.budget) | $w.to95 / .to95] | mean | f3), "", ""]),
([$warm[] as $w | $cold[] | select(.tool == "autoresearch" and .dataset == $w.dataset and .strategy == $w.strategy and .budget == $w.budget) | {w: $w, r: ($w.to95 / .to95)}] | max_by(.r) | select(. != null) |
	row(["worst: \(.w.dataset)", .w.prior, .w.strategy, "", "", (.r | f3), "", ""])))
' "$res"
