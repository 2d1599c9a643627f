#!/usr/bin/env bats
# ar-score: metrics, objective and score; nulls; field order; re-scoring;
# CSV; options and bad input.

load helper

S=$FIX/score/study.json
# Nine records as ar-bench writes them: ok (0.002 s, 0.004 s, 0.0025 s),
# crash, wrong, timeout, compile_error, suspicious, invalid.
BENCH=$FIX/score/bench.jsonl

# rec JSON: one record of the study with the fields given (the measured
# fields of a good run by default).
rec() {
	jq -cn --argjson more "${1:-{\}}" '{study: "mm", id: "0123456789abcdef",
	    round: 1, strategy: "grid", params: {TILE: 8, UNROLL: 2},
	    status: "ok", time_s: 0.002,
	    times: {n: 5, min: 0.0019, median: 0.002, mean: 0.00202, sd: 0.0001}}
	    + $more'
}

@test "--help prints the usage to stdout and exits 0" {
	run --separate-stderr ar-score --help
	assert_success
	assert_output --partial "usage: ar-score -s study [-D name=value] [--objective expr]"
	assert_output --partial "--keep-going"
	[ -z "$stderr" ]
}

@test "--version prints the version" {
	run ar-score --version
	assert_success
	assert_output --regexp '^ar-score [0-9]+\.[0-9]+\.[0-9]+$'
}

@test "no study is a usage error with the synopsis on stderr" {
	run --separate-stderr ar-score </dev/null
	assert_failure 2
	[ -z "$output" ]
	[[ $stderr == *"ar-score: no study given (-s)"* ]]
	[[ $stderr == *"usage: ar-score -s study"* ]]
}

@test "an unknown option is a usage error" {
	run --separate-stderr ar-score -s "$S" --bogus
	assert_failure 2
	[[ $stderr == *"usage: ar-score"* ]]
}

@test "reading the standard input twice is a usage error" {
	run --separate-stderr ar-score -s "$S" - - </dev/null
	assert_failure 2
	[[ $stderr == *"ar-score: the standard input can be read only once"* ]]
}

@test "a file that cannot be opened is an error" {
	run --separate-stderr ar-score -s "$S" "$BATS_TEST_TMPDIR/none.jsonl"
	assert_failure 2
	[ -z "$output" ]
	assert_equal "$stderr" "ar-score: cannot open '$BATS_TEST_TMPDIR/none.jsonl': No such file or directory"
}

@test "metrics follow the study's expressions, in its order" {
	run --separate-stderr ar-score -s "$S" "$BENCH"
	assert_success
	[ -z "$stderr" ]
	assert_jsonl
	run jq -c '.metrics' <<<"$output"
	assert_output "$(printf '%s\n' \
	    '{"gflops":1,"spread":0.05,"per_tile":0.125}' \
	    '{"gflops":0.5,"spread":0.05,"per_tile":0.0625}' \
	    '{"gflops":null,"spread":null,"per_tile":null}' \
	    '{"gflops":0.8,"spread":0.05,"per_tile":0.05}' \
	    '{"gflops":0.6666666666666666,"spread":0.05,"per_tile":0.041666666666666664}' \
	    '{"gflops":null,"spread":null,"per_tile":null}' \
	    '{"gflops":null,"spread":null,"per_tile":null}' \
	    '{"gflops":2000000,"spread":0.05,"per_tile":62500}' \
	    '{"gflops":null,"spread":null,"per_tile":null}')"
}

@test "-D changes the problem constants the metrics use" {
	run ar-score -s "$S" -D N=200 "$BENCH"
	assert_success
	run jq -c '.metrics.gflops' <<<"$(head -n 2 <<<"$output")"
	assert_output "$(printf '8\n4')"
	run --separate-stderr ar-score -s "$S" -D M=1 "$BENCH"
	assert_failure 2
	[ -z "$output" ]
	[[ $stderr == *"-D 'M=1': $S has no problem constant 'M'"* ]]
}

@test "minimize: the objective is the value and the score its negation" {
	run ar-score -s "$S" "$BENCH"
	assert_success
	run jq -c '[.status, .objective, .score]' <<<"$output"
	assert_output "$(printf '%s\n' '["ok",0.002,-0.002]' \
	    '["ok",0.004,-0.004]' '["crash",null,null]' \
	    '["ok",0.0025,-0.0025]' '["wrong",0.003,null]' \
	    '["timeout",null,null]' '["compile_error",null,null]' \
	    '["suspicious",1e-09,null]' '["invalid",null,null]')"
}

@test "maximize: --objective replaces the study's, and may name metrics" {
	for o in 'maximize metrics.gflops' 'maximize gflops'; do
		run ar-score -s "$S" --objective "$o" "$BENCH"
		assert_success
		run jq -c '[.objective, .score]' <<<"$(head -n 3 <<<"$output")"
		assert_output "$(printf '%s\n' '[1,1]' '[0.5,0.5]' '[null,null]')"
	done
	run ar-score -s "$S" --objective 'minimize times.min * 1000' "$BENCH"
	run jq -c '[.objective, .score]' <<<"$(head -n 1 <<<"$output")"
	assert_output '[1.9,-1.9]'
	# A parameter by its name and by its path is one field.
	run ar-score -s "$S" --objective 'maximize params.TILE * 10 + TILE' "$BENCH"
	run jq -c '[.objective, .score]' <<<"$(head -n 1 <<<"$output")"
	assert_output '[88,88]'
}

@test "a study's own maximize objective is used" {
	jq '.objective = "maximize per_tile * 8" | .source = "'"$FIX"'/score/k.c"' \
	    "$S" >"$BATS_TEST_TMPDIR/max.json"
	run ar-score -s "$BATS_TEST_TMPDIR/max.json" "$BENCH"
	assert_success
	run jq -c '[.objective, .score]' <<<"$(head -n 2 <<<"$output")"
	assert_output "$(printf '%s\n' '[1,1]' '[0.5,0.5]')"
}

@test "the best by score is the fastest under minimize and the fastest under maximize gflops" {
	a=$(ar-score -s "$S" "$BENCH" | jq -s -c 'map(select(.score != null)) | max_by(.score) | .id')
	b=$(ar-score -s "$S" --objective 'maximize gflops' "$BENCH" | jq -s -c 'map(select(.score != null)) | max_by(.score) | .id')
	[ "$a" = '"30ae2de3b2e383b1"' ]
	[ "$a" = "$b" ]
}

