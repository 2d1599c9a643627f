#!/usr/bin/env bats
# ar-propose's strategies through the command line: each runs a closed
# loop on a synthetic study whose score is a known function of the params
# (scored here by jq, as ar-score would), never proposes a duplicate or an
# invalid configuration, is deterministic, keeps away from failures, and
# reads the model and its prior.

load helper

SMALL=$FIX/small/study.json
LEARNING="anneal ga auto"

# The bowl: A, B and D from 0 to 9, C from 9 down to 0 (listed out of
# order), A + B <= 15: 9,400 valid configurations, one of which scores 0,
# the maximum: A=7 B=3 C=5 D=8.
bowl_study() {
	write_study bowl.json '{"name": "bowl", "backend": "c", "source": "k.c",
	  "params": {"A": [0,1,2,3,4,5,6,7,8,9], "B": [0,1,2,3,4,5,6,7,8,9],
	    "C": [9,8,7,6,5,4,3,2,1,0], "D": [0,1,2,3,4,5,6,7,8,9]},
	  "constraints": ["A + B <= 15"]}'
	BOWL=$BATS_TEST_TMPDIR/bowl.json
}

# score FAIL: scores proposals on stdin as ar-bench and ar-score would;
# a configuration with A >= FAIL crashes.
score() {
	jq -c --argjson fail "$1" '.params as $p |
	    if $p.A >= $fail then . + {status: "crash", score: null}
	    else . + {status: "ok", score: -(($p.A - 7) * ($p.A - 7) +
		($p.B - 3) * ($p.B - 3) + ($p.C - 5) * ($p.C - 5) +
		($p.D - 8) * ($p.D - 8) + 0.5 * ($p.C - $p.D + 3) *
		($p.C - $p.D + 3))} end'
}

# tune STRATEGY SEED ROUNDS [FAIL]: ROUNDS rounds of 8 on the bowl, the
# history in $BATS_TEST_TMPDIR/h-STRATEGY-SEED.
tune() {
	local h=$BATS_TEST_TMPDIR/h-$1-$2 r
	: >"$h"
	for r in $(seq 1 "$3"); do
		ar-propose -s "$BOWL" -H "$h" -n 8 --strategy "$1" --seed "$2" \
		    >"$h.new" || return 1
		score "${4:-99}" <"$h.new" >>"$h" || return 1
	done
	rm -f "$h.new"
}

best() { # best HISTORY: the best score (+ 0 turns -0 into 0)
	jq -s 'map(select(.status == "ok")) | max_by(.score) | .score + 0' "$1"
}

@test "every strategy is accepted, and each record names who proposed it" {
	for s in grid random anneal ga bo rl auto; do
		run --separate-stderr ar-propose -s "$SMALL" -n 5 --strategy $s
		assert_success
		assert_jsonl
		[ "$(wc -l <<<"$output")" -eq 5 ] || fail "$s: $output"
		case $s in
		auto) want='^(anneal|bo|random)$' ;;
		grid) want='^grid$' ;;
		# What a strategy cannot offer is drawn at random.
		*) want="^($s|random)\$" ;;
		esac
		if jq -r .strategy <<<"$output" | grep -Evq "$want"; then
			fail "$s: $(jq -r .strategy <<<"$output")"
		fi
	done
}

@test "auto is the default strategy" {
	run ar-propose -s "$SMALL" -n 10
	assert_success
	run jq -r .strategy <<<"$output"
	refute_output --partial auto
	refute_output --partial grid
	# The batch is dealt between anneal and bo.
	[ "$(sort -u <<<"$output" | tr '\n' ' ')" = "anneal bo " ]
}

@test "no strategy proposes a configuration twice or breaks a constraint" {
	bowl_study
	for s in random anneal ga bo rl auto; do
		tune $s 1 6
		run jq -s 'length' "$BATS_TEST_TMPDIR/h-$s-1"
		assert_output 48
		run jq -s '[.[].id] | unique | length' "$BATS_TEST_TMPDIR/h-$s-1"
		assert_output 48
		run jq -s '[.[].params | select(.A + .B > 15)] | length' \
		    "$BATS_TEST_TMPDIR/h-$s-1"
		assert_output 0
	done
}

@test "every strategy gives the whole space and then says it is exhausted" {
	for s in grid random anneal ga bo rl auto; do
		h=$BATS_TEST_TMPDIR/h-$s
		: >"$h"
		for r in 1 2 3 4 5; do
			ar-propose -s "$SMALL" -H "$h" -n 4 --strategy $s 2>/dev/null |
			    jq -c '. + {status: "ok", score: (.params.A * .params.B)}' >>"$h"
		done
		run jq -s '[.[].id] | unique | length' "$h"
		assert_output 18
		[ "$(wc -l <"$h")" -eq 18 ]
		run --separate-stderr ar-propose -s "$SMALL" -H "$h" -n 1 --strategy $s
		assert_success
		[ -z "$output" ]
		[[ $stderr == *"space exhausted: 0 of 1"* ]]
	done
}

@test "anneal, ga and auto find the optimum in 100 evaluations; random does not" {
	bowl_study
	for s in $LEARNING random; do
		for seed in 1 2 3; do
			tune $s $seed 13
			[ "$(wc -l <"$BATS_TEST_TMPDIR/h-$s-$seed")" -eq 104 ]
			b=$(best "$BATS_TEST_TMPDIR/h-$s-$seed")
			if [ $s = random ]; then
				[ "$b" != 0 ] || fail "random found the optimum (seed $seed)"
			else
				[ "$b" = 0 ] || fail "$s, seed $seed: best $b"
			fi
		done
	done
}

