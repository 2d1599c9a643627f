#!/usr/bin/env bats
# The library's structure (lib/README): no module uses one of a layer
# above its own, no includes go round in a circle, every module has its
# layer, library code neither prints nor exits, tool files stay small,
# and a build leaves the source folders as they were.

load helper

# A copy of lib to plant faults in.
copy_lib() {
	cp -r "$ROOT/lib" "$BATS_TEST_TMPDIR/lib"
	rm -f "$BATS_TEST_TMPDIR"/lib/*.a "$BATS_TEST_TMPDIR"/lib/*.o
}

@test "lib keeps its layers: no arrow up, no circle, every module placed" {
	run "$ROOT/tests/layers" "$ROOT/lib"
	assert_success
	assert_output ""
}

@test "a circle of includes is refused, naming each include on it" {
	copy_lib
	# metric includes expr.h: expr including metric.h closes a circle
	# inside layer 2.
	sed -i '0,/^#include "expr.h"/s//#include "expr.h"\n#include "metric.h"/' \
	    "$BATS_TEST_TMPDIR/lib/expr.c"
	run "$ROOT/tests/layers" "$BATS_TEST_TMPDIR/lib"
	assert_failure 1
	assert_output --partial "a circle of includes among: "
	assert_output --partial "expr includes metric.h"
	assert_output --partial "metric includes expr.h"
}

@test "an include of a layer above is refused, naming both modules" {
	copy_lib
	sed -i '0,/^#include "util.h"/s//#include "util.h"\n#include "spec.h"/' \
	    "$BATS_TEST_TMPDIR/lib/util.c"
	run "$ROOT/tests/layers" "$BATS_TEST_TMPDIR/lib"
	assert_failure 1
	assert_output --partial "util.c includes spec.h: util (layer 1) must not use spec (layer 2, above it)"
}

@test "a module with no layer in lib/README is refused" {
	copy_lib
	printf '#include "util.h"\n' >"$BATS_TEST_TMPDIR/lib/newmod.c"
	run "$ROOT/tests/layers" "$BATS_TEST_TMPDIR/lib"
	assert_failure 1
	assert_output --partial "newmod.c: module newmod has no layer in"
}

@test "the layer check without its table is a usage error" {
	mkdir "$BATS_TEST_TMPDIR/empty"
	run "$ROOT/tests/layers" "$BATS_TEST_TMPDIR/empty"
	assert_failure 2
	assert_output --partial "README: no such file"
}

@test "library code neither prints nor exits" {
	# Out of memory (the e* allocators, util.c) and the tool support of
	# layer 4 (cli, progress) are the exceptions; hash.c ends the program
	# only when OpenSSL cannot hash, which is out of resources too.
	cd "$ROOT/lib"
	run grep -nE '\b(ar_die|ar_warn|exit|abort|perror|printf|puts|putchar)\(|\bf(printf|puts|putc|write)\([^)]*\bstd(err|out)\b' \
	    $(ls *.c | grep -vxE 'util.c|cli.c|progress.c')
	# Out of memory is said and ends the program wherever it happens.
	# Comments that speak of exit(3) are no calls.
	output=$(printf '%s\n' "$output" | grep -v 'out of memory' |
	    grep -v 'hash.c:.*sha256 failed' |
	    grep -vE '^[a-z_]+\.c:[0-9]+:[[:space:]]*(/\*|\*)' || true)
	assert_output ""
}

@test "every tool file holds its options and its loop: under 500 lines" {
	for f in "$ROOT"/tools/ar-*.c; do
		n=$(wc -l <"$f")
		[ "$n" -lt 500 ] || fail "$(basename "$f"): $n lines"
	done
}

@test "a build leaves the source folders clean" {
	git -C "$ROOT" rev-parse --git-dir >/dev/null 2>&1 ||
	    skip "not a git checkout"
	# Whatever make built (bin/ obj/ build/), no object, archive or
	# program lands beside the sources, ignored by git or not.
	cd "$ROOT"
	git status --porcelain --ignored --untracked-files=all -- lib tools \
	    man tests/unit tests/fuzz >"$BATS_TEST_TMPDIR/st"
	while read -r mark path; do
		case $mark in '??' | '!!') ;; *) continue ;; esac
		magic=$(head -c 7 "$path" | od -An -c | tr -d ' \n')
		case $magic in
		177ELF* | '!<arch>') fail "a build output in the sources: $path" ;;
		esac
	done <"$BATS_TEST_TMPDIR/st"
}