@test "a metric is null for a missing field, a division by zero, a string or NaN" {
	{
		rec '{"times": {"n": 5}}'
		rec '{"time_s": 0}'
		rec '{"time_s": "fast"}'
		rec '{"time_s": null}'
		rec '{"time_s": 0.002, "times": {"n": 1, "median": 0, "sd": 0}}'
		rec '{"params": {"TILE": 0, "UNROLL": 1}}'
		rec '{"times": [1, 2]}'
	} >"$BATS_TEST_TMPDIR/in.jsonl"
	run --separate-stderr ar-score -s "$S" "$BATS_TEST_TMPDIR/in.jsonl"
	assert_success
	[ -z "$stderr" ]
	run jq -c '[.metrics.gflops, .metrics.spread, .metrics.per_tile, .objective, .score]' <<<"$output"
	assert_output "$(printf '%s\n' \
	    '[1,null,0.125,0.002,-0.002]' \
	    '[null,0.05,null,0,0]' \
	    '[null,0.05,null,null,null]' \
	    '[null,0.05,null,null,null]' \
	    '[1,null,0.125,0.002,-0.002]' \
	    '[1,0.05,null,0.002,-0.002]' \
	    '[1,null,0.125,0.002,-0.002]')"
}

@test "the score is null when the objective is null, even for status ok" {
	rec '{"time_s": "n/a"}' >"$BATS_TEST_TMPDIR/in.jsonl"
	run --separate-stderr ar-score -s "$S" "$BATS_TEST_TMPDIR/in.jsonl"
	assert_success
	# Null for every record measured ok: said once (no field is missing).
	assert_equal "$stderr" "$(printf '%s\n' \
	    "ar-score: $S: key \"metrics.gflops\": null for the one ok record in '2 * N * N * N / time_s / 1e9'" \
	    "ar-score: $S: key \"metrics.per_tile\": null for the one ok record in 'gflops / TILE'" \
	    "ar-score: $S: key \"objective\": null for the one ok record in 'time_s'")"
	run jq -c '[.status, .objective, .score]' <<<"$output"
	assert_output '["ok",null,null]'
	# A domain error (what would be a NaN) is null too.
	rec >"$BATS_TEST_TMPDIR/in.jsonl"
	run --separate-stderr ar-score -s "$S" --objective 'maximize sqrt(0 - time_s)' "$BATS_TEST_TMPDIR/in.jsonl"
	assert_success
	assert_equal "$stderr" "ar-score: --objective: null for the one ok record in 'sqrt(0 - time_s)'"
	run jq -c '[.status, .objective, .score]' <<<"$output"
	assert_output '["ok",null,null]'
}

@test "the score is null for every status but ok, and for none" {
	for st in compile_error invalid wrong crash timeout suspicious other; do
		rec "{\"status\": \"$st\"}"
	done >"$BATS_TEST_TMPDIR/in.jsonl"
	rec | jq -c 'del(.status)' >>"$BATS_TEST_TMPDIR/in.jsonl"
	run ar-score -s "$S" "$BATS_TEST_TMPDIR/in.jsonl"
	assert_success
	run jq -c '[.status, .objective, .score]' <<<"$output"
	assert_output "$(printf '%s\n' '["compile_error",0.002,null]' \
	    '["invalid",0.002,null]' '["wrong",0.002,null]' \
	    '["crash",0.002,null]' '["timeout",0.002,null]' \
	    '["suspicious",0.002,null]' '["other",0.002,null]' \
	    '[null,0.002,null]')"
}

@test "integers stay integers, and a metric may be a number" {
	jq '.metrics = {"cells": "N * N", "half": "TILE / 2", "one": 1,
	    "rate": "cells / time_s"} | .source = "'"$FIX"'/score/k.c"' \
	    "$S" >"$BATS_TEST_TMPDIR/int.json"
	rec '{"time_s": 2}' >"$BATS_TEST_TMPDIR/in.jsonl"
	run ar-score -s "$BATS_TEST_TMPDIR/int.json" "$BATS_TEST_TMPDIR/in.jsonl"
	assert_success
	run jq -c '[.metrics, .objective, .score]' <<<"$output"
	assert_output '[{"cells":10000,"half":4,"one":1,"rate":5000},2,-2]'
}

@test "every other field passes through unchanged and in order" {
	printf '%s\n' '{"mine":"first","study":"mm","id":"x","params":{"TILE":8,"UNROLL":1},"status":"ok","time_s":0.5,"note":{"a":[1,2,{"b":null}],"c":"\u00e9\\n"},"last":true}' \
	    >"$BATS_TEST_TMPDIR/in.jsonl"
	run --separate-stderr ar-score -s "$S" "$BATS_TEST_TMPDIR/in.jsonl"
	assert_success
	assert_equal "$stderr" "ar-score: $S: key \"metrics.spread\": null for the one ok record (no ok record has fields \"times.sd\", \"times.median\") in 'times.sd / times.median'"
	assert_output '{"mine":"first","study":"mm","id":"x","params":{"TILE":8,"UNROLL":1},"status":"ok","time_s":0.5,"note":{"a":[1,2,{"b":null}],"c":"\u00e9\\n"},"last":true,"metrics":{"gflops":0.004,"spread":null,"per_tile":0.0005},"objective":0.5,"score":-0.5}'
}

@test "a record without a study field is scored; an empty object too" {
	printf '%s\n' '{}' '{"time_s":1}' >"$BATS_TEST_TMPDIR/in.jsonl"
	run ar-score -s "$S" --objective 'minimize time_s' "$BATS_TEST_TMPDIR/in.jsonl"
	assert_success
	assert_output "$(printf '%s\n' \
	    '{"metrics":{"gflops":null,"spread":null,"per_tile":null},"objective":null,"score":null}' \
	    '{"time_s":1,"metrics":{"gflops":0.002,"spread":null,"per_tile":null},"objective":1,"score":null}')"
}

@test "JSON with white space is read and written compact where it is scored" {
	printf '%s\n' '  { "study" : "mm", "status": "ok", "time_s" : 1 ,
"params" : { "TILE" : 8 } }  ' | tr -d '\n' >"$BATS_TEST_TMPDIR/in.jsonl"
	echo >>"$BATS_TEST_TMPDIR/in.jsonl"
	run --separate-stderr ar-score -s "$S" "$BATS_TEST_TMPDIR/in.jsonl"
	assert_success
	[[ $stderr == *'key "metrics.spread": null for the one ok record'* ]]
	assert_jsonl
	run jq -c '[.metrics.per_tile, .score]' <<<"$output"
	assert_output '[0.00025,-1]'
}

