#!/usr/bin/env bats
# The replay backend: a study whose measurements are looked up in a Kernel
# Tuner cache file.  The toy file tests/fixtures/replay/small.json holds
# one record of every outcome (X in 1 2 4, Y in 8 16):
#   1,8   ok, time 1.75 ms (not the mean of its times), times 1 2 3,
#         cost 100+10+5+1+4 ms
#   1,16  ok, time 1.5 ms, times 1.5 1.5, cost 200+20+0 ms
#   2,8   CompilationFailedConfig, cost 300 ms
#   2,16  RuntimeFailedConfig with times (ignored), cost 50 ms
#   4,8   InvalidConfig
#   4,16  absent (X * Y <= 32 in study.json)
# The other fixtures are broken copies of it.  The studies of
# examples/replay are checked against the real datasets when they are
# there (../shared/datasets/raw).

load helper

R=$FIX/replay
STUDY=$R/study.json

# study NAME SOURCE [PARAMS]: a replay study of SOURCE (a fixture's name
# or a path) in the test's folder, with the params given or none.
study() {
	local src=$2
	[ "${src#/}" != "$src" ] || src=$R/$src
	if [ -n "${3:-}" ]; then
		printf '{"name": "t", "backend": "replay", "source": "%s", "params": %s}\n' \
		    "$src" "$3" >"$BATS_TEST_TMPDIR/$1"
	else
		printf '{"name": "t", "backend": "replay", "source": "%s"}\n' \
		    "$src" >"$BATS_TEST_TMPDIR/$1"
	fi
}

# The configurations of the toy file and the absent one, as bare records.
all_six() {
	local x y
	for x in 1 2 4; do
		for y in 8 16; do
			printf '{"params": {"X": %s, "Y": %s}}\n' "$x" "$y"
		done
	done
}

@test "the pipeline runs on a replay study: propose, compile, bench, score" {
	run --separate-stderr bash -c "ar-propose -s '$STUDY' -n 10 --strategy grid |
	    ar-compile -s '$STUDY' | ar-bench -s '$STUDY' | ar-score -s '$STUDY'"
	assert_success
	assert_jsonl
	[ "$(grep -c . <<<"$output")" -eq 5 ]
	[ "$(jq -r '[.params.X, .params.Y, .status, .score] | @tsv' <<<"$output")" = \
	    "$(printf '1\t8\tok\t-0.00175\n1\t16\tok\t-0.0015\n2\t8\tcompile_error\t\n2\t16\tcrash\t\n4\t8\tinvalid\t')" ]
	[[ $stderr == *"space exhausted: 5 of 10"* ]]
}

@test "ar-compile passes replay records through unchanged" {
	ar-propose -s "$STUDY" -n 3 --strategy grid >"$BATS_TEST_TMPDIR/in.jsonl"
	run --separate-stderr ar-compile -s "$STUDY" "$BATS_TEST_TMPDIR/in.jsonl"
	assert_success
	[ "$output" = "$(cat "$BATS_TEST_TMPDIR/in.jsonl")" ]
	[ -z "$stderr" ]
}

@test "an ok record gives time_s from \"time\" and times from \"times\", in seconds" {
	run --separate-stderr ar-bench -s "$STUDY" <<<'{"params": {"X": 1, "Y": 8}, "mine": 7}'
	assert_success
	assert_output '{"params":{"X":1,"Y":8},"mine":7,"status":"ok","time_s":0.00175,"times":{"n":3,"min":0.001,"median":0.002,"mean":0.002,"sd":0.001},"cost_s":0.12,"device":"Test GPU 9000"}'
	[ -z "$stderr" ]
}

@test "each recorded failure becomes its status, with its cost and no times" {
	run --separate-stderr ar-bench -s "$STUDY" <<'EOF'
{"params": {"X": 2, "Y": 8}}
{"params": {"X": 2, "Y": 16}}
{"params": {"X": 4, "Y": 8}}
EOF
	assert_success
	[ "$(jq -r '[.status, .cost_s, .time_s, .times, .error] | @tsv' <<<"$output")" = \
	    "$(printf 'compile_error\t0.3\t\t\trecorded as CompilationFailedConfig\ncrash\t0.05\t\t\trecorded as RuntimeFailedConfig\ninvalid\t0\t\t\trecorded as InvalidConfig')" ]
}

