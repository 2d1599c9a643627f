#!/usr/bin/env bats
# The transformation search: a study's "transform" (marked loops, the
# knobs and their errors), the variants rendered from it, a planted
# illegal transformation caught by verification, and strategy xform's
# children with their parents.  Small N: seconds in all.

load helper

X=$FIX/xform
MM=$ROOT/kernels/matmul/naive.json

setup() {
	T=$BATS_TEST_TMPDIR
	export AR_VARIANTS=$T/variants
}

# The params of the naive matmul with every knob off, then jq's edit $1.
mm_params() {
	ar-propose -s "$MM" -n 1 --strategy xform | jq -c "{params: (.params | $1)}"
}

# A study of the naive matmul's loops, with source $1 (a file in $T).
study_of() {
	jq -c --arg src "$1" '.source = $src | .reference.source = "'"$ROOT"'/kernels/matmul/matmul_ref.c"' \
	    "$MM" >"$T/s.json"
}

@test "a mark not followed by a for is refused with its line" {
	printf 'void f(int n)\n{\n#pragma ar loop i\n\tint x = n;\n}\n' >"$T/bad.c"
	study_of bad.c
	run ar-propose -s "$T/s.json" -n 1
	assert_failure 2
	assert_output "ar-propose: $T/s.json: key \"transform\": $T/bad.c:3: '#pragma ar loop i' is not followed by a for loop"
}

@test "a loop marked twice is refused, naming both lines" {
	printf '#pragma ar loop i\nfor (int i = 0; i < 2; i++)\n#pragma ar loop i\nfor (int j = 0; j < 2; j++);\n' >"$T/dup.c"
	study_of dup.c
	run ar-propose -s "$T/s.json" -n 1
	assert_failure 2
	assert_output "ar-propose: $T/s.json: key \"transform\": $T/dup.c:3: loop 'i' is marked twice (first on line 1)"
}

@test "an unknown key of transform is refused with the nearest" {
	jq -c '.transform.tiles = [8]' "$MM" >"$T/s.json"
	sed -i "s|\"naive.c\"|\"$ROOT/kernels/matmul/naive.c\"|; s|\"matmul_ref.c\"|\"$ROOT/kernels/matmul/matmul_ref.c\"|" "$T/s.json"
	run ar-propose -s "$T/s.json" -n 1
	assert_failure 2
	assert_output "ar-propose: $T/s.json: key \"transform.tiles\": unknown key (did you mean \"transform.tile\"?)"
}

@test "the knobs follow the loops: one per loop and transformation, and the orders" {
	run ar-propose -s "$MM" -n 1 --strategy xform
	assert_success
	run jq -r '.params | keys_unsorted | join(" ")' <<<"$output"
	assert_output "par_i tile_i unroll_i vec_i ileave_i dist_i jam_i par_j tile_j unroll_j vec_j ileave_j dist_j jam_j par_k tile_k unroll_k vec_k ileave_k dist_k order"
}

@test "a variant is the source with the directives in place and the order applied" {
	mm_params '.tile_i = 32 | .tile_k = 64 | .vec_j = 8 | .par_i = 2 | .order = "ikj"' >"$T/from.jsonl"
	run ar-propose -s "$MM" --from "$T/from.jsonl"
	assert_success
	run jq -c .variant.ops <<<"$output"
	assert_output '[{"loop":"i","op":"par","arg":2},{"loop":"i","op":"tile","arg":32},{"loop":"j","op":"vec","arg":8},{"loop":"k","op":"tile","arg":64},{"op":"order","arg":"ikj"}]'
	f=$(ar-propose -s "$MM" --from "$T/from.jsonl" | jq -r .variant.file)
	run sed -n '/^matmul/,$p' "$f"
	assert_output "$(cat <<'EOF'
matmul(const float *A, const float *B, float *C, int n)
{
	for (int i = 0; i < n * n; i++)
		C[i] = 0.0f;
#pragma omp parallel for num_threads(2)
#pragma omp tile sizes(32,64)
	for (int i = 0; i < n; i++)
		for (int k = 0; k < n; k++)
#pragma clang loop vectorize_width(8)
			for (int j = 0; j < n; j++)
				C[i * n + j] += A[i * n + k] * B[k * n + j];
}
EOF
)"
}