@test "re-scoring replaces metrics, objective and score where they are" {
	rec '{"metrics": {"old": 1}, "objective": 7, "score": 7, "host": "h"}' |
	    jq -c '{study, metrics, id, objective, round, score, params, status, time_s, times, host}' \
	    >"$BATS_TEST_TMPDIR/in.jsonl"
	run ar-score -s "$S" "$BATS_TEST_TMPDIR/in.jsonl"
	assert_success
	assert_output '{"study":"mm","metrics":{"gflops":1.0,"spread":0.05,"per_tile":0.125},"id":"0123456789abcdef","objective":0.002,"round":1,"score":-0.002,"params":{"TILE":8,"UNROLL":2},"status":"ok","time_s":0.002,"times":{"n":5,"min":0.0019,"median":0.002,"mean":0.00202,"sd":0.0001},"host":"h"}'
	# Scoring what is scored already changes nothing.
	printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/once.jsonl"
	run ar-score -s "$S" "$BATS_TEST_TMPDIR/once.jsonl"
	assert_output "$(cat "$BATS_TEST_TMPDIR/once.jsonl")"
}

@test "a history is re-scored under another objective" {
	ar-score -s "$S" "$BENCH" >"$BATS_TEST_TMPDIR/h.jsonl"
	run ar-score -s "$S" --objective 'maximize metrics.gflops' <"$BATS_TEST_TMPDIR/h.jsonl"
	assert_success
	run jq -c '[.objective, .score]' <<<"$output"
	assert_output "$(printf '%s\n' '[1,1]' '[0.5,0.5]' '[null,null]' \
	    '[0.8,0.8]' '[0.6666666666666666,null]' '[null,null]' \
	    '[null,null]' '[2000000,null]' '[null,null]')"
	# Everything but the three fields is as it was.
	a=$(jq -c 'del(.objective, .score)' "$BATS_TEST_TMPDIR/h.jsonl")
	b=$(jq -c 'del(.objective, .score)' <<<"$(ar-score -s "$S" --objective 'maximize gflops' "$BATS_TEST_TMPDIR/h.jsonl")")
	[ "$a" = "$b" ]
}

@test "--csv: a field the header lacks is left out, and said once" {
	# The library hands the warning to the program, which says it.
	{ rec; rec '{"extra": 1}'; rec '{"extra": 2}'; } >"$BATS_TEST_TMPDIR/in.jsonl"
	run --separate-stderr ar-score -s "$S" --csv "$BATS_TEST_TMPDIR/in.jsonl"
	assert_success
	assert_equal "$stderr" 'ar-score: field "extra" is not a column of the CSV header, left out'
	assert_equal "$(wc -l <<<"$output")" 4
}

@test "--csv writes the contract's columns, and reads back to the same records" {
	run --separate-stderr ar-score -s "$S" --csv "$BENCH"
	assert_success
	[ -z "$stderr" ]
	assert_line --index 0 'study,id,round,strategy,params.TILE,params.UNROLL,artifact,compile.status,compile.seconds,compile.log,status,time_s,times.n,times.min,times.median,times.mean,times.sd,verify.max_abs_err,verify.max_rel_err,ref_time_s,cost_s,host,metrics.gflops,metrics.spread,metrics.per_tile,objective,score,device,error'
	assert_line --index 1 'mm,30ae2de3b2e383b1,1,grid,8,1,cache/30/30ae2de3b2e383b1.so,ok,0.25,"",ok,0.002,5,0.0019,0.002,0.00202,0.0001,1.5e-6,2.5e-7,0.05,0.35,testhost,1.0,0.05,0.125,0.002,-0.002,,'
	assert_line --index 3 'mm,9dc30c1c482bf873,1,grid,8,4,cache/9d/9dc30c1c482bf873.so,ok,0.25,"",crash,,,,,,,,,,0.3,testhost,null,null,null,null,null,,signal 11'
	printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/s.csv"
	# The CSV read back gives the records scored from JSON lines, keys
	# sorted (a CSV header orders fields the first record lacked last).
	run ar-score -s "$S" "$BATS_TEST_TMPDIR/s.csv"
	assert_success
	a=$(jq -S -c . <<<"$output")
	b=$(ar-score -s "$S" "$BENCH" | jq -S -c .)
	[ "$a" = "$b" ]
}

@test "JSON lines scored as text and as parsed records agree byte for byte" {
	# Records with the same fields make the CSV trip keep their order.
	grep -v '"error"' "$BENCH" >"$BATS_TEST_TMPDIR/in.jsonl"
	a=$(ar-score -s "$S" "$BATS_TEST_TMPDIR/in.jsonl")
	b=$(ar-score -s "$S" --csv "$BATS_TEST_TMPDIR/in.jsonl" | ar-score -s "$S")
	[ -n "$a" ]
	[ "$a" = "$b" ]
	a=$(ar-score -s "$S" -D N=7 --objective 'maximize per_tile' "$BATS_TEST_TMPDIR/in.jsonl")
	b=$(ar-score -s "$S" --csv "$BATS_TEST_TMPDIR/in.jsonl" | ar-score -s "$S" -D N=7 --objective 'maximize per_tile')
	[ "$a" = "$b" ]
}

@test "an empty input writes nothing, or a CSV header" {
	run --separate-stderr ar-score -s "$S" </dev/null
	assert_success
	[ -z "$output" ]
	[ -z "$stderr" ]
	run ar-score -s "$S" --csv </dev/null
	assert_success
	assert_output 'study,id,round,strategy,params.TILE,params.UNROLL,artifact,compile.status,compile.seconds,compile.log,status,time_s,times.n,times.min,times.median,times.mean,times.sd,verify.max_abs_err,verify.max_rel_err,ref_time_s,cost_s,host,device,error,metrics.gflops,metrics.spread,metrics.per_tile,objective,score'
}

