# Loaded by every bats suite: assertions, the programs under test on PATH,
# and paths to the fixtures.  Each test gets its own temporary folder
# ($BATS_TEST_TMPDIR), which bats removes afterwards.
bats_require_minimum_version 1.5.0
load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'

ROOT=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
FIX=$ROOT/tests/fixtures
export PATH="${AR_BIN:-$ROOT/bin}:$PATH"
export LC_ALL=C

# A study in the test's folder: write_study NAME JSON (source "k.c" is made).
write_study() {
	printf '%s\n' "$2" >"$BATS_TEST_TMPDIR/$1"
	[ -e "$BATS_TEST_TMPDIR/k.c" ] || echo 'void k(void) {}' >"$BATS_TEST_TMPDIR/k.c"
}

# synth_study DIR [NAME [KEYS]]: DIR/NAME (s.json) a replay study named
# "synth" of DIR/synth.json, the synthetic cache file of
# tests/fixtures/replay/synth.jq (made once), with KEYS (JSON members,
# e.g. '"objectives": [...]') added.
synth_study() {
	[ -e "$1/synth.json" ] || jq -n -f "$FIX/replay/synth.jq" >"$1/synth.json"
	printf '{"name": "synth", "backend": "replay", "source": "synth.json"%s}\n' \
	    "${3:+, $3}" >"$1/${2:-s.json}"
}

# sim_fixture DIR: builds the strategy benchmark's simulator
# (pipelines/bench/strategies/sim.c) as $SIM, against the library of the
# programs under test and with the flags they were built with (make
# check's sanitizers), and writes DIR/synth.json.gz, the synthetic cache
# file of tests/fixtures/replay/synth.jq (600 combinations, 528 valid, 53
# of them failures, with costs), and DIR/synth-study.json, a replay study
# of it.  For setup_file.
sim_fixture() {
	local bin=${AR_BIN:-$ROOT/bin}
	SIM=$1/sim
	# shellcheck disable=SC2086
	cc -std=c11 ${CFLAGS:--O2} -I"$ROOT/lib" -D_GNU_SOURCE \
	    "$ROOT/pipelines/bench/strategies/sim.c" "$bin/../obj/libar.a" \
	    ${LDFLAGS:-} $(sed -n 's/^LDLIBS = //p' "$ROOT/Makefile") -o "$SIM"
	export SIM
	jq -n -f "$FIX/replay/synth.jq" | gzip -c >"$1/synth.json.gz"
	cat >"$1/synth-study.json" <<'EOF2'
{"name": "replay-synth", "backend": "replay", "source": "synth.json.gz",
 "constraints": ["bx * by <= 1024"], "objective": "minimize time_s"}
EOF2
}

# Asserts that stdout holds only whole JSON objects, one per line.
assert_jsonl() {
	local line n=0
	while IFS= read -r line; do
		n=$((n + 1))
		printf '%s' "$line" | jq -e 'type == "object"' >/dev/null ||
			fail "line $n is not a JSON object: $line"
	done <<<"$output"
}

# shown TEXT: what a terminal shows of progress on stderr, each line's
# text after its last carriage return (the status line is written over
# and erased with them, and leaves nothing).
shown() {
	sed 's/.*\r//' <<<"$1"
}

# The OpenCL kernel suites (opencl-gemm, opencl-kernels):
#
# need_opencl STUDY DEFS...: skips the test, saying why, when the opencl
# backend finds no device to build STUDY's first proposal for (no loader,
# no platform or no device); any other failure to build it fails it.
need_opencl() {
	local s=$1
	shift
	run --separate-stderr bash -c 'ar-propose -s "$0" "$@" -n 1 --seed 1 |
	    ar-compile -s "$0" "$@" --cache "$BATS_TEST_TMPDIR/probe"' "$s" "$@"
	if [ "$status" -eq 1 ] && grep -q 'no OpenCL' <<<"$stderr"; then
		skip "$stderr"
	fi
	[ "$status" -eq 0 ] || fail "ar-compile: status $status: $stderr"
}

# pipeline STUDY DEFS...: params objects on stdin, proposed again with
# --from, built, measured (few runs) and scored; the records on stdout.
pipeline() {
	local s=$1
	shift
	set -o pipefail
	ar-propose -s "$s" "$@" --from - |
	    ar-compile -s "$s" "$@" -j 2 --cache "$BATS_TEST_TMPDIR/c" |
	    ar-bench -s "$s" "$@" --cache "$BATS_TEST_TMPDIR/c" --warmup 1 --repeat 2 |
	    ar-score -s "$s" "$@"
}

# statuses N STATUS: the output holds N records, each of STATUS, and
# scored when that is ok.
statuses() {
	local got
	assert_jsonl
	got=$(jq -s -c --arg st "$2" '[length, (map(select(.status == $st and
	    (.status != "ok" or .score != null))) | length)]' <<<"$output")
	[ "$got" = "[$1,$1]" ] || fail "$(printf 'expected [%s,%s] records, %s: %s\n' \
	    "$1" "$1" "$2" "$got"
	    jq -c '[.status, .error, .params]' <<<"$output")"
}
