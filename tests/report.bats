#!/usr/bin/env bats
# ar-report: the page of a history (its sections and figures, no script
# and nothing fetched), the text for cron mail, series and seeds, the
# Pareto section, a code variant's diff, and bad input.  The histories
# are replays of synthetic Kernel Tuner cache files
# (tests/fixtures/replay/synth.jq, tests/fixtures/report/big.jq), made
# once for the file: seconds in all.

load helper

setup_file() {
	local d=$BATS_FILE_TMPDIR s
	export PATH="${AR_BIN:-$ROOT/bin}:$PATH"
	synth_study "$d"
	s=$d/s.json
	# Two seeds of random search, and a search that goes somewhere:
	# round after round of bo over the rounds before.
	for seed in 1 2; do
		ar-propose -s "$s" -n 40 --strategy random --seed "$seed" |
		    ar-bench -s "$s" | ar-score -s "$s" >"$d/random$seed.jsonl"
	done
	: >"$d/bo.jsonl"
	for r in 1 2 3 4 5; do
		ar-propose -s "$s" -H "$d/bo.jsonl" -n 8 --strategy bo --seed 1 \
		    --round "$r" | ar-bench -s "$s" | ar-score -s "$s" >"$d/r.jsonl"
		cat "$d/r.jsonl" >>"$d/bo.jsonl"
	done
	cat "$d/random1.jsonl" "$d/bo.jsonl" >"$d/both.jsonl"
	# The whole space, and its records measured ok in a random order,
	# since the summary and the top table must not depend on it.
	ar-propose -s "$s" -n 1000 --strategy grid | ar-bench -s "$s" |
	    ar-score -s "$s" >"$d/grid.jsonl"
}

setup() {
	D=$BATS_FILE_TMPDIR
	S=$D/s.json
	T=$BATS_TEST_TMPDIR
}

# sections PAGE: the ids of the page's sections, in order, one a line.
sections() {
	grep -o '<section id="[a-z]*"' "$1" | sed 's/.*id="//; s/"$//'
}

# figures PAGE: the ids of the page's figures, one a line.
figures() {
	grep -o '<figure class="plot" id="fig-[a-z0-9-]*"' "$1" | sed 's/.*id="//; s/"$//'
}

# section PAGE ID: the text of section ID of PAGE.
section() {
	awk -v id="$2" 'index($0, "<section id=\"" id "\"") { on = 1 }
	    on { print } on && /<\/section>/ { exit }' "$1"
}

# The best record of a history, by score (the first of those tied): its id.
best_id() {
	jq -rs 'map(select(.status == "ok" and (.score | numbers))) |
	    (map(.score) | max) as $m | map(select(.score == $m))[0].id' "$@"
}

