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

@test "a command study's program reads the rounds before its own in AR_HISTORY" {
	# seen.sh says how many records the history it was given holds.
	printf '%s\n' '#!/bin/sh' \
	    'printf "{\"seen\": %d, \"x\": %s}\n" "$(cat "$AR_HISTORY" | wc -l)" "$1"' \
	    >"$BATS_TEST_TMPDIR/seen.sh"
	chmod +x "$BATS_TEST_TMPDIR/seen.sh"
	printf '%s\n' '{"name": "seen", "backend": "command", "command": ["./seen.sh", "{X}"],
	    "params": {"X": [1, 2, 3, 4, 5, 6]}, "bench": {"warmup": 0, "repeat": 1},
	    "objective": "maximize output.x"}' >"$BATS_TEST_TMPDIR/seen.json"
	run --separate-stderr tune STUDY="$BATS_TEST_TMPDIR/seen.json" DEFS= ROUNDS=3 BATCH=2 STRATEGY=grid
	assert_success
	run jq -c '[.round, .output.seen]' "$BATS_TEST_TMPDIR/out/history.jsonl"
	assert_output "$(printf '%s\n' '[1,0]' '[1,0]' '[2,2]' '[2,2]' '[3,4]' '[3,4]')"
	run ls "$BATS_TEST_TMPDIR/out/rounds"
	assert_output "$(printf '%s\n' 001.jsonl 002.jsonl 003.jsonl)"
}

@test "a study of two objectives: each round is ranked among the rounds before it, and the summary is the front" {
	# acc = 10 A - B, size = A^2 + B: every A with B = 1 is on the front.
	printf '%s\n' '#!/bin/sh' 'echo "{\"acc\": $(($1 * 10 - $2)), \"size\": $(($1 * $1 + $2))}"' \
	    >"$BATS_TEST_TMPDIR/two.sh"
	chmod +x "$BATS_TEST_TMPDIR/two.sh"
	printf '%s\n' '{"name": "two", "backend": "command", "command": ["./two.sh", "{A}", "{B}"],
	    "params": {"A": [1, 2, 3, 4, 5, 6], "B": [1, 2, 3, 4, 5, 6]}, "bench": {"warmup": 0, "repeat": 1},
	    "objectives": ["maximize output.acc", "minimize output.size"]}' >"$BATS_TEST_TMPDIR/two.json"
	run --separate-stderr tune STUDY="$BATS_TEST_TMPDIR/two.json" DEFS= ROUNDS=3 BATCH=6 STRATEGY=bo SEED=3
	assert_success
	summary=$output
	H=$BATS_TEST_TMPDIR/out/history.jsonl
	# Ranked among what came before: a rank is never below the rank the
	# whole history gives (re-scoring it in one go).
	run bash -c "paste <(jq .pareto '$H') <(ar-score -s '$BATS_TEST_TMPDIR/two.json' '$H' | jq .pareto) | awk '\$1 > \$2'"
	assert_output ''
	# The summary's front is the rank-1 records of the whole history,
	# and holds every record with B = 1 (optimal whatever else ran).
	n=$(ar-score -s "$BATS_TEST_TMPDIR/two.json" "$H" | jq -s '[.[] | select(.pareto == 1)] | length')
	b1=$(jq -s '[.[] | select(.params.B == 1)] | length' "$H")
	run cat <<<"$summary"
	assert_line --index 0 "Pareto front of 18 evaluations ($n points): maximize output.acc, minimize output.size"
	run bash -c "sed -n '2,\$p' <<<'$summary' | grep -c ' B=1 '"
	assert_output "$b1"
	[ "$b1" -ge 2 ] || fail "the front has $b1 point(s) with B = 1"
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

# A study of a command that prints X as its time after sleeping $1
# seconds, and a tune.mk on it, without -s: cmd_study SLEEP [JQ-EDIT].
cmd_study() {
	jq -n --arg sleep "$1" '{name: "slow", backend: "command",
	    command: ["sh", "-c", "sleep \($sleep); printf \"\\173\\\"time_s\\\": %s, \\\"ratio\\\": 2\\175\\n\" \"$X\""],
	    env: true, params: {X: [range(1; 31)]},
	    bench: {warmup: 0, repeat: 1}} | '"${2:-.}" >"$BATS_TEST_TMPDIR/s.json"
	O=$BATS_TEST_TMPDIR/out
}
tune_cmd() {
	env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS make -f "$ROOT/pipelines/tune.mk" \
	    BIN="${AR_BIN:-$ROOT/bin}" STUDY="$BATS_TEST_TMPDIR/s.json" OUT="$O" \
	    STRATEGY=random "$@"
}
# Waits (5 s at most) for FILE to exist and not be empty.
await() {
	local i
	for i in $(seq 50); do [ -s "$1" ] && return; sleep 0.1; done
	fail "$1 did not come"
}

