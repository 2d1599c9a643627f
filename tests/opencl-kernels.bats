#!/usr/bin/env bats
# The OpenCL kernels of kernels/*/opencl.json: each study loads and its
# configurations keep a work-group within what any OpenCL device runs;
# on an OpenCL device (PoCL's CPU device where nothing else is
# installed), a sample of the configurations of the reduction, the
# transpose and the stencil, at small sizes that no tile divides, goes
# through the real pipeline (ar-propose | ar-compile | ar-bench |
# ar-score) and comes out ok against the kernel's reference, and a
# broken copy of each kernel is caught.

load helper

K=$ROOT/kernels

# The opencl studies, one path a line.
studies() {
	ls "$K"/*/opencl.json
}

# need_device: skips the test, saying why, when the OpenCL backend finds
# no device to build for (no loader, no platform or no device); any
# other failure to build the default configuration of the reduction
# fails the test.
need_device() {
	run --separate-stderr bash -c "ar-propose -s '$K/reduce/opencl.json' \
	    -D N=100 -n 1 --seed 1 | ar-compile -s '$K/reduce/opencl.json' \
	    -D N=100 --cache '$BATS_TEST_TMPDIR/probe'"
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
	local s local
	for s in reduce transpose stencil; do
		# The __local bytes each kernel declares, from its source.
		case $s in
		reduce) local='THREADS * 4' ;;
		transpose) local='TILE * (TILE + PAD) * 4' ;;
		stencil) local='SMEM * (BY * RY + 4) * (BX + 4) * 4' ;;
		esac
		# The launch's dimensions (1 where absent) and the __local
		# bytes as metrics of a copy of the study, evaluated by
		# ar-score for every valid configuration.
		jq --arg d "$K/$s" --arg l "$local" '.launch as $la |
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
