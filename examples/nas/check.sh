#!/bin/sh
# check.sh DEPTH W1 W2 W3 SKIP RUNS: the study's "check", which judges
# one result of mlp (its standard output, on this program's standard
# input) apart from the trainer.  It counts the parameters of the
# architecture again from the study's own parameters, by the rules that
# README.md gives (hidden layers of widths W1.. DEPTH, 10 outputs; with
# SKIP dense a layer sees the input and every hidden layer before it,
# otherwise the layer before it; a residual adds no parameter), and
# requires mlp's count to be that number, since the count is one of the
# study's two objectives and the front is drawn with it.  It requires the
# accuracies to lie in [0, 1], as many trainings as RUNS, and val_acc to
# be the mean of val_accs.  Exit 0: the result stands; 1: it does not,
# with the reasons on standard error, one a line; another status: bad
# usage (2) or nothing to judge (2 without a JSON object last, jq's own
# status for input that is not JSON), which ar-bench records as a crash
# of the check, not as a wrong result.
set -eu
if [ $# -ne 6 ]; then
	echo "usage: check.sh depth w1 w2 w3 skip runs" >&2
	exit 2
fi
jq -es --argjson depth "$1" --argjson w "[$2, $3, $4]" --arg skip "$5" \
    --argjson runs "$6" '
	last as $o |
	# The parameters: inputs times outputs plus a bias per output, layer
	# by layer; "seen" is the width of the input and every hidden layer.
	(reduce range(0; $depth) as $i ({n: 0, seen: 64, prev: 64};
	    (if $skip == "dense" then .seen else .prev end) as $in |
	    .n += $in * $w[$i] + $w[$i] | .seen += $w[$i] | .prev = $w[$i]) |
	    (if $skip == "dense" then .seen else .prev end) as $in |
	    .n + $in * 10 + 10) as $params |
	if ($o | type) != "object" then
		"check.sh: the last line is not a JSON object\n" | halt_error(2)
	else . end |
	[if $o.params != $params then
		"params \($o.params) claimed, the architecture has \($params)"
	 else empty end,
	 ($o | .val_acc, .test_acc | select(type != "number" or . < 0 or . > 1) |
		"an accuracy \(.) outside [0, 1]"),
	 if ($o.runs // 1) != $runs then
		"runs \($o.runs // 1), the study asks \($runs)"
	 elif $runs > 1 and (($o.val_accs | length) != $runs or
	     (($o.val_accs | add / $runs) - $o.val_acc | fabs) > 1e-12) then
		"val_acc \($o.val_acc) is not the mean of val_accs \($o.val_accs)"
	 else empty end] |
	if length == 0 then true else map(. + "\n") | add | halt_error(1) end
' >/dev/null
