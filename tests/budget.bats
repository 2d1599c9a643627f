#!/usr/bin/env bats
# Budgets of pipelines/tune.mk: EVALS= and SECONDS= end a study, whichever
# is spent first; EVALS exactly, whatever the batch; a spent study does
# nothing when run again, a resumed one makes what one run would have
# made, and each round proposes with the model of the rounds before it.

load helper

# A study of 30 configurations that costs next to nothing to measure: the
# command prints X as its time, so the best is X=1.  With SLEEP set, each
# run also sleeps that long, which is what cost_s then measures.
setup() {
	jq -n --arg sleep "${SLEEP:-0}" '{name: "budget", backend: "command",
	    command: ["sh", "-c", "sleep \($sleep); printf \"\\173\\\"time_s\\\": %s\\175\\n\" \"$X\""],
	    env: true, params: {X: [range(1; 31)]},
	    bench: {warmup: 0, repeat: 1}}' >"$BATS_TEST_TMPDIR/s.json"
	S=$BATS_TEST_TMPDIR/s.json
	O=$BATS_TEST_TMPDIR/out
}

tune() {
	env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS make -s -f "$ROOT/pipelines/tune.mk" \
	    BIN="${BIN:-${AR_BIN:-$ROOT/bin}}" STUDY="$S" OUT="$O" STRATEGY=random "$@"
}

# The state of a study's folder: every file with its size and mtime, but
# the lock, where each run writes its pid.
snapshot() {
	find "$O" -type f ! -name .lock -printf '%P %s %T@\n' | sort
}

# A folder of the programs whose ar-propose first logs, to propose.log,
# its round, the evals of the model it is given, and its strategy.
spy_bin() {
	BIN=$BATS_TEST_TMPDIR/bin
	mkdir -p "$BIN"
	for p in ar-compile ar-bench ar-score ar-learn ar-report; do
		ln -s "${AR_BIN:-$ROOT/bin}/$p" "$BIN/$p"
	done
	cat >"$BIN/ar-propose" <<-EOF
	#!/usr/bin/env bash
	a=("\$@") m= r= s=
	while [ \$# -gt 0 ]; do
		case \$1 in -m) m=\$2; shift ;; --round) r=\$2; shift ;; --strategy) s=\$2; shift ;; esac
		shift
	done
	echo "\$r \$(jq .evals "\$m") \$s" >>"$BATS_TEST_TMPDIR/propose.log"
	exec "${AR_BIN:-$ROOT/bin}/ar-propose" "\${a[@]}"
	EOF
	chmod +x "$BIN/ar-propose"
}

@test "EVALS is spent exactly, whatever the batch" {
	for b in 1 3 4 8 12; do
		rm -rf "$O"
		run --separate-stderr tune EVALS=10 BATCH=$b
		assert_success
		assert_line --index 0 'best of 10 evaluations (10 ok):'
		[ "$(wc -l <"$O/history.jsonl")" -eq 10 ]
		rounds=$(((10 + b - 1) / b))
		# What was spent is the summary's last line.
		[[ ${lines[-1]} =~ ^10\ evaluations\ in\ $rounds\ rounds?,\ [0-9.]+\ s\ of\ measured\ cost\ \(cost_s\)$ ]] ||
		    fail "last line: ${lines[-1]}"
		[ "$(ls "$O/rounds" | wc -l)" -eq "$rounds" ]
		# Every round is full but the last, which takes what is left.
		[ "$(wc -l <"$O/rounds/$(printf %03d "$rounds").jsonl")" -eq $((10 - (rounds - 1) * b)) ]
		[ "$(jq -s '[.[].id] | unique | length' "$O/history.jsonl")" -eq 10 ]
		[[ $stderr == *"round $(printf %03d "$rounds") of $rounds: $((10 - (rounds - 1) * b)) proposals (random)"* ]]
	done
}