@test "a round measured ok without a score stops the run, its records kept aside" {
	# The objective names a field that the output lacks (ratoi).
	cmd_study 0 '.objective = "maximize output.ratoi"'
	run --separate-stderr tune_cmd EVALS=8 BATCH=4
	assert_failure
	assert_output ''
	[[ $stderr == *"round 001 of 2: 4 proposals (random)"* ]]
	[[ $stderr == *"round 001: 4 records measured ok but none has a score: the objective or a metric names a field they lack (see ar-score's warning above)"* ]]
	[[ $stderr != *"round 002"* ]]
	[ ! -e "$O/rounds/001.jsonl" ]
	[ ! -e "$O/rounds/001.jsonl.tmp" ]
	run jq -r '[.status, (.score | tostring)] | @tsv' "$O/rounds/001.failed.jsonl"
	assert_output "$(printf 'ok\tnull\n%.0s' 1 2 3 4)"
	# Fixed, the study measures that round again, and the failed one goes.
	cmd_study 0 '.objective = "maximize output.ratio"'
	run --separate-stderr tune_cmd EVALS=8 BATCH=4
	assert_success
	[[ $stderr == *"round 001 of 2"* ]]
	[ -s "$O/rounds/001.jsonl" ]
	[ ! -e "$O/rounds/001.failed.jsonl" ]
	[ "$(jq -s 'map(select(.score | numbers)) | length' "$O/history.jsonl")" -eq 8 ]
}

@test "a round of candidates that all fail on their own is a round like any other" {
	# Every candidate crashes.
	cmd_study 0 '.command = ["sh", "-c", "exit 3"]'
	run --separate-stderr tune_cmd EVALS=8 BATCH=4
	assert_success
	assert_line --index 0 --regexp '^no configuration'
	[ "$(jq -s 'map(select(.status == "crash")) | length' "$O/history.jsonl")" -eq 8 ]
	[ ! -e "$O/rounds/001.failed.jsonl" ]
	# Every candidate measures ok and misses the study's requirement.
	rm -rf "$O"
	cmd_study 0 '.require = ["output.ratio >= 5"]'
	run --separate-stderr tune_cmd EVALS=8 BATCH=4
	assert_success
	[ "$(jq -s 'map(select(.status == "infeasible")) | length' "$O/history.jsonl")" -eq 8 ]
	[ ! -e "$O/rounds/001.failed.jsonl" ]
	# Some have a score, some not (their output lacks the field): a
	# round like any other too.
	rm -rf "$O"
	cat >"$BATS_TEST_TMPDIR/s.json" <<-'END'
	{"name": "some", "backend": "command", "env": true,
	 "command": ["sh", "-c", "if [ $X -gt 15 ]; then echo '{{\"time_s\": 1, \"ratio\": 2}}'; else echo '{{\"time_s\": 1}}'; fi"],
	 "params": {"X": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20]},
	 "objective": "maximize output.ratio", "bench": {"warmup": 0, "repeat": 1}}
	END
	run --separate-stderr tune_cmd EVALS=20 BATCH=20
	assert_success
	[ "$(jq -s 'map(select(.status == "ok" and .score == null)) | length' "$O/history.jsonl")" -eq 15 ]
	[ "$(jq -s 'map(select(.score | numbers)) | length' "$O/history.jsonl")" -eq 5 ]
}