@test "several files are read in turn, JSON lines and CSV alike" {
	head -n 2 "$BENCH" >"$BATS_TEST_TMPDIR/a.jsonl"
	sed -n 3,4p "$BENCH" | ar-score -s "$S" --csv >"$BATS_TEST_TMPDIR/b.csv"
	run ar-score -s "$S" "$BATS_TEST_TMPDIR/a.jsonl" "$BATS_TEST_TMPDIR/b.csv"
	assert_success
	run jq -r '.id' <<<"$output"
	assert_output "$(head -n 4 "$BENCH" | jq -r .id)"
}

@test "a malformed line stops the run with its file and line; what came before is written" {
	{ head -n 2 "$BENCH"; echo '{"study": "mm",'; sed -n 3p "$BENCH"; } >"$BATS_TEST_TMPDIR/bad.jsonl"
	run --separate-stderr ar-score -s "$S" "$BATS_TEST_TMPDIR/bad.jsonl"
	assert_failure 2
	[ "$(wc -l <<<"$output")" -eq 2 ]
	assert_jsonl
	assert_equal "$stderr" "ar-score: $BATS_TEST_TMPDIR/bad.jsonl:3: invalid JSON at column 16: expected a string key"
	run --separate-stderr ar-score -s "$S" <"$BATS_TEST_TMPDIR/bad.jsonl"
	assert_failure 2
	assert_equal "$stderr" "ar-score: <stdin>:3: invalid JSON at column 16: expected a string key"
}

@test "a line that is not an object, or has a key twice, is bad input" {
	printf '%s\n' "$(rec)" '[1]' >"$BATS_TEST_TMPDIR/a.jsonl"
	run --separate-stderr ar-score -s "$S" "$BATS_TEST_TMPDIR/a.jsonl"
	assert_failure 2
	assert_equal "$stderr" "ar-score: $BATS_TEST_TMPDIR/a.jsonl:2: not a JSON object"
	printf '%s\n' '{"status":"ok","status":"crash"}' >"$BATS_TEST_TMPDIR/b.jsonl"
	run --separate-stderr ar-score -s "$S" "$BATS_TEST_TMPDIR/b.jsonl"
	assert_failure 2
	assert_equal "$stderr" "ar-score: $BATS_TEST_TMPDIR/b.jsonl:1: invalid JSON at column 16: duplicate key \"status\""
}

@test "a record of another study is bad input; --keep-going drops it with a warning" {
	{ head -n 1 "$BENCH"; sed -n 2p "$BENCH" | jq -c '.study = "other"'; sed -n 3p "$BENCH"; } >"$BATS_TEST_TMPDIR/mixed.jsonl"
	run --separate-stderr ar-score -s "$S" "$BATS_TEST_TMPDIR/mixed.jsonl"
	assert_failure 2
	[ "$(wc -l <<<"$output")" -eq 1 ]
	assert_equal "$stderr" "ar-score: $BATS_TEST_TMPDIR/mixed.jsonl:2: a record of study 'other', not 'mm'"
	run --separate-stderr ar-score -s "$S" --keep-going "$BATS_TEST_TMPDIR/mixed.jsonl"
	assert_success
	assert_equal "$stderr" "ar-score: $BATS_TEST_TMPDIR/mixed.jsonl:2: a record of study 'other', not 'mm'; skipped"
	run jq -r .id <<<"$output"
	assert_output "$(printf '%s\n' 30ae2de3b2e383b1 9dc30c1c482bf873)"
	# The same from CSV.
	ar-score -s "$S" --csv "$BATS_TEST_TMPDIR/mixed.jsonl" --keep-going \
	    2>/dev/null >"$BATS_TEST_TMPDIR/m.csv"
	sed -i 's/^mm,9dc3/zz,9dc3/' "$BATS_TEST_TMPDIR/m.csv"
	run --separate-stderr ar-score -s "$S" "$BATS_TEST_TMPDIR/m.csv"
	assert_failure 2
	assert_equal "$stderr" "ar-score: $BATS_TEST_TMPDIR/m.csv:3: a record of study 'zz', not 'mm'"
}

@test "--keep-going goes on past malformed lines and CSV rows" {
	{ echo '{"study":'; head -n 1 "$BENCH"; echo 'nonsense'; sed -n 2p "$BENCH"; } >"$BATS_TEST_TMPDIR/bad.jsonl"
	run --separate-stderr ar-score -s "$S" --keep-going "$BATS_TEST_TMPDIR/bad.jsonl"
	assert_success
	[ "$(wc -l <<<"$output")" -eq 2 ]
	[ "$(wc -l <<<"$stderr")" -eq 2 ]
	[[ $stderr == *"bad.jsonl:1: invalid JSON at column 10: unexpected end of text; skipped"* ]]
	[[ $stderr == *"bad.jsonl:3: not a JSON object; skipped"* ]]
	printf 'study,time_s\nmm,1\nmm\nmm,2\n' >"$BATS_TEST_TMPDIR/bad.csv"
	run --separate-stderr ar-score -s "$S" --keep-going "$BATS_TEST_TMPDIR/bad.csv"
	assert_success
	assert_equal "$stderr" "ar-score: $BATS_TEST_TMPDIR/bad.csv:3: expected 2 fields, found 1; skipped"
	run jq -c .objective <<<"$output"
	assert_output "$(printf '1\n2')"
}

@test "--keep-going still stops at input that cannot be read on" {
	printf 'study,time_s\nmm,1\nmm,"2\n' >"$BATS_TEST_TMPDIR/bad.csv"
	run --separate-stderr ar-score -s "$S" --keep-going "$BATS_TEST_TMPDIR/bad.csv"
	assert_failure 2
	[ "$(wc -l <<<"$output")" -eq 1 ]
	assert_equal "$stderr" "ar-score: $BATS_TEST_TMPDIR/bad.csv:3: unterminated quoted field; skipped"
}

