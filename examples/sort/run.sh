#!/usr/bin/env bash
# Tunes GNU sort on a generated file of 1 million lines: which buffer size
# and how many threads sort it fastest on this machine.  One command:
#
#   examples/sort/run.sh            (ROUNDS=3 BATCH=8 by default)
#
# The study runs `sort` with an argument vector built from the parameters
# (no shell), in this folder, so data.txt and tmp/ live here.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
make -s -C "$root"
if [ ! -s "$here/data.txt" ]; then
	echo "making $here/data.txt (1,000,000 lines)" >&2
	# The same file on every machine: a fixed random source.
	seq 1000000 | shuf --random-source=<(yes autoresearch) |
	    sed 's/$/ lorem ipsum dolor/' >"$here/data.txt"
fi
mkdir -p "$here/tmp"
make -s -f "$root/pipelines/tune.mk" STUDY="$here/study.json" \
    OUT="${OUT:-$root/runs/sort}" ROUNDS="${ROUNDS:-3}" BATCH="${BATCH:-8}"