@test "a configuration absent from the file is invalid and costs nothing" {
	study s.json small.json
	run --separate-stderr ar-bench -s "$BATS_TEST_TMPDIR/s.json" <<<'{"params": {"X": 4, "Y": 16}}'
	assert_success
	assert_output '{"params":{"X":4,"Y":16},"status":"invalid","cost_s":0.0,"device":"Test GPU 9000","error":"not in the cache file (it breaks a restriction of the recorded space)"}'
	[ -z "$stderr" ]
}

@test "cost_s sums the recorded compile, benchmark, framework, verification and strategy times" {
	run ar-bench -s "$STUDY" <<<'{"params": {"X": 1, "Y": 8}}
{"params": {"X": 1, "Y": 16}}'
	assert_success
	[ "$(jq -r .cost_s <<<"$output")" = "$(printf '0.12\n0.22')" ]
}

@test "the params come from the file's tune_params, in tune_params_keys order" {
	study s.json small.json
	run ar-propose -s "$BATS_TEST_TMPDIR/s.json" --count
	assert_success
	assert_output 6
	run ar-propose -s "$BATS_TEST_TMPDIR/s.json" -n 1 --strategy grid
	assert_success
	[ "$(jq -c .params <<<"$output")" = '{"X":1,"Y":8}' ]
}

@test "a study may list the params in another order and fewer values" {
	study s.json small.json '{"Y": [16, 8], "X": [2, 1]}'
	run --separate-stderr bash -c "ar-propose -s '$BATS_TEST_TMPDIR/s.json' -n 10 --strategy grid |
	    ar-bench -s '$BATS_TEST_TMPDIR/s.json'"
	assert_success
	[ "$(jq -r '[.params.X, .params.Y, .status, .time_s] | @tsv' <<<"$output" | sort)" = \
	    "$(printf '1\t16\tok\t0.0015\n1\t8\tok\t0.00175\n2\t16\tcrash\t\n2\t8\tcompile_error\t')" ]
}

@test "a gzipped cache file reads as the plain one" {
	study gz.json small.json.gz
	study plain.json small.json
	all_six | ar-bench -s "$BATS_TEST_TMPDIR/plain.json" >"$BATS_TEST_TMPDIR/plain.jsonl"
	run --separate-stderr ar-bench -s "$BATS_TEST_TMPDIR/gz.json" <(all_six)
	assert_success
	[ "$output" = "$(cat "$BATS_TEST_TMPDIR/plain.jsonl")" ]
	[ "$(grep -c '"status":"ok"' <<<"$output")" -eq 2 ]
}

@test "a relative source is relative to the study's folder" {
	cd "$BATS_TEST_TMPDIR"
	run ar-bench -s "$STUDY" <<<'{"params": {"X": 1, "Y": 16}}'
	assert_success
	[ "$(jq -r .time_s <<<"$output")" = 0.0015 ]
}

@test "a time of 1e20 is invalid" {
	study s.json huge.json
	run --separate-stderr ar-bench -s "$BATS_TEST_TMPDIR/s.json" <<<'{"params": {"X": 1, "Y": 16}}'
	assert_success
	[ "$(jq -r '[.status, .cost_s, .error] | @tsv' <<<"$output")" = \
	    "$(printf 'invalid\t0\trecorded with a time of 1e20 or more (or NaN), the mark of a configuration that could not run')" ]
}

@test "a file Kernel Tuner is still writing is read to its last record, with one warning" {
	study s.json running.json
	run --separate-stderr ar-bench -s "$BATS_TEST_TMPDIR/s.json" <(all_six)
	assert_success
	[ "$(jq -r .status <<<"$output" | tr '\n' ' ')" = "ok ok compile_error invalid invalid invalid " ]
	[ "$(jq -r 'select(.params.X == 2 and .params.Y == 16) | .error' <<<"$output")" = \
	    "not in the cache file, which is cut off: not measured, or it breaks a restriction" ]
	[ "$stderr" = "ar-bench: $R/running.json: the file is cut off (is Kernel Tuner still writing it?): read its 3 complete records; a configuration not among them is \"invalid\"" ]
}

@test "a record cut off in the middle is left out" {
	study s.json cutmid.json
	run --separate-stderr ar-bench -s "$BATS_TEST_TMPDIR/s.json" <<<'{"params": {"X": 2, "Y": 16}}'
	assert_success
	[ "$(jq -r .status <<<"$output")" = invalid ]
	[[ $stderr == *"cutmid.json: the file is cut off"*"read its 3 complete records"* ]]
}

