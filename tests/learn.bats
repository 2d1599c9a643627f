#!/usr/bin/env bats
# ar-learn: the model file, the best, the summary line, incremental runs
# against a rebuild, the rl policy, the prior (--prior), refusals, atomic
# writes and bad input.

load helper

S=$FIX/learn/study.json
# Three rounds of four scored records: the best is round 1's third
# (0.003 s), then round 2's first (0.002 s); round 3 ties it and fails.
H=$FIX/learn/history.jsonl
BEST1=e4f8c0e8083409d8
BEST2=6ad397a2b0a9c250

setup() {
	M=$BATS_TEST_TMPDIR/runs/model.json
	mkdir -p "$BATS_TEST_TMPDIR/runs"
}

round() {
	jq -c "select(.round == $1)" "$H"
}

@test "--help prints the usage to stdout and exits 0" {
	run --separate-stderr ar-learn --help
	assert_success
	assert_output --partial "usage: ar-learn -s study -m model [--rebuild] [--prior history] [--keep-going] [file ...]"
	[ -z "$stderr" ]
}

@test "--version prints the version" {
	run ar-learn --version
	assert_success
	assert_output --regexp '^ar-learn [0-9]+\.[0-9]+\.[0-9]+$'
}

@test "a study and a model file are required" {
	run --separate-stderr ar-learn -m "$M" </dev/null
	assert_failure 2
	[[ $stderr == *"ar-learn: no study given (-s)"* ]]
	[[ $stderr == *"usage: ar-learn -s study -m model"* ]]
	run --separate-stderr ar-learn -s "$S" </dev/null
	assert_failure 2
	[[ $stderr == *"ar-learn: no model file given (-m)"* ]]
	run --separate-stderr ar-learn -s "$S" -m - </dev/null
	assert_failure 2
	[[ $stderr == *"ar-learn: the model must be a file, not '-'"* ]]
	run --separate-stderr ar-learn -s "$S" -m "$M" --bogus </dev/null
	assert_failure 2
	[ ! -e "$M" ]
}

@test "the first run creates the model and prints the best" {
	run --separate-stderr ar-learn -s "$S" -m "$M" <"$H"
	assert_success
	[ -z "$stderr" ]
	assert_output "{\"evals\":12,\"best\":{\"id\":\"$BEST2\",\"objective\":0.002,\"params\":$(round 2 | head -n 1 | jq -c .params)},\"improved\":true}"
	run jq -c '[.format, .version, .study, .objective, .evals, .rounds, (.strategies | keys)]' "$M"
	assert_output '["autoresearch-model",2,"learn-mm","minimize time_s",12,3,["rl"]]'
	run jq -c 'keys_unsorted' "$M"
	assert_output '["format","version","study","objective","evals","status","best","rounds","strategies"]'
	run jq -c '.best' "$M"
	assert_output "$(round 2 | head -n 1 | jq -c '{id, round, objective, score, params, metrics}')"
}

@test "status counts every record, failures included, in the contract's order" {
	ar-learn -s "$S" -m "$M" "$H" >/dev/null
	run jq -c '.status' "$M"
	assert_output '{"ok":6,"compile_error":1,"invalid":1,"wrong":1,"crash":1,"timeout":1,"suspicious":1}'
}

@test "improved is true only when a run's records beat the model's best" {
	run ar-learn -s "$S" -m "$M" < <(round 1)
	assert_output --partial "\"id\":\"$BEST1\""
	assert_output --partial '"evals":4,'
	assert_output --partial '"improved":true}'
	run ar-learn -s "$S" -m "$M" < <(round 2)
	assert_output --partial "\"id\":\"$BEST2\""
	assert_output --partial '"evals":8,'
	assert_output --partial '"improved":true}'
	# Round 3 ties the best (the earlier record stays) and beats nothing.
	run ar-learn -s "$S" -m "$M" < <(round 3)
	assert_success
	assert_output --partial "\"id\":\"$BEST2\""
	assert_output --partial '"evals":12,'
	assert_output --partial '"improved":false}'
	run jq -r .best.round "$M"
	assert_output 2
}

@test "runs one round at a time give the model a rebuild gives, byte for byte" {
	for r in 1 2 3; do
		round $r | tee -a "$BATS_TEST_TMPDIR/h.jsonl" | ar-learn -s "$S" -m "$M" >/dev/null
	done
	run ar-learn -s "$S" -m "$BATS_TEST_TMPDIR/runs/rebuilt.json" --rebuild <"$BATS_TEST_TMPDIR/h.jsonl"
	assert_success
	cmp "$M" "$BATS_TEST_TMPDIR/runs/rebuilt.json"
	# Record by record too, and through CSV.
	while IFS= read -r line; do
		printf '%s\n' "$line" | ar-learn -s "$S" -m "$BATS_TEST_TMPDIR/runs/one.json" >/dev/null
	done <"$H"
	cmp "$M" "$BATS_TEST_TMPDIR/runs/one.json"
	ar-score -s "$S" --csv "$H" >"$BATS_TEST_TMPDIR/h.csv"
	ar-learn -s "$S" -m "$BATS_TEST_TMPDIR/runs/csv.json" "$BATS_TEST_TMPDIR/h.csv" >/dev/null
	run jq -S -c 'del(.best)' "$BATS_TEST_TMPDIR/runs/csv.json"
	assert_output "$(jq -S -c 'del(.best)' "$M")"
	run jq -c '.best | [.id, .round, .score, .params]' "$BATS_TEST_TMPDIR/runs/csv.json"
	assert_output "$(jq -c '.best | [.id, .round, .score, .params]' "$M")"
}

@test "--rebuild starts from nothing, replacing the model" {
	ar-learn -s "$S" -m "$M" "$H" >/dev/null
	run ar-learn -s "$S" -m "$M" --rebuild < <(round 1)
	assert_success
	assert_output "{\"evals\":4,\"best\":{\"id\":\"$BEST1\",\"objective\":0.003,\"params\":$(round 1 | sed -n 3p | jq -c .params)},\"improved\":true}"
	run jq -c '[.evals, .rounds]' "$M"
	assert_output '[4,1]'
}

@test "records with a null score count but never become the best" {
	jq -c 'select(.status != "ok") | .status = "ok"' "$H" >"$BATS_TEST_TMPDIR/nulls.jsonl"
	run ar-learn -s "$S" -m "$M" "$BATS_TEST_TMPDIR/nulls.jsonl"
	assert_success
	assert_output '{"evals":6,"best":null,"improved":false}'
	run jq -c '[.status, .best]' "$M"
	assert_output '[{"ok":6},null]'
}

@test "a higher score of a failed status never becomes the best" {
	jq -c 'select(.status == "suspicious") | .score = 100' "$H" >"$BATS_TEST_TMPDIR/s.jsonl"
	round 1 >>"$BATS_TEST_TMPDIR/s.jsonl"
	run ar-learn -s "$S" -m "$M" "$BATS_TEST_TMPDIR/s.jsonl"
	assert_output --partial "\"id\":\"$BEST1\""
}

