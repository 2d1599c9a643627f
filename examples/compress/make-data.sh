#!/bin/sh
# make-data.sh: the text the study compresses, data.txt beside this
# script: every C source, header, man page and test suite of this checkout,
# in a fixed order (about 1.5 MB of real text that any clone has).  It is
# remade only when absent, so a study's measurements stay comparable;
# remove it to start afresh.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
[ -s "$here/data.txt" ] && exit 0
(cd "$root" && LC_ALL=C ls lib/*.c lib/*.h tools/*.c man/man*/* tests/*.bats |
    LC_ALL=C sort | xargs cat) >"$here/data.txt.tmp"
mv "$here/data.txt.tmp" "$here/data.txt"
echo "made $here/data.txt ($(wc -c <"$here/data.txt") bytes)" >&2