@test "the page of a history has every section, each plot an inline svg with drawn marks" {
	run --separate-stderr ar-report -s "$S" -o "$T/p.html" "$D/bo.jsonl"
	assert_success
	[ -z "$output" ]
	[ -z "$stderr" ] || fail "stderr: $stderr"
	p=$T/p.html
	run sections "$p"
	assert_output "$(printf '%s\n' summary convergence best importance failures top)"
	# A study of one objective has no Pareto section.
	! grep -q 'id="pareto"' "$p"
	[ "$(figures "$p" | wc -l)" -ge 4 ] || fail "figures: $(figures "$p" | tr '\n' ' ')"
	for f in $(figures "$p"); do
		# Each figure holds one svg of gnuplot's, its ids prefixed, and
		# at least one group of data marks with something drawn in it.
		fig=$(awk -v id="$f" 'index($0, "id=\"" id "\"") { on = 1 }
		    on { print } on && /<\/figure>/ { exit }' "$p")
		[ "$(grep -c '<svg' <<<"$fig")" -eq 1 ] || fail "$f: not one svg"
		grep -q "id=\"$f-gnuplot_plot_1\"" <<<"$fig" || fail "$f: no gnuplot_plot_1 group"
		grep -Eq '<(path|polyline|polygon|circle|rect|use)[ >]' <<<"$fig" ||
		    fail "$f: nothing drawn"
	done
	# The ids are unique over the page.
	run bash -c "grep -o ' id=\"[^\"]*\"' '$p' | sort | uniq -d"
	assert_output ''
	# The convergence figures: best so far against evaluations and cost.
	figures "$p" | grep -q convergence
	# The top table names the best record of the history by its id.
	section "$p" top | grep -q "$(best_id "$D/bo.jsonl")"
	section "$p" best | grep -q "<code>$(best_id "$D/bo.jsonl")</code>"
	# The summary counts the records of each status.
	for st in $(jq -r .status "$D/bo.jsonl" | sort -u); do
		n=$(grep -c "\"status\":\"$st\"" "$D/bo.jsonl")
		section "$p" summary | grep -q "<td>$st</td><td class=\"n\">$n</td>" ||
		    fail "summary: not $n $st"
	done
}

@test "the page runs no script and fetches nothing" {
	ar-report -s "$S" "$D/both.jsonl" >"$T/p.html"
	! grep -qi '<script' "$T/p.html"
	! grep -qiE '<(link|iframe|object|embed|img)[ >]' "$T/p.html"
	! grep -qiE '@import|url\([^#)]' "$T/p.html"
	# Every reference is inside the page: an href or src is a fragment.
	run bash -c "grep -oiE '(href|src)=\"[^\"]*\"' '$T/p.html' | grep -vE '=\"#'"
	assert_output ''
	# http appears only as the namespace names of svg and xlink.
	run bash -c "grep -o 'https\\?://[^\"]*' '$T/p.html' | sort -u"
	refute_output --regexp 'http(s?)://[^w]|http(s?)://w[^w]'
	for u in $output; do
		case $u in
		http://www.w3.org/2000/svg | http://www.w3.org/1999/xlink | http://www.w3.org/1999/xhtml) ;;
		*) fail "a URL in the page: $u" ;;
		esac
	done
}

@test "the same inputs give the same bytes, on stdout and with -o" {
	ar-report -s "$S" "$D/both.jsonl" "$D/random2.jsonl" >"$T/a.html"
	ar-report -s "$S" "$D/both.jsonl" "$D/random2.jsonl" >"$T/b.html"
	cmp "$T/a.html" "$T/b.html"
	ar-report -s "$S" -o "$T/c.html" "$D/both.jsonl" "$D/random2.jsonl"
	cmp "$T/a.html" "$T/c.html"
	ar-report -s "$S" --text "$D/both.jsonl" >"$T/a.txt"
	ar-report -s "$S" --text "$D/both.jsonl" >"$T/b.txt"
	cmp "$T/a.txt" "$T/b.txt"
	# Standard input reads as the file.
	ar-report -s "$S" --text <"$D/both.jsonl" >"$T/c.txt"
	ar-report -s "$S" --text - <"$D/both.jsonl" >"$T/d.txt"
	cmp "$T/c.txt" "$T/d.txt"
}

