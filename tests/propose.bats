#!/usr/bin/env bats
# ar-propose: options, strategies, history, --from, and bad input.

load helper

SMALL=$FIX/small/study.json

@test "--help prints the usage to stdout and exits 0" {
	run --separate-stderr ar-propose --help
	assert_success
	assert_output --partial "usage: ar-propose -s study"
	assert_output --partial "--strategy"
	assert_output --partial "grid, random, anneal, ga, bo, rl, xform or auto
                        (default auto), or external: run the study's proposer"
	assert_output --partial "-m, --model FILE"
	assert_output --partial "--keep-going"
	[ -z "$stderr" ]
}

@test "--version prints the version" {
	run ar-propose --version
	assert_success
	assert_output --regexp '^ar-propose [0-9]+\.[0-9]+\.[0-9]+$'
}

@test "no study is a usage error with the synopsis on stderr" {
	run --separate-stderr ar-propose -n 3
	assert_failure 2
	[ -z "$output" ]
	[[ $stderr == *"ar-propose: no study given (-s)"* ]]
	[[ $stderr == *"usage: ar-propose -s study"* ]]
}

@test "an unknown option is a usage error" {
	run --separate-stderr ar-propose -s "$SMALL" --bogus
	assert_failure 2
	[[ $stderr == *"usage: ar-propose"* ]]
}

