#!/usr/bin/env bats
# The tunable kernels of kernels/: each study loads, and a few of its
# configurations, at small sizes that are not multiples of the blocks,
# go through the real pipeline (ar-propose | ar-compile | ar-bench |
# ar-score) and come out ok, checked against the kernel's reference.

load helper

K=$ROOT/kernels

# pipeline STUDY DEFS...: params objects on stdin, proposed again with
# --from, built, measured (few runs) and scored; the records on stdout.
pipeline() {
	local s=$1
	shift
	set -o pipefail
	ar-propose -s "$s" "$@" --from - |
	    ar-compile -s "$s" "$@" -j 2 --cache "$BATS_TEST_TMPDIR/c" |
	    ar-bench -s "$s" "$@" --cache "$BATS_TEST_TMPDIR/c" --warmup 0 --repeat 2 |
	    ar-score -s "$s" "$@"
}

# all_ok N: the output holds N records, each ok with a score.
all_ok() {
	local got
	assert_jsonl
	# ok, scored, and none the sandbox refused anything (OpenMP's
	# threads among them).
	got=$(jq -s -c '[length, (map(select(.status == "ok" and .score != null and (has("refused") | not))) | length)]' <<<"$output")
	[ "$got" = "[$1,$1]" ] || fail "$(printf 'expected [%s,%s] records, ok: %s\n' "$1" "$1" "$got"
	    jq -c '[.status, .error, .refused, .params]' <<<"$output")"
}

@test "the kernel studies load and have valid configurations" {
	local s
	for s in sgemm stencil transpose; do
		run --separate-stderr ar-propose -s "$K/$s/cpu.json" --count
		assert_success
		[ -z "$stderr" ]
		[ "$output" -gt 100 ]
		# One core: -D MAXT=1 leaves only THREADS=1.
		run --separate-stderr ar-propose -s "$K/$s/cpu.json" -D MAXT=1 -n 50 --seed 1
		assert_success
		run jq -s -c 'map(.params.THREADS) | unique' <<<"$output"
		assert_output '[1]'
	done
}

@test "sgemm: the constraints keep only tiles that fit the registers and caches" {
	run --separate-stderr ar-propose -s "$K/sgemm/cpu.json" -n 2000 --seed 3
	assert_success
	run jq -s 'map(.params | select(.MC % .MR != 0 or .NC % .NR != 0 or
	    .NR % .VW != 0 or .MR * (.NR / .VW) + .NR / .VW + 1 > 32 or
	    .MR * (.NR / .VW) < 8 or (.THREADS == 1 and .PAR != 0) or
	    .KC * .NR * 4 > 49152 or .MC * .KC * 4 > 2097152 or
	    .THREADS > 2)) | length' <<<"$output"
	assert_output 0
}

@test "sgemm: every vector width and several tiles are right at odd sizes" {
	# The study tunes VW 16 and 8 only; a copy of it also lets the
	# 128-bit and the plain scalar code be checked.
	jq --arg k "$K/sgemm" '.params.VW += [4, 1] | .source = "\($k)/sgemm.c" |
	    .reference.source = "\($k)/sgemm_ref.c"' "$K/sgemm/cpu.json" \
	    >"$BATS_TEST_TMPDIR/sgemm.json"
	# M, N, K past MC, NC and KC of the first configuration, and none a
	# multiple of a block; one thread and two, sharing rows (PAR 0) or
	# panels (PAR 1).
	run --separate-stderr pipeline "$BATS_TEST_TMPDIR/sgemm.json" -D M=130 -D N=403 -D K=271 <<'CONFIGS'
{"VW":16,"MR":14,"NR":32,"KC":128,"MC":112,"NC":384,"KU":4,"PF":4,"THREADS":2,"PAR":1}
{"VW":16,"MR":6,"NR":64,"KC":128,"MC":48,"NC":384,"KU":8,"PF":0,"THREADS":1,"PAR":0}
{"VW":8,"MR":12,"NR":16,"KC":192,"MC":48,"NC":384,"KU":2,"PF":16,"THREADS":2,"PAR":0}
{"VW":4,"MR":8,"NR":8,"KC":192,"MC":96,"NC":384,"KU":1,"PF":2,"THREADS":1,"PAR":0}
{"VW":1,"MR":2,"NR":8,"KC":128,"MC":48,"NC":384,"KU":4,"PF":0,"THREADS":2,"PAR":1}
CONFIGS
	assert_success
	all_ok 5
}