@test "an empty input makes an empty model" {
	run --separate-stderr ar-learn -s "$S" -m "$M" </dev/null
	assert_success
	[ -z "$stderr" ]
	assert_output '{"evals":0,"best":null,"improved":false}'
	run cat "$M"
	assert_output "$(printf '%s\n' '{' '  "format": "autoresearch-model",' \
	    '  "version": 2,' '  "study": "learn-mm",' \
	    '  "objective": "minimize time_s",' '  "evals": 0,' \
	    '  "status": {},' '  "best": null,' '  "rounds": 0,' \
	    '  "strategies": {}' '}')"
}

@test "a model of another study is refused, and --rebuild replaces it" {
	ar-learn -s "$S" -m "$M" "$H" >/dev/null
	jq '.name = "other" | .source = "'"$FIX"'/learn/k.c"' "$S" >"$BATS_TEST_TMPDIR/other.json"
	cp "$M" "$BATS_TEST_TMPDIR/before.json"
	run --separate-stderr ar-learn -s "$BATS_TEST_TMPDIR/other.json" -m "$M" </dev/null
	assert_failure 2
	[ -z "$output" ]
	assert_equal "$stderr" "ar-learn: $M: a model of study 'learn-mm', not 'other' (--rebuild replaces it)"
	cmp "$M" "$BATS_TEST_TMPDIR/before.json"
	run ar-learn -s "$BATS_TEST_TMPDIR/other.json" -m "$M" --rebuild </dev/null
	assert_success
	run jq -r .study "$M"
	assert_output other
}

@test "a model for another objective is refused" {
	ar-learn -s "$S" -m "$M" "$H" >/dev/null
	jq '.objective = "maximize gflops" | .source = "'"$FIX"'/learn/k.c"' "$S" >"$BATS_TEST_TMPDIR/max.json"
	run --separate-stderr ar-learn -s "$BATS_TEST_TMPDIR/max.json" -m "$M" </dev/null
	assert_failure 2
	assert_equal "$stderr" "ar-learn: $M: a model for the objective 'minimize time_s', but the study's is 'maximize gflops' (--rebuild replaces it)"
}

@test "a model of a newer version is refused, and --rebuild replaces it" {
	ar-learn -s "$S" -m "$M" "$H" >/dev/null
	jq '.version = 3' "$M" >"$BATS_TEST_TMPDIR/v3.json"
	mv "$BATS_TEST_TMPDIR/v3.json" "$M"
	run --separate-stderr ar-learn -s "$S" -m "$M" </dev/null
	assert_failure 2
	assert_equal "$stderr" "ar-learn: $M: model format version 3 is newer than this program's (2) (--rebuild replaces it)"
	run ar-learn -s "$S" -m "$M" --rebuild "$H"
	assert_success
	run jq .version "$M"
	assert_output 2
}

@test "a corrupt model file is refused with a clear message, --rebuild or not" {
	ar-learn -s "$S" -m "$M" "$H" >/dev/null
	head -c 200 "$M" >"$BATS_TEST_TMPDIR/cut.json"
	cp "$BATS_TEST_TMPDIR/cut.json" "$M"
	run --separate-stderr ar-learn -s "$S" -m "$M" "$H"
	assert_failure 2
	[ -z "$output" ]
	[[ $stderr == "ar-learn: $M: not a model file: invalid JSON at line "*"(if it is a damaged model, remove it and rebuild it from the history with --rebuild)" ]]
	run --separate-stderr ar-learn -s "$S" -m "$M" --rebuild "$H"
	assert_failure 2
	[[ $stderr == *"(--rebuild replaces only a model file; remove it first if it is a damaged one)" ]]
	cmp "$M" "$BATS_TEST_TMPDIR/cut.json"
	rm "$M"
	run ar-learn -s "$S" -m "$M" --rebuild "$H"
	assert_success
}

@test "a history given as the model is never overwritten" {
	cp "$H" "$BATS_TEST_TMPDIR/runs/h.jsonl"
	run --separate-stderr ar-learn -s "$S" -m "$BATS_TEST_TMPDIR/runs/h.jsonl" --rebuild "$H"
	assert_failure 2
	assert_equal "$stderr" "ar-learn: $BATS_TEST_TMPDIR/runs/h.jsonl: not a model file: invalid JSON at line 2: end of file expected near '{' (--rebuild replaces only a model file; remove it first if it is a damaged one)"
	cmp "$H" "$BATS_TEST_TMPDIR/runs/h.jsonl"
	head -n 1 "$H" >"$BATS_TEST_TMPDIR/runs/one.jsonl"
	run --separate-stderr ar-learn -s "$S" -m "$BATS_TEST_TMPDIR/runs/one.jsonl" --rebuild "$H"
	assert_failure 2
	assert_equal "$stderr" "ar-learn: $BATS_TEST_TMPDIR/runs/one.jsonl: not a model file (no \"format\": \"autoresearch-model\") (--rebuild replaces only a model file; remove it first if it is a damaged one)"
}

@test "an empty model file is refused unless --rebuild" {
	: >"$M"
	run --separate-stderr ar-learn -s "$S" -m "$M" "$H"
	assert_failure 2
	assert_equal "$stderr" "ar-learn: $M: the model file is empty (--rebuild replaces it)"
	run ar-learn -s "$S" -m "$M" --rebuild "$H"
	assert_success
}

@test "the write is atomic: no temporary file is left, and bad input leaves the model as it was" {
	ar-learn -s "$S" -m "$M" < <(round 1) >/dev/null
	run ls -A "$BATS_TEST_TMPDIR/runs"
	assert_output model.json
	cp "$M" "$BATS_TEST_TMPDIR/before.json"
	{ round 2; echo '{"study": "learn-mm", "score": '; round 3; } >"$BATS_TEST_TMPDIR/bad.jsonl"
	run --separate-stderr ar-learn -s "$S" -m "$M" "$BATS_TEST_TMPDIR/bad.jsonl"
	assert_failure 2
	[ -z "$output" ]
	assert_equal "$stderr" "ar-learn: $BATS_TEST_TMPDIR/bad.jsonl:5: invalid JSON at column 32: unexpected end of text"
	cmp "$M" "$BATS_TEST_TMPDIR/before.json"
	run ls -A "$BATS_TEST_TMPDIR/runs"
	assert_output model.json
}

@test "the model keeps its file mode" {
	ar-learn -s "$S" -m "$M" </dev/null >/dev/null
	chmod 640 "$M"
	ar-learn -s "$S" -m "$M" "$H" >/dev/null
	run stat -c %a "$M"
	assert_output 640
}

@test "a model that cannot be written is a failure of the program" {
	run --separate-stderr ar-learn -s "$S" -m "$BATS_TEST_TMPDIR/none/model.json" "$H"
	assert_failure 1
	[ -z "$output" ]
	assert_equal "$stderr" "ar-learn: cannot create a temporary file in '$BATS_TEST_TMPDIR/none': No such file or directory"
}

