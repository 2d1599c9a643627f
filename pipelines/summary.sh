#!/usr/bin/env bash
# summary.sh OUT: what a study in OUT (pipelines/tune.mk) found so far: the
# best configuration, its objective and metrics, and the file and line of
# its record in OUT/history.jsonl, and what the study spent; or, when no
# record has a score, why not.
set -euo pipefail
out=${1:?usage: summary.sh OUT}
model=$out/model.json hist=$out/history.jsonl
# jq 1.6 writes every number with 17 digits (0.023123042000065652): the
# jq programs below mark numbers with \037 on either side, and this writes
# each as the shortest text that reads back to the same double (awk's
# numbers are doubles).
shortest() {
	awk -F '\037' '
	function short(x,   p, t) {
		for (p = 15; p < 17; p++) {
			t = sprintf("%." p "g", x)
			if (t + 0 == x + 0)
				return t
		}
		return sprintf("%.17g", x)
	}
	{
		s = ""
		for (i = 1; i <= NF; i++)
			s = s (i % 2 ? $i : short($i))
		print s
	}'
}
# The jq functions that mark numbers, and say "N things".
defs='def num: if type == "number" then "\u001f\(.)\u001f" else "\(.)" end;
    def n($w): "\(.) \($w)" + (if . == 1 then "" else "s" end);'
# What the study spent, as tune.mk counts its budgets (EVALS, SECONDS).
spent() {
	jq -rn "$defs"'[inputs] | "\(length | n("evaluation")) in \(map(.round) |
	    unique | length | n("round")), \(map(.cost_s | numbers) | add // 0 |
	    . * 1000 | round / 1000 | num) s of measured cost (cost_s)"' \
	    "$hist" | shortest
}
best=$(jq -r '.best.id // empty' "$model")
if [ -z "$best" ]; then
	# No score: nothing measured ok, or what was is infeasible (the
	# study's require) or has a null objective (ar-score warned).
	jq -r --arg hist "$hist" "$defs"'
	    (.status.ok // 0) as $ok | (.status.infeasible // 0) as $inf |
	    if $ok + $inf == 0 then
		"no configuration measured ok in \($hist) (\(.evals |
		    n("evaluation")))"
	    else
		"no configuration has a score in \($hist) (\(.evals |
		    n("evaluation"))): " + ([
		if $ok > 0 then "the objective (\(.objective)) is null for " +
		    (if $ok == 1 then "the one record" else "all \($ok) records"
		    end) + " measured ok (see ar-score'"'"'s warning)"
		    else empty end,
		if $inf > 0 then "\($inf) measured ok but infeasible (a " +
		    "requirement of the study not met: see their error)"
		    else empty end] | join("; "))
	    end' "$model"
	spent
	exit 0
fi
line=$(grep -n "\"id\":\"$best\"" "$hist" | head -n 1 | cut -d: -f1)
jq -r --arg where "$hist:$line" "$defs"'
	"best of \(.evals) evaluations (\(.status | to_entries |
	    map("\(.value) \(.key)") | join(", "))):",
	"  \(.best.params | to_entries | map("\(.key)=\(.value | num)") |
	    join(" "))",
	"  objective \(.best.objective | num)" + (if (.best.metrics // {}) ==
	    {} then "" else "  " + (.best.metrics | to_entries |
	    map("\(.key) \(.value | num)") | join("  ")) end),
	"  id \(.best.id), record at \($where)"' "$model" | shortest
spent