@test "a bad --objective is refused with the expression and why" {
	run --separate-stderr ar-score -s "$S" --objective 'minimize time_s +' </dev/null
	assert_failure 2
	[ -z "$output" ]
	assert_equal "$stderr" "ar-score: --objective: unexpected end of expression in 'time_s +'"
	run --separate-stderr ar-score -s "$S" --objective 'fastest' </dev/null
	assert_failure 2
	assert_equal "$stderr" "ar-score: --objective 'fastest': expected \"minimize EXPR\" or \"maximize EXPR\""
	run --separate-stderr ar-score -s "$S" --objective 'maximize metrics.gflps' </dev/null
	assert_failure 2
	assert_equal "$stderr" "ar-score: --objective: unknown metric 'gflps' (the study's metrics: gflops, spread, per_tile) in 'metrics.gflps'"
	run --separate-stderr ar-score -s "$S" --objective 'maximize score' </dev/null
	assert_failure 2
	assert_equal "$stderr" "ar-score: --objective: 'score' cannot be read: ar-score computes 'score' in 'score'"
	run --separate-stderr ar-score -s "$S" --objective 'minimize time_s..x' </dev/null
	assert_failure 2
	assert_equal "$stderr" "ar-score: --objective: 'time_s..x' is not a field name in 'time_s..x'"
}

@test "a metric may name only the metrics before it" {
	jq '.metrics = {"a": "b * 2", "b": "time_s"} | .source = "'"$FIX"'/score/k.c"' \
	    "$S" >"$BATS_TEST_TMPDIR/order.json"
	run --separate-stderr ar-score -s "$BATS_TEST_TMPDIR/order.json" </dev/null
	assert_failure 2
	assert_equal "$stderr" "ar-score: $BATS_TEST_TMPDIR/order.json: key \"metrics.a\": metric 'b' is computed after 'a' (a metric may name only the metrics before it) in 'b * 2'"
	jq '.metrics = {"a": "metrics.a + 1"} | .source = "'"$FIX"'/score/k.c"' \
	    "$S" >"$BATS_TEST_TMPDIR/self.json"
	run --separate-stderr ar-score -s "$BATS_TEST_TMPDIR/self.json" </dev/null
	assert_failure 2
	assert_equal "$stderr" "ar-score: $BATS_TEST_TMPDIR/self.json: key \"metrics.a\": metric 'a' names itself in 'metrics.a + 1'"
	jq '.metrics = {"N": "time_s"} | .source = "'"$FIX"'/score/k.c"' \
	    "$S" >"$BATS_TEST_TMPDIR/clash.json"
	run --separate-stderr ar-score -s "$BATS_TEST_TMPDIR/clash.json" </dev/null
	assert_failure 2
	assert_equal "$stderr" "ar-score: $BATS_TEST_TMPDIR/clash.json: key \"metrics.N\": a metric may not have the name of a parameter or a problem constant"
}

@test "a command's output fields and string fields can be named" {
	jq '.metrics = {"ratio": "output.ratio * 100", "fast": "host == \"a\" ? 1 : 0"} |
	    .objective = "maximize ratio" | .source = "'"$FIX"'/score/k.c"' \
	    "$S" >"$BATS_TEST_TMPDIR/cmd.json"
	{
		rec '{"output": {"ratio": 0.25}, "host": "a"}'
		rec '{"output": {"ratio": true}, "host": "b"}'
		rec '{"output": "none"}'
	} >"$BATS_TEST_TMPDIR/in.jsonl"
	run ar-score -s "$BATS_TEST_TMPDIR/cmd.json" "$BATS_TEST_TMPDIR/in.jsonl"
	assert_success
	run jq -c '[.metrics, .score]' <<<"$output"
	assert_output "$(printf '%s\n' '[{"ratio":25,"fast":1},25]' \
	    '[{"ratio":100,"fast":0},100]' '[{"ratio":null,"fast":null},null]')"
}

@test "a reader that leaves early ends ar-score quietly" {
	for i in $(seq 2000); do cat "$BENCH"; done >"$BATS_TEST_TMPDIR/big.jsonl"
	run bash -c 'ar-score -s "$1" "$2" | head -n 1; echo "${PIPESTATUS[0]}" >"$3"' _ \
	    "$S" "$BATS_TEST_TMPDIR/big.jsonl" "$BATS_TEST_TMPDIR/rc"
	assert_success
	assert_output "$(ar-score -s "$S" "$BENCH" | head -n 1)"
	# Killed by SIGPIPE (141) or gone with status 0: no message either way.
	run cat "$BATS_TEST_TMPDIR/rc"
	assert_output --regexp '^(0|141)$'
}

@test "reals are written as the shortest text that reads back, in JSON lines and CSV" {
	# 3.821 is the double %.17g spells 3.8210000000000002.
	rec '{"time_s": 3.821, "times": {"n": 1, "min": 3.821, "median": 3.821,
	    "mean": 3.821, "sd": 0.1}}' >"$BATS_TEST_TMPDIR/in.jsonl"
	run --separate-stderr ar-score -s "$S" "$BATS_TEST_TMPDIR/in.jsonl"
	assert_success
	[ -z "$stderr" ]
	assert_output --partial '"metrics":{"gflops":0.0005234231876472127,"spread":0.02617115938236064,"per_tile":6.542789845590159e-5},"objective":3.821,"score":-3.821}'
	run --separate-stderr ar-score -s "$S" --csv "$BATS_TEST_TMPDIR/in.jsonl"
	assert_success
	[ -z "$stderr" ]
	assert_line --index 1 --partial ',ok,3.821,1,3.821,3.821,3.821,0.1,0.0005234231876472127,0.02617115938236064,6.542789845590159e-5,3.821,-3.821,'
	# Read back, each is the same double: the CSV's scores are the JSON's.
	run ar-score -s "$S" --csv "$BATS_TEST_TMPDIR/in.jsonl"
	printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/in.csv"
	run ar-score -s "$S" "$BATS_TEST_TMPDIR/in.csv"
	assert_output --partial '"objective":3.821,"score":-3.821}'
}

# req_study JQ: the study with JQ applied to it, in $BATS_TEST_TMPDIR/r.json
# ($R).
req_study() {
	R=$BATS_TEST_TMPDIR/r.json
	jq "$1"' | .source = "'"$FIX"'/score/k.c"' "$S" >"$R"
}