@test "a record of another study is bad input; --keep-going skips it with a warning" {
	{ round 1; round 2 | head -n 1 | jq -c '.study = "other"'; } >"$BATS_TEST_TMPDIR/mixed.jsonl"
	run --separate-stderr ar-learn -s "$S" -m "$M" "$BATS_TEST_TMPDIR/mixed.jsonl"
	assert_failure 2
	[ -z "$output" ]
	assert_equal "$stderr" "ar-learn: $BATS_TEST_TMPDIR/mixed.jsonl:5: a record of study 'other', not 'learn-mm'"
	[ ! -e "$M" ]
	run --separate-stderr ar-learn -s "$S" -m "$M" --keep-going "$BATS_TEST_TMPDIR/mixed.jsonl"
	assert_success
	assert_equal "$stderr" "ar-learn: $BATS_TEST_TMPDIR/mixed.jsonl:5: a record of study 'other', not 'learn-mm'; skipped"
	assert_output --partial '"evals":4,'
	assert_output --partial "\"id\":\"$BEST1\""
}

# csv_of: the JSON lines on stdin as CSV, with the fields ar-learn reads.
csv_of() {
	jq -rs '(map(.params // {} | keys_unsorted) | add | unique) as $k |
	    (["study", "status", "score"] + ($k | map("params." + .))),
	    (.[] | [.study, .status, .score] + [(.params // {})[$k[]]]) | @csv'
}

@test "a record whose params are not the study's is bad input, CSV or JSON lines" {
	for bad in '.params.TILE = 7' '.params.UNROLL = "two"' 'del(.params.UNROLL)' \
	    '.params.OLD = 3' 'del(.params)' '.params = [16, 1]'; do
		{ round 1 | head -n 2; round 1 | sed -n 3p | jq -c "$bad"; } >"$BATS_TEST_TMPDIR/bad.jsonl"
		case $bad in
		*TILE*) want="parameter 'TILE': value 7 is not one $S lists" ;;
		*two*) want="parameter 'UNROLL': value \"two\" is not one $S lists" ;;
		del\(.params.UNROLL*) want="parameter 'UNROLL' is missing" ;;
		*OLD*) want="unknown parameter 'OLD' (not in $S)" ;;
		del*) want='no "params" object' ;;
		*) want='"params" is not an object' ;;
		esac
		run --separate-stderr ar-learn -s "$S" -m "$M" "$BATS_TEST_TMPDIR/bad.jsonl"
		assert_failure 2
		[ -z "$output" ]
		assert_equal "$stderr" "ar-learn: $BATS_TEST_TMPDIR/bad.jsonl:3: $want"
	done
	# CSV: a value the study does not list, a column of a parameter it
	# does not have, and a history without the params columns.
	for bad in '.params.TILE = 7' '.params.OLD = 3' 'del(.params)'; do
		round 1 | jq -c "select(.score != null) | $bad" | csv_of >"$BATS_TEST_TMPDIR/bad.csv"
		case $bad in
		*TILE*) want="parameter 'TILE': value 7 is not one $S lists" ;;
		*OLD*) want="unknown parameter 'OLD' (not in $S)" ;;
		*) want='no "params" object (no params.NAME column)' ;;
		esac
		run --separate-stderr ar-learn -s "$S" -m "$M" "$BATS_TEST_TMPDIR/bad.csv"
		assert_failure 2
		[ -z "$output" ]
		assert_equal "$stderr" "ar-learn: $BATS_TEST_TMPDIR/bad.csv:2: $want"
	done
	[ ! -e "$M" ]
	# The same CSV with the study's params is read.
	round 1 | jq -c 'select(.score != null)' | csv_of >"$BATS_TEST_TMPDIR/good.csv"
	run --separate-stderr ar-learn -s "$S" -m "$M" "$BATS_TEST_TMPDIR/good.csv"
	assert_success
	[ -z "$stderr" ]
}

@test "--keep-going skips each record whose params are not the study's with a warning" {
	{
		round 1
		round 2 | sed -n 1p | jq -c '.params.TILE = 7'
		round 2 | sed -n 2p | jq -c '.params.OLD = 3'
		round 2 | sed -n 3,4p
	} >"$BATS_TEST_TMPDIR/mixed.jsonl"
	run --separate-stderr ar-learn -s "$S" -m "$M" --keep-going "$BATS_TEST_TMPDIR/mixed.jsonl"
	assert_success
	assert_output --partial '"evals":6,'
	assert_equal "$stderr" "$(printf '%s\n' \
	    "ar-learn: $BATS_TEST_TMPDIR/mixed.jsonl:5: parameter 'TILE': value 7 is not one $S lists; skipped" \
	    "ar-learn: $BATS_TEST_TMPDIR/mixed.jsonl:6: unknown parameter 'OLD' (not in $S); skipped")"
}

@test "a record that breaks a constraint is no error, nor is a prior's value the study does not list" {
	ar-propose -s "$R" -n 4 --strategy random --seed 3 | measure "$R" >"$BATS_TEST_TMPDIR/h.jsonl"
	# A + B + C <= 22, as if the study gained the constraint since.
	head -n 1 "$BATS_TEST_TMPDIR/h.jsonl" | jq -c '.params = {"A": 8, "B": 8, "C": 8}' >>"$BATS_TEST_TMPDIR/h.jsonl"
	run --separate-stderr ar-learn -s "$R" -m "$M" "$BATS_TEST_TMPDIR/h.jsonl"
	assert_success
	[ -z "$stderr" ]
	assert_output --partial '"evals":5,'
	# A prior is another study's history: its params may differ, and
	# those that are not the study's teach the policy nothing.
	jq -c '.study = "learn-rl-other" | .params.A = 9' "$BATS_TEST_TMPDIR/h.jsonl" >"$BATS_TEST_TMPDIR/p.jsonl"
	run --separate-stderr ar-learn -s "$R" -m "$BATS_TEST_TMPDIR/runs/warm.json" --prior "$BATS_TEST_TMPDIR/p.jsonl" </dev/null
	assert_success
	[ -z "$stderr" ]
	run jq -c '[.prior.records, .strategies.rl.records]' "$BATS_TEST_TMPDIR/runs/warm.json"
	assert_output '[5,0]'
}