@test "a bad option names the program, not the path it was run by" {
	local tool path synopsis
	for tool in ar-propose ar-compile ar-bench ar-score ar-learn ar-report; do
		path=$(command -v "$tool")
		[[ $path == /* ]] || fail "$tool is not at an absolute path: $path"
		synopsis=$("$path" --help | sed '/^$/q' | sed '$d')
		run --separate-stderr "$path" --bogus </dev/null
		assert_failure 2
		assert_output ''
		assert_equal "$stderr" "$tool: unrecognized option '--bogus'
$synopsis"
		run --separate-stderr "$path" -Q </dev/null
		assert_failure 2
		assert_output ''
		assert_equal "$stderr" "$tool: invalid option -- 'Q'
$synopsis"
	done
}

@test "a count that is not a number is a usage error" {
	run --separate-stderr ar-propose -s "$SMALL" -n 3x
	assert_failure 2
	[[ $stderr == *"-n: '3x' is not an integer of at least 0"* ]]
}

@test "an unknown strategy is a usage error" {
	run --separate-stderr ar-propose -s "$SMALL" --strategy magic
	assert_failure 2
	[[ $stderr == *"unknown strategy 'magic' (grid, random, anneal, ga, bo, rl, xform, auto or external)"* ]]
}

@test "an operand is a usage error" {
	run --separate-stderr ar-propose -s "$SMALL" extra
	assert_failure 2
	[[ $stderr == *"unexpected operand 'extra'"* ]]
}

@test "--count prints the number of valid configurations" {
	run ar-propose -s "$SMALL" --count
	assert_success
	assert_output 18
}

@test "--count estimates a space too large to count, and says so" {
	# The knobs of the naive matmul: 10^11 combinations and more, which
	# an enumeration would take days over.
	run --separate-stderr timeout 20 ar-propose -s "$ROOT/kernels/matmul/naive.json" --count
	assert_success
	[[ $output =~ ^[0-9.]+e\+[0-9]+$ ]]
	[[ $stderr == *"combinations: estimated from 100000 draws"* ]]
	# The same draws every time.
	[ "$(ar-propose -s "$ROOT/kernels/matmul/naive.json" --count 2>/dev/null)" = "$output" ]
}

@test "grid proposes the first valid configurations in the spec's order" {
	run ar-propose -s "$SMALL" --strategy grid -n 4
	assert_success
	assert_jsonl
	run jq -c '.params' <<<"$output"
	assert_output "$(printf '%s\n' '{"A":1,"B":1,"C":"x"}' \
	    '{"A":1,"B":2,"C":"x"}' '{"A":1,"B":4,"C":"x"}' \
	    '{"A":1,"B":8,"C":"x"}')"
}

@test "a record has study, id, round, strategy and params, in that order" {
	run ar-propose -s "$SMALL" --strategy grid -n 1
	assert_success
	run jq -c 'keys_unsorted' <<<"$output"
	assert_output '["study","id","round","strategy","params"]'
	run jq -r '"\(.study) \(.round) \(.strategy) \(.id | test("^[0-9a-f]{16}$"))"' \
	    <<<"$(ar-propose -s "$SMALL" --strategy grid -n 1)"
	assert_output "small 1 grid true"
}

@test "every proposal satisfies the constraints and none repeats" {
	for s in grid random; do
		ar-propose -s "$SMALL" --strategy $s -n 100 >"$BATS_TEST_TMPDIR/$s" 2>/dev/null
		run jq -s '[.[] | .params | select(.A * .B <= 8 and (.C == "x" or .A > 1))] | length' "$BATS_TEST_TMPDIR/$s"
		assert_output 18
		run jq -s '[.[].id] | unique | length' "$BATS_TEST_TMPDIR/$s"
		assert_output 18
	done
}

@test "random is deterministic under --seed and differs between seeds" {
	a=$(ar-propose -s "$SMALL" -n 5 --seed 7 --strategy random)
	b=$(ar-propose -s "$SMALL" -n 5 --seed 7 --strategy random)
	c=$(ar-propose -s "$SMALL" -n 5 --seed 8 --strategy random)
	[ "$a" = "$b" ]
	[ "$a" != "$c" ]
}

@test "an exhausted space gives what is left, says so, and exits 0" {
	run --separate-stderr ar-propose -s "$SMALL" -n 30
	assert_success
	[ "$(wc -l <<<"$output")" -eq 18 ]
	[[ $stderr == *"space exhausted: 18 of 30 configurations proposed"* ]]
}

@test "-H skips what the history holds and numbers the next round" {
	h=$BATS_TEST_TMPDIR/h.jsonl
	ar-propose -s "$SMALL" -n 10 >"$h"
	ar-propose -s "$SMALL" -H "$h" -n 5 >"$BATS_TEST_TMPDIR/r2"
	run jq -r .round "$BATS_TEST_TMPDIR/r2"
	assert_output "$(printf '2\n2\n2\n2\n2')"
	cat "$BATS_TEST_TMPDIR/r2" >>"$h"
	run --separate-stderr ar-propose -s "$SMALL" -H "$h" -n 10
	assert_success
	[ "$(wc -l <<<"$output")" -eq 3 ]
	printf '%s\n' "$output" >>"$h"
	run jq -s '[.[].id] | unique | length' "$h"
	assert_output 18
	run --separate-stderr ar-propose -s "$SMALL" -H "$h" -n 1
	assert_success
	[ -z "$output" ]
	[[ $stderr == *"space exhausted: 0 of 1"* ]]
}

@test "-H ignores records of other studies and reads CSV" {
	h=$BATS_TEST_TMPDIR/h.jsonl
	ar-propose -s "$SMALL" --strategy grid -n 18 | jq -c '.study = "other"' >"$h"
	run --separate-stderr ar-propose -s "$SMALL" -H "$h" -n 30
	[ "$(wc -l <<<"$output")" -eq 18 ]
	ar-propose -s "$SMALL" --strategy grid -n 18 --csv >"$BATS_TEST_TMPDIR/h.csv"
	run --separate-stderr ar-propose -s "$SMALL" -H "$BATS_TEST_TMPDIR/h.csv" -n 1
	assert_success
	[ -z "$output" ]
}

@test "a history record without an id is matched by its params" {
	h=$BATS_TEST_TMPDIR/h.jsonl
	ar-propose -s "$SMALL" --strategy grid -n 18 | jq -c 'del(.id)' >"$h"
	run --separate-stderr ar-propose -s "$SMALL" -H "$h" -n 1
	assert_success
	[ -z "$output" ]
}

@test "ids are stable, and change with the problem and the source" {
	a=$(ar-propose -s "$SMALL" --strategy grid -n 1 | jq -r .id)
	b=$(ar-propose -s "$SMALL" -n 18 | jq -r 'select(.params == {"A":1,"B":1,"C":"x"}) | .id')
	[ "$a" = "$b" ]
	c=$(ar-propose -s "$SMALL" -D N=128 --strategy grid -n 1 | jq -r .id)
	[ "$a" != "$c" ]
	cp -r "$FIX/small" "$BATS_TEST_TMPDIR/s"
	echo '/* changed */' >>"$BATS_TEST_TMPDIR/s/k.c"
	d=$(ar-propose -s "$BATS_TEST_TMPDIR/s/study.json" --strategy grid -n 1 | jq -r .id)
	[ "$a" != "$d" ]
}

@test "the order of params in the spec does not change ids" {
	jq '.params = {"C": .params.C, "B": .params.B, "A": .params.A} | .source = "'"$FIX"'/small/k.c"' \
	    "$SMALL" >"$BATS_TEST_TMPDIR/r.json"
	a=$(ar-propose -s "$SMALL" -n 18 --strategy grid | jq -c '[.params.A, .params.B, .params.C, .id]' | sort)
	b=$(ar-propose -s "$BATS_TEST_TMPDIR/r.json" -n 18 --strategy grid | jq -c '[.params.A, .params.B, .params.C, .id]' | sort)
	[ "$a" = "$b" ]
}

@test "--csv writes a header with dotted params columns" {
	run ar-propose -s "$SMALL" --strategy grid -n 2 --csv
	assert_success
	assert_line --index 0 "study,id,round,strategy,params.A,params.B,params.C"
	assert_line --index 1 --regexp '^small,[0-9a-f]{16},1,grid,1,1,x$'
}

@test "--from turns records and bare params into fresh records" {
	printf '%s\n' '{"A":2,"B":4,"C":"y"}' \
	    '{"study":"small","id":"x","time_s":1.5,"params":{"A":1,"B":8,"C":"x"}}' >"$BATS_TEST_TMPDIR/in"
	run ar-propose -s "$SMALL" --from "$BATS_TEST_TMPDIR/in"
	assert_success
	assert_jsonl
	run jq -c '[.strategy, .params, has("time_s"), (.id | length)]' <<<"$output"
	assert_output "$(printf '%s\n' '["from",{"A":2,"B":4,"C":"y"},false,16]' \
	    '["from",{"A":1,"B":8,"C":"x"},false,16]')"
}

@test "--from - reads stdin, CSV included, and -D re-sizes the problem" {
	ar-propose -s "$SMALL" --strategy grid -n 3 --csv >"$BATS_TEST_TMPDIR/in.csv"
	run ar-propose -s "$SMALL" -D N=4096 --from - <"$BATS_TEST_TMPDIR/in.csv"
	assert_success
	[ "$(wc -l <<<"$output")" -eq 3 ]
	old=$(ar-propose -s "$SMALL" --strategy grid -n 1 | jq -r .id)
	new=$(head -n 1 <<<"$output" | jq -r .id)
	[ "$old" != "$new" ]
}

@test "string values that read as numbers survive a CSV round trip" {
	write_study s.json '{"name": "t", "backend": "c", "source": "k.c",
	  "params": {"V": ["8", "16"], "W": ["true", "x"]}}'
	ar-propose -s "$BATS_TEST_TMPDIR/s.json" --strategy grid -n 4 >"$BATS_TEST_TMPDIR/a"
	ar-propose -s "$BATS_TEST_TMPDIR/s.json" --strategy grid -n 4 --csv >"$BATS_TEST_TMPDIR/a.csv"
	run ar-propose -s "$BATS_TEST_TMPDIR/s.json" --from "$BATS_TEST_TMPDIR/a.csv"
	assert_success
	[ "$(jq -c '[.id, .params]' <<<"$output")" = "$(jq -c '[.id, .params]' "$BATS_TEST_TMPDIR/a")" ]
	run --separate-stderr ar-propose -s "$BATS_TEST_TMPDIR/s.json" -H "$BATS_TEST_TMPDIR/a.csv" -n 1
	assert_success
	[ -z "$output" ]
}

@test "several -H files all count" {
	ar-propose -s "$SMALL" --strategy grid -n 9 >"$BATS_TEST_TMPDIR/h1"
	ar-propose -s "$SMALL" -H "$BATS_TEST_TMPDIR/h1" --strategy grid -n 9 --csv >"$BATS_TEST_TMPDIR/h2.csv"
	run --separate-stderr ar-propose -s "$SMALL" -H "$BATS_TEST_TMPDIR/h1" -H "$BATS_TEST_TMPDIR/h2.csv" -n 1
	assert_success
	[ -z "$output" ]
	[[ $stderr == *"every other valid one is in the history"* ]]
}

# bad_history FILTER EXPECTED: the grid's third record changed by the jq
# FILTER is refused, as JSON lines and, where CSV can say it, as CSV.
bad_history() {
	ar-propose -s "$SMALL" --strategy grid -n 4 | jq -c "if input_line_number == 3 then $1 else . end" >"$BATS_TEST_TMPDIR/h.jsonl"
	run --separate-stderr ar-propose -s "$SMALL" -H "$BATS_TEST_TMPDIR/h.jsonl" -n 1
	assert_failure 2
	[ -z "$output" ] || fail "stdout is not empty: $output"
	assert_equal "$stderr" "ar-propose: $BATS_TEST_TMPDIR/h.jsonl:3: $2"
	# --count reads the history too.
	run --separate-stderr ar-propose -s "$SMALL" -H "$BATS_TEST_TMPDIR/h.jsonl" --count
	assert_failure 2
	assert_equal "$stderr" "ar-propose: $BATS_TEST_TMPDIR/h.jsonl:3: $2"
}

@test "-H: a value the study does not list is bad input" {
	bad_history '.params.A = 7' "parameter 'A': value 7 is not one $SMALL lists"
	bad_history '.params.C = "two"' "parameter 'C': value \"two\" is not one $SMALL lists"
}

@test "-H: a missing parameter, or one the study does not have, is bad input" {
	bad_history 'del(.params.B)' "parameter 'B' is missing"
	# As ar-compile refuses it: a study that dropped a parameter is
	# another study.
	bad_history '.params.OLD = 3' "unknown parameter 'OLD' (not in $SMALL)"
}

@test "-H: a record of the study without params is bad input" {
	bad_history 'del(.params)' 'no "params" object'
	bad_history '.params = [1, 1, "x"]' '"params" is not an object'
	bad_history '.study = 7' 'field "study" is not a string'
}

@test "-H: a CSV history without the params columns, or with a value not listed" {
	ar-propose -s "$SMALL" --strategy grid -n 3 --csv | cut -d, -f1-4 >"$BATS_TEST_TMPDIR/h.csv"
	run --separate-stderr ar-propose -s "$SMALL" -H "$BATS_TEST_TMPDIR/h.csv" -n 1
	assert_failure 2
	[ -z "$output" ]
	assert_equal "$stderr" "ar-propose: $BATS_TEST_TMPDIR/h.csv:2: no \"params\" object (no params.NAME column)"
	ar-propose -s "$SMALL" --strategy grid -n 3 --csv | awk -F, -v OFS=, 'NR == 3 { $6 = 16 } 1' >"$BATS_TEST_TMPDIR/h.csv"
	run --separate-stderr ar-propose -s "$SMALL" -H "$BATS_TEST_TMPDIR/h.csv" -n 1
	assert_failure 2
	[ -z "$output" ]
	assert_equal "$stderr" "ar-propose: $BATS_TEST_TMPDIR/h.csv:3: parameter 'B': value 16 is not one $SMALL lists"
}

@test "-H --keep-going skips each bad record with one warning" {
	{
		ar-propose -s "$SMALL" --strategy grid -n 2
		echo '{"study":"small","params":{"A":1,"B":1,"C":"x","OLD":3}}'
		echo '{"study":"small","id":"0123456789abcdef","params":{"A":7,"B":1,"C":"x"}}'
		echo '{"study":"small", "id":'
		echo '{"study":"other","params":{"A":7}}'
	} >"$BATS_TEST_TMPDIR/h"
	run --separate-stderr ar-propose -s "$SMALL" -H "$BATS_TEST_TMPDIR/h" --keep-going -n 18
	assert_success
	[ "$(wc -l <<<"$output")" -eq 16 ]
	run jq -r .round <<<"$output"
	assert_output "$(yes 2 | head -n 16)"
	assert_equal "$stderr" "$(printf '%s\n' \
	    "ar-propose: $BATS_TEST_TMPDIR/h:3: unknown parameter 'OLD' (not in $SMALL); skipped" \
	    "ar-propose: $BATS_TEST_TMPDIR/h:4: parameter 'A': value 7 is not one $SMALL lists; skipped" \
	    "ar-propose: $BATS_TEST_TMPDIR/h:5: invalid JSON at column 24: unexpected end of text; skipped" \
	    "ar-propose: space exhausted: 16 of 18 configurations proposed (every other valid one is in the history)")"
	run --separate-stderr ar-propose -s "$SMALL" -H "$BATS_TEST_TMPDIR/h" --keep-going --count
	assert_success
	assert_output 16
}

@test "-H: a record that breaks a constraint, or has failed, is no error" {
	# The study may have gained the constraint since (A * B <= 8 here).
	{
		echo '{"study":"small","id":"0123456789abcdef","params":{"A":4,"B":8,"C":"x"},"status":"ok","score":-1}'
		ar-propose -s "$SMALL" --strategy grid -n 2 | jq -c '. + {status: "compile_error", score: null}'
	} >"$BATS_TEST_TMPDIR/h"
	run --separate-stderr ar-propose -s "$SMALL" -H "$BATS_TEST_TMPDIR/h" -n 18
	assert_success
	[ "$(wc -l <<<"$output")" -eq 16 ]
	[[ $stderr == "ar-propose: space exhausted: 16 of 18"* ]]
}

@test "--count with -H counts what is left to propose" {
	ar-propose -s "$SMALL" --strategy grid -n 5 >"$BATS_TEST_TMPDIR/h"
	run --separate-stderr ar-propose -s "$SMALL" -H "$BATS_TEST_TMPDIR/h" --count
	assert_success
	assert_output 13
	[ -z "$stderr" ]
	# A configuration measured twice counts once, a record of another
	# study not at all, and what is left is what a run can propose.
	{ head -n 2 "$BATS_TEST_TMPDIR/h"; jq -c '.study = "other"' "$BATS_TEST_TMPDIR/h"; } >"$BATS_TEST_TMPDIR/h2"
	run --separate-stderr ar-propose -s "$SMALL" -H "$BATS_TEST_TMPDIR/h" -H "$BATS_TEST_TMPDIR/h2" --count
	assert_output 13
	run --separate-stderr ar-propose -s "$SMALL" -H "$BATS_TEST_TMPDIR/h" -n 100
	[ "$(wc -l <<<"$output")" -eq 13 ]
	# At another problem size the history's ids are other ones: nothing
	# of it is measured there.
	run --separate-stderr ar-propose -s "$SMALL" -D N=128 -H "$BATS_TEST_TMPDIR/h" --count
	assert_output 18
	# A history without ids is matched by its params.
	jq -c 'del(.id)' "$BATS_TEST_TMPDIR/h" >"$BATS_TEST_TMPDIR/h3"
	run --separate-stderr ar-propose -s "$SMALL" -D N=128 -H "$BATS_TEST_TMPDIR/h3" --count
	assert_output 13
}

@test "--from with -H skips what was measured, and says so" {
	ar-propose -s "$SMALL" --strategy grid -n 2 >"$BATS_TEST_TMPDIR/h"
	run --separate-stderr ar-propose -s "$SMALL" -H "$BATS_TEST_TMPDIR/h" --from "$BATS_TEST_TMPDIR/h"
	assert_success
	[ -z "$output" ]
	[[ $stderr == *"configuration 1 (id "*") is in the history already; skipped"* ]]
}

bad_from() { # bad_from INPUT EXPECTED-STDERR
	printf '%s' "$1" >"$BATS_TEST_TMPDIR/in"
	run --separate-stderr ar-propose -s "$SMALL" --from "$BATS_TEST_TMPDIR/in"
	assert_failure 2
	[ -z "$output" ] || fail "stdout is not empty: $output"
	[[ $stderr == *"$2"* ]] || fail "stderr is: $stderr"
	[ "$(wc -l <<<"$stderr")" -eq 1 ] || fail "more than one message: $stderr"
}

@test "--from: a parameter the study does not have" {
	bad_from $'{"A":1,"B":1,"C":"x"}\n{"A":1,"B":1,"C":"x","D":3}\n' \
	    "ar-propose: $BATS_TEST_TMPDIR/in:2: unknown parameter 'D'"
}

@test "--from: a value outside the study's list" {
	bad_from $'{"A":5,"B":1,"C":"x"}\n' "in:1: parameter 'A': value 5 is not one"
}

@test "--from: a missing parameter" {
	bad_from $'{"A":1,"B":1}\n' "in:1: parameter 'C' is missing"
}

@test "--from: a configuration that violates a constraint" {
	bad_from $'\n\n{"A":4,"B":8,"C":"x"}\n' "in:3: violates constraint 'A * B <= 8'"
}

@test "--from: a malformed JSON line" {
	bad_from $'{"A":1,"B":1,"C":"x"}\n{"A":1,"B":\n' "in:2: invalid JSON"
}

@test "--from: a CSV row with the wrong number of fields" {
	bad_from $'A,B,C\n1,1,x\n1,2\n' "in:3: expected 3 fields, found 2"
}

@test "--from: empty input" {
	bad_from '' "in: no configurations to read"
	run --separate-stderr ar-propose -s "$SMALL" --from - </dev/null
	assert_failure 2
	[[ $stderr == *"<stdin>: no configurations to read"* ]]
}

@test "-H: a malformed history line names the file and line" {
	printf '%s\n' '{"study":"small","id":"0123456789abcdef","params":{"A":1,"B":1,"C":"x"}}' '{"study": "small", "id": ' >"$BATS_TEST_TMPDIR/h"
	run --separate-stderr ar-propose -s "$SMALL" -H "$BATS_TEST_TMPDIR/h"
	assert_failure 2
	[ -z "$output" ]
	[[ $stderr == "ar-propose: $BATS_TEST_TMPDIR/h:2: invalid JSON"* ]]
}

@test "-H: a malformed history line says invalid JSON once" {
	printf '%s\n' '{"study": "small", "id": ,}' >"$BATS_TEST_TMPDIR/h"
	run --separate-stderr ar-propose -s "$SMALL" -H "$BATS_TEST_TMPDIR/h"
	assert_failure 2
	assert_output ''
	assert_equal "$stderr" "ar-propose: $BATS_TEST_TMPDIR/h:1: invalid JSON at column 26: unexpected character"
}

@test "-H: a history that does not exist" {
	run --separate-stderr ar-propose -s "$SMALL" -H "$BATS_TEST_TMPDIR/nope"
	assert_failure 2
	[[ $stderr == *"cannot open '$BATS_TEST_TMPDIR/nope': No such file or directory"* ]]
}

@test "a closed pipe ends ar-propose quietly" {
	run --separate-stderr bash -c "ar-propose -s '$FIX/../../pipelines/bench/space/study.json' -n 100000 | head -n 1"
	assert_success
	assert_output --regexp '^\{"study":"bench-space"'
	[ -z "$stderr" ]
}

@test "a full disk is an error, not a silent success" {
	[ -w /dev/full ] || skip "no /dev/full"
	run --separate-stderr bash -c "ar-propose -s '$SMALL' -n 5 >/dev/full"
	assert_failure 1
	[[ $stderr == *"ar-propose: write error"* ]]
}

@test "-H: an infeasible record is a failure to the strategies, and never proposed again" {
	# Ten configurations measured: the even ones ok, the odd ones
	# measured ok but infeasible (ar-score's status for a record that
	# fails the study's require), or, for comparison, crashed.
	ar-propose -s "$SMALL" --strategy grid -n 10 |
	    jq -c '(input_line_number) as $n | . + if $n % 2 == 0 then
		{status: "ok", time_s: $n, score: (0 - $n)} else
		{status: "infeasible", time_s: $n, score: null,
		error: "require \"time_s < 1\" not met"} end' >"$BATS_TEST_TMPDIR/inf.jsonl"
	sed 's/"status":"infeasible"/"status":"crash"/' "$BATS_TEST_TMPDIR/inf.jsonl" >"$BATS_TEST_TMPDIR/crash.jsonl"
	for s in anneal ga bo auto; do
		a=$(ar-propose -s "$SMALL" -H "$BATS_TEST_TMPDIR/inf.jsonl" -n 4 --strategy $s --seed 3)
		b=$(ar-propose -s "$SMALL" -H "$BATS_TEST_TMPDIR/crash.jsonl" -n 4 --strategy $s --seed 3)
		[ "$a" = "$b" ] || fail "$s: infeasible is not learned as a failure"
	done
	# What is left of the space is proposed; nothing of the history.
	run --separate-stderr ar-propose -s "$SMALL" -H "$BATS_TEST_TMPDIR/inf.jsonl" -n 30 --strategy bo --seed 3
	assert_success
	[ "${#lines[@]}" -eq 8 ]
	run jq -n --slurpfile h "$BATS_TEST_TMPDIR/inf.jsonl" '[inputs.id] - [$h[].id] | length' <<<"$output"
	assert_output 8
}

# A study whose source marks its loops, with transformation knobs.
xform_study() {
	cat >"$BATS_TEST_TMPDIR/mm.c" <<'C'
void mm(int n, const float *a, const float *b, float *c)
{
#pragma ar loop i
	for (int i = 0; i < n; i++)
#pragma ar loop j
		for (int j = 0; j < n; j++)
#pragma ar loop k
			for (int k = 0; k < n; k++)
				c[i * n + j] += a[i * n + k] * b[k * n + j];
}
C
	write_study xf.json '{"name": "xf", "backend": "c", "source": "mm.c", "entry": "mm",
  "params": {"A": [1, 2]},
  "transform": {"ops": ["tile", "order"], "tile": [8, 16], "orders": [["i", "k", "j"]]}}'
}

