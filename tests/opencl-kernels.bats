#!/usr/bin/env bats
# The OpenCL kernels of kernels/*/opencl.json: each study loads, and its
# configurations keep a work-group within what any OpenCL device runs
# and cover the problem; on an OpenCL device (PoCL's CPU device where
# nothing else is installed), a sample of the configurations of the
# reduction, the transpose and the stencil, at small sizes that no tile
# divides, goes through the real pipeline (ar-propose | ar-compile |
# ar-bench | ar-score) and comes out ok against the kernel's reference,
# and a broken copy of each kernel is caught.

load helper

K=$ROOT/kernels

# The opencl studies, one path a line.
studies() {
	ls "$K"/*/opencl.json
}

# need_device: skips the test without an OpenCL device (helper.bash).
need_device() {
	need_opencl "$K/reduce/opencl.json" -D N=100
}

# broken NAME STUDY SED: a copy of STUDY in the test's folder, NAME.json,
# whose kernel is its source edited by the sed script SED (which must
# change it), the reference left where it is.
broken() {
	local d
	d=$(cd "$(dirname "$2")" && pwd)
	sed "$3" "$d/$(jq -r .source "$2")" >"$BATS_TEST_TMPDIR/$1.cl"
	! cmp -s "$d/$(jq -r .source "$2")" "$BATS_TEST_TMPDIR/$1.cl" ||
	    fail "$1: the sed script '$3' changed nothing"
	jq --arg d "$d" --arg src "$BATS_TEST_TMPDIR/$1.cl" '.source = $src |
	    .reference.source = "\($d)/\(.reference.source)"' "$2" \
	    >"$BATS_TEST_TMPDIR/$1.json"
}

@test "every opencl study loads and has valid configurations" {
	local s n=0
	for s in $(studies); do
		run --separate-stderr ar-propose -s "$s" --count
		assert_success
		[ -z "$stderr" ]
		[ "$output" -gt 0 ] || fail "$s: no valid configuration"
		[ "$(jq -r .backend "$s")" = opencl ] || fail "$s: backend"
		[ -f "$(dirname "$s")/$(jq -r .source "$s")" ] ||
		    fail "$s: no source"
		n=$((n + 1))
	done
	# reduce, transpose and stencil at least.
	[ "$n" -ge 3 ]
}

@test "work-groups stay within 1024 work-items and 32 KiB of __local memory" {
	local s lbytes
	for s in reduce transpose stencil; do
		# The __local bytes each kernel declares, from its source.
		case $s in
		reduce) lbytes='THREADS * 4' ;;
		transpose) lbytes='TILE * (TILE + PAD) * 4' ;;
		stencil) lbytes='SMEM * (BY * RY + 4) * (BX + 4) * 4' ;;
		esac
		# The launch's dimensions (1 where absent) and the __local
		# bytes as metrics of a copy of the study, evaluated by
		# ar-score for every valid configuration.
		jq --arg d "$K/$s" --arg l "$lbytes" '.launch as $la |
		    .metrics = ([("grid", "block") as $k | range(3) as $i |
		    {key: "\($k)\($i)", value: ($la[$k][$i] // 1)}] |
		    from_entries + {local: $l}) | del(.bound, .objective) |
		    .source = "\($d)/\(.source)" |
		    .reference.source = "\($d)/\(.reference.source)"' \
		    "$K/$s/opencl.json" >"$BATS_TEST_TMPDIR/s.json"
		run --separate-stderr bash -c "set -o pipefail
		    ar-propose -s '$BATS_TEST_TMPDIR/s.json' -n 100000 2>/dev/null |
		    ar-score -s '$BATS_TEST_TMPDIR/s.json'"
		assert_success
		[ -z "$stderr" ]
		[ "$(wc -l <<<"$output")" -eq \
		    "$(ar-propose -s "$K/$s/opencl.json" --count)" ]
		run jq -s 'map(.metrics | select(
		    ([.grid0, .grid1, .grid2, .block0, .block1, .block2] |
		     any(type != "number" or . < 1 or . != floor)) or
		    .block0 * .block1 * .block2 > 1024 or
		    .local < 0 or .local > 32768)) | length' <<<"$output"
		assert_output 0
	done
}

@test "the work-groups cover the problem and none lies wholly outside it" {
	# The study's grid and block (g0 g1, b0 b1) against the tile a
	# group of the kernel covers, at sizes given with -D that the tiles
	# do not divide: a group for every element, and none past the edge.
	cover() {	# STUDY DEFS OK-EXPRESSION
		local m d
		d=$(cd "$(dirname "$1")" && pwd)
		m=$(jq -c --arg ok "$3" '.launch as $l | [("grid", "block") as $k |
		    range(2) as $i | {key: "\($k[0:1])\($i)",
		    value: ($l[$k][$i] // 1)}] | from_entries + {ok: $ok}' "$1")
		jq --arg d "$d" --argjson m "$m" '.metrics = $m |
		    del(.bound, .objective) | .source = "\($d)/\(.source)" |
		    .reference.source = "\($d)/\(.reference.source)"' "$1" \
		    >"$BATS_TEST_TMPDIR/s.json"
		# shellcheck disable=SC2086
		run --separate-stderr bash -c "set -o pipefail
		    ar-propose -s '$BATS_TEST_TMPDIR/s.json' $2 -n 100000 2>/dev/null |
		    ar-score -s '$BATS_TEST_TMPDIR/s.json' $2 |
		    jq -s -c 'map(.metrics.ok) | unique'"
		assert_success
		assert_output '[1]'
	}
	# reduce: THREADS work-items of EPT elements a group, as many groups
	# as partial sums (the size of out).
	cover "$K/reduce/opencl.json" "-D N=5001" \
	    "b0 == THREADS && g0 * b0 * EPT >= N && (g0 - 1) * b0 * EPT < N && g0 == (N + THREADS * EPT - 1) / (THREADS * EPT)"
	# transpose: TILE x TILE of the m x n input a group, VEC x ROWS a
	# work-item.
	cover "$K/transpose/opencl.json" "-D M=37 -D N=70" \
	    "b0 * VEC == TILE && b1 * ROWS == TILE && g0 * TILE >= N && (g0 - 1) * TILE < N && g1 * TILE >= M && (g1 - 1) * TILE < M"
	# stencil: BX columns by BY * RY rows of the N x M grid a group.
	cover "$K/stencil/opencl.json" "-D N=37 -D M=70" \
	    "b0 == BX && b1 == BY && g0 * BX >= M && (g0 - 1) * BX < M && g1 * b1 * RY >= N && (g1 - 1) * b1 * RY < N"
}

# sample STUDY DEFS...: the params of 4 random configurations of STUDY,
# one JSON object a line.
sample() {
	local s=$1
	shift
	ar-propose -s "$s" "$@" -n 4 --seed 7 | jq -c .params
}

@test "reduce: vector widths, fans and chunks are right on an OpenCL device" {
	need_device
	# N = 5001: a last chunk that is short, with a vector that crosses n
	# in it; a chunk of 65536 holds all of it, in one group of 1024.
	# FAN 4 of 32 sums and 32 of 128 end on a level of fewer than FAN.
	{ cat <<'CONFIGS'
{"THREADS":8,"EPT":1,"VEC":1,"FAN":2}
{"THREADS":1024,"EPT":64,"VEC":16,"FAN":1024}
{"THREADS":64,"EPT":16,"VEC":16,"FAN":8}
{"THREADS":32,"EPT":8,"VEC":8,"FAN":4}
{"THREADS":128,"EPT":4,"VEC":2,"FAN":32}
CONFIGS
	  sample "$K/reduce/opencl.json" -D N=5001; } >"$BATS_TEST_TMPDIR/p"
	run --separate-stderr pipeline "$K/reduce/opencl.json" -D N=5001 <"$BATS_TEST_TMPDIR/p"
	assert_success
	statuses 9 ok
	# One element, in a group of 256 work-items reading float4s.
	run --separate-stderr pipeline "$K/reduce/opencl.json" -D N=1 <<'CONFIGS'
{"THREADS":256,"EPT":16,"VEC":4,"FAN":2}
CONFIGS
	assert_success
	statuses 1 ok
}

@test "transpose: tiles, vectors and padding are right on an OpenCL device" {
	need_device
	# M = 37, N = 101: no tile divides either, and the rows' vectors
	# cross both edges.
	{ cat <<'CONFIGS'
{"TILE":64,"ROWS":16,"VEC":16,"PAD":4}
{"TILE":8,"ROWS":8,"VEC":8,"PAD":0}
{"TILE":32,"ROWS":4,"VEC":1,"PAD":1}
{"TILE":16,"ROWS":1,"VEC":4,"PAD":2}
CONFIGS
	  sample "$K/transpose/opencl.json" -D M=37 -D N=101; } >"$BATS_TEST_TMPDIR/p"
	run --separate-stderr pipeline "$K/transpose/opencl.json" -D M=37 -D N=101 <"$BATS_TEST_TMPDIR/p"
	assert_success
	statuses 8 ok
	# A row vector: out is a column.
	run --separate-stderr pipeline "$K/transpose/opencl.json" -D M=1 -D N=3 <<'CONFIGS'
{"TILE":32,"ROWS":4,"VEC":4,"PAD":1}
CONFIGS
	assert_success
	statuses 1 ok
}

@test "stencil: groups, rows per work-item and __local tiles are right on an OpenCL device" {
	need_device
	# N = 37, M = 70: no tile divides either, and the 2-cell halo
	# crosses every edge.
	{ cat <<'CONFIGS'
{"BX":16,"BY":1,"RY":1,"SMEM":0}
{"BX":256,"BY":4,"RY":1,"SMEM":1}
{"BX":32,"BY":8,"RY":4,"SMEM":1}
{"BX":64,"BY":16,"RY":16,"SMEM":0}
CONFIGS
	  sample "$K/stencil/opencl.json" -D N=37 -D M=70; } >"$BATS_TEST_TMPDIR/p"
	run --separate-stderr pipeline "$K/stencil/opencl.json" -D N=37 -D M=70 <"$BATS_TEST_TMPDIR/p"
	assert_success
	statuses 8 ok
	# A grid narrower and shorter than the stencil's reach.
	run --separate-stderr pipeline "$K/stencil/opencl.json" -D N=3 -D M=2 <<'CONFIGS'
{"BX":16,"BY":2,"RY":2,"SMEM":1}
{"BX":16,"BY":2,"RY":2,"SMEM":0}
CONFIGS
	assert_success
	statuses 2 ok
}

@test "a broken copy of each kernel is caught: wrong, or compile_error" {
	need_device
	# The reduction losing the last work-item's sum.
	broken reduce "$K/reduce/opencl.json" \
	    's/sum\[t\] = s + vsum(acc);/sum[t] = t == THREADS - 1 ? 0.0f : s + vsum(acc);/'
	run --separate-stderr pipeline "$BATS_TEST_TMPDIR/reduce.json" -D N=5001 <<'CONFIGS'
{"THREADS":64,"EPT":16,"VEC":4,"FAN":8}
CONFIGS
	assert_success
	statuses 1 wrong
	# The transpose writing the tile back as it read it: a copy.
	broken transpose "$K/transpose/opencl.json" \
	    's/\*p = tile\[x\]\[i\];/*p = tile[i][x];/'
	run --separate-stderr pipeline "$BATS_TEST_TMPDIR/transpose.json" -D M=37 -D N=101 <<'CONFIGS'
{"TILE":32,"ROWS":4,"VEC":1,"PAD":1}
CONFIGS
	assert_success
	statuses 1 wrong
	# The stencil's __local tile staged a row too low.
	broken stencil "$K/stencil/opencl.json" \
	    's/int gi = i0 - 2 + r, gj = j0 - 2 + c;/int gi = i0 - 1 + r, gj = j0 - 2 + c;/'
	run --separate-stderr pipeline "$BATS_TEST_TMPDIR/stencil.json" -D N=37 -D M=70 <<'CONFIGS'
{"BX":32,"BY":8,"RY":4,"SMEM":1}
CONFIGS
	assert_success
	statuses 1 wrong
	# A vector width OpenCL does not have, which the kernel refuses
	# with #error rather than building something else.
	jq --arg d "$K/reduce" '.params.VEC = [3] | .params.EPT = [3] |
	    .source = "\($d)/\(.source)" |
	    .reference.source = "\($d)/\(.reference.source)"' \
	    "$K/reduce/opencl.json" >"$BATS_TEST_TMPDIR/vec3.json"
	run --separate-stderr pipeline "$BATS_TEST_TMPDIR/vec3.json" -D N=5001 <<'CONFIGS'
{"THREADS":64,"EPT":3,"VEC":3,"FAN":8}
CONFIGS
	assert_success
	statuses 1 compile_error
	jq -r .compile.log <<<"$output" | grep -q 'VEC is 1, 2, 4, 8 or 16' ||
	    fail "the build log does not say why: $(jq -c .compile <<<"$output")"
}