@test "records that are not scored, or have fields of the wrong type, are bad input" {
	for bad in 'del(.score)' '.score = "1"' '.status = 3' '.round = 1.5' '.study = 7'; do
		round 1 | head -n 1 | jq -c "$bad" >"$BATS_TEST_TMPDIR/bad.jsonl"
		run --separate-stderr ar-learn -s "$S" -m "$M" "$BATS_TEST_TMPDIR/bad.jsonl"
		assert_failure 2
		case $bad in
		del*) want='no field "score": the record is not scored (ar-score adds it)' ;;
		.score*) want='field "score" is not a number or null' ;;
		.status*) want='field "status" is not a string' ;;
		.round*) want='field "round" is not an integer' ;;
		.study*) want='field "study" is not a string' ;;
		esac
		assert_equal "$stderr" "ar-learn: $BATS_TEST_TMPDIR/bad.jsonl:1: $want"
	done
	[ ! -e "$M" ]
	printf 'study,score,status,round\nlearn-mm,,ok,1\n' >"$BATS_TEST_TMPDIR/bad.csv"
	run --separate-stderr ar-learn -s "$S" -m "$M" "$BATS_TEST_TMPDIR/bad.csv"
	assert_failure 2
	assert_equal "$stderr" "ar-learn: $BATS_TEST_TMPDIR/bad.csv:2: no field \"score\": the record is not scored (ar-score adds it)"
	printf 'study,score,status,round\nlearn-mm,-1.5,ok,x\n' >"$BATS_TEST_TMPDIR/bad.csv"
	run --separate-stderr ar-learn -s "$S" -m "$M" "$BATS_TEST_TMPDIR/bad.csv"
	assert_failure 2
	assert_equal "$stderr" "ar-learn: $BATS_TEST_TMPDIR/bad.csv:2: field \"round\" is not an integer"
}

@test "a record without a status counts as none" {
	round 1 | jq -c 'del(.status)' >"$BATS_TEST_TMPDIR/in.jsonl"
	run ar-learn -s "$S" -m "$M" "$BATS_TEST_TMPDIR/in.jsonl"
	assert_output '{"evals":4,"best":null,"improved":false}'
	run jq -c .status "$M"
	assert_output '{"none":4}'
}

@test "fields of a later version are kept" {
	ar-learn -s "$S" -m "$M" < <(round 1) >/dev/null
	jq '.strategies = {"bo": {"theta": [0.5, 2]}} + .strategies | .surrogate = {"kind": "gp"}' "$M" >"$BATS_TEST_TMPDIR/later.json"
	mv "$BATS_TEST_TMPDIR/later.json" "$M"
	run ar-learn -s "$S" -m "$M" < <(round 2)
	assert_success
	run jq -c '[.evals, .strategies.bo, (.strategies | keys_unsorted), .strategies.rl.records, .surrogate, (keys_unsorted | last)]' "$M"
	assert_output '[8,{"theta":[0.5,2]},["bo","rl"],8,{"kind":"gp"},"surrogate"]'
}

@test "the loop's pipe: score, append to the history, learn" {
	jq -c 'del(.metrics, .objective, .score)' "$H" >"$BATS_TEST_TMPDIR/measured.jsonl"
	for r in 1 2 3; do
		jq -c "select(.round == $r)" "$BATS_TEST_TMPDIR/measured.jsonl" |
		    ar-score -s "$S" | tee -a "$BATS_TEST_TMPDIR/history.jsonl" |
		    ar-learn -s "$S" -m "$M" >>"$BATS_TEST_TMPDIR/summaries"
	done
	run jq -c '[.evals, .best.id, .improved]' "$BATS_TEST_TMPDIR/summaries"
	assert_output "$(printf '%s\n' "[4,\"$BEST1\",true]" "[8,\"$BEST2\",true]" "[12,\"$BEST2\",false]")"
	ar-learn -s "$S" -m "$BATS_TEST_TMPDIR/runs/re.json" --rebuild "$BATS_TEST_TMPDIR/history.jsonl" >/dev/null
	cmp "$M" "$BATS_TEST_TMPDIR/runs/re.json"
}

# The rl tests' study: three parameters of eight values; the time doubles
# with each step away from A=6, B=3, C=7, and C=1 crashes.
R=$FIX/learn/rl.json

# measure STUDY: scored records for the proposals on stdin.
measure() {
	jq -c '. + (if .params.C == 1 then {status: "crash"} else {status: "ok", time_s: (0.001 * pow(2; ((.params.A - 6) | fabs) + ((.params.B - 3) | fabs) + ((.params.C - 7) | fabs)))} end)' |
	    ar-score -s "$1"
}

# The value of each parameter the policy makes the likeliest.
argmax='[.strategies.rl.policy[] | .values[.logits | index(max)]]'

@test "the rl policy moves toward the best values and away from failures" {
	ar-propose -s "$R" -n 200 --strategy random --seed 1 | measure "$R" >"$BATS_TEST_TMPDIR/h.jsonl"
	run ar-learn -s "$R" -m "$M" "$BATS_TEST_TMPDIR/h.jsonl"
	assert_success
	run jq -c "$argmax" "$M"
	assert_output '[6,3,7]'
	# The worst values, and C=1 that crashes, lose the most.
	run jq -c '[.strategies.rl.policy[] | .values[.logits | index(min)]]' "$M"
	assert_output '[1,8,1]'
	run jq -c '.strategies.rl | [.records, (.policy | map(.param)), (.policy[0].values | length), (.scores.values | length), (.scores.weights | add), (.scores.values == (.scores.values | sort)), has("warm")]' "$M"
	assert_output "[200,[\"A\",\"B\",\"C\"],8,$(jq -s 'map(select(.status == "ok")) | length' "$BATS_TEST_TMPDIR/h.jsonl"),$(jq -s 'map(select(.status == "ok")) | length' "$BATS_TEST_TMPDIR/h.jsonl"),true,false]"
}

@test "records the policy cannot learn from count, but leave it as it was" {
	ar-propose -s "$R" -n 20 --strategy random --seed 2 | measure "$R" >"$BATS_TEST_TMPDIR/h.jsonl"
	ar-learn -s "$R" -m "$M" "$BATS_TEST_TMPDIR/h.jsonl" >/dev/null
	jq -c '.strategies.rl' "$M" >"$BATS_TEST_TMPDIR/rl.json"
	# No status, an ok record without a score, an unknown status.
	{
		head -n 1 "$BATS_TEST_TMPDIR/h.jsonl" | jq -c 'del(.status)'
		head -n 1 "$BATS_TEST_TMPDIR/h.jsonl" | jq -c '.score = null'
		head -n 1 "$BATS_TEST_TMPDIR/h.jsonl" | jq -c '.status = "queued"'
	} >"$BATS_TEST_TMPDIR/odd.jsonl"
	run ar-learn -s "$R" -m "$M" "$BATS_TEST_TMPDIR/odd.jsonl"
	assert_success
	assert_output --partial '"evals":23,'
	run jq -c '.strategies.rl' "$M"
	assert_output "$(cat "$BATS_TEST_TMPDIR/rl.json")"
	# Read as a parsed record (CSV), the same.
	ar-learn -s "$R" -m "$BATS_TEST_TMPDIR/runs/csv.json" "$BATS_TEST_TMPDIR/h.jsonl" >/dev/null
	# (ar-score scores again: the record with a null score is left out.)
	sed 2d "$BATS_TEST_TMPDIR/odd.jsonl" | ar-score -s "$R" --csv >"$BATS_TEST_TMPDIR/odd.csv"
	ar-learn -s "$R" -m "$BATS_TEST_TMPDIR/runs/csv.json" "$BATS_TEST_TMPDIR/odd.csv" >/dev/null
	run jq -c '.strategies.rl' "$BATS_TEST_TMPDIR/runs/csv.json"
	assert_output "$(cat "$BATS_TEST_TMPDIR/rl.json")"
}

