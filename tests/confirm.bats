#!/usr/bin/env bats
# tune.mk's confirm: the top of the history measured again, interleaved,
# the best chosen by its median over the odd passes and reported by its
# median over the even ones.  The studies are command studies
# whose program prints a time by design: configuration X takes X/100 s,
# but its runs listed in LUCKY take 5 ms (a lucky first measurement) and
# those in FAIL fail, each counted in a file of the program's own.  One
# run a measurement (warmup 0, repeat 1), so the measurements are the
# program's runs, in order.

load helper

# study FILE [OBJECTIVE]: the study, X in 1..4, and its program t.sh,
# which logs each run's X in runs.log.
study() {
	cat >"$T/t.sh" <<-'EOF'
	#!/bin/sh
	# t.sh X: run n of X (counted in n.X) takes X/100 s, 0.005 s where
	# "X:n" is in the file lucky, and fails where it is in the file fail.
	n=$(( $(cat "n.$1" 2>/dev/null || echo 0) + 1 ))
	echo "$n" >"n.$1"
	echo "$1" >>runs.log
	if grep -qx "$1:$n" fail 2>/dev/null; then echo "run $n of $1 failed" >&2; exit 3; fi
	t=$(echo "$1" | awk '{ print $1 / 100 }')
	grep -qx "$1:$n" lucky 2>/dev/null && t=0.005
	printf '{"time_s": %s}\n' "$t"
	EOF
	chmod +x "$T/t.sh"
	: >"$T/lucky"
	: >"$T/fail"
	jq -n --arg obj "${2:-minimize time_s}" '{name: "t", backend: "command",
	    command: ["./t.sh", "{X}"], params: {X: [1, 2, 3, 4]},
	    bench: {warmup: 0, repeat: 1}, objective: $obj}' >"$T/$1"
}

# tune ARG...: tune.mk on $T/s.json, every configuration in one round.
tune() {
	env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS make -s -f "$ROOT/pipelines/tune.mk" \
	    BIN="${AR_BIN:-$ROOT/bin}" STUDY="$T/s.json" OUT="$T/out" \
	    EVALS=4 BATCH=4 STRATEGY=grid "$@"
}

setup() {
	T=$BATS_TEST_TMPDIR
}

@test "confirm picks the truly best by its median when the first measurement's best was lucky, and the summary says the order changed" {
	study s.json
	echo 3:1 >"$T/lucky"
	run --separate-stderr tune confirm
	assert_success
	C=$T/out/confirm.jsonl
	assert_line --index 0 'confirmed best of the top 4, each re-measured 12 times, interleaved, chosen on the odd passes:'
	assert_line --index 1 '  X=1'
	assert_line --index 2 '  objective 0.01 (median of 6 even passes, 95% CI 0.01 to 0.01); 0.01 on the odd passes, first measured 0.01'
	assert_line --index 3 "  id $(jq -r 'select(.params.X == 1) | .id' "$T/out/history.jsonl"), record at $T/out/confirm.jsonl:1"
	assert_line --index 4 "  the order changed: it was #2 by its first measurement; the first measurement's best (id $(jq -r 'select(.params.X == 3) | .id' "$T/out/history.jsonl")) measured 0.005, re-measured 0.03 on the odd passes, 0.03 on the even"
	[ "${#lines[@]}" = 5 ]
	assert_equal "$stderr" 'round 001 of 1: 4 proposals (grid)
confirm: 4 candidates, 12 times each, interleaved'
	# The history's best is X=3, measured once at 5 ms.
	run jq -sr 'max_by(.score) | "\(.params.X) \(.time_s)"' "$T/out/history.jsonl"
	assert_output '3 0.005'
	# Every candidate measured ok (4 of the 5 asked for), 12 times each,
	# 6 to choose and 6 to report, best first.
	run jq -r '"\(.params.X) \(.confirm.was) \(.confirm.n) \(.confirm.median) \(.confirm.ci95) \(.confirm.select) \(.confirm.status) \(.confirm.values | length)"' "$C"
	assert_output - <<-'EOF'
	1 2 6 0.01 [0.01,0.01] {"n":6,"median":0.01} ok 12
	2 3 6 0.02 [0.02,0.02] {"n":6,"median":0.02} ok 12
	3 1 6 0.03 [0.03,0.03] {"n":6,"median":0.03} ok 12
	4 4 6 0.04 [0.04,0.04] {"n":6,"median":0.04} ok 12
	EOF
	# The records are the history's (its first measurement), with confirm.
	run jq -c 'del(.confirm)' "$C"
	assert_output "$(jq -c 'select(.params.X == 1), select(.params.X == 2),
	    select(.params.X == 3), select(.params.X == 4)' "$T/out/history.jsonl")"
	# Interleaved: after the round's four runs, each pass measures all
	# four, in the order of the first measurement (3 1 2 4) rotated by one
	# more each pass.
	run bash -c "tail -n 48 '$T/runs.log' | paste -sd ' '"
	four='3 1 2 4 1 2 4 3 2 4 3 1 4 3 1 2'
	assert_output "$four $four $four"
	assert_equal "$(wc -l <"$T/runs.log")" 52
	# The summary, the default goal, keeps its lines and says the same
	# after the best's.
	run --separate-stderr tune
	assert_success
	assert_line --index 0 'best of 4 evaluations (4 ok):'
	assert_line --index 1 '  X=3'
	assert_line --index 4 'confirmed best of the top 4, each re-measured 12 times, interleaved, chosen on the odd passes:'
	assert_line --index 8 --partial '  the order changed: it was #2 by its first measurement;'
	assert_line --index 9 'top 3:'
	assert_equal "$stderr" ''
}