@test "an expression null for every ok record is said once, naming the field no record has" {
	req_study '.metrics.ratio = "output.ratoi * 2" | .objective = "minimize time_x"'
	run --separate-stderr ar-score -s "$R" "$BENCH"
	assert_success
	assert_equal "$stderr" "$(printf '%s\n' \
	    "ar-score: $R: key \"metrics.ratio\": null for all 3 ok records (no ok record has field \"output.ratoi\") in 'output.ratoi * 2'" \
	    "ar-score: $R: key \"objective\": null for all 3 ok records (no ok record has field \"time_x\") in 'time_x'")"
	# Every record is written, whole, as ever.
	assert_jsonl
	run jq -c '[.status, .metrics.ratio, .objective, .score]' <<<"$output"
	[ "${#lines[@]}" -eq 9 ]
	assert_line --index 0 '["ok",null,null,null]'
	# Through a metric, from --objective, and from CSV: the same.
	run --separate-stderr ar-score -s "$R" --objective 'maximize ratio / 2' --csv "$BENCH"
	assert_success
	assert_equal "$stderr" "$(printf '%s\n' \
	    "ar-score: $R: key \"metrics.ratio\": null for all 3 ok records (no ok record has field \"output.ratoi\") in 'output.ratoi * 2'" \
	    "ar-score: --objective: null for all 3 ok records (no ok record has field \"output.ratoi\") in 'ratio / 2'")"
	[ "${#lines[@]}" -eq 10 ]
	# A field only some ok records have is no mistake.
	req_study '.metrics.ratio = "output.ratio"'
	{
		rec '{"output": {"ratio": 2}}'
		rec
		rec '{"status": "crash", "time_s": null}'
	} >"$BATS_TEST_TMPDIR/in.jsonl"
	run --separate-stderr ar-score -s "$R" "$BATS_TEST_TMPDIR/in.jsonl"
	assert_success
	[ -z "$stderr" ]
	run jq -c '.metrics.ratio' <<<"$output"
	assert_output "$(printf '2\nnull\nnull')"
	# Only failures: nothing was measured ok, nothing to say.
	run --separate-stderr ar-score -s "$R" --objective 'minimize time_x' <(jq -c 'select(.status != "ok")' "$BENCH")
	assert_success
	[ -z "$stderr" ]
	[ "${#lines[@]}" -eq 6 ]
}

@test "require: a record measured ok that fails one is infeasible, with the values it saw" {
	req_study '.require = ["output.ratio >= 5", "gflops > 0.5"]'
	{
		rec '{"output": {"ratio": 3.5}}'
		rec '{"output": {"ratio": 6}}'
		rec
		rec '{"output": {"ratio": 6}, "time_s": 0.004}'
		rec '{"status": "crash", "output": {"ratio": 1}, "error": "signal 11"}'
		rec '{"output": {"ratio": "high"}}'
	} >"$BATS_TEST_TMPDIR/in.jsonl"
	run --separate-stderr ar-score -s "$R" "$BATS_TEST_TMPDIR/in.jsonl"
	assert_success
	[ -z "$stderr" ]
	assert_jsonl
	# The error goes before the fields ar-score adds; metrics and
	# objective are as ever, the score null.
	run jq -c 'keys_unsorted' <<<"$(head -n 1 <<<"$output")"
	assert_output '["study","id","round","strategy","params","status","time_s","times","output","error","metrics","objective","score"]'
	ar-score -s "$R" "$BATS_TEST_TMPDIR/in.jsonl" >"$BATS_TEST_TMPDIR/once.jsonl"
	run jq -c '[.status, .error, .objective, .score]' "$BATS_TEST_TMPDIR/once.jsonl"
	assert_output "$(printf '%s\n' \
	    '["infeasible","require \"output.ratio >= 5\" not met (output.ratio = 3.5)",0.002,null]' \
	    '["ok",null,0.002,-0.002]' \
	    '["infeasible","require \"output.ratio >= 5\" not met (output.ratio missing)",0.002,null]' \
	    '["infeasible","require \"gflops > 0.5\" not met (gflops = 0.5)",0.004,null]' \
	    '["crash","signal 11",0.002,null]' \
	    '["infeasible","require \"output.ratio >= 5\" not met (output.ratio = \"high\": string where a number is needed in '"'>='"')",0.002,null]')"
	# Parsed records (CSV) are judged alike.
	run ar-score -s "$R" <(ar-score -s "$S" --csv "$BATS_TEST_TMPDIR/in.jsonl")
	assert_success
	a=$(jq -S -c . <<<"$output")
	b=$(jq -S -c . "$BATS_TEST_TMPDIR/once.jsonl")
	[ "$a" = "$b" ]
}

@test "require: re-scoring changes nothing, and a history is judged again under another require" {
	req_study '.require = ["output.ratio >= 5"]'
	{
		rec '{"output": {"ratio": 3.5}}'
		rec '{"output": {"ratio": 6}}'
		rec '{"status": "crash", "error": "signal 11"}'
	} | ar-score -s "$R" >"$BATS_TEST_TMPDIR/once.jsonl"
	run ar-score -s "$R" "$BATS_TEST_TMPDIR/once.jsonl"
	assert_success
	assert_output "$(cat "$BATS_TEST_TMPDIR/once.jsonl")"
	# Without the requirement the infeasible record is ok again, its
	# error gone: the record as scored from the start.
	run --separate-stderr ar-score -s "$S" "$BATS_TEST_TMPDIR/once.jsonl"
	assert_success
	[ "$(head -n 1 <<<"$output")" = "$(rec '{"output": {"ratio": 3.5}}' | ar-score -s "$S")" ]
	run jq -c '[.status, .error, .score]' <<<"$output"
	assert_output "$(printf '%s\n' '["ok",null,-0.002]' '["ok",null,-0.002]' '["crash","signal 11",null]')"
	# A stricter one makes both infeasible; from CSV too.
	req_study '.require = ["output.ratio >= 10"]'
	ar-score -s "$S" --csv "$BATS_TEST_TMPDIR/once.jsonl" >"$BATS_TEST_TMPDIR/once.csv"
	for f in once.jsonl once.csv; do
		run ar-score -s "$R" "$BATS_TEST_TMPDIR/$f"
		assert_success
		run jq -c '[.status, .error, .score]' <<<"$output"
		assert_output "$(printf '%s\n' \
		    '["infeasible","require \"output.ratio >= 10\" not met (output.ratio = 3.5)",null]' \
		    '["infeasible","require \"output.ratio >= 10\" not met (output.ratio = 6)",null]' \
		    '["crash","signal 11",null]')"
	done
}

