#!/usr/bin/env bash
# summary.sh OUT [STUDY]: what a study in OUT (pipelines/tune.mk) found so
# far: the best configuration, its objective and metrics, and the file and
# line of its record in OUT/history.jsonl, its code variant when it is a
# program, and what the study spent; or, when no record has a score, why
# not.  A STUDY with several objectives has no one best: the summary is
# its Pareto front over the whole history, every configuration measured ok
# that no other beats in every objective (ties each listed), best first in
# the first one, with its metrics and the file and line of its record.
set -euo pipefail
out=${1:?usage: summary.sh OUT [STUDY]}
study=${2:-}
model=$out/model.json hist=$out/history.jsonl
# "N things".  (jq writes each number as the shortest text that reads
# back, as the stages do.)
defs='def n($w): "\(.) \($w)" + (if . == 1 then "" else "s" end);'
# What the study spent, as tune.mk counts its budgets (EVALS, SECONDS).
spent() {
	jq -rn "$defs"'[inputs] | "\(length | n("evaluation")) in \(map(.round) |
	    unique | length | n("round")), \(map(.cost_s | numbers) | add // 0 |
	    . * 1000 | round / 1000) s of measured cost (cost_s)"' "$hist"
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
# The front, from the objectives of every record (the ranks ar-score wrote
# were among the records before each; a later one may have beaten them).
objs=$([ -z "$study" ] || jq -c '.objectives // empty' "$study")
if [ -n "$objs" ]; then
	jq -rn --arg hist "$hist" --argjson objs "$objs" "$defs"'
	    ($objs | map(startswith("maximize "))) as $max |
	    ($objs | map(.[9:])) as $names |
	    def cost: [.objectives, $max] | transpose |
		map(if .[1] then -.[0] else .[0] end);
	    def beats($b): [cost, ($b | cost)] | transpose |
		all(.[0] <= .[1]) and any(.[0] < .[1]);
	    [inputs] | to_entries | map(.value + {line: (.key + 1)}) as $all |
	    [$all[] | select(.status == "ok" and (.objectives | type) ==
		"array" and (.objectives | length) == ($objs | length) and
		(.objectives | all(type == "number")))] as $ok |
	    [$ok[] | . as $a | select(any($ok[]; beats($a)) | not)] |
	    sort_by(cost) |
	    "Pareto front of \($all | length | n("evaluation")) (\(length |
		n("point"))): \($objs | join(", "))",
	    (.[] | "  " + ([$names, .objectives] | transpose |
		map("\(.[0]) \(.[1])") | join("  ")) + "  " +
		(.params | to_entries | map("\(.key)=\(.value)") |
		join(" ")) + (if (.metrics // {}) == {} then "" else
		"  (" + (.metrics | to_entries | map("\(.key) \(.value)") |
		join("  ")) + ")" end) + "  \($hist):\(.line)")' "$hist"
	spent
	exit 0
fi
line=$(grep -n "\"id\":\"$best\"" "$hist" | head -n 1 | cut -d: -f1)
jq -r --arg where "$hist:$line" "$defs"'
	"best of \(.evals) evaluations (\(.status | to_entries |
	    map("\(.value) \(.key)") | join(", "))):",
	"  \(.best.params | to_entries | map("\(.key)=\(.value)") |
	    join(" "))",
	"  objective \(.best.objective)" + (if (.best.metrics // {}) ==
	    {} then "" else "  " + (.best.metrics | to_entries |
	    map("\(.key) \(.value)") | join("  ")) end),
	"  id \(.best.id), record at \($where)"' "$model"
# A program for a candidate: where its source is, and what it came from.
[ -z "$line" ] || sed -n "${line}p" "$hist" | jq -r 'select(.variant) |
	.variant | "  variant \(.file) (by \(.by)" + (if .parent then
	", from \(.parent[:12])" else "" end) + ")"'
spent
