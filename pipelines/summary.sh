#!/usr/bin/env bash
# summary.sh OUT: what a study in OUT (pipelines/tune.mk) found so far: the
# best configuration, its objective and metrics, and the file and line of
# its record in OUT/history.jsonl.
set -euo pipefail
out=${1:?usage: summary.sh OUT}
model=$out/model.json hist=$out/history.jsonl
best=$(jq -r '.best.id // empty' "$model")
if [ -z "$best" ]; then
	echo "no configuration measured ok in $hist ($(jq -r .evals "$model") evaluations)"
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