@test "a race planted by par on the reduction loop comes out wrong, never ok" {
	# k outermost and parallel: both threads add into all of C for
	# milliseconds, so that the lost updates show even on a loaded
	# machine (with k innermost each parallel region is shorter than a
	# thread's wake-up, and the race may hide).
	mm_params '.par_k = 2 | .order = "kij"' >"$T/from.jsonl"
	mm_params '.par_i = 2 | .order = "ikj"' >>"$T/from.jsonl"
	run bash -c "ar-propose -s '$MM' -D N=512 --from '$T/from.jsonl' |
	    ar-compile -s '$MM' -D N=512 --cache '$T/cache' |
	    ar-bench -s '$MM' -D N=512 --cache '$T/cache' | jq -r .status"
	assert_success
	assert_output "$(printf 'wrong\nok')"
}

@test "an illegal order the study lists comes out compile_error, never ok" {
	cp "$X"/tri* "$T/"
	printf '{"params":{"vec_i":0,"vec_j":0,"order":"ji"}}\n{"params":{"vec_i":0,"vec_j":0,"order":"ij"}}\n' >"$T/from.jsonl"
	run bash -c "ar-propose -s '$T/tri.json' --from '$T/from.jsonl' |
	    ar-compile -s '$T/tri.json' --cache '$T/cache' |
	    ar-bench -s '$T/tri.json' --cache '$T/cache' | jq -r .status"
	assert_success
	assert_output "$(printf 'compile_error\nok')"
}

@test "strategy xform starts from the naive program, then proposes its children by one action" {
	run ar-propose -s "$MM" -n 1 --strategy xform
	assert_success
	root=$output
	assert_equal "$(jq -c .variant.ops <<<"$root")" "[]"
	# The naive program measured: every proposal is a child of it.
	jq -c '. + {status: "ok", time_s: 1, score: -1}' <<<"$root" >"$T/h.jsonl"
	run ar-propose -s "$MM" -H "$T/h.jsonl" -n 5 --strategy xform --seed 3
	assert_success
	assert_equal "$(wc -l <<<"$output")" 5
	hash=$(jq -r .variant.sha256 <<<"$root")
	run jq -r --arg h "$hash" 'select(.variant.parent != $h) | .id' <<<"$output"
	assert_output ""
	# One action each: one knob set.
	run jq -r '[.params | to_entries[] | select(.value != 0 and .value != "ijk")] | length' <<<"$(ar-propose -s "$MM" -H "$T/h.jsonl" -n 5 --strategy xform --seed 3)"
	assert_output "$(printf '1\n1\n1\n1\n1')"
	# The same seed, the same proposals.
	run diff <(ar-propose -s "$MM" -H "$T/h.jsonl" -n 5 --strategy xform --seed 3) \
	    <(ar-propose -s "$MM" -H "$T/h.jsonl" -n 5 --strategy xform --seed 3)
	assert_success
}

@test "tune.mk's summary names the best program's file in the store, and its parent" {
	run --separate-stderr env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS make -s \
	    -f "$ROOT/pipelines/tune.mk" BIN="${AR_BIN:-$ROOT/bin}" STUDY="$MM" \
	    DEFS='-D N=32' STRATEGY=xform EVALS=8 BATCH=4 OUT="$T/out"
	assert_success
	best=$(jq -r .best.id "$T/out/model.json")
	v=$(jq -r --arg id "$best" 'select(.id == $id) | .variant' "$T/out/history.jsonl")
	want="  variant $T/out/variants/$(jq -r .sha256 <<<"$v").c (by transform"
	if [ "$(jq -r .parent <<<"$v")" != null ]; then
		want+=", from $(jq -r '.parent[:12]' <<<"$v")"
	fi
	assert_line "$want)"
}
