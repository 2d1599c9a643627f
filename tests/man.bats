#!/usr/bin/env bats
# The manual pages: the commands of every EXAMPLES section run, the pages
# pass mandoc's lint, and they have the sections the house style asks for
# (STYLE.md rule 12).

load helper

PAGES=$(cd "$ROOT" && ls man/man1/*.1 man/man5/*.5 man/man7/*.7)
# The pages of the programs other than ar-propose, which has tests of its own.
STAGES=$(cd "$ROOT" && ls man/man1/*.1 | grep -v '/ar-propose\.1$' || true)

# examples PAGE: the command lines of PAGE's EXAMPLES section (the lines
# that start with "$ ", up to the next .Sh), without the "$ " and with the
# roff escapes a command may need (\e for a backslash, \& and \-) undone.
# Any other escape is refused, since bash would not see what the reader
# sees.
examples() {
	awk '
	/^\.Sh / { on = ($0 == ".Sh EXAMPLES"); next }
	on && /^\$ / {
		line = substr($0, 3)
		out = ""
		while ((i = index(line, "\\")) > 0) {
			c = substr(line, i + 1, 1)
			out = out substr(line, 1, i - 1)
			if (c == "e")
				out = out "\\"
			else if (c == "-")
				out = out "-"
			else if (c != "&") {
				printf "%s:%d: unexpected escape \\%s\n",
				    FILENAME, FNR, c > "/dev/stderr"
				exit 1
			}
			line = substr(line, i + 2)
		}
		print out line
	}' "$1"
}

# A copy of the repository, as a user's checkout would hold it, in which
# the examples may write (under runs/ only).
make_repo() {
	REPO=$BATS_TEST_TMPDIR/repo
	mkdir -p "$REPO/tests"
	cp -R "$ROOT/kernels" "$ROOT/pipelines" "$ROOT/man" "$REPO/"
	[ ! -d "$ROOT/examples" ] || cp -R "$ROOT/examples" "$REPO/"
	cp -R "$ROOT/tests/fixtures" "$REPO/tests/"
}

# Every file outside runs/, with its checksum.
snapshot() {
	(cd "$REPO" && find . -path ./runs -prune -o -type f -print0 |
	    LC_ALL=C sort -z | xargs -0 sha256sum)
}

# run_examples PAGE MIN: runs PAGE's examples in order with bash -e in a
# copy of the repository; there must be at least MIN of them, and they may
# change nothing outside runs/.
run_examples() {
	local script before n

	script=$(examples "$ROOT/$1") || fail "cannot extract the examples of $1"
	n=$(grep -c . <<<"$script" || true)
	[ "$n" -ge "$2" ] ||
	    fail "$1: $n example command lines, expected at least $2"
	make_repo
	before=$(snapshot)
	printf '%s\n' "$script" >"$BATS_TEST_TMPDIR/examples.sh"
	run bash -c 'cd "$1" && bash -e -x "$2"' _ "$REPO" \
	    "$BATS_TEST_TMPDIR/examples.sh"
	assert_success
	[ "$(snapshot)" = "$before" ] ||
	    fail "$1: the examples changed files outside runs/"
	rm -rf "$REPO"
}

# sections PAGE: the names of PAGE's sections, one per line, in order.
sections() {
	sed -n 's/^\.Sh[[:space:]]*//p' "$ROOT/$1" | sed 's/^"\(.*\)"$/\1/'
}

# assert_sections PAGE NAME...: PAGE has these sections, in this order
# (others may come between them).
assert_sections() {
	local page=$1 have want rest
	shift
	have=$(sections "$page")
	rest=$have
	for want in "$@"; do
		grep -qxF "$want" <<<"$rest" ||
		    fail "$page: no section \"$want\" in the right place; sections: $(tr '\n' ',' <<<"$have")"
		rest=$(awk -v w="$want" 'found; $0 == w { found = 1 }' <<<"$rest")
	done
}

@test "the examples of ar-propose(1) run" {
	run_examples man/man1/ar-propose.1 6
}

@test "the examples of ar-study(5) run" {
	run_examples man/man5/ar-study.5 2
}

@test "the examples of ar-formats(7) run" {
	run_examples man/man7/ar-formats.7 2
}

@test "the man pages pass mandoc -Tlint" {
	command -v mandoc >/dev/null || skip "mandoc is not installed"
	local p bad
	for p in $PAGES; do
		# Pages of the stages not written yet cannot be found, and
		# an outdated system database is no fault of the page.
		bad=$(mandoc -Tlint "$ROOT/$p" 2>&1 |
		    grep -E ': (WARNING|ERROR|UNSUPP|BADARG): ' |
		    grep -v 'referenced manual not found' || true)
		[ -z "$bad" ] || fail "$p: $bad"
	done
}

@test "the examples of every other program's page run" {
	local p
	for p in $STAGES; do
		run_examples "$p" 3
	done
}