@test "confirm with an order that held, a maximised objective, and fewer candidates" {
	study s.json 'maximize 1 / time_s'
	run --separate-stderr tune confirm CONFIRM_TOP=2 CONFIRM_REPEAT=3
	assert_success
	run jq -r '"\(.params.X) \(.confirm.was) \(.confirm.median) \(.confirm.ci95)"' "$T/out/confirm.jsonl"
	assert_output - <<-'EOF'
	1 1 100 null
	2 2 50 null
	EOF
	# One even pass has no 95% interval of its median.
	run --separate-stderr tune confirm CONFIRM_TOP=2 CONFIRM_REPEAT=3
	assert_line --index 2 '  objective 100 (median of 1 even pass, too few for a 95% interval); 100 on the odd passes, first measured 100'
	assert_line --index 4 '  the order held: the best by its first measurement too'
	assert_equal "$(wc -l <"$T/runs.log")" 10
}

@test "confirm is not run again while the history and its settings are unchanged, and is when they change" {
	study s.json
	run --separate-stderr tune confirm CONFIRM_TOP=2 CONFIRM_REPEAT=2
	assert_success
	assert_equal "$(wc -l <"$T/runs.log")" 8
	first=$(cat "$T/out/confirm.jsonl")
	run --separate-stderr tune confirm CONFIRM_TOP=2 CONFIRM_REPEAT=2
	assert_success
	assert_equal "$stderr" ''
	assert_line --index 0 'confirmed best of the top 2, each re-measured 2 times, interleaved, chosen on the odd passes:'
	assert_equal "$(wc -l <"$T/runs.log")" 8
	assert_equal "$(cat "$T/out/confirm.jsonl")" "$first"
	# Another setting measures again.
	run --separate-stderr tune confirm CONFIRM_TOP=2 CONFIRM_REPEAT=3
	assert_success
	assert_equal "$(wc -l <"$T/runs.log")" 14
	# A history made again (a round written anew) is confirmed again; and
	# until it is, the summary says the confirmation is out of date.
	sleep 0.01
	touch "$T/out/rounds/001.jsonl"
	run --separate-stderr tune
	assert_success
	assert_line "not confirmed: $T/out/confirm.jsonl is older than the history (tune.mk's confirm measures the top again)"
	refute_output --partial 'confirmed best'
	run --separate-stderr tune confirm CONFIRM_TOP=2 CONFIRM_REPEAT=3
	assert_success
	assert_equal "$(wc -l <"$T/runs.log")" 20
	ls -a "$T/out" >"$T/ls"
	run grep -c 'tmp' "$T/ls"
	assert_output 0
}

@test "a candidate that fails on re-measurement keeps its status in the confirm record and is not chosen" {
	study s.json
	# X=1, the true best, fails on its third run (the second re-measurement).
	echo 1:3 >"$T/fail"
	run --separate-stderr tune confirm CONFIRM_TOP=3 CONFIRM_REPEAT=6
	assert_success
	run jq -c '[.params.X, .confirm.status, .confirm.n, .confirm.median, .confirm.select.n, .confirm.was]' "$T/out/confirm.jsonl"
	assert_output - <<-'EOF'
	[2,"ok",3,0.02,3,2]
	[3,"ok",3,0.03,3,3]
	[1,"crash",2,0.01,3,1]
	EOF
	run jq -c 'select(.params.X == 1) | .confirm | [.values, .error]' "$T/out/confirm.jsonl"
	assert_output --regexp '^\[\[0\.01,null,0\.01,0\.01,0\.01,0\.01\],"re-measurement 2 of 6: .*run 3 of 1 failed.*"\]$'
	run --separate-stderr tune
	assert_line --index 5 '  X=2'
	assert_line --index 8 "  the order changed: it was #2 by its first measurement; the first measurement's best (id $(jq -r 'select(.params.X == 1) | .id' "$T/out/history.jsonl")) measured 0.01, re-measured crash"
	assert_line --index 9 --regexp '^  failed on re-measurement: id [0-9a-f]+ \(#1 by its first measurement\) crash: re-measurement 2 of 6: '
}