@test "transform: every record carries its rendered variant, stored by hash, in its id" {
	xform_study
	S=$BATS_TEST_TMPDIR/xf.json
	run --separate-stderr ar-propose -s "$S" -n 4 --strategy random --variants "$BATS_TEST_TMPDIR/st"
	assert_success
	[ "${#lines[@]}" -eq 4 ]
	for l in "${lines[@]}"; do
		f=$(jq -r .variant.file <<<"$l")
		h=$(jq -r .variant.sha256 <<<"$l")
		[ "$f" = "$BATS_TEST_TMPDIR/st/$h.c" ]
		[ "$(sha256sum <"$f" | cut -d' ' -f1)" = "$h" ]
		[ "$(jq -c '[.variant.by, .variant.parent]' <<<"$l")" = '["transform",null]' ]
		! grep -q '#pragma ar loop' "$f"
		# The ops say what the knobs applied.
		t=$(jq -r .params.tile_k <<<"$l")
		if [ "$t" != 0 ]; then
			jq -e --argjson t "$t" '.variant.ops | index([{"loop": "k", "op": "tile", "arg": $t}])' <<<"$l" >/dev/null
			grep -Eq "#pragma omp tile sizes\(([0-9]+,)*$t\)" "$f"
		fi
	done
	# --from renders too, and the id is not the plain one.
	one=$(jq -c .params <<<"${lines[0]}")
	run --separate-stderr ar-propose -s "$S" --from - --variants "$BATS_TEST_TMPDIR/st" <<<"$one"
	assert_success
	[ "$(jq -r .id <<<"$output")" = "$(jq -r .id <<<"${lines[0]}")" ]
	[ "$(jq -r .strategy <<<"$output")" = from ]
	# The same configuration measured is never proposed again.
	run --separate-stderr ar-propose -s "$S" --from - --variants "$BATS_TEST_TMPDIR/st" -H <(echo "${lines[0]}") <<<"$one"
	assert_success
	assert_output ''
}

@test "transform: a child of the xform strategy names its parent's hash" {
	xform_study
	S=$BATS_TEST_TMPDIR/xf.json
	cd "$BATS_TEST_TMPDIR"
	ar-propose -s "$S" -n 3 --strategy random --variants st |
	    jq -c '.status = "ok" | .time_s = 1 | .score = .params.tile_k' >h.jsonl
	run --separate-stderr ar-propose -s "$S" -n 3 --strategy xform --variants st -H h.jsonl
	assert_success
	hashes=$(jq -r .variant.sha256 h.jsonl)
	n=0
	for p in $(jq -r '.variant.parent // empty' <<<"$output"); do
		grep -qx "$p" <<<"$hashes" || fail "parent $p is not measured"
		n=$((n + 1))
	done
	[ "$n" -gt 0 ]
}

@test "transform: nothing is written when the store cannot be" {
	xform_study
	echo x >"$BATS_TEST_TMPDIR/file"
	run --separate-stderr ar-propose -s "$BATS_TEST_TMPDIR/xf.json" -n 2 --variants "$BATS_TEST_TMPDIR/file/st"
	assert_failure 1
	assert_output ''
	[[ $stderr == *"proposal 1: "* ]]
}
