#!/usr/bin/env bats
# examples/nas: the MLP trainer on the digits data set (its errors, its
# split, its determinism) and a small architecture search through
# tune.mk that must learn well above chance.

load helper

DIGITS=/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz
NAS=$ROOT/examples/nas
MLP=$NAS/mlp

# Built once, with the example's own flags: not those of a make that
# runs the tests (make check passes sanitizer CFLAGS down in MAKEFLAGS).
setup_file() {
	env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS -u CFLAGS -u LDFLAGS \
	    make -s -C "$BATS_TEST_DIRNAME/../examples/nas"
}

# What mlp prints but its timings, which differ from run to run.
untimed() {
	jq -c 'del(.latency_s, .train_s, .time_s)'
}

@test "nas: mlp builds, and -h prints its synopsis" {
	[ -x "$MLP" ]
	run --separate-stderr "$MLP" -h
	assert_success
	assert_output --partial 'usage: mlp '
	[ -z "$stderr" ]
}

@test "nas: a missing data file is status 2 and a message naming it" {
	run --separate-stderr "$MLP" --data "$BATS_TEST_TMPDIR/none.csv.gz"
	[ "$status" -eq 2 ]
	assert_output ''
	[ "$stderr" = "mlp: cannot open '$BATS_TEST_TMPDIR/none.csv.gz': No such file or directory" ]
}

@test "nas: a malformed data file is status 2 with its file and line" {
	f=$BATS_TEST_TMPDIR/bad.csv.gz
	# The real rows, the fourth cut short.
	zcat "$DIGITS" | awk -F, -v OFS=, 'NR == 4 { NF = 12 } { print }' |
	    gzip >"$f"
	run --separate-stderr "$MLP" --data "$f"
	[ "$status" -eq 2 ]
	assert_output ''
	[ "$stderr" = "mlp: $f:4: 12 fields, expected 65 (64 pixels and the label)" ]
	zcat "$DIGITS" | sed '7s/,0$/,x/; 7s/,[0-9]$/,x/' | gzip >"$f"
	run --separate-stderr "$MLP" --data "$f"
	[ "$status" -eq 2 ]
	[ "$stderr" = "mlp: $f:7: field 65 is not a number" ]
	zcat "$DIGITS" | sed '9s/,[0-9]$/,12/' >"${f%.gz}"
	run --separate-stderr "$MLP" --data "${f%.gz}"
	[ "$status" -eq 2 ]
	[ "$stderr" = "mlp: ${f%.gz}:9: label '12' is not a class 0 to 9" ]
}

@test "nas: a bad option is status 2 with the synopsis" {
	run --separate-stderr "$MLP" --depth 3 --widths 32,16
	[ "$status" -eq 2 ]
	assert_output ''
	[[ $stderr == "mlp: --depth 3 needs 3 widths, --widths gives 2"$'\n'"usage: mlp "* ]]
	run --separate-stderr "$MLP" --act sigmoidal
	[ "$status" -eq 2 ]
	[[ $stderr == "mlp: --act: unknown value 'sigmoidal'"$'\n'"usage: mlp "* ]]
}

@test "nas: the split is stratified 60/20/20 and depends on its seed alone" {
	"$MLP" --dump-split "$BATS_TEST_TMPDIR/a.csv"
	"$MLP" --dump-split "$BATS_TEST_TMPDIR/b.csv" --seed 7 --depth 0
	"$MLP" --dump-split "$BATS_TEST_TMPDIR/c.csv" --split-seed 2
	cmp "$BATS_TEST_TMPDIR/a.csv" "$BATS_TEST_TMPDIR/b.csv"
	! cmp -s "$BATS_TEST_TMPDIR/a.csv" "$BATS_TEST_TMPDIR/c.csv"
	run awk -F, 'NR > 1 { n[$2]++; c[$2 "," $3]++; all[$3]++ }
	    END { print n["train"], n["val"], n["test"]
	          for (k in all) if (c["train," k] != int(all[k] * 0.6 + 0.5) ||
	              c["val," k] != int(all[k] * 0.2 + 0.5)) print "class", k }' \
	    "$BATS_TEST_TMPDIR/a.csv"
	assert_output '1078 359 360'
	# The labels are the data set's, row by row.
	diff <(zcat "$DIGITS" | awk -F, '{ print $NF }') \
	    <(tail -n +2 "$BATS_TEST_TMPDIR/a.csv" | cut -d, -f3)
}

@test "nas: the same seed gives the same output, another seed another" {
	args=(--depth 2 --widths 24,24 --act tanh --skip res --dropout 0.2
	    --epochs 15 --batch 32)
	a=$("$MLP" "${args[@]}" --seed 5)
	b=$("$MLP" "${args[@]}" --seed 5)
	c=$("$MLP" "${args[@]}" --seed 6)
	[ "$(untimed <<<"$a")" = "$(untimed <<<"$b")" ]
	[ "$(jq .train_loss <<<"$a")" != "$(jq .train_loss <<<"$c")" ]
	# The parameters are counted exactly: 64*24+24 + 24*24+24 + 24*10+10.
	[ "$(jq .params <<<"$a")" -eq 2410 ]
	jq -e '.val_acc > 0.8 and .test_acc > 0.8 and .latency_s > 0' <<<"$a"
}

@test "nas: --runs trains from consecutive seeds and prints their mean" {
	args=(--depth 1 --widths 16 --epochs 10 --wd 0.1)
	m=$("$MLP" "${args[@]}" --seed 3 --runs 3)
	for s in 3 4 5; do "$MLP" "${args[@]}" --seed $s; done >"$BATS_TEST_TMPDIR/each"
	[ "$(jq -c .val_accs <<<"$m")" = "$(jq -sc 'map(.val_acc)' "$BATS_TEST_TMPDIR/each")" ]
	[ "$(jq -c .test_accs <<<"$m")" = "$(jq -sc 'map(.test_acc)' "$BATS_TEST_TMPDIR/each")" ]
	jq -e '(.val_accs | add / 3) - .val_acc | fabs < 1e-12' <<<"$m"
}