@test "every program's page has the sections of a command's page" {
	local p
	for p in man/man1/*.1; do
		assert_sections "$p" NAME SYNOPSIS DESCRIPTION \
		    "EXIT STATUS" EXAMPLES "SEE ALSO"
	done
}

@test "ar-study(5) has the sections of a file format's page" {
	assert_sections man/man5/ar-study.5 NAME SYNOPSIS DESCRIPTION \
	    EXAMPLES "SEE ALSO"
}

@test "ar-formats(7) has the sections of an overview page" {
	assert_sections man/man7/ar-formats.7 NAME DESCRIPTION EXAMPLES \
	    "SEE ALSO"
}

# synopsis_matches NAME: the SYNOPSIS of NAME(1) is what NAME --help
# prints as its usage.
synopsis_matches() {
	local page usage
	# Bold and underline are overstruck in -Tascii; the text is what
	# is left, with white space squeezed.
	page=$(mandoc -Tascii -O width=300 "$ROOT/man/man1/$1.1" |
	    sed 's/.\x08//g' | sed -n '/^SYNOPSIS$/,/^DESCRIPTION$/p' |
	    sed '1d;$d' | tr -s ' \n' '  ' | sed 's/^ *//; s/ *$//')
	usage=$("$1" --help | sed -n '1,/^$/p' | sed 's/^usage://' |
	    tr -s ' \n' '  ' | sed 's/^ *//; s/ *$//')
	[ -n "$usage" ] || fail "$1 --help printed no usage"
	[ "$page" = "$usage" ] || fail "$1: man page: '$page'; --help: '$usage'"
}

@test "the SYNOPSIS of every program's page is the program's usage" {
	command -v mandoc >/dev/null || skip "mandoc is not installed"
	local p
	for p in man/man1/*.1; do
		synopsis_matches "$(basename "$p" .1)"
	done
}

@test "the study shown in ar-study(5) is kernels/matmul/cpu.json" {
	local shown
	shown=$(sed -n '/^\.Sh EXAMPLES/,/^\.Sh /p' "$ROOT/man/man5/ar-study.5" |
	    sed -n '/^{$/,/^}$/p')
	[ -n "$shown" ] || fail "no study in the EXAMPLES of ar-study(5)"
	run jq -S . <<<"$shown"
	assert_success
	assert_output "$(jq -S . "$ROOT/kernels/matmul/cpu.json")"
}

# The backends ar-study(5) calls "Not yet" are exactly those ar-compile
# refuses as not supported, so the page and the programs cannot drift
# apart again (it once called cuda "Not yet" while its CAVEATS, the
# README and the programs said it worked).
@test "ar-study(5) says Not yet of exactly the backends the programs refuse" {
	local b text
	for b in c cuda opencl command replay; do
		# The paragraph of the backend in the list under "backend".
		text=$(awk -v b="$b" '
		    $0 == ".It Cm " b { on = 1; next }
		    on && /^\.(It|El)( |$)/ { exit }
		    on { print }' "$ROOT/man/man5/ar-study.5")
		[ -n "$text" ] || fail "no paragraph for backend $b in ar-study(5)"
		case $b in
		command) more='"command": ["true"]' ;;
		replay) more='"source": "k.json"' ;;
		*) more='"source": "k.c", "entry": "k"' ;;
		esac
		printf '{"name": "t", "backend": "%s", %s, "params": {"X": [1]}}' \
		    "$b" "$more" >"$BATS_TEST_TMPDIR/$b.json"
		touch "$BATS_TEST_TMPDIR/k.c"
		echo '{}' >"$BATS_TEST_TMPDIR/k.json"
		run --separate-stderr ar-compile -s "$BATS_TEST_TMPDIR/$b.json" </dev/null
		if [[ $text == *"Not yet"* ]]; then
			[ "$status" -eq 2 ] && [[ $stderr == *"not supported"* ]] ||
			    fail "ar-study(5) says Not yet of $b, but ar-compile: $status $stderr"
		else
			[[ $stderr != *"not supported"* ]] ||
			    fail "ar-compile refuses $b, but ar-study(5) does not say Not yet"
		fi
	done
}

@test "ar-formats(7) says what the programs do with a string that reads as a number" {
	command -v mandoc >/dev/null || skip "mandoc is not installed"
	local page
	page=$(mandoc -Tascii -O width=1000 "$ROOT/man/man7/ar-formats.7" |
	    sed 's/.\x08//g' | tr -s ' \n' '  ')
	[[ $page != *"does not match the study's string when it comes back"* ]] ||
	    fail "ar-formats(7) still says such a value is refused"
	[[ $page == *"still matches the study's string"* ]]
	# And what it says holds.
	write_study s.json '{"name": "t", "backend": "c", "source": "k.c",
	  "params": {"V": ["8", "16"]}}'
	ar-propose -s "$BATS_TEST_TMPDIR/s.json" --strategy grid -n 2 --csv >"$BATS_TEST_TMPDIR/a.csv"
	run --separate-stderr ar-propose -s "$BATS_TEST_TMPDIR/s.json" --from "$BATS_TEST_TMPDIR/a.csv"
	assert_success
	[ "$(jq -c .params.V <<<"$output" | tr '\n' ' ')" = '"8" "16" ' ]
}