@test "sgemm: tiny and degenerate shapes are right" {
	local d
	for d in "-D M=1 -D N=1 -D K=1" "-D M=3 -D N=70 -D K=2" "-D M=31 -D N=5 -D K=300"; do
		# shellcheck disable=SC2086
		run --separate-stderr pipeline "$K/sgemm/cpu.json" $d <<'CONFIGS'
{"VW":16,"MR":14,"NR":32,"KC":128,"MC":112,"NC":384,"KU":4,"PF":4,"THREADS":2,"PAR":1}
{"VW":8,"MR":6,"NR":16,"KC":256,"MC":48,"NC":384,"KU":2,"PF":8,"THREADS":1,"PAR":0}
CONFIGS
		assert_success
		all_ok 2
	done
}

@test "sgemm: the splits with no barrier (PAR 2 and 3) are right, with threads to spare" {
	# PAR 2 gives each thread a range of the NR-column slivers of every
	# panel, PAR 3 a range of rows with a panel of B of its own.  N=403
	# over NC=384 leaves a last panel of 19 columns, one sliver, which 16
	# threads cannot share: all but one own nothing there (and at N=5 in
	# any panel); M=3 leaves rows to one thread of 16 under PAR 3.
	local d
	for d in "-D M=130 -D N=403 -D K=271 -D MAXT=16" "-D M=3 -D N=5 -D K=300 -D MAXT=16"; do
		# shellcheck disable=SC2086
		run --separate-stderr pipeline "$K/sgemm/cpu.json" $d <<'CONFIGS'
{"VW":16,"MR":14,"NR":32,"KC":128,"MC":112,"NC":384,"KU":4,"PF":4,"THREADS":2,"PAR":2}
{"VW":16,"MR":6,"NR":64,"KC":192,"MC":48,"NC":384,"KU":2,"PF":0,"THREADS":16,"PAR":2}
{"VW":8,"MR":12,"NR":16,"KC":192,"MC":48,"NC":384,"KU":2,"PF":16,"THREADS":2,"PAR":3}
{"VW":16,"MR":8,"NR":32,"KC":128,"MC":96,"NC":768,"KU":1,"PF":8,"THREADS":16,"PAR":3}
CONFIGS
		assert_success
		all_ok 4
	done
}

@test "stencil: tiles, orders and rows per pass are right at odd sizes" {
	run --separate-stderr pipeline "$K/stencil/cpu.json" -D N=37 -D M=101 <<'CONFIGS'
{"TI":8,"TJ":64,"ORDER":0,"UI":4,"THREADS":2}
{"TI":16,"TJ":64,"ORDER":1,"UI":2,"THREADS":1}
{"TI":4,"TJ":128,"ORDER":2,"UI":1,"THREADS":2}
{"TI":1,"TJ":8192,"ORDER":0,"UI":1,"THREADS":1}
CONFIGS
	assert_success
	all_ok 4
	run --separate-stderr pipeline "$K/stencil/cpu.json" -D N=3 -D M=2 <<'CONFIGS'
{"TI":2,"TJ":64,"ORDER":0,"UI":2,"THREADS":2}
{"TI":4,"TJ":64,"ORDER":1,"UI":4,"THREADS":1}
CONFIGS
	assert_success
	all_ok 2
}

@test "transpose: tiles, micro-blocks and orders are right at odd sizes" {
	run --separate-stderr pipeline "$K/transpose/cpu.json" -D M=37 -D N=101 <<'CONFIGS'
{"TI":16,"TJ":32,"MB":8,"ORDER":0,"THREADS":2}
{"TI":32,"TJ":16,"MB":16,"ORDER":1,"THREADS":1}
{"TI":4,"TJ":512,"MB":4,"ORDER":1,"THREADS":2}
{"TI":1,"TJ":1,"MB":1,"ORDER":0,"THREADS":1}
CONFIGS
	assert_success
	all_ok 4
	run --separate-stderr pipeline "$K/transpose/cpu.json" -D M=1 -D N=3 <<'CONFIGS'
{"TI":8,"TJ":8,"MB":8,"ORDER":0,"THREADS":2}
CONFIGS
	assert_success
	all_ok 1
}

@test "random configurations of every kernel are ok through the loop's stages" {
	local s d
	for s in "sgemm -D M=45 -D N=77 -D K=19" "stencil -D N=29 -D M=66" "transpose -D M=50 -D N=23"; do
		d=${s#* }
		# shellcheck disable=SC2086
		run --separate-stderr bash -c "ar-propose -s '$K/${s%% *}/cpu.json' $d -n 3 --seed 7 | jq -c .params"
		assert_success
		# shellcheck disable=SC2086
		run --separate-stderr pipeline "$K/${s%% *}/cpu.json" $d <<<"$output"
		assert_success
		all_ok 3
	done
}
