#!/usr/bin/env bash
# confirm.sh -- a confirmed best: the top of a history measured again,
# what tune.mk's `confirm` runs (pipelines/tune.mk, ar-formats(7)).
#
#   pipelines/confirm.sh pick -s STUDY [-k TOP] [-r REPEAT] HISTORY
#   pipelines/confirm.sh tally -s STUDY [-k TOP] [-r REPEAT] HISTORY <MEASURED
#   pipelines/confirm.sh say CONFIRM
#
# The best of many noisy measurements is biased: a candidate comes out on
# top as much by a lucky run as by being fast, and its time is the lucky
# one (the winner's curse).  So the TOP candidates of the history (5 by
# default; measured ok, by score, each id once) are measured again, REPEAT
# times each (12 by default, at least 2), in passes, and split in two
# halves: the best is the one whose median over the odd passes (1st, 3rd,
# ...) is best, and the figure reported for it is its median over the
# even passes (2nd, 4th, ...), which did not choose it.  Choosing and
# reporting on the same measurements would favour again the candidate
# whose re-measurements were lucky; the even passes' median is as likely
# to be slow as fast.
#
# pick writes the records to measure: the TOP records, without what the
# stages after ar-propose added to them (so that ar-compile finds or
# rebuilds the artifact and ar-bench and ar-score write every outcome
# afresh), REPEAT times over, interleaved: pass p measures each once, in
# the order of the first measurement rotated by p, so that drift on the
# machine (its clock, its load, its temperature) is spread over all the
# candidates, and each takes every place in a pass as often as the others
# (every one of the first TOP passes).  tune.mk measures them as a round is
# measured (ar-compile | ar-bench, or HOSTS=, or SLURM=, in one job or
# task), and scores them with ar-score.
#
# tally reads those scored records (a candidate's k-th record is its
# measurement in pass k) and writes the TOP history records, each with
# "confirm" added, in the confirmed order: the candidates re-measured ok
# every time, best median over the odd passes first (ties in the order of
# the first measurement), then those that failed on re-measurement, in
# the order of the first measurement:
#
#   confirm.n       re-measurements in the even passes that came out ok
#                   (and feasible, with a numeric objective): REPEAT / 2
#   confirm.median  the median of their objectives (null when none): the
#                   confirmed figure, from passes that did not choose it
#   confirm.ci95    [lo, hi], the distribution-free 95% interval of that
#                   median from its order statistics: the j-th least and
#                   j-th greatest value, j the largest with
#                   P(Binomial(n, 1/2) < j) <= 0.025, so that it covers the
#                   true median with probability >= 95% whatever the noise's
#                   distribution, for independent re-measurements; null for
#                   n < 6, which has no such interval (n = 6 and 7 give
#                   [min, max], at 96.9% and 98.4%; n = 9, the second least
#                   and greatest, at 96.1%).  Deterministic: no resampling.
#   confirm.select  {n, median}: the same of the odd passes, by which the
#                   order is made
#   confirm.status  ok, or the status of the first re-measurement that
#                   failed; such a candidate is never the confirmed best
#   confirm.error   (failed) that re-measurement's error, saying which one
#   confirm.values  each re-measurement's objective, in the order measured
#                   (pass 1 first; null where it failed)
#   confirm.was     its place by the first measurement (1: the history's
#                   best)
#
# say prints what the summary says of a confirmation: the confirmed best,
# its median (even passes) and interval, its median over the odd passes,
# and whether the order changed.
#
# A replay study re-measures nothing (ar-bench gives back the recorded
# time), and a study with several objectives has no one best: pick refuses
# both, with status 2.  A history with no record measured ok has nothing
# to confirm: status 1.
set -euo pipefail
me=confirm.sh

usage() {
	sed -n '5,7p' "$0" | sed 's/^# *//' >&2
	exit 2
}
die() { echo "$me: $1" >&2; exit "${2:-2}"; }

# The jq of both pick and tally: the TOP candidates of a history, best
# first by score, each id once (its best record), measured ok.
top='def top($k): map(select(.status == "ok" and (.score | numbers))) |
	group_by(.id) | map(max_by(.score)) | sort_by(-.score) | .[:$k];'

cmd=${1:-}; [ $# -gt 0 ] && shift
case $cmd in
pick | tally)
	study= k=5 r=12
	while [ $# -gt 0 ]; do
		case $1 in
		-s) [ $# -ge 2 ] || usage; study=$2; shift 2 ;;
		-k) [ $# -ge 2 ] || usage; k=$2; shift 2 ;;
		-r) [ $# -ge 2 ] || usage; r=$2; shift 2 ;;
		--) shift; break ;;
		-*) usage ;;
		*) break ;;
		esac
	done
	[ $# = 1 ] && [ -n "$study" ] || usage
	hist=$1
	[[ $k =~ ^[1-9][0-9]*$ ]] || die "-k $k: expected a whole number above 0"
	[[ $r =~ ^([2-9]|[1-9][0-9]+)$ ]] || die "-r $r: expected \
a whole number above 1 (the odd passes choose, the even ones report)"
	[ -r "$hist" ] || die "cannot read '$hist'"
	;;
say)
	[ $# = 1 ] || usage
	;;
*) usage ;;
esac

