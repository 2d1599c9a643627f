#!/bin/sh
# propose.sh: a scripted agent, the proposer of study.json for
# ar-propose --strategy external (ar-propose(1) ENVIRONMENT).  It edits
# the naive matmul.c with a menu of four edits and learns from the
# history which ones help:
#
#   ikj       swap the j and k loops (i, j, k becomes i, k, j)
#   restrict  restrict-qualify the three matrices
#   ivdep     "#pragma GCC ivdep" on the innermost loop
#   unroll    "#pragma GCC unroll 4" on the innermost loop
#
# A variant is the source with a set of edits applied (in that order).
# The first round proposes the source as it is and each edit alone.
# After that it climbs: from the best variant measured so far (then the
# next best), one more edit, the variant it started from named as the
# parent.  An edit's gain is what adding it to a measured variant did to
# the score, averaged; edits never tried come first, then those that
# helped most; an edit that hurt (a negative gain) is added only once
# every other child of every measured variant was tried; and no set of
# edits the history holds is proposed twice.  At most $AR_NUMBER lines.
#
# It reads AR_STUDY, AR_HISTORY (JSON lines, or "" for none) and
# AR_NUMBER, and writes JSON lines {"params", "source", "parent", "by",
# "ops"} on stdout.  POSIX sh, awk and jq (1.6); no network.
set -eu

EDITS="ikj restrict ivdep unroll"
study=$AR_STUDY
here=$(dirname "$study")
src=$here/$(jq -r .source "$study")
name=$(jq -r .name "$study")
number=${AR_NUMBER:-4}
hist=${AR_HISTORY:-}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# apply EDIT: stdin is a source, stdout the source with EDIT made.
apply() {
	case $1 in
	ikj)
		awk '{ l[NR] = $0 }
		END {
			for (i = 1; i <= NR; i++) {
				if (l[i] ~ /for \(int j = 0; j < n; j\+\+\)/) J = i
				if (l[i] ~ /for \(int k = 0; k < n; k\+\+\)/) K = i
			}
			if (J && K) {
				match(l[J], /^[ \t]*/); ij = substr(l[J], 1, RLENGTH)
				a = substr(l[J], RLENGTH + 1)
				match(l[K], /^[ \t]*/); ik = substr(l[K], 1, RLENGTH)
				b = substr(l[K], RLENGTH + 1)
				l[J] = ij b; l[K] = ik a
			}
			for (i = 1; i <= NR; i++) print l[i]
		}' ;;
	restrict)
		sed 's/const float \*A, const float \*B, float \*C/const float *restrict A, const float *restrict B, float *restrict C/' ;;
	ivdep|unroll)
		if [ "$1" = ivdep ]; then pragma='#pragma GCC ivdep'
		else pragma='#pragma GCC unroll 4'; fi
		# Before the innermost loop: the line above the statement.
		awk -v p="$pragma" '{ l[NR] = $0 }
		END {
			for (i = 1; i <= NR; i++)
				if (l[i] ~ /C\[i \* n \+ j\] \+=/) S = i
			for (i = 1; i <= NR; i++) {
				if (i == S - 1) print p
				print l[i]
			}
		}' ;;
	esac
}

# The history's records of this study, one JSON array.
if [ -n "$hist" ] && [ -s "$hist" ]; then
	jq -c --arg name "$name" 'select(.study == $name)' "$hist"
fi | jq -s -c --arg edits "$EDITS" --argjson n "$number" '
	($edits | split(" ")) as $E
	| def key: sort | join(",");
	  def canon: . as $s | [$E[] | select(. as $e | $s | index([$e]))];
	  map({ops: [(.variant.ops // [])[] | .op], hash: (.variant.sha256 // null),
	      ok: (.status == "ok" and (.score | type) == "number"), score})
	| . as $r
	| ($r | map(.ops | key)) as $measured
	| ($r | map(select(.ok)) | sort_by(-.score)) as $ok
	# What adding an edit to a measured variant did to the score.
	| ([$ok[] as $a | $ok[] as $b | $E[] as $e
	    | select(($a.ops | index([$e])) and ($b.ops | index([$e]) | not)
	        and ((($b.ops + [$e]) | key) == ($a.ops | key)))
	    | {e: $e, d: ($a.score - $b.score)}]
	   | group_by(.e) | map({key: .[0].e, value: (map(.d) | add / length)})
	   | from_entries) as $gain
	| ($E | sort_by(-($gain[.] // 1e300))) as $order
	| ([$ok[] as $base | $order[] as $e
	    | select(($base.ops | index([$e]) | not) and ($gain[$e] // 0) >= 0)
	    | {ops: (($base.ops + [$e]) | canon), parent: $base.hash}]
	   # Then edits that hurt, in case they help together.
	   + [$ok[] as $base | $order[] as $e
	    | select($base.ops | index([$e]) | not)
	    | {ops: (($base.ops + [$e]) | canon), parent: $base.hash}]
	   + [{ops: [], parent: null}]
	   + [$order[] | {ops: [.], parent: null}]) as $cands
	| reduce $cands[] as $c ({seen: $measured, out: []};
	    ($c.ops | key) as $k
	    | if (.seen | index([$k])) then . else .seen += [$k] | .out += [$c] end)
	| .out[:$n][]' >"$tmp/plan"

while IFS= read -r p; do
	ops=$(printf '%s\n' "$p" | jq -r '.ops[]')
	if [ -z "$ops" ]; then
		# The source as it is: a plain record, no variant.
		echo '{"params": {}}'
		continue
	fi
	cp "$src" "$tmp/v.c"
	for e in $ops; do
		apply "$e" <"$tmp/v.c" >"$tmp/next.c"
		mv "$tmp/next.c" "$tmp/v.c"
	done
	jq -c -n --rawfile s "$tmp/v.c" --argjson p "$p" \
	    '{params: {}, source: $s, parent: $p.parent, by: "scripted-agent",
	      ops: [$p.ops[] | {op: .}]}'
done <"$tmp/plan"
