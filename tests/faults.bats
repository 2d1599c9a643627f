#!/usr/bin/env bats
# The fault suite (issue 7): one round of the loop (pipelines/tune.mk)
# compiles and measures a batch in which every candidate but three
# misbehaves in its own way (tests/fixtures/bench/faults.c; with --seed 3,
# as in bench.bats, an input set has the x[0] < 0 that signwrong is wrong
# on), one of them by compiling forever: each ends
# with its status and an error that says what happened, the good ones in
# the same batch are measured, and the history holds every record, whole.

load helper

B=$FIX/bench

# Whether ar-bench was built with AddressSanitizer, whose shadow memory
# an address-space limit leaves no room for.
sanitized() {
	grep -q __asan_init "$(command -v ar-bench)"
}

@test "a batch of faulty candidates: each its status, the rest measured, the history whole" {
	local kinds='"ok", "segv", "hang", "nowrite", "signwrong", "mutate", "quits",
	    "aborts", "mark", "broken", "chatty", "overflow", "nan", "slow"' lim=
	if ! sanitized; then
		kinds="$kinds, \"hog\""
		lim=', "memory_mb": 512'
	fi
	cp "$B/faults.c" "$B/faults_ref.c" "$BATS_TEST_TMPDIR/"
	jq ".params.KIND = [$kinds] | .bench = {warmup: 1, repeat: 3,
	    timeout_s: 1, trials: 3 $lim}" "$B/faults.json" >"$BATS_TEST_TMPDIR/f.json"
	n=$(jq '.params.KIND | length' "$BATS_TEST_TMPDIR/f.json")
	# mark leaves a file where it runs (without the sandbox): here, not
	# in the sources.
	cd "$BATS_TEST_TMPDIR"
	run --separate-stderr env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS \
	    make -s -f "$ROOT/pipelines/tune.mk" BIN="${AR_BIN:-$ROOT/bin}" \
	    STUDY="$BATS_TEST_TMPDIR/f.json" OUT="$BATS_TEST_TMPDIR/out" \
	    STRATEGY=grid BATCH="$n" ROUNDS=1 BENCH="--seed 3"
	assert_success
	h=$BATS_TEST_TMPDIR/out/history.jsonl
	# Every record whole, once.
	[ "$(wc -l <"$h")" -eq "$n" ]
	run jq -e 'type == "object"' "$h"
	assert_success
	[ "$(jq -r .id "$h" | sort -u | wc -l)" -eq "$n" ]
	# Each kind its status.
	run jq -r '[.params.KIND, .status] | @tsv' "$h"
	for want in 'ok	ok' 'segv	crash' 'hang	timeout' 'nowrite	wrong' \
	    'signwrong	wrong' 'mutate	wrong' 'quits	crash' 'aborts	crash' \
	    'mark	ok' 'broken	compile_error' 'chatty	ok' 'overflow	crash' \
	    'nan	wrong' 'slow	compile_error'; do
		assert_line "$want"
	done
	sanitized || assert_line 'hog	crash'
	# And an error that says what happened.
	err() { jq -r --arg k "$1" 'select(.params.KIND == $k) | .error' "$h"; }
	[[ $(err segv) == *"Segmentation fault"* ]]
	[[ $(err hang) == *"did not return within 1 s"* ]]
	[[ $(err mutate) == *"changed its input 'x'"* ]]
	[[ $(err aborts) == *"giving up on purpose"* ]]
	[[ $(err overflow) == *"wrote past the end of its output 'y' (run 1)"* ]]
	[[ $(err nan) == *"NaN"* || $(err nan) == *"nan"* ]] || fail "nan: $(err nan)"
	# The compile that would run for days was stopped at the study's
	# compile.timeout_s, and took its compiler with it.
	[[ $(jq -r 'select(.params.KIND == "slow") | .compile.log' "$h") == "compile timed out after 2 s" ]]
	! pgrep -f "KIND=slow" >/dev/null
	# The good ones were measured, with times.
	run jq -r 'select(.status == "ok") | (.time_s > 0)' "$h"
	assert_output "$(printf 'true\ntrue\ntrue')"
	# The good ones are those that ran ok.
	run jq -r 'select(.status == "ok") | .params.KIND' "$h"
	assert_output "$(printf 'ok\nmark\nchatty')"
	# mark ran where it should, or, in the sandbox, tried to leave its
	# file and was refused.
	if [ "${AR_SANDBOX:-}" = off ]; then
		[ -e "$BATS_TEST_TMPDIR/bench-ran" ]
	else
		[ ! -e "$BATS_TEST_TMPDIR/bench-ran" ]
		run jq -c 'select(.params.KIND == "mark") | .refused' "$h"
		assert_output '["openat"]'
	fi
	[ ! -e "$ROOT/bench-ran" ]
}
