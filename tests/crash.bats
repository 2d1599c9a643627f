#!/usr/bin/env bats
# Crash safety of the loop (pipelines/tune.mk): a study killed with
# SIGKILL at any point and run again ends with the history and the model
# an uninterrupted run makes, and two runs on one output folder never
# interleave: the second waits for the first (OUT/.lock).

load helper

# 120 configurations, measured by a command that prints a time made from
# X and Y (best X=7, Y=3) after a short sleep, so that a kill lands in
# every stage of a round.
setup() {
	jq -n '{name: "crash", backend: "command",
	    command: ["sh", "-c", "sleep 0.02; printf \"\\173\\\"time_s\\\": %s\\175\\n\" $(( (X - 7) * (X - 7) + (Y - 3) * (Y - 3) + 1 ))"],
	    env: true, params: {X: [range(1; 31)], Y: [1, 2, 3, 4]},
	    bench: {warmup: 0, repeat: 1}}' >"$BATS_TEST_TMPDIR/s.json"
	S=$BATS_TEST_TMPDIR/s.json
}

# tune OUT: the study to 24 evaluations in rounds of 4, auto, seed 3.
tune() {
	env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS make -s -f "$ROOT/pipelines/tune.mk" \
	    BIN="${AR_BIN:-$ROOT/bin}" STUDY="$S" OUT="$1" EVALS=24 BATCH=4 \
	    SEED=3 JOBS=1
}

# What two runs must agree on: the ids in history order, with status and
# score (times and costs are measured, so they differ run to run).
outcome() {
	jq -c '[.id, .status, .score, .round, .strategy]' "$1/history.jsonl"
}

# Checks OUT against the clean run in $BATS_TEST_TMPDIR/clean.
same_as_clean() {
	local o=$1 line n=0
	# Whole JSON objects only, no id twice.
	while IFS= read -r line; do
		n=$((n + 1))
		jq -e 'type == "object"' <<<"$line" >/dev/null ||
		    fail "$o: line $n is not a whole record: $line"
	done <"$o/history.jsonl"
	[ "$n" -eq 24 ] || fail "$o: $n records, not 24"
	[ "$(jq -r .id "$o/history.jsonl" | sort -u | wc -l)" -eq 24 ] ||
	    fail "$o: an id is there twice"
	diff <(outcome "$BATS_TEST_TMPDIR/clean") <(outcome "$o") ||
	    fail "$o: not the history of the clean run"
	cmp "$BATS_TEST_TMPDIR/clean/model.json" "$o/model.json" ||
	    fail "$o: not the model of the clean run"
	# The model rebuilt from the history alone is that model too.
	ar-learn -s "$S" -m "$o/rebuilt.json" --rebuild "$o/history.jsonl" >/dev/null
	cmp "$BATS_TEST_TMPDIR/clean/model.json" "$o/rebuilt.json" ||
	    fail "$o: the model rebuilt from the history differs"
	[ -z "$(find "$o" -name '*.tmp')" ] || fail "$o: a .tmp is left"
}

@test "a run killed with SIGKILL at 20 points resumes to what one clean run makes" {
	local t0 t1 span k o pid
	t0=$EPOCHREALTIME
	tune "$BATS_TEST_TMPDIR/clean" >/dev/null
	t1=$EPOCHREALTIME
	span=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%d", (b - a) * 1000 }')
	# The clean run is what a second clean run makes.
	tune "$BATS_TEST_TMPDIR/again" >/dev/null
	same_as_clean "$BATS_TEST_TMPDIR/again"
	for k in $(seq 1 20); do
		o=$BATS_TEST_TMPDIR/kill$k
		# A new session, so that the kill takes make and every stage.
		setsid make -s -f "$ROOT/pipelines/tune.mk" \
		    BIN="${AR_BIN:-$ROOT/bin}" STUDY="$S" OUT="$o" EVALS=24 \
		    BATCH=4 SEED=3 JOBS=1 >/dev/null 2>&1 &
		pid=$!
		# Kill k spread over the span of a whole run, and a little beyond.
		sleep "$(awk -v s="$span" -v k="$k" 'BEGIN { printf "%.3f", s * k / 19 / 1000 }')"
		kill -KILL -- "-$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		# The history as the kill left it holds whole records only.
		if [ -e "$o/history.jsonl" ]; then
			run jq -c . "$o/history.jsonl"
			assert_success
		fi
		tune "$o" >/dev/null
		same_as_clean "$o"
	done
}

@test "two runs on one folder at once: the second waits, nothing interleaves" {
	local o=$BATS_TEST_TMPDIR/both a b
	tune "$BATS_TEST_TMPDIR/clean" >/dev/null
	tune "$o" >"$BATS_TEST_TMPDIR/a.out" 2>"$BATS_TEST_TMPDIR/a.err" &
	a=$!
	# Once the first is working, it holds the lock.
	for _ in $(seq 100); do
		[ -e "$o/rounds" ] && break
		sleep 0.05
	done
	run flock -n "$o/.lock" true
	assert_failure
	tune "$o" >"$BATS_TEST_TMPDIR/b.out" 2>"$BATS_TEST_TMPDIR/b.err" &
	b=$!
	wait "$a"
	wait "$b"
	same_as_clean "$o"
	# The first made every round; the second, once it had the lock,
	# found the study done and made none; both print the same summary.
	[ "$(grep -c '^round ' "$BATS_TEST_TMPDIR/a.err")" -eq 6 ]
	run grep -c '^round ' "$BATS_TEST_TMPDIR/b.err"
	assert_output 0
	diff "$BATS_TEST_TMPDIR/a.out" "$BATS_TEST_TMPDIR/b.out"
}

