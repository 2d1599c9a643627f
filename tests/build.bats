#!/usr/bin/env bats
# The build's promises: make install puts programs and man pages where
# PREFIX and DESTDIR say, and the installed program runs.

load helper

@test "make install honours PREFIX and DESTDIR, and uninstall undoes it" {
	# The build the programs come from: AR_BUILD where AR_BIN holds
	# wrappers (make valgrind), which a build there would overwrite.
	o=${AR_BUILD:-$(cd "${AR_BIN:-$ROOT/bin}/.." && pwd)}
	d=$BATS_TEST_TMPDIR/dest
	run make -s -C "$ROOT" O="$o" install PREFIX=/opt/ar DESTDIR="$d"
	assert_success
	[ -x "$d/opt/ar/bin/ar-propose" ]
	[ -f "$d/opt/ar/share/man/man1/ar-propose.1" ]
	[ -f "$d/opt/ar/share/man/man5/ar-study.5" ]
	[ -f "$d/opt/ar/share/man/man7/ar-formats.7" ]
	run "$d/opt/ar/bin/ar-propose" --version
	assert_success
	run make -s -C "$ROOT" O="$o" uninstall PREFIX=/opt/ar DESTDIR="$d"
	assert_success
	[ ! -e "$d/opt/ar/bin/ar-propose" ]
	[ ! -e "$d/opt/ar/share/man/man1/ar-propose.1" ]
}

@test "every program has a man page and --help" {
	for t in "$ROOT"/tools/ar-*.c; do
		t=$(basename "$t" .c)
		[ -f "$ROOT/man/man1/$t.1" ] || fail "$t has no man page"
		run "$t" --help
		assert_success
		assert_output --partial "usage: $t"
	done
}
