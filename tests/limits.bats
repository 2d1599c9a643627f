#!/usr/bin/env bats
# Resource limits (bench.cpu_s, bench.memory_mb, bench.file_mb): a
# candidate that goes past one ends with a status and a message naming
# the limit, and the rest of the batch is measured.

load helper

# A command study whose candidates each break one limit.
setup() {
	cat >"$BATS_TEST_TMPDIR/s.json" <<-'EOF2'
	{"name": "limits", "backend": "command", "env": true,
	 "command": ["sh", "-c", "case $K in spin) while :; do :; done ;; big) exec head -c 3000000 /dev/zero >big.out ;; hog) exec awk \"$(printf 'BEGIN \\173 s = sprintf(\"%%400000000s\", \"\"); print length(s) \\175')\" ;; esac; printf '\\173\"time_s\": 0.001\\175\\n'"],
	 "params": {"K": ["ok", "spin", "big", "hog"]},
	 "bench": {"warmup": 0, "repeat": 1, "timeout_s": 20, "cpu_s": 1,
	           "file_mb": 1, "memory_mb": 200}}
	EOF2
	S=$BATS_TEST_TMPDIR/s.json
}

@test "each limit is a status with a message, and the batch goes on" {
	ar-propose -s "$S" -n 4 --strategy grid | ar-compile -s "$S" >"$BATS_TEST_TMPDIR/in.jsonl"
	run --separate-stderr ar-bench -s "$S" <"$BATS_TEST_TMPDIR/in.jsonl"
	assert_success
	assert_jsonl
	out=$output
	[ "$(wc -l <<<"$out")" -eq 4 ]
	run jq -r '[.params.K, .status] | @tsv' <<<"$out"
	assert_output "$(printf 'ok\tok\nspin\ttimeout\nbig\tcrash\nhog\tcrash')"
	run jq -r 'select(.params.K == "spin") | .error' <<<"$out"
	assert_output --partial "went past the CPU-time limit of 1 s (bench.cpu_s)"
	run jq -r 'select(.params.K == "big") | .error' <<<"$out"
	assert_output --partial "past the size limit of 1048576 bytes (bench.file_mb)"
}

@test "a limit the study sets must be a positive number" {
	jq '.bench.cpu_s = 0' "$S" >"$BATS_TEST_TMPDIR/bad.json"
	run --separate-stderr ar-bench -s "$BATS_TEST_TMPDIR/bad.json" </dev/null
	[ "$status" -eq 2 ]
	[[ $stderr == *'"bench.cpu_s"'* ]]
}

@test "a C candidate that spins is stopped by bench.cpu_s as a timeout" {
	jq '.bench.timeout_s = 20 | .bench.cpu_s = 1 | .bench.repeat = 1 |
	    .bench.warmup = 0 | .source = "'"$FIX"'/bench/faults.c" |
	    .reference.source = "'"$FIX"'/bench/faults_ref.c"' \
	    "$FIX/bench/faults.json" >"$BATS_TEST_TMPDIR/f.json"
	printf '{"study":"bench-faults","params":{"KIND":"%s"}}\n' hang ok |
	    ar-compile -s "$BATS_TEST_TMPDIR/f.json" --cache "$BATS_TEST_TMPDIR/c" \
	    >"$BATS_TEST_TMPDIR/in.jsonl"
	run --separate-stderr ar-bench -s "$BATS_TEST_TMPDIR/f.json" \
	    --cache "$BATS_TEST_TMPDIR/c" <"$BATS_TEST_TMPDIR/in.jsonl"
	assert_success
	run jq -r '[.params.KIND, .status] | @tsv' <<<"$output"
	assert_output "$(printf 'hang\ttimeout\nok\tok')"
	run jq -r 'select(.params.KIND == "hang") | .error' \
	    <<<"$(ar-bench -s "$BATS_TEST_TMPDIR/f.json" --cache "$BATS_TEST_TMPDIR/c" \
	    <"$BATS_TEST_TMPDIR/in.jsonl" 2>/dev/null)"
	assert_output --partial "went past the CPU-time limit of 1 s (bench.cpu_s)"
}