@test "rl proposes from the learned policy: better than random, deterministic under --seed" {
	ar-propose -s "$R" -n 60 --strategy random --seed 3 | measure "$R" >"$BATS_TEST_TMPDIR/h.jsonl"
	ar-learn -s "$R" -m "$M" "$BATS_TEST_TMPDIR/h.jsonl" >/dev/null
	ar-propose -s "$R" -m "$M" -H "$BATS_TEST_TMPDIR/h.jsonl" -n 16 --strategy rl --seed 4 >"$BATS_TEST_TMPDIR/rl.jsonl"
	ar-propose -s "$R" -m "$M" -H "$BATS_TEST_TMPDIR/h.jsonl" -n 16 --strategy random --seed 4 >"$BATS_TEST_TMPDIR/random.jsonl"
	run jq -s -c 'map(.strategy) | unique' "$BATS_TEST_TMPDIR/rl.jsonl"
	assert_output '["rl"]'
	# Sixteen new configurations, none of them in the history.
	run jq -s -c --slurpfile h "$BATS_TEST_TMPDIR/h.jsonl" '[length, (map(.id) | unique | length), ([.[].id] - [$h[].id] | length)]' "$BATS_TEST_TMPDIR/rl.jsonl"
	assert_output '[16,16,16]'
	dist='map(((.params.A - 6) | fabs) + ((.params.B - 3) | fabs) + ((.params.C - 7) | fabs)) | add'
	rl=$(jq -s "$dist" "$BATS_TEST_TMPDIR/rl.jsonl")
	random=$(jq -s "$dist" "$BATS_TEST_TMPDIR/random.jsonl")
	echo "distance to the optimum: rl $rl, random $random"
	[ "$rl" -lt $((random * 3 / 4)) ]
	run ar-propose -s "$R" -m "$M" -H "$BATS_TEST_TMPDIR/h.jsonl" -n 16 --strategy rl --seed 4
	assert_output "$(cat "$BATS_TEST_TMPDIR/rl.jsonl")"
	run ar-propose -s "$R" -m "$M" -H "$BATS_TEST_TMPDIR/h.jsonl" -n 16 --strategy rl --seed 5
	[ "$output" != "$(cat "$BATS_TEST_TMPDIR/rl.jsonl")" ]
}

@test "rl without a model, or with a model without a policy, proposes uniformly" {
	ar-propose -s "$R" -n 8 --strategy rl --seed 1 >"$BATS_TEST_TMPDIR/a.jsonl"
	ar-learn -s "$R" -m "$M" </dev/null >/dev/null
	run ar-propose -s "$R" -m "$M" -n 8 --strategy rl --seed 1
	assert_success
	assert_output "$(cat "$BATS_TEST_TMPDIR/a.jsonl")"
	run jq -s -c 'map(.id) | unique | length' "$BATS_TEST_TMPDIR/a.jsonl"
	assert_output 8
}

@test "the rl loop: ten rounds of rl find the optimum" {
	# The history exists before the first round: tee creates it as
	# ar-propose starts, and whichever came first decided whether round
	# 1 proposed anything (CI saw 72 evaluations instead of 80).
	: >"$BATS_TEST_TMPDIR/h.jsonl"
	for r in 1 2 3 4 5 6 7 8 9 10; do
		ar-propose -s "$R" -m "$M" -H "$BATS_TEST_TMPDIR/h.jsonl" -n 8 --strategy rl --seed 7 |
		    measure "$R" | tee -a "$BATS_TEST_TMPDIR/h.jsonl" |
		    ar-learn -s "$R" -m "$M" >/dev/null
	done
	run jq -c '[.evals, .best.params]' "$M"
	assert_output '[80,{"A":6,"B":3,"C":7}]'
	ar-learn -s "$R" -m "$BATS_TEST_TMPDIR/runs/re.json" --rebuild "$BATS_TEST_TMPDIR/h.jsonl" >/dev/null
	cmp "$M" "$BATS_TEST_TMPDIR/runs/re.json"
}

@test "a history of more than 1024 ok records: run by run gives the rebuild, byte for byte" {
	# Past 1024 ok scores the policy's rank sketch merges; the rl study
	# has 508 configurations, so each is measured three times.
	for seed in 1 2 3; do
		ar-propose -s "$R" -n 508 --strategy random --seed $seed | measure "$R"
	done >"$BATS_TEST_TMPDIR/h.jsonl"
	split -l 300 "$BATS_TEST_TMPDIR/h.jsonl" "$BATS_TEST_TMPDIR/part."
	for f in "$BATS_TEST_TMPDIR"/part.*; do
		ar-learn -s "$R" -m "$M" "$f" >/dev/null
	done
	ar-learn -s "$R" -m "$BATS_TEST_TMPDIR/runs/re.json" --rebuild "$BATS_TEST_TMPDIR/h.jsonl" >/dev/null
	cmp "$M" "$BATS_TEST_TMPDIR/runs/re.json"
	run jq -c '.strategies.rl | [.records, (.scores.values | length) < 1024, (.scores.weights | add)]' "$M"
	assert_output "[1524,true,$(jq -s 'map(select(.status == "ok")) | length' "$BATS_TEST_TMPDIR/h.jsonl")]"
}

# prior_history: a history of a related study (another name) in $P, 100
# configurations measured, four of them twice, and three failures.
prior_history() {
	P=$BATS_TEST_TMPDIR/prior.jsonl
	jq '.name = "learn-rl-other" | .source = "'"$FIX"'/learn/k.c"' "$R" >"$BATS_TEST_TMPDIR/other.json"
	{
		ar-propose -s "$BATS_TEST_TMPDIR/other.json" -n 100 --strategy random --seed 9 | measure "$BATS_TEST_TMPDIR/other.json"
		ar-propose -s "$BATS_TEST_TMPDIR/other.json" -n 4 --strategy random --seed 9 | jq -c '.status = "timeout"' | ar-score -s "$BATS_TEST_TMPDIR/other.json"
		echo '{"study":"learn-rl-other","params":{"A":2,"B":2,"C":2},"status":"wrong","score":null}'
	} >"$P"
}