@test "ar-propose reads the params of a file that is cut off" {
	study s.json running.json
	run --separate-stderr ar-propose -s "$BATS_TEST_TMPDIR/s.json" --count
	assert_success
	assert_output 6
}

# bad FIXTURE MESSAGE: ar-bench refuses a study of FIXTURE with status 2,
# no output and MESSAGE on stderr.
bad() {
	study s.json "$1"
	run --separate-stderr ar-bench -s "$BATS_TEST_TMPDIR/s.json" <<<'{"params": {"X": 1, "Y": 8}}'
	assert_failure 2
	[ -z "$output" ]
	[ "$stderr" = "ar-bench: $2" ] || fail "stderr: $stderr"
}

@test "a \"time\" that is a string but no failure is refused" {
	bad badtime.json "$R/badtime.json: record \"1,16\": \"time\" is \"Oops\", neither a number nor a failure Kernel Tuner writes"
}

@test "a record missing a param is refused" {
	bad missing.json "$R/missing.json: record \"1,16\": parameter \"Y\" is missing"
}

@test "a record whose params disagree with its key is refused" {
	bad disagree.json "$R/disagree.json: record \"1,16\": \"X\" is 2, not the value its key gives"
}

@test "a key with the wrong number of values is refused" {
	bad badkey.json "$R/badkey.json: record \"1,16,3\": its key has 3 values, not one for each of the 2 tune_params_keys"
}

@test "a key with a value not in tune_params is refused" {
	bad badvalue.json "$R/badvalue.json: record \"1,32\": '32' is not a value of \"Y\" in tune_params"
}

@test "a \"time\" or \"times\" of the wrong type is refused" {
	sed 's/"time": 1.5, "times"/"time": null, "times"/' "$R/small.json" >"$BATS_TEST_TMPDIR/null.json"
	bad "$BATS_TEST_TMPDIR/null.json" "$BATS_TEST_TMPDIR/null.json: record \"1,16\": \"time\" is neither a number nor a string"
	sed 's/"times": \[1.5, 1.5\]/"times": [1.5, "x"]/' "$R/small.json" >"$BATS_TEST_TMPDIR/strs.json"
	bad "$BATS_TEST_TMPDIR/strs.json" "$BATS_TEST_TMPDIR/strs.json:10: \"times\" holds something other than numbers"
}

@test "a file that is not JSON is refused with its line" {
	bad badjson.json "$R/badjson.json:10: not valid JSON: expected a string"
}

@test "a JSON file that is not a cache file is refused by every stage" {
	bad notcache.json "$BATS_TEST_TMPDIR/s.json: key \"source\": $R/notcache.json: not a Kernel Tuner cache file (no \"tune_params_keys\")"
	run --separate-stderr ar-propose -s "$BATS_TEST_TMPDIR/s.json" --count
	assert_failure 2
	[[ $stderr == *"not a Kernel Tuner cache file"* ]]
}

@test "damaged gzip data is refused" {
	head -c 250 "$R/small.json.gz" >"$BATS_TEST_TMPDIR/cut.json.gz"
	bad "$BATS_TEST_TMPDIR/cut.json.gz" "$BATS_TEST_TMPDIR/s.json: key \"source\": $BATS_TEST_TMPDIR/cut.json.gz: damaged gzip data: unexpected end of file"
}

@test "a study whose params do not match the file's tune_params is refused" {
	study s.json small.json '{"X": [1, 2, 4]}'
	run --separate-stderr ar-propose -s "$BATS_TEST_TMPDIR/s.json" --count
	assert_failure 2
	[ "$stderr" = "ar-propose: $BATS_TEST_TMPDIR/s.json: key \"params\": the study lacks \"Y\", one of the tune_params of '$R/small.json'" ]
	study s.json small.json '{"X": [1], "Y": [8], "Z": [1]}'
	run --separate-stderr ar-bench -s "$BATS_TEST_TMPDIR/s.json" </dev/null
	assert_failure 2
	[ "$stderr" = "ar-bench: $BATS_TEST_TMPDIR/s.json: key \"params.Z\": not one of the tune_params of '$R/small.json'" ]
	study s.json small.json '{"X": [1, 3], "Y": [8]}'
	run --separate-stderr ar-bench -s "$BATS_TEST_TMPDIR/s.json" </dev/null
	assert_failure 2
	[ "$stderr" = "ar-bench: $BATS_TEST_TMPDIR/s.json: key \"params.X\": value 3 is not one of its values in '$R/small.json'" ]
}