@test "--text: at most 25 lines, the best, the top 3, the ranking, failures and convergence" {
	run --separate-stderr ar-report -s "$S" --text "$D/bo.jsonl"
	assert_success
	[ -z "$stderr" ] || fail "stderr: $stderr"
	n=$(grep -c '' <<<"$output")
	[ "$n" -le 25 ] || fail "$n lines"
	for w in study status best top importance failures convergence; do
		grep -qE "^$w[ :]" <<<"$output" || fail "no line beginning '$w': $output"
	done
	# Nothing but those lines (and their indented continuations).
	run grep -vE '^(study|status|best|top|importance|failures|convergence)[ :]|^  ' <<<"$output"
	assert_output ''
	# The top 3, the best first.
	run grep -A3 '^top 3:' <<<"$(ar-report -s "$S" --text "$D/bo.jsonl")"
	assert_line --index 1 --regexp "^  1\. [0-9.e-]+  $(best_id "$D/bo.jsonl")  bx="
	assert_line --index 3 --regexp "^  3\. [0-9.e-]+  [0-9a-f]{16}  bx="
	text=$(ar-report -s "$S" --text "$D/bo.jsonl")
	grep '^best ' <<<"$text" | grep -q "$(best_id "$D/bo.jsonl")"
	# The importance line: every parameter once, shares decreasing.
	ok=$(jq -s 'map(select(.status == "ok" and (.score | numbers))) | length' "$D/bo.jsonl")
	imp=$(grep '^importance ' <<<"$text")
	[[ $imp == "importance (gp, $ok ok): "* ]] || fail "$imp"
	shares=$(sed 's/^[^:]*: //; s/;.*//' <<<"$imp" | tr ',' '\n' | sed 's/^ *//')
	[ "$(awk '{ print $1 }' <<<"$shares" | sort | tr '\n' ' ')" = "bx by pad tx ty " ] ||
	    fail "$imp"
	awk '{ print $2 }' <<<"$shares" | sort -g -r -c || fail "not decreasing: $imp"
	# The failure counts are the history's.
	crash=$(jq -s 'map(select(.status == "crash")) | length' "$D/bo.jsonl")
	[ "$crash" -gt 0 ] || fail "no crash in the history"
	grep '^failures ' <<<"$text" | grep -q "; crash $crash " || fail "$(grep '^failures ' <<<"$text")"
	# The convergence line of the one series ends at the best.
	last=$(grep -A1 '^convergence' <<<"$text" | tail -n 1 | awk '{ print $NF }')
	grep -q "^best time_s $last " <<<"$text" || fail "convergence ends at $last: $text"
}

@test "--importance data of a brute force: bx, by and tx lead, as the landscape has them" {
	run --separate-stderr ar-report -s "$S" --text --importance data "$D/grid.jsonl"
	assert_success
	imp=$(grep '^importance ' <<<"$output")
	# synth.jq: time 1 + 0.3 (log2 bx - 5)^2 + 0.2 (log2 by - 2)^2 +
	# 0.15 (tx - 3)^2 + 0.1 (ty - 2)^2 + 0.05 pad: pad explains least.
	[[ $imp == "importance (data, "*" ok): bx "* ]] || fail "$imp"
	[[ $imp == *", pad "[0-9.]* ]] || fail "pad is not last: $imp"
	# gp agrees on the top one.
	run ar-report -s "$S" --text "$D/grid.jsonl"
	grep '^importance ' <<<"$output" | grep -q '^importance (gp, [0-9]* ok): bx '
}

@test "files given a name are the seeds of one series; unnamed files are each a series" {
	ar-report -s "$S" -o "$T/named.html" random="$D/random1.jsonl" \
	    random="$D/random2.jsonl" bo="$D/bo.jsonl"
	conv=$(section "$T/named.html" convergence)
	grep -q '>random<' <<<"$conv" || fail "no series random"
	grep -q '>bo<' <<<"$conv" || fail "no series bo"
	! grep -q 'random1.jsonl' <<<"$conv" || fail "a seed's path is a series"
	ar-report -s "$S" -o "$T/files.html" "$D/random1.jsonl" "$D/bo.jsonl"
	conv=$(section "$T/files.html" convergence)
	grep -q 'random1.jsonl' <<<"$conv" || fail "no series named by its path"
	grep -q 'bo.jsonl' <<<"$conv" || fail "no series named by its path"
	# Seeds draw a band; single files do not.
	! cmp -s "$T/named.html" "$T/files.html"
	run ar-report -s "$S" --text random="$D/random1.jsonl" random="$D/random2.jsonl" bo="$D/bo.jsonl"
	assert_success
	grep '^study ' <<<"$output" | grep -q '2 series'
}

@test "--by strategy splits one file into a series per strategy" {
	ar-report -s "$S" --by strategy -o "$T/by.html" "$D/both.jsonl"
	conv=$(section "$T/by.html" convergence)
	grep -q '>random<' <<<"$conv" || fail "no series random"
	grep -q '>bo<' <<<"$conv" || fail "no series bo"
	run ar-report -s "$S" --text --by strategy "$D/both.jsonl"
	assert_success
	grep '^study ' <<<"$output" | grep -q '2 series'
	run ar-report -s "$S" --text "$D/both.jsonl"
	grep '^study ' <<<"$output" | grep -q '1 series'
}