@test "require: a misspelt field makes every record infeasible and is said once" {
	req_study '.require = ["output.ratoi >= 5"]'
	rec '{"output": {"ratio": 6}}' >"$BATS_TEST_TMPDIR/in.jsonl"
	rec '{"output": {"ratio": 7}}' >>"$BATS_TEST_TMPDIR/in.jsonl"
	run --separate-stderr ar-score -s "$R" "$BATS_TEST_TMPDIR/in.jsonl"
	assert_success
	assert_equal "$stderr" "ar-score: $R: key \"require[0]\": null for all 2 ok records (no ok record has field \"output.ratoi\") in 'output.ratoi >= 5'"
	run jq -c '[.status, .error]' <<<"$output"
	assert_output "$(printf '%s\n' \
	    '["infeasible","require \"output.ratoi >= 5\" not met (output.ratoi missing)"]' \
	    '["infeasible","require \"output.ratoi >= 5\" not met (output.ratoi missing)"]')"
}

@test "require: a bad key is refused when the study is read, naming require[i]" {
	for bad in '"output.ratio >= 5"' '["ok", 5]' '["output.ratio >="]' '["TILE >"]'; do
		req_study ".require = $bad"
		for prog in ar-score ar-propose ar-learn; do
			run --separate-stderr $prog -s "$R" -m "$BATS_TEST_TMPDIR/m.json" </dev/null
			[ "$prog" != ar-score ] || run --separate-stderr $prog -s "$R" </dev/null
			[ "$prog" != ar-propose ] || run --separate-stderr $prog -s "$R" -n 1
			assert_failure 2
			[ -z "$output" ]
			case $bad in
			'"output'*) assert_equal "$stderr" "$prog: $R: key \"require\": expected an array, found a string" ;;
			'["ok"'*) assert_equal "$stderr" "$prog: $R: key \"require[1]\": expected an expression (a string), found an integer" ;;
			'["output'*) assert_equal "$stderr" "$prog: $R: key \"require[0]\": unexpected end of expression in 'output.ratio >='" ;;
			*) assert_equal "$stderr" "$prog: $R: key \"require[0]\": unexpected end of expression in 'TILE >'" ;;
			esac
		done
	done
	# What ar-score computes cannot be required.
	req_study '.require = ["time_s > 0", "score > 1"]'
	run --separate-stderr ar-score -s "$R" </dev/null
	assert_failure 2
	assert_equal "$stderr" "ar-score: $R: key \"require[1]\": 'score' cannot be read: ar-score computes 'score' in 'score > 1'"
}

# summary RECORDS...: the records scored under $R into OUT's history, the
# model learned from it, and what pipelines/summary.sh (tune.mk's last
# words) says of OUT ($O).
summary() {
	O=$BATS_TEST_TMPDIR/out
	mkdir -p "$O"
	ar-score -s "$R" "$@" 2>/dev/null >"$O/history.jsonl"
	ar-learn -s "$R" -m "$O/model.json" --rebuild "$O/history.jsonl" >/dev/null
	run --separate-stderr "$ROOT/pipelines/summary.sh" "$O"
}

@test "the summary says why no record has a score: none ok, a null objective, or infeasible" {
	req_study .
	summary <(jq -c 'select(.status != "ok")' "$BENCH")
	assert_success
	[ -z "$stderr" ]
	assert_output "$(printf '%s\n' \
	    "no configuration measured ok in $O/history.jsonl (6 evaluations)" \
	    "6 evaluations in 1 round, 1.65 s of measured cost (cost_s)")"
	# All measured ok, but the objective names a field none has.
	req_study '.objective = "minimize time_x"'
	summary "$BENCH"
	assert_success
	assert_line --index 0 "no configuration has a score in $O/history.jsonl (9 evaluations): the objective (minimize time_x) is null for all 3 records measured ok (see ar-score's warning)"
	# All measured ok, none meets the study's require.
	req_study '.require = ["time_s < 0.001"]'
	summary "$BENCH"
	assert_success
	assert_line --index 0 "no configuration has a score in $O/history.jsonl (9 evaluations): 3 measured ok but infeasible (a requirement of the study not met: see their error)"
	# Both.
	req_study '.require = ["TILE < 16"] | .objective = "minimize time_x"'
	summary "$BENCH"
	assert_success
	assert_line --index 0 "no configuration has a score in $O/history.jsonl (9 evaluations): the objective (minimize time_x) is null for all 2 records measured ok (see ar-score's warning); 1 measured ok but infeasible (a requirement of the study not met: see their error)"
	# The best, when there is one, counts the infeasible among the rest.
	req_study '.require = ["TILE < 16", "time_s > 0.002"]'
	summary "$BENCH"
	assert_success
	assert_output "$(printf '%s\n' \
	    'best of 9 evaluations (1 ok, 1 compile_error, 1 invalid, 1 wrong, 1 crash, 1 timeout, 1 suspicious, 2 infeasible):' \
	    '  TILE=8 UNROLL=2' \
	    '  objective 0.004  gflops 0.5  spread 0.05  per_tile 0.0625' \
	    "  id 5ee66b1d9b1f2fe7, record at $O/history.jsonl:2" \
	    '9 evaluations in 1 round, 2.7 s of measured cost (cost_s)')"
}

@test "the summary writes each number as the shortest text that reads back to it" {
	# A model file whose numbers have 17 digits where fewer read back to
	# the same double (as ar-learn wrote them before): jq 1.6 shortens
	# them itself, jq 1.7 keeps a number's text as it was read.
	req_study .
	summary "$BENCH"
	sed -i 's/"objective": 0\.002,/"objective": 0.0020000000000000000,/; s/"spread": 0\.05,/"spread": 0.050000000000000003,/' "$O/model.json"
	grep -q '"spread": 0.050000000000000003,' "$O/model.json"
	run --separate-stderr "$ROOT/pipelines/summary.sh" "$O"
	assert_success
	assert_line --index 2 '  objective 0.002  gflops 1  spread 0.05  per_tile 0.125'
}

# Several objectives: the study minimises time and maximises TILE (as if
# a larger tile were worth something of its own).
mo_study() {
	req_study 'del(.objective) | .objectives = ["minimize time_s", "maximize TILE"]'"${1:+ | $1}"
}

# mo_rec TILE TIME [MORE]: a record measured ok with those values.
mo_rec() {
	rec "$(jq -cn --argjson t "$1" --argjson s "$2" --argjson m "${3:-{\}}" \
	    '{params: {TILE: $t, UNROLL: 1}, time_s: $s} + $m')"
}

