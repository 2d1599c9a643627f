#!/usr/bin/env bats
# The studies of examples/ that run on any machine, each in a small
# version: the real programs on the real data, fewer evaluations.

load helper

setup() {
	command -v xz >/dev/null && command -v zstd >/dev/null ||
	    skip "xz and zstd are not installed (make deps installs them)"
	C=$BATS_TEST_TMPDIR/compress
	# A copy of the example, so that its data.txt is made apart from
	# the checkout's; make-data.sh reads the checkout it sits in.
	mkdir -p "$C"
	cp "$ROOT"/examples/compress/{study.json,compress.sh} "$C/"
	"$ROOT/examples/compress/make-data.sh"
	ln -s "$ROOT/examples/compress/data.txt" "$C/data.txt"
	S=$C/study.json
}

measure() {
	ar-propose -s "$S" --from - | ar-compile -s "$S" |
	    ar-bench -s "$S" --repeat 1 --warmup 0 | ar-score -s "$S"
}

@test "compress: a setting under the ratio limit is infeasible, with the value it saw" {
	run --separate-stderr measure <<'IN'
{"TOOL": "zstd", "LEVEL": 1, "THREADS": 1}
{"TOOL": "xz", "LEVEL": 6, "THREADS": 1}
IN
	assert_success
	[ -z "$stderr" ] || fail "stderr: $stderr"
	run jq -c '[.status, .score == null, .metrics.ratio < 4]' <<<"$output"
	assert_output "$(printf '%s\n' '["infeasible",true,true]' '["ok",false,false]')"
	run jq -r 'select(.status == "infeasible") | .error' <<<"$(measure <<<'{"TOOL": "zstd", "LEVEL": 1, "THREADS": 1}')"
	assert_output --regexp '^require "output\.ratio >= 4" not met \(output\.ratio = 3\.[0-9]+\)$'
}

@test "compress: a compressor whose output does not decompress to its input is a crash" {
	# A stand-in for zstd that compresses but forgets a byte.
	mkdir -p "$C/fake"
	cat >"$C/fake/zstd" <<'SH'
#!/bin/sh
case " $* " in
*" -d "*) exec /usr/bin/zstd "$@" ;;
*) head -c -1 | /usr/bin/zstd "$@" ;;
esac
SH
	chmod +x "$C/fake/zstd"
	PATH=$C/fake:$PATH run --separate-stderr measure <<<'{"TOOL": "zstd", "LEVEL": 3, "THREADS": 1}'
	assert_success
	run jq -r '[.status, .error] | @tsv' <<<"$output"
	assert_output --partial $'crash\t'
	assert_output --partial 'round trip differs'
}

@test "compress: tune.mk spends the budget, and the best it names meets the limit" {
	run --separate-stderr env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS \
	    make -s -f "$ROOT/pipelines/tune.mk" BIN="${AR_BIN:-$ROOT/bin}" \
	    STUDY="$S" OUT="$BATS_TEST_TMPDIR/out" EVALS=6 BATCH=3 \
	    BENCH='--repeat 1 --warmup 0'
	assert_success
	summary=$output
	h=$BATS_TEST_TMPDIR/out/history.jsonl
	[ "$(wc -l <"$h")" -eq 6 ]
	# Every ok record meets the limit, every infeasible one fails it.
	run jq -c 'select((.status == "ok" and .metrics.ratio < 4) or
	    (.status == "infeasible" and .metrics.ratio >= 4))' "$h"
	assert_output ''
	if jq -se 'any(.status == "ok")' "$h" >/dev/null; then
		[[ $summary == "best of 6 evaluations"* ]] || fail "summary: $summary"
		best=$(jq -s -r 'map(select(.status == "ok")) | min_by(.time_s) | .id' "$h")
		[[ $summary == *"id $best,"* ]] || fail "summary: $summary"
	else
		[[ $summary == *infeasible* ]] || fail "summary: $summary"
	fi
}