@test "a study of two objectives has the Pareto section" {
	jq '.name = "synth" | .objectives = ["minimize time_s", "minimize cost_s"]' "$S" >"$D/two.json"
	ar-score -s "$D/two.json" "$D/random1.jsonl" >"$T/two.jsonl"
	run --separate-stderr ar-report -s "$D/two.json" -o "$T/two.html" "$T/two.jsonl"
	assert_success
	run sections "$T/two.html"
	assert_output "$(printf '%s\n' summary convergence best importance failures top pareto)"
	figures "$T/two.html" | grep -q pareto
	# Every point of the front is named in the section, by its id.
	for id in $(jq -r 'select(.pareto == 1) | .id' "$T/two.jsonl"); do
		section "$T/two.html" pareto | grep -q "$id" || fail "front point $id missing"
	done
}

@test "the best of a code variant is shown with its diff against its parent" {
	export AR_VARIANTS=$T/variants
	MM=$ROOT/kernels/matmul/naive.json
	# The naive program, then four children of one transformation each,
	# measured by jq: the first child is the best.
	ar-propose -s "$MM" -n 1 --strategy xform |
	    jq -c '. + {status: "ok", time_s: 1, ref_time_s: 1}' |
	    ar-score -s "$MM" >"$T/x.jsonl"
	ar-propose -s "$MM" -H "$T/x.jsonl" -n 4 --strategy xform --seed 3 |
	    jq -c '. + {status: "ok", time_s: (0.5 + input_line_number / 10), ref_time_s: 1}' |
	    ar-score -s "$MM" >>"$T/x.jsonl"
	best=$(sed -n 2p "$T/x.jsonl")
	[ "$(best_id "$T/x.jsonl")" = "$(jq -r .id <<<"$best")" ]
	parent=$(jq -r .variant.parent <<<"$best")
	child=$(jq -r .variant.file <<<"$best")
	run --separate-stderr ar-report -s "$MM" -o "$T/x.html" "$T/x.jsonl"
	assert_success
	sec=$(section "$T/x.html" best)
	grep -q "<code>$(jq -r .id <<<"$best")</code>" <<<"$sec" || fail "the best is not named"
	# The lines that differ are marked, added and removed, escaped.
	d=$(diff "$AR_VARIANTS/$parent.c" "$child" | sed 's/&/\&amp;/g; s/</\&lt;/g; s/>/\&gt;/g') || :
	[ -n "$d" ] || fail "the best is its parent"
	while IFS= read -r l; do
		case $l in
		"&gt; "*) want="+${l#&gt; }" ;;
		"&lt; "*) want="-${l#&lt; }" ;;
		*) continue ;;
		esac
		grep -qxF -- "$want" <<<"$sec" || fail "diff line missing: $want"
	done <<<"$d"
	# Its parent's file gone from the store: no diff, and no failure.
	rm "$AR_VARIANTS/$parent.c"
	run --separate-stderr ar-report -s "$MM" -o "$T/y.html" "$T/x.jsonl"
	assert_success
	! grep -q 'class="diff"' "$T/y.html"
}

@test "a malformed line is named by its file and line, status 2" {
	{ head -n 3 "$D/bo.jsonl"; echo '{"study": "synth", "id":'; tail -n 2 "$D/bo.jsonl"; } >"$T/bad.jsonl"
	run --separate-stderr ar-report -s "$S" --text "$T/bad.jsonl"
	assert_failure 2
	[[ $stderr == "ar-report: $T/bad.jsonl:4: "* ]] || fail "stderr: $stderr"
	[ "$(grep -c '' <<<"$stderr")" -eq 1 ] || fail "not one line: $stderr"
	run --separate-stderr ar-report -s "$S" -o "$T/p.html" "$T/bad.jsonl"
	assert_failure 2
	[ ! -e "$T/p.html" ]
}