@test "the best is chosen on the odd passes and reported with its median over the even ones, which did not choose it" {
	study s.json
	# X=2 is lucky in its odd passes (its runs 2 and 4: its first
	# measurement was run 1): chosen, and reported at its even passes'
	# median, 0.02, its true time, not at 0.005.
	printf '%s\n' 2:2 2:4 >"$T/lucky"
	run --separate-stderr tune confirm CONFIRM_REPEAT=4
	assert_success
	run jq -c '[.params.X, .confirm.median, .confirm.ci95, .confirm.select, .confirm.values, .confirm.was]' "$T/out/confirm.jsonl"
	assert_output - <<-'EOF'
	[2,0.02,null,{"n":2,"median":0.005},[0.005,0.02,0.005,0.02],2]
	[1,0.01,null,{"n":2,"median":0.01},[0.01,0.01,0.01,0.01],1]
	[3,0.03,null,{"n":2,"median":0.03},[0.03,0.03,0.03,0.03],3]
	[4,0.04,null,{"n":2,"median":0.04},[0.04,0.04,0.04,0.04],4]
	EOF
	run --separate-stderr tune confirm CONFIRM_REPEAT=4
	assert_line --index 2 '  objective 0.02 (median of 2 even passes, too few for a 95% interval); 0.005 on the odd passes, first measured 0.02'
	assert_line --index 4 "  the order changed: it was #2 by its first measurement; the first measurement's best (id $(jq -r 'select(.params.X == 1) | .id' "$T/out/history.jsonl")) measured 0.01, re-measured 0.01 on the odd passes, 0.01 on the even"
	# Luck in an even pass moves the figure reported, never the choice.
	rm -rf "$T/out" "$T"/n.* "$T/runs.log"
	echo 2:3 >"$T/lucky"
	run --separate-stderr tune confirm CONFIRM_REPEAT=4
	assert_success
	run jq -c '[.params.X, .confirm.median, .confirm.select.median]' "$T/out/confirm.jsonl"
	assert_output - <<-'EOF'
	[1,0.01,0.01]
	[2,0.0125,0.02]
	[3,0.03,0.03]
	[4,0.04,0.04]
	EOF
}

@test "confirm refuses a replay study, which re-measures nothing, and a history with nothing measured ok" {
	synth_study "$T"
	run --separate-stderr tune confirm STRATEGY=random EVALS=8 BATCH=8
	assert_failure
	grep -qxF "confirm.sh: $T/s.json is a replay study: ar-bench gives back the time its file recorded and re-measures nothing, so there is nothing to confirm (the history's best is the file's)" <<<"$stderr"
	[ ! -e "$T/out/confirm.jsonl" ]
	[ -e "$T/out/history.jsonl" ]
	study s.json
	rm -rf "$T/out"
	printf '%s\n' 1:1 2:1 3:1 4:1 >"$T/fail"
	run --separate-stderr tune confirm
	assert_failure
	grep -qxF "confirm.sh: no configuration measured ok in '$T/out/history.jsonl': nothing to confirm" <<<"$stderr"
	[ ! -e "$T/out/confirm.jsonl" ]
}

@test "tune.mk's help lists confirm's settings, and bad ones are refused" {
	run make -s -f "$ROOT/pipelines/tune.mk" help
	assert_success
	assert_line --regexp '^  CONFIRM_TOP +`confirm`: the candidates measured again \(5\)$'
	assert_line --regexp '^  CONFIRM_REPEAT +`confirm`: how many times each \(12\)$'
	assert_line --partial 'OUT=runs/matmul confirm'
	study s.json
	run --separate-stderr tune confirm CONFIRM_REPEAT=0
	assert_failure
	assert_output ''
	grep -qF 'CONFIRM_REPEAT=0 is not a whole number above 1' <<<"$stderr"
	# One pass could choose but leave nothing to report.
	run --separate-stderr tune confirm CONFIRM_REPEAT=1
	assert_failure
	grep -qF 'CONFIRM_REPEAT=1 is not a whole number above 1' <<<"$stderr"
	[ ! -e "$T/out/confirm.jsonl" ]
	tune
	run "$ROOT/pipelines/confirm.sh" pick -s "$T/s.json" -r 1 "$T/out/history.jsonl"
	assert_failure 2
	assert_output 'confirm.sh: -r 1: expected a whole number above 1 (the odd passes choose, the even ones report)'
}
