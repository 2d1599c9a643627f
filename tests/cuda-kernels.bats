#!/usr/bin/env bats
# The CUDA kernels of kernels/*/cuda.json, checked without a GPU: each
# study loads; its kernel compiles for sm_80 and sm_90, alone and with a
# sample of its configurations, and declares the entry the study's args
# describe; its launch expressions give blocks a GPU can run; its
# reference has the same arguments, and the references written for these
# studies compute what they should on tiny inputs.

load helper

K=$ROOT/kernels

# The cuda studies, one path a line.
studies() {
	ls "$K"/*/cuda.json
}

# nvcc on PATH or where the toolkit installs it; empty when neither.
find_nvcc() {
	command -v nvcc || { [ -x /usr/local/cuda/bin/nvcc ] &&
	    echo /usr/local/cuda/bin/nvcc; } || true
}

# proto STUDY CONST: the C parameter list of the study's args, inputs
# "const T *", outputs "T *", scalars "T" (CONST is the word for const).
proto() {
	jq -r --arg c "$2" '
	    {"float32": "float", "float64": "double", "int32": "int",
	     "int64": "long long"} as $t |
	    [.args[] | if (.type | endswith("[]")) then
		(if .output then "" else "\($c) " end) +
		$t[.type | rtrimstr("[]")] + " *"
	    else $t[.type] end] | join(", ")' "$1"
}

@test "every cuda study loads and has valid configurations" {
	local s n=0
	for s in $(studies); do
		run --separate-stderr ar-propose -s "$s" --count
		assert_success
		[ -z "$stderr" ]
		[ "$output" -gt 0 ] || fail "$s: no valid configuration"
		[ "$(jq -r .backend "$s")" = cuda ] || fail "$s: backend"
		n=$((n + 1))
	done
	# sgemm, reduce, transpose, stencil and softmax at least.
	[ "$n" -ge 5 ]
}

@test "every kernel compiles for sm_80 and sm_90, alone and in 5 configurations" {
	local nvcc s src dir consts
	nvcc=$(find_nvcc)
	[ -n "$nvcc" ] || skip "no nvcc (on PATH or in /usr/local/cuda/bin)"
	# One line a compilation: the source, then its definitions.  The
	# kernel is compiled after a declaration of its entry made from the
	# study's args, which a different parameter list contradicts.
	for s in $(studies); do
		dir=$(dirname "$s")
		src=$dir/$(jq -r .source "$s")
		printf 'extern "C" __global__ void %s(%s);\n' \
		    "$(jq -r .entry "$s")" "$(proto "$s" const)" \
		    >"$BATS_TEST_TMPDIR/$(basename "$dir").h"
		consts=$(jq -r '.problem // {} | to_entries |
		    map("-D\(.key)=\(.value)") | join(" ")' "$s")
		echo "$src"
		ar-propose -s "$s" -n 5 --seed 1 | jq -r --arg src "$src" \
		    --arg c "$consts" '"\($src) " + (.params | to_entries |
		    map("-D\(.key)=\(.value)") | join(" ")) + " " + $c'
	done >"$BATS_TEST_TMPDIR/jobs"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/jobs")" -ge 30 ]
	# Both architectures in one run of nvcc: one front end, two cubins.
	run --separate-stderr xargs -P "$(nproc)" -L 1 sh -c '
	    src=$1; shift
	    hdr=$0/$(basename "$(dirname "$src")").h
	    "'"$nvcc"'" -fatbin -Werror all-warnings -include "$hdr" \
		-gencode arch=compute_80,code=sm_80 \
		-gencode arch=compute_90,code=sm_90 "$@" "$src" \
		-o /dev/null 2>&1 ||
		echo "FAILED: $src $*"' "$BATS_TEST_TMPDIR" \
	    <"$BATS_TEST_TMPDIR/jobs"
	assert_success
	assert_output ''
}

@test "a kernel that contradicts its study's args does not compile" {
	local nvcc
	nvcc=$(find_nvcc)
	[ -n "$nvcc" ] || skip "no nvcc (on PATH or in /usr/local/cuda/bin)"
	# The declaration check above must be able to fail: the transpose
	# with its two int arguments declared as floats.
	echo 'extern "C" __global__ void transpose(float, float, const float *, float *);' \
	    >"$BATS_TEST_TMPDIR/bad.h"
	run "$nvcc" -fatbin -include "$BATS_TEST_TMPDIR/bad.h" \
	    -gencode arch=compute_90,code=sm_90 "$K/transpose/transpose.cu" \
	    -o /dev/null
	assert_failure
	assert_output --partial 'has "C" linkage'
}

# metric_study STUDY METRICS: a copy of STUDY whose metrics are METRICS
# (a JSON object of expressions), paths made absolute, in s.json, so that
# ar-score evaluates the study's own expressions for each configuration.
metric_study() {
	jq --arg d "$(cd "$(dirname "$1")" && pwd)" --argjson m "$2" '
	    .metrics = $m | del(.bound, .objective) |
	    .source = "\($d)/\(.source)" |
	    .reference.source = "\($d)/\(.reference.source)"' "$1" \
	    >"$BATS_TEST_TMPDIR/s.json"
}

@test "launch dimensions are positive and at most 1024 threads a block" {
	local s m
	for s in $(studies); do
		# x, y and z of grid and block (1 where a dimension is
		# absent) and the dynamic shared memory, as metrics.
		m=$(jq -c '.launch as $l | [("grid", "block") as $k |
		    range(3) as $i | {key: "\($k)\($i)",
		    value: ($l[$k][$i] // 1)}] | from_entries +
		    {shared: ($l.shared // 0)}' "$s")
		metric_study "$s" "$m"
		run --separate-stderr bash -c "set -o pipefail
		    ar-propose -s '$BATS_TEST_TMPDIR/s.json' -n 50 --seed 2 |
		    ar-score -s '$BATS_TEST_TMPDIR/s.json'"
		assert_success
		[ -z "$stderr" ]
		[ "$(wc -l <<<"$output")" -gt 0 ]
		# Every dimension a positive integer, a block within 1024
		# threads and the device's limit on each side, the grid's y
		# and z within 65535, shared memory within 48 KiB.
		run jq -s 'map(.metrics | select(
		    ([.grid0, .grid1, .grid2, .block0, .block1, .block2] |
		     any(type != "number" or . < 1 or . != floor)) or
		    .block0 * .block1 * .block2 > 1024 or .block2 > 64 or
		    .grid0 > 2147483647 or .grid1 > 65535 or .grid2 > 65535 or
		    .shared < 0 or .shared > 49152)) | length' <<<"$output"
		assert_output 0
	done
}

@test "the grids cover the problem and no block is wholly outside it" {
	# The study's grid and block (g0 g1, b0 b1) against the tile a
	# block of the kernel covers, at problem sizes given with -D that
	# the tiles do not divide: a block for every element, and no block
	# past the edge.
	cover() {	# STUDY DEFS OK-EXPRESSION
		local m
		m=$(jq -c --arg ok "$3" '.launch as $l | [("grid", "block") as $k |
		    range(2) as $i | {key: "\($k[0:1])\($i)",
		    value: ($l[$k][$i] // 1)}] | from_entries + {ok: $ok}' "$1")
		metric_study "$1" "$m"
		# shellcheck disable=SC2086
		run --separate-stderr bash -c "set -o pipefail
		    ar-propose -s '$BATS_TEST_TMPDIR/s.json' $2 -n 100 --seed 3 |
		    ar-score -s '$BATS_TEST_TMPDIR/s.json' $2 |
		    jq -s -c 'map(.metrics.ok) | unique'"
		assert_success
		assert_output '[1]'
	}
	# sgemm: a block of b0 threads, each TM x TN of C, is a BM x BN tile.
	cover "$K/sgemm/cuda.json" "-D M=67 -D N=45 -D K=37" \
	    "b0 * TM * TN == BM * BN && g0 * BN >= N && (g0 - 1) * BN < N && g1 * BM >= M && (g1 - 1) * BM < M"
	# reduce: b0 threads of EPT elements a block, as many blocks as
	# partial sums (the size of out).
	cover "$K/reduce/cuda.json" "-D N=5001" \
	    "b0 == THREADS && g0 * b0 * EPT >= N && (g0 - 1) * b0 * EPT < N && g0 == (N + THREADS * EPT - 1) / (THREADS * EPT)"
	# transpose: TILE x TILE of the m x n input a block, ROWS a thread.
	cover "$K/transpose/cuda.json" "-D M=37 -D N=70" \
	    "b0 == TILE && b0 * b1 * ROWS == TILE * TILE && g0 * TILE >= N && (g0 - 1) * TILE < N && g1 * TILE >= M && (g1 - 1) * TILE < M"
	# stencil: BX columns by BY * RY rows of the N x M grid a block.
	cover "$K/stencil/cuda.json" "-D N=37 -D M=70" \
	    "b0 == BX && b1 == BY && g0 * BX >= M && (g0 - 1) * BX < M && g1 * b1 * RY >= N && (g1 - 1) * b1 * RY < N"
	# softmax: G threads a row, RPB rows a block.
	cover "$K/softmax/cuda.json" "-D ROWS=37 -D COLS=70" \
	    "b0 == G * RPB && g0 * RPB >= ROWS && (g0 - 1) * RPB < ROWS"
}

@test "each reference has the arguments its study gives the kernel" {
	local s src
	for s in $(studies); do
		src=$(dirname "$s")/$(jq -r .reference.source "$s")
		# A declaration made from the args before the definition: C
		# refuses "conflicting types" when they differ.
		printf 'void %s(%s);\n' "$(jq -r .reference.entry "$s")" \
		    "$(proto "$s" const)" >"$BATS_TEST_TMPDIR/p.h"
		run cc -std=c99 -Wall -Wextra -Werror -Wno-unknown-pragmas \
		    -include "$BATS_TEST_TMPDIR/p.h" -c "$src" \
		    -o "$BATS_TEST_TMPDIR/r.o"
		assert_success
		assert_output ''
	done
}

@test "reduce_ref and softmax_ref compute what they should on tiny inputs" {
	cat >"$BATS_TEST_TMPDIR/t.c" <<'EOF'
#include <math.h>
#include <stdio.h>
void reduce_ref(int, int, const float *, float *);
void softmax_ref(int, int, const float *, float *);
int
main(void)
{
	float in[10], out[3], x[6] = {0, 0, 1000, 1000, -1, 0}, y[6];
	int i, bad = 0;

	/* 1..10 in chunks of 4: 1+2+3+4, 5+6+7+8, 9+10. */
	for (i = 0; i < 10; i++)
		in[i] = i + 1;
	reduce_ref(10, 4, in, out);
	bad |= out[0] != 10 || out[1] != 26 || out[2] != 19;
	/* A chunk larger than n: one sum. */
	reduce_ref(10, 64, in, out);
	bad |= out[0] != 55;
	/* Three rows of two: equal entries share evenly, even where exp
	 * alone would overflow; softmax(-1, 0) = (1, e) / (1 + e). */
	softmax_ref(3, 2, x, y);
	bad |= y[0] != 0.5f || y[1] != 0.5f || y[2] != 0.5f || y[3] != 0.5f;
	bad |= fabs(y[4] - 1 / (1 + M_E)) > 1e-7 ||
	    fabs(y[5] - M_E / (1 + M_E)) > 1e-7;
	printf("%g %g %g %g %g %g\n", out[0], y[0], y[2], y[3], y[4], y[5]);
	return bad;
}
EOF
	run cc -std=c99 -D_DEFAULT_SOURCE -Wall -Wextra -Werror -o "$BATS_TEST_TMPDIR/t" \
	    "$BATS_TEST_TMPDIR/t.c" "$K/reduce/reduce_ref.c" \
	    "$K/softmax/softmax_ref.c" -lm
	assert_success
	assert_output ''
	run "$BATS_TEST_TMPDIR/t"
	assert_success
}