@test "SECONDS stops the study at the first round that starts with the cost spent" {
	SLEEP=0.05 setup
	run --separate-stderr tune SECONDS=0.3 EVALS=1000 BATCH=2
	assert_success
	n=$(ls "$O/rounds" | wc -l)
	[ "$n" -ge 2 ]
	[ "$n" -lt 50 ]
	last=$O/rounds/$(printf %03d "$n").jsonl
	# The rounds before the last spent less than SECONDS, all of them not.
	jq -s -e 'map(.cost_s) | add >= 0.3' "$O/history.jsonl"
	cat "$O"/rounds/*.jsonl | head -n $(($(wc -l <"$O/history.jsonl") - $(wc -l <"$last"))) |
	    jq -s -e 'map(.cost_s) | add < 0.3'
	[[ $stderr == *"round $(printf %03d $((n + 1))) not made: the budget is spent ($((2 * n)) evaluations, "* ]]
	[ "$(wc -l <"$O/history.jsonl")" -eq $((2 * n)) ]
}

@test "EVALS and SECONDS: whichever is spent first ends the study" {
	run --separate-stderr tune EVALS=5 SECONDS=1000 BATCH=2
	assert_success
	[ "$(wc -l <"$O/history.jsonl")" -eq 5 ]
	rm -rf "$O"
	run --separate-stderr tune EVALS=5 SECONDS=0.000001 BATCH=2
	assert_success
	[ "$(wc -l <"$O/history.jsonl")" -eq 2 ]
	[[ $stderr == *"round 002 not made: the budget is spent (2 evaluations"* ]]
}

@test "a finished study does nothing, spent by EVALS or by SECONDS" {
	tune EVALS=7 BATCH=3 >/dev/null 2>&1
	before=$(snapshot)
	run --separate-stderr tune EVALS=7 BATCH=3
	assert_success
	assert_equal "$stderr" ""
	assert_line --index 0 'best of 7 evaluations (7 ok):'
	assert_equal "$(snapshot)" "$before"
	rm -rf "$O"
	tune SECONDS=0.000001 BATCH=3 >/dev/null 2>&1
	before=$(snapshot)
	run --separate-stderr tune SECONDS=0.000001 BATCH=3
	assert_success
	assert_equal "$stderr" ""
	assert_equal "$(snapshot)" "$before"
	[ "$(wc -l <"$O/history.jsonl")" -eq 3 ]
}

@test "a study that exhausts its space ends, and then does nothing" {
	run --separate-stderr tune EVALS=40 BATCH=8
	assert_success
	[ "$(wc -l <"$O/history.jsonl")" -eq 30 ]
	[ "$(jq -s '[.[].id] | unique | length' "$O/history.jsonl")" -eq 30 ]
	assert_line --index 0 'best of 30 evaluations (30 ok):'
	before=$(snapshot)
	run --separate-stderr tune EVALS=40 BATCH=8
	assert_success
	assert_equal "$stderr" ""
	assert_equal "$(snapshot)" "$before"
}

@test "a larger budget goes on from where the last run stopped" {
	tune EVALS=5 BATCH=2 >/dev/null 2>&1
	run --separate-stderr tune EVALS=9 BATCH=2
	assert_success
	[[ $stderr != *"round 001"* ]]
	[ "$(wc -l <"$O/history.jsonl")" -eq 9 ]
	run jq -s -c 'map(.round) | group_by(.) | map(length)' "$O/history.jsonl"
	assert_output '[2,2,1,2,2]'
}

@test "a study resumed after a kill makes what one run would have made" {
	tune EVALS=10 BATCH=3 SEED=5 >/dev/null 2>&1
	whole=$(jq -c '[.round, .id]' "$O/history.jsonl")
	# A kill during round 3: no round file from it on, a partial temp.
	rm "$O"/rounds/00[34].jsonl
	head -c 30 "$O/rounds/001.jsonl" >"$O/rounds/003.jsonl.tmp"
	run --separate-stderr tune EVALS=10 BATCH=3 SEED=5
	assert_success
	[[ $stderr == *"round 003 of 4"* ]]
	[[ $stderr != *"round 002"* ]]
	[ ! -e "$O/rounds/003.jsonl.tmp" ]
	assert_equal "$(jq -c '[.round, .id]' "$O/history.jsonl")" "$whole"
}

@test "each round proposes with the model of the rounds before it" {
	spy_bin
	# No STRATEGY: the default is auto.
	env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS make -s -f "$ROOT/pipelines/tune.mk" \
	    BIN="$BIN" STUDY="$S" OUT="$O" EVALS=10 BATCH=3 >/dev/null 2>&1
	run cat "$BATS_TEST_TMPDIR/propose.log"
	assert_output "$(printf '1 0 auto\n2 3 auto\n3 6 auto\n4 9 auto')"
	ar-learn -s "$S" -m "$BATS_TEST_TMPDIR/m.json" --rebuild "$O/history.jsonl" >/dev/null
	cmp "$BATS_TEST_TMPDIR/m.json" "$O/model.json"
}

@test "a model left behind by a crash is brought up to date before proposing" {
	spy_bin
	tune EVALS=9 BATCH=3 >/dev/null 2>&1
	# A crash after round 3 was written, before the model learned it.
	ar-learn -s "$S" -m "$O/model.json" --rebuild "$O"/rounds/00[12].jsonl >/dev/null
	rm "$BATS_TEST_TMPDIR/propose.log"
	tune EVALS=12 BATCH=3 >/dev/null 2>&1
	run cat "$BATS_TEST_TMPDIR/propose.log"
	assert_output '4 9 random'
	ar-learn -s "$S" -m "$BATS_TEST_TMPDIR/m.json" --rebuild "$O/history.jsonl" >/dev/null
	cmp "$BATS_TEST_TMPDIR/m.json" "$O/model.json"
	# A model two rounds behind, or of another history, is rebuilt.
	ar-learn -s "$S" -m "$O/model.json" --rebuild "$O"/rounds/001.jsonl >/dev/null
	rm "$BATS_TEST_TMPDIR/propose.log"
	tune EVALS=15 BATCH=3 >/dev/null 2>&1
	run cat "$BATS_TEST_TMPDIR/propose.log"
	assert_output '5 12 random'
	ar-learn -s "$S" -m "$BATS_TEST_TMPDIR/m.json" --rebuild "$O/history.jsonl" >/dev/null
	cmp "$BATS_TEST_TMPDIR/m.json" "$O/model.json"
}