@test "a record of another study, or outside the study's space, is bad input" {
	{ head -n 2 "$D/bo.jsonl"; head -n 1 "$D/bo.jsonl" | jq -c '.study = "other"'; } >"$T/other.jsonl"
	run --separate-stderr ar-report -s "$S" --text "$T/other.jsonl"
	assert_failure 2
	[[ $stderr == "ar-report: $T/other.jsonl:3: "*other* ]] || fail "stderr: $stderr"
	{ head -n 1 "$D/bo.jsonl" | jq -c '.params.bx = 17'; } >"$T/out.jsonl"
	run --separate-stderr ar-report -s "$S" --text "$T/out.jsonl"
	assert_failure 2
	[[ $stderr == "ar-report: $T/out.jsonl:1: "* ]] || fail "stderr: $stderr"
}

@test "usage errors are status 2" {
	run --separate-stderr ar-report "$D/bo.jsonl"
	assert_failure 2
	run --separate-stderr ar-report -s "$S" --importance mean "$D/bo.jsonl"
	assert_failure 2
	run --separate-stderr ar-report -s "$S" --no-such-option
	assert_failure 2
	run --separate-stderr ar-report -s "$S" "$T/missing.jsonl"
	assert_failure 2
	[[ $stderr == *"$T/missing.jsonl"* ]]
}

@test "an empty history: the page and the text say no records, status 2" {
	: >"$T/empty.jsonl"
	run --separate-stderr ar-report -s "$S" -o "$T/p.html" "$T/empty.jsonl"
	assert_failure 2
	assert_equal "$stderr" "ar-report: no records in $T/empty.jsonl"
	grep -qi 'no records' "$T/p.html"
	run --separate-stderr ar-report -s "$S" --text "$T/empty.jsonl"
	assert_failure 2
	grep -qi 'no records' <<<"$output"
	assert_equal "$stderr" "ar-report: no records in $T/empty.jsonl"
}

@test "a history in which everything failed: a whole page that says nothing measured ok, status 0" {
	jq -c 'select(.status != "ok")' "$D/grid.jsonl" >"$T/failed.jsonl"
	[ -s "$T/failed.jsonl" ]
	run --separate-stderr ar-report -s "$S" -o "$T/p.html" "$T/failed.jsonl"
	assert_success
	grep -q 'nothing measured ok' "$T/p.html"
	sections "$T/p.html" | grep -qx failures
	# The failures section counts each status of the history.
	for st in $(jq -r .status "$T/failed.jsonl" | sort -u); do
		section "$T/p.html" failures | grep -q "$st" || fail "no $st in failures"
	done
	run --separate-stderr ar-report -s "$S" --text "$T/failed.jsonl"
	assert_success
	assert_output --partial 'nothing measured ok'
	grep -q '^failures ' <<<"$output"
}

@test "without gnuplot the page fails with status 1, and --text still works" {
	run --separate-stderr ar-report -s "$S" --gnuplot /nonexistent -o "$T/p.html" "$D/bo.jsonl"
	assert_failure 1
	[[ $stderr == *"gnuplot not found"* ]] || fail "stderr: $stderr"
	[ ! -e "$T/p.html" ]
	run --separate-stderr env AR_GNUPLOT=/nonexistent ar-report -s "$S" "$D/bo.jsonl"
	assert_failure 1
	run --separate-stderr env -u AR_GNUPLOT PATH="$(dirname "$(command -v ar-report)"):/nonexistent" \
	    "$(command -v ar-report)" -s "$S" "$D/bo.jsonl"
	assert_failure 1
	run --separate-stderr ar-report -s "$S" --gnuplot /nonexistent --text "$D/bo.jsonl"
	assert_success
	grep -q '^best ' <<<"$output"
	# A gnuplot that fails is the environment's failure too.
	run --separate-stderr ar-report -s "$S" --gnuplot false "$D/bo.jsonl"
	assert_failure 1
}

@test "an output that cannot be written is status 1, and an old page stays" {
	run --separate-stderr ar-report -s "$S" -o "$T/no/such/dir/p.html" "$D/bo.jsonl"
	assert_failure 1
	echo old >"$T/p.html"
	run --separate-stderr ar-report -s "$S" --gnuplot /nonexistent -o "$T/p.html" "$D/bo.jsonl"
	assert_failure 1
	[ "$(cat "$T/p.html")" = old ]
}

