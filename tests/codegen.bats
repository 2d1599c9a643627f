#!/usr/bin/env bats
# examples/discovery/codegen: scheme2c turns a bilinear scheme into C
# for one level of recursion over kernels/sgemm; the code it writes is
# compiled here and its product compared with one summed in double.

load helper

G=$ROOT/examples/discovery/codegen
STRASSEN=$G/strassen.json

setup_file() {
	make -s -C "$ROOT/examples/discovery/codegen" scheme2c
	cc -std=c11 -O2 -c -o "$BATS_FILE_TMPDIR/sgemm.o" "$ROOT/kernels/sgemm/sgemm.c"
}

# product SCHEME N [SCHEME2C_OPTION]: generates, builds and runs the check
# at N; prints its JSON line.
product() {
	local d=$BATS_TEST_TMPDIR
	"$G/scheme2c" $3 -o "$d/scheme.c" "$1" &&
	    cc -std=c11 -O2 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
	    -Wmissing-prototypes -o "$d/check" "$G/check.c" "$d/scheme.c" \
	    "$BATS_FILE_TMPDIR/sgemm.o" -lm &&
	    "$d/check" "$2"
}

# The standard algorithm as a scheme of rank n*m*p.
standard() {
	jq -nc --argjson n "$1" --argjson m "$2" --argjson p "$3" '
	    [range($n) as $i | range($m) as $j | range($p) as $k | [$i, $j, $k]] as $t |
	    {n: $n, m: $m, p: $p, field: "Z", rank: ($t | length),
	     U: [$t[] | . as [$i, $j, $k] | [range($n * $m) | if . == $i * $m + $j then 1 else 0 end]],
	     V: [$t[] | . as [$i, $j, $k] | [range($m * $p) | if . == $j * $p + $k then 1 else 0 end]],
	     W: [$t[] | . as [$i, $j, $k] | [range($n * $p) | if . == $i * $p + $k then 1 else 0 end]]}'
}

@test "codegen: Strassen's scheme multiplies as a double product does, at even and odd N" {
	# The fixture is the discovery example's, where it has committed it.
	if [ -e "$ROOT/examples/discovery/schemes/strassen.json" ]; then
		run jq -c . "$ROOT/examples/discovery/schemes/strassen.json"
		assert_output "$(jq -c . "$STRASSEN")"
	fi
	for n in 64 130 131 3 1; do
		run product "$STRASSEN" $n
		assert_success
		jq -e '.norm_rel_err < 1e-5' <<<"$output" >/dev/null ||
		    fail "N=$n: $output"
	done
	# Seven block products, and no multiplication by 1.
	run grep -c '^	sgemm(hi, hk, hj, T, S, P);$' "$BATS_TEST_TMPDIR/scheme.c"
	assert_output 7
	run grep -c '1\.0f' "$BATS_TEST_TMPDIR/scheme.c"
	assert_output 0
}

@test "codegen: block splits of any shape, with the rows and columns left over" {
	standard 3 3 3 >"$BATS_TEST_TMPDIR/s333.json"
	standard 2 3 4 >"$BATS_TEST_TMPDIR/s234.json"
	for s in "s333.json 130" "s234.json 131" "s234.json 2"; do
		set -- $s
		run product "$BATS_TEST_TMPDIR/$1" $2
		assert_success
		jq -e '.norm_rel_err < 1e-5' <<<"$output" >/dev/null ||
		    fail "$s: $output"
	done
}

@test "codegen: a scheme over GF(2) is refused for real arithmetic" {
	jq -c '.field = "GF2"' "$STRASSEN" >"$BATS_TEST_TMPDIR/gf2.json"
	run --separate-stderr "$G/scheme2c" -o "$BATS_TEST_TMPDIR/out.c" "$BATS_TEST_TMPDIR/gf2.json"
	assert_failure 2
	assert_output ''
	[[ $stderr == "scheme2c: $BATS_TEST_TMPDIR/gf2.json: field \"GF2\": a scheme over GF(2) holds only mod 2"* ]] ||
	    fail "stderr: $stderr"
	[ ! -e "$BATS_TEST_TMPDIR/out.c" ]
}

@test "codegen: a malformed or misshapen file is refused with the file and what is wrong" {
	local d=$BATS_TEST_TMPDIR
	printf '{"n": 2, "m": 2,\n "p": }\n' >"$d/bad.json"
	jq -c '.U[2] = [1, 0, 0]' "$STRASSEN" >"$d/short.json"
	jq -c '.rank = 8' "$STRASSEN" >"$d/rank.json"
	jq -c '.V[0][1] = 0.5' "$STRASSEN" >"$d/real.json"
	jq -c 'del(.W)' "$STRASSEN" >"$d/now.json"
	jq -c '.n = 9' "$STRASSEN" >"$d/big.json"
	for c in "bad.json:2: malformed JSON: unexpected token near '}'" \
	    "short.json: U row 3 has 3 entries, n*m is 4" \
	    "rank.json: \"U\" has 7 rows, rank is 8" \
	    "real.json: V row 1 entry 2 is not an integer" \
	    "now.json: key \"W\" is missing" \
	    "big.json: \"n\" is 9, not in 1..8"; do
		run --separate-stderr "$G/scheme2c" "$d/${c%%:*}"
		assert_failure 2
		assert_output ''
		[ "$stderr" = "scheme2c: $d/$c" ] || fail "stderr: $stderr"
	done
	run --separate-stderr "$G/scheme2c" "$d/absent.json"
	assert_failure 2
	[ "$stderr" = "scheme2c: cannot open '$d/absent.json': No such file or directory" ]
}

@test "codegen: a flipped coefficient is refused by the exact check, and its code multiplies wrong" {
	# M3 = (A11)(B12 - B22) becomes (-A11)(B12 - B22).
	jq -c '.U[2][0] = -1' "$STRASSEN" >"$BATS_TEST_TMPDIR/flip.json"
	run --separate-stderr "$G/scheme2c" "$BATS_TEST_TMPDIR/flip.json"
	assert_failure 2
	[ "$stderr" = "scheme2c: $BATS_TEST_TMPDIR/flip.json: not a valid scheme over Z: the Brent equation of A11 B12 C12 sums to -1, not 1" ] ||
	    fail "stderr: $stderr"
	# Past the check, the product it computes is far from the true one.
	run product "$BATS_TEST_TMPDIR/flip.json" 64 --no-check
	assert_success
	jq -e '.norm_rel_err > 0.1' <<<"$output" >/dev/null || fail "$output"
}
