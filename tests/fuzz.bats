#!/usr/bin/env bats
# The fuzz targets as regression tests: each runs on its seed corpus and
# on every input a fuzzer ever crashed on (tests/fuzz/regress/TARGET/),
# built as plain programs (FUZZ_STANDALONE) by `make units`; under `make
# check` they run with the sanitizers, which turn any memory error, leak
# or undefined behaviour into a failure.

setup() {
	cd "$BATS_TEST_DIRNAME/.."
	FUZZ_BIN=${AR_FUZZ:-$PWD/obj/fuzz}
}

replay() {
	local t=$1 files
	[ -x "$FUZZ_BIN/fuzz_$t" ] || skip "no $FUZZ_BIN/fuzz_$t: run make units"
	files=$(find "tests/fuzz/corpus/$t" "tests/fuzz/regress/$t" -type f \
	    2>/dev/null | sort)
	[ -n "$files" ]
	# shellcheck disable=SC2086
	run "$FUZZ_BIN/fuzz_$t" $files
	[ "$status" -eq 0 ] || { echo "$output"; false; }
}

@test "fuzz_jsonl: the JSON-line reader survives its corpus and regressions" {
	replay jsonl
}

@test "fuzz_csv: the CSV reader survives its corpus and regressions" {
	replay csv
}

@test "fuzz_expr: the expression parser survives its corpus and regressions" {
	replay expr
}

@test "fuzz_spec: the study loader survives its corpus and regressions" {
	replay spec
}

@test "fuzz_xform: the reading and rendering of marked loops survive their corpus and regressions" {
	replay xform
}

@test "every fuzz target of the Makefile is replayed here" {
	local t
	for t in $(sed -n 's/^FUZZ = //p' Makefile); do
		grep -q "^	replay $t\$" "$BATS_TEST_FILENAME" || fail "fuzz_$t is not replayed"
	done
}