@test "the same seed and history give the same batch; another seed, another" {
	bowl_study
	tune random 5 3
	h=$BATS_TEST_TMPDIR/h-random-5
	for s in random anneal ga rl auto; do
		a=$(ar-propose -s "$BOWL" -H "$h" -n 8 --strategy $s --seed 1)
		b=$(ar-propose -s "$BOWL" -H "$h" -n 8 --strategy $s --seed 1)
		c=$(ar-propose -s "$BOWL" -H "$h" -n 8 --strategy $s --seed 2)
		[ "$a" = "$b" ] || fail "$s is not deterministic"
		[ "$a" != "$c" ] || fail "$s ignores the seed"
	done
	a=$(ar-propose -s "$BOWL" -H "$h" -n 8 --strategy bo --seed 1)
	b=$(ar-propose -s "$BOWL" -H "$h" -n 8 --strategy bo --seed 1)
	[ "$a" = "$b" ]
}

@test "failures steer the search away; random keeps meeting them" {
	bowl_study
	# A >= 8 crashes: a fifth of the space, next to the best scores.
	for s in $LEARNING random; do
		n=0
		for seed in 1 2; do
			tune $s $seed 13 8
			n=$((n + $(tail -n 52 "$BATS_TEST_TMPDIR/h-$s-$seed" |
			    jq -s '[.[] | select(.status == "crash")] | length')))
		done
		echo "$s: $n of the last 104 proposals crashed"
		if [ $s = random ]; then
			[ "$n" -ge 12 ] || fail "random: only $n crashes"
		else
			[ "$n" -le 10 ] || fail "$s: $n crashes"
		fi
	done
}

@test "-m: a model file that does not exist is no model" {
	run ar-propose -s "$SMALL" -m "$BATS_TEST_TMPDIR/none.json" -n 3 --seed 4
	assert_success
	[ "$output" = "$(ar-propose -s "$SMALL" -n 3 --seed 4)" ]
}

@test "-m: a model of another study, a newer version or no model at all is refused" {
	ar-propose -s "$SMALL" --strategy grid -n 3 |
	    jq -c '. + {status: "ok", score: -1}' >"$BATS_TEST_TMPDIR/h"
	m=$BATS_TEST_TMPDIR/m.json
	ar-learn -s "$SMALL" -m "$m" "$BATS_TEST_TMPDIR/h" >/dev/null
	run ar-propose -s "$SMALL" -m "$m" -H "$BATS_TEST_TMPDIR/h" -n 2
	assert_success
	jq '.study = "other"' "$m" >"$BATS_TEST_TMPDIR/other.json"
	run --separate-stderr ar-propose -s "$SMALL" -m "$BATS_TEST_TMPDIR/other.json" -n 2
	assert_failure 2
	[ -z "$output" ]
	[[ $stderr == "ar-propose: $BATS_TEST_TMPDIR/other.json: the model is of study 'other', not 'small'" ]]
	jq '.version = 999' "$m" >"$BATS_TEST_TMPDIR/new.json"
	run --separate-stderr ar-propose -s "$SMALL" -m "$BATS_TEST_TMPDIR/new.json" -n 2
	assert_failure 2
	[ -z "$output" ]
	[[ $stderr == "ar-propose: "*"new.json"*"version 999"* ]]
	run --separate-stderr ar-propose -s "$SMALL" -m "$BATS_TEST_TMPDIR/h" -n 2
	assert_failure 2
	[ -z "$output" ]
	[[ $stderr == "ar-propose: "*"$BATS_TEST_TMPDIR/h"* ]]
}

@test "a model's prior starts the search at the prior's best" {
	bowl_study
	: >"$BATS_TEST_TMPDIR/empty"
	m=$BATS_TEST_TMPDIR/m.json
	ar-learn -s "$BOWL" -m "$m" "$BATS_TEST_TMPDIR/empty" >/dev/null
	# Best first; a point outside today's space is dropped.
	jq '.prior = {history: "other.jsonl", study: "bowl-elsewhere", records: 4,
	    points: [{params: {A: 9, B: 9, C: 0, D: 0}, q: 1},
	             {params: {A: 7, B: 2, C: 5, D: 8}, q: 0.9},
	             {params: {A: 1, B: 1, C: 1, D: 1}, q: null},
	             {params: {A: 6, B: 3, C: 5, D: 8}, q: 0}]}' "$m" >"$m.new"
	mv "$m.new" "$m"
	for s in anneal ga; do
		run ar-propose -s "$BOWL" -m "$m" -n 3 --strategy $s
		assert_success
		run jq -c .params <<<"$output"
		assert_line --index 0 '{"A":7,"B":2,"C":5,"D":8}'
		assert_line --index 1 '{"A":6,"B":3,"C":5,"D":8}'
		refute_output --partial '{"A":1,"B":1,"C":1,"D":1}'
	done
	# Warmed, the optimum is a step or two away.
	h=$BATS_TEST_TMPDIR/hw
	: >"$h"
	for r in 1 2 3; do
		ar-propose -s "$BOWL" -m "$m" -H "$h" -n 8 --strategy anneal | score 99 >>"$h"
	done
	[ "$(best "$h")" = 0 ]
}
