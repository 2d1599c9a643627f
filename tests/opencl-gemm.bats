#!/usr/bin/env bats
# The OpenCL GEMM of kernels/gemm (issue 21): its study describes the
# same space as the GEMM replay datasets of CLBlast's Xgemm, whose
# parameters it takes, and on an OpenCL device (PoCL's CPU device where
# nothing else is installed) a sample of its configurations, every
# vector width and every choice of local memory among them, builds and
# computes C = A^T B right at a small size, while broken copies of the
# kernel are caught.

load helper

S=$ROOT/kernels/gemm/opencl.json
G=$ROOT/kernels/gemm
DATA=$ROOT/../shared/datasets/raw

# A small problem that every tile divides, with three k slices, M and N
# unequal so that a mix-up of the two shows.
SMALL=(-D M=256 -D N=128 -D K=96)

# need_device: skips the test without an OpenCL device (helper.bash).
need_device() {
	need_opencl "$S" "${SMALL[@]}"
}

# broken NAME SED: a copy of the study in the test's folder, NAME.json,
# whose kernel is gemm.cl edited by the sed script SED (which must change
# it), the reference left where it is.
broken() {
	sed "$2" "$G/gemm.cl" >"$BATS_TEST_TMPDIR/$1.cl"
	! cmp -s "$G/gemm.cl" "$BATS_TEST_TMPDIR/$1.cl" ||
	    fail "$1: the sed script '$2' changed nothing"
	jq --arg g "$G" --arg src "$BATS_TEST_TMPDIR/$1.cl" '.source = $src |
	    .reference.source = "\($g)/\(.reference.source)"' "$S" \
	    >"$BATS_TEST_TMPDIR/$1.json"
}

# configs STUDY DEFS...: every valid configuration, its params with the
# keys sorted, one a line, sorted.
configs() {
	local s=$1
	shift
	ar-propose -s "$s" "$@" --strategy grid -n 1000000 2>/dev/null |
	    jq -cS .params | sort
}

# Seven configurations that take every value of VWM and of VWN, every
# pair of SA and SB, tiles from 16 to 128 on both sides, work-groups of
# 64 to 1024 and every loading shape (MDIMA, NDIMB) but none.
SEVEN='{"MWG":16,"NWG":16,"KWG":32,"MDIMC":8,"NDIMC":8,"MDIMA":8,"NDIMB":8,"KWI":2,"VWM":1,"VWN":1,"STRM":0,"STRN":0,"SA":0,"SB":0,"PRECISION":32}
{"MWG":128,"NWG":128,"KWG":32,"MDIMC":16,"NDIMC":16,"MDIMA":16,"NDIMB":16,"KWI":2,"VWM":8,"VWN":8,"STRM":0,"STRN":0,"SA":1,"SB":1,"PRECISION":32}
{"MWG":64,"NWG":32,"KWG":32,"MDIMC":8,"NDIMC":16,"MDIMA":16,"NDIMB":8,"KWI":2,"VWM":2,"VWN":2,"STRM":0,"STRN":0,"SA":1,"SB":0,"PRECISION":32}
{"MWG":32,"NWG":128,"KWG":32,"MDIMC":8,"NDIMC":32,"MDIMA":8,"NDIMB":32,"KWI":2,"VWM":4,"VWN":4,"STRM":0,"STRN":0,"SA":0,"SB":1,"PRECISION":32}
{"MWG":128,"NWG":64,"KWG":32,"MDIMC":32,"NDIMC":8,"MDIMA":32,"NDIMB":8,"KWI":2,"VWM":4,"VWN":8,"STRM":0,"STRN":0,"SA":1,"SB":1,"PRECISION":32}
{"MWG":64,"NWG":64,"KWG":32,"MDIMC":8,"NDIMC":8,"MDIMA":8,"NDIMB":8,"KWI":2,"VWM":8,"VWN":8,"STRM":0,"STRN":0,"SA":0,"SB":0,"PRECISION":32}
{"MWG":128,"NWG":128,"KWG":32,"MDIMC":32,"NDIMC":32,"MDIMA":32,"NDIMB":32,"KWI":2,"VWM":1,"VWN":2,"STRM":0,"STRN":0,"SA":1,"SB":1,"PRECISION":32}'

@test "the study has the 17956 configurations of the GEMM replay studies, the same ones" {
	run --separate-stderr ar-propose -s "$S" --count
	assert_success
	assert_output 17956
	configs "$S" >"$BATS_TEST_TMPDIR/ours"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/ours")" -eq 17956 ]
	[ -d "$DATA" ] || skip "no datasets in $DATA to compare with"
	local r src
	for r in gemm_RTX_3090 GEMM_V100_mean32 GEMM_K20_mean32; do
		r=$ROOT/examples/replay/$r.json
		src=$(dirname "$r")/$(jq -r .source "$r")
		[ -f "$src" ] || fail "$r: no file '$src'"
		configs "$r" >"$BATS_TEST_TMPDIR/theirs"
		cmp -s "$BATS_TEST_TMPDIR/ours" "$BATS_TEST_TMPDIR/theirs" ||
		    fail "$r: $(diff "$BATS_TEST_TMPDIR/ours" "$BATS_TEST_TMPDIR/theirs" | head -5)"
	done
}