@test "--prior writes the prior's points: ok ones best first with their quantile, then failures" {
	prior_history
	run --separate-stderr ar-learn -s "$R" -m "$M" --prior "$P" </dev/null
	assert_success
	[ -z "$stderr" ]
	assert_output '{"evals":0,"best":null,"improved":false}'
	run jq -c 'keys_unsorted' "$M"
	assert_output '["format","version","study","objective","evals","status","best","rounds","strategies","prior"]'
	run jq -c '.prior | [keys_unsorted, .history, .study, .records]' "$M"
	assert_output "[[\"history\",\"study\",\"records\",\"points\"],\"$P\",\"learn-rl-other\",105]"
	# The ok points: each configuration once, best first, q = 1 less the
	# share of the other ok records that score higher.
	run jq -c '[.prior.points[] | select(.q != null)] | [length, .[0].q, .[-1].q < 0.02, (map(.q) == (map(.q) | sort | reverse)), (map(.params) | unique | length)]' "$M"
	assert_output "[$(jq -s 'map(select(.status == "ok") | .params) | unique | length' "$P"),1,true,true,$(jq -s 'map(select(.status == "ok") | .params) | unique | length' "$P")]"
	run jq -c --slurpfile h "$P" '[$h[] | select(.status == "ok")] as $ok | [.prior.points[] | select(.q != null)] | map(. as $p | ([$ok[] | select(.params == $p.params)][0].score) as $s | ($p.q - (1 - ([$ok[] | select(.score > $s)] | length) / (($ok | length) - 1))) | fabs) | max < 1e-12' "$M"
	assert_output true
	# The failures last, in file order: the crashes (C=1) and the wrong
	# one; the configurations that timed out were measured ok too.
	run jq -c '[.prior.points[] | select(.q == null) | .params]' "$M"
	assert_output "$(jq -s -c 'map(select(.status == "ok") | .params) as $ok | reduce (.[] | select(.status != "ok") | .params) as $p ([]; if any($ok[], .[]; . == $p) then . else . + [$p] end)' "$P")"
	run jq -c '[.prior.points[] | select(.q == null) | .params] | [length, .[-1], (map(select(.C == 1)) | length)]' "$M"
	assert_output "[$(($(jq -s 'map(select(.status == "crash")) | length' "$P") + 1)),{\"A\":2,\"B\":2,\"C\":2},$(jq -s 'map(select(.status == "crash")) | length' "$P")]"
	run jq -c '.prior.points | map(.q == null) | . == sort' "$M"
	assert_output true
	# The policy learned the prior, which it keeps as "warm".
	run jq -c '.strategies.rl | [.records, .warm.records, (.policy | map(.logits)) == .warm.logits, .scores.values, .baseline]' "$M"
	assert_output '[105,105,true,[],0]'
	run jq -c "$argmax"' | [(.[0] - 6), (.[1] - 3), (.[2] - 7)] | map(fabs) | max <= 1' "$M"
	assert_output true
}

@test "a prior warms rl's proposals" {
	prior_history
	ar-learn -s "$R" -m "$M" --prior "$P" </dev/null >/dev/null
	ar-propose -s "$R" -m "$M" -n 16 --strategy rl --seed 4 >"$BATS_TEST_TMPDIR/warm.jsonl"
	ar-propose -s "$R" -n 16 --strategy rl --seed 4 >"$BATS_TEST_TMPDIR/cold.jsonl"
	dist='map(((.params.A - 6) | fabs) + ((.params.B - 3) | fabs) + ((.params.C - 7) | fabs)) | add'
	warm=$(jq -s "$dist" "$BATS_TEST_TMPDIR/warm.jsonl")
	cold=$(jq -s "$dist" "$BATS_TEST_TMPDIR/cold.jsonl")
	echo "distance to the optimum: warm $warm, cold $cold"
	[ "$warm" -lt $((cold / 2)) ]
}

@test "with a prior, run by run gives the rebuild, and a rebuild without --prior keeps it" {
	prior_history
	ar-propose -s "$R" -n 24 --strategy random --seed 5 | measure "$R" |
	    jq -c '.round = (if input_line_number <= 8 then 1 elif input_line_number <= 16 then 2 else 3 end)' >"$BATS_TEST_TMPDIR/h.jsonl"
	jq -c 'select(.round == 1)' "$BATS_TEST_TMPDIR/h.jsonl" | ar-learn -s "$R" -m "$M" --prior "$P" >/dev/null
	# Later rounds may leave --prior out, or give the same prior again.
	jq -c 'select(.round == 2)' "$BATS_TEST_TMPDIR/h.jsonl" | ar-learn -s "$R" -m "$M" >/dev/null
	run ar-learn -s "$R" -m "$M" --prior "$P" < <(jq -c 'select(.round == 3)' "$BATS_TEST_TMPDIR/h.jsonl")
	assert_success
	run ar-learn -s "$R" -m "$BATS_TEST_TMPDIR/runs/re.json" --rebuild --prior "$P" "$BATS_TEST_TMPDIR/h.jsonl"
	assert_success
	cmp "$M" "$BATS_TEST_TMPDIR/runs/re.json"
	# A rebuild of that model without --prior keeps its prior, even when
	# the prior's file is gone.
	cp "$M" "$BATS_TEST_TMPDIR/runs/keep.json"
	mv "$P" "$P.moved"
	run ar-learn -s "$R" -m "$BATS_TEST_TMPDIR/runs/keep.json" --rebuild "$BATS_TEST_TMPDIR/h.jsonl"
	assert_success
	cmp "$M" "$BATS_TEST_TMPDIR/runs/keep.json"
	# The same records under another path are the same prior.
	run ar-learn -s "$R" -m "$M" --prior "$P.moved" </dev/null
	assert_success
	run jq -r .prior.history "$M"
	assert_output "$P"
	# To drop the prior, rebuild into a new file.
	rm "$BATS_TEST_TMPDIR/runs/keep.json"
	ar-learn -s "$R" -m "$BATS_TEST_TMPDIR/runs/keep.json" --rebuild "$BATS_TEST_TMPDIR/h.jsonl" >/dev/null
	run jq -c '[has("prior"), (.strategies.rl | has("warm")), .strategies.rl.records]' "$BATS_TEST_TMPDIR/runs/keep.json"
	assert_output '[false,false,24]'
}

# misleading_prior: a history in $P of a study whose best region is far
# from learn-rl's (A=1, B=8, C=2 against A=6, B=3, C=7), so that its best
# points measure worse here than configurations drawn at random.
misleading_prior() {
	P=$BATS_TEST_TMPDIR/misleading.jsonl
	jq '.name = "learn-rl-other" | .source = "'"$FIX"'/learn/k.c"' "$R" >"$BATS_TEST_TMPDIR/other.json"
	ar-propose -s "$BATS_TEST_TMPDIR/other.json" -n 100 --strategy random --seed 9 |
	    jq -c '. + {status: "ok", time_s: (0.001 * pow(2; ((.params.A - 1) | fabs) + ((.params.B - 8) | fabs) + ((.params.C - 2) | fabs)))}' |
	    ar-score -s "$BATS_TEST_TMPDIR/other.json" >"$P"
}

# The prior's N best ok points, as params, one a line.
prior_best() {
	jq -c "[.prior.points[] | select(.q != null)][:$1][] | .params" "$M"
}

