#!/usr/bin/env bats
# The simulator's noise and re-measuring (sim.c --noise, --remeasure,
# --confirm; pipelines/bench/strategies/remeasure.sh): the budget they
# spend, the configuration they choose, judged by its true time, and the
# output without them unchanged (tests/strategies-sim.bats).  On the
# synthetic cache file of tests/fixtures/replay/synth.jq.

load helper

setup_file() {
	sim_fixture "$BATS_FILE_TMPDIR"
}

setup() {
	SYN=$BATS_FILE_TMPDIR/synth-study.json
}

# truth: each configuration's recorded time in seconds, by its params as
# "bx,by,tx,ty,pad".
truth() {
	zcat "$BATS_FILE_TMPDIR/synth.json.gz" | jq -c '.cache[] |
	    select(.time | numbers | . < 1e20) |
	    {k: "\(.bx),\(.by),\(.tx),\(.ty),\(.pad)", t: (.time / 1000)}'
}

@test "noise multiplies each measured time, the fractions of optimum stay the true ones, and without noise the choice is the best measured" {
	# Random search proposes the same whatever it measures: the same
	# configurations with noise and without.
	run "$SIM" -s "$SYN" --strategy random --seeds 0:9 --evals 40 --budgets 10,40
	assert_success
	plain=$output
	run "$SIM" -s "$SYN" --strategy random --seeds 0:9 --evals 40 --budgets 10,40 --noise 0.1
	assert_success
	noisy=$output
	assert_equal "$(jq -c '[.a, .b, .to95]' <<<"$noisy")" "$(jq -c '[.a, .b, .to95]' <<<"$plain")"
	# The oracle is the last fraction; the choice by noisy measurement is
	# no better, and in some of the ten seeds worse.
	jq -s -e 'all(.[]; .found == .a[1] and .chosen <= .found and
	    .noise == 0.1 and .remeasure == 0 and .confirm == null and
	    .remeasured == 0 and .chosen_all == null)' <<<"$noisy"
	jq -s -e 'any(.[]; .chosen < .found)' <<<"$noisy"
	# Without noise the choice is the best measured.
	run "$SIM" -s "$SYN" --strategy random --seeds 0:9 --evals 40 --budgets 40 --noise 0
	jq -s -e 'all(.[]; .chosen == .found and .found == .a[0])' <<<"$output"
	# The history holds the noisy times: within exp(+-5 sigma) of the
	# truth, and not all equal to it.
	"$SIM" -s "$SYN" --strategy random --seed 3 --evals 40 --noise 0.1 \
	    --history "$BATS_TEST_TMPDIR/h.jsonl" >/dev/null
	run jq -n --slurpfile tr <(truth) '
	    ($tr | map({(.k): .t}) | add) as $t | [inputs |
	    select(.status == "ok") | .time_s / $t[.params |
	    "\(.bx),\(.by),\(.tx),\(.ty),\(.pad)"]] |
	    length > 30 and all(. > 0.6 and . < 1.65) and any(. != 1) and
	    (map(log) | add / length | fabs < 0.1)' "$BATS_TEST_TMPDIR/h.jsonl"
	assert_output true
}