@test "nas: the anchors refuse a split whose labels are not the data set's" {
	/usr/bin/python3 -c 'import sklearn' 2>/dev/null ||
	    fail "python3-sklearn is not installed (make deps installs it)"
	"$MLP" --dump-split "$BATS_TEST_TMPDIR/s.csv"
	sed -i '12s/,\([0-9]\)$/,x\1/' "$BATS_TEST_TMPDIR/s.csv"
	run --separate-stderr /usr/bin/python3 \
	    "$ROOT/pipelines/bench/nas/anchor.py" "$DIGITS" "$BATS_TEST_TMPDIR/s.csv"
	[ "$status" -eq 2 ]
	[[ $stderr == "anchor.py: $BATS_TEST_TMPDIR/s.csv:12: row 10 label x"*" is not row 10 label "* ]]
}

@test "nas: check.sh counts the parameters apart from mlp and refuses a wrong count" {
	for skip in none res dense; do
		"$MLP" --depth 3 --widths 64,64,32 --skip $skip --epochs 1 |
		    "$NAS/check.sh" 3 64 64 32 $skip 1
	done
	"$MLP" --depth 0 --epochs 1 | "$NAS/check.sh" 0 8 8 8 none 1
	out=$("$MLP" --depth 2 --widths 24,16 --skip dense --epochs 2 --runs 2)
	"$NAS/check.sh" 2 24 16 8 dense 2 <<<"$out"
	run --separate-stderr "$NAS/check.sh" 2 24 16 8 none 2 <<<"$out"
	[ "$status" -eq 1 ]
	[ "$stderr" = "params 4034 claimed, the architecture has 2130" ]
	run --separate-stderr "$NAS/check.sh" 2 24 16 8 dense 2 <<<"$(jq -c '.val_acc = 1' <<<"$out")"
	[ "$status" -eq 1 ]
	[[ $stderr == "val_acc 1 is not the mean of val_accs ["* ]]
	run --separate-stderr "$NAS/check.sh" 2 24 16 8 dense 2 </dev/null
	[ "$status" -eq 2 ]
	[ "$stderr" = "check.sh: the last line is not a JSON object" ]
}

@test "nas: a trainer that misstates its size is wrong in the record, by the study's check" {
	d=$BATS_TEST_TMPDIR/nas
	mkdir -p "$d"
	cp "$NAS/study.json" "$NAS/mlp.c" "$NAS/check.sh" "$d/"
	# mlp, claiming one parameter fewer than it has.
	printf '#!/bin/sh\n"%s" "$@" --epochs 1 | jq -c ".params -= 1"\n' "$MLP" >"$d/mlp"
	chmod +x "$d/mlp"
	S=$d/study.json
	run --separate-stderr bash -c 'ar-propose -s "$1" --from - | ar-compile -s "$1" |
	    ar-bench -s "$1" | ar-score -s "$1"' _ "$S" <<<'{"DEPTH": 1, "W1": 16, "W2": 8, "W3": 8, "ACT": "relu", "SKIP": "none", "DROPOUT": 0, "LR": 0.01, "WD": 0, "BATCH": 64, "EPOCHS": 25}'
	assert_success
	run jq -r '[.status, .error] | @tsv' <<<"$output"
	assert_output $'wrong\tcheck: params 1209 claimed, the architecture has 1210'
}

@test "nas: a small search through tune.mk learns well above chance" {
	# The study with short trainings and narrow layers, beside a copy of
	# the trainer.
	d=$BATS_TEST_TMPDIR/nas
	mkdir -p "$d"
	cp "$NAS/mlp" "$NAS/mlp.c" "$NAS/check.sh" "$d/"
	jq '.params.EPOCHS = [8, 12] | .params.W1 = [8, 16, 32] |
	    .params.W2 = [8, 16] | .params.W3 = [8, 16] |
	    .params.DEPTH = [0, 1, 2] | .params.BATCH = [32, 64]' \
	    "$NAS/study.json" >"$d/study.json"
	run --separate-stderr env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS \
	    make -s -f "$ROOT/pipelines/tune.mk" BIN="${AR_BIN:-$ROOT/bin}" \
	    STUDY="$d/study.json" OUT="$BATS_TEST_TMPDIR/out" EVALS=8 BATCH=4
	assert_success
	h=$BATS_TEST_TMPDIR/out/history.jsonl
	[ "$(wc -l <"$h")" -eq 8 ]
	run jq -r .status "$h"
	[ "$(sort -u <<<"$output")" = ok ]
	# Chance is 0.1; the best of eight short trainings is far above it.
	jq -se 'max_by(.output.val_acc) | .output.val_acc > 0.9' "$h"
	jq -se 'all(.output.params > 0 and .output.test_acc > 0)' "$h"
	# Two rewards: each record has both, the front is marked, and no
	# record marked on it is beaten in both by one measured up to its
	# round (validation accuracy up, parameters down).
	jq -se 'all(.objectives | length == 2)' "$h"
	jq -se 'any(.pareto == 1)' "$h"
	run jq -sc '. as $all | .[] | select(.pareto == 1) | . as $r |
	    select(any($all[]; .round <= $r.round and
		.objectives[0] >= $r.objectives[0] and
		.objectives[1] <= $r.objectives[1] and
		.objectives != $r.objectives)) | .id' "$h"
	assert_output ''
}
