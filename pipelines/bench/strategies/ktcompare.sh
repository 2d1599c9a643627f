#!/usr/bin/env bash
# ktcompare.sh RESULTS.jsonl [STRATEGY]: the issue-20 comparison of one of
# our strategies (default auto) against every Kernel Tuner strategy run
# side by side on the same files (run.sh with KT=1, or kerneltuner.sh's
# per-seed files through aggregate.sh): for each kernel family and each
# budget, the mean fraction of optimum (protocol (a)) over the family's
# datasets, Kernel Tuner's best strategy there, and whether ours is at or
# above it.  A family counts only the datasets that every compared
# strategy has at that budget; the number of seeds of each side is shown.
#
#   cat build/bench/strategies/runs/*.auto.s20.*.jsonl \
#       build/bench/strategies/kt/*.s20.jsonl |
#       pipelines/bench/strategies/aggregate.sh >r.jsonl
#   pipelines/bench/strategies/ktcompare.sh r.jsonl
set -euo pipefail
res=${1:?usage: ktcompare.sh RESULTS.jsonl [STRATEGY]}
ours=${2:-auto}
jq -r -n --arg ours "$ours" '
def f3: if . == null then "–" else ((. * 1000 | round) as $n |
	"\($n / 1000 | floor).\($n % 1000 + 1000 | tostring | .[1:])") end;
def row(cells): "| " + (cells | map(tostring) | join(" | ")) + " |";
def mean: if length == 0 then null else add / length end;
def family: if test("^(gemm|GEMM)") then "GEMM" elif test("onvolution") then "convolution"
	elif test("^dedispersion") then "dedispersion" elif test("^pnpoly") then "pnpoly" else . end;
[inputs | select(.prior == null)] as $cold |
($cold | map(select(.tool != "autoresearch")) | map(.strategy) | unique) as $kt |
($cold | map(select(.tool == "autoresearch" and .strategy == $ours))) as $us |
if ($us | length) == 0 then error("no \($ours) lines in the results") else . end |
($us | map(.budget) | unique) as $budgets |
def get($tool; $s; $d; $b): $cold | map(select((.tool == "autoresearch") == ($tool == "us") and
	.strategy == $s and .dataset == $d and .budget == $b)) | .[0];
"Mean fraction of optimum, protocol (a); \($ours) (ours) against each Kernel Tuner strategy on the same files and seeds.", "",
row(["family", "datasets", "budget", $ours, "seeds"] + ($kt | map("KT " + .)) + ["KT best", "\($ours) − KT best", "\($ours) ≥ KT best"]),
row(["---", "---:", "---:", "---:", "---:"] + ($kt | map("---:")) + ["---", "---:", "---"]),
(["GEMM", "convolution", "dedispersion", "pnpoly", "all"][] as $fam |
 ($us | map(.dataset) | unique | map(select($fam == "all" or family == $fam))) as $ds0 |
 select($ds0 | length > 0) |
 $budgets[] as $b |
 # Only the datasets every strategy has at this budget.
 ($ds0 | map(. as $d | select(get("us"; $ours; $d; $b) != null and
	all($kt[]; get("kt"; .; $d; $b) != null)))) as $ds |
 select($ds | length > 0) |
 ([$ds[] as $d | get("us"; $ours; $d; $b).mean] | mean) as $u |
 [$kt[] as $s | {s: $s, m: ([$ds[] as $d | get("kt"; $s; $d; $b).mean] | mean)}] as $k |
 ($k | max_by(.m)) as $best |
 row([$fam, ($ds | length), $b, ($u | f3),
	"\([$ds[] as $d | get("us"; $ours; $d; $b).seeds] | min)/\([$ds[] as $d | $kt[] as $s | get("kt"; $s; $d; $b).seeds] | min)"] +
	($k | map(.m | f3)) + ["\($best.m | f3) \($best.s)", (($u - $best.m) * 1000 | round / 1000),
	(if $u >= $best.m then "yes" else "**no**" end)]))
' "$res"
