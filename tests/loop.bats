#!/usr/bin/env bats
# The whole loop on a small problem: pipelines/tune.mk runs propose |
# compile | bench | score round by round, resumes where it stopped, and
# names the best configuration and where its record is.

load helper

# A make that runs these tests (make test, make check) passes its flags
# down through MAKEFLAGS; the tune runs here must not inherit them (-w
# would add "Entering directory" lines to the output).
tune() {
	env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS make -s -f "$ROOT/pipelines/tune.mk" BIN="${AR_BIN:-$ROOT/bin}" \
	    STUDY="$ROOT/kernels/matmul/cpu.json" DEFS='-D N=48' \
	    OUT="$BATS_TEST_TMPDIR/out" BENCH='--repeat 2 --warmup 0' "$@"
}

@test "tune.mk runs the rounds, and the summary names the best and its record" {
	run --separate-stderr tune ROUNDS=2 BATCH=3
	assert_success
	[ -f "$BATS_TEST_TMPDIR/out/rounds/001.jsonl" ]
	[ -f "$BATS_TEST_TMPDIR/out/rounds/002.jsonl" ]
	[ "$(wc -l <"$BATS_TEST_TMPDIR/out/history.jsonl")" -eq 6 ]
	assert_line --index 0 --regexp '^best of 6 evaluations \([0-9]+ ok'
	assert_output --regexp 'record at .*/out/history.jsonl:[1-6]'
	# The record named is the best one of the history.
	line=$(sed -n 's/.*history.jsonl:\([0-9]*\)$/\1/p' <<<"$output")
	best=$(jq -s -r '[.[] | select(.status == "ok")] | max_by(.score) | .id' "$BATS_TEST_TMPDIR/out/history.jsonl")
	[ "$(sed -n "${line}p" "$BATS_TEST_TMPDIR/out/history.jsonl" | jq -r .id)" = "$best" ]
	run jq -s '[.[].id] | unique | length' "$BATS_TEST_TMPDIR/out/history.jsonl"
	assert_output 6
	run jq -s '[.[].round] | unique' "$BATS_TEST_TMPDIR/out/history.jsonl"
	assert_output "$(jq -n '[1, 2]')"
	run jq -s '[.[] | select(.status == "ok" and .score != null and .metrics.gflops > 0)] | length' "$BATS_TEST_TMPDIR/out/history.jsonl"
	[ "$output" -ge 1 ]
}

@test "a command study whose program is misspelt stops the loop before anything is measured" {
	printf '%s\n' '{"name": "z", "backend": "command", "command": ["./zrn.sh", "{X}"],
	    "params": {"X": [1, 2, 3]}, "bench": {"warmup": 0, "repeat": 1}}' >"$BATS_TEST_TMPDIR/z.json"
	run --separate-stderr tune STUDY="$BATS_TEST_TMPDIR/z.json" DEFS= ROUNDS=1 BATCH=2
	assert_failure
	assert_output ''
	# ar-bench's one line says why; make's own lines follow it.
	assert_equal "$(grep -v -e '^round ' -e '^make' <<<"$stderr")" \
	    "ar-bench: $BATS_TEST_TMPDIR/z.json: key \"command[0]\": cannot run '$BATS_TEST_TMPDIR/zrn.sh': No such file or directory"
	[ ! -e "$BATS_TEST_TMPDIR/out/history.jsonl" ]
	[ ! -e "$BATS_TEST_TMPDIR/out/rounds/001.jsonl" ]
}

@test "a finished run does nothing, and more rounds add to it" {
	tune ROUNDS=1 BATCH=2 >/dev/null 2>&1
	before=$(sha256sum "$BATS_TEST_TMPDIR/out/rounds/001.jsonl")
	run --separate-stderr tune ROUNDS=1 BATCH=2
	assert_success
	[[ $stderr != *"round 001"* ]]
	[ "$(sha256sum "$BATS_TEST_TMPDIR/out/rounds/001.jsonl")" = "$before" ]
	run --separate-stderr tune ROUNDS=2 BATCH=2
	assert_success
	[[ $stderr == *"round 002 of 2"* ]]
	[[ $stderr != *"round 001"* ]]
	[ "$(wc -l <"$BATS_TEST_TMPDIR/out/history.jsonl")" -eq 4 ]
}

@test "a round lost to a kill is run again; the rounds before it stay" {
	tune ROUNDS=2 BATCH=2 >/dev/null 2>&1
	first=$(sha256sum "$BATS_TEST_TMPDIR/out/rounds/001.jsonl")
	# What a kill during round 2 leaves: no round file, a partial temp.
	rm "$BATS_TEST_TMPDIR/out/rounds/002.jsonl"
	head -c 30 "$BATS_TEST_TMPDIR/out/history.jsonl" >"$BATS_TEST_TMPDIR/out/rounds/002.jsonl.tmp"
	run --separate-stderr tune ROUNDS=2 BATCH=2
	assert_success
	[[ $stderr == *"round 002 of 2"* ]]
	[ "$(sha256sum "$BATS_TEST_TMPDIR/out/rounds/001.jsonl")" = "$first" ]
	[ ! -e "$BATS_TEST_TMPDIR/out/rounds/002.jsonl.tmp" ]
	run jq -s '[.[].id] | unique | length' "$BATS_TEST_TMPDIR/out/history.jsonl"
	assert_output 4
}

@test "the model rebuilds from the history to the same file" {
	tune ROUNDS=2 BATCH=2 >/dev/null 2>&1
	ar-learn -s "$ROOT/kernels/matmul/cpu.json" -m "$BATS_TEST_TMPDIR/m.json" --rebuild \
	    <"$BATS_TEST_TMPDIR/out/history.jsonl" >/dev/null
	cmp "$BATS_TEST_TMPDIR/m.json" "$BATS_TEST_TMPDIR/out/model.json"
}

@test "the loop by hand, as README shows it" {
	s=$ROOT/kernels/matmul/cpu.json
	c=$BATS_TEST_TMPDIR/cache
	run --separate-stderr bash -o pipefail -c "ar-propose -s '$s' -D N=32 -n 2 |
	    ar-compile -s '$s' -D N=32 --cache '$c' |
	    ar-bench -s '$s' -D N=32 --cache '$c' --repeat 2 |
	    ar-score -s '$s' -D N=32 | tee -a '$BATS_TEST_TMPDIR/h.jsonl' |
	    ar-learn -s '$s' -m '$BATS_TEST_TMPDIR/model.json'"
	assert_success
	assert_output --regexp '^\{"evals":2,'
	run jq -r '[.study, .status, (.score != null)] | @tsv' "$BATS_TEST_TMPDIR/h.jsonl"
	assert_line --index 0 "$(printf 'matmul-cpu\tok\ttrue')"
}