@test "an interrupt ends a run quietly, leaves no temporary file, and the round is run again" {
	cmd_study 0.3
	# A run in a process group of its own, interrupted as ^C would be:
	# the signal reaches every process of the group.  setsid makes the
	# group (its pid is the group's, where bash's set -m once left the
	# run in the test's group, the kill finding no group to take), and
	# env gives back the interrupt a background command starts without.
	setsid env --default-signal=INT -u MAKEFLAGS -u MAKELEVEL -u MFLAGS \
	    make -f "$ROOT/pipelines/tune.mk" BIN="${AR_BIN:-$ROOT/bin}" \
	    STUDY="$BATS_TEST_TMPDIR/s.json" OUT="$O" STRATEGY=random \
	    EVALS=8 BATCH=4 >"$BATS_TEST_TMPDIR/stdout" 2>"$BATS_TEST_TMPDIR/stderr" &
	pid=$!
	await "$O/rounds/001.jsonl.tmp"
	kill -INT -- -"$pid" || fail "no process group $pid to interrupt"
	status=0
	wait "$pid" || status=$?
	[ "$status" -eq 130 ] || fail "status $status; stderr: $(cat "$BATS_TEST_TMPDIR/stderr")"
	assert_equal "$(cat "$BATS_TEST_TMPDIR/stdout")" ''
	assert_equal "$(cat "$BATS_TEST_TMPDIR/stderr")" "$(printf '%s\n' \
	    'round 001 of 2: 4 proposals (random)' \
	    'interrupted: a later run goes on from where this one stopped')"
	run ls -A "$O/rounds"
	assert_output ''
	run --separate-stderr tune_cmd EVALS=8 BATCH=4
	assert_success
	[[ $stderr == *"round 001 of 2"* ]]
	[ "$(wc -l <"$O/history.jsonl")" -eq 8 ]
}

@test "a run removes the temporary files that a killed run left" {
	cmd_study 0
	tune_cmd EVALS=4 BATCH=4 >/dev/null 2>&1
	echo '{"partial' >"$O/rounds/002.jsonl.tmp"
	echo '{"partial' >"$O/history.jsonl.tmp"
	run --separate-stderr tune_cmd EVALS=4 BATCH=4
	assert_success
	assert_equal "$stderr" ''
	run ls -A "$O" "$O/rounds"
	refute_output --partial .tmp
}

@test "a run that finds OUT locked says whom it waits for, then goes on" {
	cmd_study 0.3
	# Started so that $! is the pid of make.
	env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS make -s -f "$ROOT/pipelines/tune.mk" \
	    BIN="${AR_BIN:-$ROOT/bin}" STUDY="$BATS_TEST_TMPDIR/s.json" OUT="$O" \
	    STRATEGY=random EVALS=4 BATCH=4 >/dev/null 2>&1 &
	first=$!
	await "$O/rounds/001.jsonl.tmp"
	run --separate-stderr tune_cmd EVALS=8 BATCH=4
	wait "$first"
	assert_success
	lock=$(realpath "$O/.lock")
	assert_equal "${stderr%%$'\n'*}" "waiting for $lock held by pid $first"
	[[ $stderr == *"round 002 of 2"* ]]
	[[ $stderr != *"round 001"* ]]
	# A lock that some other program holds: its pid, from /proc/locks.
	: >"$O/.lock"
	flock "$O/.lock" sleep 1 &
	holder=$!
	sleep 0.2
	run --separate-stderr tune_cmd EVALS=8 BATCH=4
	assert_success
	assert_equal "$stderr" "waiting for $lock held by pid $holder"
}

@test "tune.mk prints none of its own commands, and help needs no study" {
	cmd_study 0
	run --separate-stderr tune_cmd EVALS=4 BATCH=2
	assert_success
	assert_line --index 0 'best of 4 evaluations (4 ok):'
	refute_output --regexp '(^|\n)(cat|mv|touch) '
	assert_equal "$(grep -v '^round 00[12] of 2: 2 proposals (random)$' <<<"$stderr")" ''
	run --separate-stderr env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS \
	    make -f "$ROOT/pipelines/tune.mk" help
	assert_success
	assert_equal "$stderr" ''
	assert_line --index 0 'tune.mk -- the closed loop, one round per file target.'
	assert_line '  make -f pipelines/tune.mk STUDY=kernels/matmul/cpu.json EVALS=160 BATCH=8 OUT=runs/matmul'
	assert_line 'Variables:'
	for v in STUDY EVALS SECONDS ROUNDS BATCH OUT STRATEGY SEED PRIOR JOBS DEFS CACHE BIN BENCH; do
		assert_output --regexp "(^|\n|  )$v  "
	done
}