@test "--csv writes the measurement columns" {
	run --separate-stderr ar-bench -s "$STUDY" --csv <<<'{"params": {"X": 2, "Y": 8}}'
	assert_success
	assert_line --index 0 'params.X,params.Y,status,cost_s,device,error,time_s,times.n,times.min,times.median,times.mean,times.sd,host'
	assert_line --index 1 '2,8,compile_error,0.3,Test GPU 9000,recorded as CompilationFailedConfig,,,,,,,'
}

@test "a replay has the file's device_name as device, and no host" {
	run --separate-stderr ar-bench -s "$STUDY" <<<'{"params": {"X": 1, "Y": 8}}'
	assert_success
	assert_equal "$stderr" ''
	run jq -c '[.device, has("host")]' <<<"$output"
	assert_output '["Test GPU 9000",false]'
	sed 's/"Test GPU 9000"/""/' "$R/small.json" >"$BATS_TEST_TMPDIR/anon.json"
	study s.json "$BATS_TEST_TMPDIR/anon.json"
	run --separate-stderr ar-bench -s "$BATS_TEST_TMPDIR/s.json" <<<'{"params": {"X": 1, "Y": 8}}'
	assert_success
	assert_equal "$stderr" ''
	run jq -c '[has("device"), has("host")]' <<<"$output"
	assert_output '[false,false]'
}

# The real datasets, where they are.
DATA=$ROOT/../shared/datasets/raw

@test "every study of examples/replay counts exactly the keys of its file" {
	[ -d "$DATA" ] || skip "no datasets in $DATA"
	local s src n=0
	for s in "$ROOT"/examples/replay/*.json; do
		src=$(dirname "$s")/$(jq -r .source "$s")
		[ -f "$src" ] || fail "$s: no file '$src'"
		run ar-propose -s "$s" --count
		assert_success
		[ "$output" = "$(gzip -dcf "$src" | jq '.cache | length')" ] ||
		    fail "$s: $output configurations, not the file's number of keys"
		n=$((n + 1))
	done
	[ "$n" -eq 12 ]
}

@test "every configuration of a real space is in its file: no absent one on MI50 and convolution_RTX_3090" {
	[ -d "$DATA" ] || skip "no datasets in $DATA"
	local s
	for s in MI50_convolution_15x15 convolution_RTX_3090; do
		s=$ROOT/examples/replay/$s.json
		run --separate-stderr bash -c "ar-propose -s '$s' -n 100000 --strategy grid |
		    ar-bench -s '$s' | jq -r '[.status, .error] | @tsv' | sort | uniq -c"
		assert_success
		refute_output --partial "not in the cache file"
	done
	run --separate-stderr bash -c "ar-propose -s '$s' -n 100000 --strategy grid |
	    ar-bench -s '$s' | jq -r .status | sort | uniq -c |
	    awk '{print \$2 \"=\" \$1}' | tr '\n' ' '"
	assert_output "compile_error=1426 crash=122 ok=5220 "
}

@test "the optimum of convolution_milo_A100 is the one the datasets README gives" {
	[ -d "$DATA" ] || skip "no datasets in $DATA"
	s=$ROOT/examples/replay/convolution_milo_A100.json
	run bash -c "ar-propose -s '$s' -n 100000 --strategy grid 2>/dev/null | ar-bench -s '$s' |
	    jq -sr 'map(select(.status == \"ok\")) | min_by(.time_s) |
	    [.params[] | tostring] | join(\",\")'"
	assert_success
	assert_output "32,4,1,3,1,0,1,1,15,15"
}

@test "a large cache file loads quickly (sanity, not a timing)" {
	[ -d "$DATA" ] || skip "no datasets in $DATA"
	s=$ROOT/examples/replay/gemm_RTX_3090.json
	# A generous bound that only a quadratic index or a tree of every
	# record would break; pipelines/bench/replay-load.sh measures it.
	start=$(date +%s%N)
	run ar-bench -s "$s" <<<'{"params": {"MWG": 128, "NWG": 128, "KWG": 32, "MDIMC": 16, "NDIMC": 8, "MDIMA": 16, "NDIMB": 32, "KWI": 2, "VWM": 8, "VWN": 2, "STRM": 0, "STRN": 0, "SA": 1, "SB": 1, "PRECISION": 32}}'
	end=$(date +%s%N)
	assert_success
	# The optimum, 5.657843999999999 ms in the file.
	[ "$(jq -r .time_s <<<"$output")" = 0.005657843999999999 ]
	[ $(((end - start) / 1000000)) -lt 5000 ]
}