@test "every configuration keeps its work-group within 1024 work-items and 32 KiB of __local memory" {
	# The __local slices gemm.cl declares: KWG x MWG floats of A with
	# SA, KWG x NWG of B with SB.
	run bash -c "set -o pipefail; ar-propose -s '$S' --strategy grid -n 1000000 2>/dev/null |
	    jq -s -c '[length, (map(.params | .MDIMC * .NDIMC) | max),
	    (map(.params | (.SA * .KWG * .MWG + .SB * .KWG * .NWG) * 4) | max)]'"
	assert_success
	assert_output '[17956,1024,32768]'
}

@test "a size that a tile does not divide leaves out that tile, and one that none divides is refused" {
	run ar-propose -s "$S" -D M=64 -D N=32 --count
	assert_success
	# MWG 128 and NWG 64 and 128 are left out; what is left is exactly
	# the full space's configurations with the smaller tiles.
	[ "$output" -eq "$(configs "$S" | jq -s 'map(select(.MWG <= 64 and .NWG <= 32)) | length')" ]
	[ "$output" -gt 0 ]
	run ar-propose -s "$S" -D M=100 --count
	assert_success
	assert_output 0
	run ar-propose -s "$S" -D K=48 --count
	assert_success
	assert_output 0
}

@test "the sample computes C = A^T B right on an OpenCL device: every SA, SB, VWM and VWN" {
	need_device
	{ printf '%s\n' "$SEVEN"; ar-propose -s "$S" "${SMALL[@]}" \
	    --strategy random -n 5 --seed 21 | jq -c .params; } >"$BATS_TEST_TMPDIR/p"
	# The seven take every value they are meant to.
	run jq -sr '[(map(.VWM) | unique), (map(.VWN) | unique),
	    (map([.SA, .SB]) | unique)] | map(tostring) | join(" ")' \
	    <<<"$SEVEN"
	assert_output '[1,2,4,8] [1,2,4,8] [[0,0],[0,1],[1,0],[1,1]]'
	run --separate-stderr pipeline "$S" "${SMALL[@]}" <"$BATS_TEST_TMPDIR/p"
	assert_success
	statuses 12 ok
}

@test "the strided layouts (STRM, STRN 1), outside the replay space, are right too" {
	need_device
	jq --arg g "$G" '.params.STRM = [0, 1] | .params.STRN = [0, 1] |
	    .source = "\($g)/\(.source)" |
	    .reference.source = "\($g)/\(.reference.source)"' "$S" \
	    >"$BATS_TEST_TMPDIR/str.json"
	sed -n '2p;5p;7p' <<<"$SEVEN" | jq -c '.STRM = 1 | .STRN = 1' >"$BATS_TEST_TMPDIR/p"
	run --separate-stderr pipeline "$BATS_TEST_TMPDIR/str.json" "${SMALL[@]}" <"$BATS_TEST_TMPDIR/p"
	assert_success
	statuses 3 ok
}

@test "broken copies of the kernel are wrong, and a configuration outside the constraints does not build" {
	need_device
	# The last KWI rows of every k slice left out.
	broken short 's/for (kk = 0; kk < KWG; kk += KWI)/for (kk = 0; kk < KWG - KWI; kk += KWI)/'
	run --separate-stderr pipeline "$BATS_TEST_TMPDIR/short.json" "${SMALL[@]}" \
	    <<<"$(sed -n '2p;6p' <<<"$SEVEN")"
	assert_success
	statuses 2 wrong
	# The A slice staged in local memory from its first row only: only
	# a configuration with SA 1 reads it.
	broken stage 's/al\[r \* MVG + v\] = ag\[(kt + r) \* mv + v\];/al[r * MVG + v] = ag[kt * mv + v];/'
	run --separate-stderr pipeline "$BATS_TEST_TMPDIR/stage.json" "${SMALL[@]}" \
	    <<<"$(sed -n '1p;3p' <<<"$SEVEN")"
	assert_success
	assert_jsonl
	run jq -r '[.params.SA, .status] | @tsv' <<<"$output"
	assert_output "$(printf '0\tok\n1\twrong')"
	# Without the study's constraints, a configuration whose work-items
	# do not cover the tile (MWG 16 over 8 work-items of 4 floats) is
	# refused by the kernel itself.
	jq --arg g "$G" 'del(.constraints) | .source = "\($g)/\(.source)" |
	    .reference.source = "\($g)/\(.reference.source)"' "$S" \
	    >"$BATS_TEST_TMPDIR/free.json"
	run --separate-stderr pipeline "$BATS_TEST_TMPDIR/free.json" "${SMALL[@]}" \
	    <<<"$(sed -n 1p <<<"$SEVEN" | jq -c '.VWM = 4')"
	assert_success
	statuses 1 compile_error
	jq -r .compile.log <<<"$output" | grep -q 'break a constraint of opencl.json' ||
	    fail "the build log does not say why: $(jq -r .compile.log <<<"$output")"
}
