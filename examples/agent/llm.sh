#!/bin/sh
# llm.sh: the proposer of llm.json, and the place to plug in a language
# model of your own.  Set AR_LLM_CMD to a command (run by sh -c) that
# reads a prompt on stdin and writes a whole C source file on stdout,
# for example a small wrapper around your model's command-line client
# or HTTP API:
#
#   AR_LLM_CMD='my-llm --model some-model' ar-propose -s llm.json \
#       --strategy external -H history.jsonl
#
# For each of the $AR_NUMBER proposals wanted it asks the model once,
# with the best variant measured so far (else the study's source), what
# the history says of the variants tried, and the rules; what the model
# answers is proposed as that variant's child ("by": "llm").  ar-propose
# checks every proposal, and ar-compile and ar-bench build, verify and
# time it as any other: a model that writes a wrong or broken program
# gets "wrong" or "compile_error", never a win.
#
# With no AR_LLM_CMD, or when the model gives no answer, it runs the
# scripted edits of propose.sh instead, so the example runs offline.
set -eu

here=$(dirname "$AR_STUDY")
if [ -z "${AR_LLM_CMD:-}" ]; then
	echo "llm.sh: AR_LLM_CMD is not set: the scripted edits of propose.sh instead" >&2
	exec "$here/propose.sh"
fi

src=$here/$(jq -r .source "$AR_STUDY")
name=$(jq -r .name "$AR_STUDY")
hist=${AR_HISTORY:-}
number=${AR_NUMBER:-1}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The history's ok records of the study, best first.
if [ -n "$hist" ] && [ -s "$hist" ]; then
	jq -c --arg name "$name" 'select(.study == $name and .status == "ok"
	    and (.score | type) == "number")' "$hist"
fi | jq -s -c 'sort_by(-.score)' >"$tmp/ok"

# The parent: the best variant (its file in the store), else the source.
parent=$(jq -r '.[0].variant.sha256 // empty' "$tmp/ok")
pfile=$(jq -r '.[0].variant.file // empty' "$tmp/ok")
[ -n "$pfile" ] && [ -r "$pfile" ] || pfile=$src

i=0
while [ "$i" -lt "$number" ]; do
	i=$((i + 1))
	{
		cat <<PROMPT
You are tuning a C function for speed on this machine.  Rewrite it to
run faster while computing the same result (within a relative error of
1e-4).  Keep its name and signature.  Answer with the whole C source
file and nothing else.  This is attempt $i of $number in round
${AR_ROUND:-?}; try something different from the earlier attempts.

What was measured so far, best first (time in seconds, edits or who
wrote it):
PROMPT
		jq -r '.[:10][] | "  \(.time_s) s  \(
		    [(.variant.ops // [])[] | .op] | join("+") |
		    if . == "" then "the source as it is" else . end)"' "$tmp/ok"
		echo
		echo "----- BEGIN SOURCE -----"
		cat "$pfile"
		echo "----- END SOURCE -----"
	} >"$tmp/prompt"
	# The model's answer; a Markdown fence around it is dropped.
	if sh -c "$AR_LLM_CMD" <"$tmp/prompt" >"$tmp/answer" &&
	    sed '/^```/d' "$tmp/answer" >"$tmp/v.c" && [ -s "$tmp/v.c" ]; then
		jq -c -n --rawfile s "$tmp/v.c" --arg p "$parent" \
		    '{params: {}, source: $s, by: "llm",
		      parent: (if $p == "" then null else $p end)}' >>"$tmp/out"
	else
		echo "llm.sh: attempt $i: the model gave no answer" >&2
	fi
done
if [ ! -s "$tmp/out" ]; then
	echo "llm.sh: no answer from the model: the scripted edits of propose.sh instead" >&2
	exec "$here/propose.sh"
fi
cat "$tmp/out"