@test "objectives: each record gets their values, its Pareto rank among the others, and minus it as its score" {
	mo_study
	run --separate-stderr ar-score -s "$R" < <(mo_rec 8 0.001; mo_rec 16 0.002;
	    mo_rec 32 0.001; mo_rec 8 0.003; mo_rec 32 0.004 '{"status": "crash"}';
	    mo_rec 16 0.001)
	assert_success
	[ -z "$stderr" ] || fail "stderr: $stderr"
	assert_jsonl
	run jq -c '[.objectives, .objective, .pareto, .score]' <<<"$output"
	# (32, 1 ms) beats every other; (16, 1 ms) is beaten by it alone, and
	# beats (8, 1 ms) and (16, 2 ms), which beat (8, 3 ms).  A crash has
	# its values, as its objective, but no rank.
	assert_output "$(printf '%s\n' '[[0.001,8],0.001,3,-3]' '[[0.002,16],0.002,3,-3]' \
	    '[[0.001,32],0.001,1,-1]' '[[0.003,8],0.003,4,-4]' '[[0.004,32],0.004,null,null]' \
	    '[[0.001,16],0.001,2,-2]')"
}

@test "objectives: --against ranks the records among a history's, which it does not write" {
	mo_study
	ar-score -s "$R" < <(mo_rec 32 0.001; mo_rec 8 0.003) >"$BATS_TEST_TMPDIR/h.jsonl"
	run --separate-stderr ar-score -s "$R" --against "$BATS_TEST_TMPDIR/h.jsonl" \
	    < <(mo_rec 16 0.002; mo_rec 32 0.0005)
	assert_success
	# (32, 0.5 ms) beats (32, 1 ms), which beats (16, 2 ms).
	run jq -c '[.params.TILE, .pareto]' <<<"$output"
	assert_output "$(printf '%s\n' '[16,3]' '[32,1]')"
	# Without it, the same two are ranked between themselves.
	run --separate-stderr ar-score -s "$R" < <(mo_rec 16 0.002; mo_rec 32 0.0005)
	run jq -c '.pareto' <<<"$output"
	assert_output "$(printf '%s\n' 2 1)"
	# A study of one objective has no ranks: --against changes nothing.
	req_study .
	run --separate-stderr ar-score -s "$R" --against "$BATS_TEST_TMPDIR/h.jsonl" < <(mo_rec 16 0.002)
	assert_success
	run jq -c '[has("pareto"), has("objectives"), .score]' <<<"$output"
	assert_output '[false,false,-0.002]'
}

@test "objectives: CSV has their columns, and --objective scores by one of them alone" {
	mo_study
	run --separate-stderr ar-score -s "$R" --csv < <(mo_rec 8 0.001; mo_rec 32 0.001)
	assert_success
	assert_line --index 0 --partial ',objective,score,objectives,pareto,'
	assert_line --index 2 --partial ',0.001,-1,"[0.001,32]",1,'
	run --separate-stderr ar-score -s "$R" --objective 'maximize TILE' < <(mo_rec 8 0.001)
	assert_success
	run jq -c '[.objective, .score, has("pareto")]' <<<"$output"
	assert_output '[8,8,false]'
}

@test "objectives: a bad list is refused with the key, and a null one is said" {
	mo_study '.objective = "minimize time_s"'
	run --separate-stderr ar-score -s "$R" </dev/null
	assert_failure 2
	assert_equal "$stderr" "ar-score: $R: key \"objectives\": a study has \"objective\" or \"objectives\", not both"
	mo_study '.objectives = ["minimize time_s"]'
	run --separate-stderr ar-score -s "$R" </dev/null
	assert_failure 2
	assert_equal "$stderr" "ar-score: $R: key \"objectives\": expected 2 to 4 objectives, found 1 (one is \"objective\")"
	mo_study '.objectives[1] = "shrink TILE"'
	run --separate-stderr ar-score -s "$R" </dev/null
	assert_failure 2
	assert_equal "$stderr" "ar-score: $R: key \"objectives[1]\": expected \"minimize EXPR\" or \"maximize EXPR\", found 'shrink TILE'"
	mo_study '.objectives[1] = 3'
	run --separate-stderr ar-score -s "$R" </dev/null
	assert_failure 2
	assert_equal "$stderr" "ar-score: $R: key \"objectives[1]\": expected \"minimize EXPR\" or \"maximize EXPR\", found an integer"
	mo_study '.objectives[1] = "maximize output.acc"'
	run --separate-stderr ar-score -s "$R" < <(mo_rec 8 0.001)
	assert_success
	assert_equal "$stderr" "ar-score: $R: key \"objectives[1]\": null for the one ok record (no ok record has field \"output.acc\") in 'output.acc'"
	run jq -c '[.objectives, .pareto, .score]' <<<"$output"
	assert_output '[[0.001,null],null,null]'
}

@test "objectives: the summary prints the front of the whole history, ties and metrics too" {
	mo_study
	summary <(mo_rec 8 0.001; mo_rec 16 0.002; mo_rec 32 0.002; mo_rec 8 0.003 '{"status": "crash"}'
	    mo_rec 8 0.001 '{"id": "tied"}')
	# Scored in one go the ranks are right already; the front is the
	# summary's own, from the objectives.
	run --separate-stderr "$ROOT/pipelines/summary.sh" "$O" "$R"
	assert_success
	front=$(printf '%s\n' \
	    "Pareto front of 5 evaluations (3 points): minimize time_s, maximize TILE" \
	    "  time_s 0.001  TILE 8  TILE=8 UNROLL=1  (gflops 2  spread 0.05  per_tile 0.25)  $O/history.jsonl:1" \
	    "  time_s 0.001  TILE 8  TILE=8 UNROLL=1  (gflops 2  spread 0.05  per_tile 0.25)  $O/history.jsonl:5" \
	    "  time_s 0.002  TILE 32  TILE=32 UNROLL=1  (gflops 1  spread 0.05  per_tile 0.03125)  $O/history.jsonl:3")
	# Then ar-report's facts but its best and top, which a study of
	# several objectives does not have, and what was spent.
	facts=$(ar-report -s "$R" --text "$O/history.jsonl" |
	    sed -n '/^\(importance\|failures\|convergence\)/,/^[^ ]/p' | grep -v '^front ')
	assert_output "$(printf '%s\n' "$front" "$facts" \
	    "5 evaluations in 1 round, 0 s of measured cost (cost_s)")"
	assert_line 'failures 1; crash 1 (most at TILE=8: 1)'
}