@test "a prior is tried on its four best points first, beside the strategy's own" {
	prior_history
	ar-learn -s "$R" -m "$M" --prior "$P" </dev/null >/dev/null
	for s in anneal ga bo auto; do
		run --separate-stderr ar-propose -s "$R" -m "$M" -n 8 --strategy $s --seed 3
		assert_success
		[ -z "$stderr" ]
		[ "$(jq -c .params <<<"$output" | head -n 4)" = "$(prior_best 4)" ] || fail "$s: $output"
		# The rest are the strategy's own: none is one of the prior's
		# eight best, which it used to propose all at once.
		[ "$(jq -c .params <<<"$output" | grep -cxFf <(prior_best 8))" = 4 ] || fail "$s: $output"
	done
}

@test "a prior whose points hold up against the search's own is kept" {
	prior_history
	ar-learn -s "$R" -m "$M" --prior "$P" </dev/null >/dev/null
	h=$BATS_TEST_TMPDIR/h.jsonl
	ar-propose -s "$R" -m "$M" -n 6 --strategy ga --seed 3 | measure "$R" >"$h"
	ar-learn -s "$R" -m "$M" "$h" >/dev/null
	# The round after the trial says so, once; ga, whose first
	# generation is not complete, goes on with the prior's next best.
	run --separate-stderr ar-propose -s "$R" -m "$M" -H "$h" -n 2 --strategy ga --seed 3
	assert_success
	bp=$(head -n 4 "$h" | jq -s 'map(.score) | max')
	bo=$(tail -n 2 "$h" | jq -s 'map(.score) | max')
	assert_equal "$stderr" "ar-propose: the prior holds up: the best of its 4 points measured here scores $bp, the search's own best $bo; it is kept"
	assert_equal "$(jq -c .params <<<"$output")" "$(prior_best 6 | tail -n 2)"
	ar-propose -s "$R" -m "$M" -H "$h" -n 2 --strategy ga --seed 3 | measure "$R" >>"$h"
	run --separate-stderr ar-propose -s "$R" -m "$M" -H "$h" -n 2 --strategy ga --seed 3
	assert_success
	[ -z "$stderr" ]
}

@test "a prior that misleads on its first measurements is set aside, and the search goes on as it would cold" {
	misleading_prior
	ar-learn -s "$R" -m "$M" --prior "$P" </dev/null >/dev/null
	h=$BATS_TEST_TMPDIR/h.jsonl
	ar-propose -s "$R" -m "$M" -n 6 --strategy ga --seed 3 | measure "$R" >"$h"
	[ "$(jq -c .params "$h" | head -n 4)" = "$(prior_best 4)" ]
	ar-learn -s "$R" -m "$M" "$h" >/dev/null
	# The same history without the prior.
	ar-learn -s "$R" -m "$BATS_TEST_TMPDIR/runs/cold.json" "$h" >/dev/null
	for s in ga anneal bo; do
		run --separate-stderr ar-propose -s "$R" -m "$M" -H "$h" -n 4 --strategy $s --seed 3
		assert_success
		[[ $stderr == "ar-propose: the prior misleads: the best of its 4 points measured here scores -"*", the search's own best -"*"; it is set aside" ]] || fail "$s: $stderr"
		[ "$output" = "$(ar-propose -s "$R" -m "$BATS_TEST_TMPDIR/runs/cold.json" -H "$h" -n 4 --strategy $s --seed 3)" ] || fail "$s: $output"
	done
	# Every one of the prior's points failing here sets it aside too.
	jq -c 'if .strategy == "ga" and input_line_number <= 4 then .status = "crash" | .score = null | del(.time_s, .objective) else . end' "$h" >"$BATS_TEST_TMPDIR/f.jsonl"
	run --separate-stderr ar-propose -s "$R" -m "$M" -H "$BATS_TEST_TMPDIR/f.jsonl" -n 2 --strategy ga --seed 3
	assert_success
	[[ $stderr == "ar-propose: the prior misleads: the best of its 4 points measured here scores none (all failed), the search's own best -"* ]] || fail "$stderr"
}

@test "--prior is refused on a model that learned without it, or with another prior" {
	prior_history
	ar-propose -s "$R" -n 8 --strategy random --seed 5 | measure "$R" >"$BATS_TEST_TMPDIR/h.jsonl"
	ar-learn -s "$R" -m "$M" "$BATS_TEST_TMPDIR/h.jsonl" >/dev/null
	cp "$M" "$BATS_TEST_TMPDIR/before.json"
	run --separate-stderr ar-learn -s "$R" -m "$M" --prior "$P" </dev/null
	assert_failure 2
	[ -z "$output" ]
	assert_equal "$stderr" "ar-learn: $M: the model has learned 8 records without a prior, which must come first (--rebuild --prior with the whole history replaces it)"
	cmp "$M" "$BATS_TEST_TMPDIR/before.json"
	ar-learn -s "$R" -m "$M" --rebuild --prior "$P" "$BATS_TEST_TMPDIR/h.jsonl" >/dev/null
	head -n 50 "$P" >"$BATS_TEST_TMPDIR/other-prior.jsonl"
	cp "$M" "$BATS_TEST_TMPDIR/before.json"
	run --separate-stderr ar-learn -s "$R" -m "$M" --prior "$BATS_TEST_TMPDIR/other-prior.jsonl" </dev/null
	assert_failure 2
	assert_equal "$stderr" "ar-learn: $M: the model was warmed with another prior, '$P' (--rebuild --prior replaces it)"
	cmp "$M" "$BATS_TEST_TMPDIR/before.json"
}

@test "a prior that is not scored records is refused with its file and line" {
	prior_history
	printf 'hello\nworld\n' >"$BATS_TEST_TMPDIR/text"
	head -n 3 "$P" >"$BATS_TEST_TMPDIR/p.jsonl"
	sed -n 4p "$P" | jq -c 'del(.params)' >>"$BATS_TEST_TMPDIR/p.jsonl"
	head -n 3 "$P" >"$BATS_TEST_TMPDIR/q.jsonl"
	sed -n 4p "$P" | jq -c 'del(.score)' >>"$BATS_TEST_TMPDIR/q.jsonl"
	{ head -n 2 "$P"; sed -n 3p "$P" | jq -c '.study = "third"'; } >"$BATS_TEST_TMPDIR/mixed.jsonl"
	{ head -n 2 "$P"; echo '{"params": '; } >"$BATS_TEST_TMPDIR/cut.jsonl"
	jq . "$P" >"$BATS_TEST_TMPDIR/pretty.json"
	for f in text p.jsonl q.jsonl mixed.jsonl cut.jsonl pretty.json; do
		run --separate-stderr ar-learn -s "$R" -m "$M" --prior "$BATS_TEST_TMPDIR/$f" </dev/null
		assert_failure 2
		[ -z "$output" ]
		case $f in
		text) want='2: no field "params" holding an object: not a record of a study' ;;
		p.jsonl) want='4: no field "params" holding an object: not a record of a study' ;;
		q.jsonl) want='4: no field "score": the record is not scored (ar-score adds it)' ;;
		mixed.jsonl) want="3: a record of study 'third', but the prior's are of study 'learn-rl-other'" ;;
		cut.jsonl) want='3: invalid JSON' ;;
		pretty.json) want='1: invalid JSON' ;;
		esac
		[[ $stderr == "ar-learn: $BATS_TEST_TMPDIR/$f:$want"* ]] || fail "$f: $stderr"
	done
	[ ! -e "$M" ]
	run --separate-stderr ar-learn -s "$R" -m "$M" --prior "$BATS_TEST_TMPDIR/none.jsonl" </dev/null
	assert_failure 2
	assert_equal "$stderr" "ar-learn: cannot open '$BATS_TEST_TMPDIR/none.jsonl': No such file or directory"
	: >"$BATS_TEST_TMPDIR/empty.jsonl"
	run --separate-stderr ar-learn -s "$R" -m "$M" --prior "$BATS_TEST_TMPDIR/empty.jsonl" </dev/null
	assert_failure 2
	assert_equal "$stderr" "ar-learn: $BATS_TEST_TMPDIR/empty.jsonl: no records (a prior is the scored history of a related study)"
	run --separate-stderr ar-learn -s "$R" -m "$M" --prior - </dev/null
	assert_failure 2
	[[ $stderr == *"ar-learn: the standard input can be read only once"* ]]
	[ ! -e "$M" ]
	# The prior from the standard input, the history from a file.
	run ar-learn -s "$R" -m "$M" --prior - /dev/null <"$P"
	assert_success
	run jq -r .prior.history "$M"
	[ "$output" = - ]
}

