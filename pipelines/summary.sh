#!/usr/bin/env bash
# summary.sh OUT [STUDY [-D NAME=VALUE ...]]: what a study in OUT
# (pipelines/tune.mk) found so far: the best configuration, its objective
# and metrics, and the file and line of its record in OUT/history.jsonl,
# its code variant when it is a program, and what the study spent; or,
# when no record has a score, why not.  A STUDY with several objectives
# has no one best: the summary is its Pareto front over the whole
# history, every configuration measured ok that no other beats in every
# objective (ties each listed), best first in the first one, with its
# metrics and the file and line of its record.  ar-score ranks the
# history again for it.  With a STUDY, the facts of `ar-report --text`
# follow: the top 3 (one objective), the parameters by importance, the
# failures and the best at a few budgets; without a score, the failures
# alone.  After the best, the confirmed best, when OUT/confirm.jsonl
# (tune.mk's `confirm`) is newer than the history: its median over the
# even passes of the re-measurements (the odd ones chose it), and whether
# the order changed.  (The programs from AR_BIN, else the checkout's bin/; -D as the
# study was run with.)
set -euo pipefail
out=${1:?usage: summary.sh OUT [STUDY [-D NAME=VALUE ...]]}
study=${2:-}
defs_args=("${@:3}")
model=$out/model.json hist=$out/history.jsonl
# "N things".  (jq writes each number as the shortest text that reads
# back, as the stages do.)
defs='def n($w): "\(.) \($w)" + (if . == 1 then "" else "s" end);'
bin=${AR_BIN:-$(cd "$(dirname "$0")/.." && pwd)/bin}
# facts HEAD...: the lines of `ar-report --text` (ar-report(1)) that
# begin with one of HEAD (top, importance, failures, convergence), each
# with the indented lines under it; nothing without a STUDY.  The summary
# says the rest itself: the study, the best and its record, the front.
facts() {
	local text
	[ -n "$study" ] && [ -s "$hist" ] || return 0
	text=$("$bin/ar-report" -s "$study" "${defs_args[@]}" --text "$hist")
	awk -v heads="$*" 'BEGIN { n = split(heads, h, " ") }
	    /^  / { if (on) print; next }
	    { on = 0; for (i = 1; i <= n; i++) if (index($0, h[i]) == 1) on = 1 }
	    on' <<<"$text"
}
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
	facts failures
	spent
	exit 0
fi
# The front: the whole history ranked again by ar-score (the rank each
# record got was among the records before it; a later one may beat it).
objs=$([ -z "$study" ] || jq -c '.objectives // empty' "$study")
if [ -n "$objs" ]; then
	"$bin/ar-score" -s "$study" "${defs_args[@]}" --keep-going "$hist" |
	    jq -rn --arg hist "$hist" --argjson objs "$objs" "$defs"'
	    ($objs | map(.[9:])) as $names |
	    [inputs] | to_entries | map(.value + {line: (.key + 1)}) as $all |
	    [$all[] | select(.pareto == 1)] |
	    sort_by(.objectives[0] | if $objs[0] | startswith("maximize ")
		then -. else . end) |
	    "Pareto front of \($all | length | n("evaluation")) (\(length |
		n("point"))): \($objs | join(", "))",
	    (.[] | "  " + ([$names, .objectives] | transpose |
		map("\(.[0]) \(.[1])") | join("  ")) + "  " +
		(.params | to_entries | map("\(.key)=\(.value)") |
		join(" ")) + (if (.metrics // {}) == {} then "" else
		"  (" + (.metrics | to_entries | map("\(.key) \(.value)") |
		join("  ")) + ")" end) + "  \($hist):\(.line)")'
	facts importance failures convergence
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
# The confirmation of the best (tune.mk's `confirm`), while it is newer
# than the history it confirms.
conf=$out/confirm.jsonl
if [ -s "$conf" ] && [ "$conf" -nt "$hist" ]; then
	"$(dirname "$0")/confirm.sh" say "$conf"
elif [ -e "$conf" ]; then
	echo "not confirmed: $conf is older than the history (tune.mk's confirm measures the top again)"
fi
facts top importance failures convergence
spent
