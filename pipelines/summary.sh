#!/usr/bin/env bash
# summary.sh OUT: what a study in OUT (pipelines/tune.mk) found so far: the
# best configuration, its objective and metrics, and the file and line of
# its record in OUT/history.jsonl, and what the study spent.
set -euo pipefail
out=${1:?usage: summary.sh OUT}
model=$out/model.json hist=$out/history.jsonl
# What the study spent, as tune.mk counts its budgets (EVALS, SECONDS).
spent() {
	jq -rn 'def n($w): "\(.) \($w)" + (if . == 1 then "" else "s" end);
	    [inputs] | "\(length | n("evaluation")) in \(map(.round) | unique |
	    length | n("round")), \(map(.cost_s | numbers) | add // 0 |
	    . * 1000 | round / 1000) s of measured cost (cost_s)"' "$hist"
}
best=$(jq -r '.best.id // empty' "$model")
if [ -z "$best" ]; then
	echo "no configuration measured ok in $hist ($(jq -r .evals "$model") evaluations)"
	spent
	exit 0
fi
line=$(grep -n "\"id\":\"$best\"" "$hist" | head -n 1 | cut -d: -f1)
jq -r --arg where "$hist:$line" '
	"best of \(.evals) evaluations (\(.status | to_entries |
	    map("\(.value) \(.key)") | join(", "))):",
	"  \(.best.params | to_entries | map("\(.key)=\(.value)") | join(" "))",
	"  objective \(.best.objective)" + (if (.best.metrics // {}) == {} then ""
	    else "  " + (.best.metrics | to_entries |
	    map("\(.key) \(.value)") | join("  ")) end),
	"  id \(.best.id), record at \($where)"' "$model"
spent