# A study whose candidates are code variants (ar-formats(7) "variant"):
# the naive matmul at N=16, its loops tiled, unrolled and vectorised, no
# parallel loop (a race would make a status that differs run to run), by
# random, whose proposals do not depend on measured times.  The build
# cache is shared, so each variant is compiled once whatever the kills.
variant_study() {
	jq -n --arg k "$ROOT/kernels/matmul" '{name: "crash-variants",
	    backend: "c", source: ($k + "/naive.c"), entry: "matmul",
	    problem: {N: 16}, params: {},
	    transform: {ops: ["tile", "unroll", "vec"], tile: [4, 8],
	        unroll: [2, 4], vec: [4, 8]},
	    args: [
	        {name: "A", type: "float32[]", size: "N * N", init: "random"},
	        {name: "B", type: "float32[]", size: "N * N", init: "random"},
	        {name: "C", type: "float32[]", size: "N * N", init: "zero", output: true},
	        {name: "n", type: "int32", value: "N"}],
	    reference: {source: ($k + "/matmul_ref.c"), entry: "matmul_ref"},
	    verify: {rtol: 1e-4, atol: 1e-4}, objective: "minimize time_s",
	    compile: {cc: "clang", flags: ["-O2", "-fopenmp", "-fopenmp-version=51"]},
	    bench: {warmup: 0, repeat: 1}}' >"$BATS_TEST_TMPDIR/v.json"
}

tune_variants() {
	env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS setsid make -s \
	    -f "$ROOT/pipelines/tune.mk" BIN="${AR_BIN:-$ROOT/bin}" \
	    STUDY="$BATS_TEST_TMPDIR/v.json" OUT="$1" EVALS=12 BATCH=4 SEED=5 \
	    JOBS=1 STRATEGY=random CACHE="$BATS_TEST_TMPDIR/cache"
}

@test "a study of code variants killed with SIGKILL resumes: the same history, every variant in the store" {
	local t0 t1 span k o pid killed=0 cut=0
	command -v clang >/dev/null || skip "no clang"
	variant_study
	tune_variants "$BATS_TEST_TMPDIR/vclean" >/dev/null 2>&1
	# The span of a run once the cache holds every variant's build, as
	# the killed runs find it.
	t0=$EPOCHREALTIME
	tune_variants "$BATS_TEST_TMPDIR/vagain" >/dev/null 2>&1
	t1=$EPOCHREALTIME
	cmp "$BATS_TEST_TMPDIR/vclean/model.json" "$BATS_TEST_TMPDIR/vagain/model.json" >/dev/null ||
	    diff <(jq -c '[.id, .status]' "$BATS_TEST_TMPDIR/vclean/history.jsonl") \
	    <(jq -c '[.id, .status]' "$BATS_TEST_TMPDIR/vagain/history.jsonl")
	span=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%d", (b - a) * 1000 }')
	[ "$(jq -s 'map(select(.variant)) | length' "$BATS_TEST_TMPDIR/vclean/history.jsonl")" -eq 12 ]
	for k in 1 2 3 4 5 6; do
		o=$BATS_TEST_TMPDIR/vkill$k
		# setsid itself in the background, so that its pid is the
		# process group the kill takes (make and every stage).
		setsid env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS make -s \
		    -f "$ROOT/pipelines/tune.mk" BIN="${AR_BIN:-$ROOT/bin}" \
		    STUDY="$BATS_TEST_TMPDIR/v.json" OUT="$o" EVALS=12 BATCH=4 \
		    SEED=5 JOBS=1 STRATEGY=random CACHE="$BATS_TEST_TMPDIR/cache" \
		    >/dev/null 2>&1 &
		pid=$!
		sleep "$(awk -v s="$span" -v k="$k" 'BEGIN { printf "%.3f", s * k / 7 / 1000 }')"
		kill -KILL -- "-$pid" 2>/dev/null && killed=$((killed + 1))
		wait "$pid" 2>/dev/null || true
		# What the kill left: fewer records than the clean run.
		[ "$(cat "$o/history.jsonl" 2>/dev/null | wc -l)" -lt 12 ] &&
		    cut=$((cut + 1))
		tune_variants "$o" >/dev/null 2>&1
		diff <(jq -c '[.id, .status, .round, .variant.sha256, .variant.ops]' "$BATS_TEST_TMPDIR/vclean/history.jsonl") \
		    <(jq -c '[.id, .status, .round, .variant.sha256, .variant.ops]' "$o/history.jsonl") ||
		    fail "kill $k: not the history of the clean run"
		# Every record's variant is whole in the store, under its hash.
		while read -r h f; do
			[ "$f" = "$o/variants/$h.c" ] || fail "kill $k: $f is not in the run's store"
			[ "$(sha256sum <"$f" | cut -c1-64)" = "$h" ] || fail "kill $k: $f does not hash to its name"
		done < <(jq -r '.variant | "\(.sha256) \(.file)"' "$o/history.jsonl")
		# (A kill in the middle of storing one may leave a hidden
		# temporary there, which a later run removes once it is old.)
		[ -z "$(find "$o" -name '*.tmp' -not -path "$o/variants/*")" ] ||
		    fail "kill $k: a .tmp is left"
	done
	# The kills took runs in the middle, not after they were done.
	[ "$killed" -ge 4 ] && [ "$cut" -ge 3 ] ||
	    fail "only $killed kills landed, $cut in the middle of a run"
}
