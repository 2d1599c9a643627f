#!/usr/bin/env bash
# aggregate.sh < per-seed lines (sim.c, kerneltuner.py): one line per
# dataset, strategy, prior and budget, over the seeds:
#   {"tool", "dataset", "strategy", "prior", "budget", "seeds",
#    "mean", "sd", "mean_b", "sd_b", "to95", "reached95"}
# mean and sd (the sample standard deviation) of the fraction of optimum
# under protocol (a), mean_b and sd_b under (b) (null where the input has
# none); to95 the mean number of evaluations to reach 0.95 of optimum,
# a run that never did counting as its number of evaluations (so a lower
# bound), and reached95 how many runs did.  For Kernel Tuner (evals a list,
# one run per budget): evals_mean and evals_max, the distinct
# configurations a run of that budget evaluated (it can stop short of the
# budget, or overshoot it: only the first BUDGET count), and seconds,
# the wall time of those runs.
set -euo pipefail
jq -cn '
def mean: add / length;
def sd: if length < 2 then 0 else (mean as $m | map(. - $m | . * .) | add / (length - 1) | sqrt) end;
[inputs] | group_by([.tool // "autoresearch", .dataset, .strategy, .prior]) | .[] |
. as $runs | $runs[0] as $r |
[range($r.budgets | length)] | .[] as $i |
($runs | map(.a[$i])) as $a | ($runs | map(.b[$i] // empty)) as $b |
{tool: ($r.tool // "autoresearch"), dataset: $r.dataset, strategy: $r.strategy,
 prior: ($r.prior // null | if . == null then null else (split("/") | last | split(".") | first) end),
 budget: $r.budgets[$i], seeds: ($runs | length),
 mean: ($a | mean), sd: ($a | sd),
 mean_b: (if ($b | length) == ($runs | length) then ($b | mean) else null end),
 sd_b: (if ($b | length) == ($runs | length) then ($b | sd) else null end),
 to95: (if $runs | all(.evals | type == "number") then $runs | map(.to95 // .evals) | mean else null end),
 reached95: ($runs | map(select(.to95 != null)) | length)}
 + (if $runs | all(.evals | type == "array") then
	{evals_mean: ($runs | map(.evals[$i]) | mean), evals_max: ($runs | map(.evals[$i]) | max),
	 seconds: ($runs | map(.seconds[$i]) | add)} else {} end)'