@test "the page of a 10,000-record history is under 1 MB" {
	jq -n --argjson dims 4 -f "$ROOT/tests/fixtures/report/big.jq" >"$T/big.json"
	printf '{"name": "big", "backend": "replay", "source": "big.json"}\n' >"$T/big-s.json"
	ar-propose -s "$T/big-s.json" --strategy grid -n 10000 | ar-bench -s "$T/big-s.json" |
	    ar-score -s "$T/big-s.json" >"$T/big.jsonl"
	[ "$(wc -l <"$T/big.jsonl")" -eq 10000 ]
	run --separate-stderr ar-report -s "$T/big-s.json" -o "$T/big.html" "$T/big.jsonl"
	assert_success
	size=$(stat -c %s "$T/big.html")
	[ "$size" -lt 1000000 ] || fail "$size bytes"
	# A brute force of a landscape in which a matters most, then b.
	run ar-report -s "$T/big-s.json" --text --importance data "$T/big.jsonl"
	grep -q '^importance (data, 9900 ok): a [0-9.]*, b ' <<<"$output" || fail "$output"
}

@test "CSV histories read as JSON lines do" {
	ar-score -s "$S" --csv "$D/bo.jsonl" >"$T/bo.csv"
	ar-report -s "$S" --text "$D/bo.jsonl" >"$T/a.txt"
	# The same but for the file's name and the line of a record: a CSV
	# file's first line is its header.
	ar-report -s "$S" --text "$T/bo.csv" >"$T/b.txt"
	line=$(grep -n "\"id\":\"$(best_id "$D/bo.jsonl")\"" "$D/bo.jsonl" | cut -d: -f1)
	grep -q "  $T/bo.csv:$((line + 1))\$" "$T/b.txt" || fail "$(cat "$T/b.txt")"
	diff <(sed "s|$D/bo.jsonl:[0-9]*|FILE|; s|$D/bo.jsonl|FILE|" "$T/a.txt") \
	    <(sed "s|$T/bo.csv:[0-9]*|FILE|; s|$T/bo.csv|FILE|" "$T/b.txt")
}

@test "tune.mk: report writes OUT/report.html after the rounds, and the summary has the facts of --text" {
	tune() {
		env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS make -s -f "$ROOT/pipelines/tune.mk" \
		    BIN="${AR_BIN:-$ROOT/bin}" STUDY="$S" OUT="$T/out" EVALS=16 BATCH=8 "$@"
	}
	run --separate-stderr tune report
	assert_success
	assert_output ''
	[ "$(wc -l <"$T/out/history.jsonl")" -eq 16 ]
	run sections "$T/out/report.html"
	assert_output "$(printf '%s\n' summary convergence best importance failures top)"
	# The page of that history, as ar-report makes it.
	ar-report -s "$S" -o "$T/p.html" "$T/out/history.jsonl"
	cmp "$T/p.html" "$T/out/report.html"
	# Made once: a second run leaves it be.
	before=$(stat -c %y "$T/out/report.html")
	tune report
	[ "$(stat -c %y "$T/out/report.html")" = "$before" ]
	# A round more, a page of the whole history again.
	tune EVALS=24 report
	ar-report -s "$S" -o "$T/p.html" "$T/out/history.jsonl"
	[ "$(wc -l <"$T/out/history.jsonl")" -eq 24 ]
	cmp "$T/p.html" "$T/out/report.html"
	# The summary: the best, then the top 3, importance, failures and
	# convergence of --text, then what was spent.
	run --separate-stderr tune EVALS=24
	assert_success
	assert_line --index 0 --regexp '^best of 24 evaluations \('
	text=$(ar-report -s "$S" --text "$T/out/history.jsonl")
	for h in 'top 3:' 'importance (gp, ' 'failures ' 'convergence: '; do
		want=$(grep -F "$h" <<<"$text")
		assert_line "$want"
	done
	refute_line --regexp '^(study|status:|best time_s)'
	[[ ${lines[-1]} == "24 evaluations in 3 rounds, "* ]] || fail "last: ${lines[-1]}"
}