case $cmd in
pick)
	read -r backend nobj < <(jq -r '"\(.backend) \(.objectives // [] |
	    length)"' "$study") || die "cannot read the study '$study'"
	[ "$backend" != replay ] || die "$study is a replay study: ar-bench \
gives back the time its file recorded and re-measures nothing, so there \
is nothing to confirm (the history's best is the file's)"
	[ "$nobj" -le 1 ] || die "$study has $nobj objectives and no one \
best to confirm (the summary is its Pareto front)"
	picked=$(jq -cn --argjson k "$k" "$top"'[inputs] | top($k) |
	    map(del(.status, .time_s, .times, .verify, .ref_time_s,
		.energy_j, .output, .cost_s, .host, .device, .error,
		.refused, .metrics, .objective, .objectives, .score,
		.pareto, .confirm))' "$hist")
	[ "$picked" != "[]" ] ||
	    die "no configuration measured ok in '$hist': nothing to confirm" 1
	jq -c --argjson r "$r" 'length as $n | range($r) as $p |
	    range($n) as $i | .[($i + $p) % $n]' <<<"$picked"
	;;
tally)
	max=$(jq -r '.objective // "minimize time_s" |
	    startswith("maximize")' "$study") ||
	    die "cannot read the study '$study'"
	jq -cn --argjson k "$k" --argjson r "$r" --argjson max "$max" \
	    --slurpfile hist "$hist" "$top"'
	def median: sort | length as $n | if $n == 0 then null
	    elif $n % 2 == 1 then .[($n - 1) / 2]
	    else (.[$n / 2 - 1] + .[$n / 2]) / 2 end;
	# The order-statistic interval of the median (see the head).
	def ci95: sort as $x | length as $n |
	    [foreach range($n) as $i ({p: pow(0.5; $n), c: 0};
		.c += .p | .p *= ($n - $i) / ($i + 1); .c)] |
	    map(select(. <= 0.025)) | length as $j |
	    if $j == 0 then null else [$x[$j - 1], $x[$n - $j]] end;
	def good: .status == "ok" and (.objective | numbers) != null and
	    (.score | numbers) != null;
	# The objectives of the passes ok, odd ($h = 0) or even ($h = 1).
	def half($h): to_entries | map(select(.key % 2 == $h and
	    (.value | good)) | .value.objective);
	[inputs] as $m | $hist | top($k) | to_entries |
	map(.value as $rec | (.key + 1) as $was |
	    [$m[] | select(.id == $rec.id)] as $runs |
	    ($runs | half(0)) as $sel | ($runs | half(1)) as $rep |
	    ($runs | to_entries | map(select(.value | good | not)) | first)
		as $bad |
	    $rec + {confirm: ({n: ($rep | length), median: ($rep | median),
		ci95: ($rep | ci95),
		select: {n: ($sel | length), median: ($sel | median)},
		status: (if $runs == [] then "crash" elif $bad == null
		    then "ok" else $bad.value.status // "crash" end)} +
		(if $runs == [] then
		    {error: "not measured again: the measurement gave no record of it"}
		elif $bad == null then {} else
		    {error: ("re-measurement \($bad.key + 1) of \($runs |
			length): " + ($bad.value.error //
			(if $bad.value.status == "ok"
			then "its objective is null" else "failed" end)))}
		end) +
		{values: ($runs | map(if good then .objective else null end)),
		was: $was})}) |
	(map(select(.confirm.status == "ok")) |
	    sort_by([(.confirm.select.median | if $max then -. else . end),
		.confirm.was])) +
	    map(select(.confirm.status != "ok")) | .[]'
	;;
say)
	conf=$1
	jq -rn --arg conf "$conf" '
	def g: if type != "number" or . == 0 then . else
	    (fabs | log10 | floor) as $e | pow(10; 3 - $e) as $s |
	    (. * $s | round) / $s end;
	def ci: if .ci95 == null then "too few for a 95% interval"
	    else "95% CI \(.ci95[0] | g) to \(.ci95[1] | g)" end;
	def pv: .params | to_entries | map("\(.key)=\(.value)") | join(" ");
	[inputs] | length as $k | (map(.confirm.values | length) | max) as $r |
	(map(select(.confirm.status == "ok")) | first) as $b |
	(map(select(.confirm.was == 1)) | first) as $w |
	map(select(.confirm.status != "ok")) as $f |
	if $b == null then
	    "confirmed best: none of the top \($k) was measured ok again " +
	    "(each re-measured \($r) times, \($conf))"
	else
	    "confirmed best of the top \($k), each re-measured \($r) times, " +
		"interleaved, chosen on the odd passes:",
	    "  \($b | pv)",
	    "  objective \($b.confirm.median | g) (median of " +
		"\($b.confirm.n) even pass\(if $b.confirm.n == 1 then ""
		else "es" end), \($b.confirm | ci)); " +
		"\($b.confirm.select.median | g) on the odd passes, first " +
		"measured \($b.objective | g)",
	    "  id \($b.id), record at \($conf):1",
	    if $b.confirm.was == 1 then
		"  the order held: the best by its first measurement too"
	    else
		"  the order changed: it was #\($b.confirm.was) by its first " +
		"measurement; the first measurement'"'"'s best (id \($w.id)) " +
		"measured \($w.objective | g), re-measured " +
		(if $w.confirm.status == "ok" then
		    "\($w.confirm.select.median | g) on the odd passes, " +
		    "\($w.confirm.median | g) on the even"
		else "\($w.confirm.status)" end)
	    end
	end,
	($f[] | "  failed on re-measurement: id \(.id) (#\(.confirm.was) by " +
	    "its first measurement) \(.confirm.status): \(.confirm.error)")
	' "$conf"
	;;
esac
