#!/usr/bin/env bats
# The strategy benchmark's simulator (pipelines/bench/strategies/sim.c)
# runs the loop of pipelines/tune.mk in one process.  Its figures are
# honest only if it is the same loop: for every strategy, the same study,
# seed, EVALS or SECONDS and BATCH must give the very history the
# pipeline writes, byte for byte.  The tests replay a synthetic cache
# file (tests/fixtures/replay/synth.jq) so that they need none of the
# datasets that live outside the repository.

load helper

# The simulator and the synthetic study (sim_fixture, helper.bash).
setup_file() {
	sim_fixture "$BATS_FILE_TMPDIR"
}

setup() {
	SYN=$BATS_FILE_TMPDIR/synth-study.json
	O=$BATS_TEST_TMPDIR/out
}

tune() {
	env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS make -s -f "$ROOT/pipelines/tune.mk" \
	    BIN="${AR_BIN:-$ROOT/bin}" OUT="$O" "$@" >/dev/null
}

@test "every strategy proposes in the simulator what it proposes in the pipeline" {
	for s in grid random anneal ga bo rl auto; do
		rm -rf "$O"
		tune STUDY="$SYN" STRATEGY=$s SEED=3 EVALS=17 BATCH=3
		run "$SIM" -s "$SYN" --strategy $s --seed 3 --evals 17 --batch 3 \
		    --history "$BATS_TEST_TMPDIR/sim.jsonl"
		assert_success
		[ "$(wc -l <"$O/history.jsonl")" -eq 17 ]
		cmp "$O/history.jsonl" "$BATS_TEST_TMPDIR/sim.jsonl" ||
		    fail "strategy $s: the simulator's history differs from the pipeline's"
		# --trace is the proposals, in the pipeline's order.
		run "$SIM" -s "$SYN" --strategy $s --seed 3 --evals 17 --batch 3 --trace
		assert_equal "$output" "$(jq -c '{study, id, round, strategy, params}' "$O/history.jsonl")"
	done
}

@test "the simulator spends SECONDS of recorded cost as the pipeline does" {
	study=$SYN
	tune STUDY="$study" STRATEGY=auto SEED=2 SECONDS=30 BATCH=4
	run "$SIM" -s "$study" --seed 2 --seconds 30 --evals 100000 --batch 4 \
	    --history "$BATS_TEST_TMPDIR/sim.jsonl"
	assert_success
	cmp "$O/history.jsonl" "$BATS_TEST_TMPDIR/sim.jsonl"
	# The last round started below the budget and ended past it.
	n=$(wc -l <"$O/history.jsonl")
	[ "$n" -ge 8 ]
	jq -s -e 'map(.cost_s) | add >= 30' "$O/history.jsonl"
	jq -s -e '.[:-4] | map(.cost_s) | add < 30' "$O/history.jsonl"
	assert_equal "$(jq .evals <<<"$output")" "$n"
}

@test "a warm start (PRIOR=) is the same in the simulator and the pipeline" {
	# The prior: a history of the same space under another study's name.
	jq --arg src "$(dirname "$SYN")/$(jq -r .source "$SYN")" \
	    '.name = "synth-elsewhere" | .source = $src' "$SYN" >"$BATS_TEST_TMPDIR/other.json"
	"$SIM" -s "$BATS_TEST_TMPDIR/other.json" --strategy random --seed 9 --evals 40 \
	    --history "$BATS_TEST_TMPDIR/prior.jsonl" >/dev/null
	for s in rl auto; do
		rm -rf "$O"
		tune STUDY="$SYN" STRATEGY=$s SEED=1 EVALS=12 BATCH=4 PRIOR="$BATS_TEST_TMPDIR/prior.jsonl"
		jq -e '.prior.records == 40' "$O/model.json"
		"$SIM" -s "$SYN" --strategy $s --seed 1 --evals 12 --batch 4 \
		    --prior "$BATS_TEST_TMPDIR/prior.jsonl" --history "$BATS_TEST_TMPDIR/sim.jsonl" >/dev/null
		cmp "$O/history.jsonl" "$BATS_TEST_TMPDIR/sim.jsonl" ||
		    fail "strategy $s: the warm simulator's history differs from the pipeline's"
	done
}

@test "the simulator's figures: fraction of optimum, prefixes and the product protocol" {
	run "$SIM" -s "$SYN" --strategy random --seeds 0:1 --evals 50 --budgets 10,50
	assert_success
	assert_jsonl
	[ "${#lines[@]}" -eq 2 ]
	# Against the history itself: the best ok time after 10 and 50.
	"$SIM" -s "$SYN" --strategy random --seed 1 --evals 50 --history "$BATS_TEST_TMPDIR/h.jsonl" >/dev/null
	opt=$(zcat -f "$(dirname "$SYN")/$(jq -r .source "$SYN")" |
	    jq '[.cache[].time | numbers | select(. < 1e20)] | min / 1000')
	for k in 10 50; do
		want=$(head -n $k "$BATS_TEST_TMPDIR/h.jsonl" | jq -s --argjson opt "$opt" \
		    '[.[] | select(.status == "ok") | .time_s] | $opt / min')
		got=$(jq -s --argjson i $((k == 10 ? 0 : 1)) '.[1].a[$i]' <<<"$output")
		jq -n -e --argjson a "$want" --argjson b "$got" '($a - $b) | fabs < 1e-12'
	done
	# 528 of the 600 combinations are valid: a budget drawn from the
	# product evaluates fewer, so (b) is at most (a).
	jq -s -e 'all(.[]; .space == 528 and .product == 600 and
	    .b[0] <= .a[0] and .b[1] <= .a[1])' <<<"$output"
}

@test "a seed runs the same alone as after other seeds in one process" {
	for s in grid random anneal ga bo rl auto; do
		run "$SIM" -s "$SYN" --strategy $s --seeds 0:2 --evals 30 --budgets 10,30
		assert_success
		last=${lines[2]}
		run "$SIM" -s "$SYN" --strategy $s --seed 2 --evals 30 --budgets 10,30
		assert_output "$last"
	done
}

@test "aggregate.sh and table.sh: means over the seeds, and the markdown table" {
	"$SIM" -s "$SYN" --strategy random --seeds 0:2 --evals 20 --budgets 10,20 >"$BATS_TEST_TMPDIR/runs.jsonl"
	run "$ROOT/pipelines/bench/strategies/aggregate.sh" <"$BATS_TEST_TMPDIR/runs.jsonl"
	assert_success
	assert_jsonl
	[ "${#lines[@]}" -eq 2 ]
	want=$(jq -s '[.[].a[1]] | add / length' "$BATS_TEST_TMPDIR/runs.jsonl")
	jq -e --argjson w "$want" 'select(.budget == 20) | .seeds == 3 and (.mean - $w | fabs) < 1e-12 and
	    .dataset == "synth" and .strategy == "random" and .prior == null' <<<"$output"
	printf '%s\n' "${lines[@]}" >"$BATS_TEST_TMPDIR/res.jsonl"
	run "$ROOT/pipelines/bench/strategies/table.sh" "$BATS_TEST_TMPDIR/res.jsonl"
	assert_success
	assert_line '| strategy | 10 | 20 |'
	assert_line --regexp "^\| random \| [01]\.[0-9]{3} \| $(jq -r '(. * 1000 | round) / 1000 | tostring | if test("\\.") then . else . + ".0" end' <<<"$want" | sed 's/\./\\./')"
}