@test "a model of an older version is refused, and --rebuild upgrades it" {
	ar-learn -s "$S" -m "$M" < <(round 1) >/dev/null
	jq '.version = 1 | .strategies = {}' "$M" >"$BATS_TEST_TMPDIR/v1.json"
	mv "$BATS_TEST_TMPDIR/v1.json" "$M"
	cp "$M" "$BATS_TEST_TMPDIR/before.json"
	run --separate-stderr ar-learn -s "$S" -m "$M" < <(round 2)
	assert_failure 2
	assert_equal "$stderr" "ar-learn: $M: model format version 1 is older than this program's (2) (--rebuild upgrades it)"
	cmp "$M" "$BATS_TEST_TMPDIR/before.json"
	# ar-propose reads it (without a policy).
	run ar-propose -s "$S" -m "$M" -n 2 --strategy rl --seed 1
	assert_success
	run ar-learn -s "$S" -m "$M" --rebuild "$H"
	assert_success
	ar-learn -s "$S" -m "$BATS_TEST_TMPDIR/runs/new.json" "$H" >/dev/null
	cmp "$M" "$BATS_TEST_TMPDIR/runs/new.json"
}

@test "a model whose policy does not fit the study is refused; --rebuild replaces it" {
	ar-learn -s "$S" -m "$M" "$H" >/dev/null
	jq '.params.TILE += [128] | .source = "'"$FIX"'/learn/k.c"' "$S" >"$BATS_TEST_TMPDIR/changed.json"
	run --separate-stderr ar-learn -s "$BATS_TEST_TMPDIR/changed.json" -m "$M" </dev/null
	assert_failure 2
	assert_equal "$stderr" "ar-learn: $M: key \"strategies.rl.policy\": not a policy over the parameters and values of the study 'learn-mm' (the study changed?) (--rebuild replaces it)"
	jq '.strategies.rl.baseline = "x"' "$M" >"$BATS_TEST_TMPDIR/bad.json"
	run --separate-stderr ar-learn -s "$S" -m "$BATS_TEST_TMPDIR/bad.json" </dev/null
	assert_failure 2
	assert_equal "$stderr" "ar-learn: $BATS_TEST_TMPDIR/bad.json: key \"strategies.rl.baseline\": expected a number (--rebuild replaces it)"
	jq '.strategies.rl.scores.values |= reverse' "$M" >"$BATS_TEST_TMPDIR/bad.json"
	run --separate-stderr ar-learn -s "$S" -m "$BATS_TEST_TMPDIR/bad.json" </dev/null
	assert_failure 2
	[[ $stderr == *'key "strategies.rl.scores": expected ascending'* ]]
	run ar-learn -s "$BATS_TEST_TMPDIR/changed.json" -m "$M" --rebuild "$H"
	assert_success
	run jq -c '.strategies.rl.policy[0].values' "$M"
	assert_output '[8,16,32,64,128]'
}

@test "the model file and the summary line write reals as the shortest text that reads back" {
	# 3.821 is the double %.17g spells 3.8210000000000002.
	printf '%s\n' '{"study":"learn-mm","id":"cd09854f05f19ab5","round":1,"strategy":"random","params":{"TILE":16,"UNROLL":1},"status":"ok","time_s":3.821,"objective":3.821,"score":-3.821}' >"$BATS_TEST_TMPDIR/h.jsonl"
	run --separate-stderr ar-learn -s "$S" -m "$M" "$BATS_TEST_TMPDIR/h.jsonl"
	assert_success
	[ -z "$stderr" ]
	assert_output '{"evals":1,"best":{"id":"cd09854f05f19ab5","objective":3.821,"params":{"TILE":16,"UNROLL":1}},"improved":true}'
	run grep -E '"(objective|score|baseline)": ' "$M"
	assert_output "$(printf '%s\n' '  "objective": "minimize time_s",' \
	    '    "objective": 3.821,' '    "score": -3.821,' \
	    '      "baseline": 0.0,')"
}

@test "an infeasible record is a failure: counted after suspicious, never the best, and the policy steers away" {
	# The best record, measured ok but judged infeasible by ar-score, and
	# one of a status no stage writes.
	jq -c 'if .id == "'"$BEST2"'" then .status = "infeasible" | .score = null |
	    .error = "require \"TILE < 64\" not met (TILE = 64)" else . end' "$H" >"$BATS_TEST_TMPDIR/inf.jsonl"
	round 1 | head -n 1 | jq -c '.status = "aborted" | .score = null' >>"$BATS_TEST_TMPDIR/inf.jsonl"
	run --separate-stderr ar-learn -s "$S" -m "$M" "$BATS_TEST_TMPDIR/inf.jsonl"
	assert_success
	[ -z "$stderr" ]
	run jq -c '.status' "$M"
	assert_output '{"ok":5,"compile_error":1,"invalid":1,"wrong":1,"crash":1,"timeout":1,"suspicious":1,"infeasible":1,"aborted":1}'
	run jq -r '.best.id' "$M"
	assert_success
	[ "$output" != "$BEST2" ]
	# The policy learns it as it learns a crash.
	sed 's/"status":"infeasible"/"status":"crash"/' "$BATS_TEST_TMPDIR/inf.jsonl" >"$BATS_TEST_TMPDIR/crash.jsonl"
	ar-learn -s "$S" -m "$BATS_TEST_TMPDIR/runs/crash.json" "$BATS_TEST_TMPDIR/crash.jsonl" >/dev/null
	run jq -c '.strategies.rl' "$M"
	assert_output "$(jq -c '.strategies.rl' "$BATS_TEST_TMPDIR/runs/crash.json")"
}