@test "--remeasure spends R of each round after the first on the best so far, and the history holds their means" {
	run "$SIM" -s "$SYN" --strategy random --seed 2 --evals 40 --batch 8 --budgets 40 \
	    --noise 0.1 --remeasure 2 --history "$BATS_TEST_TMPDIR/h.jsonl"
	assert_success
	# Rounds of 8: the first all new, the four after it 2 again + 6 new.
	jq -e '.evals == 40 and .remeasured == 8 and .remeasure == 2' <<<"$output"
	assert_equal "$(wc -l <"$BATS_TEST_TMPDIR/h.jsonl")" 32
	# chosen_all is the best mean of all: the history's best.
	best=$(jq -s 'map(select(.status == "ok")) | min_by(.time_s) | .params' "$BATS_TEST_TMPDIR/h.jsonl")
	run jq -n --slurpfile tr <(truth) --argjson p "$best" --argjson out "$output" '
	    ($tr | map({(.k): .t}) | add) as $t |
	    ($tr | map(.t) | min) / $t[$p | "\(.bx),\(.by),\(.tx),\(.ty),\(.pad)"] |
	    . - $out.chosen_all | fabs < 1e-12'
	assert_output true
	# Without noise the times are the truth: each round from the second
	# re-measures the two best of the rounds before it, and the choice is
	# the best of those re-measured, which may miss the best found last.
	run "$SIM" -s "$SYN" --strategy random --seeds 0:9 --evals 40 --batch 8 --budgets 40 \
	    --noise 0 --remeasure 2
	for seed in 0 1 2 3 4 5 6 7 8 9; do
		"$SIM" -s "$SYN" --strategy random --seed $seed --evals 40 --batch 8 \
		    --noise 0 --remeasure 2 --history "$BATS_TEST_TMPDIR/h$seed.jsonl" >/dev/null
		want=$(jq -s --argjson opt "$(jq -s '.[0].optimum_s' <<<"$output")" '
		    map(select(.status == "ok")) | . as $h |
		    [range(2; (map(.round) | max) + 1) as $k |
		    $h | map(select(.round < $k)) | sort_by(.time_s) | .[:2][]] |
		    $opt / (map(.time_s) | min)' "$BATS_TEST_TMPDIR/h$seed.jsonl")
		jq -s -e --argjson i $seed --argjson w "$want" '.[$i] |
		    (.chosen - $w | fabs) < 1e-12 and .chosen <= .found and
		    .chosen_all == .found' <<<"$output"
	done
	jq -s -e 'any(.[]; .chosen < .found)' <<<"$output"
	# A round leaves one proposal at least: batch 2 re-measures one a round.
	run "$SIM" -s "$SYN" --strategy random --seed 2 --evals 10 --batch 2 --budgets 10 --remeasure 5
	jq -e '.evals == 10 and .remeasured == 4' <<<"$output"
	# --remeasure 0 and --noise 0 measure as before.
	run "$SIM" -s "$SYN" --strategy auto --seeds 0:1 --evals 30 --budgets 10,30 --noise 0 --remeasure 0
	assert_equal "$(jq -c 'del(.noise, .remeasure, .confirm, .remeasured, .chosen, .chosen_all, .found)' <<<"$output")" \
	    "$("$SIM" -s "$SYN" --strategy auto --seeds 0:1 --evals 30 --budgets 10,30 | jq -c .)"
}

@test "--confirm K:R spends the last K*R evaluations on the top K and chooses by the median of the odd passes" {
	run "$SIM" -s "$SYN" --strategy random --seeds 0:9 --evals 40 --budgets 40 --confirm 5:4
	assert_success
	# Without noise every pass agrees: the choice is the best measured.
	jq -s -e 'all(.[]; .evals == 40 and .remeasured == 20 and
	    .confirm == [5, 4] and .chosen == .found and .chosen_all == .found)' <<<"$output"
	# The search had 20: its best is that of random search at 20.
	run "$SIM" -s "$SYN" --strategy random --seeds 0:9 --evals 20 --budgets 20
	want=$(jq -s -c 'map(.a[0])' <<<"$output")
	run "$SIM" -s "$SYN" --strategy random --seeds 0:9 --evals 40 --budgets 40 --confirm 5:4
	assert_equal "$(jq -s -c 'map(.found)' <<<"$output")" "$want"
	# With a lot of noise, confirming chooses better than the single
	# noisy measurement over these seeds, at the same 40 evaluations
	# (the same 20 configurations: random proposes the same).
	run "$SIM" -s "$SYN" --strategy random --seeds 0:19 --evals 40 --budgets 40 --noise 0.3 --confirm 5:4
	conf=$(jq -s 'map(.chosen) | add' <<<"$output")
	run "$SIM" -s "$SYN" --strategy random --seeds 0:19 --evals 20 --budgets 20 --noise 0.3
	plain=$(jq -s 'map(.chosen) | add' <<<"$output")
	jq -n -e --argjson c "$conf" --argjson p "$plain" '$c > $p'
}

@test "the simulator refuses a confirmation that leaves nothing to search, with seconds, and noise out of range" {
	run "$SIM" -s "$SYN" --evals 40 --confirm 5:8
	assert_failure 2
	assert_output --partial -- '--confirm 5:8: more than --evals 40 leaves to search'
	run "$SIM" -s "$SYN" --seconds 30 --confirm 2:2
	assert_failure 2
	assert_output --partial -- '--confirm takes a budget of --evals, not --seconds'
	for n in 2 -0.1 x ''; do
		run "$SIM" -s "$SYN" --noise "$n"
		assert_failure 2
		assert_output --partial -- "--noise: expected a number from 0 to 1, not '$n'"
	done
	run "$SIM" -s "$SYN" --confirm 5
	assert_failure 2
	assert_output --partial -- '--confirm: not K:R'
}

@test "a noisy seed runs the same alone as after other seeds, and the same twice" {
	for o in "--remeasure 2" "--confirm 3:3"; do
		# shellcheck disable=SC2086
		run "$SIM" -s "$SYN" --strategy auto --seeds 0:2 --evals 30 --budgets 30 --noise 0.05 $o
		assert_success
		last=${lines[2]}
		# shellcheck disable=SC2086
		run "$SIM" -s "$SYN" --strategy auto --seed 2 --evals 30 --budgets 30 --noise 0.05 $o
		assert_output "$last"
	done
}