@test "the GNU parallel recipe, as README shows it, keeps every record and its order" {
	command -v parallel >/dev/null || skip "GNU parallel is not installed (make deps)"
	s=$ROOT/kernels/matmul/cpu.json
	c=$BATS_TEST_TMPDIR/cache
	ar-propose -s "$s" -D N=32 -n 4 --seed 1 >"$BATS_TEST_TMPDIR/p.jsonl"
	run --separate-stderr bash -o pipefail -c "
	    parallel --pipe -N1 --keep-order -j4 ar-compile -s '$s' -D N=32 --cache '$c' <'$BATS_TEST_TMPDIR/p.jsonl' |
	    parallel --pipe -N1 --keep-order -j1 ar-bench -s '$s' -D N=32 --cache '$c' --repeat 2 |
	    ar-score -s '$s' -D N=32"
	assert_success
	assert_jsonl
	assert_equal "$(jq -r .id <<<"$output")" "$(jq -r .id "$BATS_TEST_TMPDIR/p.jsonl")"
	assert_equal "$(jq -r '[.status, (.score | type)] | @tsv' <<<"$output" | sort -u)" \
	    "$(printf 'ok\tnumber')"
	# CSV cut into lines loses its header, as README says.
	run --separate-stderr bash -c "ar-propose -s '$s' -D N=32 -n 3 --seed 1 --csv |
	    parallel --pipe -N1 --keep-order ar-compile -s '$s' -D N=32 --cache '$c' |
	    ar-bench -s '$s' -D N=32 --cache '$c'"
	refute_output --partial '"status":"ok"'
}

@test "the replay example: its dataset checked against SHA256SUMS, or one line naming what is missing" {
	# A copy of the study where no dataset is beside the clone.
	mkdir -p "$BATS_TEST_TMPDIR/clone/examples/replay"
	cp "$ROOT/examples/replay/gemm_RTX_3090.json" "$BATS_TEST_TMPDIR/clone/examples/replay/"
	cd "$BATS_TEST_TMPDIR/clone"
	run --separate-stderr env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS make -s \
	    -f "$ROOT/pipelines/tune.mk" BIN="${AR_BIN:-$ROOT/bin}" \
	    STUDY=examples/replay/gemm_RTX_3090.json EVALS=4 OUT=runs/gemm
	assert_failure 2
	assert_equal "${stderr%%$'\n'*}" "ar-learn: examples/replay/gemm_RTX_3090.json: key \"source\": cannot open 'examples/replay/../../../shared/datasets/raw/gemm_RTX_3090.json.gz': No such file or directory"
	run ar-propose -s examples/replay/gemm_RTX_3090.json --count
	assert_failure 2
	assert_output "ar-propose: examples/replay/gemm_RTX_3090.json: key \"source\": cannot open 'examples/replay/../../../shared/datasets/raw/gemm_RTX_3090.json.gz': No such file or directory"
	# With the datasets beside this checkout, README's example runs.
	data=$ROOT/../shared/datasets/raw
	[ -d "$data" ] || skip "no datasets in $data"
	(cd "$data" && sha256sum --quiet -c "$ROOT/examples/replay/SHA256SUMS")
	cd "$ROOT"
	run --separate-stderr env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS make -s \
	    -f pipelines/tune.mk BIN="${AR_BIN:-$ROOT/bin}" \
	    STUDY=examples/replay/gemm_RTX_3090.json EVALS=10 OUT="$BATS_TEST_TMPDIR/gemm"
	assert_success
	assert_line --index 0 --regexp '^best of 10 evaluations \([0-9]+ ok'
}

@test "the crontab line, as README shows it, prints nothing unless a run fails" {
	line=$(grep -E '^    \*/30 \* \* \* \* ' "$ROOT/README.md")
	cmd=${line#    \*/30 \* \* \* \* }
	# This checkout and this test's folder for /home/me; a small budget.
	cmd=${cmd//cd \/home\/me\/autoresearch/cd $ROOT}
	cmd=${cmd//\/home\/me/$BATS_TEST_TMPDIR}
	cmd=${cmd//EVALS=160/EVALS=2 BIN=${AR_BIN:-$ROOT/bin} DEFS=\'-D N=64\'}
	mkdir -p "$BATS_TEST_TMPDIR/runs"
	run env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS sh -c "$cmd"
	assert_success
	assert_output ''
	[ "$(wc -l <"$BATS_TEST_TMPDIR/runs/matmul/history.jsonl")" -eq 2 ]
	grep -q '^best of 2 evaluations' "$BATS_TEST_TMPDIR/runs/matmul.log"
	# A failing run (a study that is not there): cron mails the end of
	# the log.
	cmd=${cmd//cpu.json/nosuch.json}
	run env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS sh -c "${cmd//runs\/matmul/runs/other}"
	assert_success
	assert_output --partial "cannot open 'kernels/matmul/nosuch.json'"
	assert_output --partial 'make: *** '
}
