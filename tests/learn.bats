#!/usr/bin/env bats
# ar-learn: the model file, the best, the summary line, incremental runs
# against a rebuild, refusals, atomic writes and bad input.

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
	assert_output --partial "usage: ar-learn -s study -m model [--rebuild] [--keep-going] [file ...]"
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
	run jq -c '[.format, .version, .study, .objective, .evals, .rounds, .strategies]' "$M"
	assert_output '["autoresearch-model",1,"learn-mm","minimize time_s",12,3,{}]'
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
	assert_output "{\"evals\":4,\"best\":{\"id\":\"$BEST1\",\"objective\":0.0030000000000000001,\"params\":$(round 1 | sed -n 3p | jq -c .params)},\"improved\":true}"
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
	    '  "version": 1,' '  "study": "learn-mm",' \
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
	jq '.version = 2' "$M" >"$BATS_TEST_TMPDIR/v2.json"
	mv "$BATS_TEST_TMPDIR/v2.json" "$M"
	run --separate-stderr ar-learn -s "$S" -m "$M" </dev/null
	assert_failure 2
	assert_equal "$stderr" "ar-learn: $M: model format version 2 is newer than this program's (1) (--rebuild replaces it)"
	run ar-learn -s "$S" -m "$M" --rebuild "$H"
	assert_success
	run jq .version "$M"
	assert_output 1
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
	jq '.strategies = {"bo": {"theta": [0.5, 2]}} | .surrogate = {"kind": "gp"}' "$M" >"$BATS_TEST_TMPDIR/later.json"
	mv "$BATS_TEST_TMPDIR/later.json" "$M"
	run ar-learn -s "$S" -m "$M" < <(round 2)
	assert_success
	run jq -c '[.evals, .strategies, .surrogate, (keys_unsorted | last)]' "$M"
	assert_output '[8,{"bo":{"theta":[0.5,2]}},{"kind":"gp"},"surrogate"]'
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
